"""``circo sheet`` (fiche territoire HTML/PDF) and ``circo map`` (choropleth SVG/PNG)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from circo.cli_common import CampaignOption, DataDirOption, console, runtime_for
from circo.errors import CircoError

OutOption = Annotated[
    Path, typer.Option("--out", help="Fichier de sortie / output file.", show_default=False)
]
TerritoryArgument = Annotated[
    str, typer.Argument(help="fr, dep:91, circ:91-04, com:91477 ou bv:91477_0001.")
]


def sheet_command(
    territory: TerritoryArgument,
    out: OutOption,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Fiche d'un territoire en PDF ou HTML / territory sheet as PDF or HTML."""
    from circo.core.models import Campaign
    from circo.core.service import list_campaigns, resolve_campaign
    from circo.core.tenancy import system_context
    from circo.maps.sheet import build_sheet, render_html, render_pdf

    suffix = out.suffix.lower()
    if suffix not in (".pdf", ".html", ".htm"):
        raise CircoError(
            f"extension « {out.suffix} » non prise en charge ; attendu .pdf ou .html "
            "(ex. --out fiche.pdf)",
            loc="--out",
        )
    with runtime_for(data_dir) as runtime, runtime.session() as session:
        chosen: Campaign | None = None
        if campaign or len(list_campaigns(session)) == 1:
            chosen = resolve_campaign(session, campaign)
        ctx = system_context(chosen) if chosen else None
        data = build_sheet(
            session, territory=territory, ctx=ctx, tile_url=runtime.settings.tile_url
        )
        html = render_html(data)
    if suffix == ".pdf":
        out.write_bytes(render_pdf(html))
    else:
        out.write_text(html, encoding="utf-8")
    console.print(f"Fiche écrite : {out}")


def map_command(
    territory: TerritoryArgument,
    out: OutOption,
    election: Annotated[str, typer.Option("--election", help="ex. pres-2022")],
    round_number: Annotated[int, typer.Option("--round", min=1, max=2)],
    indicator: Annotated[
        str,
        typer.Option(
            "--indicator",
            help="turnout, abstention_rate, blank_rate, share:NOM ou NUANCE, demo:COLONNE_INSEE…",
        ),
    ] = "turnout",
    level: Annotated[str, typer.Option("--level", help="bv (bureaux) ou com (communes).")] = "bv",
    method: Annotated[str, typer.Option("--method", help="quantile, equal ou fixed.")] = "quantile",
    classes: Annotated[int, typer.Option("--classes", min=2, max=9)] = 5,
    palette: Annotated[str, typer.Option("--palette", help="viridis, cividis, bleu-orange.")] = (
        "viridis"
    ),
    data_dir: DataDirOption = None,
) -> None:
    """Carte choroplèthe en SVG ou PNG / choropleth map as SVG or PNG."""
    from circo.maps.choropleth import to_png, to_svg
    from circo.maps.service import MapRequest, draw_map, no_contours

    suffix = out.suffix.lower()
    if suffix not in (".svg", ".png"):
        raise CircoError(
            f"extension « {out.suffix} » non prise en charge ; attendu .svg ou .png",
            loc="--out",
        )
    request = MapRequest(
        territory=territory,
        election=election,
        round=round_number,
        indicator=indicator,
        level=level,
        method=method,
        classes=classes,
        palette=palette,
    )
    with runtime_for(data_dir) as runtime, runtime.session() as session:
        drawing = draw_map(
            session, request, tile_url=runtime.settings.tile_url if suffix == ".svg" else None
        )
    if not drawing.shapes:  # nothing to draw: say which contours to import, write nothing
        raise no_contours(territory)
    if suffix == ".svg":
        out.write_text(to_svg(drawing), encoding="utf-8")
    else:
        out.write_bytes(to_png(drawing))
    console.print(f"Carte écrite : {out} ({len(drawing.shapes)} zones)")


def approx_contours_command(
    communes: Annotated[
        list[str], typer.Argument(help="Codes INSEE des communes (ex. 29039 29046).")
    ],
    contours_communes: Annotated[
        Path | None,
        typer.Option(
            "--contours-communes",
            help="GeoJSON WGS84 des contours des communes (propriété code_insee) ; sinon les "
            "contours importés, sinon l'enveloppe des adresses.",
        ),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Contours approximatifs des bureaux d'après les adresses du REU / approximate contours."""
    from circo.maps.approx import approximate_bureaux

    with runtime_for(data_dir) as runtime, runtime.session() as session:
        built = approximate_bureaux(
            session, communes=list(communes), contours_file=contours_communes
        )
    for item in built:
        clip = "contour de la commune" if item.clip == "contour" else "enveloppe des adresses"
        plural = "x" if item.bureaux > 1 else ""
        console.print(
            f"Commune {item.commune} : {item.bureaux} bureau{plural}, contours approximatifs "
            "tirés de "
            f"{item.addresses} points d'adresse (découpés selon le {clip})"
        )


def register(app: typer.Typer) -> None:
    app.command("sheet")(sheet_command)
    app.command("map")(map_command)
    app.command("approx-contours")(approx_contours_command)
