"""Settings page (admin): the first-run checklist of a new campaign, the campaign's time zone,
and the installation's settings (public URL, sender, SMTP, SMS) editable without environment
variables — an environment variable still wins and is shown as such; secrets are never sent
back. "M'envoyer un test" says where the mail went (SMTP server, or the folder of files)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import audit, instance
from circo.core.email import EmailError, OutgoingEmail, outbox_dir, send_email
from circo.core.netguard import leave_transaction
from circo.core.tenancy import CampaignContext
from circo.core.timezone import FRENCH_ZONES, TimeZoneError, check_zone, known_zones
from circo.db import utcnow
from circo.formatting import format_datetime, plural
from circo.web.deps import AdminDep, FormDep, SessionDep, SettingsDep, get_runtime
from circo.web.templating import render

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    done: bool
    detail: str
    href: str


def mail_destination(settings: Settings) -> str:
    """Where mail goes, in French: the SMTP server, or the folder (no real sending)."""
    if settings.smtp_host:
        return f"serveur SMTP {settings.smtp_host}:{settings.smtp_port}"
    folder = outbox_dir(settings).resolve()
    return f"écrit dans le dossier {folder} : aucun envoi réel"


def mail_only_to_files(settings: Settings) -> bool:
    return not settings.smtp_host


def checklist(
    session: Session, ctx: CampaignContext, settings: Settings, stored: dict[str, str]
) -> list[Step]:
    from circo.elections.service import list_elections

    campaign = ctx.campaign
    base = f"/c/{campaign.slug}"
    elections = len(list_elections(session))
    raw_source = instance.base_url_source(settings, stored)
    url_set = "base_url" in settings.model_fields_set or bool(stored.get("base_url"))
    sms_real = settings.sms_provider == "http" and bool(settings.sms_api_url)
    territory = (
        f"{campaign.territory_name or ''} ({campaign.territory_code})".strip()
        if campaign.territory_code
        else "aucun territoire choisi : indiquez-le ci-dessous"
    )
    return [
        Step(
            "territory",
            "Territoire de la campagne",
            bool(campaign.territory_code),
            territory,
            f"{base}/",
        ),
        Step(
            "elections",
            "Résultats électoraux importés",
            elections > 0,
            plural(elections, "scrutin importé", "scrutins importés")
            if elections
            else "aucun scrutin : importez les résultats de votre territoire",
            f"{base}/elections",
        ),
        Step(
            "timezone",
            "Fuseau horaire",
            True,
            f"{FRENCH_ZONES.get(campaign.timezone, campaign.timezone)} ({campaign.timezone})",
            f"{base}/settings#fuseau",
        ),
        Step(
            "public_url",
            "Adresse publique (liens des e-mails)",
            url_set,
            f"{settings.base_url} — {raw_source}",
            f"{base}/settings#installation",
        ),
        Step(
            "mail",
            "Envoi des e-mails",
            not mail_only_to_files(settings),
            mail_destination(settings),
            f"{base}/settings#installation",
        ),
        Step(
            "sms",
            "Envoi des SMS",
            sms_real,
            f"API {settings.sms_api_url}"
            if sms_real
            else "écrits dans un dossier : aucun envoi réel",
            f"{base}/settings#installation",
        ),
    ]


def _page(
    request: Request,
    session: Session,
    ctx: CampaignContext,
    *,
    note: str | None = None,
    error: str | None = None,
    status: int = 200,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    """The settings page; after a refused form, ``typed`` holds what was sent, shown again in
    its fields (never a secret)."""
    typed = typed or {}
    runtime = get_runtime(request)
    stored = instance.stored_values(session, runtime.settings)
    settings = instance.apply(runtime.settings, stored)
    from_env = instance.from_environment(runtime.settings)
    fields = [
        {
            "key": item.key,
            "label": item.label,
            "help": item.help,
            "secret": item.secret,
            "env": item.key in from_env,
            # a secret is never sent back: the page only says whether one is set; a field
            # shows what was saved on this page, the value in force is its placeholder
            "value": "" if item.secret else typed.get(item.key, stored.get(item.key, "")),
            "current": "" if item.secret else str(getattr(settings, item.key) or ""),
            "is_set": bool(getattr(settings, item.key)),
            "choices": item.choices,
        }
        for item in instance.EDITABLE
    ]
    others = sorted(known_zones() - set(FRENCH_ZONES))
    return render(
        request,
        "settings.html",
        {
            "steps": checklist(session, ctx, settings, stored),
            "fields": fields,
            "french_zones": FRENCH_ZONES,
            "other_zones": others,
            "mail_destination": mail_destination(settings),
            "mail_only_to_files": mail_only_to_files(settings),
            "note": note,
            "error": error,
            "typed": typed,
        },
        status=status,
    )


@router.get("/c/{slug}/settings", response_class=HTMLResponse)
def settings_page(request: Request, session: SessionDep, ctx: AdminDep) -> HTMLResponse:
    notes = {
        "saved": "Réglages enregistrés.",
        "unchanged": "Aucun changement.",
        "timezone": "Fuseau horaire enregistré.",
    }
    return _page(request, session, ctx, note=notes.get(request.query_params.get("msg", "")))


@router.post("/c/{slug}/settings/timezone", response_model=None)
def settings_timezone(
    request: Request, session: SessionDep, ctx: AdminDep, form: FormDep
) -> Response:
    value = form.get("timezone")
    try:
        zone_name = check_zone(value if isinstance(value, str) else "")
    except TimeZoneError as exc:
        return _page(request, session, ctx, error=str(exc), status=400)
    previous = ctx.campaign.timezone
    ctx.campaign.timezone = zone_name
    audit.record(
        session,
        actor=ctx.actor,
        action="campaign.timezone",
        campaign_id=ctx.campaign_id,
        target_type="campaign",
        target_id=ctx.campaign.slug,
        details={"from": previous, "to": zone_name},
    )
    session.flush()
    return _back(ctx, "timezone")


TERRITORY_CODE = re.compile(
    r"^(?:[0-9]{2}|2[AB])[0-9]{0,3}(?:-[0-9]{1,2})?$"
)  # 69123, 2A004, 69, 69-01


@router.post("/c/{slug}/settings/campaign", response_model=None)
def settings_campaign(
    request: Request, session: SessionDep, ctx: AdminDep, form: FormDep
) -> Response:
    """Territory (INSEE code and name) and first-round date of the campaign."""
    code = str(form.get("territory_code") or "").strip().upper()
    name = " ".join(str(form.get("territory_name") or "").split())[:200]
    day_text = str(form.get("election_date") or "").strip()
    if code and not TERRITORY_CODE.match(code):
        message = (
            f"Code du territoire : « {code} » n'est pas un code INSEE (ex. 69123 pour Lyon, "
            "29039 pour Concarneau, 69 pour le Rhône)"
        )
        return _page(request, session, ctx, error=message, status=400, typed=_typed(form))
    try:
        day = _parse_day(day_text) if day_text else None
    except ValueError:
        message = f"Date du scrutin : « {day_text} » n'est pas une date (ex. 15/03/2026)"
        return _page(request, session, ctx, error=message, status=400, typed=_typed(form))
    campaign = ctx.campaign
    before = {
        "territory_code": campaign.territory_code,
        "territory_name": campaign.territory_name,
        "election_date": str(campaign.election_date) if campaign.election_date else None,
    }
    campaign.territory_code = code or None
    campaign.territory_name = name or None
    campaign.election_date = day
    audit.record(
        session,
        actor=ctx.actor,
        action="campaign.settings",
        campaign_id=ctx.campaign_id,
        target_type="campaign",
        target_id=campaign.slug,
        details={"before": before},
    )
    session.flush()
    return _back(ctx, "campaign")


def _typed(form: Any, *, secrets: bool = False) -> dict[str, str]:
    """What a refused form sent, to show it again (secrets left out unless asked)."""
    hidden = set() if secrets else {item.key for item in instance.EDITABLE if item.secret}
    return {
        str(key): value
        for key, value in form.items()
        if isinstance(value, str) and key != "csrf_token" and key not in hidden
    }


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return datetime.strptime(text, "%d/%m/%Y").date()


@router.post("/c/{slug}/settings/installation", response_model=None)
def settings_installation(
    request: Request, session: SessionDep, ctx: AdminDep, form: FormDep
) -> Response:
    runtime = get_runtime(request)
    from_env = instance.from_environment(runtime.settings)
    values = {
        item.key: str(form.get(item.key) or "")
        for item in instance.EDITABLE
        if item.key not in from_env and item.key in form
    }
    clear = {
        item.key
        for item in instance.EDITABLE
        if item.secret and item.key not in from_env and form.get(f"clear_{item.key}") == "1"
    }
    try:
        changed = instance.save(session, runtime.settings, values=values, clear_secrets=clear)
    except instance.SettingsError as exc:
        session.rollback()
        return _page(
            request, session, ctx, error=str(exc), status=400, typed=_typed(form, secrets=False)
        )
    if changed:
        audit.record(
            session,
            actor=ctx.actor,
            action="instance.settings",
            campaign_id=ctx.campaign_id,
            target_type="instance",
            target_id="settings",
            details={"changed": changed},  # names only: never a secret
        )
        request.app.state.instance_cache.invalidate_after_commit(session)
    return _back(ctx, "saved" if changed else "unchanged")


@router.post("/c/{slug}/settings/test-mail", response_class=HTMLResponse)
def settings_test_mail(
    request: Request, session: SessionDep, settings: SettingsDep, ctx: AdminDep
) -> HTMLResponse:
    user = request.state.user
    address = str(user.email)
    now = format_datetime(utcnow(), ctx.campaign.timezone, "fr")
    leave_transaction(session)  # nothing held while the mail server answers
    email = OutgoingEmail(
        to=address,
        subject=f"circo : e-mail de test ({ctx.campaign.name})",
        text=(
            f"Bonjour,\n\nCet e-mail de test a été envoyé par circo le {now}.\n"
            f"Les liens des e-mails commencent par : {settings.base_url}\n"
            f"Réglages : {settings.base_url.rstrip('/')}/c/{ctx.campaign.slug}/settings\n"
        ),
    )
    try:
        send_email(settings, email)
    except EmailError as exc:
        message = f"Échec de l'e-mail de test à {address} : {exc}"
        return _page(request, session, ctx, error=message, status=502)
    if mail_only_to_files(settings):
        where = f"écrit dans le dossier {Path(outbox_dir(settings)).resolve()} : aucun envoi réel"
    else:
        where = f"remis au serveur SMTP {settings.smtp_host}:{settings.smtp_port}"
    return _page(request, session, ctx, note=f"E-mail de test pour {address} {where}.")


def _back(ctx: CampaignContext, code: str) -> Response:
    return RedirectResponse(f"/c/{ctx.campaign.slug}/settings?msg={code}", status_code=303)
