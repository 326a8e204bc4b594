"""crm: relationship, custom field, roll and event kinds, duplicate, volunteer and attendee statuses restricted to their values

Revision ID: crm_0002
Revises: crm_0001
Create Date: 2026-12-03 03:30:00
"""

from collections.abc import Sequence

from circo.migrations.checks import add_checks, drop_checks

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


def upgrade() -> None:
    add_checks(CHECKS)


def downgrade() -> None:
    drop_checks(CHECKS)
