"""commune mergers (COG)

Revision ID: elections_0002
Revises: elections_0001
Create Date: 2026-11-23 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "elections_0002"
down_revision: str | Sequence[str] | None = "elections_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "el_commune_mergers",
        sa.Column("old_code", sa.String(length=5), nullable=False),
        sa.Column("current_code", sa.String(length=5), nullable=False),
        sa.PrimaryKeyConstraint("old_code", name=op.f("pk_el_commune_mergers")),
    )
    op.create_index(
        op.f("ix_el_commune_mergers_current_code"),
        "el_commune_mergers",
        ["current_code"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_el_commune_mergers_current_code"), table_name="el_commune_mergers")
    op.drop_table("el_commune_mergers")
