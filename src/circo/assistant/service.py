"""Knowledge base rules: add files, directories and URLs; dedup; replace; delete; places.

Each document goes in inside its own savepoint: a failure leaves nothing of that document and
the rest of a batch still goes in. Same source with new content replaces its passages; the same
content under another source is reported as a duplicate.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from circo.assistant import repository
from circo.assistant.analysis import analyse, fold
from circo.assistant.embedding import queue_embeddings
from circo.assistant.errors import (
    AssistantError,
    DocumentError,
    DocumentNotFound,
    FetchError,
)
from circo.assistant.extract import FORMATS, extract, fetch, is_url
from circo.assistant.models import DocType, Document, Passage, Place
from circo.assistant.segment import Extracted, segment
from circo.config import Settings, load_settings
from circo.core.netguard import leave_transaction
from circo.core.tenancy import CampaignContext

logger = logging.getLogger(__name__)

# Bump when extraction, segmentation or analysis change: re-adding a document re-indexes it.
INDEX_VERSION = "1"
TYPE_HINTS = (
    ("programme", DocType.programme),
    ("riposte", DocType.rebuttal),
    ("rebuttal", DocType.rebuttal),
    ("intox", DocType.rebuttal),
    ("sondage", DocType.poll),
    ("poll", DocType.poll),
    ("etude", DocType.study),
    ("study", DocType.study),
    ("rapport", DocType.study),
    ("actu", DocType.news),
    ("news", DocType.news),
    ("presse", DocType.news),
)


@dataclass
class DocumentMeta:
    """Metadata given when adding; unset fields are taken from the document or guessed."""

    title: str | None = None
    doc_type: str | None = None
    territory_codes: list[str] = field(default_factory=list)
    published_on: date | None = None


@dataclass
class AddOutcome:
    source: str
    status: str  # added | replaced | unchanged | duplicate | failed
    title: str = ""
    document_id: int | None = None
    passages: int = 0
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "status": self.status,
            "title": self.title,
            "document_id": self.document_id,
            "passages": self.passages,
            "error": self.error,
        }


def parse_doc_type(value: str) -> str:
    try:
        return DocType(value.strip().lower()).value
    except ValueError:
        allowed = ", ".join(kind.value for kind in DocType)
        raise DocumentError(
            f"type de document inconnu « {value} » (attendu : {allowed}, ex. --type programme)",
            loc="type",
        ) from None


def parse_day(value: str | None, *, loc: str = "date") -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise DocumentError(
            f"date invalide « {value} » (attendu AAAA-MM-JJ, ex. 2027-03-14)", loc=loc
        ) from None


# --- adding -----------------------------------------------------------------------------------


def fetch_outside_transaction(
    session: Session, url: str, *, settings: Settings
) -> tuple[bytes, str | None]:
    """Fetch ``url`` with no database transaction open (see `netguard.leave_transaction`)."""
    leave_transaction(session)
    return fetch(url, settings=settings)


def add_source(
    session: Session,
    ctx: CampaignContext,
    *,
    source: str,
    meta: DocumentMeta,
    settings: Settings | None = None,
    on_file: Callable[[str], None] | None = None,
) -> list[AddOutcome]:
    """Add a file, every supported file of a directory, or a URL. A lone failure raises."""
    if meta.doc_type:
        meta.doc_type = parse_doc_type(meta.doc_type)
    if is_url(source):
        data, content_type = fetch_outside_transaction(
            session, source, settings=settings or load_settings()
        )
        name = source if "." in source.rsplit("/", 1)[-1] else source + ".html"
        return [
            add_bytes(
                session,
                ctx,
                data=data,
                name=name,
                source=source,
                meta=meta,
                settings=settings,
                content_type=content_type,
            )
        ]
    path = Path(source).expanduser()
    if path.is_dir():
        return _add_directory(
            session, ctx, folder=source, meta=meta, settings=settings, on_file=on_file
        )
    if not path.is_file():
        raise DocumentError(
            f"fichier ou dossier introuvable : {source} (attendu un chemin existant ou une URL "
            "http(s)://…)",
            loc=source,
        )
    return [
        add_bytes(
            session,
            ctx,
            data=path.read_bytes(),
            name=path.name,
            source=source,
            meta=meta,
            settings=settings,
        )
    ]


def _add_directory(
    session: Session,
    ctx: CampaignContext,
    *,
    folder: str,
    meta: DocumentMeta,
    settings: Settings | None,
    on_file: Callable[[str], None] | None,
) -> list[AddOutcome]:
    outcomes: list[AddOutcome] = []
    root = Path(folder).expanduser()
    files = sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )
    for path in files:
        source = os.path.join(folder, str(path.relative_to(root)))
        if on_file:
            on_file(source)
        if path.suffix.lower() not in FORMATS:
            outcomes.append(
                AddOutcome(
                    source,
                    "failed",
                    error=(
                        f"{source} : format non pris en charge "
                        f"« {path.suffix or '(sans extension)'} » "
                        "(attendu .pdf, .docx, .html, .md, .txt ou .csv)"
                    ),
                )
            )
            continue
        try:
            outcomes.append(
                add_bytes(
                    session,
                    ctx,
                    data=path.read_bytes(),
                    name=path.name,
                    source=source,
                    meta=meta,
                    settings=settings,
                )
            )
        except (AssistantError, OSError) as exc:
            outcomes.append(AddOutcome(source, "failed", error=f"{source} : {_message(exc)}"))
    return outcomes


def _message(exc: Exception) -> str:
    return exc.message if isinstance(exc, AssistantError) else str(exc)


def add_bytes(
    session: Session,
    ctx: CampaignContext,
    *,
    data: bytes,
    name: str,
    source: str,
    meta: DocumentMeta,
    settings: Settings | None = None,
    content_type: str | None = None,
) -> AddOutcome:
    """Extract and index one document atomically (a savepoint); raises DocumentError."""
    try:
        extracted = extract(data, name=name, content_type=content_type)
    except DocumentError as exc:
        exc.loc = source
        raise
    with session.begin_nested():
        return _store(
            session,
            ctx,
            extracted=extracted,
            name=name,
            source=source,
            meta=meta,
            settings=settings,
        )


def add_text(
    session: Session,
    ctx: CampaignContext,
    *,
    extracted: Extracted,
    source: str,
    meta: DocumentMeta,
    settings: Settings | None = None,
    feed_id: int | None = None,
    external_id: str | None = None,
) -> AddOutcome:
    """Index an already extracted document (feed items, demo content)."""
    with session.begin_nested():
        return _store(
            session,
            ctx,
            extracted=extracted,
            name=source,
            source=source,
            meta=meta,
            settings=settings,
            feed_id=feed_id,
            external_id=external_id,
        )


def _store(
    session: Session,
    ctx: CampaignContext,
    *,
    extracted: Extracted,
    name: str,
    source: str,
    meta: DocumentMeta,
    settings: Settings | None,
    feed_id: int | None = None,
    external_id: str | None = None,
) -> AddOutcome:
    content_hash = hashlib.sha256(f"{INDEX_VERSION}\n{extracted.text}".encode()).hexdigest()
    existing = repository.document_by_source(session, ctx, source)
    if existing is not None and existing.content_hash == content_hash:
        _apply_meta(existing, meta, extracted, name)
        session.flush()
        return AddOutcome(source, "unchanged", existing.title, existing.id, existing.passage_count)
    duplicate = repository.document_by_hash(session, ctx, content_hash)
    if duplicate is not None and existing is None:
        return AddOutcome(
            source,
            "duplicate",
            duplicate.title,
            duplicate.id,
            duplicate.passage_count,
            error=f"contenu identique à « {duplicate.title} » ({duplicate.source}) : ignoré",
        )
    document = existing or Document(campaign_id=ctx.campaign_id, source=source)
    status = "replaced" if existing is not None else "added"
    document.content_hash = content_hash
    document.text = extracted.text
    document.feed_id = feed_id if feed_id is not None else document.feed_id
    document.external_id = external_id if external_id is not None else document.external_id
    _apply_meta(document, meta, extracted, name)
    if existing is not None:
        repository.delete_passages(session, existing.id)
    else:
        session.add(document)
    session.flush()
    count = _index(session, document=document, extracted=extracted, settings=settings)
    document.passage_count = count
    session.flush()
    # Vectors are computed by a job after the commit, never inside this transaction.
    queue_embeddings(session, settings, document)
    return AddOutcome(source, status, document.title, document.id, count)


def _apply_meta(document: Document, meta: DocumentMeta, extracted: Extracted, name: str) -> None:
    if meta.title or not getattr(document, "title", None):
        document.title = (meta.title or extracted.title or _title_from(name))[:300]
    if meta.doc_type or not getattr(document, "doc_type", None):
        document.doc_type = parse_doc_type(meta.doc_type) if meta.doc_type else _guess_type(name)
    if meta.published_on or getattr(document, "published_on", None) is None:
        document.published_on = meta.published_on or _safe_day(extracted.published_on)
    if meta.territory_codes or getattr(document, "territory_codes", None) is None:
        document.territory_codes = list(dict.fromkeys(meta.territory_codes))


def _title_from(name: str) -> str:
    stem = Path(name.rstrip("/").split("?")[0]).stem if not is_url(name) else name
    return stem.replace("_", " ").replace("-", " ").strip() or name


def _guess_type(name: str) -> str:
    lowered = fold(Path(name).name)
    if lowered.endswith(".csv"):
        return DocType.poll.value
    for hint, kind in TYPE_HINTS:
        if hint in lowered:
            return kind.value
    return DocType.article.value


def _safe_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _index(
    session: Session, *, document: Document, extracted: Extracted, settings: Settings | None
) -> int:
    passages: list[Passage] = []
    postings: list[dict[str, Any]] = []
    for position, piece in enumerate(segment(extracted)):
        text = extracted.text[piece.start : piece.end]
        counts = Counter(analyse(f"{document.title} {piece.heading_path} {text}"))
        length = sum(counts.values())
        passages.append(
            Passage(
                campaign_id=document.campaign_id,
                document_id=document.id,
                position=position,
                heading_path=piece.heading_path[:1000],
                text=text,
                start_offset=piece.start,
                end_offset=piece.end,
                token_count=length,
            )
        )
        postings.extend(
            {"passage_index": position, "term": term, "tf": tf, "length": length}
            for term, tf in counts.items()
        )
    repository.insert_passages(session, document=document, passages=passages, postings=postings)
    return len(passages)


# --- documents --------------------------------------------------------------------------------


def delete_document(session: Session, ctx: CampaignContext, *, document_id: int) -> str:
    document = repository.get_document(session, ctx, document_id)
    title = document.title
    repository.delete_document(session, document)
    return title


def document_summary(document: Document) -> dict[str, Any]:
    return {
        "id": document.id,
        "title": document.title,
        "type": document.doc_type,
        "date": document.published_on.isoformat() if document.published_on else None,
        "territories": list(document.territory_codes or []),
        "source": document.source,
        "passages": document.passage_count,
        "content_hash": document.content_hash,
        "feed_id": document.feed_id,
    }


# --- places (communes of the campaign, to match local news) ------------------------------------


def add_place(
    session: Session,
    ctx: CampaignContext,
    *,
    code: str,
    name: str,
    aliases: list[str] | None = None,
) -> Place:
    code = code.strip()
    if not code or not name.strip():
        raise DocumentError("code et nom de commune requis (ex. 69383 « Lyon 3e »)", loc="place")
    place = repository.place_by_code(session, ctx, code)
    if place is None:
        place = Place(campaign_id=ctx.campaign_id, code=code, name=name.strip(), aliases=[])
        session.add(place)
    else:
        place.name = name.strip()
    place.aliases = list(dict.fromkeys([*(place.aliases or []), *(aliases or [])]))
    session.flush()
    return place


def ensure_campaign_place(session: Session, ctx: CampaignContext) -> None:
    campaign = ctx.campaign
    if campaign.territory_code and campaign.territory_name:
        if repository.place_by_code(session, ctx, campaign.territory_code) is None:
            add_place(session, ctx, code=campaign.territory_code, name=campaign.territory_name)


def resolve_territory(session: Session, ctx: CampaignContext, value: str | None) -> str | None:
    """A territory code from a code or a place name (``"Villeurbanne"`` → ``"69266"``)."""
    if not value:
        return None
    wanted = fold(value.strip())
    for place in repository.list_places(session, ctx):
        names = [place.code, place.name, *(place.aliases or [])]
        if any(fold(name) == wanted for name in names):
            return place.code
    return value.strip()


def territory_name(session: Session, ctx: CampaignContext, code: str) -> str:
    place = repository.place_by_code(session, ctx, code)
    return place.name if place is not None else code


__all__ = [
    "AddOutcome",
    "DocumentMeta",
    "FetchError",
    "add_bytes",
    "add_place",
    "add_source",
    "add_text",
    "delete_document",
    "parse_day",
    "parse_doc_type",
]


def check_passages(session: Session, ctx: CampaignContext, passage_ids: Iterable[int]) -> None:
    """NotFound (naming ``passage_ids``) unless every passage belongs to the campaign."""
    for passage_id in passage_ids:
        try:
            repository.get_passage(session, ctx, passage_id)
        except DocumentNotFound:
            raise DocumentNotFound(
                f"passage introuvable dans cette campagne : n° {passage_id}", loc="passage_ids"
            ) from None
