"""What the targeting pages and API share: roles, choices, the ranking report, fit jobs."""

from __future__ import annotations

import importlib
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query
from sqlalchemy.orm import Session

from circo import labels
from circo.bounds import ShortText
from circo.core import audit
from circo.core.models import Job, Role
from circo.core.tenancy import CampaignContext
from circo.elections.service import list_elections
from circo.elections.territories import parse_territory
from circo.errors import CircoError
from circo.targeting import jobs
from circo.targeting.preferences import TargetingChoice, load_choice
from circo.targeting.service import (
    TargetingError,
    TargetingReport,
    parse_election_round,
    target_stations,
)
from circo.web.deps import require_role

READERS = (Role.organiser, Role.data)
FITTERS = (Role.data,)
ReaderDep = Annotated[CampaignContext, Depends(require_role(*READERS))]
FitterDep = Annotated[CampaignContext, Depends(require_role(*FITTERS))]
METHOD_CHOICES = ("em", "md", "auto", "goodman", "lp")
UNDER_COVERAGE = (
    "Sur des données réelles, les intervalles de l'inférence écologique couvrent moins souvent "
    "la vraie valeur qu'annoncé (hypothèse d'un comportement homogène entre bureaux) : lisez-les "
    "comme des ordres de grandeur, pas comme des certitudes."
)


# --- shared helpers ---------------------------------------------------------------------------


def election_options(session: Session) -> list[dict[str, str]]:
    return [
        {
            "value": f"{row['election']}:{row['round']}",
            "label": labels.election_title(row["name"] or row["election"], row["round"]),
        }
        for row in list_elections(session)
    ]


def default_territory(ctx: CampaignContext) -> str:
    """The campaign's territory as a key: ``com:75056`` (a bare commune or département code,
    as the campaign form allows, is read as such)."""
    code = (ctx.campaign.territory_code or "").strip()
    if code and ":" not in code:
        code = f"com:{code}" if len(code) == 5 else f"dep:{code}"
    try:
        return parse_territory(code).key if code else ""
    except CircoError:
        return ""


def query_string(values: dict[str, Any]) -> str:
    return urlencode({key: value for key, value in values.items() if value not in (None, "")})


def round_or_none(value: str) -> tuple[str, int] | None:
    return parse_election_round(value, option="transfers_from") if value else None


def field_handoff_available() -> bool:
    """Turf cutting is offered when the field module is installed with its plan page."""
    from circo.domains import registry

    if "field" not in {domain.name for domain in registry().domains}:
        return False
    try:
        service = importlib.import_module("circo.field.service")
    except ImportError:
        return False
    return callable(getattr(service, "create_plan", None))


class ChoiceQuery:
    """The targeting choice as query parameters (page, CSV export and API share them)."""

    def __init__(
        self,
        election: ElectionQ = "",
        territory: ElectionQ = "",
        candidate: ElectionQ = "",
        mobilisation: FloatQ = None,
        persuasion: FloatQ = None,
        doors: FloatQ = None,
        transfers_from: ElectionQ = "",
    ) -> None:
        self.election = election
        self.territory = territory
        self.candidate = candidate
        self.mobilisation = mobilisation
        self.persuasion = persuasion
        self.doors = doors
        self.transfers_from = transfers_from


ChoiceDep = Annotated[ChoiceQuery, Depends()]


def choice_from(ctx: CampaignContext, query: ChoiceQuery) -> TargetingChoice | None:
    """The query's values, else the campaign's saved choice (None when nothing is chosen)."""
    saved = load_choice(ctx)
    if not (query.election or query.candidate) and saved is not None:
        return saved
    if not (query.election and query.candidate):
        return None
    for name, value in (
        ("mobilisation", query.mobilisation),
        ("persuasion", query.persuasion),
        ("doors", query.doors),
    ):
        if value is not None and value < 0:
            raise TargetingError(f"poids négatif : {name}={value}", loc=name)
    return TargetingChoice(
        election=query.election,
        territory=query.territory or default_territory(ctx),
        candidate=query.candidate,
        mobilisation=0.5 if query.mobilisation is None else query.mobilisation,
        persuasion=0.3 if query.persuasion is None else query.persuasion,
        doors=0.2 if query.doors is None else query.doors,
        transfers_from=query.transfers_from or None,
    )


def required_choice(ctx: CampaignContext, query: ChoiceQuery) -> TargetingChoice:
    """The choice an export needs: refused when neither the query nor the campaign has one."""
    choice = choice_from(ctx, query)
    if choice is None:
        raise TargetingError(
            "élection et candidat requis (ex. ?election=pres-2017:1&candidate=X)", loc="election"
        )
    return choice


def ranking_report(session: Session, choice: TargetingChoice) -> TargetingReport:
    if not choice.territory:
        raise TargetingError("territoire manquant (ex. dep:69, com:69123)", loc="territory")
    return target_stations(
        session,
        election=parse_election_round(choice.election, option="election"),
        territory=choice.territory,
        candidate=choice.candidate,
        weights=choice.weights,
        informed_by=round_or_none(choice.transfers_from or ""),
    )


def choice_query(choice: TargetingChoice) -> str:
    return query_string(
        {
            "election": choice.election,
            "territory": choice.territory,
            "candidate": choice.candidate,
            "mobilisation": choice.mobilisation,
            "persuasion": choice.persuasion,
            "doors": choice.doors,
            "transfers_from": choice.transfers_from,
        }
    )


ElectionQ = Annotated[ShortText, Query(max_length=100)]
# Weights of the ranking: finite, and bounded well past any sensible value.
FloatQ = Annotated[float | None, Query(allow_inf_nan=False, ge=-1000, le=1000)]


def audited_export(
    session: Session, ctx: CampaignContext, report: TargetingReport, *, kind: str
) -> None:
    audit.record(
        session,
        actor=ctx.actor,
        action="targeting.export",
        campaign_id=ctx.campaign_id,
        target_type="targeting",
        target_id=report.election,
        details={
            "format": kind,
            "territory": report.territory,
            "candidate": report.candidate,
            "stations": len(report.keys),
        },
    )


def transfer_form(
    session: Session, ctx: CampaignContext, *, source: str, target: str, territory: str
) -> dict[str, Any]:
    """What the transfers and diagnostics pages' shared form shows (elections, territory…)."""
    return {
        "elections": election_options(session),
        "territory": territory or default_territory(ctx),
        "source": source,
        "target": target,
        "warning": UNDER_COVERAGE,
    }


def start_fit_job(
    session: Session, ctx: CampaignContext, *, kind: str, payload: dict[str, Any]
) -> Job:
    """Validate the request now (clear error) and queue it."""
    if kind == jobs.TRANSFERS:
        parse_election_round(str(payload.get("from", "")), option="from")
        parse_election_round(str(payload.get("to", "")), option="to")
        kept = ("from", "to", "territory", "method")
    elif kind == jobs.GROUPS:
        parse_election_round(str(payload.get("election", "")), option="election")
        kept = ("election", "territory", "variables", "method")
    else:
        raise TargetingError(
            f"type de calcul « {kind} » inconnu (attendu {', '.join(jobs.KINDS)})", loc="kind"
        )
    parse_territory(str(payload.get("territory", "")))
    if str(payload.get("method", "")) not in METHOD_CHOICES:
        raise TargetingError(
            f"méthode « {payload.get('method')} » inconnue (attendu {', '.join(METHOD_CHOICES)})",
            loc="method",
        )
    clean = {name: str(payload.get(name, "")) for name in kept}
    return jobs.enqueue_fit(session, ctx, kind=kind, payload=clean)
