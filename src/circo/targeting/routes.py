"""Targeting pages and JSON API: bureau ranking, vote transfers, group behaviour, diagnostics.

Pages under ``/c/{slug}/targeting…``, JSON under ``/api/campaigns/{slug}/targeting/…``.
Organisers and data leads read the ranking (and export it, audited); running EI fits
(transfers, groups, diagnostics, jobs) is for data leads (admin always may). Election results
are public aggregates shared by every campaign; the campaign scopes the saved choice and jobs.

Long fits: EM, Goodman and LP run inside the request (well under a second per département);
``md`` and ``auto`` go through the job queue (`circo.targeting.jobs`) and the page shows the
job's status, refreshing itself until the result is stored.
"""

from __future__ import annotations

import importlib
from importlib import resources
from typing import Annotated, Any
from urllib.parse import urlencode

import numpy as np
from fastapi import APIRouter, Body, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from circo.core import audit
from circo.core.models import Job, Role
from circo.core.tenancy import CampaignContext
from circo.elections.service import list_elections
from circo.elections.territories import parse_territory
from circo.errors import CircoError
from circo.targeting import charts, jobs
from circo.targeting.diagnostics import transfer_diagnostics
from circo.targeting.export import rows_to_csv
from circo.targeting.groups import GROUP_SETS, estimate_group_vote
from circo.targeting.maplayer import score_map_svg
from circo.targeting.preferences import TargetingChoice, load_choice, save_choice
from circo.targeting.service import (
    TargetingError,
    TargetingReport,
    estimate_transfers,
    parse_election_round,
    target_stations,
)
from circo.web.deps import SessionDep, require_role
from circo.web.registry import Card, NavItem
from circo.web.templating import add_template_dir, render

add_template_dir(str(resources.files("circo") / "targeting" / "templates"))

router = APIRouter()
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

NAV_ITEMS = [
    NavItem("Ciblage", "targeting", roles=READERS, order=30),
    NavItem("Reports de voix", "targeting/transfers", roles=FITTERS, order=31),
]


# --- shared helpers ---------------------------------------------------------------------------


def _elections(session: Session) -> list[dict[str, str]]:
    return [
        {
            "value": f"{row['election']}:{row['round']}",
            "label": f"{row['election']} tour {row['round']}",
        }
        for row in list_elections(session)
    ]


def _default_territory(ctx: CampaignContext) -> str:
    code = ctx.campaign.territory_code or ""
    try:
        return parse_territory(code).key if code else ""
    except CircoError:
        return ""


def _query(values: dict[str, Any]) -> str:
    return urlencode({key: value for key, value in values.items() if value not in (None, "")})


def _round_or_none(value: str) -> tuple[str, int] | None:
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


def _choice_from(
    ctx: CampaignContext,
    *,
    election: str,
    territory: str,
    candidate: str,
    mobilisation: float | None,
    persuasion: float | None,
    doors: float | None,
    transfers_from: str,
) -> TargetingChoice | None:
    """The form's values, else the campaign's saved choice (None when nothing is chosen)."""
    saved = load_choice(ctx)
    if not (election or candidate) and saved is not None:
        return saved
    if not (election and candidate):
        return None
    for name, value in (
        ("mobilisation", mobilisation),
        ("persuasion", persuasion),
        ("doors", doors),
    ):
        if value is not None and value < 0:
            raise TargetingError(f"poids négatif : {name}={value}", loc=name)
    return TargetingChoice(
        election=election,
        territory=territory or _default_territory(ctx),
        candidate=candidate,
        mobilisation=0.5 if mobilisation is None else mobilisation,
        persuasion=0.3 if persuasion is None else persuasion,
        doors=0.2 if doors is None else doors,
        transfers_from=transfers_from or None,
    )


def _report(session: Session, choice: TargetingChoice) -> TargetingReport:
    if not choice.territory:
        raise TargetingError("territoire manquant (ex. dep:69, com:69123)", loc="territory")
    return target_stations(
        session,
        election=parse_election_round(choice.election, option="election"),
        territory=choice.territory,
        candidate=choice.candidate,
        weights=choice.weights,
        informed_by=_round_or_none(choice.transfers_from or ""),
    )


def _choice_query(choice: TargetingChoice) -> str:
    return _query(
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


ElectionQ = Annotated[str, Query()]
FloatQ = Annotated[float | None, Query()]


# --- dashboard card ---------------------------------------------------------------------------


def dashboard_cards(session: Session, ctx: CampaignContext) -> list[Card]:
    if ctx.role is not Role.admin and ctx.role not in READERS:
        return []
    href = f"/c/{ctx.campaign.slug}/targeting"
    choice = load_choice(ctx)
    if choice is None:
        if not list_elections(session):
            return []
        return [Card("Ciblage", "—", "choisissez une élection et un candidat", href)]
    try:
        rows = _report(session, choice).rows()[:3]
    except CircoError as exc:
        return [Card("Ciblage", "—", str(exc), href)]
    top = ", ".join(row["station"] for row in rows)
    return [
        Card("Ciblage", rows[0]["station"] if rows else "—", f"{choice.candidate} : {top}", href)
    ]


# --- targeting page ---------------------------------------------------------------------------


@router.get("/c/{slug}/targeting", response_class=HTMLResponse, include_in_schema=False)
def targeting_page(
    request: Request,
    session: SessionDep,
    ctx: ReaderDep,
    election: ElectionQ = "",
    territory: ElectionQ = "",
    candidate: ElectionQ = "",
    mobilisation: FloatQ = None,
    persuasion: FloatQ = None,
    doors: FloatQ = None,
    transfers_from: ElectionQ = "",
    top: Annotated[int, Query(ge=1, le=200)] = 10,
) -> Response:
    values: dict[str, Any] = {
        "elections": _elections(session),
        "default_territory": _default_territory(ctx),
        "saved": load_choice(ctx),
        "top": top,
        "can_save": ctx.role in (Role.admin, Role.data),
        "field_handoff": field_handoff_available(),
    }
    status = 200
    try:
        choice = _choice_from(
            ctx,
            election=election,
            territory=territory,
            candidate=candidate,
            mobilisation=mobilisation,
            persuasion=persuasion,
            doors=doors,
            transfers_from=transfers_from,
        )
        values["choice"] = choice
        if choice is not None:
            report = _report(session, choice)
            values["report"] = report
            values["rows"] = report.rows()
            values["query"] = _choice_query(choice)
            svg = score_map_svg(session, report)  # no tiles: offline, and CSP img-src 'self'
            values["map_svg"] = Markup(svg) if svg else None
    except CircoError as exc:
        values["error"] = str(exc)
        status = exc.status
    return render(request, "targeting/index.html", values, status=status)


@router.post("/c/{slug}/targeting/choice", include_in_schema=False)
def targeting_save_choice(
    session: SessionDep,
    ctx: FitterDep,
    election: Annotated[str, Form()],
    territory: Annotated[str, Form()],
    candidate: Annotated[str, Form()],
    mobilisation: Annotated[float, Form(ge=0)] = 0.5,
    persuasion: Annotated[float, Form(ge=0)] = 0.3,
    doors: Annotated[float, Form(ge=0)] = 0.2,
    transfers_from: Annotated[str, Form()] = "",
) -> Response:
    choice = TargetingChoice(
        election=election,
        territory=territory,
        candidate=candidate,
        mobilisation=mobilisation,
        persuasion=persuasion,
        doors=doors,
        transfers_from=transfers_from or None,
    )
    _report(session, choice)  # refuse a choice that does not compute
    save_choice(session, ctx, choice)
    return RedirectResponse(
        f"/c/{ctx.campaign.slug}/targeting?{_choice_query(choice)}&msg=saved", status_code=303
    )


def _audited_export(
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


@router.get("/c/{slug}/targeting/export.csv", include_in_schema=False)
def targeting_export(
    session: SessionDep,
    ctx: ReaderDep,
    election: ElectionQ = "",
    territory: ElectionQ = "",
    candidate: ElectionQ = "",
    mobilisation: FloatQ = None,
    persuasion: FloatQ = None,
    doors: FloatQ = None,
    transfers_from: ElectionQ = "",
) -> Response:
    choice = _choice_from(
        ctx,
        election=election,
        territory=territory,
        candidate=candidate,
        mobilisation=mobilisation,
        persuasion=persuasion,
        doors=doors,
        transfers_from=transfers_from,
    )
    if choice is None:
        raise TargetingError("élection et candidat requis (ex. ?election=pres-2017:1&candidate=X)")
    report = _report(session, choice)
    _audited_export(session, ctx, report, kind="csv")
    name = f"ciblage-{report.election.replace(':', '-t')}-{report.territory.replace(':', '-')}.csv"
    return Response(
        rows_to_csv(report.rows()),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- transfers ----------------------------------------------------------------------------------


def _transfer_view(payload: dict[str, Any]) -> dict[str, Any]:
    """Chart and table of a `TransferResult.as_dict()` (inline or from a job)."""
    rows, columns = payload["rows"], payload["columns"]
    flows = np.array([[payload["flows"][r][c] for c in columns] for r in rows])
    return {
        "result": payload,
        "sankey_svg": Markup(
            charts.sankey_svg(
                rows,
                columns,
                flows,
                title=(
                    f"Reports de voix {payload['from']} → {payload['to']} ({payload['territory']})"
                ),
                left_title=payload["from"],
                right_title=payload["to"],
            )
        ),
    }


def _transfer_form(
    session: Session, ctx: CampaignContext, *, source: str, target: str, territory: str
) -> dict[str, Any]:
    """What the transfers and diagnostics pages' shared form shows (elections, territory…)."""
    return {
        "elections": _elections(session),
        "territory": territory or _default_territory(ctx),
        "source": source,
        "target": target,
        "warning": UNDER_COVERAGE,
    }


@router.get("/c/{slug}/targeting/transfers", response_class=HTMLResponse, include_in_schema=False)
def transfers_page(
    request: Request,
    session: SessionDep,
    ctx: FitterDep,
    source: Annotated[str, Query(alias="from")] = "",
    target: Annotated[str, Query(alias="to")] = "",
    territory: ElectionQ = "",
    method: ElectionQ = "em",
) -> Response:
    values = _transfer_form(session, ctx, source=source, target=target, territory=territory)
    values.update(method=method, methods=METHOD_CHOICES)
    status = 200
    if source and target and values["territory"]:
        try:
            if method not in METHOD_CHOICES:
                raise TargetingError(
                    f"méthode « {method} » inconnue (attendu {', '.join(METHOD_CHOICES)})",
                    loc="method",
                )
            if jobs.runs_inline(method):
                result = estimate_transfers(
                    session,
                    source=parse_election_round(source, option="from"),
                    target=parse_election_round(target, option="to"),
                    territory=values["territory"],
                    method=method,
                )
                values.update(_transfer_view(result.as_dict()))
            else:
                values["needs_job"] = {
                    "from": source,
                    "to": target,
                    "territory": values["territory"],
                    "method": method,
                }
        except CircoError as exc:
            values["error"] = str(exc)
            status = exc.status
    return render(request, "targeting/transfers.html", values, status=status)


@router.post("/c/{slug}/targeting/jobs", include_in_schema=False)
def start_job_page(
    session: SessionDep,
    ctx: FitterDep,
    kind: Annotated[str, Form()],
    territory: Annotated[str, Form()],
    method: Annotated[str, Form()] = "md",
    source: Annotated[str, Form(alias="from")] = "",
    target: Annotated[str, Form(alias="to")] = "",
    election: Annotated[str, Form()] = "",
    variables: Annotated[str, Form()] = "cs",
) -> Response:
    job = _start_job(
        session,
        ctx,
        kind=kind,
        payload={
            "from": source,
            "to": target,
            "election": election,
            "variables": variables,
            "territory": territory,
            "method": method,
        },
    )
    return RedirectResponse(f"/c/{ctx.campaign.slug}/targeting/jobs/{job.id}", status_code=303)


def _start_job(
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


@router.get(
    "/c/{slug}/targeting/jobs/{job_id}", response_class=HTMLResponse, include_in_schema=False
)
def job_page(request: Request, session: SessionDep, ctx: FitterDep, job_id: int) -> Response:
    job = jobs.get_fit_job(session, ctx, job_id=job_id)
    values: dict[str, Any] = {"job": job, "warning": UNDER_COVERAGE}
    if job.status == "done" and job.result:
        if job.kind == jobs.TRANSFERS:
            values.update(_transfer_view(job.result))
        else:
            values.update(_group_view(job.result))
    return render(request, "targeting/job.html", values)


# --- group behaviour --------------------------------------------------------------------------


def _group_view(payload: dict[str, Any]) -> dict[str, Any]:
    groups = list(payload["global"])
    options = list(next(iter(payload["global"].values()), {}))
    shares = np.array([[payload["global"][g][o] for o in options] for g in groups])
    return {
        "groups_result": payload,
        "group_names": groups,
        "option_names": options,
        "bars_svg": Markup(
            charts.stacked_bars_svg(
                groups,
                options,
                shares,
                title=f"Vote estimé par groupe — {payload['election']} ({payload['territory']})",
            )
        ),
    }


@router.get("/c/{slug}/targeting/groups", response_class=HTMLResponse, include_in_schema=False)
def groups_page(
    request: Request,
    session: SessionDep,
    ctx: FitterDep,
    election: ElectionQ = "",
    territory: ElectionQ = "",
    variables: ElectionQ = "cs",
    method: ElectionQ = "em",
) -> Response:
    values: dict[str, Any] = {
        "elections": _elections(session),
        "election": election,
        "territory": territory or _default_territory(ctx),
        "variables": variables,
        "group_sets": {name: title for name, (title, _) in GROUP_SETS.items()},
        "method": method,
        "methods": METHOD_CHOICES,
        "warning": UNDER_COVERAGE,
    }
    status = 200
    if election and values["territory"]:
        try:
            if jobs.runs_inline(method):
                result = estimate_group_vote(
                    session,
                    election=parse_election_round(election, option="election"),
                    territory=values["territory"],
                    variables=variables,
                    method=method,
                )
                values.update(_group_view(result.as_dict(units=False)))
            else:
                values["needs_job"] = {
                    "election": election,
                    "territory": values["territory"],
                    "variables": variables,
                    "method": method,
                }
        except CircoError as exc:
            values["error"] = str(exc)
            status = exc.status
    return render(request, "targeting/groups.html", values, status=status)


# --- diagnostics --------------------------------------------------------------------------------


@router.get("/c/{slug}/targeting/diagnostics", response_class=HTMLResponse, include_in_schema=False)
def diagnostics_page(
    request: Request,
    session: SessionDep,
    ctx: FitterDep,
    source: Annotated[str, Query(alias="from")] = "",
    target: Annotated[str, Query(alias="to")] = "",
    territory: ElectionQ = "",
    row: ElectionQ = "",
    column: ElectionQ = "",
) -> Response:
    values = _transfer_form(session, ctx, source=source, target=target, territory=territory)
    status = 200
    if source and target and values["territory"]:
        try:
            report = transfer_diagnostics(
                session,
                source=parse_election_round(source, option="from"),
                target=parse_election_round(target, option="to"),
                territory=values["territory"],
                row=row or None,
                column=column or None,
            )
            values["report"] = report
            values["tomography_svg"] = Markup(
                charts.tomography_svg(
                    report.lines,
                    title=f"Tomographie : {report.row} → {report.column}",
                    x_label=f"part de « {report.row} » vers « {report.column} »",
                    y_label=f"part des autres vers « {report.column} »",
                    estimate=report.estimate,
                )
            )
            values["residuals_svg"] = Markup(
                charts.residuals_svg(
                    [(item.station, item.standardised) for item in report.residuals[:25]],
                    title=f"Résidus standardisés de « {report.column} » (25 plus grands)",
                )
            )
        except CircoError as exc:
            values["error"] = str(exc)
            status = exc.status
    return render(request, "targeting/diagnostics.html", values, status=status)


# --- JSON API ---------------------------------------------------------------------------------

API = "/api/campaigns/{slug}/targeting"


@router.get(f"{API}/stations")
def api_stations(
    session: SessionDep,
    ctx: ReaderDep,
    election: ElectionQ = "",
    territory: ElectionQ = "",
    candidate: ElectionQ = "",
    mobilisation: FloatQ = None,
    persuasion: FloatQ = None,
    doors: FloatQ = None,
    transfers_from: ElectionQ = "",
) -> dict[str, Any]:
    """Bureaux ranked for door-to-door work (the campaign's saved choice when none is given)."""
    choice = _choice_from(
        ctx,
        election=election,
        territory=territory,
        candidate=candidate,
        mobilisation=mobilisation,
        persuasion=persuasion,
        doors=doors,
        transfers_from=transfers_from,
    )
    if choice is None:
        raise TargetingError("élection et candidat requis (ex. ?election=pres-2017:1&candidate=X)")
    report = _report(session, choice)
    _audited_export(session, ctx, report, kind="json")
    return report.as_dict()


def _inline_method(method: str) -> None:
    if not jobs.runs_inline(method):
        raise TargetingError(
            f"la méthode « {method} » passe par la file de travaux : POST {API}/jobs "
            "(méthodes immédiates : em, goodman, lp)",
            loc="method",
        )


@router.get(f"{API}/transfers")
def api_transfers(
    session: SessionDep,
    ctx: FitterDep,
    source: Annotated[str, Query(alias="from")],
    target: Annotated[str, Query(alias="to")],
    territory: Annotated[str, Query()],
    method: Annotated[str, Query()] = "em",
) -> dict[str, Any]:
    """Vote transfers between two rounds (point estimates; ``md`` through ``POST …/jobs``)."""
    _inline_method(method)
    return estimate_transfers(
        session,
        source=parse_election_round(source, option="from"),
        target=parse_election_round(target, option="to"),
        territory=territory,
        method=method,
    ).as_dict()


@router.get(f"{API}/groups")
def api_groups(
    session: SessionDep,
    ctx: FitterDep,
    election: Annotated[str, Query()],
    territory: Annotated[str, Query()],
    variables: Annotated[str, Query()] = "cs",
    method: Annotated[str, Query()] = "em",
) -> dict[str, Any]:
    """Estimated vote of each group (the ``circo ei groups --json`` shape)."""
    _inline_method(method)
    return estimate_group_vote(
        session,
        election=parse_election_round(election, option="election"),
        territory=territory,
        variables=variables,
        method=method,
    ).as_dict()


@router.get(f"{API}/diagnostics")
def api_diagnostics(
    session: SessionDep,
    ctx: FitterDep,
    source: Annotated[str, Query(alias="from")],
    target: Annotated[str, Query(alias="to")],
    territory: Annotated[str, Query()],
    row: Annotated[str, Query()] = "",
    column: Annotated[str, Query()] = "",
) -> dict[str, Any]:
    """Tomography lines of one cell and the largest residuals per bureau."""
    return transfer_diagnostics(
        session,
        source=parse_election_round(source, option="from"),
        target=parse_election_round(target, option="to"),
        territory=territory,
        row=row or None,
        column=column or None,
    ).as_dict()


def _job_json(ctx: CampaignContext, job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "payload": job.payload,
        "result": job.result if job.status == "done" else None,
        "error": job.error,
        "href": f"/c/{ctx.campaign.slug}/targeting/jobs/{job.id}",
    }


@router.post(f"{API}/jobs", status_code=202)
def api_start_job(
    session: SessionDep,
    ctx: FitterDep,
    body: Annotated[dict[str, Any], Body()],
) -> JSONResponse:
    """Queue a long fit: ``{"kind": "targeting.transfers", "from", "to", "territory", "method"}``
    or ``{"kind": "targeting.groups", "election", "territory", "variables", "method"}``."""
    job = _start_job(session, ctx, kind=str(body.get("kind", "")), payload=body)
    return JSONResponse(_job_json(ctx, job), status_code=202)


@router.get(f"{API}/jobs/{{job_id}}")
def api_job(session: SessionDep, ctx: FitterDep, job_id: int) -> dict[str, Any]:
    return _job_json(ctx, jobs.get_fit_job(session, ctx, job_id=job_id))
