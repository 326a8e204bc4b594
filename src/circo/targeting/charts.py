"""Server-side SVG charts of the targeting pages (no JavaScript, no CDN; print as they are).

Sankey-style transfer chart, tomography plot, residuals per bureau, and stacked bars of the
vote of each group. Every mark carries a ``<title>`` tooltip; charts are ``role="img"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

import numpy as np

# Okabe–Ito (colour-blind safe) for options; greys for blank, null and abstention.
CATEGORICAL = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
    "#882255", "#44AA99", "#999933", "#AA4499", "#332288",
]  # fmt: skip
NEUTRAL = {"Blancs": "#bdbdbd", "Nuls": "#8c8c8c", "Abstention": "#5a5a5a"}


def _percent(value: float) -> str:
    return f"{100 * value:.1f}".replace(".", ",") + "\u00a0%"


def _number(value: float) -> str:
    return f"{round(value):,}".replace(",", "\u202f")


def option_colours(names: Sequence[str]) -> dict[str, str]:
    """A stable colour per option name (neutral greys for blank, null, abstention)."""
    colours: dict[str, str] = {}
    index = 0
    for name in names:
        if name in NEUTRAL:
            colours[name] = NEUTRAL[name]
        elif name not in colours:
            colours[name] = CATEGORICAL[index % len(CATEGORICAL)]
            index += 1
    return colours


def _open(width: float, height: float, title: str, css: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {height:g}" '
        f'width="{width:g}" height="{height:g}" role="img" class="{css}" '
        'font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
    ]


def _stack(totals: np.ndarray, top: float, height: float, gap: float) -> list[tuple[float, float]]:
    """(y, height) of nodes stacked from ``top`` with ``gap`` between them."""
    usable = height - gap * max(len(totals) - 1, 0)
    scale = usable / max(float(totals.sum()), 1e-9)
    positions, y = [], top
    for total in totals:
        size = max(float(total) * scale, 0.0)
        positions.append((y, size))
        y += size + gap
    return positions


def sankey_svg(
    rows: Sequence[str],
    columns: Sequence[str],
    flows: np.ndarray,
    *,
    title: str,
    left_title: str = "",
    right_title: str = "",
    width: int = 760,
    height: int = 520,
    min_share: float = 0.002,
) -> str:
    """Flows (R, C) of voters from ``rows`` (left) to ``columns`` (right) as curved bands.

    Bands under ``min_share`` of all voters are not drawn (they stay in the table).
    """
    flows = np.clip(np.asarray(flows, dtype=float), 0.0, None)
    total = max(float(flows.sum()), 1e-9)
    top, node_width, label = 36, 14, 170
    left_x, right_x = label, width - label - node_width
    left = _stack(flows.sum(axis=1), top, height - top - 10, 4)
    right = _stack(flows.sum(axis=0), top, height - top - 10, 4)
    colours = option_colours([*rows, *columns])
    out = _open(width, height, title, "sankey")
    out.append(f'<text x="{left_x}" y="14" font-weight="bold">{escape(left_title)}</text>')
    out.append(
        f'<text x="{right_x + node_width}" y="14" font-weight="bold" text-anchor="end">'
        f"{escape(right_title)}</text>"
    )
    scale = (height - top - 10 - 4 * max(len(rows) - 1, 0)) / total
    right_scale = (height - top - 10 - 4 * max(len(columns) - 1, 0)) / total
    out.append('<g fill-opacity="0.45">')
    left_offset = [y for y, _ in left]
    right_offset = [y for y, _ in right]
    for i, row in enumerate(rows):
        for j, column in enumerate(columns):
            value = float(flows[i, j])
            if value / total < min_share:
                left_offset[i] += value * scale
                right_offset[j] += value * right_scale
                continue
            y0, y1 = left_offset[i], right_offset[j]
            h0, h1 = value * scale, value * right_scale
            left_offset[i] += h0
            right_offset[j] += h1
            x0, x1 = left_x + node_width, right_x
            middle = (x0 + x1) / 2
            path = (
                f"M{x0:.1f} {y0:.1f}C{middle:.1f} {y0:.1f} {middle:.1f} {y1:.1f} {x1:.1f} {y1:.1f}"
                f"L{x1:.1f} {y1 + h1:.1f}C{middle:.1f} {y1 + h1:.1f} {middle:.1f} {y0 + h0:.1f} "
                f"{x0:.1f} {y0 + h0:.1f}Z"
            )
            share = value / max(float(flows[i].sum()), 1e-9)
            tip = f"{row} → {column} : {_number(value)} électeurs ({_percent(share)} de {row})"
            out.append(
                f'<path d="{path}" fill="{colours[row]}"><title>{escape(tip)}</title></path>'
            )
    out.append("</g>")
    for names, nodes, x, anchor, dx in (
        (rows, left, left_x, "end", -6),
        (columns, right, right_x, "start", node_width + 6),
    ):
        last_label = -100.0
        for name, (y, size) in zip(names, nodes, strict=True):
            node_total = size / (scale if names is rows else right_scale)
            tip = f"{name} : {_number(node_total)} électeurs"
            out.append(
                f'<rect x="{x}" y="{y:.1f}" width="{node_width}" height="{max(size, 0.5):.1f}" '
                f'fill="{colours[name]}"><title>{escape(tip)}</title></rect>'
            )
            middle = y + size / 2 + 4
            if middle - last_label >= 11:  # labels of tiny nodes would overlap: tooltip only
                out.append(
                    f'<text x="{x + dx}" y="{middle:.1f}" text-anchor="{anchor}">'
                    f"{escape(name[:26])}</text>"
                )
                last_label = middle
    out.append("</svg>")
    return "".join(out)


def tomography_svg(
    lines: np.ndarray,
    *,
    title: str,
    x_label: str,
    y_label: str,
    estimate: tuple[float, float] | None = None,
    size: int = 420,
    max_lines: int = 1500,
) -> str:
    """Tomography plot: one segment per bureau in the unit square (King 1997).

    ``lines`` (n, 2, 2) from `circo.analysis.diagnostics.tomography_lines`; NaN rows skipped.
    ``estimate`` (x, y) marks the fitted global values.
    """
    margin = 64
    plot = size - margin - 28
    bottom = 12 + plot
    out = _open(size, bottom + 44, title, "tomography")

    def px(x: float, y: float) -> tuple[float, float]:
        return margin + x * plot, 12 + (1 - y) * plot

    out.append(
        f'<rect x="{margin}" y="12" width="{plot}" height="{plot}" fill="#fff" stroke="#666"/>'
    )
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x, y = px(tick, tick)
        out.append(
            f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{_percent(tick)}</text>'
            f'<text x="{margin - 4}" y="{y + 4:.1f}" text-anchor="end">{_percent(tick)}</text>'
        )
    out.append(
        f'<text x="{margin + plot / 2:.1f}" y="{bottom + 36}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
        f'<text x="12" y="{12 + plot / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {12 + plot / 2:.1f})">{escape(y_label)}</text>'
    )
    finite = [line for line in np.asarray(lines, dtype=float) if np.isfinite(line).all()]
    step = max(1, len(finite) // max_lines)
    out.append('<g stroke="#0072B2" stroke-opacity="0.25" stroke-width="1">')
    for line in finite[::step]:
        (x0, y0), (x1, y1) = px(*line[0]), px(*line[1])
        out.append(f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}"/>')
    out.append("</g>")
    if estimate is not None:
        x, y = px(*estimate)
        tip = f"Estimation : {_percent(estimate[0])} ; {_percent(estimate[1])}"
        out.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#D55E00" stroke="#fff">'
            f"<title>{escape(tip)}</title></circle>"
        )
    out.append("</svg>")
    return "".join(out)


def residuals_svg(
    items: Sequence[tuple[str, float]], *, title: str, width: int = 620, row: int = 18
) -> str:
    """Diverging horizontal bars of standardised residuals (label, value), zero in the middle."""
    label = 140
    height = 30 + row * len(items)
    half = (width - label - 60) / 2
    zero = label + half
    top = max((abs(value) for _, value in items), default=1.0) or 1.0
    out = _open(width, height, title, "residuals")
    out.append(f'<line x1="{zero}" y1="20" x2="{zero}" y2="{height}" stroke="#666"/>')
    for index, (name, value) in enumerate(items):
        y = 22 + index * row
        length = abs(value) / top * half
        x = zero if value >= 0 else zero - length
        fill = "#D55E00" if value >= 0 else "#0072B2"
        tip = f"{name} : résidu standardisé {value:+.2f}"
        out.append(
            f'<text x="{label - 6}" y="{y + 12}" text-anchor="end">{escape(name)}</text>'
            f'<rect x="{x:.1f}" y="{y + 2}" width="{max(length, 0.5):.1f}" height="{row - 5}" '
            f'fill="{fill}"><title>{escape(tip)}</title></rect>'
            f'<text x="{width - 4}" y="{y + 12}" text-anchor="end">{value:+.1f}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def stacked_bars_svg(
    groups: Sequence[str],
    options: Sequence[str],
    shares: np.ndarray,
    *,
    title: str,
    width: int = 760,
    row: int = 26,
) -> str:
    """One 100 % bar per group split by option, with a legend below."""
    label = 170
    bar_width = width - label - 10
    legend_rows = (len(options) + 3) // 4
    height = 20 + row * len(groups) + 10 + 18 * legend_rows
    colours = option_colours(options)
    out = _open(width, height, title, "group-bars")
    for index, group in enumerate(groups):
        y = 10 + index * row
        out.append(
            f'<text x="{label - 6}" y="{y + row / 2 + 3:.1f}" text-anchor="end">'
            f"{escape(group[:28])}</text>"
        )
        x = float(label)
        for j, option in enumerate(options):
            share = float(shares[index, j])
            length = share * bar_width
            tip = f"{group} → {option} : {_percent(share)}"
            out.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{max(length, 0.0):.1f}" '
                f'height="{row - 6}" fill="{colours[option]}"><title>{escape(tip)}</title></rect>'
            )
            x += length
    y = 20 + row * len(groups)
    for j, option in enumerate(options):
        x = 10 + (j % 4) * (width - 20) / 4
        line = y + 18 * (j // 4)
        out.append(
            f'<rect x="{x:.1f}" y="{line}" width="12" height="12" fill="{colours[option]}"/>'
            f'<text x="{x + 16:.1f}" y="{line + 10}">{escape(option[:30])}</text>'
        )
    out.append("</svg>")
    return "".join(out)
