"""Coverage of a partly imported territory: the 2022 file of the Rhône holds Lyon's 305 bureaux
only; the Rhône has 1 287 in 2017. The results page and the territory sheet say so."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from circo.core.tenancy import system_context
from circo.elections.importing import import_results
from circo.maps.coverage import results_coverage
from circo.maps.sheet import build_sheet, render_html
from circo.runtime import Runtime
from circo.web.app import create_app
from tests.data_files import demo_file
from tests.factories import login, make_two_campaigns


def test_partial_import_shows_its_coverage(session: Session, runtime: Runtime) -> None:
    world = make_two_campaigns(session)
    import_results(
        session, path=demo_file("pres2017_t1_rhone69_mi.csv.gz"), key="pres-2017", round_number=1
    )
    import_results(
        session, path=demo_file("pres2022_t1_lyon69123_mi.csv.gz"), key="pres-2022", round_number=1
    )
    session.commit()

    partial = results_coverage(session, territory="dep:69", key="pres-2022", round_number=1)
    assert partial is not None
    assert (partial.present, partial.known) == (305, 1287)
    assert (
        partial.sentence()
        == "305 bureaux sur 1\u202f287 connus dans ce territoire (pres-2017 tour 1)"
    )
    # Complete imports say nothing: the 2017 file itself, and Lyon in 2022.
    assert results_coverage(session, territory="dep:69", key="pres-2017", round_number=1) is None
    lyon = results_coverage(session, territory="com:69123", key="pres-2022", round_number=1)
    assert lyon is None or lyon.present >= 293  # 12 Lyon bureaux of 2022 are new

    html = render_html(build_sheet(session, territory="dep:69", ctx=system_context(world.a)))
    assert "pres-2022 tour 1 : couverture partielle, 305 bureaux sur 1\u202f287" in html
    session.commit()  # end the read: the pages below write (login)

    with TestClient(create_app(runtime.settings, runtime=runtime)) as client:
        login(client, "admin-a@example.org")
        page = client.get(
            "/c/camp-a/elections/results",
            params={"election": "pres-2022", "round": 1, "territory": "dep:69"},
        )
        assert page.status_code == 200
        assert "Couverture partielle : 305 bureaux sur 1\u202f287" in page.text
        full = client.get(
            "/c/camp-a/elections/results",
            params={"election": "pres-2017", "round": 1, "territory": "dep:69"},
        )
        assert full.status_code == 200
        assert "Couverture partielle" not in full.text
