"""Messaging rules: programme points × segments, composing, queueing a send, A/B, opt-out.

A send is prepared here (recipients decided, one delivery row each with the legal basis used
as proof) and carried out by the job runner (`circo.messaging.delivery`). Services ``flush()``,
never ``commit()``.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import jobs
from circo.core.audit import record as audit_record
from circo.core.tenancy import CampaignContext
from circo.db import utcnow
from circo.messaging import directory
from circo.messaging.errors import MessageNotFound, MessagingError, SendRefused
from circo.messaging.models import Delivery, MatrixCell, MessageCampaign, ProgrammePoint
from circo.messaging.personalise import CompiledMessage, check_template, variables_used
from circo.privacy import check_calendar

CHANNELS = ("email", "sms")
SEND_JOB = "messaging.send"
AB_JOB = "messaging.ab_decide"
ACTIVE = ("held", "queued")
STATUSES = (
    "held",
    "queued",
    "sending",
    "sent",
    "failed",
    "uncertain",
    "cancelled",
    "skipped_no_consent",
    "skipped_opposed",
)
AB_METRICS = ("opens", "clicks", "fixed")


# --- programme points and the matrix ----------------------------------------------------------


def list_points(session: Session, ctx: CampaignContext) -> list[ProgrammePoint]:
    query = ctx.scoped(select(ProgrammePoint), ProgrammePoint)
    return list(session.scalars(query.order_by(ProgrammePoint.position, ProgrammePoint.id)))


def get_point(session: Session, ctx: CampaignContext, point_id: int) -> ProgrammePoint:
    point = session.scalar(
        ctx.scoped(select(ProgrammePoint), ProgrammePoint).where(ProgrammePoint.id == point_id)
    )
    if point is None:
        raise MessageNotFound(f"point du programme {point_id} introuvable", loc="point")
    return point


def add_point(
    session: Session,
    ctx: CampaignContext,
    *,
    title: str,
    summary: str = "",
    passage_ids: list[int] | None = None,
) -> ProgrammePoint:
    clean = " ".join(title.split())
    if not clean:
        raise MessagingError("titre vide (exemple : « Petite enfance »)", loc="title")
    exists = session.scalar(
        ctx.scoped(select(ProgrammePoint.id), ProgrammePoint).where(ProgrammePoint.title == clean)
    )
    if exists is not None:
        raise MessagingError(f"le point « {clean} » existe déjà", loc="title", status=409)
    position = session.scalar(ctx.scoped(select(func.count(ProgrammePoint.id)), ProgrammePoint))
    point = ProgrammePoint(
        campaign_id=ctx.campaign_id,
        title=clean,
        summary=summary.strip(),
        passage_ids=list(passage_ids or []),
        position=position or 0,
    )
    session.add(point)
    session.flush()
    return point


def delete_point(session: Session, ctx: CampaignContext, point_id: int) -> None:
    session.delete(get_point(session, ctx, point_id))
    session.flush()


def _segment_label(session: Session, ctx: CampaignContext, name: str) -> str:
    clean = " ".join(name.split())
    if clean.lower() in ("all", "tous"):
        return directory.ALL
    directory.segment_member_ids(session, ctx, clean)  # 404 with the known names when unknown
    return clean


def set_cell(
    session: Session, ctx: CampaignContext, *, segment: str, point_id: int, on: bool
) -> None:
    """Give (or stop giving) programme point ``point_id`` to ``segment``."""
    get_point(session, ctx, point_id)
    name = _segment_label(session, ctx, segment)
    cell = session.scalar(
        ctx.scoped(select(MatrixCell), MatrixCell).where(
            MatrixCell.segment_name == name, MatrixCell.point_id == point_id
        )
    )
    if on and cell is None:
        session.add(MatrixCell(campaign_id=ctx.campaign_id, segment_name=name, point_id=point_id))
    elif not on and cell is not None:
        session.delete(cell)
    session.flush()


@dataclass
class MatrixRow:
    segment: str
    size: int
    reachable: dict[str, int]  # channel → people who may receive it
    points: list[int]  # programme point ids given to this segment


def matrix(session: Session, ctx: CampaignContext) -> tuple[list[ProgrammePoint], list[MatrixRow]]:
    """Points, and one row per segment (plus "all") with its reachable people per channel."""
    points = list_points(session, ctx)
    cells: dict[str, list[int]] = {}
    for cell in session.scalars(ctx.scoped(select(MatrixCell), MatrixCell)):
        cells.setdefault(cell.segment_name, []).append(cell.point_id)
    rows = []
    for name in [directory.ALL, *directory.segment_names(session, ctx)]:
        ids = directory.segment_member_ids(session, ctx, name)
        reachable = {}
        for channel in CHANNELS:
            verdicts = directory.verdicts(session, ctx, contact_ids=ids, channel=channel)
            reachable[channel] = sum(1 for verdict in verdicts.values() if verdict.allowed)
        rows.append(MatrixRow(name, len(ids), reachable, sorted(cells.get(name, []))))
    return points, rows


def point_for_segment(
    session: Session, ctx: CampaignContext, segment: str
) -> ProgrammePoint | None:
    """The (first) programme point the matrix gives to ``segment``."""
    name = directory.ALL if segment.strip().lower() in ("all", "tous") else segment
    point_id = session.scalar(
        ctx.scoped(select(MatrixCell.point_id), MatrixCell)
        .where(MatrixCell.segment_name == name)
        .order_by(MatrixCell.id)
        .limit(1)
    )
    return None if point_id is None else get_point(session, ctx, point_id)


# --- composing --------------------------------------------------------------------------------


@dataclass
class Draft:
    """What a send is made of, before it exists."""

    channel: str
    segment: str
    subject: str
    body: str
    point_id: int | None = None
    subject_variants: list[str] | None = None
    ab_sample_fraction: float = 0.0
    ab_metric: str = "opens"
    ab_fallback_variant: int = 0
    ab_wait_minutes: int = 240
    track: bool = False
    rate_per_second: float | None = None


def parse_channel(value: str) -> str:
    channel = value.strip().lower()
    if channel not in CHANNELS:
        raise MessagingError(f"canal inconnu « {value} » (attendu email ou sms)", loc="--channel")
    return channel


def validate_draft(draft: Draft) -> None:
    draft.channel = parse_channel(draft.channel)
    if not draft.body.strip():
        raise MessagingError("message vide (exemple : « Bonjour {{ prenom }}, … »)", loc="body")
    if draft.channel == "email" and not (draft.subject.strip() or draft.subject_variants):
        raise MessagingError("un e-mail a un objet (--subject)", loc="subject")
    for index, subject in enumerate([draft.subject, *(draft.subject_variants or [])]):
        check_template(subject, loc=f"objet {index + 1}" if index else "objet")
    check_template(draft.body, loc="corps du message")
    if draft.subject_variants:
        if draft.channel != "email":
            raise MessagingError("le test A/B porte sur l'objet des e-mails", loc="variants")
        if len(draft.subject_variants) < 2:
            raise MessagingError("un test A/B compare au moins deux objets", loc="variants")
        if not 0 < draft.ab_sample_fraction < 1:
            raise MessagingError(
                f"échantillon A/B {draft.ab_sample_fraction} : attendu entre 0 et 1 (ex. 0.2)",
                loc="sample",
            )
        if draft.ab_metric not in AB_METRICS:
            raise MessagingError(
                f"critère A/B « {draft.ab_metric} » (attendu opens, clicks ou fixed)",
                loc="metric",
            )
        if not 0 <= draft.ab_fallback_variant < len(draft.subject_variants):
            raise MessagingError("variante par défaut hors de la liste des objets", loc="winner")


def content_key(draft: Draft) -> str:
    raw = json.dumps(
        [
            draft.channel,
            " ".join(draft.segment.split()).lower(),
            draft.subject,
            draft.body,
            draft.point_id,
            draft.subject_variants or [],
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(raw.encode()).hexdigest()


def point_of(session: Session, ctx: CampaignContext, draft: Draft) -> ProgrammePoint | None:
    if draft.point_id is not None:
        return get_point(session, ctx, draft.point_id)
    return point_for_segment(session, ctx, draft.segment)


def uses_point(draft: Draft) -> bool:
    texts = [draft.subject, draft.body, *(draft.subject_variants or [])]
    return any(variables_used(text) & {"point", "point_texte"} for text in texts)


# --- the calendar -----------------------------------------------------------------------------


def require_sending_allowed(ctx: CampaignContext, channel: str, now: datetime) -> None:
    """L49 blackout for every channel; SMS also within contacting hours."""
    decision = check_calendar(ctx.campaign, now, "sms" if channel == "sms" else "message")
    if not decision.allowed:
        raise SendRefused(f"envoi refusé : {decision.reason}", loc=decision.rule)


def require_paid_ads_allowed(ctx: CampaignContext, now: datetime) -> None:
    """L52-1: a paid-advertising integration is refused in the 6 months before the election."""
    decision = check_calendar(ctx.campaign, now, "paid_ads")
    if not decision.allowed:
        raise SendRefused(f"publicité payante refusée : {decision.reason}", loc=decision.rule)


# --- preparing a send -------------------------------------------------------------------------


@dataclass
class Audience:
    """Who a draft reaches: the segment's members sorted by the privacy decision."""

    member_ids: list[int]
    allowed: dict[int, directory.Verdict]
    no_consent: dict[int, directory.Verdict]
    opposed: dict[int, directory.Verdict]


def audience(session: Session, ctx: CampaignContext, *, segment: str, channel: str) -> Audience:
    ids = directory.segment_member_ids(session, ctx, segment)
    verdicts = directory.verdicts(session, ctx, contact_ids=ids, channel=channel)
    result = Audience(ids, {}, {}, {})
    for contact_id in ids:
        verdict = verdicts[contact_id]
        bucket = {"ok": result.allowed, "opposed": result.opposed}.get(
            verdict.category, result.no_consent
        )
        bucket[contact_id] = verdict
    return result


def find_message(session: Session, ctx: CampaignContext, draft: Draft) -> MessageCampaign | None:
    return session.scalar(
        ctx.scoped(select(MessageCampaign), MessageCampaign).where(
            MessageCampaign.content_key == content_key(draft)
        )
    )


def get_message(session: Session, ctx: CampaignContext, message_id: int) -> MessageCampaign:
    message = session.scalar(
        ctx.scoped(select(MessageCampaign), MessageCampaign).where(MessageCampaign.id == message_id)
    )
    if message is None:
        raise MessageNotFound(f"message {message_id} introuvable", loc="message")
    return message


def list_messages(session: Session, ctx: CampaignContext) -> list[MessageCampaign]:
    query = ctx.scoped(select(MessageCampaign), MessageCampaign)
    return list(session.scalars(query.order_by(MessageCampaign.id.desc())))


def start_send(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    *,
    draft: Draft,
    now: datetime | None = None,
) -> MessageCampaign:
    """Create the message, decide every recipient (delivery rows with the basis used) and queue
    the send job. The same draft sent again resumes the same message: nobody gets it twice."""
    validate_draft(draft)
    moment = now or utcnow()
    require_sending_allowed(ctx, draft.channel, moment)
    existing = find_message(session, ctx, draft)
    if existing is not None:
        resume(session, ctx, message=existing)
        return existing
    point = point_of(session, ctx, draft)
    if point is None and uses_point(draft):
        raise MessagingError(
            f"le message utilise {{{{ point }}}} mais aucun point du programme n'est donné au "
            f"segment « {draft.segment} » dans la matrice",
            loc="point",
        )
    CompiledMessage(subject=draft.subject, body=draft.body)
    message = _create_message(session, ctx, settings, draft, point)
    who = audience(session, ctx, segment=draft.segment, channel=draft.channel)
    _insert_deliveries(session, ctx, message, who, moment)
    message.summary = {"recipients": len(who.member_ids), "rounds": 0}
    message.status = "testing" if message.subject_variants else "queued"
    message.started_at = moment
    session.flush()
    audit_record(
        session,
        actor=ctx.actor,
        action="messaging.send",
        campaign_id=ctx.campaign_id,
        target_type="message",
        target_id=message.id,
        details={
            "channel": message.channel,
            "segment": message.segment_name,
            "recipients": len(who.allowed),
        },
    )
    _enqueue_send(session, ctx, message)
    if message.subject_variants:
        jobs.enqueue(
            session,
            kind=AB_JOB,
            payload={"message_id": message.id},
            campaign_id=ctx.campaign_id,
            idempotency_key=f"{AB_JOB}:{message.id}",
            delay_seconds=draft.ab_wait_minutes * 60,
        )
    return message


def _create_message(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    draft: Draft,
    point: Any,
) -> MessageCampaign:
    message = MessageCampaign(
        campaign_id=ctx.campaign_id,
        channel=draft.channel,
        segment_name=" ".join(draft.segment.split()),
        point_id=point.id if point is not None else None,
        subject=draft.subject,
        body=draft.body,
        content_key=content_key(draft),
        status="draft",
        track=draft.track and draft.channel == "email",
        rate_per_second=(
            settings.messaging_rate_per_second
            if draft.rate_per_second is None
            else draft.rate_per_second
        ),
        subject_variants=list(draft.subject_variants or []),
        ab_sample_fraction=draft.ab_sample_fraction if draft.subject_variants else 0.0,
        ab_metric=draft.ab_metric,
        ab_fallback_variant=draft.ab_fallback_variant,
        created_by=ctx.actor.email,
    )
    session.add(message)
    session.flush()
    return message


def _insert_deliveries(
    session: Session,
    ctx: CampaignContext,
    message: MessageCampaign,
    who: Audience,
    moment: datetime,
) -> None:
    variants = _ab_assignments(message, sorted(who.allowed))
    rows: list[dict[str, Any]] = []
    for contact_id in who.member_ids:
        verdict = (
            who.allowed.get(contact_id) or who.opposed.get(contact_id) or who.no_consent[contact_id]
        )
        if verdict.allowed:
            variant = variants.get(contact_id)
            status = "held" if message.subject_variants and variant is None else "queued"
        else:
            variant = None
            status = "skipped_opposed" if verdict.category == "opposed" else "skipped_no_consent"
        rows.append(
            {
                "campaign_id": ctx.campaign_id,
                "message_id": message.id,
                "contact_id": contact_id,
                "channel": message.channel,
                "status": status,
                "variant": variant,
                "reason": None if verdict.allowed else verdict.reason,
                "basis": verdict.basis,
                "proof": {
                    "consent_id": verdict.consent_id,
                    "reason": verdict.reason,
                    "decided_at": moment.isoformat(),
                },
                "tracked": bool(message.track and verdict.basis == "consent"),
                "attempts": 0,
                "queued_at": moment,
            }
        )
    for start in range(0, len(rows), 2000):
        session.execute(insert(Delivery), rows[start : start + 2000])
    session.flush()


def _ab_assignments(message: MessageCampaign, allowed_ids: list[int]) -> dict[int, int]:
    """The A/B sample (seeded by the message id): contact id → subject variant."""
    variants = message.subject_variants
    if not variants or not allowed_ids:
        return {}
    size = max(len(variants), round(len(allowed_ids) * message.ab_sample_fraction))
    size = min(size, len(allowed_ids))
    sample = random.Random(message.id).sample(allowed_ids, size)
    return {contact_id: index % len(variants) for index, contact_id in enumerate(sample)}


def _enqueue_send(session: Session, ctx: CampaignContext, message: MessageCampaign) -> None:
    summary = dict(message.summary or {})
    rounds = int(summary.get("rounds", 0)) + 1
    summary["rounds"] = rounds
    message.summary = summary
    jobs.enqueue(
        session,
        kind=SEND_JOB,
        payload={"message_id": message.id},
        campaign_id=ctx.campaign_id,
        idempotency_key=f"{SEND_JOB}:{message.id}:{rounds}",
    )


def resume(session: Session, ctx: CampaignContext, *, message: MessageCampaign) -> None:
    """Queue the send job again (after a crash or a failed job): queued rows go out, rows
    interrupted in ``sending`` are marked uncertain and never sent again."""
    if message.status in ("done", "cancelled"):
        return
    _enqueue_send(session, ctx, message)
    session.flush()


def cancel(session: Session, ctx: CampaignContext, *, message: MessageCampaign) -> int:
    result = session.execute(
        update(Delivery)
        .where(Delivery.message_id == message.id, Delivery.status.in_(ACTIVE))
        .values(status="cancelled", reason="envoi annulé")
    )
    message.status = "cancelled"
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- A/B --------------------------------------------------------------------------------------


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
    _enqueue_send(session, ctx, message)
    session.flush()
    return winner


# --- statistics -------------------------------------------------------------------------------


def status_counts(session: Session, message_id: int) -> dict[str, int]:
    rows = session.execute(
        select(Delivery.status, func.count(Delivery.id))
        .where(Delivery.message_id == message_id)
        .group_by(Delivery.status)
    ).all()
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: int(count) for status, count in rows})
    return counts


def outcome(session: Session, message: MessageCampaign) -> dict[str, Any]:
    """The CLI contract's figures for a message."""
    counts = status_counts(session, message.id)
    return {
        "campaign": message.id,
        "recipients": sum(counts.values()),
        "sent": counts["sent"],
        "skipped_no_consent": counts["skipped_no_consent"],
        "skipped_opposed": counts["skipped_opposed"] + counts["cancelled"],
        "failed": counts["failed"] + counts["uncertain"],
    }


def engagement(session: Session, message_id: int) -> dict[str, int]:
    row = session.execute(
        select(
            func.count(Delivery.id).filter(Delivery.tracked.is_(True), Delivery.status == "sent"),
            func.count(Delivery.opened_at),
            func.count(Delivery.clicked_at),
        ).where(Delivery.message_id == message_id)
    ).one()
    return {"tracked": int(row[0]), "opened": int(row[1]), "clicked": int(row[2])}


def list_deliveries(
    session: Session,
    ctx: CampaignContext,
    *,
    message: MessageCampaign,
    status: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Delivery]:
    """The delivery log (a bulk read of personal data: audited)."""
    query = ctx.scoped(select(Delivery), Delivery).where(Delivery.message_id == message.id)
    if status:
        query = query.where(Delivery.status == status)
    rows = list(session.scalars(query.order_by(Delivery.id).limit(limit).offset(offset)))
    audit_record(
        session,
        actor=ctx.actor,
        action="messaging.deliveries.read",
        campaign_id=ctx.campaign_id,
        target_type="message",
        target_id=message.id,
        details={"rows": len(rows), "status": status},
    )
    return rows


# --- opt-out ----------------------------------------------------------------------------------


def cancel_pending_for(
    session: Session, ctx: CampaignContext, *, contact_ids: list[int], channel: str, reason: str
) -> int:
    """Stop every queued or held delivery of these contacts on ``channel`` at once."""
    if not contact_ids:
        return 0
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.campaign_id == ctx.campaign_id,
            Delivery.contact_id.in_(contact_ids),
            Delivery.channel == channel,
            Delivery.status.in_(ACTIVE),
        )
        .values(status="cancelled", reason=reason)
    )
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def unsubscribe_contact(
    session: Session,
    ctx: CampaignContext,
    *,
    contact_id: int,
    channel: str,
    source: str,
    message_id: int | None = None,
) -> int:
    """Withdraw the consent of ``channel`` (privacy) and stop the pending deliveries."""
    directory.withdraw_consent(
        session,
        ctx,
        contact_id=contact_id,
        channel=channel,
        source=source,
        proof={"message_id": message_id, "via": source, "at": utcnow().isoformat()},
    )
    return cancel_pending_for(
        session, ctx, contact_ids=[contact_id], channel=channel, reason=f"désinscription ({source})"
    )


def unsubscribe_email(session: Session, ctx: CampaignContext, *, email: str, source: str) -> int:
    """`circo messages unsubscribe --email E`: the same effect as the link, for every contact
    with this address. Returns how many contacts were unsubscribed."""
    ids = directory.contact_ids_by_email(session, ctx, email)
    if not ids:
        raise MessageNotFound(f"aucun contact avec l'adresse « {email} »", loc="--email")
    for contact_id in ids:
        unsubscribe_contact(session, ctx, contact_id=contact_id, channel="email", source=source)
    return len(ids)


STOP_WORDS = ("stop", "arret", "arrêt", "stop sms", "desabonner", "désabonner", "unsubscribe")


def is_stop(text: str) -> bool:
    words = " ".join(text.strip().lower().split())
    return any(words == word or words.startswith(word + " ") for word in STOP_WORDS)


def handle_inbound_sms(
    session: Session, ctx: CampaignContext, *, phone: str, text: str, source: str
) -> int:
    """An SMS received: "STOP" records an opposition to SMS for every contact with this number
    and cancels their pending SMS. Returns how many contacts were opposed."""
    if not is_stop(text):
        return 0
    ids = directory.contact_ids_by_phone(session, ctx, phone)
    for contact_id in ids:
        directory.oppose(session, ctx, contact_id=contact_id, channel="sms", source=source)
    cancel_pending_for(session, ctx, contact_ids=ids, channel="sms", reason=f"STOP ({source})")
    return len(ids)
