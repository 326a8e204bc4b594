"""Map layer of the targeting: a choropleth of the score per bureau (through circo.maps)."""

from __future__ import annotations

import shapely
from sqlalchemy.orm import Session

from circo.elections import repository as elections_repo
from circo.maps.choropleth import MapFeature, build_drawing, to_svg
from circo.targeting.service import TargetingReport


def _score(value: float | None) -> str:
    return "sans donnée" if value is None else f"{value:.2f}".replace(".", ",")


def score_map_svg(
    session: Session, report: TargetingReport, *, tile_url: str | None = None
) -> str | None:
    """The SVG choropleth of the combined score, or None when no bureau contour is imported."""
    scores = {key: float(report.result.score[i]) for i, key in enumerate(report.keys)}
    shapes = elections_repo.geometries(session, kind="bv", codes=sorted(scores))
    if not shapes:
        return None
    features = [
        MapFeature(
            code=shape.code,
            label=f"Bureau {shape.code}",
            geometry=shapely.from_geojson(shape.geojson),
            value=scores.get(shape.code),
        )
        for shape in shapes
    ]
    drawing = build_drawing(
        features,
        title=f"Ciblage {report.candidate} — {report.territory}",
        legend_title="Score de ciblage (0 à 1), par bureau de vote",
        value_format=_score,
        tile_url=tile_url,
        source="Sources : Ministère de l'Intérieur, IGN ; score circo (voir la méthode)",
    )
    return to_svg(drawing)
