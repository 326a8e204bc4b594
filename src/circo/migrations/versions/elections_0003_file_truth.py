"""results keep what the file says: blank / null nullable, blank_and_null

Files that do not tell blank from null ballots (européennes 2014, every file before the
2014 law) store ``blank`` and ``null_votes`` as NULL and the file's figure in
``blank_and_null``; for the others ``blank_and_null`` = blank + null_votes.

Revision ID: elections_0003_file_truth
Revises: elections_0002
Create Date: 2026-12-03 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "elections_0003_file_truth"
down_revision: str | Sequence[str] | None = "elections_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("el_station_results") as batch:
        batch.add_column(sa.Column("blank_and_null", sa.Integer(), nullable=True))
        batch.alter_column("blank", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("null_votes", existing_type=sa.Integer(), nullable=True)
    op.execute("UPDATE el_station_results SET blank_and_null = blank + null_votes")


def downgrade() -> None:
    op.execute(
        "UPDATE el_station_results SET blank = COALESCE(blank, 0), "
        "null_votes = COALESCE(null_votes, blank_and_null, 0)"
    )
    with op.batch_alter_table("el_station_results") as batch:
        batch.alter_column("null_votes", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("blank", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("blank_and_null")
