"""Demo content of leaflet drops and poster boards: a drop round on two of the field demo's
bureaux (their synthetic REU points) with some buildings done, and the poster boards of those
bureaux with a few states (no photos)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext
from circo.errors import CircoError
from circo.reach import drops, posters
from circo.reach.models import PosterBoard

DEMO_DROP_BUREAUX = ("75056_1105", "75056_1106")


def seed_drops(session: Session, ctx: CampaignContext) -> None:
    if drops.list_rounds(session, ctx):
        return
    try:
        drop = drops.create_round(
            session,
            ctx,
            leaflet="Programme pour le 11e",
            bureaux=list(DEMO_DROP_BUREAUX),
            name="Tractage du programme — 11e",
        )
    except CircoError:  # the field demo's addresses are absent: nothing to cut
        return
    buildings = [
        b for turf in drops.round_json(session, ctx, drop.id)["turfs"] for b in turf["buildings"]
    ]
    for building in buildings[: len(buildings) // 3]:
        drops.mark_done(session, ctx, round_id=drop.id, building=building["id"])
    try:
        posters.create_boards(session, ctx, commune="75056", number=3)
    except CircoError:
        return
    boards = [b for b in posters.list_boards(session, ctx) if b.bureau in DEMO_DROP_BUREAUX]
    states = ("posted", "torn")
    for board, state in zip(boards, states, strict=False):
        _set(board, state)
    session.flush()


def _set(board: PosterBoard, state: str) -> None:
    from circo.db import utcnow

    board.status = state
    board.checked_at = utcnow()
