"""Text extraction per format: PDF, DOCX, HTML (files and URLs), Markdown, plain text, CSV.

Each extractor returns an `Extracted` (text + heading/paragraph blocks). Markdown and plain text
keep the file's text unchanged, so quotes are verbatim substrings of the source file too.
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from circo.assistant.errors import DocumentError, FetchError
from circo.assistant.segment import Block, Extracted, TextBuilder, trimmed
from circo.config import Settings
from circo.core.netguard import UrlFetchError, fetch_url

FORMATS = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".csv": "csv",
}
PARALLEL_PDF_PAGES = 64  # from this many pages, text extraction runs in several processes
MAX_PDF_WORKERS = 8

_MD_HEADING = re.compile(r"^(#{1,6})[ \t]+\S", re.MULTILINE)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def format_of(name: str, content_type: str | None = None) -> str | None:
    """The format of a file by its extension, else by its HTTP content type."""
    found = FORMATS.get(Path(name.split("?")[0]).suffix.lower())
    if found:
        return found
    kind = (content_type or "").split(";")[0].strip().lower()
    return {
        "application/pdf": "pdf",
        "text/html": "html",
        "application/xhtml+xml": "html",
        "text/markdown": "markdown",
        "text/plain": "text",
        "text/csv": "csv",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    }.get(kind)


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def fetch(url: str, *, settings: Settings) -> tuple[bytes, str | None]:
    """Download ``url`` through the SSRF guard (`circo.core.netguard`); FetchError otherwise.

    Never call it inside a database transaction (see `service.fetch_outside_transaction`).
    """
    try:
        fetched = fetch_url(url, settings=settings)
    except UrlFetchError as exc:
        raise FetchError(exc.message, loc=url, status=exc.status) from None
    return fetched.content, fetched.content_type


def extract(data: bytes, *, name: str, content_type: str | None = None) -> Extracted:
    """Extract ``data`` (file ``name``); DocumentError naming the file when it cannot be read."""
    kind = format_of(name, content_type)
    if kind is None:
        raise DocumentError(
            f"format non pris en charge : « {Path(name).suffix or content_type or '?'} » "
            "(attendu .pdf, .docx, .html, .md, .txt ou .csv)",
            loc=name,
        )
    try:
        extracted = _EXTRACTORS[kind](data, name)
    except DocumentError:
        raise
    except Exception as exc:
        raise DocumentError(
            f"document illisible ({kind}) : {type(exc).__name__}: {exc}", loc=name
        ) from exc
    if not extracted.text.strip() or not extracted.blocks:
        raise DocumentError(
            "aucun texte extrait (document vide, ou PDF scanné sans couche texte)", loc=name
        )
    return extracted


def decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


# --- formats ----------------------------------------------------------------------------------


def _pdf(data: bytes, name: str) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
    except PdfReadError as exc:
        raise DocumentError(f"PDF illisible : {exc}", loc=name) from exc
    if reader.is_encrypted:
        try:
            unlocked = bool(reader.decrypt(""))
        except Exception:
            unlocked = False
        if not unlocked:
            raise DocumentError(
                "PDF chiffré (protégé par mot de passe) : enregistrez-en une copie sans "
                "protection puis ajoutez-la",
                loc=name,
            )
    builder = TextBuilder()
    for number, page_text in enumerate(_pdf_page_texts(reader, data), start=1):
        for paragraph in _PARAGRAPH_BREAK.split(page_text.replace("\x00", "")):
            builder.add(paragraph, page=number)
    title = None
    try:
        metadata = reader.metadata
        title = str(metadata.title).strip() if metadata and metadata.title else None
    except Exception:
        title = None
    return builder.build(title=title or None)


def _pdf_page_texts(reader: Any, data: bytes) -> list[str]:
    """Text of every page; long PDFs are read by several processes (pypdf is pure Python)."""
    count = len(reader.pages)
    workers = min(os.cpu_count() or 1, MAX_PDF_WORKERS)
    if count < PARALLEL_PDF_PAGES or workers < 2:
        return [page.extract_text() or "" for page in reader.pages]
    step = -(-count // (workers * 4))
    ranges = [(start, min(start + step, count)) for start in range(0, count, step)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        chunks = pool.map(_pdf_pages, [data] * len(ranges), ranges)
        return [text for chunk in chunks for text in chunk]


def _pdf_pages(data: bytes, pages: tuple[int, int]) -> list[str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        reader.decrypt("")
    return [reader.pages[index].extract_text() or "" for index in range(*pages)]


def _docx(data: bytes, name: str) -> Extracted:
    import docx

    document = docx.Document(io.BytesIO(data))
    builder = TextBuilder()
    title = (document.core_properties.title or "").strip() or None
    body = document.element.body
    paragraphs = {id(p._p): p for p in document.paragraphs}
    tables = {id(t._tbl): t for t in document.tables}
    for child in body.iterchildren():
        if id(child) in paragraphs:
            paragraph = paragraphs[id(child)]
            style = (paragraph.style.name if paragraph.style is not None else "") or ""
            level = _docx_heading_level(style)
            if level == 0 and title is None and paragraph.text.strip():
                title = paragraph.text.strip()
            kind = "heading" if level is not None else "text"
            builder.add(paragraph.text, kind=kind, level=level or 0)
        elif id(child) in tables:
            rows = [
                " | ".join(cell.text.strip() for cell in row.cells)
                for row in tables[id(child)].rows
            ]
            builder.add("\n".join(rows))
    return builder.build(title=title)


def _docx_heading_level(style: str) -> int | None:
    lowered = style.lower()
    if lowered in ("title", "titre"):
        return 0
    match = re.match(r"(?:heading|titre)\s*(\d)", lowered)
    return int(match.group(1)) if match else None


def _html(data: bytes, name: str) -> Extracted:
    import trafilatura

    html = decode(data)
    extracted = trafilatura.extract(
        html, output_format="markdown", include_tables=True, include_links=False, favor_recall=True
    )
    metadata = trafilatura.extract_metadata(html)
    title = metadata.title if metadata and metadata.title else None
    published = metadata.date if metadata and metadata.date else None
    if not extracted:
        from lxml import html as lxml_html

        tree = lxml_html.fromstring(html or "<html></html>")
        for bad in tree.xpath("//script|//style|//noscript"):
            bad.drop_tree()
        extracted = "\n\n".join(
            " ".join(node.text_content().split())
            for node in tree.xpath("//h1|//h2|//h3|//p|//li|//td")
        )
    result = _markdown(extracted.encode("utf-8"), name)
    result.title = title or result.title
    result.published_on = published
    return result


def _markdown(data: bytes, name: str) -> Extracted:
    text = decode(data).replace("\r\n", "\n")
    blocks: list[Block] = []
    title = None
    for start, end in _paragraphs(text):
        line_end = text.find("\n", start, end)
        first_end = end if line_end < 0 else line_end
        heading = _MD_HEADING.match(text, start, first_end)
        if heading:
            level = len(heading.group(1))
            blocks.append(Block("heading", start, first_end, level))
            if level == 1 and title is None:
                title = text[start:first_end].lstrip("#").strip()
            rest = trimmed(text, first_end, end)
            if rest[1] > rest[0]:
                blocks.append(Block("text", *rest))
        else:
            blocks.append(Block("text", start, end))
    return Extracted(text, blocks, title)


def _text(data: bytes, name: str) -> Extracted:
    text = decode(data).replace("\r\n", "\n")
    paragraphs = _paragraphs(text)
    blocks: list[Block] = []
    for index, (start, end) in enumerate(paragraphs):
        level = _plain_heading_level(text[start:end], is_last=index == len(paragraphs) - 1)
        if level is None:
            blocks.append(Block("text", start, end))
        else:
            blocks.append(Block("heading", start, end, level))
    title = (
        text[blocks[0].start : blocks[0].end] if blocks and blocks[0].kind == "heading" else None
    )
    return Extracted(text, blocks, title)


def _plain_heading_level(paragraph: str, *, is_last: bool) -> int | None:
    """A short single line without final punctuation, followed by text, reads as a heading."""
    if is_last or "\n" in paragraph or len(paragraph) > 90 or paragraph[-1] in '.,;:!?…)»"':
        return None
    numbered = re.match(r"(\d+(?:\.\d+)*)[.)]?\s", paragraph)
    if numbered:
        return numbered.group(1).count(".") + 1
    return 1 if paragraph.isupper() else 2


def _paragraphs(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    cursor = 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        span = trimmed(text, cursor, match.start())
        if span[1] > span[0]:
            spans.append(span)
        cursor = match.end()
    span = trimmed(text, cursor, len(text))
    if span[1] > span[0]:
        spans.append(span)
    return spans


def _csv(data: bytes, name: str) -> Extracted:
    content = decode(data)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            content[:4096], delimiters=";,\t|"
        )
    except csv.Error:
        dialect = csv.excel
    rows = [
        row
        for row in csv.reader(io.StringIO(content), dialect)
        if any(cell.strip() for cell in row)
    ]
    if not rows:
        raise DocumentError("fichier CSV vide", loc=name)
    header = [cell.strip() for cell in rows[0]]
    builder = TextBuilder()
    builder.add(Path(name).stem.replace("_", " ").replace("-", " "), kind="heading", level=1)
    for row in rows[1:]:
        cells = [
            f"{header[index] if index < len(header) and header[index] else f'colonne {index + 1}'}"
            f" : {cell.strip()}"
            for index, cell in enumerate(row)
            if cell.strip()
        ]
        builder.add(" ; ".join(cells) + ".")
    if len(rows) == 1:
        builder.add(" ; ".join(header))
    return builder.build()


_EXTRACTORS = {
    "pdf": _pdf,
    "docx": _docx,
    "html": _html,
    "markdown": _markdown,
    "text": _text,
    "csv": _csv,
}
