"""Public forms: the staff page and API (create, list) and the public pages `/f/{public_id}`
(no login, no CSRF token, embeddable in an iframe, no cookie set, no tracking)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.core.models import Role
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.errors import CircoError
from circo.reach import form_kinds, forms, pow
from circo.reach.errors import ReachError
from circo.reach.models import FormKind, FormSubmission
from circo.reach.schemas import FormCreated, FormIn
from circo.web.deps import FormDep, SessionDep, SettingsDep, client_ip, require_role
from circo.web.templating import render

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/campaigns/{slug}/forms", tags=["forms"])
router = APIRouter()
FormsDep = Annotated[CampaignContext, Depends(require_role(Role.data, Role.comms, Role.organiser))]
LIMITER = forms.SubmissionLimiter()
SEEN = pow.SeenChallenges()
# Public pages may be framed by any site (embedding); everything else keeps frame-ancestors none.
PUBLIC_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'none'; frame-ancestors *; base-uri 'none'; "
    "form-action 'self'"
)


def _public(request: Request, values: dict[str, Any], status: int = 200) -> HTMLResponse:
    form = values["form"]
    if not any(key in values for key in ("sent", "confirm_token", "confirmed")):
        from circo.web.deps import get_settings

        values = {
            **values,
            "challenge": pow.issue(get_settings(request).effective_secret_key(), form.public_id),
            "pow_bits": pow.BITS,
            "fields": form_kinds.fields_of(form.kind),
            "availability": form_kinds.AVAILABILITY,
            "rounds": form_kinds.ROUNDS,
        }
    response = render(request, "reach/public_form.html", values, status=status)
    response.headers["Content-Security-Policy"] = PUBLIC_POLICY
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _forms_page(
    request: Request,
    session: Session,
    ctx: CampaignContext,
    settings: Any,
    error: str = "",
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    confirmed = (
        select(FormSubmission.form_id, func.count())
        .where(campaign_filter(FormSubmission, ctx), FormSubmission.confirmed_at.is_not(None))
        .group_by(FormSubmission.form_id)
    )
    counts = {int(form_id): int(count) for form_id, count in session.execute(confirmed)}
    rows = [(form, counts.get(form.id, 0)) for form in forms.list_forms(session, ctx)]
    from circo.crm.events import list_events

    values = {
        "rows": rows,
        "events": list_events(session, ctx),
        "kinds": [kind.value for kind in FormKind],
        "url": lambda form: forms.form_url(settings, form),
        "error": error,
        "typed": typed or {},  # what was typed, shown again after a refusal
    }
    return render(request, "reach/forms.html", values, status=400 if error else 200)


@pages.get("/c/{slug}/forms", response_class=HTMLResponse)
def forms_page(
    request: Request, session: SessionDep, settings: SettingsDep, ctx: FormsDep
) -> HTMLResponse:
    return _forms_page(request, session, ctx, settings)


@pages.post("/c/{slug}/forms")
def forms_create_page(
    request: Request, session: SessionDep, settings: SettingsDep, ctx: FormsDep, form: FormDep
) -> Response:
    event_text = str(form.get("event_id") or "").strip()
    try:
        if event_text and not event_text.isdigit():
            raise ReachError(f"événement « {event_text} » : attendu son numéro", loc="événement")
        forms.create_form(
            session,
            ctx,
            kind=str(form.get("kind") or ""),
            name=str(form.get("name") or ""),
            wording=str(form.get("wording") or ""),
            event_id=int(event_text) if event_text else None,
        )
    except CircoError as error:
        session.rollback()
        typed = {key: str(value) for key, value in form.items() if isinstance(value, str)}
        return _forms_page(request, session, ctx, settings, error=error.message, typed=typed)
    return RedirectResponse(f"/c/{ctx.campaign.slug}/forms", status_code=303)


@pages.get("/f/{public_id}", response_class=HTMLResponse)
def public_form_page(request: Request, session: SessionDep, public_id: str) -> HTMLResponse:
    form, campaign = forms.public_form(session, public_id)
    origin = request.headers.get("referer", "")[:300]
    return _public(request, {"form": form, "campaign": campaign, "origin": origin, "values": {}})


@pages.post("/f/{public_id}", response_class=HTMLResponse)
def public_form_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form_data: FormDep,
    public_id: str,
) -> HTMLResponse:
    form, campaign = forms.public_form(session, public_id)
    fields = forms.submission_fields(form_data)
    values = {"form": form, "campaign": campaign, "values": fields}
    if not LIMITER.allow(client_ip(request) or "?"):
        message = "trop d'envois depuis cette adresse : réessayez dans une minute"
        return _public(request, {**values, "error": message, "origin": ""}, status=429)
    origin = str(form_data.get("origin") or request.headers.get("origin") or "")
    answers = form_kinds.read_answers(form.kind, form_data)
    values["values"] = {**fields, **answers}
    try:
        if not fields.get(forms.HONEYPOT, "").strip():
            pow.check(
                settings.effective_secret_key(), public_id=form.public_id, fields=fields, seen=SEEN
            )
        forms.submit(
            session, settings, public_id=public_id, fields=fields, answers=answers, origin=origin
        )
    except CircoError as error:
        session.rollback()
        return _public(request, {**values, "error": error.message, "origin": origin}, 400)
    # committed with its mail (outbox) before this answer is sent: the mail job runs after it
    return _public(request, {**values, "sent": True})


@pages.get("/f/{public_id}/confirm/{token}", response_class=HTMLResponse)
def public_confirm_page(
    request: Request, session: SessionDep, public_id: str, token: str
) -> HTMLResponse:
    """A page with a button: mail scanners open links, only a person confirms (POST)."""
    form, campaign = forms.public_form(session, public_id)
    return _public(request, {"form": form, "campaign": campaign, "confirm_token": token[:100]})


@pages.post("/f/{public_id}/confirm/{token}", response_class=HTMLResponse)
def public_confirm(
    request: Request, session: SessionDep, settings: SettingsDep, public_id: str, token: str
) -> HTMLResponse:
    submission = forms.confirm(session, public_id=public_id, token=token, settings=settings)
    form, campaign = forms.public_form(session, public_id)
    return _public(
        request, {"form": form, "campaign": campaign, "confirmed": submission.confirmed_at}
    )


@api.post("", status_code=201, response_model=FormCreated)
def api_create_form(
    session: SessionDep, settings: SettingsDep, ctx: FormsDep, body: FormIn
) -> dict[str, Any]:
    """Create a public form (`circo forms create --json`): its id and public address."""
    form = forms.create_form(
        session, ctx, kind=body.kind, name=body.name, wording=body.wording, event_id=body.event_id
    )
    return {"id": form.id, "url": forms.form_url(settings, form)}


router.include_router(pages)
router.include_router(api)
