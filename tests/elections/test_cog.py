"""COG tables through `circo import insee`: territory names and hierarchy, commune mergers, and
results of a commune that include the bureaux filed under the codes merged into it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from circo.cli import app
from circo.cli_fast import results_json
from circo.elections.models import CommuneMerger, Territory
from tests.elections.sample_files import cut_rhone, file_totals

runner = CliRunner()
DATA = Path(__file__).parent / "data"
MOVEMENTS_HEADER = (
    "MOD,DATE_EFF,TYPECOM_AV,COM_AV,TNCC_AV,NCC_AV,NCCENR_AV,LIBELLE_AV,"
    "TYPECOM_AP,COM_AP,TNCC_AP,NCC_AP,NCCENR_AP,LIBELLE_AP\n"
)


def _import(path: Path) -> dict[str, object]:
    result = runner.invoke(app, ["import", "insee", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report: dict[str, object] = json.loads(result.stdout)
    return report


def _mergers(session: Session) -> dict[str, str]:
    rows = session.execute(select(CommuneMerger.old_code, CommuneMerger.current_code)).all()
    session.close()  # SQLite: release the read transaction before the next command
    return dict(rows)


@pytest.mark.usefixtures("cli_env")
def test_cog_tables_name_the_territories_and_map_old_codes(session: Session) -> None:
    assert _import(DATA / "cog_regions_2024.csv")["cog_table"] == "regions"
    assert _import(DATA / "cog_departements_2024.csv")["cog_table"] == "departments"
    communes = _import(DATA / "cog_communes_2024.csv")
    assert communes["cog_table"] == "communes"
    assert communes["mergers"] == 1  # Saint-Bois, commune déléguée of Arboys en Bugey

    territories = {t.key: t for t in session.scalars(select(Territory))}
    assert territories["reg:84"].name == "Auvergne-Rhône-Alpes"
    assert (territories["dep:2A"].name, territories["dep:2A"].parent_key) == (
        "Corse-du-Sud",
        "reg:94",
    )
    assert (territories["com:2A004"].name, territories["com:2A004"].parent_key) == (
        "Ajaccio",
        "dep:2A",
    )
    assert territories["arr:75101"].parent_key == "com:75056"
    assert "com:01340" not in territories  # a commune déléguée is not a current commune
    assert _mergers(session) == {"01340": "01015"}

    movements = _import(DATA / "cog_mouvements_2024.csv")
    assert movements["cog_table"] == "movements"
    assert _mergers(session) == {"01340": "01015", "01100": "01300", "01200": "01300"}

    again = _import(DATA / "cog_mouvements_2024.csv")  # idempotent
    assert again["mergers"] == movements["mergers"]
    assert _mergers(session) == {"01340": "01015", "01100": "01300", "01200": "01300"}


def test_results_of_a_commune_include_the_communes_merged_into_it(
    cli_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t1 = cut_rhone(tmp_path, round_number=1, communes=("123", "266"))
    imported = runner.invoke(
        app, ["import", "results", str(t1), "--election", "pres-2017", "--round", "1"]
    )
    assert imported.exit_code == 0, imported.output
    query = ["results", "com:69123", "--election", "pres-2017", "--round", "1", "--json"]
    before = json.loads(runner.invoke(app, query).stdout)
    lyon, villeurbanne = file_totals(t1, commune="123"), file_totals(t1, commune="266")
    assert before["stations"] == lyon["stations"]

    # An invented merger (test input only): Villeurbanne's code now maps to Lyon's.
    movements = tmp_path / "mouvements.csv"
    movements.write_text(
        MOVEMENTS_HEADER + "32,2030-01-01,COM,69266,0,V,V,V,COM,69123,0,L,L,L\n", encoding="utf-8"
    )
    assert _import(movements)["mergers"] == 1

    after = runner.invoke(app, query)
    payload = json.loads(after.stdout)
    assert payload["stations"] == lyon["stations"] + villeurbanne["stations"]
    assert payload["registered"] == lyon["registered"] + villeurbanne["registered"]
    assert payload["valid_votes"] == lyon["valid"] + villeurbanne["valid"]
    capsys.readouterr()
    assert results_json(query[1:]) is True  # the CLI's fast path sees the same mergers
    assert capsys.readouterr().out == after.stdout
    alone = json.loads(runner.invoke(app, [*query[:1], "com:69266", *query[2:]]).stdout)
    assert alone["stations"] == villeurbanne["stations"]


@pytest.mark.usefixtures("cli_env")
def test_a_malformed_cog_file_changes_nothing(session: Session, tmp_path: Path) -> None:
    _import(DATA / "cog_mouvements_2024.csv")
    known = _mergers(session)
    broken = tmp_path / "mouvements_casse.csv"
    broken.write_text(
        MOVEMENTS_HEADER
        + "31,2017-01-01,COM,01400,0,A,A,A,COM,01500,0,B,B,B\n"
        + "x,2018-01-01,COM,01600,0,C,C,C,COM,01700,0,D,D,D\n",
        encoding="utf-8",
    )
    failed = runner.invoke(app, ["import", "insee", str(broken)])
    assert failed.exit_code == 2
    assert "mouvements_casse.csv" in failed.output
    assert "ligne 3" in failed.output
    assert _mergers(session) == known
