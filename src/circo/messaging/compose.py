"""The composer: preview a draft for any recipient of its segment, send a test to yourself."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.email import EmailSender, OutgoingEmail
from circo.core.netguard import leave_transaction
from circo.core.tenancy import CampaignContext
from circo.messaging import directory, service
from circo.messaging.delivery import Prepared, Renderer
from circo.messaging.models import MessageCampaign
from circo.messaging.personalise import Recipient

PREVIEW_CHOICES = 50


@dataclass
class Preview:
    recipients: list[Recipient]  # the first reachable recipients, to choose from
    reachable: int
    shown: Recipient
    rendered: Prepared


def _transient_message(
    session: Session, ctx: CampaignContext, draft: service.Draft
) -> MessageCampaign:
    point = service.point_of(session, ctx, draft)
    return MessageCampaign(
        id=0,
        campaign_id=ctx.campaign_id,
        channel=draft.channel,
        segment_name=draft.segment,
        point_id=point.id if point is not None else None,
        subject=draft.subject,
        body=draft.body,
        subject_variants=list(draft.subject_variants or []),
        track=False,
        ab_winner=None,
    )


@dataclass
class _Row:
    id: int
    contact_id: int
    variant: int | None
    tracked: bool


SAMPLE = Recipient(
    contact_id=0, first_name="Camille", last_name="Exemple", commune="Lyon", bureau="0001"
)


def preview(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    *,
    draft: service.Draft,
    contact_id: int | None = None,
    variant: int = 0,
) -> Preview:
    """The draft rendered for ``contact_id`` (default: the first reachable recipient)."""
    service.validate_draft(draft)
    who = service.audience(session, ctx, segment=draft.segment, channel=draft.channel)
    ids = sorted(who.allowed)[:PREVIEW_CHOICES]
    if contact_id is not None and contact_id in who.allowed and contact_id not in ids:
        ids.append(contact_id)
    people = directory.recipients(session, ctx, ids)
    choices = [people[item] for item in ids if item in people]
    shown = people.get(contact_id or -1) or (choices[0] if choices else SAMPLE)
    renderer = Renderer(session, ctx, settings, _transient_message(session, ctx, draft))
    rendered = renderer.prepare(_Row(0, shown.contact_id, variant, False), shown)
    return Preview(choices, len(who.allowed), shown, rendered)


def send_test(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    *,
    draft: service.Draft,
    to: str,
    contact_id: int | None = None,
) -> str:
    """Send the preview to ``to`` (yourself), subject prefixed "[TEST]"; SMS shown as text."""
    shown = preview(session, ctx, settings, draft=draft, contact_id=contact_id)
    rendered = shown.rendered
    subject = rendered.subject or "SMS"
    leave_transaction(session)  # the mail server may be slow: hold no database lock meanwhile
    with EmailSender(settings) as sender:
        return sender.send(
            OutgoingEmail(
                to=to,
                subject=f"[TEST] {subject}",
                text=rendered.text,
                html=rendered.html,
                headers=rendered.headers,
            )
        )
