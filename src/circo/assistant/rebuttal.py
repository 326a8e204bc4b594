"""Rebuttals: evidence for and against a claim, a verdict, a short and a long answer.

Offline, each relevant passage is judged sentence by sentence by `circo.assistant.stance`
(transparent cues: a campaign rebuttal of this very myth, numbers of the same unit that differ,
opposite trends, opposite actions — "supprimer" vs "restera" —, a stated position against the
claimed one, a negation). The evidence quote is the sentence that carries the stance. When no
passage speaks of the claim the verdict is "unverified" and nothing is invented.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from circo.assistant import generation, stance
from circo.assistant.analysis import analyse
from circo.assistant.compose import Citation, best_span, clean, shorten
from circo.assistant.errors import LLMUnusable
from circo.assistant.llm import LLMClient
from circo.assistant.models import DocType
from circo.assistant.retrieval import Hit, search
from circo.assistant.segment import sentence_spans
from circo.assistant.tasks import mode_for, unusable_warning
from circo.config import Settings
from circo.core.netguard import leave_transaction
from circo.core.tenancy import CampaignContext

logger = logging.getLogger(__name__)
VERDICTS = ("contradicted", "supported", "unverified")
STANCES = ("against", "for", "context")
NOTHING_SHORT = "Aucune source de la base de connaissances ne permet de vérifier cette affirmation."
NOTHING_LONG = (
    NOTHING_SHORT + " Ni confirmation ni démenti : ajoutez des études, articles ou chiffres "
    "sur ce sujet à la base pour pouvoir y répondre."
)


@dataclass
class Evidence:
    stance: str
    citation: Citation

    def contract(self) -> dict[str, str]:
        return {
            "stance": self.stance,
            "quote": self.citation.quote,
            "source": self.citation.row.source,
        }

    def detail(self) -> dict[str, Any]:
        return {"stance": self.stance, **self.citation.detail()}


@dataclass
class Rebuttal:
    claim: str
    mode: str
    verdict: str = "unverified"
    evidence: list[Evidence] = field(default_factory=list)
    short: str = NOTHING_SHORT
    long: str = NOTHING_LONG
    warning: str = ""  # the model's answer was unusable: judged offline instead

    def contract(self) -> dict[str, Any]:
        return {
            "claim": self.claim,
            "verdict": self.verdict,
            "evidence": [item.contract() for item in self.evidence],
            "short": self.short,
            "long": self.long,
        }

    def detail(self) -> dict[str, Any]:
        return {
            **self.contract(),
            "mode": self.mode,
            "evidence": [item.detail() for item in self.evidence],
        }


def rebut(
    session: Session,
    ctx: CampaignContext,
    *,
    claim: str,
    settings: Settings,
    offline: bool = False,
    max_evidence: int = 5,
) -> Rebuttal:
    mode = mode_for(settings, offline=offline)
    result = Rebuttal(claim=claim, mode=mode)
    actor, rest = stance.split_actor(claim)
    reading = stance.read(rest, actor=actor)
    hits = [
        hit
        for hit in search(session, ctx, query=claim, limit=12, settings=settings)
        if _relevant(hit, claim, reading)
    ]
    if not hits:
        return result
    if mode == "llm":
        leave_transaction(session)
        try:
            return _rebut_llm(result, hits[:8], settings=settings, max_evidence=max_evidence)
        except LLMUnusable as exc:
            logger.warning("unusable model answer, offline fallback: %s", exc)
            result = Rebuttal(claim=claim, mode="offline", warning=unusable_warning(exc))
    for hit in hits:
        result.evidence.append(judge(hit, claim, reading))
    order = {"against": 0, "for": 1, "context": 2}
    result.evidence.sort(key=lambda item: order[item.stance])
    result.evidence = result.evidence[:max_evidence]
    against = sum(item.stance == "against" for item in result.evidence)
    supporting = sum(item.stance == "for" for item in result.evidence)
    if against and against >= supporting:
        result.verdict = "contradicted"
    elif supporting:
        result.verdict = "supported"
    _compose(result)
    return result


def _relevant(hit: Hit, claim: str, reading: stance.Reading) -> bool:
    """The passage speaks of the claim: a rebuttal of this very myth, or enough of its terms."""
    if hit.row.doc_type == DocType.rebuttal.value and stance.is_the_myth(
        claim, hit.row.heading_path
    ):
        return True
    return stance.about(reading, stance.read(hit.row.text))


def judge(hit: Hit, claim: str, reading: stance.Reading) -> Evidence:
    """The passage's stance and the sentence that carries it (a verbatim span of the passage)."""
    text = hit.row.text
    if hit.row.doc_type == DocType.rebuttal.value and stance.is_the_myth(
        claim, hit.row.heading_path
    ):
        start, end = best_span(text, set(analyse(claim)), max_chars=360)
        return Evidence("against", Citation(hit.row, start, end))
    best: tuple[float, int, int, int] | None = None
    rank = {"against": 2, "for": 1}
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        if sentence.lstrip().startswith("#"):
            continue
        sentence_reading = stance.read(sentence)
        verdict = stance.compare(reading, sentence_reading, doc_type=hit.row.doc_type)
        if verdict == "context":
            continue
        key = (stance.coverage(reading, sentence_reading), rank[verdict], start, end)
        if best is None or key[:2] > best[:2]:
            best = key
    if best is not None:
        verdict = "against" if best[1] == 2 else "for"
        return Evidence(verdict, Citation(hit.row, best[2], best[3]))
    start, end = best_span(text, set(analyse(claim)), max_chars=360)
    return Evidence("context", Citation(hit.row, start, end))


def _compose(result: Rebuttal) -> None:
    """Short and long answers made only of evidence sentences and their sources' titles."""
    if result.verdict == "contradicted":
        lead = [item for item in result.evidence if item.stance == "against"]
    elif result.verdict == "supported":
        lead = [item for item in result.evidence if item.stance == "for"]
    else:
        lead = list(result.evidence)
    first = lead[0].citation
    sentence = clean(first.quote)
    suffix = f" (Source : {first.row.title})"
    result.short = (
        sentence + suffix if len(sentence) + len(suffix) <= 280 else shorten(sentence, 280)
    )
    ordered = lead + [item for item in result.evidence if item not in lead]
    result.long = " ".join(
        f"{clean(item.citation.quote)} (Source : {item.citation.row.title})" for item in ordered[:4]
    )


def _rebut_llm(
    result: Rebuttal, hits: list[Hit], *, settings: Settings, max_evidence: int
) -> Rebuttal:
    client = LLMClient(settings)
    endpoint = f"{client.base_url}/chat/completions"
    answer = client.chat(
        generation.rebut_messages(result.claim, hits), schema=generation.REBUT_SCHEMA
    )
    try:
        items = generation.json_items(answer, endpoint=endpoint, key="verdict")
    except LLMUnusable:
        # a cut answer: its complete evidence objects, judged like any others (no verdict
        # of the model's, so at most what the checked stances show)
        evidence = generation.salvage(answer, key="stance")
        if not evidence:
            raise
        items = [{"evidence": evidence}]
    payload = items[0] if items else {}
    for reference in payload.get("evidence") or []:
        citation = generation.checked_citation(hits, reference)
        if citation is None:
            continue
        stance = reference.get("stance") if reference.get("stance") in STANCES else "context"
        result.evidence.append(Evidence(str(stance), citation))
    result.evidence = result.evidence[:max_evidence]
    if not result.evidence:
        return result  # nothing checks out: unverified, never invented
    verdict = payload.get("verdict")
    stances = {item.stance for item in result.evidence}
    if verdict == "contradicted" and "against" in stances:
        result.verdict = "contradicted"
    elif verdict == "supported" and "for" in stances:
        result.verdict = "supported"
    else:
        result.verdict = "unverified"
    valid = {number for number, _hit in enumerate(hits, start=1)}
    long_text = _keep_cited_sentences(str(payload.get("long") or ""), valid)
    short_text = " ".join(str(payload.get("short") or "").split())
    if long_text and short_text:
        result.short = shorten(short_text, 280)
        result.long = long_text
    else:
        _compose(result)
    return result


def _keep_cited_sentences(text: str, valid: set[int]) -> str:
    """Sentences of the model's long answer that cite [n] with n among the given passages."""
    kept: list[str] = []
    for sentence in re.split(r"(?<=[.!?…])\s+(?=\S)", " ".join(text.split())):
        cited = {int(number) for number in re.findall(r"\[(\d+)\]", sentence)}
        if cited and cited <= valid:
            kept.append(sentence)
    return " ".join(kept)
