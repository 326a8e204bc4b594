"""Issue 20 in the service layer: comparisons of a file without distinct blank/null ballots and
nuances with no vote (the CLI cases are in ``test_file_truth.py``)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from circo.elections.importing import import_results
from circo.elections.service import evolution

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
