"""``circo field …`` commands: the cut-turfs contract, plans, assignments with alerts, the
printable walk list, the dashboard and the export."""

from __future__ import annotations

import email
import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from circo.cli import app
from circo.config import Settings
from circo.core.jobs import run_pending
from circo.field import alerts  # noqa: F401  (registers the job handlers)
from circo.field.sources import sample_path
from circo.runtime import Runtime
from tests.factories import make_two_campaigns

runner = CliRunner()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_cut_turfs_json_contract(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "field",
            "cut-turfs",
            "--addresses",
            str(sample_path()),
            "--doors-per-turf",
            "50",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"turfs", "unassigned"}
    assert payload["unassigned"] == []
    turf = payload["turfs"][0]
    assert set(turf) == {"id", "bureau", "address_ids", "doors", "walk_m"}
    assert isinstance(turf["doors"], int)
    assert isinstance(turf["walk_m"], float)
    ids = [i for t in payload["turfs"] for i in t["address_ids"]]
    assert len(ids) == len(set(ids)) == 768
    assert {t["bureau"] for t in payload["turfs"]} == {"29039_1", "29039_2", "29039_6"}


def test_cut_turfs_other_bureau_column_and_no_bureau(tmp_path: Path) -> None:
    rows = "id,lat,lon,dwellings,bv\na,47.87,-3.91,3,1\nb,47.871,-3.911,2,1\nc,47.872,-3.912,1,2\n"
    path = _write(tmp_path / "a.csv", rows)
    result = runner.invoke(
        app,
        [
            "field",
            "cut-turfs",
            "--addresses",
            str(path),
            "--doors-per-turf",
            "5",
            "--bureau-column",
            "bv",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    turfs = json.loads(result.stdout)["turfs"]
    assert {t["bureau"] for t in turfs} == {"1", "2"}
    plain = _write(tmp_path / "b.csv", "id,lat,lon\na,47.87,-3.91\nb,47.871,-3.911\n")
    result = runner.invoke(
        app, ["field", "cut-turfs", "--addresses", str(plain), "--doors-per-turf", "2", "--json"]
    )
    assert json.loads(result.stdout)["turfs"][0]["doors"] == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id,lat,lon\na,48.1,nord\n", "line 2"),
        ("id,lat\na,48.1\n", "lon"),
        ("id,lat,lon,dwellings\na,48.1,-1.6,zero\n", "dwellings"),
        ("", "empty"),
    ],
)
def test_cut_turfs_bad_csv_is_one_line_exit_2(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path / "bad.csv", text)
    result = runner.invoke(
        app, ["field", "cut-turfs", "--addresses", str(path), "--doors-per-turf", "50", "--json"]
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(path) in lines[0]
    assert expected in lines[0]


def test_cut_turfs_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "none.csv"
    result = runner.invoke(
        app, ["field", "cut-turfs", "--addresses", str(missing), "--doors-per-turf", "50", "--json"]
    )
    assert result.exit_code == 2
    assert str(missing) in result.stderr


def test_plan_assign_alert_walklist_dashboard_export(
    cli_env: dict[str, str],
    session: Session,
    runtime: Runtime,
    settings: Settings,
    tmp_path: Path,
) -> None:
    make_two_campaigns(session)
    session.close()
    base = ["--campaign", "camp-a"]
    no_reu = runner.invoke(app, ["field", "plan", *base, "--bureaux", "29039_1"])
    assert no_reu.exit_code == 2
    assert "--bureaux" in no_reu.stderr
    planned = runner.invoke(
        app,
        [
            "field",
            "plan",
            *base,
            "--sample",
            "--bureaux",
            "29039_6",
            "--doors-per-turf",
            "50",
            "--json",
        ],
    )
    assert planned.exit_code == 0, planned.output
    turfs = json.loads(planned.stdout)["turfs"]
    assert len(turfs) == 10
    assert all(t["bureau"] == "29039_6" for t in turfs)
    assigned = runner.invoke(
        app,
        [
            "field",
            "assign",
            *base,
            "--turf",
            str(turfs[0]["id"]),
            "--volunteer",
            "volunteer-a@example.org",
            "--date",
            "2030-06-01",
            "--json",
        ],
    )
    assert assigned.exit_code == 0, assigned.output
    assert run_pending(runtime.factory, settings, kinds={"field.alert"}) == 1
    assert run_pending(runtime.factory, settings, kinds={"core.send_mail"}) == 1
    messages = list((settings.data_dir / "outbox").glob("*.eml"))
    assert len(messages) == 1
    message = email.message_from_bytes(messages[0].read_bytes())
    assert message["To"] == "volunteer-a@example.org"
    assert "Votre secteur pour" in str(message["Subject"])
    assert "/c/camp-a/field/app/" in message.get_payload(decode=True).decode()
    pdf = tmp_path / "liste.pdf"
    printed = runner.invoke(
        app, ["field", "walklist", str(turfs[0]["id"]), *base, "--out", str(pdf)]
    )
    assert printed.exit_code == 0, printed.output
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf.stat().st_size > 5000
    dashboard = runner.invoke(app, ["field", "dashboard", *base, "--json"])
    assert json.loads(dashboard.stdout)["turfs"] == 10
    out = tmp_path / "visits.csv"
    exported = runner.invoke(app, ["field", "export", *base, "--out", str(out)])
    assert exported.exit_code == 0
    assert out.read_text().startswith("n° de visite,")
    unknown = runner.invoke(app, ["field", "walklist", "T-404", *base, "--out", str(pdf)])
    assert unknown.exit_code == 2
    assert "T-404" in unknown.stderr


def test_plan_from_imported_reu_addresses(cli_env: dict[str, str], shared_data: Path) -> None:
    """`circo field plan` cuts turfs from the REU points imported by the elections domain."""
    circo_app = app
    runner = CliRunner()
    created = runner.invoke(
        circo_app, ["campaigns", "create", "reu", "--name", "REU", "--admin-email", "r@example.org"]
    )
    assert created.exit_code == 0, created.output
    sample = shared_data / "fr-reu-adresses-sample-29" / "addresses_sample.csv"
    imported = runner.invoke(circo_app, ["import", "reu", str(sample)])
    assert imported.exit_code == 0, imported.output
    planned = runner.invoke(
        circo_app, ["field", "plan", "--bureaux", "29039_1", "--doors-per-turf", "50", "--json"]
    )
    assert planned.exit_code == 0, planned.output
    turfs = json.loads(planned.stdout)["turfs"]
    assert turfs
    assert {turf["bureau"] for turf in turfs} == {"29039_0001"}
    assert sum(turf["doors"] for turf in turfs) > 0


def test_team_assignment_alerts_every_member(runtime: Runtime, data_dir: Path) -> None:
    """A turf given to a team sends the alert to each member's account."""
    from datetime import date, timedelta

    from sqlalchemy import select

    from circo.crm.schemas import VolunteerCreate
    from circo.crm.volunteers import add_team_member, create_team, invite_volunteer
    from circo.field import service
    from circo.field.models import Turf
    from circo.field.sources import addresses_from_csv
    from tests.factories import context, make_campaign

    with runtime.session() as session:
        ctx = context(make_campaign(session, slug="team-camp"))
        team = create_team(session, ctx, name="Lyon 3e")
        for index in range(2):
            volunteer = invite_volunteer(
                session,
                ctx,
                runtime.settings,
                data=VolunteerCreate(email=f"m{index}@example.org", display_name=f"M{index}"),
            )
            add_team_member(session, ctx, team_id=team.id, volunteer_id=volunteer.id)
        service.create_plan(
            session,
            ctx,
            addresses=addresses_from_csv(sample_path()),
            doors_per_turf=50,
            source="sample",
        )
        turf_id = session.scalars(select(Turf.id).order_by(Turf.id)).first()
        service.assign(
            session, ctx, day=date.today() + timedelta(days=3), turf_id=turf_id, team_id=team.id
        )
    run_pending(runtime.factory, runtime.settings, kinds={"core.send_mail"})  # invitations
    before = set((data_dir / "outbox").glob("*.eml"))
    run_pending(runtime.factory, runtime.settings, kinds={"field.alert"})
    run_pending(runtime.factory, runtime.settings, kinds={"core.send_mail"})
    sent = [
        email.message_from_bytes(path.read_bytes())
        for path in set((data_dir / "outbox").glob("*.eml")) - before
    ]
    assert sorted(message["To"] for message in sent) == ["m0@example.org", "m1@example.org"]
