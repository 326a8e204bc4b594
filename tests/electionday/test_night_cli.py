"""`circo night enter` and `circo night project` as separate processes on the test's database
(SQLite and PostgreSQL), on real results: présidentielle 2017 in the Rhône, the 2nd round
entered in batches (smallest bureaux first) and projected from the 1st round."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from circo.config import Settings
from tests.data_files import shared_file
from tests.server import init_campaign, run_cli

pytestmark = pytest.mark.timeout(600)

BUREAUX = 400  # the first bureaux of the Ministry file (several circonscriptions)
REGISTERED, MACRON_VOTES, LE_PEN_VOTES, VOTERS = 7, 25, 32, 10


def _write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _key(row: str) -> tuple[str, str, str]:
    fields = row.split(";")
    return fields[0], fields[4], fields[6]


def night_files(folder: Path) -> dict[str, Any]:
    first = shared_file("fr-presidentielle-2017-rhone-mi/2017-bronze_burvot_t1_rhone_69.csv")
    second = shared_file("fr-presidentielle-2017-rhone-mi/2017-bronze_burvot_t2_rhone_69.csv")
    header1, *rows1 = first.read_text(encoding="utf-8").splitlines()
    header2, *rows2 = second.read_text(encoding="utf-8").splitlines()
    rows1 = rows1[:BUREAUX]
    keys = {_key(row) for row in rows1}
    night = sorted(
        (row for row in rows2 if _key(row) in keys),
        key=lambda row: int(row.split(";")[REGISTERED]),
    )
    quarter = len(night) // 4
    batch_a, batch_b = night[:quarter], night[quarter : 2 * quarter]
    changed = batch_a[0].split(";")  # one vote moved: the arithmetic still holds
    changed[MACRON_VOTES] = str(int(changed[MACRON_VOTES]) - 1)
    changed[LE_PEN_VOTES] = str(int(changed[LE_PEN_VOTES]) + 1)
    wrong = batch_b[0].split(";")  # one voter too many
    wrong[VOTERS] = str(int(wrong[VOTERS]) + 1)
    counted = batch_a + batch_b
    macron = sum(int(row.split(";")[MACRON_VOTES]) for row in night)
    le_pen = sum(int(row.split(";")[LE_PEN_VOTES]) for row in night)
    naive_macron = sum(int(row.split(";")[MACRON_VOTES]) for row in counted)
    naive_le_pen = sum(int(row.split(";")[LE_PEN_VOTES]) for row in counted)
    return {
        "reference": _write(folder / "t1.csv", header1, rows1),
        "a": _write(folder / "lot-a.csv", header2, batch_a),
        "b": _write(folder / "lot-b.csv", header2, batch_b),
        "conflict": _write(folder / "corrige.csv", header2, [*batch_b[1:3], ";".join(changed)]),
        "wrong": _write(folder / "faux.csv", header2, [";".join(wrong)]),
        "sizes": (len(batch_a), len(batch_b), len(night)),
        "final": macron / (macron + le_pen),
        "naive": naive_macron / (naive_macron + naive_le_pen),
        "changed_key": f"69{changed[4]}_{changed[6]}",
    }


def night(settings: Settings, *args: str) -> Any:
    done = run_cli(settings, "night", *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def refused(settings: Settings, *args: str) -> str:
    done = run_cli(settings, "night", *args, "--json")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout.strip() == ""
    return " ".join(done.stderr.split())


def test_a_counting_night_entered_in_batches_and_projected(
    settings: Settings, tmp_path: Path
) -> None:
    files = night_files(tmp_path)
    size_a, size_b, expected = files["sizes"]
    init_campaign(settings, "soiree")
    imported = run_cli(
        settings, "import", "results", str(files["reference"]), "--election", "pres-2017",
        "--round", "1", "--json",
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    enter = ("enter", "--election", "pres-2017", "--round", "2", "--file")

    assert night(settings, *enter, str(files["a"])) == {
        "election": "pres-2017", "round": 2, "file": "lot-a.csv",
        "added": size_a, "confirmed": 0, "entered": size_a,
    }  # fmt: skip
    again = night(settings, *enter, str(files["a"]))  # the same PVs again: confirmations
    assert (again["added"], again["confirmed"], again["entered"]) == (0, size_a, size_a)

    conflict = refused(settings, *enter, str(files["conflict"]))
    assert f"bureau {files['changed_key']} déjà saisi avec d'autres chiffres" in conflict
    assert "lot-a.csv, ligne" in conflict
    assert "corrige.csv, ligne 4" in conflict
    wrong = refused(settings, *enter, str(files["wrong"]))
    assert "faux.csv, ligne 2" in wrong
    assert "votants" in wrong
    assert "≠ blancs + nuls + exprimés" in wrong

    project = ("project", "--election", "pres-2017", "--round", "2")
    projected = night(settings, *project, "--reference", "pres-2017:1", "--territory", "69")
    assert projected["reported_bureaux"] == size_a  # the refused batches wrote nothing

    after_b = night(settings, *enter, str(files["b"]))
    assert (after_b["added"], after_b["entered"]) == (size_b, size_a + size_b)
    projected = night(settings, *project, "--reference", "pres-2017:1", "--territory", "dep:69")
    assert set(projected) == {"reported_bureaux", "expected_bureaux", "candidates"}
    assert projected["reported_bureaux"] == size_a + size_b
    assert projected["expected_bureaux"] == expected == BUREAUX
    names = [candidate["name"] for candidate in projected["candidates"]]
    assert names == ["Emmanuel MACRON", "Marine LE PEN"]
    for candidate in projected["candidates"]:
        assert set(candidate) == {"name", "share", "low", "high"}
        assert all(isinstance(candidate[key], float) for key in ("share", "low", "high"))
        assert 0.0 <= candidate["low"] <= candidate["share"] <= candidate["high"] <= 1.0
    assert sum(c["share"] for c in projected["candidates"]) == pytest.approx(1.0, abs=1e-5)
    macron = projected["candidates"][0]
    error, naive_error = abs(macron["share"] - files["final"]), abs(files["naive"] - files["final"])
    assert error < 0.02, (macron, files["final"])
    assert error < naive_error, (macron, files["final"], files["naive"])

    unknown = refused(settings, *project, "--reference", "pres-2017", "--territory", "69")
    assert "--reference" in unknown
    assert "pres-2022:1" in unknown
