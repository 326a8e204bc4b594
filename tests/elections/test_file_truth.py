"""Official files imported as they are, or refused with nothing changed (issue 20).

Every test runs `circo` as a subprocess on a fresh data dir, on SQLite and on PostgreSQL, with the
synthetic files of ``tests/data/elections`` (real Ministry layouts, made-up numbers; see its
README). A refused import must leave the previous data exactly as it was: the tests compare a dump
of every ``el_*`` table before and after.
"""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text

from circo.config import Settings
from tests.server import run_cli

DATA = Path(__file__).resolve().parents[1] / "data" / "elections"
EUR14 = DATA / "ER14_BVot_outremer_cp1252.txt"
LEG17 = DATA / "LG17_BVot_T1_lyon_cp1252.txt"
PR17_T2 = DATA / "PR17_BVot_T2_lyon_cp1252.txt"
AKTIUR = Path(__file__).parent / "data" / "pr17_t1_aktiur_large.csv"


def dump(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every elections table, in a stable order."""
    engine = create_engine(settings.effective_database_url)
    try:
        with engine.connect() as connection:
            names = sorted(n for n in inspect(connection).get_table_names() if n.startswith("el_"))
            found = {}
            for name in names:
                rows = connection.execute(text(f"SELECT * FROM {name}")).all()
                found[name] = sorted((tuple(row) for row in rows), key=repr)
            return found
    finally:
        engine.dispose()


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(settings, *args)


def import_file(
    settings: Settings, path: Path, election: str, round_number: int = 1, *extra: str
) -> subprocess.CompletedProcess[str]:
    return cli(
        settings,
        "import",
        "results",
        str(path),
        "--election",
        election,
        "--round",
        str(round_number),
        *extra,
    )


def ok_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr + result.stdout
    return json.loads(result.stdout)


def results(settings: Settings, territory: str, election: str, round_number: int = 1) -> Any:
    return ok_json(
        cli(
            settings,
            "results",
            territory,
            "--election",
            election,
            "--round",
            str(round_number),
            "--json",
        )
    )


def refused(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Exit 2 with a message naming every needle (and never a bare "Aborted.")."""
    output = result.stderr + result.stdout
    assert result.returncode == 2, output
    for needle in needles:
        assert needle in output, (needle, output)
    assert "Aborted" not in output
    return output


def many_bureaux(copies: int) -> str:
    """The législatives fixture repeated with new bureau codes (``0101`` → ``1101``…)."""
    lines = LEG17.read_bytes().decode("cp1252").split("\r\n")
    rows = [lines[0]]
    for number in range(copies):
        for line in lines[1:]:
            if line:
                cells = line.split(";")
                cells[6] = f"{int(cells[6]) + 1000 * number:04d}"
                rows.append(";".join(cells))
    return "\r\n".join(rows) + "\r\n"


def rewrite(source: Path, target: Path, old: str, new: str, *, header_only: bool = True) -> Path:
    content = source.read_bytes().decode("cp1252")
    header, _, rest = content.partition("\r\n")
    if header_only:
        assert old in header
        header = header.replace(old, new, 1)
    else:
        rest = rest.replace(old, new)
    target.write_bytes(f"{header}\r\n{rest}".encode("cp1252"))
    return target


# --- every real code, what the file says ---------------------------------------------------


def test_overseas_and_abroad_get_their_official_codes(settings: Settings) -> None:
    report = ok_json(import_file(settings, EUR14, "euro-2014", 1, "--json"))
    assert report["stations"] == 26
    assert report["warning_count"] == 0
    keys = {row[2] for row in dump(settings)["el_station_results"]}
    overseas = {
        "97101_0001", "97102_0001", "97209_0001", "97302_0001", "97411_0001", "97611_0001",
        "97501_0001", "97502_0001",
        "97701_0001",  # Saint-Barthélemy
        "97801_0001", "97801_0002",  # Saint-Martin, as 977/801 and ZX/801: not 97701
        "98611_0001", "98613_0001", "98711_0001", "98735_0001", "98801_0001", "98818_0001",
        "99001_0001",
    }  # fmt: skip
    assert keys == overseas | {f"69123_{n:04d}" for n in (101, 102, 103, 104, 201, 202, 203, 204)}
    assert results(settings, "dep:978", "euro-2014")["stations"] == 2
    assert results(settings, "com:97701", "euro-2014")["stations"] == 1


def test_combined_blank_and_null_is_kept_as_the_file_says(settings: Settings) -> None:
    ok_json(import_file(settings, EUR14, "euro-2014", 1, "--json"))
    paris = results(settings, "bv:69123_0101", "euro-2014")
    assert (paris["blank"], paris["null_votes"], paris["blank_and_null"]) == (None, None, 9)
    assert paris["voters"] == paris["valid_votes"] + 9
    lyon = results(settings, "com:69123", "euro-2014")
    assert lyon["blank"] is None
    assert lyon["null_votes"] is None
    assert lyon["blank_and_null"] == 9 + 11 + 13 + 15 + 12 + 14 + 16 + 18
    # No "0,0 %" blank-rate map: the indicator is refused, naming the combined one.
    out = cli(
        settings, "map", "com:69123", "--out", str(settings.data_dir / "blank.svg"),
        "--election", "euro-2014", "--round", "1", "--indicator", "blank_rate",
    )  # fmt: skip
    refused(out, "non distingués", "blank_and_null_rate")
    # A file that tells them apart: both kept, and their sum.
    ok_json(import_file(settings, LEG17, "leg-2017", 1, "--json"))
    leg = results(settings, "bv:69123_0101", "leg-2017")
    assert (leg["blank"], leg["null_votes"], leg["blank_and_null"]) == (7, 3, 10)


def test_a_list_with_no_vote_in_a_bureau_is_not_listed_there(settings: Settings) -> None:
    ok_json(import_file(settings, EUR14, "euro-2014", 1, "--json"))
    bureau = results(settings, "bv:69123_0104", "euro-2014")
    assert [c["name"] for c in bureau["candidates"]] == ["PS", "UMP", "FN"]
    assert all(c["votes"] > 0 for c in bureau["candidates"])
    lyon = results(settings, "com:69123", "euro-2014")
    assert len(lyon["candidates"]) == 4


def test_europeennes_inherit_the_circonscriptions_of_the_period(settings: Settings) -> None:
    ok_json(import_file(settings, LEG17, "leg-2017", 1, "--json"))
    report = ok_json(import_file(settings, EUR14, "euro-2014", 1, "--json"))
    assert report["constituencies_from"] == "leg-2017 tour 1"
    first = results(settings, "circ:69-01", "euro-2014")
    second = results(settings, "circ:69-02", "euro-2014")
    assert (first["stations"], second["stations"]) == (4, 4)
    lyon = results(settings, "com:69123", "euro-2014")
    assert first["registered"] + second["registered"] == lyon["registered"]
    # Bureaux the other election does not know keep no circonscription.
    missing = cli(settings, "results", "circ:977-01", "--election", "euro-2014", "--round", "1")
    assert missing.returncode == 2


# --- silent corruption: refused, nothing changed --------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("Inscrits", "Inscritz", "« Inscrits »"),
        ("Exprimés", "Exprimmés", "« Exprimés »"),
        ("Votants", "Votans", "« Votants »"),
        ("Blancs;", "Blancz;", "« Blancs »"),
        ("Nuls;", "Nul s;", "« Nuls »"),
    ],
)
def test_a_misspelled_total_is_refused_naming_the_closest_name(
    settings: Settings, tmp_path: Path, old: str, new: str, expected: str
) -> None:
    ok_json(import_file(settings, LEG17, "leg-2017", 1, "--json"))
    before = dump(settings)
    bad = rewrite(LEG17, tmp_path / "LG17_BVot_T1_lyon.txt", old, new)
    out = refused(import_file(settings, bad, "leg-2017", 1), "LG17_BVot_T1_lyon.txt", expected)
    assert new.rstrip(";") in out
    assert dump(settings) == before


def test_a_missing_total_or_a_misspelled_one_in_the_large_layout_is_refused(
    settings: Settings, tmp_path: Path
) -> None:
    good = tmp_path / "pr17_t1_large.csv"
    good.write_bytes(AKTIUR.read_bytes())
    ok_json(import_file(settings, good, "pres-2017", 1, "--json"))
    before = dump(settings)
    content = AKTIUR.read_text(encoding="utf-8")
    misspelled = tmp_path / "pr17_t1_misspelled.csv"
    misspelled.write_text(content.replace(",exprimes,", ",exprimez,", 1), encoding="utf-8")
    refused(import_file(settings, misspelled, "pres-2017"), "exprimez", "« Exprimés »")
    header, _, rest = content.partition("\n")
    columns = header.split(",")
    index = columns.index("inscrits")
    rows = [line.split(",") for line in rest.splitlines() if line]
    without = tmp_path / "pr17_t1_no_registered.csv"
    without.write_text(
        "\n".join(",".join(cells[:index] + cells[index + 1 :]) for cells in [columns, *rows])
        + "\n",
        encoding="utf-8",
    )
    refused(import_file(settings, without, "pres-2017"), "total obligatoire", "« Inscrits »")
    assert dump(settings) == before


def test_a_few_inconsistent_rows_warn_with_their_lines_many_are_refused(
    settings: Settings, tmp_path: Path
) -> None:
    lines = LEG17.read_bytes().decode("cp1252").split("\r\n")
    # Line 3: votants raised by one (voters ≠ blank + null + expressed).
    cells = lines[2].split(";")
    cells[10] = str(int(cells[10]) + 1)
    cells[8] = str(int(cells[8]) - 1)
    few = tmp_path / "LG17_BVot_T1_few.txt"
    few.write_bytes("\r\n".join([*lines[:2], ";".join(cells), *lines[3:]]).encode("cp1252"))
    plain = import_file(settings, few, "leg-2017", 1)
    assert plain.returncode == 0, plain.stderr
    assert "ligne 3" in plain.stderr + plain.stdout
    report = ok_json(import_file(settings, few, "leg-2017", 1, "--json"))
    assert report["warning_count"] == 1
    assert report["warnings"][0].startswith("LG17_BVot_T1_few.txt, ligne 3 : ")
    before = dump(settings)
    # Every row: Σ voix ≠ exprimés (a shifted column), on more bureaux than tolerated.
    many_rows = [lines[0]]
    for number in range(1, 40):
        for line in lines[1:]:
            if not line:
                continue
            cells = line.split(";")
            cells[6] = f"{int(cells[6]) + 1000 * number:04d}"
            cells[18] = str(int(cells[18]) + 5)
            many_rows.append(";".join(cells))
    many = tmp_path / "LG17_BVot_T1_many.txt"
    many.write_bytes(("\r\n".join(many_rows) + "\r\n").encode("cp1252"))
    refused(import_file(settings, many, "leg-2017", 1), "LG17_BVot_T1_many.txt", "incohérents")
    assert dump(settings) == before


def test_a_contradiction_between_file_and_command_is_refused_unless_forced(
    settings: Settings, tmp_path: Path
) -> None:
    ok_json(import_file(settings, LEG17, "leg-2017", 1, "--json"))
    before = dump(settings)
    # The name says round 2 (PR17_BVot_T2): refused as round 1, naming both.
    refused(import_file(settings, PR17_T2, "pres-2017", 1), "tour 2", "--round 1")
    # A présidentielle file under a législatives id, and the other way round.
    refused(import_file(settings, PR17_T2, "leg-2017", 2), "présidentielle", "leg-2017")
    anonymous = tmp_path / "bureaux.txt"
    anonymous.write_bytes(PR17_T2.read_bytes())
    refused(import_file(settings, anonymous, "pres-2017", 1), "2 candidats", "--round 1")
    leg_without_name = tmp_path / "resultats.txt"
    leg_without_name.write_bytes(LEG17.read_bytes())
    refused(import_file(settings, leg_without_name, "pres-2017", 1), "présidentielle")
    refused(import_file(settings, PR17_T2, "pres-2012", 2), "2017", "2012")
    refused(import_file(settings, EUR14, "euro-2014", 2), "qu'un tour")
    # A data.gouv 2024 file (numbered headers): its name says round 2.
    numbered = Path(__file__).parent / "data" / "leg24_t2_numbered.csv"
    refused(import_file(settings, numbered, "leg-2024", 1), "tour 2", "--round 1")
    assert dump(settings) == before
    forced = ok_json(import_file(settings, PR17_T2, "pres-2017", 1, "--force", "--json"))
    assert forced["stations"] == 8
    ok_json(import_file(settings, PR17_T2, "pres-2017", 2, "--json"))


def test_read_errors_name_the_file_and_change_nothing(settings: Settings, tmp_path: Path) -> None:
    ok_json(import_file(settings, LEG17, "leg-2017", 1, "--json"))
    before = dump(settings)
    packed = gzip.compress(many_bureaux(9).encode("cp1252"))
    cut = tmp_path / "LG17_BVot_T1_lyon.txt.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    refused(import_file(settings, cut, "leg-2017", 1), "LG17_BVot_T1_lyon.txt.gz", "tronquée")
    refused(import_file(settings, tmp_path / "absent.txt", "leg-2017", 1), "absent.txt")
    latin = tmp_path / "LG17_utf8_then_latin1.txt"
    content = LEG17.read_bytes().decode("cp1252")
    latin.write_bytes(content.encode("utf-8") + b"x" * (1 << 20) + "é;".encode("latin-1"))
    refused(import_file(settings, latin, "leg-2017", 1), "LG17_utf8_then_latin1.txt", "encodage")
    assert dump(settings) == before


def test_a_cut_file_reports_its_coverage_loudly(settings: Settings, tmp_path: Path) -> None:
    ok_json(import_file(settings, LEG17, "leg-2017", 1, "--json"))
    lines = PR17_T2.read_bytes().decode("cp1252").split("\r\n")
    cut = tmp_path / "PR17_BVot_T2_69.txt"
    cut.write_bytes(("\r\n".join(lines[:4]) + "\r\n").encode("cp1252"))
    shown = import_file(settings, cut, "pres-2017", 2)
    assert shown.returncode == 0, shown.stderr
    assert "ATTENTION" in shown.stderr + shown.stdout
    assert "3 bureaux sur 8 attendus" in shown.stderr + shown.stdout
    report = ok_json(import_file(settings, cut, "pres-2017", 2, "--json"))
    assert report["coverage"]["expected_stations"] == 8
    assert report["coverage"]["reference"] == "leg-2017 tour 1"
    assert "fichier tronqué" in report["coverage"]["alert"]
    complete = ok_json(import_file(settings, PR17_T2, "pres-2017", 2, "--json"))
    assert complete["coverage"]["alert"] is None
    # A national file (its name says « FE ») without most départements.
    national = tmp_path / "ER14_BVot_FE.txt"
    national.write_bytes(EUR14.read_bytes())
    report = ok_json(import_file(settings, national, "euro-2014", 1, "--json"))
    assert "01" in report["coverage"]["missing_departments"]
    assert "69" not in report["coverage"]["missing_departments"]
    assert "fichier national sans" in report["coverage"]["alert"]


def test_coverage_against_the_communes_of_the_cog(settings: Settings, tmp_path: Path) -> None:
    """With INSEE's COG imported, a file covering a département as a whole is compared with
    the communes the COG lists there; an old (délégué) code counts for its commune."""
    cog = tmp_path / "v_commune_2024.csv"
    cog.write_text(
        "TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT\n"
        "COM,69123,84,69,69D,691,0,LYON,Lyon,Lyon,6999,\n"
        "COM,69264,84,69,69D,691,0,VILLEURBANNE,Villeurbanne,Villeurbanne,6999,\n"
        "COMD,69999,84,69,69D,691,0,ANCIENNE,Ancienne,Ancienne,,69264\n",
        encoding="utf-8",
    )
    ok_json(cli(settings, "import", "insee", str(cog), "--json"))
    report = ok_json(import_file(settings, LEG17, "leg-2017", 1, "--json"))
    assert report["coverage"]["cog_communes"] == 2
    assert report["coverage"]["missing_communes"] == 1
    assert "1\u00a0commune sur 2 listées par le COG" in report["coverage"]["alert"]
    assert "(69 : 1)" in report["coverage"]["alert"]
    shown = import_file(settings, LEG17, "leg-2017", 1)
    assert "ATTENTION" in shown.stderr + shown.stdout
    # The same file with half of its bureaux filed under the old code of Villeurbanne.
    lines = LEG17.read_bytes().decode("cp1252").split("\r\n")
    body = [line for line in lines[1:] if line]
    moved = [line.replace(";123;Lyon;", ";999;Ancienne;", 1) for line in body[: len(body) // 2]]
    both = tmp_path / "LG17_BVot_T1_69.txt"
    both.write_bytes("\r\n".join([lines[0], *moved, *body[len(body) // 2 :], ""]).encode("cp1252"))
    report = ok_json(import_file(settings, both, "leg-2017", 1, "--json"))
    assert report["coverage"]["missing_communes"] == 0
    assert report["coverage"]["alert"] is None


def test_a_map_without_contours_exits_2_naming_what_to_import(
    settings: Settings, tmp_path: Path
) -> None:
    ok_json(import_file(settings, LEG17, "leg-2017", 1, "--json"))
    out = tmp_path / "carte.svg"
    result = cli(
        settings, "map", "com:69123", "--out", str(out), "--election", "leg-2017", "--round", "1"
    )
    refused(result, "aucun contour", "com:69123", "circo import geo")
    assert not out.exists()


def _bureau_contours(folder: Path) -> Path:
    """Made-up squares for the 8 bureaux of the fixtures (WGS84, around Lyon)."""
    features = []
    for index, number in enumerate((101, 102, 103, 104, 201, 202, 203, 204)):
        x, y = 4.80 + 0.01 * (index % 4), 45.75 + 0.01 * (index // 4)
        ring = [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]
        features.append(
            {
                "type": "Feature",
                "properties": {"codeBureauVote": f"69123_{number:04d}", "codeCommune": "69123"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    path = folder / "bureaux_lyon.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_parties_are_searched_by_name_in_map_and_target(settings: Settings, tmp_path: Path) -> None:
    ok_json(import_file(settings, LEG17, "leg-2017", 1, "--json"))
    geo = cli(settings, "import", "geo", str(_bureau_contours(tmp_path)), "--kind", "bureaux")
    assert geo.returncode == 0, geo.stderr
    drawn = {}
    for wanted in ("La République en marche", "LREM", "REM"):
        out = tmp_path / f"{wanted.replace(' ', '_')}.svg"
        result = cli(
            settings, "map", "circ:69-01", "--out", str(out), "--election", "leg-2017",
            "--round", "1", "--indicator", f"share:{wanted}",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        svg = out.read_text(encoding="utf-8")
        drawn[wanted] = sorted(
            part.split("</title>")[0].split(" — ")[1] for part in svg.split("<title>")[1:]
            if part.startswith("Bureau ")
        )  # fmt: skip
    assert drawn["La République en marche"] == drawn["REM"] == drawn["LREM"]
    assert len(drawn["REM"]) == 4
    assert "sans donnée" not in " ".join(drawn["REM"])
    unknown = cli(
        settings, "map", "circ:69-01", "--out", str(tmp_path / "x.svg"), "--election",
        "leg-2017", "--round", "1", "--indicator", "share:Parti imaginaire",
    )  # fmt: skip
    refused(unknown, "Parti imaginaire")
    for wanted in ("La République en marche", "REM"):
        target = ok_json(
            cli(
                settings,
                "target",
                "--election",
                "leg-2017:1",
                "--territory",
                "circ:69-02",
                "--candidate",
                wanted,
                "--json",
            )
        )
        assert target["candidate"] == "Yves BLEIN"  # the REM candidate of the 2nd circonscription
