"""Composing: what a send is made of before it exists, and its checks."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext
from circo.messaging.errors import MessagingError
from circo.messaging.models import ProgrammePoint
from circo.messaging.personalise import check_template, variables_used
from circo.messaging.service.constants import AB_METRICS, CHANNELS
from circo.messaging.service.matrix import get_point, point_for_segment


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
        raise MessagingError(
            "un e-mail a besoin d'un objet (exemple : « {{ prenom }}, venez nous rencontrer »)",
            loc="objet",
        )
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
