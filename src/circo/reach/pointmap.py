"""An inline SVG map of coloured points (buildings of a drop round, poster boards), drawn on the
server as the field maps are (`circo.field.routing.project`: local metres, north up, a scale
bar): no tiles, no script, nothing fetched — it prints and works offline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from markupsafe import Markup, escape

from circo.field.routing import project


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float
    colour: str
    title: str
    size: float = 5.0
    label: str = ""


def points_svg(
    points: Sequence[Point], *, width: int = 520, height: int = 380, caption: str = ""
) -> Markup:
    """The points on a blank map; each has its ``title`` as a tooltip and an optional label."""
    margin = 18
    if not points:
        return Markup(
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="60" role="img" '
            f'aria-label="{escape(caption)}"><text x="10" y="35">—</text></svg>'
        )
    xy = project(np.array([p.lat for p in points]), np.array([p.lon for p in points]))
    span_x = float(np.ptp(xy[:, 0])) or 1.0
    span_y = float(np.ptp(xy[:, 1])) or 1.0
    scale = min((width - 2 * margin) / span_x, (height - 2 * margin - 20) / span_y)
    min_x, max_y = float(xy[:, 0].min()), float(xy[:, 1].max())
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="point-map" role="img" aria-label="{escape(caption)}">',
        f'<rect width="{width}" height="{height}" fill="#f7fafc"/>',
    ]
    for point, (x, y) in zip(points, xy.tolist(), strict=True):
        px = margin + (x - min_x) * scale
        py = margin + (max_y - y) * scale
        parts.append(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{point.size:.1f}" '
            f'fill="{escape(point.colour)}" fill-opacity="0.85" stroke="#1a202c" '
            f'stroke-width="0.5">'
            f"<title>{escape(point.title)}</title></circle>"
        )
        if point.label:
            parts.append(
                f'<text x="{px + point.size + 2:.1f}" y="{py + 4:.1f}" font-size="11">'
                f"{escape(point.label)}</text>"
            )
    metres = _nice(max(span_x, span_y) / 4)
    bar = metres * scale
    parts.append(
        f'<g transform="translate({margin},{height - 12})"><line x1="0" y1="0" x2="{bar:.1f}" '
        f'y2="0" stroke="#1a202c" stroke-width="2"/><text x="{bar + 6:.1f}" y="4" '
        f'font-size="11">{_distance(metres)}</text></g>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def _nice(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** int(np.floor(np.log10(value)))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def _distance(metres: float) -> str:
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
