"""Programme points and the matrix that gives them to segments."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext
from circo.messaging import directory
from circo.messaging.errors import MessageNotFound, MessagingError
from circo.messaging.models import MatrixCell, ProgrammePoint
from circo.messaging.service.constants import CHANNELS


def list_points(session: Session, ctx: CampaignContext) -> list[ProgrammePoint]:
    query = ctx.scoped(select(ProgrammePoint), ProgrammePoint)
    return list(session.scalars(query.order_by(ProgrammePoint.position, ProgrammePoint.id)))


def national_points(session: Session, ctx: CampaignContext) -> list[tuple[str, ProgrammePoint]]:
    """The programme points the campaigns above this one in the movement share down
    (`circo.party.sharing.shared_campaign_ids`), with the name of the campaign that holds each:
    shown read-only next to the campaign's own (`get_point` never opens them)."""
    from circo.core.models import Campaign
    from circo.party.sharing import shared_campaign_ids

    ids = shared_campaign_ids(session, ctx.campaign_id)
    if not ids:
        return []
    rows = session.execute(
        select(Campaign.name, ProgrammePoint)
        .join(Campaign, Campaign.id == ProgrammePoint.campaign_id)
        .where(ProgrammePoint.campaign_id.in_(ids))
        .order_by(ProgrammePoint.position, ProgrammePoint.id)
    )
    return [(name, point) for name, point in rows]


def get_point(session: Session, ctx: CampaignContext, point_id: int) -> ProgrammePoint:
    point = session.scalar(
        ctx.scoped(select(ProgrammePoint), ProgrammePoint).where(ProgrammePoint.id == point_id)
    )
    if point is None:
        raise MessageNotFound(f"point du programme {point_id} introuvable", loc="point")
    return point


def add_point(
    session: Session,
    ctx: CampaignContext,
    *,
    title: str,
    summary: str = "",
    passage_ids: list[int] | None = None,
) -> ProgrammePoint:
    clean = " ".join(title.split())
    if not clean:
        raise MessagingError("titre vide (exemple : « Petite enfance »)", loc="title")
    exists = session.scalar(
        ctx.scoped(select(ProgrammePoint.id), ProgrammePoint).where(ProgrammePoint.title == clean)
    )
    if exists is not None:
        raise MessagingError(f"le point « {clean} » existe déjà", loc="title", status=409)
    position = session.scalar(ctx.scoped(select(func.count(ProgrammePoint.id)), ProgrammePoint))
    point = ProgrammePoint(
        campaign_id=ctx.campaign_id,
        title=clean,
        summary=summary.strip(),
        passage_ids=list(passage_ids or []),
        position=position or 0,
    )
    session.add(point)
    session.flush()
    return point


def delete_point(session: Session, ctx: CampaignContext, point_id: int) -> None:
    session.delete(get_point(session, ctx, point_id))
    session.flush()


def _segment_label(session: Session, ctx: CampaignContext, name: str) -> str:
    clean = " ".join(name.split())
    if clean.lower() in ("all", "tous"):
        return directory.ALL
    directory.segment_member_ids(session, ctx, clean)  # 404 with the known names when unknown
    return clean


def set_cell(
    session: Session, ctx: CampaignContext, *, segment: str, point_id: int, on: bool
) -> None:
    """Give (or stop giving) programme point ``point_id`` to ``segment``."""
    get_point(session, ctx, point_id)
    name = _segment_label(session, ctx, segment)
    cell = session.scalar(
        ctx.scoped(select(MatrixCell), MatrixCell).where(
            MatrixCell.segment_name == name, MatrixCell.point_id == point_id
        )
    )
    if on and cell is None:
        session.add(MatrixCell(campaign_id=ctx.campaign_id, segment_name=name, point_id=point_id))
    elif not on and cell is not None:
        session.delete(cell)
    session.flush()


@dataclass
class MatrixRow:
    segment: str
    size: int
    reachable: dict[str, int]  # channel → people who may receive it
    points: list[int]  # programme point ids given to this segment


def matrix(session: Session, ctx: CampaignContext) -> tuple[list[ProgrammePoint], list[MatrixRow]]:
    """Points, and one row per segment (plus "all") with its reachable people per channel."""
    points = list_points(session, ctx)
    cells: dict[str, list[int]] = {}
    for cell in session.scalars(ctx.scoped(select(MatrixCell), MatrixCell)):
        cells.setdefault(cell.segment_name, []).append(cell.point_id)
    rows = []
    for name in [directory.ALL, *directory.segment_names(session, ctx)]:
        ids = directory.segment_member_ids(session, ctx, name)
        reachable = {}
        for channel in CHANNELS:
            verdicts = directory.verdicts(session, ctx, contact_ids=ids, channel=channel)
            reachable[channel] = sum(1 for verdict in verdicts.values() if verdict.allowed)
        rows.append(MatrixRow(name, len(ids), reachable, sorted(cells.get(name, []))))
    return points, rows


def point_for_segment(
    session: Session, ctx: CampaignContext, segment: str
) -> ProgrammePoint | None:
    """The (first) programme point the matrix gives to ``segment``."""
    name = directory.ALL if segment.strip().lower() in ("all", "tous") else segment
    point_id = session.scalar(
        ctx.scoped(select(MatrixCell.point_id), MatrixCell)
        .where(MatrixCell.segment_name == name)
        .order_by(MatrixCell.id)
        .limit(1)
    )
    return None if point_id is None else get_point(session, ctx, point_id)
