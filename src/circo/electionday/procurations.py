"""Procurations: requests from supporters who will be absent (mandants), offers from volunteers
(mandataires), and their matching — minimising the kilometres from the mandataire to the
mandant's bureau (where the mandataire votes, L72), within the limits of L73 (at most two
procurations per mandataire, at most one of them established in France), the rounds asked and
offered, and the distance each volunteer accepts.

Matching is an assignment problem: each offer is two *slots* — the first takes any request,
the second only a request established abroad — and `scipy.optimize.linear_sum_assignment`
finds the assignment of open requests to free slots with the most matches, then the fewest
kilometres (an impossible pair costs more than all possible ones together). Matches already
made are kept; a withdrawal undoes its matches and the next run re-matches the other side."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext
from circo.electionday.errors import NightError
from circo.electionday.models import ProxyMatch, ProxyOffer, ProxyRequest, ProxyRounds, ProxyStatus
from circo.electionday.proxy_rules import MAX_ESTABLISHED_IN_FRANCE, MAX_PROXIES, STEPS
from circo.elections.territories import parse_territory


class ProxyError(NightError):
    """A procuration request, offer or withdrawal that cannot be recorded."""


def _contact(session: Session, ctx: CampaignContext, contact_id: int) -> Any:
    from circo.crm.models import Contact

    contact = session.scalar(ctx.scoped(select(Contact), Contact).where(Contact.id == contact_id))
    if contact is None:
        raise ProxyError(f"contact n° {contact_id} introuvable dans la campagne", loc="contact")
    return contact


def _rounds(text: str) -> ProxyRounds:
    value = {"1": "1", "2": "2", "1,2": "both", "both": "both", "les deux": "both"}.get(
        text.strip().lower().replace(" ", "")
    )
    if value is None:
        raise ProxyError(f"tours « {text} » non reconnus ; attendu 1, 2 ou 1,2", loc="tours")
    return ProxyRounds(value)


def add_request(
    session: Session,
    ctx: CampaignContext,
    *,
    contact_id: int,
    station: str,
    rounds: str,
    established_abroad: bool,
    delete_after: date,
) -> ProxyRequest:
    _contact(session, ctx, contact_id)
    try:
        station_key = parse_territory(f"bv:{station.strip()}").code
    except Exception as exc:
        raise ProxyError(str(exc), loc="bureau") from exc
    request = ProxyRequest(
        campaign_id=ctx.campaign_id, contact_id=contact_id, station_key=station_key,
        rounds=_rounds(rounds), established_abroad=established_abroad,
        status=ProxyStatus.open, delete_after=delete_after,
    )  # fmt: skip
    session.add(request)
    session.flush()
    return request


def lambert93(longitude: float, latitude: float) -> tuple[float, float]:
    """WGS84 degrees → Lambert-93 metres (the projection of the bureau contours)."""
    from pyproj import Transformer

    if not (-180 <= longitude <= 180 and -90 <= latitude <= 90):
        raise ProxyError(
            f"coordonnées ({longitude}, {latitude}) hors limites ; attendu longitude, latitude "
            "en degrés, ex. 4.8357, 45.7640",
            loc="position",
        )
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True).transform(
        longitude, latitude
    )
    return float(x), float(y)


def add_offer(
    session: Session,
    ctx: CampaignContext,
    *,
    contact_id: int,
    longitude: float,
    latitude: float,
    max_km: float,
    rounds: str,
    delete_after: date,
) -> ProxyOffer:
    _contact(session, ctx, contact_id)
    if not 0 < max_km <= 1000:
        raise ProxyError(f"distance « {max_km} » invalide ; attendu 0 à 1000 km", loc="km")
    x, y = lambert93(longitude, latitude)
    offer = ProxyOffer(
        campaign_id=ctx.campaign_id, contact_id=contact_id, x=x, y=y, max_km=max_km,
        rounds=_rounds(rounds), status=ProxyStatus.open, delete_after=delete_after,
    )  # fmt: skip
    session.add(offer)
    session.flush()
    return offer


def withdraw(
    session: Session, ctx: CampaignContext, *, request_id: int | None = None,
    offer_id: int | None = None,
) -> int:  # fmt: skip
    """Withdraw a request or an offer: its active matches are undone (the requests of a
    withdrawn offer are open again). Returns the number of matches undone."""
    model: Any = ProxyRequest if request_id is not None else ProxyOffer
    row_id = request_id if request_id is not None else offer_id
    row = session.scalar(ctx.scoped(select(model), model).where(model.id == row_id))
    if row is None:
        what = "demande" if request_id is not None else "offre"
        raise ProxyError(f"{what} n° {row_id} introuvable", loc=what)
    row.status = ProxyStatus.withdrawn
    column = ProxyMatch.request_id if request_id is not None else ProxyMatch.offer_id
    matches = session.scalars(
        ctx.scoped(select(ProxyMatch), ProxyMatch).where(column == row_id, ProxyMatch.active)
    ).all()
    for match in matches:
        match.active = False
        if offer_id is not None:
            request = session.get(ProxyRequest, match.request_id)
            if request is not None and request.status is ProxyStatus.matched:
                request.status = ProxyStatus.open
    session.flush()
    return len(matches)


def bureau_positions(session: Session, station_keys: set[str]) -> dict[str, tuple[float, float]]:
    """Centre of each bureau's contour (Lambert-93), else of its commune's."""
    from circo.elections.models import Geometry

    positions: dict[str, tuple[float, float]] = {}
    wanted = sorted(station_keys)
    for kind, codes in (("bv", wanted), ("com", sorted({k.split("_")[0] for k in wanted}))):
        if not codes:
            continue
        for code, min_x, min_y, max_x, max_y in session.execute(
            select(Geometry.code, Geometry.min_x, Geometry.min_y, Geometry.max_x, Geometry.max_y)
            .where(Geometry.kind == kind, Geometry.code.in_(codes))
        ):  # fmt: skip
            centre = ((min_x + max_x) / 2, (min_y + max_y) / 2)
            if kind == "bv":
                positions[code] = centre
            else:
                for key in wanted:
                    if key.split("_")[0] == code:
                        positions.setdefault(key, centre)
    return positions


def _rounds_fit(request: ProxyRounds, offer: ProxyRounds) -> bool:
    return offer is ProxyRounds.both or request is offer


@dataclass(frozen=True)
class Slot:
    offer: ProxyOffer
    abroad_only: bool


def assign(cost: np.ndarray, feasible: np.ndarray) -> list[tuple[int, int]]:
    """(row, column) pairs of the assignment with the most feasible pairs, then the least
    cost. ``cost`` (R, S) ≥ 0; ``feasible`` (R, S) booleans."""
    from scipy.optimize import linear_sum_assignment

    if cost.size == 0:
        return []
    big = float(cost[feasible].sum()) + 1.0 if feasible.any() else 1.0
    rows, columns = linear_sum_assignment(np.where(feasible, cost, big))
    return [(int(r), int(c)) for r, c in zip(rows, columns, strict=True) if feasible[r, c]]


def match(session: Session, ctx: CampaignContext) -> dict[str, Any]:
    """Match the open requests to the free slots of the available offers; the contract of
    `circo procurations match --json`: ``{"matches": [{"request", "volunteer", "km"}],
    "unmatched": [request ids]}`` — every active match (earlier ones included), ``volunteer``
    being the offer's id."""
    requests = session.scalars(
        ctx.scoped(select(ProxyRequest), ProxyRequest)
        .where(ProxyRequest.status == ProxyStatus.open)
        .order_by(ProxyRequest.id)
    ).all()
    offers = session.scalars(
        ctx.scoped(select(ProxyOffer), ProxyOffer)
        .where(ProxyOffer.status == ProxyStatus.open)
        .order_by(ProxyOffer.id)
    ).all()
    active = session.scalars(
        ctx.scoped(select(ProxyMatch), ProxyMatch).where(ProxyMatch.active)
    ).all()
    held: dict[int, list[ProxyRequest]] = {}
    for existing in active:
        holding = session.get(ProxyRequest, existing.request_id)
        if holding is not None:
            held.setdefault(existing.offer_id, []).append(holding)
    slots = _free_slots(offers, held)
    positions = bureau_positions(session, {r.station_key for r in requests})
    cost = np.zeros((len(requests), len(slots)))
    feasible = np.zeros((len(requests), len(slots)), dtype=bool)
    for i, request in enumerate(requests):
        where = positions.get(request.station_key)
        for j, slot in enumerate(slots):
            if where is None or slot.offer.contact_id == request.contact_id:
                continue
            if slot.abroad_only and not request.established_abroad:
                continue
            if not _rounds_fit(request.rounds, slot.offer.rounds):
                continue
            km = math.dist(where, (slot.offer.x, slot.offer.y)) / 1000.0
            cost[i, j] = km
            feasible[i, j] = km <= slot.offer.max_km
    made: list[ProxyMatch] = []
    for i, j in assign(cost, feasible):
        request, slot = requests[i], slots[j]
        request.status = ProxyStatus.matched
        found = ProxyMatch(
            campaign_id=ctx.campaign_id, request_id=request.id, offer_id=slot.offer.id,
            km=round(float(cost[i, j]), 2), active=True,
        )  # fmt: skip
        session.add(found)
        made.append(found)
    session.flush()
    _notify(session, ctx, made)
    from circo.electionday.proxy_notices import schedule

    for found in made:
        schedule(session, ctx, found)
    everything = sorted([*active, *made], key=lambda m: m.request_id)
    return {
        "matches": [
            {"request": m.request_id, "volunteer": m.offer_id, "km": float(m.km)}
            for m in everything
        ],
        "unmatched": [r.id for r in requests if r.status is ProxyStatus.open],
    }


def _free_slots(offers: Any, held: dict[int, list[ProxyRequest]]) -> list[Slot]:
    """Each offer's remaining slots under L73, given the requests it already holds."""
    slots: list[Slot] = []
    for offer in offers:
        holding = held.get(offer.id, [])
        in_france = sum(1 for r in holding if not r.established_abroad)
        free = MAX_PROXIES.value - len(holding)
        for _ in range(free):
            if in_france < MAX_ESTABLISHED_IN_FRANCE.value:
                slots.append(Slot(offer, abroad_only=False))
                in_france += 1  # a France-established request may take this slot, not two
            else:
                slots.append(Slot(offer, abroad_only=True))
    return slots


def _notify(session: Session, ctx: CampaignContext, made: list[ProxyMatch]) -> None:
    """Tell both sides by e-mail, only where `circo.privacy` allows it (consent, opposition,
    suppression list); sent after the commit through the outbox, once per match and person."""
    from circo.core.email import OutgoingEmail
    from circo.core.outbox import queue_mail
    from circo.privacy import can_contact

    for found in made:
        request = session.get(ProxyRequest, found.request_id)
        offer = session.get(ProxyOffer, found.offer_id)
        if request is None or offer is None:
            continue
        mandant, mandataire = (
            _contact(session, ctx, request.contact_id),
            _contact(session, ctx, offer.contact_id),
        )
        steps = "\n".join(f"- {step}" for step in STEPS)
        for person, other, role in (
            (mandant, mandataire, "votera pour vous"),
            (mandataire, mandant, "vous confie sa procuration"),
        ):
            if not person.email or not can_contact(session, ctx, person.id, "email").allowed:
                continue
            queue_mail(
                session,
                OutgoingEmail(
                    to=person.email,
                    subject="Procuration : votre binôme pour le vote",
                    text=f"Bonjour {person.first_name},\n\n{other.first_name} {other.last_name} "
                    f"{role} au bureau {request.station_key}.\n\nLes étapes :\n{steps}\n",
                ),
                campaign_id=ctx.campaign_id,
                key=f"proxy-match:{found.id}:{person.id}",
            )


def overview(session: Session, ctx: CampaignContext) -> dict[str, Any]:
    """Requests, offers and active matches with the people's names, for the page."""
    from circo.crm.models import Contact

    requests = session.scalars(
        ctx.scoped(select(ProxyRequest), ProxyRequest).order_by(ProxyRequest.id)
    ).all()
    offers = session.scalars(
        ctx.scoped(select(ProxyOffer), ProxyOffer).order_by(ProxyOffer.id)
    ).all()
    matches = session.scalars(
        ctx.scoped(select(ProxyMatch), ProxyMatch).where(ProxyMatch.active).order_by(ProxyMatch.id)
    ).all()
    ids = {r.contact_id for r in requests} | {o.contact_id for o in offers}
    names = {
        contact.id: f"{contact.first_name} {contact.last_name}".strip()
        for contact in session.scalars(
            ctx.scoped(select(Contact), Contact).where(Contact.id.in_(sorted(ids)))
        )
    } if ids else {}  # fmt: skip
    return {"requests": requests, "offers": offers, "matches": matches, "names": names}
