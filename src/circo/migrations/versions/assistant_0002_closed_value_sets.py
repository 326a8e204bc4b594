"""assistant: document type and feed status restricted to their values

Revision ID: assistant_0002
Revises: assistant_0001
Create Date: 2026-12-03 03:30:00
"""

from collections.abc import Sequence

from circo.migrations.checks import add_checks, drop_checks

revision: str = "assistant_0002"
down_revision: str | Sequence[str] | None = "assistant_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the enums of circo.assistant.models at this revision: table → column → values.
CHECKS: dict[str, dict[str, tuple[str, ...]]] = {
    "assistant_documents": {
        "doc_type": ("programme", "study", "article", "poll", "news", "rebuttal"),
    },
    "assistant_feeds": {
        "status": ("new", "ok", "error"),
    },
}


def upgrade() -> None:
    add_checks(CHECKS)


def downgrade() -> None:
    drop_checks(CHECKS)
