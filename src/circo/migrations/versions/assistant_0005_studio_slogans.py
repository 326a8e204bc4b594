"""assistant: slogans among the studio drafts' kinds

Revision ID: assistant_0005
Revises: assistant_0004
Create Date: 2026-12-03 13:00:00
"""

from collections.abc import Sequence

from circo.migrations.checks import add_checks, drop_checks

revision: str = "assistant_0005"
down_revision: str | Sequence[str] | None = "assistant_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of DraftKind before and after this revision.
BEFORE = ("post", "video", "email", "door", "phone", "sheet", "strategy", "training")
AFTER = (*BEFORE, "slogan")


def upgrade() -> None:
    drop_checks({"assistant_studio_drafts": {"kind": BEFORE}})
    add_checks({"assistant_studio_drafts": {"kind": AFTER}})


def downgrade() -> None:
    drop_checks({"assistant_studio_drafts": {"kind": AFTER}})
    add_checks({"assistant_studio_drafts": {"kind": BEFORE}})
