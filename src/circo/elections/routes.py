"""Elections and maps pages (results explorer, comparison, bureau page, maps, sheets) and the
elections JSON API under ``/api/campaigns/{slug}/elections/…``.

Election data is shared public reference data; pages still live under the campaign (membership
required, 404 otherwise) and default to the campaign's territory.
"""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from circo import labels
from circo.bounds import ShortText
from circo.core.models import Role
from circo.core.tenancy import CampaignContext
from circo.elections import service
from circo.elections.errors import ElectionsError, TerritoryNotFound
from circo.elections.schemas import (
    ElectionRead,
    EvolutionRead,
    RankedStationRead,
    TerritoryResultsRead,
)
from circo.elections.territories import parse_territory
from circo.errors import CircoError
from circo.formatting import format_percent
from circo.web.deps import CampaignDep, SessionDep, SettingsDep
from circo.web.registry import Card, NavItem
from circo.web.templating import add_template_dir, render

add_template_dir(str(resources.files("circo") / "elections" / "templates"))

router = APIRouter()
ANALYSTS = (Role.data, Role.comms, Role.organiser)
NAV_ITEMS = [
    NavItem("Résultats électoraux", "elections", roles=ANALYSTS, order=20, group="Territoire"),
    NavItem("Cartes", "elections/maps", roles=ANALYSTS, order=21, group="Territoire"),
]
INDICATORS = ["turnout", "abstention_rate", "blank_rate", "null_rate", "registered"]


def default_territory(ctx: CampaignContext) -> str:
    code = ctx.campaign.territory_code
    if not code:
        return "fr"
    return code if ":" in code else f"com:{code}"


def _latest(session: Session) -> dict[str, Any] | None:
    rows = service.list_elections(session)
    return rows[0] if rows else None


def dashboard_cards(session: Session, ctx: CampaignContext) -> list[Card]:
    if ctx.role is Role.volunteer:
        return []
    rows = service.list_elections(session)
    href = f"/c/{ctx.campaign.slug}/elections"
    if not rows:
        return [Card("Résultats électoraux", "0", "aucune élection importée", href)]
    latest = rows[0]
    detail = "dernière : " + labels.election_title(
        latest["name"] or latest["election"], latest["round"]
    )
    try:
        result = service.territory_results(
            session,
            territory=default_territory(ctx),
            key=latest["election"],
            round_number=latest["round"],
        )
        if result.turnout is not None:
            detail += f" · participation {format_percent(result.turnout)}"
    except CircoError:
        pass
    return [Card("Résultats électoraux", str(len(rows)), detail, href)]


# --- pages -----------------------------------------------------------------------------------


@router.get("/c/{slug}/elections", response_class=HTMLResponse, include_in_schema=False)
def elections_page(request: Request, session: SessionDep, ctx: CampaignDep) -> Response:
    return render(
        request,
        "elections/list.html",
        {"elections": service.list_elections(session), "territory": default_territory(ctx)},
    )


def _map_link(slug: str, election: str, round_number: int) -> Any:
    def link(level: str, code: str) -> str:
        if level == "bv":
            return f"/c/{slug}/elections/bureau/{code}?election={election}&round={round_number}"
        query = f"election={election}&round={round_number}&territory=com:{code}"
        return f"/c/{slug}/elections/results?{query}"

    return link


def _map_svg(
    session: Session,
    ctx: CampaignContext,
    *,
    territory: str,
    election: str,
    round_number: int,
    indicator: str,
    tile_url: str | None,
) -> Markup | None:
    from circo.maps.choropleth import to_svg
    from circo.maps.service import MapRequest, draw_map

    drawing = draw_map(
        session,
        MapRequest(territory=territory, election=election, round=round_number, indicator=indicator),
        tile_url=tile_url,
        link=_map_link(ctx.campaign.slug, election, round_number),
    )
    return Markup(to_svg(drawing)) if drawing.shapes else None


@router.get("/c/{slug}/elections/results", response_class=HTMLResponse, include_in_schema=False)
def results_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: CampaignDep,
    election: str | None = None,
    round: int | None = None,
    territory: str | None = None,
    indicator: str = "turnout",
) -> Response:
    from circo.maps.coverage import results_coverage

    elections = service.list_elections(session)
    context: dict[str, Any] = {
        "elections": elections,
        "territory": territory or default_territory(ctx),
        "indicator": indicator,
        "indicators": INDICATORS,
        "results": None,
        "coverage": None,
        "map_svg": None,
        "error": None,
    }
    latest = _latest(session)
    if latest is not None:
        context["election"] = election or latest["election"]
        context["round"] = round or latest["round"]
        try:
            context["results"] = service.territory_results(
                session,
                territory=context["territory"],
                key=context["election"],
                round_number=context["round"],
            )
            context["coverage"] = results_coverage(
                session,
                territory=context["territory"],
                key=context["election"],
                round_number=context["round"],
            )
            context["results_title"] = " — ".join(
                (
                    service.territory_label(
                        session, parse_territory(context["territory"]), request.state.language
                    ),
                    service.election_title(
                        session,
                        key=context["election"],
                        round_number=context["round"],
                        language=request.state.language,
                    ),
                )
            )
            context["map_svg"] = _map_svg(
                session,
                ctx,
                territory=context["territory"],
                election=context["election"],
                round_number=context["round"],
                indicator=indicator,
                tile_url=settings.tile_url,
            )
        except CircoError as exc:
            context["error"] = labels.person_message(exc.message, exc.loc)
    return render(request, "elections/results.html", context)


def _pair(text: str | None) -> tuple[str, int] | None:
    if not text or ":" not in text:
        return None
    key, _, number = text.rpartition(":")
    return (key, int(number)) if number.isascii() and number.isdigit() and len(number) < 3 else None


def _default_pair(
    session: Session, elections: list[dict[str, Any]], territory: str, *, tries: int = 6
) -> tuple[tuple[str, int] | None, tuple[str, int] | None]:
    """The latest round and the most recent earlier one sharing bureaux with it in the
    territory (same round number first): never a default pair with 0 bureaux in common."""
    if not elections:
        return None, None
    latest = (elections[0]["election"], elections[0]["round"])
    others = [(e["election"], e["round"]) for e in elections[1:] if e["election"] != latest[0]]
    others += [(e["election"], e["round"]) for e in elections[1:] if e["election"] == latest[0]]
    others.sort(key=lambda pair: pair[1] != latest[1])  # stable: same round number first
    for candidate in others[:tries]:
        try:
            found = service.evolution(session, territory=territory, a=candidate, b=latest)
        except CircoError:
            continue
        if found.matched:
            return candidate, latest
    return (others[0] if others else latest), latest


@router.get("/c/{slug}/elections/compare", response_class=HTMLResponse, include_in_schema=False)
def compare_page(
    request: Request,
    session: SessionDep,
    ctx: CampaignDep,
    a: str | None = None,
    b: str | None = None,
    territory: str | None = None,
) -> Response:
    elections = service.list_elections(session)
    choices = [f"{e['election']}:{e['round']}" for e in elections]
    chosen_territory = territory or default_territory(ctx)
    first, second = _pair(a), _pair(b)
    if first is None and second is None:
        first, second = _default_pair(session, elections, chosen_territory)
    context: dict[str, Any] = {
        "choices": choices,
        "choice_labels": {
            f"{e['election']}:{e['round']}": labels.election_title(
                e["name"] or e["election"], e["round"], request.state.language
            )
            for e in elections
        },
        "a": f"{first[0]}:{first[1]}" if first else "",
        "b": f"{second[0]}:{second[1]}" if second else "",
        "territory": chosen_territory,
        "evolution": None,
        "error": None,
    }
    if first and second:
        try:
            context["evolution"] = service.evolution(
                session, territory=context["territory"], a=first, b=second
            )
        except CircoError as exc:
            context["error"] = labels.person_message(exc.message, exc.loc, request.state.language)
    return render(request, "elections/compare.html", context)


@router.get(
    "/c/{slug}/elections/bureau/{station_key}",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def bureau_page(
    request: Request, session: SessionDep, ctx: CampaignDep, station_key: str
) -> Response:
    ref = parse_territory(f"bv:{station_key}")
    history = []
    names: dict[str, str] = {}
    for row in service.list_elections(session):
        names[row["election"]] = row["name"] or row["election"]
        try:
            history.append(
                service.territory_results(
                    session, territory=ref, key=row["election"], round_number=row["round"]
                )
            )
        except TerritoryNotFound:
            continue
    demographics = service.territory_demographics(session, territory=ref)
    if not history and not demographics:
        raise TerritoryNotFound(f"bureau {ref.code} inconnu", loc="bureau")
    return render(
        request,
        "elections/bureau.html",
        {
            "station": ref.code,
            "label": service.territory_label(session, ref, request.state.language),
            "history": history,
            "names": names,
            "demographics": sorted(demographics.items())[:60],
        },
    )


@router.get("/c/{slug}/elections/maps", response_class=HTMLResponse, include_in_schema=False)
def maps_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: CampaignDep,
    election: str | None = None,
    round: int | None = None,
    territory: str | None = None,
    indicator: str = "turnout",
    palette: str = "viridis",
    method: str = "quantile",
) -> Response:
    from circo.maps.choropleth import to_svg
    from circo.maps.palettes import PALETTES
    from circo.maps.service import MapRequest, draw_map

    latest = _latest(session)
    context: dict[str, Any] = {
        "elections": service.list_elections(session),
        "territory": territory or default_territory(ctx),
        "indicator": indicator,
        "indicators": INDICATORS,
        "palette": palette,
        "palettes": list(PALETTES),
        "method": method,
        "map_svg": None,
        "error": None,
        "query": request.url.query,
    }
    if latest is not None:
        context["election"] = election or latest["election"]
        context["round"] = round or latest["round"]
        try:
            drawing = draw_map(
                session,
                MapRequest(
                    territory=context["territory"],
                    election=context["election"],
                    round=context["round"],
                    indicator=indicator,
                    palette=palette,
                    method=method,
                ),
                tile_url=settings.tile_url,
                link=_map_link(ctx.campaign.slug, context["election"], context["round"]),
            )
            context["map_svg"] = Markup(to_svg(drawing)) if drawing.shapes else None
        except CircoError as exc:
            context["error"] = labels.person_message(exc.message, exc.loc)
    return render(request, "elections/maps.html", context)


@router.get("/c/{slug}/elections/maps/export", include_in_schema=False)
def map_export(
    session: SessionDep,
    settings: SettingsDep,
    ctx: CampaignDep,
    election: str,
    round: int,
    territory: str | None = None,
    indicator: str = "turnout",
    palette: str = "viridis",
    method: str = "quantile",
    format: str = "svg",
) -> Response:
    from circo.maps.choropleth import to_png, to_svg
    from circo.maps.service import MapRequest, draw_map

    request = MapRequest(
        territory=territory or default_territory(ctx),
        election=election,
        round=round,
        indicator=indicator,
        palette=palette,
        method=method,
    )
    if format == "png":
        drawing = draw_map(session, request)
        return Response(
            to_png(drawing),
            media_type="image/png",
            headers={"Content-Disposition": 'attachment; filename="carte.png"'},
        )
    drawing = draw_map(session, request, tile_url=settings.tile_url)
    return Response(
        to_svg(drawing),
        media_type="image/svg+xml",
        headers={"Content-Disposition": 'attachment; filename="carte.svg"'},
    )


@router.get("/c/{slug}/elections/sheet", include_in_schema=False)
def sheet(
    session: SessionDep,
    settings: SettingsDep,
    ctx: CampaignDep,
    territory: str | None = None,
    format: str = "html",
) -> Response:
    from circo.maps.sheet import build_sheet, render_html, render_pdf

    try:
        data = build_sheet(
            session,
            territory=territory or default_territory(ctx),
            ctx=ctx,
            tile_url=settings.tile_url,
        )
    except TerritoryNotFound as exc:
        exc.status = 400  # the campaign exists; the territory simply has no data yet
        raise
    html = render_html(data)
    if format == "pdf":
        return Response(
            render_pdf(html),
            media_type="application/pdf",
            headers={"Content-Disposition": 'attachment; filename="fiche.pdf"'},
        )
    return HTMLResponse(html)


# --- JSON API ---------------------------------------------------------------------------------


ElectionRef = Annotated[ShortText, Query(max_length=100)]
TerritoryCode = Annotated[ShortText, Query(max_length=64)]
RoundNumber = Annotated[int, Query(ge=1, le=9)]


@router.get(
    "/api/campaigns/{slug}/elections", tags=["elections"], response_model=list[ElectionRead]
)
def api_elections(session: SessionDep, ctx: CampaignDep) -> list[dict[str, Any]]:
    """Imported election rounds (shared reference data)."""
    return service.list_elections(session)


@router.get(
    "/api/campaigns/{slug}/elections/results",
    tags=["elections"],
    response_model=TerritoryResultsRead,
)
def api_results(
    session: SessionDep,
    ctx: CampaignDep,
    election: ElectionRef,
    round: RoundNumber,
    territory: TerritoryCode = "fr",
) -> dict[str, Any]:
    """Results of a territory — same object as ``circo results … --json``."""
    results = service.territory_results(
        session, territory=territory, key=election, round_number=round
    )
    return results.as_dict()


@router.get(
    "/api/campaigns/{slug}/elections/evolution", tags=["elections"], response_model=EvolutionRead
)
def api_evolution(
    session: SessionDep,
    ctx: CampaignDep,
    a: ElectionRef,
    b: ElectionRef,
    territory: TerritoryCode = "fr",
) -> dict[str, Any]:
    """Compare two rounds (``a=pres-2017:1&b=pres-2022:1``) on the bureaux present in both."""
    first, second = _pair(a), _pair(b)
    if first is None or second is None:
        raise ElectionsError("attendu a et b de la forme ID:TOUR, ex. pres-2017:1", loc="a, b")
    change = service.evolution(session, territory=territory, a=first, b=second)
    return change.as_dict()


@router.get(
    "/api/campaigns/{slug}/elections/ranking",
    tags=["elections"],
    response_model=list[RankedStationRead],
)
def api_ranking(
    session: SessionDep,
    ctx: CampaignDep,
    election: ElectionRef,
    round: RoundNumber,
    indicator: Annotated[ShortText, Query(max_length=64)] = "turnout",
    territory: TerritoryCode = "fr",
    ascending: bool = False,
    limit: Annotated[int, Query(ge=1, le=5000)] = 50,
) -> list[dict[str, Any]]:
    """Bureaux of a territory ranked by an indicator."""
    ranked = service.rank_stations(
        session,
        territory=territory,
        key=election,
        round_number=round,
        indicator=indicator,
        descending=not ascending,
        limit=limit,
    )
    return [
        {"station": r.station_key, "value": r.value, "registered": r.registered} for r in ranked
    ]


@router.get(
    "/api/campaigns/{slug}/elections/demographics",
    tags=["elections"],
    response_model=dict[str, float | None],
)
def api_demographics(
    session: SessionDep, ctx: CampaignDep, territory: TerritoryCode = "fr"
) -> dict[str, float]:
    """INSEE indicators of a territory (estimated per bureau through the IRIS weights)."""
    return service.territory_demographics(session, territory=territory)
