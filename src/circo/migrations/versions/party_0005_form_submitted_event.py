"""party: the ``form.submitted`` webhook event (public form confirmed)

Revision ID: party_0005
Revises: party_0004
Create Date: 2026-12-03 12:45:00
"""

from collections.abc import Sequence

from circo.migrations.checks import add_checks, drop_checks

revision: str = "party_0005"
down_revision: str | Sequence[str] | None = "party_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of circo.party.models.WebhookEvent before and after this revision.
BEFORE = (
    "contact.created",
    "event.rsvp",
    "donation.recorded",
    "visits.synced",
    "opposition.recorded",
)
AFTER = (*BEFORE, "form.submitted")


def upgrade() -> None:
    drop_checks({"party_webhook_deliveries": {"event": BEFORE}})
    add_checks({"party_webhook_deliveries": {"event": AFTER}})


def downgrade() -> None:
    drop_checks({"party_webhook_deliveries": {"event": AFTER}})
    add_checks({"party_webhook_deliveries": {"event": BEFORE}})
