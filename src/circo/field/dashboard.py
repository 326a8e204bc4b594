"""Field dashboard and feedback: doors knocked, contact rate, answers by bureau and by day,
progress of each turf (and an SVG map of it), volunteers' activity, the CSV export, and the
observed support per bureau used by targeting (`observed_support`).
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from datetime import timedelta
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import String, case, cast, func, literal, select
from sqlalchemy.orm import Session

from circo.core import audit
from circo.core.models import User
from circo.core.spreadsheet import safe_row
from circo.core.tenancy import CampaignContext
from circo.db import utcnow
from circo.field import questionnaire as qn
from circo.field.models import AnswerTally, Assignment, Turf, TurfStop, Visit
from circo.field.service import scoped
from circo.formatting import format_timestamp

OUT_NOW_HOURS = 2  # a volunteer who recorded a visit in the last 2 hours is "out now"


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def observed_support(session: Session, ctx: CampaignContext) -> dict[str, dict[str, Any]]:
    """Door results per bureau, for targeting: ``{bureau_key: {...}}``.

    Each value holds ``doors_knocked``, ``talked``, ``contact_rate``, ``answered`` (answers to the
    ``support`` question), ``support`` / ``undecided`` / ``against`` counts and
    ``support_share`` = support / answered (None when nobody answered). Anonymous counters only.
    """
    result: dict[str, dict[str, Any]] = {}
    visits = session.execute(
        scoped(ctx, select(Visit.bureau, Visit.outcome, func.count()), Visit).group_by(
            Visit.bureau, Visit.outcome
        )
    ).all()
    for bureau, outcome, count in visits:
        entry = result.setdefault(bureau or "", _empty_support())
        entry["doors_knocked"] += count
        if outcome in qn.CONTACT_OUTCOMES:
            entry["talked"] += count
    tallies = session.execute(
        scoped(
            ctx,
            select(AnswerTally.bureau, AnswerTally.value, func.sum(AnswerTally.count)),
            AnswerTally,
        )
        .where(AnswerTally.question == qn.SUPPORT_QUESTION)
        .group_by(AnswerTally.bureau, AnswerTally.value)
    ).all()
    for bureau, value, count in tallies:
        entry = result.setdefault(bureau or "", _empty_support())
        entry["answered"] += int(count)
        if value in qn.SUPPORT_VALUES:
            entry["support"] += int(count)
        elif value in qn.AGAINST_VALUES:
            entry["against"] += int(count)
        else:
            entry["undecided"] += int(count)
    for entry in result.values():
        entry["contact_rate"] = _ratio(entry["talked"], entry["doors_knocked"])
        entry["support_share"] = _ratio(entry["support"], entry["answered"])
    return result


def _empty_support() -> dict[str, Any]:
    return {
        "doors_knocked": 0,
        "talked": 0,
        "answered": 0,
        "support": 0,
        "undecided": 0,
        "against": 0,
    }


def turf_progress(session: Session, ctx: CampaignContext) -> list[dict[str, Any]]:
    """Per turf: stops, stops visited, doors knocked, share done."""
    turfs = list(session.scalars(scoped(ctx, select(Turf), Turf).order_by(Turf.id)))
    stops = dict(
        session.execute(
            scoped(ctx, select(TurfStop.turf_id, func.count()), TurfStop).group_by(TurfStop.turf_id)
        ).all()
    )
    visited = session.execute(
        scoped(
            ctx,
            select(Visit.turf_id, func.count(), func.count(func.distinct(Visit.stop_id))),
            Visit,
        ).group_by(Visit.turf_id)
    ).all()
    knocked = {turf_id: (count, distinct) for turf_id, count, distinct in visited}
    rows = []
    for turf in turfs:
        count, distinct = knocked.get(turf.id, (0, 0))
        total = int(stops.get(turf.id, 0))
        rows.append(
            {
                "id": turf.id,
                "code": turf.code,
                "name": turf.name,
                "bureau": turf.bureau,
                "doors": turf.doors,
                "stops": total,
                "stops_visited": int(distinct),
                "visits": int(count),
                "done": min(1.0, distinct / total) if total else 0.0,
                "route": turf.route.get("coordinates", []),
            }
        )
    return rows


def _door_key() -> Any:
    """One value per door: the stop and the door within it ("bât. B, 2e gauche"); a visit
    outside any stop is a door of its own. Knocking twice at a door counts it once."""
    return func.coalesce(
        cast(Visit.stop_id, String) + literal("|") + Visit.door,
        literal("visit-") + cast(Visit.id, String),
    )


def summary(session: Session, ctx: CampaignContext) -> dict[str, Any]:
    """Everything the dashboard shows, as JSON (also `circo field dashboard --json`)."""
    outcomes = dict(
        session.execute(
            scoped(ctx, select(Visit.outcome, func.count()), Visit).group_by(Visit.outcome)
        ).all()
    )
    door = _door_key()
    knocked = int(session.scalar(scoped(ctx, select(func.count(func.distinct(door))), Visit)) or 0)
    talked = int(
        session.scalar(
            scoped(ctx, select(func.count(func.distinct(door))), Visit).where(
                Visit.outcome.in_(qn.CONTACT_OUTCOMES)
            )
        )
        or 0
    )
    progress = turf_progress(session, ctx)
    return {
        "doors_knocked": knocked,
        "talked": talked,
        "contact_rate": _ratio(talked, knocked),
        "visits": int(sum(outcomes.values())),
        "outcomes": {key: int(outcomes.get(key, 0)) for key in qn.OUTCOMES},
        "turfs": len(progress),
        "turfs_started": sum(1 for row in progress if row["visits"]),
        "doors_planned": sum(row["doors"] for row in progress),
        "by_bureau": observed_support(session, ctx),
        "answers_by_bureau": answers_by(session, ctx, by="bureau"),
        "answers_by_day": answers_by(session, ctx, by="day"),
        "volunteers": leaderboard(session, ctx),
        "out_now": out_now(session, ctx),
        "progress": [{k: v for k, v in row.items() if k != "route"} for row in progress],
    }


def answers_by(session: Session, ctx: CampaignContext, *, by: str) -> dict[str, Any]:
    """``{question: {bureau-or-day: {value: count}}}`` from the anonymous counters."""
    column = AnswerTally.bureau if by == "bureau" else AnswerTally.day
    rows = session.execute(
        scoped(
            ctx,
            select(AnswerTally.question, column, AnswerTally.value, func.sum(AnswerTally.count)),
            AnswerTally,
        ).group_by(AnswerTally.question, column, AnswerTally.value)
    ).all()
    table: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for question, key, value, count in rows:
        table[question][str(key)][value] = int(count)
    return {question: dict(values) for question, values in table.items()}


def leaderboard(session: Session, ctx: CampaignContext, *, limit: int = 20) -> list[dict[str, Any]]:
    """Volunteers by doors knocked (a light leaderboard: display names only)."""
    rows = session.execute(
        scoped(
            ctx,
            select(
                User.id,
                User.name,
                User.email,
                func.count(Visit.id),
                func.sum(case((Visit.outcome == "talked", 1), else_=0)),
                func.max(Visit.visited_at),
            ),
            Visit,
        )
        .join(User, User.id == Visit.user_id)
        .group_by(User.id, User.name, User.email)
        .order_by(func.count(Visit.id).desc())
        .limit(limit)
    ).all()
    return [
        {
            "user_id": user_id,
            "name": name or email.split("@")[0],
            "doors_knocked": int(count),
            "talked": int(talked or 0),
            "last_visit": last.isoformat() if last else None,
        }
        for user_id, name, email, count, talked, last in rows
    ]


def out_now(session: Session, ctx: CampaignContext) -> list[dict[str, Any]]:
    """Who is canvassing now: a visit in the last hours, with their last turf."""
    since = utcnow() - timedelta(hours=OUT_NOW_HOURS)
    rows = session.execute(
        scoped(
            ctx,
            select(User.name, User.email, func.max(Visit.visited_at), func.count(Visit.id)),
            Visit,
        )
        .join(User, User.id == Visit.user_id)
        .where(Visit.visited_at >= since)
        .group_by(User.id, User.name, User.email)
        .order_by(func.max(Visit.visited_at).desc())
    ).all()
    return [
        {"name": name or email.split("@")[0], "last_visit": last.isoformat(), "visits": int(n)}
        for name, email, last, n in rows
    ]


def planned_today(session: Session, ctx: CampaignContext) -> int:
    today = utcnow().date()
    return int(
        session.scalar(
            scoped(ctx, select(func.count()).select_from(Assignment), Assignment).where(
                Assignment.day == today, Assignment.status != "cancelled"
            )
        )
        or 0
    )


def progress_svg(progress: list[dict[str, Any]], *, size: int = 520, margin: int = 16) -> str:
    """An SVG map: each turf's route, coloured from red (not started) to green (done)."""
    points = [point for row in progress for point in row["route"]]
    if not points:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="80" role="img" '
            'aria-label="Aucun secteur"><text x="10" y="40">Aucun secteur découpé</text></svg>'
        )
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    cos = math.cos(math.radians(sum(lats) / len(lats)))
    width = max((max(lons) - min(lons)) * cos, 1e-6)
    height = max(max(lats) - min(lats), 1e-6)
    scale = (size - 2 * margin) / max(width, height)
    legend = 28
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size + legend}" '
        f'viewBox="0 0 {size} {size + legend}" role="img" aria-label="Avancement des secteurs">',
        f'<rect width="{size}" height="{size}" fill="#f3f5f8"/>',
    ]

    def project(lon: float, lat: float) -> tuple[float, float]:
        return (
            margin + (lon - min(lons)) * cos * scale,
            size - margin - (lat - min(lats)) * scale,
        )

    for row in progress:  # each turf's outline first, light, under every route
        hull = _convex_hull([project(lon, lat) for lon, lat in row["route"]])
        if len(hull) >= 3:
            colour = _progress_colour(row["done"], row["visits"])
            outline = " ".join(f"{x:.1f},{y:.1f}" for x, y in hull)
            parts.append(
                f'<polygon class="turf-outline" points="{outline}" fill="{colour}" '
                f'fill-opacity="0.15" stroke="{colour}" stroke-opacity="0.6" stroke-width="1"/>'
            )
    for row in progress:
        if not row["route"]:
            continue
        xy = " ".join(f"{x:.1f},{y:.1f}" for x, y in (project(*p) for p in row["route"]))
        colour = _progress_colour(row["done"], row["visits"])
        parts.append(
            f'<polyline points="{xy}" fill="none" stroke="{colour}" stroke-width="3" '
            f'stroke-linejoin="round"><title>{escape(row["name"])} : '
            f"{row['done'] * 100:.0f} %</title></polyline>"
        )
    for index, (colour, text) in enumerate(
        (("#b42318", "pas commencé"), ("#d97706", "en cours"), ("#1d6b35", "terminé"))
    ):
        x = margin + index * 150
        parts.append(
            f'<rect x="{x}" y="{size + 8}" width="14" height="14" fill="{colour}"/>'
            f'<text x="{x + 20}" y="{size + 20}" font-size="13">{text}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _convex_hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The outline of a turf's stops (Andrew's monotone chain), counter-clockwise."""
    unique = sorted(set(points))
    if len(unique) < 3:
        return unique

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    upper: list[tuple[float, float]] = []
    for point in unique:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], point) <= 0:
            lower.pop()
        lower.append(point)
    for point in reversed(unique):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], point) <= 0:
            upper.pop()
        upper.append(point)
    return lower[:-1] + upper[:-1]


def _progress_colour(done: float, visits: int) -> str:
    if not visits:
        return "#b42318"
    if done >= 0.999:
        return "#1d6b35"
    return "#d97706"


EXPORT_COLUMNS = [  # French headers: the file is opened by people, in a spreadsheet
    "n° de visite",
    "visitée le",
    "synchronisée le",
    "bureau",
    "secteur",
    "arrêt",
    "porte",
    "bénévole",
    "résultat",
    "a répondu",
]


def export_visits_csv(session: Session, ctx: CampaignContext) -> str:
    """Visits as CSV (no opinion answers: those are in the counters); audited."""
    rows = session.execute(
        scoped(ctx, select(Visit, Turf.code, TurfStop.address_ref, User.email), Visit)
        .outerjoin(Turf, Turf.id == Visit.turf_id)
        .outerjoin(TurfStop, TurfStop.id == Visit.stop_id)
        .outerjoin(User, User.id == Visit.user_id)
        .order_by(Visit.visited_at, Visit.id)
    ).all()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for visit, turf_code, stop_ref, email in rows:
        writer.writerow(
            safe_row(
                [
                    visit.id,
                    format_timestamp(visit.visited_at, ctx.campaign.timezone, seconds=True),
                    format_timestamp(visit.synced_at, ctx.campaign.timezone, seconds=True),
                    visit.bureau or "",
                    turf_code or "",
                    stop_ref or "",
                    visit.door,
                    email or "",
                    qn.OUTCOMES.get(visit.outcome, visit.outcome),
                    "oui" if visit.answered else "non",
                ]
            )
        )
    audit.record(
        session,
        actor=ctx.actor,
        action="field.export",
        campaign_id=ctx.campaign_id,
        target_type="field_visits",
        details={"rows": len(rows)},
    )
    return buffer.getvalue()
