"""The studio: social posts per network, video, e-mail, door and phone scripts, technical sheets
— every factual sentence cited — kept as editable drafts with statuses and an editorial calendar.

Composition goes through `circo.assistant.tasks.ask` / `argue`: offline, every sentence is a
verbatim span of a cited passage (``ai_generated`` false); with a language model, the model
writes the sentences and each keeps only citations found verbatim in the passage it names
(``ai_generated`` true). Framing lines (greeting, question, signature) carry no fact and are
marked as such in the text's structure, never as a citation.

Drafts: `create_draft` stores a composition; `edit_draft` changes its text (back to "draft");
`approve_draft` (comms role); `schedule_draft` places it in the calendar — refused during the
L49 silence and, for a paid (sponsored) post, during the L52-1 period, with the article
(``circo.privacy.calendar``); `publish_draft` marks it published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo import labels
from circo.assistant.analysis import analyse, fold
from circo.assistant.compose import Citation, Point, clean, shorten
from circo.assistant.errors import AssistantError, DraftNotFound
from circo.assistant.models import DraftKind, DraftStatus, Network, StudioDraft
from circo.assistant.tasks import ArgumentSheet, argue, ask
from circo.config import Settings
from circo.core.models import Role
from circo.core.tenancy import CampaignContext
from circo.db import utcnow

# Characters of the text of a post (captions for TikTok and Instagram).
NETWORK_LIMITS = {
    Network.x: 280,
    Network.instagram: 2200,
    Network.facebook: 5000,
    Network.tiktok: 2200,
    Network.linkedin: 3000,
}
KINDS = tuple(kind.value for kind in DraftKind)
VIDEO_TARGET_SECONDS = 60
WORDS_PER_SECOND = 2.5  # French voice-over, calm delivery


@dataclass
class Composition:
    """What the studio wrote: the text, its citations, and whether a model wrote it."""

    kind: str
    topic: str
    text: str
    citations: list[dict[str, str]] = field(default_factory=list)
    ai_generated: bool = False
    network: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # the model's answer was unusable (or none of its sentences checked out): assembled offline
    warning: str = ""

    def contract(self) -> dict[str, Any]:
        return {"text": self.text, "citations": self.citations, "ai_generated": self.ai_generated}


def parse_kind(value: str) -> DraftKind:
    text = value.strip().lower()
    aliases = {
        "script": "video",
        "fiche": "sheet",
        "porte-a-porte": "door",
        "telephone": "phone",
        "note": "strategy",
        "formation": "training",
        "slogans": "slogan",
    }
    try:
        return DraftKind(aliases.get(text, text))
    except ValueError:
        raise AssistantError(
            f"format inconnu « {value} » (attendu l'un de : {', '.join(KINDS)})", loc="kind"
        ) from None


def parse_network(value: str | None) -> Network:
    text = (value or "").strip().lower()
    if text == "twitter":
        text = "x"
    try:
        return Network(text)
    except ValueError:
        names = ", ".join(network.value for network in Network)
        raise AssistantError(
            f"réseau inconnu « {value or ''} » (attendu l'un de : {names})", loc="network"
        ) from None


def _citations(points: list[Point]) -> list[dict[str, str]]:
    seen: set[tuple[str, str]] = set()
    found: list[dict[str, str]] = []
    for point in points:
        for citation in point.citations:
            key = (citation.row.source, citation.quote)
            if key not in seen:
                seen.add(key)
                found.append({"source": citation.row.source, "quote": citation.quote})
    return found


NO_CHECKED_SENTENCE = (
    "aucune phrase du modèle de langage n'avait de citation retrouvée mot pour mot dans son "
    "passage : texte assemblé hors ligne à partir des passages cités"
)


def _points(
    session: Session, ctx: CampaignContext, topic: str, settings: Settings, *, limit: int
) -> tuple[list[Point], bool, str]:
    """(points, written by a model, warning) — offline when the model gave nothing usable."""
    answer = ask(session, ctx, query=topic, settings=settings, limit=limit)
    warning = answer.warning
    if answer.mode == "llm" and not answer.points:
        # none of the model's sentences kept a citation that checks out: assembled from the
        # cited passages instead (not generated, so not marked as such)
        answer = ask(session, ctx, query=topic, settings=settings, limit=limit, offline=True)
        warning = NO_CHECKED_SENTENCE if answer.points else ""
    return answer.points, answer.mode == "llm", warning


def _nothing(topic: str) -> AssistantError:
    return AssistantError(
        f"rien dans la base de connaissances sur « {topic} » : le studio n'écrit que ce que "
        "ses sources permettent de citer (ajoutez des documents avec circo kb add)",
        loc="topic",
        status=404,
    )


def compose(
    session: Session,
    ctx: CampaignContext,
    *,
    kind: str,
    topic: str,
    settings: Settings,
    network: str | None = None,
    point: int | None = None,
    segment: str | None = None,
) -> Composition:
    """A text of ``kind`` on ``topic``; an e-mail may instead come from a programme point of the
    message matrix given to a segment (``point``, ``segment``: `circo messages matrix`)."""
    chosen = parse_kind(kind)
    if point is not None or segment:
        if chosen is not DraftKind.email:
            raise AssistantError(
                "--point et --segment ne valent que pour un e-mail (write email)", loc="point"
            )
        return _matrix_email(session, ctx, settings, point=point, segment=segment or "all")
    subject = " ".join(topic.split())
    if not subject:
        raise AssistantError("sujet vide (ex. --topic « retraites »)", loc="topic")
    if chosen is DraftKind.post:
        return _post(session, ctx, subject, settings, parse_network(network))
    if chosen is DraftKind.sheet:
        return _sheet(session, ctx, subject, settings)
    if chosen is DraftKind.strategy:
        return _strategy(session, ctx, subject, settings)
    if chosen is DraftKind.training:
        return _training(session, ctx, subject, settings)
    if chosen is DraftKind.slogan:
        return _slogans(session, ctx, subject, settings)
    points, by_model, warning = _points(session, ctx, subject, settings, limit=4)
    if not points:
        raise _nothing(subject)
    if chosen is DraftKind.video:
        made = _video(subject, points, by_model)
    else:
        made = _script(ctx, chosen, subject, points, by_model)
    made.warning = warning
    return made


def _post(
    session: Session, ctx: CampaignContext, topic: str, settings: Settings, network: Network
) -> Composition:
    limit = NETWORK_LIMITS[network]
    points, by_model, warning = _points(session, ctx, topic, settings, limit=5)
    if not points:
        raise _nothing(topic)
    kept: list[Point] = []
    length = 0
    for point in points:
        extra = len(point.text) + (2 if kept else 0)
        if length + extra <= limit:
            kept.append(point)
            length += extra
    if kept:
        text = "\n\n".join(point.text for point in kept)
    else:  # even the first sentence is too long for the network: its beginning, cut
        kept = points[:1]
        text = shorten(points[0].text, limit)
    return Composition(
        kind="post",
        topic=topic,
        text=text,
        citations=_citations(kept),
        ai_generated=by_model,
        network=network.value,
        extra={"limit": limit},
        warning=warning,
    )


def _video(topic: str, points: list[Point], by_model: bool) -> Composition:
    scenes: list[dict[str, Any]] = []
    for number, point in enumerate(points, start=1):
        seconds = max(4, round(len(point.text.split()) / WORDS_PER_SECOND))
        caption = shorten(point.label or point.text, 60)
        scenes.append(
            {
                "scene": number,
                "seconds": seconds,
                "voice_over": point.text,
                "caption": caption,
                "broll": f"images de la circonscription liées à « {point.label or topic} »",
            }
        )
    total = sum(scene["seconds"] for scene in scenes)
    lines = [f"Script vidéo — {topic} (durée visée {VIDEO_TARGET_SECONDS} s, prévue {total} s)"]
    for scene in scenes:
        lines.append(
            f"\nPlan {scene['scene']} ({scene['seconds']} s)\nVoix off : {scene['voice_over']}\n"
            f"À l'écran : {scene['caption']}\nImages : {scene['broll']}"
        )
    return Composition(
        kind="video",
        topic=topic,
        text="\n".join(lines),
        citations=_citations(points),
        ai_generated=by_model,
        extra={"scenes": scenes, "seconds": total, "target_seconds": VIDEO_TARGET_SECONDS},
    )


def _script(
    ctx: CampaignContext, kind: DraftKind, topic: str, points: list[Point], by_model: bool
) -> Composition:
    name = ctx.campaign.name
    facts = "\n".join(f"– {point.text}" for point in points)
    if kind is DraftKind.email:
        text = (
            f"Objet : {topic}\n\nBonjour,\n\nSur {topic}, voici ce que nous proposons et ce que "
            f"disent les chiffres :\n\n{facts}\n\nÀ bientôt,\nL'équipe de {name}"
        )
    elif kind is DraftKind.door:
        text = (
            f"« Bonjour, je suis bénévole pour {name}. Avez-vous deux minutes pour parler de "
            f"{topic} ? »\n\nSi oui, les points à dire :\n{facts}\n\n« Qu'en pensez-vous ? "
            "Qu'est-ce qui compte le plus pour vous ? »\n\nNoter la réponse, remercier, laisser "
            "le tract."
        )
    else:
        text = (
            f"« Bonjour, je vous appelle de la part de {name}. Je ne vous prendrai qu'une "
            f"minute, sur {topic}. »\n\n{facts}\n\n« Est-ce que cela vous parle ? Pouvons-nous "
            "compter sur vous ? »\n\nSi la personne refuse : la remercier et ne pas rappeler."
        )
    return Composition(
        kind=kind.value,
        topic=topic,
        text=text,
        citations=_citations(points),
        ai_generated=by_model,
    )


def _matrix_email(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    *,
    point: int | None,
    segment: str,
) -> Composition:
    """An e-mail on a programme point of the message matrix, for a segment that is given it."""
    from circo.messaging.models import MatrixCell
    from circo.messaging.service.matrix import get_point

    if point is None:
        raise AssistantError(
            "point du programme manquant (--point, voir circo messages matrix)", loc="point"
        )
    programme = get_point(session, ctx, point)
    name = " ".join(segment.split())
    name = "all" if name.lower() in ("all", "tous") else name
    given = session.scalar(
        ctx.scoped(select(MatrixCell.id), MatrixCell).where(
            MatrixCell.segment_name == name, MatrixCell.point_id == programme.id
        )
    )
    if given is None:
        raise AssistantError(
            f"le point « {programme.title} » n'est pas attribué au segment « {name} » dans la "
            "matrice des messages (circo messages matrix)",
            loc="segment",
        )
    query = " ".join(f"{programme.title} {programme.summary or ''}".split())
    points, by_model, warning = _points(session, ctx, query, settings, limit=4)
    if not points:
        raise _nothing(programme.title)
    made = _script(ctx, DraftKind.email, programme.title, points, by_model)
    audience = "" if name == "all" else f" (segment « {name} »)"
    made.topic = f"{programme.title}{audience}"
    made.extra = {"point": programme.id, "segment": name}
    made.warning = warning
    return made


def _sheet(session: Session, ctx: CampaignContext, topic: str, settings: Settings) -> Composition:
    sheet = _sheet_of(session, ctx, topic, settings)
    parts = [f"Fiche technique — {topic}"]
    every: list[Point] = []
    for heading, points in (
        ("Nos propositions", sheet.proposals),
        ("Faits et chiffres", sheet.facts),
        ("Réponses aux objections", sheet.objections),
    ):
        if points:
            parts.append(f"\n{heading}")
            parts.extend(f"– {point.text}" for point in points)
            every.extend(points)
    return Composition(
        kind="sheet",
        topic=topic,
        text="\n".join(parts),
        citations=_citations(every),
        ai_generated=sheet.mode == "llm",
        warning=sheet.warning,
    )


def _sheet_of(
    session: Session, ctx: CampaignContext, topic: str, settings: Settings
) -> ArgumentSheet:
    """The argument sheet on ``topic``; offline (with a warning) when the model's is empty."""
    sheet = argue(session, ctx, keyword=topic, settings=settings)
    if sheet.empty and sheet.mode == "llm":
        sheet = argue(session, ctx, keyword=topic, settings=settings, offline=True)
        sheet.warning = "" if sheet.empty else NO_CHECKED_SENTENCE
    if sheet.empty:
        raise _nothing(topic)
    return sheet


# --- slogans ----------------------------------------------------------------------------------

SLOGANS = 5
SLOGAN_CHARS = 90
_CLAUSE_END = re.compile(r"[.!?;:,()«»—–\n]+")


def _slogans(session: Session, ctx: CampaignContext, topic: str, settings: Settings) -> Composition:
    """Several slogans, each with its angle (a proposal, a figure, a finding, the answer to a
    misconception) and the passage it comes from.

    Offline, a slogan is the clause of a cited passage that best carries the topic (its first
    letter capitalised, its closing punctuation dropped) and its citation is that very clause:
    no word is invented. With a model, the model's checked sentences, shortened.
    """
    sheet = _sheet_of(session, ctx, topic, settings)
    by_model = sheet.mode == "llm"
    terms = set(analyse(topic))
    options: list[dict[str, str]] = []
    used: list[Point] = []
    seen: set[str] = set()
    for angle_of, points in (
        (lambda _point: "proposal", sheet.proposals),
        (lambda point: "figure" if re.search(r"\d", point.text) else "finding", sheet.facts),
        (lambda _point: "objection", sheet.objections),
    ):
        for point in points:
            if len(options) >= SLOGANS:
                break
            citation = point.citations[0]
            if by_model:
                text = shorten(point.text, SLOGAN_CHARS).rstrip(" .")
                quoted = citation
            else:
                quoted = _clause(citation, terms)
                text = _as_slogan(clean(quoted.quote))
            if not text or fold(text) in seen:
                continue
            seen.add(fold(text))
            used.append(Point(text, [quoted], kind=point.kind))
            options.append(
                {
                    "text": text,
                    "angle": angle_of(point),
                    "source": quoted.row.source,
                    "quote": quoted.quote,
                }
            )
    if not options:
        raise _nothing(topic)
    lines = [f"Slogans — {topic}"]
    for number, option in enumerate(options, start=1):
        angle = labels.label(option["angle"], "slogan_angle")
        lines.append(f"\n{number}. {option['text']}\n   Angle : {angle}")
    return Composition(
        kind="slogan",
        topic=topic,
        text="\n".join(lines),
        citations=_citations(used),
        ai_generated=by_model,
        extra={"slogans": options},
        warning=sheet.warning,
    )


def _clause(citation: Citation, terms: set[str]) -> Citation:
    """The clause of the quote (between punctuation marks) that holds most of ``terms``, of
    3 to 14 words when one exists — a verbatim span of the same passage."""
    text = citation.row.text
    best: tuple[int, int, int] | None = None  # (-score, start, end)
    cursor = citation.start
    for match in [*_CLAUSE_END.finditer(text, citation.start, citation.end), None]:
        stop = match.start() if match else citation.end
        start, end = cursor, stop
        while start < end and text[start] in " \t*_#-":
            start += 1
        while end > start and text[end - 1] in " \t*_":
            end -= 1
        words = len(text[start:end].split())
        if 3 <= words <= 14:
            score = len(set(analyse(text[start:end])) & terms) * 10 + min(words, 8)
            if best is None or -score < best[0]:
                best = (-score, start, end)
        cursor = match.end() if match else citation.end
    if best is None:
        return citation
    return Citation(citation.row, best[1], best[2])


def _as_slogan(clause: str) -> str:
    text = " ".join(clause.split()).strip(" .,;:")
    if len(text) > SLOGAN_CHARS:
        text = shorten(text, SLOGAN_CHARS)
    return text[:1].upper() + text[1:]


def _strategy(
    session: Session, ctx: CampaignContext, territory: str, settings: Settings
) -> Composition:
    from circo.assistant.strategy import strategy_note

    text, citations, title = strategy_note(session, ctx, territory=territory, settings=settings)
    return Composition(kind="strategy", topic=title, text=text, citations=citations)


def _training(
    session: Session, ctx: CampaignContext, topic: str, settings: Settings
) -> Composition:
    from circo.assistant.training import training_course

    course = training_course(session, ctx, topic=topic, settings=settings)
    if not course.lines:
        raise _nothing(topic)
    return Composition(
        kind="training",
        topic=course.topic,
        text=course.text(),
        citations=course.citations,
        extra=course.detail(),
    )


# --- drafts and the calendar ------------------------------------------------------------------


def create_draft(
    session: Session,
    ctx: CampaignContext,
    *,
    kind: str,
    topic: str,
    settings: Settings,
    network: str | None = None,
) -> StudioDraft:
    ctx.require(Role.comms)
    made = compose(session, ctx, kind=kind, topic=topic, settings=settings, network=network)
    return store_draft(session, ctx, made)


def store_draft(session: Session, ctx: CampaignContext, made: Composition) -> StudioDraft:
    """Keep a composition as a draft (comms role)."""
    ctx.require(Role.comms)
    draft = StudioDraft(
        campaign_id=ctx.campaign_id,
        kind=made.kind,
        network=made.network,
        topic=made.topic[:200],
        text=made.text,
        citations=made.citations,
        ai_generated=made.ai_generated,
        status=DraftStatus.draft,
    )
    session.add(draft)
    session.flush()
    return draft


def get_draft(session: Session, ctx: CampaignContext, draft_id: int) -> StudioDraft:
    draft = session.scalar(
        ctx.scoped(select(StudioDraft), StudioDraft).where(StudioDraft.id == draft_id)
    )
    if draft is None:
        raise DraftNotFound(f"brouillon {draft_id} introuvable", loc="draft")
    return draft


def list_drafts(session: Session, ctx: CampaignContext) -> list[StudioDraft]:
    return list(
        session.scalars(
            ctx.scoped(select(StudioDraft), StudioDraft).order_by(StudioDraft.id.desc())
        )
    )


def calendar(session: Session, ctx: CampaignContext) -> list[StudioDraft]:
    """Scheduled drafts, earliest first."""
    return list(
        session.scalars(
            ctx.scoped(select(StudioDraft), StudioDraft)
            .where(StudioDraft.scheduled_at.is_not(None))
            .order_by(StudioDraft.scheduled_at, StudioDraft.id)
        )
    )


def edit_draft(session: Session, ctx: CampaignContext, draft_id: int, *, text: str) -> StudioDraft:
    ctx.require(Role.comms)
    draft = get_draft(session, ctx, draft_id)
    body = text.strip()
    if not body:
        raise AssistantError("texte vide", loc="text")
    if draft.network:
        limit = NETWORK_LIMITS[Network(draft.network)]
        if len(body) > limit:
            raise AssistantError(
                f"texte de {len(body)} caractères : {draft.network} en accepte {limit} au plus",
                loc="text",
            )
    if body != draft.text:
        draft.text = body
        draft.status = DraftStatus.draft  # a changed text is approved again
        draft.approved_at = None
    session.flush()
    return draft


def approve_draft(session: Session, ctx: CampaignContext, draft_id: int) -> StudioDraft:
    ctx.require(Role.comms)
    draft = get_draft(session, ctx, draft_id)
    if draft.status == DraftStatus.draft:
        draft.status = DraftStatus.approved
        draft.approved_at = utcnow()
    session.flush()
    return draft


def schedule_draft(
    session: Session, ctx: CampaignContext, draft_id: int, *, when: datetime, paid: bool = False
) -> StudioDraft:
    """Place the draft in the calendar at ``when`` (aware); L49, L52-1 refuse with the article."""
    from circo.privacy.calendar import require_calendar

    ctx.require(Role.comms)
    draft = get_draft(session, ctx, draft_id)
    require_calendar(ctx.campaign, when, "paid_ads" if paid else "message")
    draft.scheduled_at = when
    draft.paid = paid
    session.flush()
    return draft


def publish_draft(session: Session, ctx: CampaignContext, draft_id: int) -> StudioDraft:
    ctx.require(Role.comms)
    draft = get_draft(session, ctx, draft_id)
    if draft.status == DraftStatus.draft:
        raise AssistantError(
            "brouillon non validé : la validation par la communication vient avant la publication",
            loc="status",
        )
    from circo.privacy.calendar import require_calendar

    require_calendar(ctx.campaign, utcnow(), "paid_ads" if draft.paid else "message")
    draft.status = DraftStatus.published
    session.flush()
    return draft
