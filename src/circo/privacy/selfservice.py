"""The public self-service page: any elector asks what the campaign holds on them, objects, or
asks for erasure — verified by a signed link sent to their email address.

The answer never depends on whether the address is known (no enumeration): the same message is
shown and an email is always sent; what the link reveals is only ever shown to whoever controls
the mailbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.email import OutgoingEmail, send_email
from circo.core.models import Campaign
from circo.core.security import sign, unsign
from circo.core.tenancy import CampaignContext, system_context
from circo.crm import normalise
from circo.db import utcnow
from circo.privacy.errors import PermissionDenied, PrivacyError
from circo.privacy.models import RightsRequest
from circo.privacy.rights.access import access_export
from circo.privacy.rights.erasure import apply_opposition, erase_person
from circo.privacy.rights.requests import complete_request, create_request
from circo.privacy.rights.traces import compact_after_commit

SALT = "circo.selfservice"
MAX_AGE = 7 * 86400
KINDS = {
    "access": "savoir quelles données la campagne détient sur moi",
    "opposition": "ne plus être contacté·e (opposition)",
    "erasure": "faire effacer mes données",
}


def start(
    session: Session, ctx: CampaignContext, settings: Settings, *, email: str, kind: str
) -> RightsRequest:
    """Record the (unverified) request and email the verification link."""
    request, message = prepare(session, ctx, settings, email=email, kind=kind)
    send_email(settings, message)
    return request


def prepare(
    session: Session, ctx: CampaignContext, settings: Settings, *, email: str, kind: str
) -> tuple[RightsRequest, OutgoingEmail]:
    """Record the (unverified) request; the email with the verification link, to send once
    the request is committed (no mail server call inside a transaction)."""
    if kind not in KINDS:
        raise PrivacyError(f"demande inconnue « {kind} » (access, opposition, erasure)", loc="kind")
    try:
        address = normalise.normalise_email(email)
    except ValueError as exc:
        raise PrivacyError(str(exc), loc="email") from None
    if address is None:
        raise PrivacyError("adresse e-mail requise (ex. marie@exemple.fr)", loc="email")
    request = create_request(
        session, ctx, kind=kind, requester=address, channel="self_service", status="unverified"
    )
    token = sign(settings.effective_secret_key(), SALT, {"k": ctx.campaign_id, "r": request.id})
    link = f"{settings.base_url.rstrip('/')}/p/{ctx.campaign.slug}/donnees/confirmer/{token}"
    message = OutgoingEmail(
        to=address,
        subject=f"Confirmez votre demande — {ctx.campaign.name}",
        text=(
            f"Bonjour,\n\nNous avons reçu une demande pour {KINDS[kind]} auprès de "
            f"« {ctx.campaign.name} ».\nPour la confirmer, ouvrez ce lien (valable 7 jours) :"
            f"\n{link}\n\nSi vous n'êtes pas à l'origine de cette demande, ignorez ce message."
        ),
    )
    return request, message


@dataclass
class Verified:
    kind: str
    export: dict[str, Any] | None = None
    contacts: int = 0


def verify(session: Session, settings: Settings, *, slug: str, token: str) -> Verified:
    """Check the link and carry the request out (access: the data is returned for display)."""
    try:
        payload = unsign(settings.effective_secret_key(), SALT, token, max_age_seconds=MAX_AGE)
    except ValueError as exc:
        raise PermissionDenied(f"lien de confirmation refusé : {exc}", loc="token") from None
    if not isinstance(payload, dict):
        raise PermissionDenied("lien de confirmation refusé : lien invalide", loc="token")
    campaign = session.get(Campaign, int(payload.get("k", 0)))
    request = session.get(RightsRequest, int(payload.get("r", 0)))
    if (
        campaign is None
        or campaign.slug != slug
        or request is None
        or request.campaign_id != campaign.id
    ):
        raise PermissionDenied("lien de confirmation refusé : lien invalide", loc="token")
    if request.status not in ("unverified", "open") or not request.requester:
        raise PrivacyError("cette demande a déjà été traitée", loc="token", status=410)
    ctx = system_context(campaign)
    email = request.requester
    request.verified_at = utcnow()
    request.status = "open"
    if request.kind == "access":
        export = access_export(session, ctx, email=email)
        complete_request(session, ctx, request, outcome={"contacts": len(export["contacts"])})
        return Verified("access", export=export, contacts=len(export["contacts"]))
    if request.kind == "opposition":
        count = apply_opposition(session, ctx, email=email, source="page publique (vérifiée)")
        complete_request(session, ctx, request, outcome={"contacts": count})
        return Verified("opposition", contacts=count)
    report = erase_person(session, ctx, settings, email=email, request=request)
    compact_after_commit(session)  # deleted rows leave no bytes in the SQLite file
    return Verified("erasure", contacts=report.contacts)
