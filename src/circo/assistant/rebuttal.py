"""Rebuttals: evidence for and against a claim, a verdict, a short and a long answer.

Offline, the stance of each relevant passage comes from transparent cues: a campaign rebuttal
document, correction words ("faux", "en réalité"), figures that differ from the claim's, an
opposite trend (hausse/baisse) or an opposite negation. When no passage is relevant the verdict
is "unverified" and nothing is invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from circo.assistant import generation
from circo.assistant.analysis import analyse, fold
from circo.assistant.compose import Citation, best_span, clean, shorten
from circo.assistant.llm import LLMClient
from circo.assistant.models import DocType
from circo.assistant.retrieval import Hit, search
from circo.assistant.tasks import mode_for
from circo.config import Settings
from circo.core.netguard import leave_transaction
from circo.core.tenancy import CampaignContext

VERDICTS = ("contradicted", "supported", "unverified")
STANCES = ("against", "for", "context")
NOTHING_SHORT = "Aucune source de la base de connaissances ne permet de vérifier cette affirmation."
NOTHING_LONG = (
    NOTHING_SHORT + " Ni confirmation ni démenti : ajoutez des études, articles ou chiffres "
    "sur ce sujet à la base pour pouvoir y répondre."
)
CORRECTION_CUES = re.compile(
    r"\b(faux|fausse|inexact|intox|idee recue|en realite|contrairement|dement|dementi|erron|"
    r"mensong|trompeu|non fonde)",
)
NEGATION = re.compile(r"\b(ne|n|pas|jamais|aucun|aucune|rien|nullement|sans|ni)\b")
NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
UP_TERMS = set(
    analyse(
        "augmente augmentation hausse progresse progression croissance monte "
        "grimpe accroissement double triple record"
    )
)
DOWN_TERMS = set(
    analyse("baisse diminue diminution recule recul chute réduit réduction effondrement moitié")
)
MIN_COVERAGE = 0.5


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
    hits = [
        hit
        for hit in search(session, ctx, query=claim, limit=12, settings=settings)
        if _relevant(hit, claim)
    ]
    if not hits:
        return result
    if mode == "llm":
        leave_transaction(session)
        return _rebut_llm(result, hits[:8], settings=settings, max_evidence=max_evidence)
    claim_terms = set(analyse(claim))
    for hit in hits:
        start, end = best_span(hit.row.text, claim_terms, max_chars=360)
        citation = Citation(hit.row, start, end)
        result.evidence.append(Evidence(stance_of(claim, citation.quote, hit), citation))
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


def _relevant(hit: Hit, claim: str) -> bool:
    distinct = len(set(analyse(claim)))
    if distinct == 0:
        return False
    needed = max(1 if distinct <= 2 else 2, round(distinct * MIN_COVERAGE))
    return len(hit.matched_terms) >= min(needed, distinct)


def stance_of(claim: str, quote: str, hit: Hit) -> str:
    """against / for / context of a quote with respect to a claim (documented cues only)."""
    folded_quote, folded_claim = fold(quote), fold(claim)
    if hit.row.doc_type == DocType.rebuttal.value or CORRECTION_CUES.search(folded_quote):
        return "against"
    claim_numbers = _numbers(claim)
    quote_numbers = _numbers(quote)
    claim_negated = bool(NEGATION.search(folded_claim))
    quote_negated = bool(NEGATION.search(folded_quote))
    claim_trend, quote_trend = _trend(claim), _trend(quote)
    if claim_trend and quote_trend:
        return "for" if claim_trend == quote_trend else "against"
    if claim_numbers and quote_numbers:
        if claim_numbers & quote_numbers:
            return "against" if claim_negated != quote_negated else "for"
        return "against"
    if claim_negated != quote_negated and hit.coverage >= 0.6:
        return "against"
    return "context"


def _numbers(text: str) -> set[str]:
    years = {
        value for value in NUMBER.findall(text) if len(value) == 4 and value[:2] in ("19", "20")
    }
    return {value.replace(",", ".") for value in NUMBER.findall(text)} - years


def _trend(text: str) -> int:
    terms = set(analyse(text))
    up, down = len(terms & UP_TERMS), len(terms & DOWN_TERMS)
    return (up > down) - (down > up)


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
    answer = client.chat(generation.rebut_messages(result.claim, hits))
    items = generation.json_items(answer, endpoint=endpoint)
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
