"""Field experiments on the bureaux of a territory, for the page: the design drawn from an
imported election (blocks on the bureaux' past turnout), frozen in the audit log with its
assignments; the analysis after the vote from two imported elections (turnout per bureau,
difference in differences); the PDF report of both.

The audit event *is* the pre-registration: nothing else stores the design, so what is analysed
is exactly what was frozen (units, arms, blocks, seed, hypothesis)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

import numpy as np
from jinja2 import Environment, FileSystemLoader, select_autoescape
from scipy import stats
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo import labels
from circo.analysis.errors import AnalysisError
from circo.analysis.experiments import (
    TREATMENT,
    EffectEstimate,
    analyse,
    assign,
    make_blocks,
    minimum_detectable_effect,
)
from circo.core import audit
from circo.core.models import AuditEvent
from circo.core.spreadsheet import safe_cell
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.elections import repository as repo
from circo.elections.service import get_election
from circo.elections.territories import parse_territory
from circo.errors import CircoError
from circo.formatting import format_datetime, format_number
from circo.targeting.experiments import PREREGISTERED
from circo.targeting.service import parse_election_round

TREATMENTS = ("door_to_door", "phoning", "leaflets")
BLOCK_CHOICES = ("turnout", "none")
ANALYSIS_PLAN = (
    "différence de différences de la participation par bureau (après − avant), estimateur "
    "par blocs, intervalles à 90 % et 95 % (variance de Neyman), p-valeur par inférence de "
    "randomisation"
)


class ExperimentPageError(CircoError):
    """A bad field of the experiment form (``loc`` names it)."""


class ExperimentNotFound(ExperimentPageError):
    status = 404


@dataclass(frozen=True)
class Bureau:
    key: str
    registered: int
    voters: int

    @property
    def turnout(self) -> float:
        return self.voters / self.registered


@dataclass
class FrozenDesign:
    """A pre-registration read back from the audit log."""

    id: int
    recorded_at: datetime
    actor: str
    name: str
    hypothesis: str
    treatment: str
    election: str
    territory: str
    treated_share: float
    block_on: str
    seed: int
    assignments: list[tuple[str, str]]
    blocks: list[list[str]]
    minimum_detectable_effect: float | None
    assignments_sha256: str

    @property
    def treated(self) -> int:
        return sum(1 for _, arm in self.assignments if arm == TREATMENT)

    @property
    def control(self) -> int:
        return len(self.assignments) - self.treated


@dataclass
class ExperimentAnalysis:
    before: str
    after: str
    estimate: EffectEstimate
    low90: float
    high90: float
    mean_change_treated: float
    mean_change_control: float
    missing: list[str]


def bureaux_of(session: Session, *, election: str, territory: str, option: str) -> list[Bureau]:
    """The territory's bureaux with at least one registered voter in ``election`` (key:round)."""
    key, round_number = parse_election_round(election, option=option)
    found = get_election(session, key=key, round_number=round_number)
    ref = parse_territory(territory)
    rows = repo.station_rows(session, election_id=found.id, ref=ref)
    bureaux = [
        Bureau(row.station_key, int(row.registered), int(row.voters))
        for row in rows
        if row.registered
    ]
    if len(bureaux) < 4:
        raise ExperimentPageError(
            f"{len(bureaux)} bureau(x) de {ref.key} dans {key} tour {round_number} ; il en faut "
            "au moins 4 pour une expérience",
            loc="territory",
        )
    return bureaux


def design_experiment(
    session: Session,
    ctx: CampaignContext,
    *,
    name: str,
    hypothesis: str,
    treatment: str,
    election: str,
    territory: str,
    treated_share: float,
    block_on: str,
    seed: int,
) -> AuditEvent:
    """Draw the arms over the bureaux and freeze the pre-registration in the audit log."""
    if not hypothesis.strip():
        raise ExperimentPageError(
            "l'hypothèse est obligatoire : elle est gelée avant le vote", loc="hypothesis"
        )
    if treatment not in TREATMENTS:
        raise ExperimentPageError(
            f"traitement « {treatment} » inconnu (attendu "
            + ", ".join(labels.label(item, "experiment_treatment") for item in TREATMENTS)
            + ")",
            loc="treatment",
        )
    if block_on not in BLOCK_CHOICES:
        raise ExperimentPageError(f"blocage « {block_on} » inconnu", loc="block_on")
    if not 0.05 <= treated_share <= 0.95:
        raise ExperimentPageError(
            f"part traitée {format_number(treated_share, 2)} ; attendu entre 0,05 et 0,95",
            loc="treated_share",
        )
    bureaux = bureaux_of(session, election=election, territory=territory, option="election")
    units = [bureau.key for bureau in bureaux]
    turnout = [bureau.turnout for bureau in bureaux]
    values = turnout if block_on == "turnout" else None
    try:
        assignments = assign(units, treated_share=treated_share, block_values=values, seed=seed)
    except AnalysisError as exc:
        raise ExperimentPageError(exc.message, loc="treated_share") from exc
    blocks = [[units[i] for i in block] for block in make_blocks(units, values, treated_share)]
    mde = minimum_detectable_effect(np.asarray(turnout), treated_share)
    frozen = {"assignments": [{"unit": unit, "arm": arm} for unit, arm in assignments]}
    digest = hashlib.sha256(json.dumps(frozen, sort_keys=True).encode()).hexdigest()
    return audit.record(
        session,
        actor=ctx.actor,
        action=PREREGISTERED,
        campaign_id=ctx.campaign_id,
        target_type="experiment",
        target_id=(name.strip() or digest[:12])[:64],
        details={
            "name": name.strip(),
            "hypothesis": hypothesis.strip(),
            "outcome": "turnout",
            "analysis": ANALYSIS_PLAN,
            "treatment": treatment,
            "unit": "bureau",
            "election": election,
            "territory": parse_territory(territory).key,
            "treated_share": treated_share,
            "block_on": block_on,
            "seed": seed,
            "units": len(assignments),
            "treated": sum(1 for _, arm in assignments if arm == TREATMENT),
            "minimum_detectable_effect": mde,
            "assignments_sha256": digest,
            "assignments": [[unit, arm] for unit, arm in assignments],
            "blocks": blocks,
        },
    )


def _frozen(event: AuditEvent) -> FrozenDesign | None:
    details = event.details or {}
    if "assignments" not in details or "blocks" not in details:
        return None  # a pre-registration from the command line (files, no bureaux)
    return FrozenDesign(
        id=event.id,
        recorded_at=event.at,
        actor=event.actor,
        name=str(details.get("name") or ""),
        hypothesis=str(details["hypothesis"]),
        treatment=str(details["treatment"]),
        election=str(details["election"]),
        territory=str(details["territory"]),
        treated_share=float(details["treated_share"]),
        block_on=str(details["block_on"]),
        seed=int(details["seed"]),
        assignments=[(str(unit), str(arm)) for unit, arm in details["assignments"]],
        blocks=[[str(unit) for unit in block] for block in details["blocks"]],
        minimum_detectable_effect=details.get("minimum_detectable_effect"),
        assignments_sha256=str(details.get("assignments_sha256", "")),
    )


def list_designs(session: Session, ctx: CampaignContext) -> list[FrozenDesign]:
    events, _total = audit.list_events(
        session, campaign_id=ctx.campaign_id, action=PREREGISTERED, limit=50
    )
    return [design for design in map(_frozen, events) if design is not None]


def load_design(session: Session, ctx: CampaignContext, *, design_id: int) -> FrozenDesign:
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.id == design_id,
            AuditEvent.action == PREREGISTERED,
            campaign_filter(AuditEvent, ctx),
        )
    ).first()
    design = _frozen(event) if event is not None else None
    if design is None:
        raise ExperimentNotFound(f"expérience n° {design_id} introuvable", loc="design")
    return design


def analyse_design(
    session: Session,
    design: FrozenDesign,
    *,
    before: str,
    after: str,
    permutations: int = 2000,
) -> ExperimentAnalysis:
    """Turnout change of every bureau of the design between ``before`` and ``after``."""
    first = {
        b.key: b
        for b in bureaux_of(session, election=before, territory=design.territory, option="before")
    }
    second = {
        b.key: b
        for b in bureaux_of(session, election=after, territory=design.territory, option="after")
    }
    kept = [(unit, arm) for unit, arm in design.assignments if unit in first and unit in second]
    missing = [unit for unit, _ in design.assignments if unit not in first or unit not in second]
    if len(kept) < len(design.assignments) / 2:
        raise ExperimentPageError(
            f"{len(missing)} bureaux de l'expérience absents des élections choisies (ex. "
            f"{missing[0]}) : choisissez des élections du même territoire",
            loc="after",
        )
    units = [unit for unit, _ in kept]
    index = {unit: number for number, unit in enumerate(units)}
    change = np.array([second[u].turnout - first[u].turnout for u in units])
    treated = np.array([arm == TREATMENT for _, arm in kept])
    blocks = [[index[u] for u in block if u in index] for block in design.blocks]
    blocks = [block for block in blocks if block]
    try:
        estimate = analyse(change, treated, blocks, permutations=permutations, seed=design.seed)
    except AnalysisError as exc:
        raise ExperimentPageError(exc.message, loc="after") from exc
    z90 = float(stats.norm.ppf(0.95))
    return ExperimentAnalysis(
        before=before,
        after=after,
        estimate=estimate,
        low90=estimate.effect - z90 * estimate.std_error,
        high90=estimate.effect + z90 * estimate.std_error,
        mean_change_treated=float(change[treated].mean()),
        mean_change_control=float(change[~treated].mean()),
        missing=missing,
    )


def assignments_csv(design: FrozenDesign) -> str:
    """``unit;arm;block`` (arm in French words, the key in ``arm_key``), UTF-8 with BOM."""
    block_of = {unit: number for number, block in enumerate(design.blocks, 1) for unit in block}
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["unit", "arm", "arm_label", "block"])
    for unit, arm in design.assignments:
        cells = [unit, arm, labels.label(arm, "experiment_arm"), block_of.get(unit, "")]
        writer.writerow([safe_cell(cell) for cell in cells])
    return "\ufeff" + buffer.getvalue()


_environment = Environment(
    loader=FileSystemLoader(str(resources.files("circo") / "targeting" / "templates")),
    autoescape=select_autoescape(["html"]),
)


def report_pdf(
    design: FrozenDesign,
    analysis: ExperimentAnalysis | None,
    *,
    campaign_name: str,
    timezone: str,
    election_names: dict[str, str],
) -> bytes:
    """The design (pre-registration, arms, power) and, after the vote, the analysis."""
    from weasyprint import HTML

    def percent_points(value: float) -> str:
        return format_number(100 * value, 2) + " points"

    html = _environment.get_template("targeting/experiment_print.html").render(
        design=design,
        analysis=analysis,
        campaign_name=campaign_name,
        recorded=format_datetime(design.recorded_at, timezone),
        label=labels.label,
        number=format_number,
        points=percent_points,
        election_names=election_names,
        analysis_plan=ANALYSIS_PLAN,
    )
    pdf: bytes = HTML(string=html, base_url=None).write_pdf()
    return pdf


def design_summary(design: FrozenDesign) -> dict[str, Any]:
    return {"treated": design.treated, "control": design.control, "blocks": len(design.blocks)}
