"""The PV arithmetic checks (each rule names the bureau, the place and the figures at fault),
a batch refused as a whole, and the projection on data whose truth is known."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.analysis.projection import NightProjection
from circo.core.tenancy import system_context
from circo.electionday.errors import PvConflict, PvRefused
from circo.electionday.models import NightResult, PvSource
from circo.electionday.pv import Pv, PvVotes, check_pv
from circo.electionday.service import enter_pvs
from tests.factories import make_campaign

GOOD = Pv(
    station_key="69123_0101",
    commune_code="69123",
    commune_name="Lyon",
    department_code="69",
    constituency_code="69-01",
    registered=1000,
    voters=700,
    blank=12,
    null_votes=8,
    valid_votes=680,
    candidates=(PvVotes("A", None, 400), PvVotes("B", None, 280)),
    where="pv.csv, ligne 2",
)


def test_a_pv_whose_arithmetic_holds_passes() -> None:
    check_pv(GOOD)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"voters": 701}, "votants (701) ≠ blancs + nuls + exprimés (12 + 8 + 680 = 700)"),
        (
            {"candidates": (PvVotes("A", None, 400), PvVotes("B", None, 279))},
            "somme des voix des candidats (679) ≠ exprimés (680)",
        ),
        ({"registered": 699}, "votants (700) > inscrits (699)"),
        ({"blank": -1, "null_votes": 21}, "blancs négatifs (-1)"),
    ],
)
def test_each_pv_rule_names_the_bureau_the_line_and_the_figures(
    change: dict[str, object], expected: str
) -> None:
    with pytest.raises(PvRefused) as refused:
        check_pv(replace(GOOD, **change))  # type: ignore[arg-type]
    assert refused.value.loc == "pv.csv, ligne 2"
    assert refused.value.message == f"bureau 69123_0101 : {expected}"


def test_a_batch_is_written_whole_or_not_at_all(session: Session) -> None:
    ctx = system_context(make_campaign(session, slug="nuit"))
    other = replace(GOOD, station_key="69123_0102", where="pv.csv, ligne 3")
    twice = replace(GOOD, voters=699, valid_votes=679, where="pv.csv, ligne 4",
                    candidates=(PvVotes("A", None, 399), PvVotes("B", None, 280)))  # fmt: skip
    with pytest.raises(PvConflict) as conflict:
        enter_pvs(session, ctx, election="pres-2027", round_number=1,
                  pvs=[GOOD, other, twice], source=PvSource.file)  # fmt: skip
    assert "pv.csv, ligne 2" in conflict.value.message
    assert "pv.csv, ligne 4" in conflict.value.message
    assert session.scalar(select(func.count()).select_from(NightResult)) == 0
    report = enter_pvs(session, ctx, election="pres-2027", round_number=1,
                       pvs=[GOOD, other], source=PvSource.phone)  # fmt: skip
    assert report.as_dict() == {"added": 2, "confirmed": 0, "entered": 2}


def test_the_projection_beats_the_running_total_when_small_bureaux_report_first() -> None:
    rng = np.random.default_rng(3)
    bureaux = 600
    reference = rng.dirichlet([4.0, 3.0, 2.0], size=bureaux)
    registered = np.sort(rng.integers(100, 1500, size=bureaux).astype(float))
    # big bureaux lean to the first party (in the reference as tonight): reporting is biased
    reference = reference[np.argsort(reference[:, 0] + rng.normal(0, 0.05, bureaux))]
    share_a = np.clip(0.2 + 0.7 * reference[:, 0] + rng.normal(0, 0.02, bureaux), 0, 1)
    valid = np.round(registered * 0.7)
    votes = np.column_stack([np.round(valid * share_a), valid - np.round(valid * share_a)])
    rate = np.full(bureaux, 0.7)
    order = np.argsort(registered)
    counted, left = order[:120], order[120:]
    final = votes.sum(axis=0) / votes.sum()
    model = NightProjection(n_boot=100, random_state=0).fit(
        reference_shares=reference[counted], reference_rate=rate[counted],
        registered=registered[counted], votes=votes[counted],
    )  # fmt: skip
    result = model.project(
        reference_shares=reference[left], reference_rate=rate[left], registered=registered[left]
    )
    assert abs(result.shares[0] - final[0]) < 0.015
    assert abs(result.shares[0] - final[0]) < abs(result.naive[0] - final[0])
    assert result.low[0] <= final[0] <= result.high[0]


def test_anomalies_flag_a_bureau_far_from_its_history() -> None:
    from circo.electionday.live import anomalies

    def night(key: str, registered: int, valid: int) -> NightResult:
        return NightResult(station_key=key, registered=registered, valid_votes=valid)

    # every bureau lost 5 points of expressed votes since the reference, except one (−30)
    rows = [night(f"69001_000{n}", 1000, 650) for n in range(1, 6)]
    rows.append(night("69001_0009", 1000, 400))
    rows.append(night("69001_0010", 1300, 845))  # 30 % more registered than in the reference
    reference = {row.station_key: (1000, 700, "69") for row in rows}
    flagged = {(a["station"], a["kind"]) for a in anomalies(rows, reference)}
    assert flagged == {("69001_0009", "turnout"), ("69001_0010", "registered")}
