"""Leaflet drop rounds and poster boards as services, on SQLite and PostgreSQL: a round cut on
the letterboxes of chosen bureaux, "done" per building idempotent, coverage per bureau; boards
made from the imported bureaux of a commune, a check with a photo (type and size checked,
metadata dropped), rounds of checks scoping what a volunteer may record; and the JSON API."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.core.audit import Actor
from circo.core.models import Role
from circo.core.tenancy import CampaignContext, system_context
from circo.elections.models import ReuAddress, Territory
from circo.errors import CircoError, NotFound, PermissionDenied
from circo.field import sources
from circo.reach import drops, posters
from circo.reach.models import DropDone, PosterBoard, PosterCheck
from tests.factories import login, make_two_campaigns

SAMPLE_BUREAU = "29039_6"


def _addresses() -> list[sources.Address]:
    return sources.addresses_from_csv(sources.sample_path())


def _volunteer_ctx(ctx: CampaignContext, user_id: int, email: str) -> CampaignContext:
    return CampaignContext(ctx.campaign, Role.volunteer, Actor(user_id=user_id, email=email))


def test_drop_round_done_per_building_and_coverage(session: Session) -> None:
    world = make_two_campaigns(session)
    ctx = system_context(world.a)
    drop = drops.create_round(
        session,
        ctx,
        leaflet="Programme municipal",
        bureaux=[SAMPLE_BUREAU],
        addresses=_addresses(),
        source="demo",
        letterboxes_per_turf=200,
    )
    session.commit()
    detail = drops.round_json(session, ctx, drop.id)
    buildings = [b for turf in detail["turfs"] for b in turf["buildings"]]
    assert len(detail["turfs"]) >= 2
    assert sum(b["letterboxes"] for b in buildings) == drop.letterboxes > 0
    first, second = buildings[0], buildings[1]

    volunteer = _volunteer_ctx(ctx, world.volunteer_a.id, world.volunteer_a.email)
    assert drops.mark_done(session, volunteer, round_id=drop.id, building=first["id"]).status == (
        "created"
    )
    assert drops.mark_done(session, ctx, round_id=drop.id, building=first["id"]).status == (
        "duplicate"
    )
    results = drops.sync_done(
        session,
        volunteer,
        round_id=drop.id,
        items=[{"building": second["id"]}, {"building": second["id"]}, {"building": 10**9}],
    )
    assert [r["status"] for r in results] == ["created", "duplicate", "rejected"]
    assert "immeuble" in results[2]["message"]
    session.commit()

    rows = session.scalar(select(func.count()).select_from(DropDone))
    assert rows == 2
    result = drops.coverage(session, ctx, drop.id)
    reached = first["letterboxes"] + second["letterboxes"]
    assert result["letterboxes"] == {"reached": reached, "total": drop.letterboxes}
    assert result["buildings"]["done"] == 2
    assert [row["bureau"] for row in result["bureaux"]] == [SAMPLE_BUREAU]
    assert result["bureaux"][0]["reached"] == reached

    other = system_context(world.b)
    with pytest.raises(NotFound):
        drops.coverage(session, other, drop.id)
    with pytest.raises(NotFound):
        drops.mark_done(session, other, round_id=drop.id, building=first["id"])
    with pytest.raises(PermissionDenied):
        drops.create_round(
            session, volunteer, leaflet="x", bureaux=[SAMPLE_BUREAU], addresses=_addresses()
        )


def test_drop_round_refusals_name_the_field(session: Session) -> None:
    world = make_two_campaigns(session)
    ctx = system_context(world.a)
    with pytest.raises(CircoError) as no_targeting:
        drops.parse_bureaux(session, ctx, "5")
    assert no_targeting.value.loc == "bureaux"
    assert "ciblage" in no_targeting.value.message
    with pytest.raises(CircoError) as empty:
        drops.create_round(session, ctx, leaflet=" ", bureaux=[SAMPLE_BUREAU])
    assert empty.value.loc == "leaflet"
    assert drops.parse_bureaux(session, ctx, "29039_1, 29039_2") == ["29039_1", "29039_2"]


def _import_bureaux(session: Session) -> None:
    """Two bureaux of Concarneau in the reference data, one with REU points (Lambert-93)."""
    session.add_all(
        [
            Territory(key="bv:29039_0001", level="bv", code="29039_0001", name="Mairie"),
            Territory(key="bv:29039_0002", level="bv", code="29039_0002", name="École du Rouz"),
            ReuAddress(station_key="29039_0001", commune_code="29039", x=179_000.0, y=6_770_000.0),
            ReuAddress(station_key="29039_0001", commune_code="29039", x=179_100.0, y=6_770_100.0),
        ]
    )
    session.commit()


def _photo(kind: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    image.save(buffer, format=kind, exif=exif) if kind == "JPEG" else image.save(buffer, kind)
    return buffer.getvalue()


def test_poster_boards_checks_photos_and_rounds(session: Session, data_dir: Path) -> None:
    world = make_two_campaigns(session)
    _import_bureaux(session)
    ctx = system_context(world.a)
    created = posters.create_boards(session, ctx, commune="29039", number=7)
    assert created.as_json() == {
        "commune": "29039",
        "number": 7,
        "created": 2,
        "updated": 0,
        "boards": 2,
    }
    again = posters.create_boards(session, ctx, commune="29039", number=8)
    assert (again.created, again.updated) == (0, 2)
    session.commit()
    boards = posters.list_boards(session, ctx, commune="29039")
    assert [(b.bureau, b.number, str(b.status)) for b in boards] == [
        ("29039_0001", 8, "pending"),
        ("29039_0002", 8, "pending"),
    ]
    located, unlocated = boards
    assert located.lat is not None
    assert 47 < located.lat < 49
    assert unlocated.lat is None

    volunteer = _volunteer_ctx(ctx, world.volunteer_a.id, world.volunteer_a.email)
    with pytest.raises(PermissionDenied):
        posters.record_check(
            session, volunteer, data_dir=data_dir, board_id=located.id, status="posted"
        )
    posters.create_round(
        session, ctx, volunteer=world.volunteer_a.email, day=date(2027, 3, 1), commune="29039"
    )
    check = posters.record_check(
        session,
        volunteer,
        data_dir=data_dir,
        board_id=located.id,
        status="affiche arrachée",
        photo=_photo(),
    )
    session.commit()
    assert str(check.status) == "torn"
    stored = posters.photo_path(data_dir, posters.get_board(session, ctx, located.id))
    assert stored is not None
    assert stored.is_relative_to(data_dir / "posters")
    with Image.open(stored) as image:
        assert image.format == "JPEG"
        assert not image.getexif()  # the phone's metadata is dropped

    with pytest.raises(CircoError) as not_image:
        posters.record_check(
            session, ctx, data_dir=data_dir, board_id=located.id, status="posted", photo=b"%PDF-1"
        )
    assert not_image.value.loc == "photo"
    with pytest.raises(CircoError) as too_big:
        posters.clean_photo(b"\xff" * (posters.PHOTO_MAX_BYTES + 1))
    assert too_big.value.status == 413
    with pytest.raises(CircoError) as bad_status:
        posters.record_check(session, ctx, data_dir=data_dir, board_id=located.id, status="volé")
    assert bad_status.value.loc == "status"
    assert "affiche posée" in bad_status.value.message
    with pytest.raises(CircoError) as unknown_commune:
        posters.create_boards(session, ctx, commune="75056", number=1)
    assert unknown_commune.value.loc == "commune"
    with pytest.raises(NotFound):
        posters.get_board(session, system_context(world.b), located.id)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(PosterCheck)) == 1
    board = session.get(PosterBoard, located.id)
    assert board is not None
    assert str(board.status) == "torn"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_drops_api_sync_is_idempotent(session: Session, client: TestClient) -> None:
    world = make_two_campaigns(session)
    ctx = system_context(world.a)
    drop = drops.create_round(
        session,
        ctx,
        leaflet="Tract",
        bureaux=[SAMPLE_BUREAU],
        addresses=_addresses(),
        source="demo",
    )
    session.commit()
    csrf = login(client, world.volunteer_a.email)
    base = f"/api/campaigns/camp-a/drops/{drop.id}"
    detail = client.get(base).json()
    building = detail["turfs"][0]["buildings"][0]
    body = {"items": [{"building": building["id"], "done_at": "2027-03-01T18:00:00Z"}]}
    headers = {"X-CSRF-Token": csrf}
    first = client.post(f"{base}/done", json=body, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["results"][0]["status"] == "created"
    second = client.post(f"{base}/done", json=body, headers=headers)
    assert second.json()["results"][0]["status"] == "duplicate"
    coverage = client.get(f"{base}/coverage").json()
    assert coverage["letterboxes"]["reached"] == building["letterboxes"]
    assert client.get(base).json()["turfs"][0]["buildings"][0]["done"] is True
    assert client.get("/api/campaigns/camp-b/drops").status_code == 404
    assert client.get(f"/c/camp-a/drops/{drop.id}").status_code == 200
    sheet = client.get(f"/c/camp-a/drops/{drop.id}/turfs/{detail['turfs'][0]['id']}/sheet.pdf")
    assert sheet.status_code == 200
    assert sheet.content.startswith(b"%PDF")


def test_no_leaflet_is_distributed_from_the_eve_of_the_vote(session: Session) -> None:
    """L49: a building marked done at a moment of the blackout (from 00:00 the day before a
    polling day until the polls close) is refused with the article, from the CLI's path
    (`mark_done`: CalendarBlocked) and the phone's batch (rejected, kept on the phone); a mark
    timed before the blackout still counts when it syncs during it."""
    from datetime import UTC, datetime

    from circo.privacy.errors import CalendarBlocked

    world = make_two_campaigns(session)
    world.a.election_date = date(2026, 3, 15)  # a Sunday (the phone's past times are kept)
    ctx = system_context(world.a)
    drop = drops.create_round(
        session,
        ctx,
        leaflet="Programme",
        bureaux=[SAMPLE_BUREAU],
        addresses=_addresses(),
        source="demo",
        letterboxes_per_turf=200,
    )
    session.commit()
    detail = drops.round_json(session, ctx, drop.id)
    first, second = [b for turf in detail["turfs"] for b in turf["buildings"]][:2]
    saturday_noon = datetime(2026, 3, 14, 11, 0, tzinfo=UTC)
    friday_evening = datetime(2026, 3, 13, 17, 0, tzinfo=UTC)
    results = drops.sync_done(
        session,
        ctx,
        round_id=drop.id,
        items=[
            {"building": first["id"], "done_at": saturday_noon},
            {"building": second["id"], "done_at": friday_evening},
        ],
    )
    assert [r["status"] for r in results] == ["rejected", "created"]
    assert results[0]["rule"] == "L49"
    assert "L49" in results[0]["message"]
    with pytest.raises(CalendarBlocked, match="L49"):
        drops.mark_done(session, ctx, round_id=drop.id, building=first["id"], done_at=saturday_noon)
