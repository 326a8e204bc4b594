"""finance tables

Revision ID: finance_0001
Revises: crm_0001
Create Date: 2026-12-03 06:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import circo.db

revision: str = "finance_0001"
down_revision: str | Sequence[str] | None = "crm_0001"
branch_labels: str | Sequence[str] | None = ("finance",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fin_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("election_key", sa.String(length=40), nullable=False),
        sa.Column("election_type", sa.String(length=32), nullable=False),
        sa.Column("territory", sa.String(length=40), nullable=False),
        sa.Column("first_round", sa.Date(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("population_source", sa.String(length=200), nullable=False),
        sa.Column("ceiling_cents", sa.Integer(), nullable=False),
        sa.Column("ceiling_override", sa.Boolean(), nullable=False),
        sa.Column("ceiling_explanation", sa.Text(), nullable=False),
        sa.Column("financing_from", sa.Date(), nullable=False),
        sa.Column("file_by", sa.Date(), nullable=False),
        sa.Column("mandataire", sa.String(length=200), nullable=False),
        sa.Column("candidate", sa.String(length=200), nullable=False),
        sa.Column("created_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_fin_accounts_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fin_accounts")),
        sa.UniqueConstraint("campaign_id", name=op.f("uq_fin_accounts_campaign_id")),
    )
    op.create_table(
        "fin_expenses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "staff",
                "premises",
                "travel",
                "meetings",
                "printing",
                "advertising",
                "digital",
                "fees",
                "bank",
                "other",
                name="category",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("supplier", sa.String(length=200), nullable=False),
        sa.Column("spent_on", sa.Date(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("paid", sa.Boolean(), nullable=False),
        sa.Column("before_period", sa.Boolean(), nullable=False),
        sa.Column("invoice_path", sa.String(length=400), nullable=False),
        sa.Column("invoice_name", sa.String(length=200), nullable=False),
        sa.Column("invoice_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_fin_expenses_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fin_expenses")),
    )
    with op.batch_alter_table("fin_expenses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fin_expenses_campaign_id"), ["campaign_id"], unique=False
        )

    op.create_table(
        "fin_income",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "personal",
                "party",
                "loan",
                "in_kind",
                name="kind",
                native_enum=False,
                create_constraint=True,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("repayment_schedule", sa.Text(), nullable=False),
        sa.Column("created_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_fin_income_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fin_income")),
    )
    with op.batch_alter_table("fin_income", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fin_income_campaign_id"), ["campaign_id"], unique=False
        )

    op.create_table(
        "fin_donations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("election_key", sa.String(length=40), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column(
            "donor_kind",
            sa.Enum(
                "person",
                "party",
                name="donor_kind",
                native_enum=False,
                create_constraint=True,
                length=8,
            ),
            nullable=False,
        ),
        sa.Column("donor_key", sa.String(length=200), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("party_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("nationality", sa.String(length=2), nullable=False),
        sa.Column("resident", sa.Boolean(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "cheque",
                "transfer",
                "card",
                "cash",
                "direct_debit",
                name="method",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("created_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_fin_donations_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["crm_contacts.id"],
            name=op.f("fk_fin_donations_contact_id_crm_contacts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fin_donations")),
    )
    with op.batch_alter_table("fin_donations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fin_donations_contact_id"), ["contact_id"], unique=False
        )
        batch_op.create_index("ix_fin_donations_donor", ["campaign_id", "donor_key"], unique=False)

    op.create_table(
        "fin_bank_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("donation_id", sa.Integer(), nullable=True),
        sa.Column("expense_id", sa.Integer(), nullable=True),
        sa.Column("income_id", sa.Integer(), nullable=True),
        sa.Column("source_file", sa.String(length=200), nullable=False),
        sa.Column("source_line", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_fin_bank_lines_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["donation_id"],
            ["fin_donations.id"],
            name=op.f("fk_fin_bank_lines_donation_id_fin_donations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["expense_id"],
            ["fin_expenses.id"],
            name=op.f("fk_fin_bank_lines_expense_id_fin_expenses"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["income_id"],
            ["fin_income.id"],
            name=op.f("fk_fin_bank_lines_income_id_fin_income"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fin_bank_lines")),
        sa.UniqueConstraint("campaign_id", "fingerprint", name="uq_fin_bank_lines"),
    )
    op.create_table(
        "fin_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("donation_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "issued",
                "cancelled",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("issued_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", circo.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_fin_receipts_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["donation_id"],
            ["fin_donations.id"],
            name=op.f("fk_fin_receipts_donation_id_fin_donations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fin_receipts")),
        sa.UniqueConstraint("campaign_id", "number", name="uq_fin_receipts_number"),
        sa.UniqueConstraint("donation_id", name=op.f("uq_fin_receipts_donation_id")),
    )


def downgrade() -> None:
    op.drop_table("fin_receipts")
    op.drop_table("fin_bank_lines")
    with op.batch_alter_table("fin_donations", schema=None) as batch_op:
        batch_op.drop_index("ix_fin_donations_donor")
        batch_op.drop_index(batch_op.f("ix_fin_donations_contact_id"))

    op.drop_table("fin_donations")
    with op.batch_alter_table("fin_income", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fin_income_campaign_id"))

    op.drop_table("fin_income")
    with op.batch_alter_table("fin_expenses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fin_expenses_campaign_id"))

    op.drop_table("fin_expenses")
    op.drop_table("fin_accounts")
