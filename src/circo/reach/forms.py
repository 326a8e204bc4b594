"""Public forms with double opt-in by email (sign up, volunteer, petition, event, procuration
offer).

- A form has an unguessable public address ``/f/{public_id}``: no login, no CSRF token (it is
  embedded on other sites; nothing happens without the confirmation link), no cookie, no
  third-party script, no tracking.
- A submission is kept pending and a confirmation link is mailed (through the outbox, after the
  commit). The honeypot field filled means a robot: the same answer is shown, nothing is kept.
  Each process also limits submissions per address per minute (`SubmissionLimiter`, in memory:
  nothing about the visitor is stored).
- The confirmation creates the contact, or matches it by email (`circo.crm.contacts
  .find_by_identity`), and records an email consent whose proof names the form: its id, name and
  kind, the exact wording shown, the date submitted and confirmed, and the page it came from.
  Confirming twice changes nothing.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.email import OutgoingEmail
from circo.core.models import Campaign, Role
from circo.core.outbox import queue_mail
from circo.core.tenancy import CampaignContext, system_context
from circo.crm import normalise
from circo.crm.contacts import add_tags, create_contact, find_by_identity
from circo.crm.schemas import ContactCreate
from circo.db import utcnow
from circo.labels import label
from circo.privacy.consent import record_consent
from circo.reach import form_kinds
from circo.reach.errors import NotFound, ReachError
from circo.reach.models import FormKind, FormSubmission, PublicForm

MANAGERS = (Role.admin, Role.data, Role.comms, Role.organiser)
HONEYPOT = "website"  # hidden from people by CSS; robots fill it
DEFAULT_WORDING = {
    FormKind.signup: "J'accepte de recevoir par e-mail les informations de la campagne. "
    "Je peux me désinscrire à tout moment.",
    FormKind.volunteer: "J'accepte d'être contacté·e par e-mail par l'équipe de la campagne "
    "pour participer comme bénévole. Je peux me désinscrire à tout moment.",
    FormKind.petition: "Je signe la pétition et j'accepte d'être tenu·e informé·e par e-mail "
    "de ses suites. Je peux me désinscrire à tout moment.",
    FormKind.event: "Je m'inscris à l'événement et j'accepte de recevoir par e-mail les "
    "informations pratiques. Je peux me désinscrire à tout moment.",
    FormKind.procuration_offer: "Je propose de porter une procuration et j'accepte d'être "
    "contacté·e par e-mail pour l'organiser. Je peux me désinscrire à tout moment.",
}


def parse_kind(value: str, *, loc: str = "kind") -> FormKind:
    try:
        return FormKind(value.strip().lower())
    except ValueError:
        allowed = ", ".join(kind.value for kind in FormKind)
        raise ReachError(
            f"type de formulaire inconnu « {value} » (attendu l'un de : {allowed})", loc=loc
        ) from None


def create_form(
    session: Session,
    ctx: CampaignContext,
    *,
    kind: str,
    name: str,
    wording: str = "",
    event_id: int | None = None,
) -> PublicForm:
    """Create a form; an event form names the crm event it registers to (``event_id``)."""
    ctx.require(*MANAGERS)
    parsed = parse_kind(kind)
    clean = " ".join(name.split())
    if not clean:
        raise ReachError("nom de formulaire requis (ex. « Rejoindre »)", loc="name")
    if parsed == FormKind.event and event_id is None:
        raise ReachError(
            "un formulaire d'événement a besoin de son événement (son numéro, ex. 3)",
            loc="événement",
        )
    form = PublicForm(
        campaign_id=ctx.campaign_id,
        public_id=secrets.token_urlsafe(12),
        kind=parsed.value,
        name=clean[:200],
        wording=" ".join(wording.split()) or DEFAULT_WORDING[parsed],
        created_by=ctx.actor.email,
    )
    session.add(form)
    session.flush()
    if parsed == FormKind.event and event_id is not None:
        form_kinds.set_event(session, ctx, form, event_id)
    return form


def form_url(settings: Settings, form: PublicForm) -> str:
    return f"{settings.base_url.rstrip('/')}/f/{form.public_id}"


def list_forms(session: Session, ctx: CampaignContext) -> list[PublicForm]:
    return list(
        session.scalars(ctx.scoped(select(PublicForm), PublicForm).order_by(PublicForm.id.desc()))
    )


def public_form(session: Session, public_id: str) -> tuple[PublicForm, Campaign]:
    """The form at a public address, with its campaign (404 for an unknown address)."""
    row = session.execute(
        select(PublicForm, Campaign)
        .join(Campaign, Campaign.id == PublicForm.campaign_id)
        .where(PublicForm.public_id == public_id[:32])
    ).first()
    if row is None:
        raise NotFound("formulaire introuvable : vérifiez l'adresse", loc="formulaire")
    return row[0], row[1]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Submitted:
    submission: FormSubmission | None  # None: the honeypot was filled, nothing kept


def submit(
    session: Session,
    settings: Settings,
    *,
    public_id: str,
    fields: dict[str, str],
    answers: dict[str, str] | None = None,
    origin: str = "",
) -> Submitted:
    """Keep the submission pending and queue the confirmation mail (sent after the commit).
    ``answers``: the kind's own fields (`circo.reach.form_kinds`)."""
    form, campaign = public_form(session, public_id)
    if fields.get(HONEYPOT, "").strip():
        return Submitted(None)
    try:
        email = normalise.normalise_email(fields.get("email", ""))
    except ValueError as exc:
        raise ReachError(f"adresse e-mail invalide : {exc}", loc="e-mail") from None
    if email is None:
        raise ReachError("adresse e-mail requise (ex. marie@exemple.fr)", loc="e-mail")
    if fields.get("consent") != "yes":
        raise ReachError("cochez la case d'accord pour confirmer votre demande", loc="accord")
    phone_text = fields.get("phone", "").strip()
    try:
        phone = normalise.normalise_phone(phone_text) if phone_text else None
    except ValueError as exc:
        raise ReachError(f"numéro de téléphone invalide : {exc}", loc="téléphone") from None
    kept_answers = form_kinds.validate(form.kind, fields, answers or {})
    token = secrets.token_urlsafe(24)
    submission = FormSubmission(
        campaign_id=campaign.id,
        form_id=form.id,
        email=email,
        first_name=" ".join(fields.get("first_name", "").split())[:200],
        last_name=" ".join(fields.get("last_name", "").split())[:200],
        phone=phone,
        postal_code=fields.get("postal_code", "").strip()[:10] or None,
        origin=origin[:300],
        token_hash=_token_hash(token),
    )
    session.add(submission)
    session.flush()
    form_kinds.keep_answers(session, submission, kept_answers)
    link = f"{settings.base_url.rstrip('/')}/f/{form.public_id}/confirm/{token}"
    queue_mail(
        session,
        OutgoingEmail(
            to=email,
            subject=f"{campaign.name} — confirmez votre demande « {form.name} »",
            text=(
                f"Bonjour,\n\nVous avez rempli le formulaire « {form.name} » de {campaign.name}. "
                f"Pour confirmer, ouvrez ce lien :\n\n{link}\n\n"
                f"Vous avez accepté : « {form.wording} »\n\n"
                "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : rien ne "
                "sera enregistré."
            ),
        ),
        campaign_id=campaign.id,
        key=f"reach.form:{submission.id}",
    )
    return Submitted(submission)


def confirm(
    session: Session, *, public_id: str, token: str, settings: Settings | None = None
) -> FormSubmission:
    """The link was opened and confirmed: the contact is created or matched, with its email
    consent naming the form; then the kind's action (event RSVP, procuration offer…), the
    ``form.submitted`` webhook and the automation trigger "signs form F". A second
    confirmation changes nothing."""
    form, campaign = public_form(session, public_id)
    submission = session.scalar(
        select(FormSubmission).where(
            FormSubmission.form_id == form.id,
            FormSubmission.token_hash == _token_hash(token[:100]),
        )
    )
    if submission is None:
        raise NotFound("lien de confirmation inconnu ou déjà utilisé", loc="lien")
    if submission.confirmed_at is not None:
        return submission
    ctx = system_context(campaign)
    now = utcnow()
    contact_id = _match_or_create(session, ctx, form, submission)
    record_consent(
        session,
        ctx,
        contact_id=contact_id,
        channel="email",
        status="granted",
        source=f"formulaire « {form.name} » (double confirmation)",
        proof={
            "form_id": form.id,
            "form_name": form.name,
            "form_kind": str(form.kind),
            "wording": form.wording,
            "submitted_at": submission.submitted_at.isoformat(),
            "confirmed_at": now.isoformat(),
            "origin": submission.origin,
            "double_opt_in": True,
        },
        at=now,
    )
    submission.confirmed_at = now
    submission.contact_id = contact_id
    session.flush()
    outcome = form_kinds.on_confirm(
        session, ctx, settings, form=form, submission=submission, contact_id=contact_id
    )
    _announce(session, ctx, form, submission, contact_id, outcome)
    return submission


def _announce(
    session: Session,
    ctx: CampaignContext,
    form: PublicForm,
    submission: FormSubmission,
    contact_id: int,
    outcome: str,
) -> None:
    """The ``form.submitted`` webhook and the automation trigger, fired here explicitly."""
    from circo.automations.engine import fire
    from circo.automations.models import TriggerKind
    from circo.party.models import WebhookEvent
    from circo.party.webhooks import emit

    emit(
        session,
        ctx,
        event=WebhookEvent.form_submitted,
        contact_id=contact_id,
        data={
            "form": {"id": form.id, "name": form.name, "kind": str(form.kind)},
            "submission_id": submission.id,
            "contact_id": contact_id,
            "submitted_at": submission.submitted_at.isoformat(),
            "confirmed_at": submission.confirmed_at.isoformat()
            if submission.confirmed_at
            else None,
            "outcome": outcome,
        },
    )
    fire(
        session, ctx, trigger=TriggerKind.form, target_id=form.id, contact_id=contact_id,
        reason=f"a confirmé le formulaire « {form.name} »",
    )  # fmt: skip


def _match_or_create(
    session: Session, ctx: CampaignContext, form: PublicForm, submission: FormSubmission
) -> int:
    matches = [
        contact
        for contact in find_by_identity(session, ctx, email=submission.email)
        if contact.email == submission.email or submission.email in (contact.other_emails or [])
    ]
    tag = f"formulaire : {form.name}"[:100]
    if matches:
        contact = min(matches, key=lambda found: found.id)
        if submission.phone and not contact.phone:
            contact.phone = submission.phone
        add_tags(session, ctx, contact_ids=[contact.id], names=[tag])
        return contact.id
    created = create_contact(
        session,
        ctx,
        data=ContactCreate(
            first_name=submission.first_name,
            last_name=submission.last_name,
            email=submission.email,
            phone=submission.phone,
            postal_code=submission.postal_code,
            relationship_kind="volunteer" if form.kind == FormKind.volunteer else "contact",
            tags=[tag],
        ),
        source=f"formulaire « {form.name} » ({label(form.kind, 'form_kind')})"[:200],
    )
    return created.id


class SubmissionLimiter:
    """At most ``limit`` submissions per client address per ``window`` seconds, in memory (a
    sliding window per address, forgotten when it empties): nothing about visitors is stored."""

    def __init__(self, limit: int = 20, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, address: str, now: float | None = None) -> bool:
        moment = time.monotonic() if now is None else now
        with self._lock:
            stamps = self._seen.setdefault(address, deque())
            while stamps and stamps[0] <= moment - self.window:
                stamps.popleft()
            if len(stamps) >= self.limit:
                return False
            stamps.append(moment)
            if len(self._seen) > 10_000:  # forget quiet addresses
                for key in [key for key, value in self._seen.items() if not value]:
                    del self._seen[key]
            return True


def submission_fields(form: Any) -> dict[str, str]:
    names = (
        "email", "first_name", "last_name", "phone", "postal_code", "consent", HONEYPOT,
        "pow", "pow_challenge", "pow_answer",
    )  # fmt: skip
    return {name: str(form.get(name) or "") for name in names}
