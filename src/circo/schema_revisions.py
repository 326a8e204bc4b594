"""The schema revisions this version of circo knows, read from its migration files.

Every command checks that the database is at these heads before it works. Reading the two
assignments of each migration file costs a few milliseconds, where building Alembic's script
directory costs a large share of a short command's start-up; `circo db check` and the tests still
use Alembic itself (a test checks both agree).
"""

from __future__ import annotations

import ast
import re
from functools import cache
from importlib import resources

_ASSIGNMENT = re.compile(r"^(revision|down_revision|depends_on)\b[^=\n]*=\s*(.+)$", re.MULTILINE)


@cache
def known_revisions() -> tuple[frozenset[str], frozenset[str]]:
    """(every revision, the heads) of the migrations shipped in the package."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for entry in (resources.files("circo") / "migrations" / "versions").iterdir():
        if not entry.name.endswith(".py") or entry.name.startswith("__"):
            continue
        found = dict(_ASSIGNMENT.findall(entry.read_text(encoding="utf-8")))
        if "revision" not in found:
            continue
        revisions.add(ast.literal_eval(found["revision"].strip()))
        # A revision another one depends on is not kept in the version table either (Alembic
        # records the dependent revision only).
        for key in ("down_revision", "depends_on"):
            down = ast.literal_eval(found.get(key, "None").strip())
            if isinstance(down, str):
                parents.add(down)
            elif down:
                parents.update(down)
    return frozenset(revisions), frozenset(revisions - parents)


def schema_state(current: set[str]) -> str:
    """``"current"``, ``"outdated"`` or ``"unknown"`` (made by a newer or foreign circo)."""
    revisions, heads = known_revisions()
    if current - revisions:
        return "unknown"
    return "current" if current == heads else "outdated"
