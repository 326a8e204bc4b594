"""French-aware segmentation: blocks → passages that keep their heading path and offsets.

An extractor produces the document text and its blocks (headings and paragraphs, as character
spans of that text). Passages group consecutive paragraphs under the same heading path up to
about `TARGET_CHARS`; a longer paragraph is cut at sentence boundaries. A passage is always the
exact span ``text[start:end]`` so a quote can be shown in context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TARGET_CHARS = 900
MAX_BLOCK_CHARS = 1400
HEADING_SEPARATOR = " > "

ABBREVIATIONS = frozenset(
    "m mme mmes mlle mm dr pr st ste etc cf p pp art av bd env hab min max no n° vol ex éd ed "
    "janv févr fév avr juil sept oct nov déc dép".split()
)
_BOUNDARY = re.compile(
    r"[.!?…]+(?:[ \u00a0\u202f]?[»\"”’)\]])*\s+|\n\s*\n+|\n(?=[ \t]*(?:[-*•–]|\d{1,2}[.)])\s)"
)
_NEXT_START = re.compile(r"[\"«“(\[]?\s*[A-ZÀ-ÖØ-Þ0-9•\-–*#]")


@dataclass
class Block:
    kind: str  # "heading" or "text"
    start: int
    end: int
    level: int = 0
    page: int | None = None


@dataclass
class Extracted:
    text: str
    blocks: list[Block]
    title: str | None = None
    published_on: str | None = None  # ISO date found in the document's metadata


@dataclass
class Segment:
    start: int
    end: int
    heading_path: str


@dataclass
class _Open:
    start: int = -1
    end: int = -1
    page: int | None = None
    blocks: int = 0
    headings: list[str] = field(default_factory=list)


class TextBuilder:
    """Builds a document text block by block (for formats whose text we assemble)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.blocks: list[Block] = []
        self.length = 0

    def add(
        self, content: str, *, kind: str = "text", level: int = 0, page: int | None = None
    ) -> None:
        content = content.strip()
        if not content:
            return
        if self.parts:
            self.parts.append("\n\n")
            self.length += 2
        self.blocks.append(Block(kind, self.length, self.length + len(content), level, page))
        self.parts.append(content)
        self.length += len(content)

    def build(self, *, title: str | None = None, published_on: str | None = None) -> Extracted:
        return Extracted("".join(self.parts), self.blocks, title, published_on)


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """(start, end) without surrounding whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans of ``text[start:end]`` (French punctuation, list items, abbreviations)."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        cut = match.end()
        if "\n" not in match.group() and not _NEXT_START.match(text, cut):
            continue
        if match.group().lstrip().startswith(".") and _is_abbreviation(text, match.start()):
            continue
        piece = trimmed(text, cursor, match.end())
        if piece[1] > piece[0]:
            spans.append(piece)
        cursor = cut
    piece = trimmed(text, cursor, end)
    if piece[1] > piece[0]:
        spans.append(piece)
    return spans


def _is_abbreviation(text: str, dot: int) -> bool:
    word_start = dot
    while word_start > 0 and (text[word_start - 1].isalnum() or text[word_start - 1] == "°"):
        word_start -= 1
    word = text[word_start:dot]
    if len(word) == 1 and word.isupper():
        return True  # an initial: "J. Dupont"
    if word.isdigit() and dot + 1 < len(text) and text[dot + 1].isdigit():
        return True
    return word.lower() in ABBREVIATIONS


def segment(extracted: Extracted) -> list[Segment]:
    """Passages of a document: consecutive paragraphs under one heading path, ≈ TARGET_CHARS."""
    text = extracted.text
    segments: list[Segment] = []
    headings: list[tuple[int, str]] = []
    current = _Open()

    def path(page: int | None) -> str:
        parts = [title for _level, title in headings]
        if page is not None:
            parts.append(f"p. {page}")
        return HEADING_SEPARATOR.join(parts)

    def flush() -> None:
        nonlocal current
        if current.blocks:
            segments.append(Segment(current.start, current.end, path(current.page)))
        current = _Open()

    for block in extracted.blocks:
        start, end = trimmed(text, block.start, block.end)
        if end <= start:
            continue
        if block.kind == "heading":
            flush()
            while headings and headings[-1][0] >= block.level:
                headings.pop()
            headings.append((block.level, _heading_title(text[start:end])))
            continue
        if current.blocks and (block.page != current.page or end - current.start > TARGET_CHARS):
            flush()
        if end - start > MAX_BLOCK_CHARS:
            flush()
            for piece_start, piece_end in _split_long(text, start, end):
                segments.append(Segment(piece_start, piece_end, path(block.page)))
            continue
        if not current.blocks:
            current.start, current.page = start, block.page
        current.end = end
        current.blocks += 1
    flush()
    return segments


def _heading_title(raw: str) -> str:
    return " ".join(raw.strip().lstrip("#").strip().strip("*_").split())[:200]


def _split_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut a long paragraph into runs of whole sentences of about TARGET_CHARS."""
    pieces: list[tuple[int, int]] = []
    piece_start = -1
    piece_end = -1
    for sentence_start, sentence_end in sentence_spans(text, start, end):
        if piece_start >= 0 and sentence_end - piece_start > TARGET_CHARS:
            pieces.append((piece_start, piece_end))
            piece_start = -1
        if piece_start < 0:
            piece_start = sentence_start
        piece_end = sentence_end
    if piece_start >= 0:
        pieces.append((piece_start, piece_end))
    # A single sentence longer than MAX_BLOCK_CHARS (tables, lists without punctuation).
    result: list[tuple[int, int]] = []
    for piece_start, piece_end in pieces:
        while piece_end - piece_start > MAX_BLOCK_CHARS:
            cut = text.rfind(" ", piece_start, piece_start + TARGET_CHARS)
            cut = cut if cut > piece_start else piece_start + TARGET_CHARS
            result.append(trimmed(text, piece_start, cut))
            piece_start = trimmed(text, cut, piece_end)[0]
        result.append((piece_start, piece_end))
    return result
