"""The coverage map of the assesseurs and délégués: each bureau of the coverage list drawn from
its contour (the IGN/Etalab contours imported for the maps, else the approximate cells derived
from REU addresses), coloured by what it still lacks, priority bureaux apart. Drawn server-side
by `circo.maps.choropleth` (SVG, a tooltip per bureau), like every map of circo: no script, no
tile server, nothing downloaded."""

from __future__ import annotations

from typing import Any

import shapely
from sqlalchemy.orm import Session

from circo.electionday.assessors import BureauCover
from circo.elections import repository as elections_repo
from circo.labels import label
from circo.maps.approx import APPROX_KIND
from circo.maps.choropleth import (
    LEGEND_ROW,
    TITLE_HEIGHT,
    LegendEntry,
    MapFeature,
    build_drawing,
    to_svg,
)

STATUS_FILLS = {
    "covered": ("#1a9850", "couvert (assesseur titulaire et délégué)"),
    "partial": ("#fee08b", "en partie couvert"),
    "priority_uncovered": ("#d73027", "prioritaire, personne"),
    "uncovered": ("#fc8d59", "personne"),
}


def status(cover: BureauCover) -> str:
    if not cover.missing:
        return "covered"
    if cover.posts:
        return "partial"
    return "priority_uncovered" if cover.rank is not None else "uncovered"


def coverage_svg(session: Session, found: dict[str, Any]) -> tuple[str, int, int]:
    """(SVG document, bureaux drawn, bureaux without a contour) of a `coverage` result."""
    covers: list[BureauCover] = found["bureaux"]
    codes = [cover.station_key for cover in covers]
    shapes: dict[str, Any] = {}
    for kind in ("bv", APPROX_KIND):
        missing = [code for code in codes if code not in shapes]
        for start in range(0, len(missing), 900):  # SQLite's bound-parameter limit
            for geometry in elections_repo.geometries(
                session, kind=kind, codes=missing[start : start + 900]
            ):
                shapes[geometry.code] = geometry
    drawn = [cover for cover in covers if cover.station_key in shapes]
    features = [
        MapFeature(
            code=cover.station_key,
            label=f"Bureau {cover.station_key}",
            geometry=shapely.from_geojson(shapes[cover.station_key].geojson),
            value=None,
        )
        for cover in drawn
    ]
    drawing = build_drawing(
        features,
        title=f"Assesseurs et délégués — couverture des bureaux, tour {found['round']}",
        legend_title="Bureaux",
        source="Priorité : ciblage de la campagne. Contours : IGN / Etalab ou cellules du REU.",
    )
    by_code = {cover.station_key: cover for cover in drawn}
    for shape in drawing.shapes:
        cover = by_code[shape.code]
        fill, text = STATUS_FILLS[status(cover)]
        shape.fill = fill
        rank = f", priorité n° {cover.rank}" if cover.rank is not None else ""
        lacking = ", ".join(label(role.value, "assessor_role") for role in cover.missing)
        shape.title = f"Bureau {cover.station_key} — {text}{rank}" + (
            f" (manque : {lacking})" if lacking else ""
        )
    drawing.legend = [LegendEntry(fill, text) for fill, text in STATUS_FILLS.values()]
    rows = len(drawing.legend) + 1 + (1 if drawing.source else 0)  # title, entries, source
    drawing.height = TITLE_HEIGHT + drawing.map_height + LEGEND_ROW * (rows + 1) + 8
    return to_svg(drawing), len(drawn), len(covers) - len(drawn)
