"""Contour and INSEE imports are all in or all out: a malformed file names itself and changes
nothing already imported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from circo.cli import app
from circo.elections.models import Geometry, IrisIndicator

runner = CliRunner()
DATA = Path(__file__).parent / "data"


def _count(session: Session, model: type[Geometry] | type[IrisIndicator]) -> int:
    count = session.scalar(select(func.count()).select_from(model)) or 0
    session.close()  # SQLite: release the read transaction before the next command
    return count


@pytest.mark.usefixtures("cli_env")
def test_a_truncated_contour_file_changes_nothing(session: Session, tmp_path: Path) -> None:
    good = DATA / "bureaux_reu_style.geojson"
    imported = runner.invoke(app, ["import", "geo", str(good), "--kind", "bureaux", "--json"])
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)["contours"] == 2
    before = _count(session, Geometry)
    assert before >= 2
    shapes = session.scalars(select(Geometry.geojson).order_by(Geometry.code)).all()
    session.close()

    # The same bureaux with other shapes, cut off in the middle of the second feature.
    text = good.read_text(encoding="utf-8").replace("2.2, 48.7]", "2.25, 48.75]")
    truncated = tmp_path / "bureaux_tronque.geojson"
    truncated.write_text(text[: int(len(text) * 0.8)], encoding="utf-8")
    failed = runner.invoke(app, ["import", "geo", str(truncated), "--kind", "bureaux"])
    assert failed.exit_code == 2
    assert "bureaux_tronque.geojson" in failed.output
    assert _count(session, Geometry) == before
    assert session.scalars(select(Geometry.geojson).order_by(Geometry.code)).all() == shapes


@pytest.mark.usefixtures("cli_env")
def test_a_bad_insee_value_changes_nothing(session: Session) -> None:
    imported = runner.invoke(
        app, ["import", "insee", str(DATA / "base_ic_pop_2019_semicolon.csv"), "--json"]
    )
    assert imported.exit_code == 0, imported.output
    before = _count(session, IrisIndicator)
    assert before > 0
    failed = runner.invoke(app, ["import", "insee", str(DATA / "base_ic_bad_value.csv")])
    assert failed.exit_code == 2
    assert "base_ic_bad_value.csv" in failed.output
    assert "ligne" in failed.output
    assert _count(session, IrisIndicator) == before
