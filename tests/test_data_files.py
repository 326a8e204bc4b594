"""Real data in the tests: small copies inside the repository, documented; the shared open-data
folder outside it is reached through one helper that fails (never skips silently) in CI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import tests.data_files as data_files

TESTS = Path(__file__).resolve().parent
MAX_BYTES = 2_000_000  # copies stay small: bigger files are shipped demo data or stay outside


def copied_files() -> list[Path]:
    return sorted(
        path for path in data_files.TEST_DATA.rglob("*") if path.is_file() and path.suffix != ".md"
    )


def test_copied_files_are_small_and_each_has_its_provenance() -> None:
    files = copied_files()
    assert files
    assert sum(path.stat().st_size for path in files) < MAX_BYTES
    provenance = (data_files.TEST_DATA / "PROVENANCE.md").read_text(encoding="utf-8")
    for path in files:
        relative = path.relative_to(data_files.TEST_DATA).as_posix()
        assert f"`{relative}`" in provenance, f"{relative} missing from PROVENANCE.md"
        assert f"{path.stat().st_size} bytes" in provenance, f"size of {relative}"


def test_missing_shared_file_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(data_files, "SHARED_DATA", tmp_path / "absent")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true: shared data file missing"):
        data_files.shared_file("fr-presidentielle-2017-bv/any.csv.gz")


def test_missing_shared_file_skips_outside_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(data_files, "SHARED_DATA", tmp_path / "absent")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="shared data file missing"):
        data_files.shared_file("fr-presidentielle-2017-bv/any.csv.gz")


def test_present_shared_file_is_returned(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "file.csv").write_text("a\n", encoding="utf-8")
    monkeypatch.setattr(data_files, "SHARED_DATA", tmp_path)
    monkeypatch.setenv("CI", "true")
    assert data_files.shared_file("folder/file.csv") == tmp_path / "folder" / "file.csv"


def test_only_the_helper_reaches_outside_the_repository() -> None:
    outside = re.compile(r"""["']shared["']\s*/\s*["']data["']|\.\./shared/data""")
    offenders = [
        str(path.relative_to(TESTS))
        for path in TESTS.rglob("*.py")
        if path.name not in ("data_files.py", "test_data_files.py")
        and outside.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
