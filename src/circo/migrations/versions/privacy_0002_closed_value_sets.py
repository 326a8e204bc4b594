"""privacy: consent, opposition, suppression and rights-request value sets

Revision ID: privacy_0002
Revises: privacy_0001
Create Date: 2026-12-03 03:30:00
"""

from collections.abc import Sequence

from circo.migrations.checks import add_checks, drop_checks

revision: str = "privacy_0002"
down_revision: str | Sequence[str] | None = "privacy_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the enums of circo.privacy.models at this revision: table → column → values.
CHECKS: dict[str, dict[str, tuple[str, ...]]] = {
    "privacy_consents": {
        "channel": ("email", "sms", "phone", "post", "automated_call", "political_opinions"),
        "status": ("granted", "refused", "withdrawn"),
    },
    "privacy_oppositions": {
        "channel": ("all", "email", "sms", "phone", "post", "automated_call"),
    },
    "privacy_suppressions": {
        "kind": ("email", "phone"),
    },
    "privacy_rights_requests": {
        "kind": ("access", "rectification", "erasure", "opposition"),
        "status": ("unverified", "open", "done", "rejected"),
        "channel": ("staff", "self_service", "cli", "api"),
    },
}


def upgrade() -> None:
    add_checks(CHECKS)


def downgrade() -> None:
    drop_checks(CHECKS)
