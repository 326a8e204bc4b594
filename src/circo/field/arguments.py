"""The campaign's argument sheets for the phone, so a volunteer can search them offline.

The passages of the knowledge base's programme and rebuttal documents (the assistant domain's
tables, read here, never written), sent once when the app refreshes and kept in the phone's
IndexedDB; the app searches them locally when the network is gone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext, campaign_filter

ARGUMENT_TYPES = ("programme", "rebuttal")
MAX_PASSAGES = 600
MAX_CHARS = 3000


def argument_passages(session: Session, ctx: CampaignContext) -> list[dict[str, Any]]:
    """``[{"document", "type", "heading", "text"}]`` of the campaign's argument sheets."""
    try:
        from circo.assistant.models import Document, Passage
    except ImportError:  # a build without the assistant domain
        return []
    query = (
        select(Document.title, Document.doc_type, Passage.heading_path, Passage.text)
        .join(Passage, Passage.document_id == Document.id)
        .where(campaign_filter(Document, ctx), Document.doc_type.in_(ARGUMENT_TYPES))
        .order_by(Document.id, Passage.position)
        .limit(MAX_PASSAGES)
    )
    rows = session.execute(query).all()
    return [
        {"document": title, "type": str(kind), "heading": heading, "text": text[:MAX_CHARS]}
        for title, kind, heading, text in rows
    ]
