"""Ripostes: a rebuttal kept by the comms team, approved, then pushed to the volunteers.

* `create_riposte` runs the rebuttal and keeps it as a draft (claim, verdict, short and long
  texts, the evidence with its sources); the comms team may edit the texts.
* `approve_riposte` (comms role) marks it approved: it appears in the volunteers' riposte page
  with share buttons, and an e-mail is queued (``circo.core.outbox``, sent after the commit) to
  every active volunteer whose contact may be e-mailed (``circo.privacy.consent.decide_many``:
  consent, opposition, suppression list); not during the L49 silence
  (``circo.privacy.calendar``). One mail per volunteer and riposte (outbox key), so approving
  twice mails no one twice.
* `count_view` and `count_share` count views and shares per riposte (numbers only, nothing
  about who).
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from circo.assistant.errors import AssistantError, RiposteNotFound
from circo.assistant.models import Riposte, RiposteStatus
from circo.assistant.rebuttal import rebut
from circo.config import Settings
from circo.core.email import OutgoingEmail
from circo.core.models import Role
from circo.core.outbox import queue_mail
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.db import utcnow

NETWORKS = ("x", "facebook", "whatsapp", "telegram", "linkedin")
MAX_EDIT = 5000


def share_url(network: str, text: str, link: str) -> str:
    """The network's own share address for ``text`` and ``link`` (no script, no tracker)."""
    message = quote(f"{text} {link}".strip())
    return {
        "x": f"https://x.com/intent/post?text={message}",
        "facebook": f"https://www.facebook.com/sharer/sharer.php?u={quote(link)}",
        "whatsapp": f"https://wa.me/?text={message}",
        "telegram": f"https://t.me/share/url?url={quote(link)}&text={quote(text)}",
        "linkedin": f"https://www.linkedin.com/sharing/share-offsite/?url={quote(link)}",
    }[network]


def parse_network(value: str) -> str:
    network = value.strip().lower()
    if network not in NETWORKS:
        raise AssistantError(
            f"réseau inconnu « {value} » (attendu l'un de : {', '.join(NETWORKS)})",
            loc="network",
        )
    return network


def create_riposte(
    session: Session,
    ctx: CampaignContext,
    *,
    claim: str,
    settings: Settings,
    offline: bool = False,
) -> Riposte:
    ctx.require(Role.comms)
    text = " ".join(claim.split())
    if not text:
        raise AssistantError("affirmation vide (ex. « Le chômage explose »)", loc="claim")
    if len(text) > 500:
        raise AssistantError(
            f"affirmation trop longue ({len(text)} caractères, 500 au plus)", loc="claim"
        )
    result = rebut(session, ctx, claim=text, settings=settings, offline=offline)
    riposte = Riposte(
        campaign_id=ctx.campaign_id,
        claim=text,
        verdict=result.verdict,
        short=result.short,
        long=result.long,
        evidence=[
            {**item.contract(), "title": item.citation.row.title} for item in result.evidence
        ],
        status=RiposteStatus.draft,
        shares={},
    )
    session.add(riposte)
    session.flush()
    return riposte


def get_riposte(
    session: Session, ctx: CampaignContext, riposte_id: int, *, approved_only: bool = False
) -> Riposte:
    query = ctx.scoped(select(Riposte), Riposte).where(Riposte.id == riposte_id)
    if approved_only:
        query = query.where(Riposte.status == RiposteStatus.approved)
    riposte = session.scalar(query)
    if riposte is None:
        raise RiposteNotFound(f"riposte {riposte_id} introuvable", loc="riposte")
    return riposte


def list_ripostes(session: Session, ctx: CampaignContext) -> list[Riposte]:
    """Every riposte for the comms team; only the approved ones for anyone else."""
    query = ctx.scoped(select(Riposte), Riposte).order_by(Riposte.id.desc())
    if ctx.role not in (Role.admin, Role.comms):
        query = query.where(Riposte.status == RiposteStatus.approved)
    return list(session.scalars(query))


def edit_riposte(
    session: Session, ctx: CampaignContext, riposte_id: int, *, short: str, long: str
) -> Riposte:
    ctx.require(Role.comms)
    riposte = get_riposte(session, ctx, riposte_id)
    short_text, long_text = short.strip(), long.strip()
    if not short_text or len(short_text) > 280:
        raise AssistantError(
            f"riposte courte de {len(short_text)} caractères (1 à 280 attendus)", loc="short"
        )
    if len(long_text) > MAX_EDIT:
        raise AssistantError(
            f"riposte développée de {len(long_text)} caractères ({MAX_EDIT} au plus)", loc="long"
        )
    riposte.short, riposte.long = short_text, long_text
    session.flush()
    return riposte


def approve_riposte(
    session: Session,
    ctx: CampaignContext,
    riposte_id: int,
    *,
    settings: Settings,
    now: datetime | None = None,
) -> int:
    """Approve and push to the volunteers; returns the number of e-mails queued now."""
    from circo.crm.models import Contact, Volunteer, VolunteerStatus
    from circo.privacy.calendar import require_calendar
    from circo.privacy.consent import decide_many

    ctx.require(Role.comms)
    riposte = get_riposte(session, ctx, riposte_id)
    if riposte.verdict == "unverified":
        raise AssistantError(
            "riposte non vérifiée : aucune source ne confirme ni ne dément l'affirmation, "
            "elle ne peut pas être diffusée",
            loc="verdict",
        )
    require_calendar(ctx.campaign, now or utcnow(), "message")
    if riposte.status != RiposteStatus.approved:
        riposte.status = RiposteStatus.approved
        riposte.approved_at = now or utcnow()
    volunteers = list(
        session.scalars(
            ctx.scoped(select(Volunteer), Volunteer).where(
                Volunteer.status == VolunteerStatus.active, Volunteer.contact_id.is_not(None)
            )
        )
    )
    contact_ids = [v.contact_id for v in volunteers if v.contact_id is not None]
    decisions = decide_many(session, ctx, contact_ids=contact_ids, channel="email")
    link = f"{settings.base_url.rstrip('/')}/c/{ctx.campaign.slug}/assistant/ripostes/{riposte.id}"
    queued = 0
    for volunteer in volunteers:
        assert volunteer.contact_id is not None
        if not decisions[volunteer.contact_id].allowed:
            continue
        contact = session.get(Contact, volunteer.contact_id)
        if contact is None or not contact.email:
            continue
        mail = queue_mail(
            session,
            OutgoingEmail(
                to=contact.email,
                subject=f"Riposte à partager : « {riposte.claim[:120]} »",
                text=(
                    f"Bonjour,\n\nUne riposte vient d'être validée par l'équipe de "
                    f"« {ctx.campaign.name} ».\n\nL'affirmation : « {riposte.claim} »\n\n"
                    f"Notre réponse : {riposte.short}\n\n"
                    f"Les sources et les boutons de partage : {link}\n"
                ),
            ),
            campaign_id=ctx.campaign_id,
            key=f"assistant.riposte:{riposte.id}:{volunteer.id}",
        )
        if mail is not None:
            queued += 1
    riposte.mailed += queued
    session.flush()
    return queued


def count_view(session: Session, ctx: CampaignContext, riposte_id: int) -> None:
    session.execute(
        update(Riposte)
        .where(Riposte.id == riposte_id, campaign_filter(Riposte, ctx))
        .values(views=Riposte.views + 1)
    )


def count_share(
    session: Session, ctx: CampaignContext, riposte_id: int, *, network: str, link: str
) -> str:
    """Count one share on ``network`` and return the network's share address."""
    chosen = parse_network(network)
    riposte = get_riposte(session, ctx, riposte_id, approved_only=True)
    shares = dict(riposte.shares or {})
    shares[chosen] = shares.get(chosen, 0) + 1
    riposte.shares = shares
    session.flush()
    return share_url(chosen, riposte.short, link)
