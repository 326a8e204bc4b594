"""Maps of the elections data: features of a territory with the values of an indicator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import shapely
from sqlalchemy.orm import Session

from circo.elections import repository as repo
from circo.elections import service as elections
from circo.elections.models import Geometry
from circo.elections.territories import TerritoryRef, parse_territory
from circo.errors import CircoError
from circo.maps.approx import APPROX_KIND, APPROX_LABEL
from circo.maps.choropleth import Drawing, MapFeature, build_drawing, number, percent

LEVELS = ("bv", "com")


class NoContours(CircoError):
    """No contour to draw the territory with (exit 2: import the contours first)."""


def no_contours(territory: str) -> NoContours:
    ref = parse_territory(territory)
    return NoContours(
        f"aucun contour pour {ref.key} : la carte serait vide ; importez les contours des "
        "bureaux (`circo import geo FICHIER.geojson --kind bureaux`, ex. contours des "
        "bureaux de vote de data.gouv.fr) ou des IRIS, dont circo tire ceux des communes "
        "(`circo import geo FICHIER.geojson --kind iris`)",
        loc="TERRITOIRE",
    )


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
    features, level, _note = features_with_coverage(session, request, link=link)
    return features, level


def features_with_coverage(
    session: Session, request: MapRequest, *, link: Callable[[str, str], str | None] | None = None
) -> tuple[list[MapFeature], str, str]:
    """`features_for` plus a French note on coverage: how many bureaux of the territory have a
    contour, and how many of those are approximate (derived from REU addresses)."""
    ref = parse_territory(request.territory)
    if request.level == "bv":
        values = elections.station_indicator(
            session,
            territory=ref,
            key=request.election,
            round_number=request.round,
            indicator=request.indicator,
        )
        shapes = list(repo.geometries(session, kind="bv", codes=sorted(values)))
        drawn = {g.code for g in shapes}
        approx = list(repo.geometries(session, kind=APPROX_KIND, codes=sorted(set(values) - drawn)))
        with_data = len(shapes) + len(approx)
        if shapes:
            # Bureaux of the territory with a contour but no result: drawn "sans donnée".
            shapes += [g for g in _territory_contours(session, ref) if g.code not in drawn]
        if shapes or approx:
            features = [
                MapFeature(
                    code=g.code,
                    label=f"Bureau {g.code}"
                    + (f" (contour {APPROX_LABEL})" if g.kind == APPROX_KIND else ""),
                    geometry=shapely.from_geojson(g.geojson),
                    value=values.get(g.code),
                    href=link("bv", g.code) if link else None,
                )
                for g in sorted(shapes + approx, key=lambda g: g.code)
            ]
            return features, "bv", coverage_note(with_data, len(values), len(approx))
    return _commune_features(session, request, ref, link), "com", ""


def _territory_contours(session: Session, ref: TerritoryRef) -> list[Geometry]:
    """The bureau contours of a territory, results or not (what the map draws "sans donnée")."""
    if ref.level == "com":
        return list(repo.geometries(session, kind="bv", commune=ref.code))
    if ref.level == "dep":
        return list(repo.geometries(session, kind="bv", department=ref.code))
    if ref.level == "circ":
        codes = sorted(repo.stations_of_constituency(session, ref.code))
        found: list[Geometry] = []
        for start in range(0, len(codes), 900):  # SQLite's bound-parameter limit
            found += repo.geometries(session, kind="bv", codes=codes[start : start + 900])
        return found
    if ref.level == "fr":
        return list(repo.geometries(session, kind="bv"))
    return []  # région, arrondissement: only the bureaux with a result are drawn


def coverage_note(drawn: int, total: int, approximate: int = 0) -> str:
    """« 886 bureaux sur 896 ont un contour (dont 12 approximatifs…) » — empty when complete."""
    parts = []
    if drawn < total:
        parts.append(f"{drawn} bureaux sur {total} ont un contour")
    if approximate:
        parts.append(
            f"{approximate} contour{'s' if approximate > 1 else ''} "
            f"{APPROX_LABEL}{'s' if approximate > 1 else ''} (cellules des adresses du REU)"
        )
    return " ; ".join(parts)


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
    features, level, note = features_with_coverage(session, request, link=link)
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
        source="Sources : Ministère de l'Intérieur, INSEE, IGN (Licence Ouverte)"
        + (f" — {note}" if note else ""),
    )
