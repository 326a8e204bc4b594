"""Texts stuck in ``sending``: the provider never answered (its answer was lost — the entry
keeps the reason in ``note`` — or the process died while the text was being handed over and
`STUCK_AFTER` has passed). They are shown on the texting page (« sans réponse
du fournisseur ») and can be retried **idempotently**: the retry sends the *same* text with the
*same* provider reference (``texto-<entry id>``, the provider's idempotency key), so a text the
provider did receive the first time is not sent twice; two people pressing "retry" at once
claim it once (conditional update of the claim stamp).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.db import utcnow
from circo.messaging.providers import SmsProvider
from circo.privacy import decide_many
from circo.reach.errors import NotFound, PermissionDenied
from circo.reach.models import TextEntry, TextStatus
from circo.reach.texting import MANAGERS, _deliver, require_sms_calendar

# A text still "sending" after this long got no answer from the provider.
STUCK_AFTER = timedelta(minutes=2)


def _stuck(before: datetime) -> Any:
    """No answer: the answer was lost (reason in ``note``), or nothing heard since ``before``."""
    return or_(TextEntry.note != "", TextEntry.sent_at <= before)


def stuck_texts(
    session: Session, ctx: CampaignContext, text_campaign_id: int, *, now: datetime | None = None
) -> list[TextEntry]:
    """The campaign's texts in ``sending`` for longer than `STUCK_AFTER`, oldest first."""
    query = select(TextEntry).where(
        campaign_filter(TextEntry, ctx),
        TextEntry.text_campaign_id == text_campaign_id,
        TextEntry.status == TextStatus.sending,
        _stuck((now or utcnow()) - STUCK_AFTER),
    )
    return list(session.scalars(query.order_by(TextEntry.sent_at, TextEntry.id)))


def retry_stuck(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    *,
    entry_id: int,
    now: datetime | None = None,
    provider: SmsProvider | None = None,
) -> TextEntry:
    """Send a stuck text again, same text and same provider reference (see module doc).
    Refused during L49 / outside contacting hours; excluded if the person objected since."""
    moment = now or utcnow()
    entry = session.scalar(ctx.scoped(select(TextEntry), TextEntry).where(TextEntry.id == entry_id))
    if entry is None:
        raise NotFound(f"SMS n° {entry_id} introuvable", loc="sms")
    if ctx.role not in MANAGERS and entry.sent_by_user_id != ctx.actor.user_id:
        raise PermissionDenied(
            "seul·e l'auteur·rice du SMS ou un·e organisateur·rice peut le relancer", loc="sms"
        )
    require_sms_calendar(ctx, moment)
    claimed = session.execute(
        update(TextEntry)
        .where(
            campaign_filter(TextEntry, ctx),
            TextEntry.id == entry_id,
            TextEntry.status == TextStatus.sending,
            _stuck(moment - STUCK_AFTER),
        )
        .values(sent_at=moment, note="")
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        session.rollback()
        session.refresh(entry)
        return entry  # already answered, or another person is retrying it right now
    session.refresh(entry)
    decision = decide_many(session, ctx, contact_ids=[entry.contact_id], channel="sms")[
        entry.contact_id
    ]
    if not decision.allowed:
        entry.status = TextStatus.excluded.value
        entry.note = decision.reason[:500]
        session.commit()
        return entry
    session.commit()  # the new claim is durable before the provider is called again
    _deliver(session, ctx, settings, entry, provider, moment)
    return entry
