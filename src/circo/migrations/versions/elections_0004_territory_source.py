"""territories: the source that lists them ("cog" for INSEE's Code officiel géographique)

A results file's coverage is checked against the communes the COG lists for its départements,
which needs to tell them from the territories only a results or INSEE file named.

Revision ID: elections_0004_territory_source
Revises: elections_0003_file_truth
Create Date: 2026-12-03 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "elections_0004_territory_source"
down_revision: str | Sequence[str] | None = "elections_0003_file_truth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("el_territories") as batch:
        batch.add_column(sa.Column("source", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("el_territories") as batch:
        batch.drop_column("source")
