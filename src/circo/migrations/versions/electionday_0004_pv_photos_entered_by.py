"""electionday: who entered and confirmed each PV, and the PV photos

Revision ID: electionday_0004
Revises: electionday_0003
Create Date: 2026-12-03 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import circo.db

revision: str = "electionday_0004"
down_revision: str | Sequence[str] | None = "electionday_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ed_night_results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entered_by_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("confirmed_by_user_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_ed_night_results_entered_by_user_id_users"),
            "users",
            ["entered_by_user_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_ed_night_results_confirmed_by_user_id_users"),
            "users",
            ["confirmed_by_user_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "ed_pv_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_ed_pv_photos_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["ed_night_results.id"],
            name=op.f("fk_ed_pv_photos_result_id_ed_night_results"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_user_id"],
            ["users.id"],
            name=op.f("fk_ed_pv_photos_uploaded_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ed_pv_photos")),
        sa.UniqueConstraint(
            "campaign_id", "client_id", name=op.f("uq_ed_pv_photos_campaign_id_client_id")
        ),
    )
    with op.batch_alter_table("ed_pv_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ed_pv_photos_result_id"), ["result_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ed_pv_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ed_pv_photos_result_id"))
    op.drop_table("ed_pv_photos")
    with op.batch_alter_table("ed_night_results", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_ed_night_results_confirmed_by_user_id_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_ed_night_results_entered_by_user_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("confirmed_by_user_id")
        batch_op.drop_column("entered_by_user_id")
