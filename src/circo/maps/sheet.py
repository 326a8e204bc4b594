"""Territory sheet ("fiche circonscription" / commune): results history with charts, turnout,
demographics, the map, priority bureaux and local news (hooks) — as HTML, and PDF via weasyprint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from importlib import resources

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy.orm import Session

from circo import labels
from circo.core.tenancy import CampaignContext
from circo.elections import service as elections
from circo.elections.errors import TerritoryNotFound
from circo.elections.territories import parse_territory
from circo.formatting import format_date
from circo.maps.charts import bar_chart, column_chart
from circo.maps.choropleth import number, percent, to_svg
from circo.maps.coverage import results_coverage
from circo.maps.hooks import SheetSection, sections_for
from circo.maps.service import MapRequest, draw_map

MAX_ELECTIONS = 4
MAX_CANDIDATES = 8
# INSEE indicators shown first, with a French label (any vintage: matched on the suffix).
KNOWN_INDICATORS = {
    "_POP": "Population",
    "_POP15P": "Population de 15 ans ou plus",
    "_POP1564": "Population de 15 à 64 ans",
    "_ACT1564": "Actifs de 15 à 64 ans",
    "_CHOM1564": "Chômeurs de 15 à 64 ans",
    "_NSCOL15P": "Non scolarisés de 15 ans ou plus",
    "_NSCOL15P_SUP": "… dont diplômés du supérieur",
    "_NSCOL15P_DIPLMIN": "… dont sans diplôme ou au plus BEPC",
    "_POP15P_CS3": "Cadres, professions intellectuelles sup.",
    "_POP15P_CS6": "Ouvriers",
    "_POP15P_CS7": "Retraités",
    "DISP_MED": "Revenu disponible médian (€ par UC)",
    "DISP_TP60": "Taux de pauvreté (%)",
    "DISP_GI": "Indice de Gini",
}

_environment = Environment(
    loader=FileSystemLoader(str(resources.files("circo") / "maps" / "templates")),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters["number"] = number
_environment.filters["date"] = format_date  # "3 décembre 2026" (circo.formatting)
_environment.filters["percent"] = percent


@dataclass
class SheetData:
    territory: str
    title: str
    campaign: str | None
    generated_on: date
    results: list[elections.TerritoryResults] = field(default_factory=list)
    turnout_chart: Markup | None = None
    candidate_charts: list[Markup] = field(default_factory=list)
    demographics: list[tuple[str, str, str]] = field(default_factory=list)  # code, label, value
    map_svg: Markup | None = None
    map_note: str = ""
    coverage: list[str] = field(default_factory=list)  # « pres-2022 tour 1 : 305 bureaux sur … »
    sections: list[SheetSection] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # election key → "Présidentielle 2022"

    def election_title(self, result: elections.TerritoryResults) -> str:
        """ "Présidentielle 2022 — 1er tour" for a row of the results table."""
        return labels.election_title(self.names.get(result.election, result.election), result.round)


def _round_label(data: SheetData, result: elections.TerritoryResults) -> str:
    """Short label of a chart bar: "Présidentielle 2022 T1"."""
    return f"{data.names.get(result.election, result.election)} T{result.round}"


def build_sheet(
    session: Session,
    *,
    territory: str,
    ctx: CampaignContext | None = None,
    tile_url: str | None = None,
) -> SheetData:
    """Gather everything the sheet shows about ``territory`` (raises if nothing is known)."""
    ref = parse_territory(territory)
    data = SheetData(
        territory=ref.key,
        title=elections.territory_label(session, ref),
        campaign=ctx.campaign.name if ctx else None,
        generated_on=date.today(),
    )
    for row in elections.list_elections(session):
        data.names[row["election"]] = row["name"] or row["election"]
        try:
            data.results.append(
                elections.territory_results(
                    session, territory=ref, key=row["election"], round_number=row["round"]
                )
            )
        except TerritoryNotFound:
            continue
        partial = results_coverage(
            session, territory=ref, key=row["election"], round_number=row["round"]
        )
        if partial is not None:
            data.coverage.append(
                f"{row['election']} tour {row['round']} : couverture partielle, "
                f"{partial.sentence()}"
            )
    data.demographics = _demographics(session, ref.key)
    if not data.results and not data.demographics:
        raise TerritoryNotFound(
            f"rien de connu sur {ref.key} : importez des résultats (circo import results) ou des "
            "données INSEE (circo import insee)",
            loc="TERRITOIRE",
        )
    if data.results:
        history = list(reversed(data.results))
        data.turnout_chart = Markup(
            column_chart(
                [(_round_label(data, r), r.turnout) for r in history],
                title="Participation (votants / inscrits)",
            )
        )
        for result in data.results[:MAX_ELECTIONS]:
            data.candidate_charts.append(
                Markup(
                    bar_chart(
                        [(c.name, c.share_valid) for c in result.candidates[:MAX_CANDIDATES]],
                        title=f"{_round_label(data, result)} — voix en % des exprimés",
                    )
                )
            )
        latest = data.results[0]
        drawing = draw_map(
            session,
            MapRequest(territory=ref.key, election=latest.election, round=latest.round, width=640),
            tile_url=tile_url,
        )
        if drawing.shapes:
            data.map_svg = Markup(to_svg(drawing))
        else:
            data.map_note = "Pas de contours importés pour ce territoire (circo import geo)."
    data.sections = sections_for(session, ctx, ref.key)
    return data


def _demographics(session: Session, key: str) -> list[tuple[str, str, str]]:
    values = elections.territory_demographics(session, territory=key)
    shown: list[tuple[str, str, str]] = []
    for code in sorted(values):
        for suffix, label in KNOWN_INDICATORS.items():
            if _matches(code, suffix):
                shown.append((code, label, number(values[code])))
    return shown


def _matches(code: str, suffix: str) -> bool:
    """``P15_POP`` matches ``_POP``; ``DISP_MED15`` matches ``DISP_MED``."""
    if suffix.startswith("_"):
        head, _, rest = code.partition("_")
        return len(head) == 3 and head[1:].isdigit() and f"_{rest}" == suffix
    return code.startswith(suffix) and code[len(suffix) :].isdigit()


def render_html(data: SheetData) -> str:
    return _environment.get_template("maps/sheet.html").render(sheet=data)


def render_pdf(html: str) -> bytes:
    """HTML → PDF with weasyprint (fonts from the system; no network access)."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=html, base_url=None).write_pdf()
    return pdf
