"""field: turf, assignment and recontact statuses restricted to their values

Revision ID: field_0002
Revises: field_0001
Create Date: 2026-12-03 03:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "field_0002"
down_revision: str | Sequence[str] | None = "field_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the enums of circo.field.models at this revision: table → column → values.
CHECKS: dict[str, dict[str, tuple[str, ...]]] = {
    "field_turfs": {
        "status": ("open", "done"),
    },
    "field_assignments": {
        "status": ("planned", "cancelled"),
    },
    "field_recontacts": {
        "status": ("pending", "recorded"),
    },
}


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def upgrade() -> None:
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column, values in columns.items():
                batch.create_check_constraint(op.f(f"ck_{table}_{column}"), _in(column, values))


def downgrade() -> None:
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
