"""Maps of the elections data: features of a territory with the values of an indicator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import shapely
from sqlalchemy.orm import Session

from circo.elections import repository as repo
from circo.elections import service as elections
from circo.elections.territories import TerritoryRef, parse_territory
from circo.maps.choropleth import Drawing, MapFeature, build_drawing, number, percent

LEVELS = ("bv", "com")


@dataclass
class MapRequest:
    """What to draw: an indicator of an election round over a territory."""

    territory: str
    election: str
    round: int
    indicator: str = "turnout"
    level: str = "bv"
    method: str = "quantile"
    classes: int = 5
    palette: str = "viridis"
    width: int = 720


def value_format(indicator: str) -> Callable[[float | None], str]:
    kind = indicator.partition(":")[0]
    if indicator.endswith("_rate") or indicator == "turnout" or kind == "share":
        return percent
    return number


def features_for(
    session: Session, request: MapRequest, *, link: Callable[[str, str], str | None] | None = None
) -> tuple[list[MapFeature], str]:
    """The map's features and the level actually drawn (communes when bureaux have no contour)."""
    ref = parse_territory(request.territory)
    if request.level == "bv":
        values = elections.station_indicator(
            session,
            territory=ref,
            key=request.election,
            round_number=request.round,
            indicator=request.indicator,
        )
        shapes = repo.geometries(session, kind="bv", codes=sorted(values))
        if shapes:
            return [
                MapFeature(
                    code=g.code,
                    label=f"Bureau {g.code}",
                    geometry=shapely.from_geojson(g.geojson),
                    value=values.get(g.code),
                    href=link("bv", g.code) if link else None,
                )
                for g in shapes
            ], "bv"
    return _commune_features(session, request, ref, link), "com"


def _commune_features(
    session: Session,
    request: MapRequest,
    ref: TerritoryRef,
    link: Callable[[str, str], str | None] | None,
) -> list[MapFeature]:
    values = elections.commune_indicator(
        session,
        territory=ref,
        key=request.election,
        round_number=request.round,
        indicator=request.indicator,
    )
    shapes = list(repo.geometries(session, kind="com", codes=sorted(values)))
    drawn = {g.code for g in shapes}
    # Paris, Lyon, Marseille: draw the arrondissements rather than the whole commune.
    parents = {
        code for code in drawn if any(child != code and child in drawn for child in _plm(code))
    }
    return [
        MapFeature(
            code=g.code,
            label=f"{g.name or 'Commune'} ({g.code})",
            geometry=shapely.from_geojson(g.geojson),
            value=values.get(g.code),
            href=link("com", g.code) if link else None,
        )
        for g in shapes
        if g.code not in parents
    ]


def _plm(code: str) -> list[str]:
    from circo.elections.territories import PLM

    if code not in PLM:
        return []
    first, count = PLM[code]
    return [str(int(first) + i) for i in range(count)]


def draw_map(
    session: Session,
    request: MapRequest,
    *,
    tile_url: str | None = None,
    link: Callable[[str, str], str | None] | None = None,
) -> Drawing:
    """A ready-to-export drawing of the request (SVG with `to_svg`, PNG with `to_png`)."""
    features, level = features_for(session, request, link=link)
    ref = parse_territory(request.territory)
    place = elections.territory_label(session, ref)
    unit = "bureau de vote" if level == "bv" else "commune"
    label = elections.indicator_label(request.indicator)
    return build_drawing(
        features,
        title=(
            f"{place} — "
            + elections.election_title(session, key=request.election, round_number=request.round)
        ),
        legend_title=f"{label}, par {unit}",
        method=request.method,
        classes=request.classes,
        palette=request.palette,
        value_format=value_format(request.indicator),
        width=request.width,
        tile_url=tile_url,
        source="Sources : Ministère de l'Intérieur, INSEE, IGN (Licence Ouverte)",
    )
