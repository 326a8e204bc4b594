"""Extractive composition (offline): every sentence returned is a span of a cited passage.

Also the citation check used in LLM mode: a quote counts only when it is found in the numbered
passage it cites (whitespace, apostrophes and case forgiven); the returned quote is then the
verbatim span of the stored passage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from circo.assistant.analysis import analyse, fold
from circo.assistant.repository import PassageRow
from circo.assistant.retrieval import Hit
from circo.assistant.segment import sentence_spans

MAX_QUOTE_CHARS = 420
MIN_POINT_CHARS = 160
SHORT_MAX = 280
_MARKUP = re.compile(r"(\*\*|__|`|^#{1,6}\s+|^\s*(?:[-*•–]|\d{1,2}[.)])\s+)", re.MULTILINE)
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


@dataclass
class Citation:
    row: PassageRow
    start: int  # offsets of the quote inside row.text
    end: int

    @property
    def quote(self) -> str:
        return self.row.text[self.start : self.end]

    def contract(self) -> dict[str, str]:
        return {"document": self.row.title, "source": self.row.source, "quote": self.quote}

    def detail(self) -> dict[str, Any]:
        return {
            **self.contract(),
            "passage_id": self.row.passage_id,
            "document_id": self.row.document_id,
            "type": self.row.doc_type,
            "heading": self.row.heading_path,
            "date": self.row.published_on.isoformat() if self.row.published_on else None,
            "start": self.row.start_offset + self.start,
            "end": self.row.start_offset + self.end,
        }


@dataclass
class Point:
    text: str
    citations: list[Citation]
    kind: str = ""
    label: str = ""
    flagged: bool = False

    def contract(self) -> dict[str, Any]:
        return {"text": self.text, "citations": [c.contract() for c in self.citations]}

    def detail(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "kind": self.kind,
            "label": self.label,
            "flagged": self.flagged,
            "citations": [c.detail() for c in self.citations],
        }


@dataclass
class Answer:
    query: str
    mode: str
    points: list[Point] = field(default_factory=list)
    dropped: int = 0
    # set when the model's answer was unusable and the points were assembled offline instead
    warning: str = ""

    def contract(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "mode": self.mode,
            "points": [point.contract() for point in self.points],
        }

    def detail(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "mode": self.mode,
            "dropped": self.dropped,
            "points": [point.detail() for point in self.points],
        }


def clean(quote: str) -> str:
    """Light trimming of a quote for display: markup, bullets and line breaks removed."""
    text = _LINK.sub(r"\1", quote)
    text = _MARKUP.sub("", text)
    return " ".join(text.split())


def best_span(
    text: str,
    query_terms: set[str],
    *,
    max_chars: int = MAX_QUOTE_CHARS,
    avoid: tuple[int, int] | None = None,
    topical: bool = False,
) -> tuple[int, int]:
    """The contiguous run of whole sentences of ``text`` that covers most query terms.

    With ``avoid``, only sentences outside that span count (any sentence when ``topical``: the
    passage's heading is about the query), and (0, 0) means none is left. A short answer is
    extended with the next sentences of the same paragraph.
    """
    every = sentence_spans(text)
    sentences = every
    if avoid is not None:
        sentences = [
            (s, e)
            for s, e in every
            if (e <= avoid[0] or s >= avoid[1])
            and not _is_heading_like(text[s:e])
            and (topical or set(analyse(text[s:e])) & query_terms)
        ]
        if not sentences:
            return 0, 0
    if not sentences:
        return 0, len(text)
    scored = [(start, end, set(analyse(text[start:end])) & query_terms) for start, end in sentences]
    best: tuple[float, int, int] = (-1.0, sentences[0][0], sentences[0][1])
    for first in range(len(scored)):
        covered: set[str] = set()
        for last in range(first, min(first + 3, len(scored))):
            start, end = scored[first][0], scored[last][1]
            if last > first and end - start > max_chars:
                break
            if avoid is not None and start < avoid[1] and end > avoid[0]:
                break
            covered |= scored[last][2]
            value = len(covered) - 0.01 * (last - first) - 0.001 * first
            if _is_heading_like(text[start:end]):
                value -= 0.5
            if value > best[0]:
                best = (value, start, end)
    start, end = best[1], best[2]
    for next_start, next_end in every:
        if end - start >= MIN_POINT_CHARS or next_end - start > max_chars:
            break
        if next_start < end:
            continue
        if "\n\n" in text[end:next_start] or _is_heading_like(text[next_start:next_end]):
            break
        if avoid is not None and next_start < avoid[1] and next_end > avoid[0]:
            break
        end = next_end
    if end - start > max_chars * 2:
        end = _cut(text, start, start + max_chars * 2)
    return start, end


def _is_heading_like(sentence: str) -> bool:
    stripped = sentence.strip()
    return stripped.startswith("#") or (len(stripped) < 60 and stripped[-1:] not in ".!?…»")


def _cut(text: str, start: int, limit: int) -> int:
    space = text.rfind(" ", start, limit)
    return space if space > start else limit


def point_from_hit(hit: Hit, query_terms: set[str], *, kind: str = "") -> Point:
    start, end = best_span(hit.row.text, query_terms)
    citation = Citation(hit.row, start, end)
    label = hit.row.heading_path.split(" > ")[-1] if hit.row.heading_path else ""
    return Point(text=clean(citation.quote), citations=[citation], kind=kind, label=label)


def extractive_points(hits: list[Hit], query: str, *, limit: int, kind: str = "") -> list[Point]:
    """The best sentences of each passage in rank order, then second-best ones; no duplicates."""
    terms = set(analyse(query))
    points: list[Point] = []
    seen: set[str] = set()

    def keep(point: Point) -> None:
        key = fold(point.text)[:160]
        if point.text and key not in seen and len(points) < limit:
            seen.add(key)
            points.append(point)

    firsts = [point_from_hit(hit, terms, kind=kind) for hit in hits]
    for point in firsts:
        keep(point)
    for hit, first in zip(hits, firsts, strict=True):
        if len(points) >= limit:
            break
        citation = first.citations[0]
        topical = bool(set(analyse(hit.row.heading_path)) & terms)
        start, end = best_span(
            hit.row.text, terms, avoid=(citation.start, citation.end), topical=topical
        )
        if end > start:
            second = Citation(hit.row, start, end)
            keep(Point(clean(second.quote), [second], kind=kind, label=first.label))
    return points


def shorten(text: str, limit: int = SHORT_MAX) -> str:
    """``text`` cut at a sentence or word boundary to at most ``limit`` characters."""
    if len(text) <= limit:
        return text
    window = text[: limit - 1]
    sentence_end = max(window.rfind(". "), window.rfind("! "), window.rfind("? "))
    if sentence_end > limit // 2:
        return window[: sentence_end + 1]
    space = window.rfind(" ")
    return window[: space if space > 0 else limit - 1].rstrip(",;: ") + "…"


# --- citation checking (LLM mode) -------------------------------------------------------------

_NORMALISE = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "«": '"',
        "»": '"',
        "“": '"',
        "”": '"',
        "\u00a0": " ",
        "\u202f": " ",
        "–": "-",
        "—": "-",
    }
)


def _normalised_with_map(text: str) -> tuple[str, list[int]]:
    """Lowercased text with whitespace runs collapsed, and the original index of each char."""
    chars: list[str] = []
    positions: list[int] = []
    previous_space = True
    for index, char in enumerate(text.translate(_NORMALISE)):
        if char.isspace():
            if previous_space:
                continue
            chars.append(" ")
            positions.append(index)
            previous_space = True
            continue
        chars.append(char.lower())
        positions.append(index)
        previous_space = False
    return "".join(chars), positions


def locate_quote(passage_text: str, quote: str) -> tuple[int, int] | None:
    """Span of ``quote`` in ``passage_text`` (forgiving whitespace, quotes, case), else None."""
    wanted, _ = _normalised_with_map(quote.strip().strip('"«» ').strip())
    wanted = wanted.strip().rstrip("…").strip()
    if len(wanted) < 12:
        return None
    haystack, positions = _normalised_with_map(passage_text)
    found = haystack.find(wanted)
    if found < 0:
        return None
    start = positions[found]
    end = positions[found + len(wanted) - 1] + 1
    return start, end
