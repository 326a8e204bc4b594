"""Issue 20 in the service layer: comparisons of a file without distinct blank/null ballots and
nuances with no vote (the CLI cases are in ``test_file_truth.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from circo.elections.importing import import_results
from circo.elections.parsers.codes import commune_code
from circo.elections.parsers.errors import ParseError
from circo.elections.parsers.results import read_results
from circo.elections.service import evolution
from circo.runtime import Runtime
from circo.web.app import create_app
from tests.factories import login, make_two_campaigns

DATA = Path(__file__).resolve().parents[1] / "data" / "elections"


def test_evolution_keeps_unknown_blank_and_null_unknown(session: Session) -> None:
    import_results(
        session, path=DATA / "ER14_BVot_outremer_cp1252.txt", key="euro-2014", round_number=1
    )
    import_results(
        session, path=DATA / "LG17_BVot_T1_lyon_cp1252.txt", key="leg-2017", round_number=1
    )
    session.commit()
    change = evolution(session, territory="bv:69123_0104", a=("euro-2014", 1), b=("leg-2017", 1))
    assert change.matched == 1
    assert (change.totals_a["blank"], change.totals_a["null_votes"]) == (None, None)
    assert change.totals_a["blank_and_null"] == 15
    assert (change.totals_b["blank"], change.totals_b["null_votes"]) == (10, 6)
    assert change.totals_b["blank_and_null"] == 16
    # The list with no vote in this bureau (NOUS CITOYENS) is not in the comparison.
    assert list(change.shares_a) == ["PS", "UMP", "FN"]
    assert abs(sum(change.shares_a.values()) - 1) < 1e-9


def test_coverage_of_a_city_file_and_of_a_cut_departemental_file(
    session: Session, tmp_path: Path
) -> None:
    from tests.elections.sample_files import cut_rhone, rhone_bytes, rhone_file

    import_results(session, path=rhone_file(1), key="pres-2017", round_number=1)
    session.commit()
    # One city of the département: compared with the same city, not the whole département.
    lyon = import_results(
        session, path=cut_rhone(tmp_path, round_number=2), key="pres-2017", round_number=2
    )
    session.commit()
    assert lyon.coverage is not None
    assert (lyon.coverage["expected_stations"], lyon.coverage["alert"]) == (294, None)
    # The départemental file cut at a line end after 1 000 bureaux (248 of its 280 communes).
    lines = rhone_bytes(2).decode("utf-8").splitlines(keepends=True)
    cut = tmp_path / "pres2017_t2_rhone69.csv"
    cut.write_text("".join(lines[:1001]), encoding="utf-8")
    report = import_results(session, path=cut, key="pres-2017", round_number=2)
    session.commit()
    assert report.coverage is not None
    assert report.coverage["expected_stations"] == 1287
    assert report.coverage["alert"] == (
        "1\u202f000 bureaux sur 1\u202f287 attendus (d'après pres-2017 tour 1) — fichier tronqué ?"
    )
    assert any("fichier tronqué" in warning for warning in report.warnings)


@pytest.mark.parametrize(
    ("department", "commune", "expected"),
    [
        ("977", "701", ("977", "97701")),  # Saint-Barthélemy
        ("977", "801", ("978", "97801")),  # Saint-Martin filed under 977 (européennes 2014)
        ("978", "801", ("978", "97801")),
        ("ZX", "701", ("977", "97701")),
        ("ZX", "801", ("978", "97801")),
        ("977", "97801", ("978", "97801")),
        ("975", "502", ("975", "97502")),
        ("ZS", "501", ("975", "97501")),
        ("986", "613", ("986", "98613")),
        ("ZW", "611", ("986", "98611")),
        ("ZP", "735", ("987", "98735")),
        ("ZN", "818", ("988", "98818")),
        ("ZA", "101", ("971", "97101")),
        ("ZM", "611", ("976", "97611")),
        ("ZZ", "1", ("99", "99001")),
    ],
)
def test_official_codes_of_overseas_and_abroad(
    department: str, commune: str, expected: tuple[str, str]
) -> None:
    assert commune_code(department, commune) == expected


def test_long_layout_with_a_misspelled_total_is_refused(tmp_path: Path) -> None:
    source = Path(__file__).parent / "data" / "pr12_long_both_rounds_latin1.txt"
    content = source.read_bytes().decode("latin-1")
    bad = tmp_path / "pr12_long.txt"
    bad.write_bytes(content.replace(";Votants;", ";Votnats;", 1).encode("latin-1"))
    with pytest.raises(ParseError, match="« Votnats » inconnue : « Votants » mal orthographié"):
        read_results(bad)


def test_pages_say_blank_and_null_are_not_distinguished(session: Session, runtime: Runtime) -> None:
    make_two_campaigns(session)
    import_results(
        session, path=DATA / "ER14_BVot_outremer_cp1252.txt", key="euro-2014", round_number=1
    )
    import_results(
        session, path=DATA / "LG17_BVot_T1_lyon_cp1252.txt", key="leg-2017", round_number=1
    )
    session.commit()
    with TestClient(create_app(runtime.settings, runtime=runtime)) as client:
        login(client, "admin-a@example.org")
        base = "/c/camp-a/elections"
        page = client.get(
            f"{base}/results",
            params={"election": "euro-2014", "round": 1, "territory": "com:69123"},
        )
        assert page.status_code == 200
        assert "blancs et nuls (non distingués)" in page.text
        assert "NOUS CITOYENS" in page.text
        bureau = client.get(f"{base}/bureau/69123_0104")
        assert bureau.status_code == 200
        assert "blancs et nuls (non distingués)" in bureau.text
        # The list with no vote in bureau 0104 is not listed there (it is in the city's table).
        euro = bureau.text.split("euro-2014")[1].split("</section>")[0]
        assert "NOUS CITOYENS" not in euro
        distinct = client.get(
            f"{base}/results",
            params={"election": "leg-2017", "round": 1, "territory": "com:69123"},
        )
        assert distinct.status_code == 200
        assert "non distingués" not in distinct.text
