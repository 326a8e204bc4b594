"""job engine: progress, lease heartbeat, dispatch time and worker of a job

Revision ID: core_0002_jobs
Revises: core_0001
Create Date: 2026-12-03 02:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import circo.db

revision: str = "core_0002_jobs"
down_revision: str | Sequence[str] | None = "core_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("progress_done", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("progress_total", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("heartbeat_at", circo.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("dispatched_at", circo.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("worker", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("worker")
        batch_op.drop_column("dispatched_at")
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("progress_total")
        batch_op.drop_column("progress_done")
