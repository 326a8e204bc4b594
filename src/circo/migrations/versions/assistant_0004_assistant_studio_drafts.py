"""assistant: studio drafts (cited texts, statuses, editorial calendar)

Revision ID: assistant_0004
Revises: assistant_0003
Create Date: 2026-12-03 09:56:58
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import circo.db

revision: str = "assistant_0004"
down_revision: str | Sequence[str] | None = "assistant_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assistant_studio_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "post",
                "video",
                "email",
                "door",
                "phone",
                "sheet",
                "strategy",
                "training",
                name="kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "network",
            sa.Enum(
                "x",
                "instagram",
                "facebook",
                "tiktok",
                "linkedin",
                name="network",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("citations", sa.JSON(), nullable=False),
        sa.Column("ai_generated", sa.Boolean(), nullable=False),
        sa.Column("paid", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "approved",
                "published",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("scheduled_at", circo.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("approved_at", circo.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_assistant_studio_drafts_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistant_studio_drafts")),
    )
    with op.batch_alter_table("assistant_studio_drafts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assistant_studio_drafts_campaign_id"), ["campaign_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("assistant_studio_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assistant_studio_drafts_campaign_id"))

    op.drop_table("assistant_studio_drafts")
