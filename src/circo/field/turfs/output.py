"""What a turf plan gives out: the CLI's JSON, the compactness metrics, and an SVG sketch of a
turf for the printable walk list."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from xml.sax.saxutils import escape

import numpy as np

from circo.field.routing import FloatArray, mst_length, path_length, project
from circo.field.turfs.plan import Address, Turf, TurfPlan


def plan_to_json(plan: TurfPlan) -> dict[str, object]:
    """The CLI's ``--json`` shape: turfs with address ids in walking order, and unassigned ids."""
    return {
        "turfs": [
            {
                "id": turf.id,
                "bureau": turf.bureau,
                "address_ids": turf.address_ids,
                "doors": turf.doors,
                "walk_m": round(turf.walk_m, 1),
            }
            for turf in plan.turfs
        ],
        "unassigned": list(plan.unassigned),
    }


def _xy(addresses: Sequence[Address]) -> FloatArray:
    return project(np.array([a.lat for a in addresses]), np.array([a.lon for a in addresses]))


def compactness_ratio(plan: TurfPlan) -> float:
    """Sum of the turfs' minimum spanning trees over the sum of their bureaux' ones.

    A compact cut scores at most about 1 (cutting removes the links between turfs); turfs made
    of interleaved strips score about 2. Returns 1.0 when the bureaux have no length.
    """
    by_bureau: dict[str | None, list[Address]] = defaultdict(list)
    for turf in plan.turfs:
        for address in turf.addresses:
            by_bureau[address.bureau].append(address)
    bureaux = sum(mst_length(_xy(group)) for group in by_bureau.values())
    turfs = sum(mst_length(_xy(turf.addresses)) for turf in plan.turfs)
    return turfs / bureaux if bureaux > 0 else 1.0


def route_to_mst_ratio(turf: Turf) -> float:
    """Length of the turf's route over its minimum spanning tree (1.0 for a single point)."""
    xy = _xy(turf.addresses)
    tree = mst_length(xy)
    return path_length(xy) / tree if tree > 0 else 1.0


def turf_svg(turf: Turf, *, size: int = 480, margin: int = 28) -> str:
    """A small SVG sketch of a turf: the route as a polyline, each stop (building) numbered.

    North is up; a scale bar gives metres. Used by the printable walk list.
    """
    sites: list[tuple[float, float]] = []
    for address in turf.addresses:
        point = (address.lat, address.lon)
        if not sites or sites[-1] != point:
            sites.append(point)
    xy = project(np.array([s[0] for s in sites]), np.array([s[1] for s in sites]))
    span = float(max(np.ptp(xy[:, 0]), np.ptp(xy[:, 1]), 1.0))
    scale = (size - 2 * margin) / span
    px = margin + (xy[:, 0] - xy[:, 0].min()) * scale
    py = size - margin - (xy[:, 1] - xy[:, 1].min()) * scale
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(px, py, strict=True))
    bar_m = _round_length(span / 4)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" role="img" aria-label="{escape(turf.id)}">',
        f"<title>{escape(turf.id)}: {turf.doors} doors, {turf.walk_m:.0f} m</title>",
        f'<rect width="{size}" height="{size}" fill="#fff"/>',
        f'<polyline points="{points}" fill="none" stroke="#2563eb" stroke-width="2"/>',
    ]
    for number, (x, y) in enumerate(zip(px, py, strict=True), start=1):
        colour = "#16a34a" if number == 1 else "#111"
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>')
        parts.append(
            f'<text x="{x + 5:.1f}" y="{y - 5:.1f}" font-size="11" font-family="sans-serif">'
            f"{number}</text>"
        )
    bar_px = bar_m * scale
    parts.append(
        f'<line x1="{margin}" y1="{size - 10}" x2="{margin + bar_px:.1f}" y2="{size - 10}" '
        'stroke="#111" stroke-width="2"/>'
    )
    parts.append(
        f'<text x="{margin + bar_px + 4:.1f}" y="{size - 6}" font-size="10" '
        f'font-family="sans-serif">{bar_m:g} m</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


def _round_length(metres: float) -> float:
    """1, 2 or 5 × a power of ten, at most ``metres`` (at least 1)."""
    if metres < 1:
        return 1.0
    power = 10 ** math.floor(math.log10(metres))
    return float(max(step * power for step in (1, 2, 5) if step * power <= metres))
