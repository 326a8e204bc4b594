"""The assistant's tasks: ask (points with citations), argue (argument sheet), rebut, write.

Offline (the default) every sentence is a span of a cited passage; with an LLM configured the
model writes from numbered passages and its citations are checked (see `generation`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from circo.assistant import generation
from circo.assistant.analysis import analyse
from circo.assistant.compose import Answer, Citation, Point, best_span, clean, extractive_points
from circo.assistant.errors import LLMRequired, LLMUnusable
from circo.assistant.llm import LLMClient, llm_configured
from circo.assistant.models import DocType
from circo.assistant.retrieval import Filters, Hit, search
from circo.config import Settings
from circo.core.netguard import leave_transaction
from circo.core.tenancy import CampaignContext

logger = logging.getLogger(__name__)

FACT_TYPES = (DocType.study.value, DocType.poll.value, DocType.article.value, DocType.news.value)
OBJECTION_CUES = re.compile(
    r"(on (nous )?dit|on entend|objection|idée reçue|faux|intox|en réalité|contrairement|"
    r"coûte|financ|irréaliste|impossible|accus)",
    re.IGNORECASE,
)
CREATIVE_KINDS = ("slogan", "post", "script")


def unusable_warning(error: LLMUnusable) -> str:
    """The warning shown when the model's answer could not be used (French, names the cause)."""
    return (
        f"réponse du modèle de langage inutilisable ({error.message}) : texte assemblé hors "
        "ligne à partir des passages cités"
    )


def mode_for(settings: Settings, *, offline: bool = False) -> str:
    return "llm" if llm_configured(settings) and not offline else "offline"


def _relevant(hits: list[Hit], query: str) -> list[Hit]:
    """Passages matching at least half of the query's distinct terms (one of one or two)."""
    distinct = len(set(analyse(query)))
    needed = 1 if distinct <= 2 else (distinct + 1) // 2
    return [hit for hit in hits if len(hit.matched_terms) >= needed or hit.score == 0]


# --- ask --------------------------------------------------------------------------------------


def ask(
    session: Session,
    ctx: CampaignContext,
    *,
    query: str,
    settings: Settings,
    limit: int = 5,
    filters: Filters | None = None,
    offline: bool = False,
) -> Answer:
    """Points answering ``query``, ordered by relevance, each with verbatim citations."""
    mode = mode_for(settings, offline=offline)
    hits = search(
        session, ctx, query=query, limit=max(limit * 3, 12), filters=filters, settings=settings
    )
    answer = Answer(query=query, mode=mode)
    if not hits:
        return answer
    if mode == "offline":
        answer.points = extractive_points(hits, query, limit=limit)
        return answer
    context = hits[: max(limit * 2, 8)]
    leave_transaction(session)  # the language model may take a while: hold no lock
    client = LLMClient(settings)
    messages = generation.ask_messages(query, context, limit=limit)
    try:
        answer.points, answer.dropped = generation.llm_points(
            client, messages, context, limit=limit
        )
    except LLMUnusable as exc:
        logger.warning("unusable model answer, offline fallback: %s", exc)
        answer.mode = "offline"
        answer.warning = unusable_warning(exc)
        answer.points = extractive_points(hits, query, limit=limit)
        return answer
    if answer.dropped:
        logger.warning("%d point(s) dropped: citation not found in its passage", answer.dropped)
    return answer


def ask_stream(
    session: Session,
    ctx: CampaignContext,
    *,
    query: str,
    settings: Settings,
    limit: int = 5,
    offline: bool = False,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event, data) pairs: ``point`` for each checked point, ``dropped``, then ``done``.

    The search runs now (with the session); the returned iterator no longer needs the session,
    so a web response can stream it after the request's session is closed.
    """
    mode = mode_for(settings, offline=offline)
    hits = search(session, ctx, query=query, limit=max(limit * 3, 12), settings=settings)
    leave_transaction(session)
    return _stream(query, mode, hits, settings=settings, limit=limit)


def _stream(
    query: str, mode: str, hits: list[Hit], *, settings: Settings, limit: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    yield "start", {"query": query, "mode": mode}
    emitted = 0
    if mode == "offline" or not hits:
        for point in extractive_points(hits, query, limit=limit):
            yield "point", point.detail()
            emitted += 1
    else:
        context = hits[: max(limit * 2, 8)]
        messages = generation.ask_messages(query, context, limit=limit, lines=True)
        client = LLMClient(settings)
        try:
            for checked in generation.stream_points(client, messages, context, limit=limit):
                if checked is None:
                    yield "dropped", {"reason": "citation introuvable dans le passage cité"}
                elif emitted < limit:
                    yield "point", checked.detail()
                    emitted += 1
        except LLMUnusable as exc:
            # prose instead of JSON: the offline points, after a warning event saying why
            yield "warning", {"message": unusable_warning(exc)}
            for point in extractive_points(hits, query, limit=limit - emitted):
                yield "point", point.detail()
                emitted += 1
    yield "done", {"points": emitted}


# --- argue ------------------------------------------------------------------------------------


@dataclass
class ArgumentSheet:
    keyword: str
    mode: str
    proposals: list[Point] = field(default_factory=list)
    facts: list[Point] = field(default_factory=list)
    objections: list[Point] = field(default_factory=list)
    warning: str = ""  # the model's answer was unusable: assembled offline

    @property
    def empty(self) -> bool:
        return not (self.proposals or self.facts or self.objections)

    def detail(self) -> dict[str, Any]:
        return {
            "keyword": self.keyword,
            "mode": self.mode,
            "proposals": [point.detail() for point in self.proposals],
            "facts": [point.detail() for point in self.facts],
            "objections": [point.detail() for point in self.objections],
        }

    def contract(self) -> dict[str, Any]:
        return {
            "keyword": self.keyword,
            "mode": self.mode,
            "proposals": [point.contract() for point in self.proposals],
            "facts": [point.contract() for point in self.facts],
            "objections": [
                {**point.contract(), "objection": point.label} for point in self.objections
            ],
        }


def argue(
    session: Session,
    ctx: CampaignContext,
    *,
    keyword: str,
    settings: Settings,
    territory: str | None = None,
    per_section: int = 4,
    offline: bool = False,
) -> ArgumentSheet:
    """Argument sheet: programme proposals, facts and figures, answers to likely objections."""
    mode = mode_for(settings, offline=offline)
    sheet = ArgumentSheet(keyword=keyword, mode=mode)
    if mode == "llm":
        try:
            return _argue_llm(session, ctx, sheet, settings=settings, per_section=per_section)
        except LLMUnusable as exc:
            logger.warning("unusable model answer, offline fallback: %s", exc)
            sheet = ArgumentSheet(keyword=keyword, mode="offline", warning=unusable_warning(exc))

    def section(doc_types: tuple[str, ...], limit: int) -> list[Hit]:
        found = search(
            session,
            ctx,
            query=keyword,
            limit=limit,
            filters=Filters(doc_types=doc_types),
            settings=settings,
        )
        return _relevant(found, keyword)

    sheet.proposals = extractive_points(
        section((DocType.programme.value,), per_section * 2),
        keyword,
        limit=per_section,
        kind="proposal",
    )
    fact_hits = section(FACT_TYPES, per_section * 4)
    fact_hits.sort(key=lambda hit: (not _has_figure(hit.row.text), -hit.score))
    sheet.facts = extractive_points(fact_hits, keyword, limit=per_section, kind="fact")
    rebuttal_hits = section((DocType.rebuttal.value,), per_section * 2)
    if len(rebuttal_hits) < per_section:
        extra = [
            hit
            for hit in section((DocType.programme.value, DocType.study.value), 12)
            if OBJECTION_CUES.search(hit.row.text)
        ]
        rebuttal_hits += extra
    sheet.objections = extractive_points(
        rebuttal_hits, keyword, limit=per_section, kind="objection"
    )
    used = {c.quote for p in sheet.proposals + sheet.facts for c in p.citations}
    sheet.objections = [p for p in sheet.objections if p.citations[0].quote not in used]
    return sheet


def _has_figure(text: str) -> bool:
    return bool(re.search(r"\d", text))


def _argue_llm(
    session: Session,
    ctx: CampaignContext,
    sheet: ArgumentSheet,
    *,
    settings: Settings,
    per_section: int,
) -> ArgumentSheet:
    hits = search(session, ctx, query=sheet.keyword, limit=16, settings=settings)
    if not hits:
        return sheet
    leave_transaction(session)
    task = (
        "Tâche : fiche argumentaire sur le mot-clé. kind = proposal (propositions du "
        "programme), fact (faits et chiffres), objection (réponse à une objection probable ; "
        "label = l'objection). "
    )
    messages = generation.ask_messages(sheet.keyword, hits, limit=per_section * 3, task=task)
    points, _dropped = generation.llm_points(
        LLMClient(settings), messages, hits, limit=per_section * 3
    )
    for point in points:
        target = {"proposal": sheet.proposals, "objection": sheet.objections}.get(
            point.kind, sheet.facts
        )
        if len(target) < per_section:
            target.append(point)
    return sheet


# --- creative writing (LLM only) --------------------------------------------------------------


def write(
    session: Session, ctx: CampaignContext, *, kind: str, topic: str, settings: Settings
) -> dict[str, Any]:
    """Slogans, social posts or a video script — only with a language model configured."""
    if kind not in CREATIVE_KINDS:
        from circo.assistant.errors import AssistantError

        raise AssistantError(
            f"type de texte inconnu « {kind} » (attendu : {', '.join(CREATIVE_KINDS)})", loc="kind"
        )
    if not llm_configured(settings):
        raise LLMRequired(
            f"écrire des {'slogans' if kind == 'slogan' else 'textes créatifs'} demande un modèle "
            "de langage : hors ligne, l'assistant ne fait que citer ses sources. Configurez "
            "CIRCO_LLM_BASE_URL et CIRCO_LLM_MODEL (ex. un serveur Ollama local)."
        )
    hits = search(session, ctx, query=topic, limit=10, settings=settings)
    leave_transaction(session)
    client = LLMClient(settings)
    text = client.chat(generation.creative_messages(kind, topic, hits), temperature=0.7)
    sources = [
        {"passage": number, "document": hit.row.title, "source": hit.row.source}
        for number, hit in enumerate(hits, start=1)
    ]
    return {"kind": kind, "topic": topic, "mode": "llm", "text": text.strip(), "sources": sources}


__all__ = ["Answer", "ArgumentSheet", "Citation", "argue", "ask", "best_span", "clean", "write"]
