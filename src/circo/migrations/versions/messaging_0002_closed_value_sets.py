"""messaging: status, channel and A/B metric columns restricted to their values

Revision ID: messaging_0002
Revises: messaging_0001
Create Date: 2026-12-03 03:20:00
"""

from collections.abc import Sequence

from circo.migrations.checks import add_checks, drop_checks

revision: str = "messaging_0002"
down_revision: str | Sequence[str] | None = "messaging_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the enums of circo.messaging.models at this revision.
CHANNELS = ("email", "sms")
MESSAGE_STATUSES = ("draft", "testing", "queued", "sending", "done", "failed", "cancelled")
AB_METRICS = ("opens", "clicks", "fixed")
DELIVERY_STATUSES = (
    "held",
    "queued",
    "sending",
    "sent",
    "failed",
    "uncertain",
    "cancelled",
    "skipped_no_consent",
    "skipped_opposed",
)
CHECKS = {
    "msg_campaigns": {"channel": CHANNELS, "status": MESSAGE_STATUSES, "ab_metric": AB_METRICS},
    "msg_deliveries": {"channel": CHANNELS, "status": DELIVERY_STATUSES},
}


def upgrade() -> None:
    add_checks(CHECKS)


def downgrade() -> None:
    drop_checks(CHECKS)
