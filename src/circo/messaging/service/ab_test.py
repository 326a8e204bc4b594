"""A/B tests of e-mail subjects: statistics per variant, choosing the winner."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext
from circo.messaging.errors import MessagingError
from circo.messaging.models import Delivery, MessageCampaign
from circo.messaging.service.sending import enqueue_send


@dataclass
class VariantStats:
    index: int
    subject: str
    sent: int
    tracked: int
    opened: int
    clicked: int

    @property
    def open_rate(self) -> float | None:
        return self.opened / self.tracked if self.tracked else None

    @property
    def click_rate(self) -> float | None:
        return self.clicked / self.tracked if self.tracked else None


def variant_stats(session: Session, message: MessageCampaign) -> list[VariantStats]:
    rows = session.execute(
        select(
            Delivery.variant,
            func.count(Delivery.id),
            func.count(Delivery.id).filter(Delivery.tracked.is_(True)),
            func.count(Delivery.opened_at),
            func.count(Delivery.clicked_at),
        )
        .where(Delivery.message_id == message.id, Delivery.status == "sent")
        .group_by(Delivery.variant)
    ).all()
    found = {row[0]: row for row in rows}
    stats = []
    for index, subject in enumerate(message.subject_variants):
        row = found.get(index)
        stats.append(
            VariantStats(
                index,
                subject,
                int(row[1]) if row else 0,
                int(row[2]) if row else 0,
                int(row[3]) if row else 0,
                int(row[4]) if row else 0,
            )
        )
    return stats


def pick_winner(session: Session, message: MessageCampaign) -> int:
    """Best variant by the message's metric among tracked recipients; else the fallback."""
    if message.ab_metric == "fixed":
        return message.ab_fallback_variant
    stats = variant_stats(session, message)
    rates = [
        (stat.open_rate if message.ab_metric == "opens" else stat.click_rate, -stat.index)
        for stat in stats
    ]
    measured = [(rate, order) for rate, order in rates if rate is not None]
    if not measured or max(rate for rate, _ in measured) == 0:
        return message.ab_fallback_variant
    _rate, order = max(measured)
    return -order


def decide_winner(
    session: Session,
    ctx: CampaignContext,
    *,
    message: MessageCampaign,
    variant: int | None = None,
) -> int:
    """Choose the winning subject (given, or measured) and send it to the rest."""
    if not message.subject_variants:
        raise MessagingError("ce message n'a pas de test A/B", loc="message")
    if message.status != "testing":
        raise MessagingError(
            f"le gagnant est déjà choisi (statut {message.status})", loc="message", status=409
        )
    if variant is not None and not 0 <= variant < len(message.subject_variants):
        raise MessagingError(
            f"variante {variant} inconnue (0 à {len(message.subject_variants) - 1})",
            loc="variant",
        )
    winner = pick_winner(session, message) if variant is None else variant
    message.ab_winner = winner
    message.status = "queued"
    session.execute(
        update(Delivery)
        .where(Delivery.message_id == message.id, Delivery.status == "held")
        .values(status="queued", variant=winner)
    )
    enqueue_send(session, ctx, message)
    session.flush()
    return winner
