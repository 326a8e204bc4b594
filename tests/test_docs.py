"""Documentation stays true: every setting documented, the quickstart as written."""

from __future__ import annotations

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
