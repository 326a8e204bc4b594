"""electionday assesseurs and délégués

Revision ID: electionday_0003
Revises: electionday_0002
Create Date: 2026-12-03 11:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import circo.db

revision: str = "electionday_0003"
down_revision: str | Sequence[str] | None = "electionday_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = ("assessor", "assessor_substitute", "delegate", "delegate_substitute")


def upgrade() -> None:
    op.create_table(
        "ed_assessor_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("station_key", sa.String(length=32), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("department_code", sa.String(length=3), nullable=False),
        sa.Column(
            "role",
            sa.Enum(*ROLES, name="role", native_enum=False, create_constraint=True, length=24),
            nullable=False,
        ),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("vote_date", sa.Date(), nullable=False),
        sa.Column("slot_start", sa.String(length=5), nullable=False),
        sa.Column("slot_end", sa.String(length=5), nullable=False),
        sa.Column("elector_commune", sa.String(length=5), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("birth_place", sa.String(length=200), nullable=False),
        sa.Column("delete_after", sa.Date(), nullable=False),
        sa.Column("created_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_ed_assessor_posts_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["crm_contacts.id"],
            name=op.f("fk_ed_assessor_posts_contact_id_crm_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ed_assessor_posts")),
    )
    with op.batch_alter_table("ed_assessor_posts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ed_assessor_posts_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ed_assessor_posts_contact_id"), ["contact_id"], unique=False
        )
        batch_op.create_index(
            "ix_ed_assessor_posts_station", ["campaign_id", "round", "station_key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ed_assessor_posts", schema=None) as batch_op:
        batch_op.drop_index("ix_ed_assessor_posts_station")
        batch_op.drop_index(batch_op.f("ix_ed_assessor_posts_contact_id"))
        batch_op.drop_index(batch_op.f("ix_ed_assessor_posts_campaign_id"))
    op.drop_table("ed_assessor_posts")
