"""privacy tables

Revision ID: privacy_0001
Revises: crm_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import circo.db

revision: str = "privacy_0001"
down_revision: str | Sequence[str] | None = "crm_0001"
branch_labels: str | Sequence[str] | None = ("privacy",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "privacy_purposes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("legal_basis", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("data_categories", sa.JSON(), nullable=False),
        sa.Column("data_subjects", sa.JSON(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("retention", sa.String(length=300), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_privacy_purposes_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_purposes")),
    )
    with op.batch_alter_table("privacy_purposes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_privacy_purposes_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index("ix_privacy_purposes_code", ["campaign_id", "code"], unique=True)

    op.create_table(
        "privacy_suppressions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value_hash", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_privacy_suppressions_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_suppressions")),
    )
    with op.batch_alter_table("privacy_suppressions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_privacy_suppressions_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            "ix_privacy_suppressions_hash", ["campaign_id", "value_hash"], unique=True
        )

    op.create_table(
        "privacy_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("proof", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("recorded_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_privacy_consents_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["crm_contacts.id"],
            name=op.f("fk_privacy_consents_contact_id_crm_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_consents")),
    )
    with op.batch_alter_table("privacy_consents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_privacy_consents_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            "ix_privacy_consents_contact", ["contact_id", "channel", "id"], unique=False
        )

    op.create_table(
        "privacy_oppositions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("recorded_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_privacy_oppositions_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["crm_contacts.id"],
            name=op.f("fk_privacy_oppositions_contact_id_crm_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_oppositions")),
    )
    with op.batch_alter_table("privacy_oppositions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_privacy_oppositions_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_privacy_oppositions_contact_id"), ["contact_id"], unique=False
        )

    op.create_table(
        "privacy_rights_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("requester", sa.String(length=320), nullable=True),
        sa.Column("requester_hash", sa.String(length=64), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("outcome", sa.JSON(), nullable=False),
        sa.Column("received_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("verified_at", circo.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", circo.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_privacy_rights_requests_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["crm_contacts.id"],
            name=op.f("fk_privacy_rights_requests_contact_id_crm_contacts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_rights_requests")),
    )
    with op.batch_alter_table("privacy_rights_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_privacy_rights_requests_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_privacy_rights_requests_contact_id"), ["contact_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_privacy_rights_requests_requester_hash"),
            ["requester_hash"],
            unique=False,
        )


def downgrade() -> None:
    op.drop_table("privacy_rights_requests")
    op.drop_table("privacy_oppositions")
    op.drop_table("privacy_consents")
    op.drop_table("privacy_suppressions")
    op.drop_table("privacy_purposes")
