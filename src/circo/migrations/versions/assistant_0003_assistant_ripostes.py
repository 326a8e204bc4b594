"""assistant: ripostes (approved rebuttals pushed to volunteers, views and shares counted)

Revision ID: assistant_0003
Revises: assistant_0002
Create Date: 2026-12-03 09:46:41
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import circo.db

revision: str = "assistant_0003"
down_revision: str | Sequence[str] | None = "assistant_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assistant_ripostes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("claim", sa.String(length=500), nullable=False),
        sa.Column(
            "verdict",
            sa.Enum(
                "contradicted",
                "supported",
                "unverified",
                name="verdict",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("short", sa.Text(), nullable=False),
        sa.Column("long", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "approved",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("approved_at", circo.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("shares", sa.JSON(), nullable=False),
        sa.Column("mailed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_assistant_ripostes_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistant_ripostes")),
    )
    with op.batch_alter_table("assistant_ripostes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assistant_ripostes_campaign_id"), ["campaign_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("assistant_ripostes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assistant_ripostes_campaign_id"))

    op.drop_table("assistant_ripostes")
