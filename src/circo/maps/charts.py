"""Small SVG charts for territory sheets (no JavaScript: they print and render in weasyprint)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape

from circo.maps.choropleth import percent
from circo.maps.palettes import VIRIDIS

ROW = 20
LABEL_WIDTH = 190


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    width: int = 520,
    value_format: Callable[[float | None], str] = percent,
    colour: str = VIRIDIS[3],
) -> str:
    """Horizontal bars, one per (label, value), largest scale = largest value."""
    height = 26 + ROW * len(items) + 6
    top = max((value for _, value in items), default=0.0) or 1.0
    bar_space = width - LABEL_WIDTH - 70
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="14" font-size="12" font-weight="bold">{escape(title)}</text>',
    ]
    for index, (label, value) in enumerate(items):
        y = 24 + index * ROW
        length = max(value / top * bar_space, 0.5)
        out.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 12}" text-anchor="end">'
            f"{escape(label[:34])}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{length:.1f}" height="{ROW - 6}" '
            f'fill="{colour}"><title>{escape(label)} : {escape(value_format(value))}'
            "</title></rect>"
            f'<text x="{LABEL_WIDTH + length + 4:.1f}" y="{y + 12}">'
            f"{escape(value_format(value))}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def column_chart(
    items: Sequence[tuple[str, float | None]],
    *,
    title: str,
    width: int = 520,
    height: int = 180,
    value_format: Callable[[float | None], str] = percent,
    colour: str = VIRIDIS[5],
) -> str:
    """Vertical columns (e.g. turnout per election), scaled from 0 to the largest value."""
    top = max((value or 0.0 for _, value in items), default=0.0) or 1.0
    plot_height = height - 60
    step = (width - 20) / max(len(items), 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" font-family="sans-serif" font-size="10">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="14" font-size="12" font-weight="bold">{escape(title)}</text>',
        f'<line x1="10" y1="{24 + plot_height}" x2="{width - 10}" y2="{24 + plot_height}" '
        'stroke="#999"/>',
    ]
    for index, (label, value) in enumerate(items):
        bar = (value or 0.0) / top * plot_height
        x = 10 + index * step + step * 0.15
        y = 24 + plot_height - bar
        out.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{bar:.1f}" '
            f'fill="{colour}"><title>{escape(label)} : {escape(value_format(value))}</title></rect>'
            f'<text x="{x + step * 0.35:.1f}" y="{y - 3:.1f}" text-anchor="middle">'
            f"{escape(value_format(value))}</text>"
            f'<text x="{x + step * 0.35:.1f}" y="{height - 22}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    out.append("</svg>")
    return "".join(out)
