"""Documentation stays true: every setting documented, the quickstart as written."""

from __future__ import annotations

import re
from pathlib import Path

from circo.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    missing = [name for name in Settings.model_fields if f"`CIRCO_{name.upper()}`" not in text]
    assert missing == [], f"document these settings in docs/configuration.md: {missing}"


def test_readme_has_the_two_quickstart_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/circo demo" in readme
    assert "bash scripts/check" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/check" in ci


def test_production_refuses_the_default_secret(tmp_path: Path) -> None:
    import pytest

    from circo.errors import ConfigError

    with pytest.raises(ConfigError, match="CIRCO_SECRET_KEY"):
        Settings(env="production", data_dir=tmp_path).effective_secret_key()
    key = Settings(data_dir=tmp_path).effective_secret_key()
    assert len(key) == 64
    assert Settings(data_dir=tmp_path).effective_secret_key() == key


DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")
PARENT_PATH = re.compile(r"(?<![\w./])((?:\.\./)+[\w./-]*)")
OUTSIDE = re.compile(r"(?<![\w.-])/?(?:\w+/)*shared/(?:data|DESIGN\.md|STYLE\.md)\b")


def test_docs_point_inside_the_repository() -> None:
    """README and docs link to files of the repository only (no ../shared/…)."""
    problems = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        targets = [t for t in MARKDOWN_LINK.findall(text) if not t.startswith(("http", "mailto:"))]
        for target in targets + PARENT_PATH.findall(text):
            path = target.split("#")[0]
            if not path:
                continue
            resolved = (doc.parent / path).resolve()
            if not resolved.is_relative_to(ROOT):
                problems.append(f"{doc.name}: {target} is outside the repository")
            elif target in targets and not resolved.exists():
                problems.append(f"{doc.name}: {target} does not exist")
        problems += [f"{doc.name}: mentions {m.group(0)}" for m in OUTSIDE.finditer(text)]
    assert problems == []
