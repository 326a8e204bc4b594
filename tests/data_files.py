"""Where the tests find real data files.

- ``TEST_DATA`` (``tests/data/shared/``): small real files copied into the repository, with their
  provenance (``PROVENANCE.md``); the ``shared_data`` fixture returns this folder.
- ``demo_file(name)``: the real files shipped with the package (``circo/elections/demo_data/``).
- ``shared_file(relative)``: a bigger file of the project's shared open-data folder, outside the
  repository (``../shared/data``). Missing, the test **fails** under ``CI=true`` (never a silent
  skip in CI) and is skipped with the reason elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from circo.elections.demo import demo_file

__all__ = ["SHARED_DATA", "TEST_DATA", "demo_file", "shared_file"]

TEST_DATA = Path(__file__).resolve().parent / "data" / "shared"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def shared_file(relative: str) -> Path:
    """``SHARED_DATA / relative``; fails under CI=true when it is missing, else skips."""
    path = SHARED_DATA / relative
    if not path.is_file():
        reason = f"shared data file missing: {path} (the open-data folder beside the repository)"
        if in_ci():
            pytest.fail(f"CI=true: {reason}", pytrace=False)
        pytest.skip(reason)
    return path
