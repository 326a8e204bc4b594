"""Procuration requests and offers typed on a page (the campaign's pages and the volunteer's
phone), not only through the CLI: the person is found in the CRM by e-mail or phone, or created;
the address is geocoded with the contacts' offline geocoder (`circo.crm.geocode`: the imported
BAN addresses, the public BAN API only when ``geocoding_online`` is on) — the mandant's bureau
from the nearest REU point of the commune when not given, the mandataire's position for the
distance; the consent ticked on the form is recorded (`circo.privacy.record_consent`) with the
wording shown, which is what lets the campaign tell both sides by e-mail or SMS."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.tenancy import CampaignContext
from circo.electionday.models import ProxyOffer, ProxyRequest
from circo.electionday.procurations import ProxyError, add_offer, add_request

CONSENT_WORDING = {
    "email": "J'accepte d'être contacté(e) par e-mail par la campagne au sujet de cette "
    "procuration (binôme, démarches, rappel avant le vote).",
    "sms": "J'accepte de recevoir des SMS de la campagne au sujet de cette procuration "
    "(binôme, démarches, rappel avant le vote).",
}
FORM_SOURCE = "formulaire procuration"


@dataclass(frozen=True)
class Person:
    """Who fills the form (or for whom a volunteer fills it)."""

    first_name: str
    last_name: str
    email: str
    phone: str
    address_line: str
    postal_code: str
    city: str
    consent: tuple[str, ...]  # channels ticked: "email", "sms"


def _field_error(exc: ValidationError) -> ProxyError:
    names = {
        "first_name": "prénom", "last_name": "nom", "email": "e-mail", "phone": "téléphone",
        "address_line": "adresse", "postal_code": "code postal", "city": "commune",
    }  # fmt: skip
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first.get("loc") else ""
    return ProxyError(f"{names.get(field, field)} : {first['msg']}", loc=names.get(field, field))


def _find_or_create(session: Session, ctx: CampaignContext, person: Person) -> Any:
    from circo.crm.contacts import create_contact, find_by_identity
    from circo.crm.schemas import ContactCreate

    if not person.last_name.strip():
        raise ProxyError("nom manquant", loc="nom")
    if not (person.email.strip() or person.phone.strip()):
        raise ProxyError("indiquez un e-mail ou un téléphone pour être prévenu(e)", loc="e-mail")
    try:
        data = ContactCreate(
            first_name=person.first_name.strip(), last_name=person.last_name.strip(),
            email=person.email.strip() or None, phone=person.phone.strip() or None,
            address_line=person.address_line.strip() or None,
            postal_code=person.postal_code.strip() or None, city=person.city.strip() or None,
            source=FORM_SOURCE,
        )  # fmt: skip
        # the e-mail identifies the person when given (a shared family phone does not)
        found = find_by_identity(
            session, ctx, email=data.email, phone=None if data.email else data.phone
        )
    except ValidationError as exc:
        raise _field_error(exc) from exc
    except ValueError as exc:  # a phone the normaliser refuses
        raise ProxyError(str(exc), loc="téléphone") from exc
    if found:
        contact = found[0]
        for name in ("address_line", "postal_code", "city"):
            value = getattr(data, name)
            if value and getattr(contact, name) != value:
                setattr(contact, name, value)
                if name != "city":
                    contact.lat = contact.lon = None  # the new address is geocoded below
        return contact
    return create_contact(session, ctx, data=data, source=FORM_SOURCE)


def _locate(
    session: Session, settings: Settings, person: Person
) -> tuple[float, float, str | None] | None:
    """(lat, lon, commune) of the person's address, read before anything is written (the online
    geocoder, when on, ends the read transaction first)."""
    from circo.crm.geocode import locate_addresses

    if not (person.address_line.strip() and person.postal_code.strip()):
        return None
    key = (person.postal_code.strip(), person.address_line.strip())
    found, _online = locate_addresses(session, settings, [key])
    return found.get(key)


def _record_consent(session: Session, ctx: CampaignContext, contact_id: int, person: Person,
                    form: str) -> None:  # fmt: skip
    from circo.privacy.consent import record_consent

    for channel in person.consent:
        record_consent(
            session, ctx, contact_id=contact_id, channel=channel, status="granted",
            source=FORM_SOURCE, proof={"form": form, "wording": CONSENT_WORDING[channel]},
        )  # fmt: skip


def request_from_form(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    *,
    person: Person,
    station: str,
    rounds: str,
    established_abroad: bool,
    until: date,
) -> ProxyRequest:
    """A mandant's request: the bureau typed, else the one of the geocoded address."""
    where = None if station.strip() else _locate(session, settings, person)
    contact = _find_or_create(session, ctx, person)
    if not station.strip():
        if where is None:
            raise ProxyError(
                "adresse introuvable dans la base d'adresses importée : indiquez le bureau "
                "de vote (ex. 69123_0101, sur la carte électorale)",
                loc="bureau",
            )
        from circo.crm.geocode import apply_locations

        key = (person.postal_code.strip(), person.address_line.strip())
        contact.postal_code, contact.address_line = key
        apply_locations(session, [contact], {key: where})
        if not contact.polling_station:
            raise ProxyError(
                "bureau de vote inconnu pour cette adresse (aucun point du répertoire "
                "électoral importé dans la commune) : indiquez le bureau, ex. 69123_0101",
                loc="bureau",
            )
        station = contact.polling_station
    request = add_request(
        session, ctx, contact_id=contact.id, station=station, rounds=rounds,
        established_abroad=established_abroad, delete_after=until,
    )  # fmt: skip
    _record_consent(session, ctx, contact.id, person, "demande de procuration")
    return request


def offer_from_form(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    *,
    person: Person,
    rounds: str,
    max_km: float,
    until: date,
) -> ProxyOffer:
    """A mandataire's offer: the position is the geocoded address."""
    where = _locate(session, settings, person)
    if where is None:
        raise ProxyError(
            "adresse introuvable dans la base d'adresses importée (numéro, voie et code "
            "postal) : vérifiez-la",
            loc="adresse",
        )
    contact = _find_or_create(session, ctx, person)
    contact.lat, contact.lon = where[0], where[1]
    offer = add_offer(
        session, ctx, contact_id=contact.id, longitude=where[1], latitude=where[0],
        max_km=max_km, rounds=rounds, delete_after=until,
    )  # fmt: skip
    _record_consent(session, ctx, contact.id, person, "offre de procuration")
    return offer
