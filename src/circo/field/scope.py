"""Which contacts a volunteer may see: the people of the turfs assigned to them.

A contact is on a turf when it is geocoded within `NEAR_METRES` of one of the turf's stops (the
buildings in walking order), or when a visit on that turf is linked to it (a door where the
person asked to be recontacted). The turfs are those assigned to the volunteer directly, through
a whole-bureau assignment, or through a team they belong to — cancelled assignments excluded.
Declared in the manifest (`circo.domains`) as the field domain's volunteer scope and applied by
`circo.privacy.scope.contact_visibility` on every contact query.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext, campaign_filter
from circo.crm.models import Contact, TeamMember, Volunteer
from circo.field.models import Assignment, Turf, TurfStop, Visit
from circo.field.service import scoped

NEAR_METRES = 35.0
METRES_PER_DEGREE = 111_320.0


def assigned_turfs(session: Session, ctx: CampaignContext, user_id: int) -> set[int]:
    teams = select(TeamMember.team_id).join(Volunteer, Volunteer.id == TeamMember.volunteer_id)
    teams = teams.where(campaign_filter(Volunteer, ctx), Volunteer.user_id == user_id)
    rows = session.execute(
        scoped(ctx, select(Assignment.turf_id, Assignment.bureau), Assignment).where(
            Assignment.status != "cancelled",
            (Assignment.user_id == user_id) | Assignment.team_id.in_(teams),
        )
    ).all()
    turf_ids = {turf_id for turf_id, _bureau in rows if turf_id is not None}
    bureaux = sorted({bureau for turf_id, bureau in rows if turf_id is None and bureau})
    if bureaux:
        turf_ids.update(
            session.scalars(ctx.scoped(select(Turf.id), Turf).where(Turf.bureau.in_(bureaux)))
        )
    return turf_ids


def volunteer_contacts(session: Session, ctx: CampaignContext) -> Select[Any]:
    """The ids of the contacts on the caller's assigned turfs, as a SELECT."""
    user_id = ctx.actor.user_id
    turf_ids = sorted(assigned_turfs(session, ctx, user_id)) if user_id is not None else []
    if not turf_ids:
        return select(Contact.id).where(Contact.id.in_([]))
    stops = session.execute(
        scoped(ctx, select(TurfStop.lat, TurfStop.lon), TurfStop).where(
            TurfStop.turf_id.in_(turf_ids)
        )
    ).all()
    near: set[int] = set()
    if stops:
        margin_lat = NEAR_METRES / METRES_PER_DEGREE
        mean_lat = sum(lat for lat, _ in stops) / len(stops)
        margin_lon = margin_lat / max(math.cos(math.radians(mean_lat)), 0.01)
        candidates = session.execute(
            scoped(ctx, select(Contact.id, Contact.lat, Contact.lon), Contact).where(
                Contact.lat.between(
                    min(lat for lat, _ in stops) - margin_lat,
                    max(lat for lat, _ in stops) + margin_lat,
                ),
                Contact.lon.between(
                    min(lon for _, lon in stops) - margin_lon,
                    max(lon for _, lon in stops) + margin_lon,
                ),
            )
        ).all()
        grid: dict[tuple[int, int], list[tuple[float, float]]] = {}
        for s_lat, s_lon in stops:
            grid.setdefault((int(s_lat // margin_lat), int(s_lon // margin_lon)), []).append(
                (s_lat, s_lon)
            )
        for contact_id, lat, lon in candidates:
            if lat is None or lon is None:
                continue
            row, column = int(lat // margin_lat), int(lon // margin_lon)
            if any(
                _metres(lat, lon, s_lat, s_lon) <= NEAR_METRES
                for d_row in (-1, 0, 1)
                for d_column in (-1, 0, 1)
                for s_lat, s_lon in grid.get((row + d_row, column + d_column), ())
            ):
                near.add(contact_id)
    met = set(
        session.scalars(
            ctx.scoped(select(Visit.contact_id), Visit).where(
                Visit.turf_id.in_(turf_ids), Visit.contact_id.is_not(None)
            )
        )
    )
    return select(Contact.id).where(
        campaign_filter(Contact, ctx), Contact.id.in_(sorted(near | met))
    )


def _metres(lat: float, lon: float, other_lat: float, other_lon: float) -> float:
    """Equirectangular distance: exact enough at the scale of a street."""
    x = math.radians(other_lon - lon) * math.cos(math.radians((lat + other_lat) / 2))
    y = math.radians(other_lat - lat)
    return 6_371_000.0 * math.hypot(x, y)
