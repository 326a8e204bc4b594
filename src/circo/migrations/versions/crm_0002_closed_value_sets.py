"""crm: relationship, custom field, roll and event kinds, duplicate, volunteer and attendee statuses restricted to their values

Revision ID: crm_0002
Revises: crm_0001
Create Date: 2026-12-03 03:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "crm_0002"
down_revision: str | Sequence[str] | None = "crm_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the enums of circo.crm.models at this revision: table → column → values.
CHECKS: dict[str, dict[str, tuple[str, ...]]] = {
    "crm_contacts": {
        "relationship_kind": (
            "contact",
            "supporter",
            "member",
            "volunteer",
            "donor",
            "press",
            "elected",
        ),
    },
    "crm_custom_fields": {
        "kind": ("text", "number", "date", "choice"),
    },
    "crm_duplicate_pairs": {
        "status": ("open", "dismissed"),
    },
    "crm_electoral_rolls": {
        "kind": ("roll", "emargement"),
    },
    "crm_volunteers": {
        "status": ("invited", "active", "paused"),
    },
    "crm_events": {
        "kind": ("meeting", "canvassing", "training"),
    },
    "crm_event_attendees": {
        "status": ("invited", "yes", "no", "maybe"),
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
