"""field: turf, assignment and recontact statuses restricted to their values

Revision ID: field_0002
Revises: field_0001
Create Date: 2026-12-03 03:30:00
"""

from collections.abc import Sequence

from circo.migrations.checks import add_checks, drop_checks

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


def upgrade() -> None:
    add_checks(CHECKS)


def downgrade() -> None:
    drop_checks(CHECKS)
