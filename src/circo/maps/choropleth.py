"""Choropleth maps rendered server-side: one `Drawing`, exported as SVG (tooltips via
``<title>``, legend, optional tile background) or PNG (Pillow, no browser, no internet).

Geometries come in Lambert-93 metres (EPSG:2154) — the projection of IGN contours — or in Web
Mercator when a tile background is drawn (``CIRCO_TILE_URL``), so that tiles line up.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from circo.maps.classify import breaks_for, class_of
from circo.maps.palettes import NO_DATA, colours

WEB_MERCATOR_HALF = 20037508.342789244
TILE_SIZE = 256
LEGEND_ROW = 22
TITLE_HEIGHT = 28


@dataclass
class MapFeature:
    """One area of the map: its code, a label for the tooltip, its geometry and its value."""

    code: str
    label: str
    geometry: BaseGeometry
    value: float | None
    href: str | None = None


@dataclass
class Shape:
    rings: list[list[tuple[float, float]]]  # pixel coordinates, exterior then holes
    fill: str
    title: str
    code: str
    href: str | None = None


@dataclass
class LegendEntry:
    fill: str
    text: str


@dataclass
class Drawing:
    """A map ready to be written: pixel-space shapes, legend and optional tiles."""

    width: int
    height: int
    map_height: int
    title: str
    shapes: list[Shape] = field(default_factory=list)
    legend_title: str = ""
    legend: list[LegendEntry] = field(default_factory=list)
    tiles: list[tuple[str, float, float, float]] = field(default_factory=list)  # url, x, y, size
    source: str = ""


def percent(value: float | None) -> str:
    if value is None:
        return "sans donnée"
    return f"{value * 100:.1f}".replace(".", ",") + "\u00a0%"


def number(value: float | None) -> str:
    if value is None:
        return "sans donnée"
    if abs(value - round(value)) < 1e-9:
        return f"{round(value):,}".replace(",", "\u202f")
    return f"{value:,.1f}".replace(",", "\u202f").replace(".", ",")


def to_web_mercator(geometry: BaseGeometry) -> BaseGeometry:
    """Lambert-93 → Web Mercator (EPSG:3857), vectorised."""
    from pyproj import Transformer

    transformer = Transformer.from_crs(2154, 3857, always_xy=True)
    return shapely.transform(geometry, lambda xy: _stack(transformer.transform(xy[:, 0], xy[:, 1])))


def _stack(pair: tuple[Any, Any]) -> Any:
    return np.column_stack(pair)


def build_drawing(
    features: Sequence[MapFeature],
    *,
    title: str,
    legend_title: str,
    method: str = "quantile",
    classes: int = 5,
    fixed_breaks: Sequence[float] | None = None,
    palette: str = "viridis",
    value_format: Callable[[float | None], str] = number,
    width: int = 720,
    tile_url: str | None = None,
    source: str = "",
) -> Drawing:
    """Classify the values, fit the geometries into ``width`` pixels and build the legend."""
    geometries = [f.geometry for f in features]
    if tile_url:
        geometries = [to_web_mercator(g) for g in geometries]
    values = [f.value for f in features if f.value is not None]
    breaks = breaks_for(values, method=method, classes=classes, fixed=fixed_breaks)
    fills = colours(palette, len(breaks)) if breaks else []
    bounds = shapely.total_bounds(geometries) if geometries else (0.0, 0.0, 1.0, 1.0)
    min_x, min_y, max_x, max_y = (float(b) for b in bounds)
    span_x = max(max_x - min_x, 1.0)
    span_y = max(max_y - min_y, 1.0)
    margin = 8
    scale = (width - 2 * margin) / span_x
    map_height = int(span_y * scale) + 2 * margin
    if map_height > width * 1.4:  # very tall areas: fit the height instead
        scale = (width * 1.4 - 2 * margin) / span_y
        map_height = int(width * 1.4)
    legend_rows = len(breaks) + 1 + (1 if source else 0)
    drawing = Drawing(
        width=width,
        height=TITLE_HEIGHT + map_height + LEGEND_ROW * (legend_rows + 1) + 8,
        map_height=map_height,
        title=title,
        legend_title=legend_title,
        source=source,
    )
    offset_x = margin + (width - 2 * margin - span_x * scale) / 2

    def to_pixels(x: float, y: float) -> tuple[float, float]:
        return (
            round(offset_x + (x - min_x) * scale, 1),
            round(TITLE_HEIGHT + margin + (max_y - y) * scale, 1),
        )

    tolerance = 0.6 / scale
    for feature, geometry in zip(features, geometries, strict=True):
        index = class_of(feature.value, breaks)
        fill = NO_DATA if index is None else fills[index]
        simple = geometry.simplify(tolerance, preserve_topology=True)
        rings = [
            [to_pixels(x, y) for x, y in ring.coords]
            for polygon in _polygons(simple)
            for ring in (polygon.exterior, *polygon.interiors)
        ]
        drawing.shapes.append(
            Shape(
                rings=rings,
                fill=fill,
                title=f"{feature.label} — {value_format(feature.value)}",
                code=feature.code,
                href=feature.href,
            )
        )
    lower = min(values) if values else 0.0
    for index, bound in enumerate(breaks):
        drawing.legend.append(
            LegendEntry(fills[index], f"{value_format(lower)} – {value_format(bound)}")
        )
        lower = bound
    drawing.legend.append(LegendEntry(NO_DATA, "sans donnée"))
    if tile_url:
        drawing.tiles = _tiles(tile_url, min_x, max_y, scale, offset_x, margin, width, map_height)
    return drawing


def _polygons(geometry: BaseGeometry) -> list[shapely.Polygon]:
    if isinstance(geometry, shapely.Polygon):
        return [geometry]
    if hasattr(geometry, "geoms"):
        return [p for part in geometry.geoms for p in _polygons(part)]
    return []


def _tiles(
    url: str,
    min_x: float,
    max_y: float,
    scale: float,
    offset_x: float,
    margin: int,
    width: int,
    map_height: int,
) -> list[tuple[str, float, float, float]]:
    """XYZ tiles covering the map (geometries are in Web Mercator metres here)."""
    world = 2 * WEB_MERCATOR_HALF
    zoom = max(0, min(18, round(math.log2(scale * world / TILE_SIZE))))
    tile_metres = world / 2**zoom
    size = tile_metres * scale
    left = min_x - (offset_x / scale)
    top = max_y + (TITLE_HEIGHT + margin) / scale
    first_x = int((left + WEB_MERCATOR_HALF) // tile_metres)
    first_y = int((WEB_MERCATOR_HALF - top) // tile_metres)
    columns = int(width / size) + 2
    rows = int((TITLE_HEIGHT + map_height) / size) + 2
    tiles = []
    for ty in range(first_y, first_y + rows):
        for tx in range(first_x, first_x + columns):
            x = (tx * tile_metres - WEB_MERCATOR_HALF - left) * scale
            y = (top - (WEB_MERCATOR_HALF - ty * tile_metres)) * scale
            link = url.replace("{z}", str(zoom)).replace("{x}", str(tx)).replace("{y}", str(ty))
            tiles.append((link, round(x, 1), round(y, 1), round(size, 1)))
    return tiles


# --- SVG --------------------------------------------------------------------------------------


def _path_data(rings: list[list[tuple[float, float]]]) -> str:
    parts = []
    for ring in rings:
        if len(ring) < 3:
            continue
        head, *rest = ring
        parts.append(f"M{head[0]:g} {head[1]:g}" + "".join(f"L{x:g} {y:g}" for x, y in rest) + "Z")
    return "".join(parts)


def to_svg(drawing: Drawing) -> str:
    """A standalone, accessible SVG document (``role="img"``, ``<title>`` per area)."""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'viewBox="0 0 {drawing.width} {drawing.height}" width="{drawing.width}" '
        f'height="{drawing.height}" role="img" aria-labelledby="map-title" '
        f'font-family="sans-serif" class="choropleth">',
        f'<title id="map-title">{escape(drawing.title)}</title>',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<text x="8" y="19" font-size="15" font-weight="bold">{escape(drawing.title)}</text>',
    ]
    for url, x, y, size in drawing.tiles:
        out.append(
            f'<image href={quoteattr(url)} x="{x}" y="{y}" width="{size}" '
            f'height="{size}" opacity="0.6"/>'
        )
    out.append('<g stroke="#ffffff" stroke-width="0.4" fill-rule="evenodd">')
    for shape in drawing.shapes:
        path = (
            f'<path d="{_path_data(shape.rings)}" fill="{shape.fill}" '
            f"data-code={quoteattr(shape.code)}><title>{escape(shape.title)}</title></path>"
        )
        if shape.href:
            path = f"<a href={quoteattr(shape.href)}>{path}</a>"
        out.append(path)
    out.append("</g>")
    y = TITLE_HEIGHT + drawing.map_height + 6
    out.append(
        f'<text x="8" y="{y + 12}" font-size="13" font-weight="bold">'
        f"{escape(drawing.legend_title)}</text>"
    )
    for entry in drawing.legend:
        y += LEGEND_ROW
        out.append(
            f'<rect x="8" y="{y}" width="18" height="14" fill="{entry.fill}" stroke="#666" '
            f'stroke-width="0.5"/><text x="32" y="{y + 12}" font-size="12">'
            f"{escape(entry.text)}</text>"
        )
    if drawing.source:
        y += LEGEND_ROW
        out.append(
            f'<text x="8" y="{y + 12}" font-size="10" fill="#555">{escape(drawing.source)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


# --- PNG --------------------------------------------------------------------------------------


def to_png(drawing: Drawing, *, scale: float = 2.0) -> bytes:
    """Rasterise the drawing with Pillow (tiles are not fetched: PNG works offline)."""
    import io

    from PIL import Image, ImageDraw

    width, height = int(drawing.width * scale), int(drawing.height * scale)
    image = Image.new("RGB", (width, height), "#ffffff")
    pen = ImageDraw.Draw(image)
    for shape in drawing.shapes:
        _fill_shape(image, shape, scale)
    for shape in drawing.shapes:
        for ring in shape.rings:
            if len(ring) >= 2:
                pen.line([(x * scale, y * scale) for x, y in ring], fill="#ffffff", width=1)
    title_font = _font(15 * scale)
    font = _font(12 * scale)
    pen.text((8 * scale, 5 * scale), drawing.title, fill="#000000", font=title_font)
    y = TITLE_HEIGHT + drawing.map_height + 6
    pen.text((8 * scale, y * scale), drawing.legend_title, fill="#000000", font=font)
    for entry in drawing.legend:
        y += LEGEND_ROW
        box = (8 * scale, y * scale, 26 * scale, (y + 14) * scale)
        pen.rectangle(box, fill=entry.fill, outline="#666666")
        pen.text((32 * scale, y * scale), entry.text, fill="#000000", font=font)
    if drawing.source:
        y += LEGEND_ROW
        small = _font(10 * scale)
        pen.text((8 * scale, y * scale), drawing.source, fill="#555555", font=small)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _font(size: float) -> Any:
    """A system TrueType font with accents (DejaVu / Liberation), else Pillow's own."""
    from PIL import ImageFont

    for name in ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def _fill_shape(image: Any, shape: Shape, scale: float) -> None:
    """Fill the rings even-odd (holes cut out) through a mask on the shape's bounding box."""
    from PIL import Image, ImageChops, ImageDraw

    points = [(x * scale, y * scale) for ring in shape.rings for x, y in ring]
    if not points:
        return
    left = max(int(min(p[0] for p in points)) - 1, 0)
    top = max(int(min(p[1] for p in points)) - 1, 0)
    right = int(max(p[0] for p in points)) + 2
    bottom = int(max(p[1] for p in points)) + 2
    mask = Image.new("1", (right - left, bottom - top), 0)
    for ring in shape.rings:
        if len(ring) < 3:
            continue
        ring_mask = Image.new("1", mask.size, 0)
        local = [(x * scale - left, y * scale - top) for x, y in ring]
        ImageDraw.Draw(ring_mask).polygon(local, fill=1)
        mask = ImageChops.logical_xor(mask, ring_mask)
    image.paste(Image.new("RGB", mask.size, shape.fill), (left, top), mask)
