"""What each kind of public form asks and does on confirmation.

- signup: first name, last name, postal code → the contact and its email consent;
- volunteer: first name*, last name, phone*, postal code, availability, skills → the contact as
  a volunteer, availability on its timeline;
- petition: first name*, last name*, postal code*, comment → the contact, the signature kept;
- event: first name*, last name, phone → the contact, an RSVP "yes" to the form's crm event;
- procuration_offer: first name*, last name*, phone*, address*, postal code*, rounds*,
  distance → the contact and an electionday mandataire offer (located offline, BAN reference).

(* required). The kind's own answers are kept in ``auto_form_answers`` and the event of an
event form in ``auto_form_settings`` (tables of the automations branch: the reach branch gets no
new migration while another change works on it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext
from circo.crm import normalise
from circo.reach.errors import ReachError
from circo.reach.models import FormKind, FormSubmission, PublicForm

AVAILABILITY = {
    "evenings": "en soirée",
    "weekends": "le week-end",
    "election_day": "le jour du vote",
}
ROUNDS = {"1": "1er tour", "2": "2nd tour", "both": "les deux tours"}


@dataclass(frozen=True)
class Field:
    name: str
    label: str  # French; translated in the template
    kind: str = "text"  # text, tel, textarea, availability, rounds, number
    required: bool = False
    autocomplete: str = ""


FIRST = Field("first_name", "Prénom", autocomplete="given-name")
LAST = Field("last_name", "Nom", autocomplete="family-name")
PHONE = Field("phone", "Téléphone", "tel", autocomplete="tel")
POSTAL = Field("postal_code", "Code postal", autocomplete="postal-code")


def _required(field: Field) -> Field:
    return Field(field.name, field.label, field.kind, True, field.autocomplete)


FIELDS: dict[str, tuple[Field, ...]] = {
    FormKind.signup: (FIRST, LAST, POSTAL),
    FormKind.volunteer: (
        _required(FIRST), LAST, _required(PHONE), POSTAL,
        Field("availability", "Disponibilités", "availability"),
        Field("skills", "Ce que vous aimeriez faire (facultatif)", "textarea"),
    ),
    FormKind.petition: (
        _required(FIRST), _required(LAST), _required(POSTAL),
        Field("comment", "Un mot (facultatif)", "textarea"),
    ),
    FormKind.event: (_required(FIRST), LAST, PHONE),
    FormKind.procuration_offer: (
        _required(FIRST), _required(LAST), _required(PHONE),
        Field("address_line", "Adresse", required=True, autocomplete="street-address"),
        _required(POSTAL),
        Field("rounds", "Tours", "rounds", required=True),
        Field("max_km", "Distance acceptée (km)", "number"),
    ),
}  # fmt: skip
BASE_FIELDS = ("email", "first_name", "last_name", "phone", "postal_code")
EXTRA_FIELDS = ("availability", "skills", "comment", "address_line", "rounds", "max_km")


def fields_of(kind: str) -> tuple[Field, ...]:
    return FIELDS[FormKind(kind)]


def read_answers(kind: str, form: Any) -> dict[str, str]:
    """The kind's own fields as typed (availability: the boxes ticked, comma-separated)."""
    names = {field.name for field in fields_of(kind)}
    answers: dict[str, str] = {}
    for name in EXTRA_FIELDS:
        if name not in names:
            continue
        if name == "availability" and hasattr(form, "getlist"):
            values = [str(value) for value in form.getlist(name) if str(value) in AVAILABILITY]
            answers[name] = ",".join(values)
        else:
            answers[name] = " ".join(str(form.get(name) or "").split())[:1000]
    return answers


def validate(kind: str, fields: dict[str, str], answers: dict[str, str]) -> dict[str, Any]:
    """Check the kind's required fields; the clean answers to keep (French error per field)."""
    for field in fields_of(kind):
        value = answers.get(field.name) if field.name in EXTRA_FIELDS else fields.get(field.name)
        if field.required and not (value or "").strip():
            raise ReachError(f"{field.label.lower()} requis", loc=field.label.lower())
    clean: dict[str, Any] = {}
    if answers.get("availability"):
        clean["availability"] = answers["availability"].split(",")
    for name in ("skills", "comment", "address_line"):
        if answers.get(name):
            clean[name] = answers[name]
    if "rounds" in answers:
        if answers["rounds"] not in ROUNDS:
            raise ReachError(
                f"tours « {answers['rounds']} » : choisissez 1er tour, 2nd tour ou les deux",
                loc="tours",
            )
        clean["rounds"] = answers["rounds"]
    if "max_km" in answers:
        text = answers["max_km"].replace(",", ".") or "5"
        try:
            distance = float(text)
        except ValueError:
            distance = -1.0
        if not 0 < distance <= 100:
            raise ReachError(
                f"distance « {answers['max_km']} » : attendu de 1 à 100 km (ex. 5)",
                loc="distance acceptée (km)",
            )
        clean["max_km"] = distance
    if kind == FormKind.procuration_offer:
        postal = normalise.normalise_postal_code(fields.get("postal_code"))
        if postal is None:
            raise ReachError(
                f"code postal « {fields.get('postal_code')} » invalide (ex. 69001)",
                loc="code postal",
            )
    return clean


def event_of(session: Session, form: PublicForm) -> int | None:
    from circo.automations.models import FormSettings

    found = session.get(FormSettings, form.id)
    return found.event_id if found is not None else None


def set_event(session: Session, ctx: CampaignContext, form: PublicForm, event_id: int) -> None:
    """An event form registers to this crm event (checked in the campaign)."""
    from circo.automations.models import FormSettings
    from circo.crm.events import get_event

    event = get_event(session, ctx, event_id)
    session.merge(FormSettings(form_id=form.id, campaign_id=ctx.campaign_id, event_id=event.id))
    session.flush()


def keep_answers(session: Session, submission: FormSubmission, answers: dict[str, Any]) -> None:
    from circo.automations.models import FormAnswers

    if answers:
        session.add(
            FormAnswers(
                submission_id=submission.id, campaign_id=submission.campaign_id, answers=answers
            )
        )
        session.flush()


def on_confirm(
    session: Session,
    ctx: CampaignContext,
    settings: Any,
    *,
    form: PublicForm,
    submission: FormSubmission,
    contact_id: int,
) -> str:
    """What the kind does once the person confirmed; a French line for the log."""
    from circo.automations.models import FormAnswers

    stored = session.get(FormAnswers, submission.id)
    answers = dict(stored.answers) if stored is not None else {}
    outcome = ""
    if form.kind == FormKind.event:
        outcome = _register_event(session, ctx, form, contact_id)
    elif form.kind == FormKind.procuration_offer:
        outcome = _offer(session, ctx, answers, submission, contact_id)
    elif form.kind == FormKind.volunteer and answers.get("availability"):
        from circo.crm.timeline import add_interaction

        when = ", ".join(AVAILABILITY[key] for key in answers["availability"])
        add_interaction(
            session, ctx, contact_id=contact_id, kind="note",
            summary=f"bénévole disponible {when}" + (
                f" — {answers['skills']}" if answers.get("skills") else ""),
        )  # fmt: skip
        outcome = f"disponibilités : {when}"
    elif form.kind == FormKind.petition:
        outcome = "signature enregistrée"
    if stored is not None:
        stored.outcome = outcome
    return outcome


def _register_event(
    session: Session, ctx: CampaignContext, form: PublicForm, contact_id: int
) -> str:
    from circo.crm.events import record_rsvp

    event_id = event_of(session, form)
    if event_id is None:
        return "aucun événement lié au formulaire"
    try:
        record_rsvp(session, ctx, event_id=event_id, contact_id=contact_id, answer="yes")
    except ReachError:
        raise
    except Exception as exc:  # complet, événement effacé : the contact and consent stay
        return f"inscription à l'événement impossible : {getattr(exc, 'message', exc)}"
    return f"inscrit·e à l'événement n° {event_id}"


def _offer(
    session: Session,
    ctx: CampaignContext,
    answers: dict[str, Any],
    submission: FormSubmission,
    contact_id: int,
) -> str:
    from circo.core.timezone import local_today
    from circo.crm.geocode import locate_offline
    from circo.electionday.procurations import add_offer
    from circo.privacy.calendar import vote_days

    where = locate_offline(
        session,
        postal_code=submission.postal_code or "",
        address_line=str(answers.get("address_line") or ""),
    )
    if where is None:
        return "offre de procuration à localiser : adresse inconnue de la référence BAN"
    days = vote_days(ctx.campaign)
    until = (days[-1] if days else local_today(ctx.campaign.timezone)) + timedelta(days=31)
    lat, lon = where
    offer = add_offer(
        session, ctx, contact_id=contact_id, longitude=lon, latitude=lat,
        max_km=float(answers.get("max_km") or 5.0), rounds=str(answers.get("rounds") or "both"),
        delete_after=until,
    )  # fmt: skip
    return f"offre de procuration n° {offer.id} enregistrée"
