"""The scenario page: législatives round 1 qualified by the rules, withdrawals ticked, a turnout
slider, Monte Carlo probabilities, and the CSV export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from circo.core.models import Campaign
from circo.elections.importing import import_results
from tests.factories import TwoCampaigns, login
from tests.targeting.legislatives_files import ROUND_ONE, write_round_two


@pytest.fixture
def legislatives(session: Session, tmp_path: Path) -> None:
    second = write_round_two(tmp_path / "LG17_BVot_T2_lyon.txt")
    for number, path in ((1, ROUND_ONE), (2, second)):
        import_results(session, path=path, key="leg-2017", round_number=number)
    session.commit()


@pytest.mark.usefixtures("legislatives")
def test_scenario_page_with_withdrawals_turnout_and_csv(
    client: TestClient, world: TwoCampaigns, session: Session
) -> None:
    login(client, world.admin_a.email)
    campaign = session.get(Campaign, world.a.id)
    assert campaign is not None
    campaign.territory_code = "69123"  # a bare commune code, as the campaign form allows
    session.commit()
    empty = client.get("/c/camp-a/targeting/scenario")
    assert empty.status_code == 200
    assert 'type="range"' in empty.text
    # proposed before anything is chosen (not computed): the two rounds, the campaign's commune
    assert 'value="leg-2017:1" selected' in empty.text
    assert 'value="leg-2017:2" selected' in empty.text
    assert 'value="com:69123"' in empty.text
    assert 'data-testid="scenario-table"' not in empty.text
    params = {
        "election": "leg-2017:1",
        "from": "leg-2017:1",
        "to": "leg-2017:2",
        "territory": "dep:69",
        "withdraw": ["Michel HAVARD", "Laure GRANJON"],
        "turnout": "5",
        "draws": "500",
    }
    page = client.get("/c/camp-a/targeting/scenario", params=params)
    assert page.status_code == 200, page.text
    assert 'data-testid="scenario-table"' in page.text
    assert "désisté" in page.text
    assert 'value="Michel HAVARD" checked' in page.text
    export = client.get("/c/camp-a/targeting/scenario", params={**params, "output": "csv"})
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff")), delimiter=";"))
    by_name = {row["candidate"]: row for row in rows}
    assert by_name["Michel HAVARD"]["status"] == "withdrawn"
    total = float(by_name["Anne BRUGNERA"]["win_probability"]) + float(
        by_name["Agnès PERRIN"]["win_probability"]
    )
    assert total == pytest.approx(1.0)
    # a candidate who is not in round 2 of the transfers and did not withdraw: a clear error
    kept = client.get("/c/camp-a/targeting/scenario", params={**params, "withdraw": []})
    assert kept.status_code == 400
    assert "Michel HAVARD" in kept.text


@pytest.mark.usefixtures("legislatives")
def test_every_method_keeps_structural_zeros(session: Session) -> None:
    """Goodman's coefficients are global: the shares shown are those of the unit tables, where a
    69-01 voter never reaches a 69-02 candidate."""
    from circo.targeting.service import estimate_transfers

    result = estimate_transfers(
        session,
        source=("leg-2017", 1),
        target=("leg-2017", 2),
        territory="dep:69",
        method="goodman",
    )
    rows = {name.split()[-1]: i for i, name in enumerate(result.rows)}
    columns = {name.split()[-1]: j for j, name in enumerate(result.columns)}
    for origin, destination in (("HAVARD", "BLEIN"), ("GRANJON", "PERRIN"), ("ROCHE", "BRUGNERA")):
        assert result.shares[rows[origin], columns[destination]] == 0
    assert (result.intervals[..., 0] <= result.shares + 1e-12).all()
