"""Passage embeddings, computed by the job engine with no database transaction open.

Indexing a document stores its passages and lexical postings at once (the document is
searchable straight away) and, when an embeddings model is configured, queues an
``assistant.embed`` job. The job reads the passages (a read that it ends), calls the
OpenAI-compatible ``/embeddings`` endpoint with no transaction open — a slow or stalled
endpoint holds no database lock or connection — then writes the vectors in one short
transaction, only if the document still has the same content (a document replaced in the
meantime queued its own job). An unreachable endpoint fails the run: the job is retried with
back-off.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from circo.assistant.llm import LLMClient, embedder_configured
from circo.assistant.models import Document, Passage
from circo.config import Settings
from circo.core import jobs
from circo.core.models import Job

KIND = "assistant.embed"


def queue_embeddings(session: Session, settings: Settings | None, document: Document) -> None:
    """Queue the embeddings of ``document``'s passages (sent to the queue at the commit)."""
    if settings is None or not embedder_configured(settings) or not document.passage_count:
        return
    jobs.enqueue(
        session,
        kind=KIND,
        payload={"document_id": document.id, "content_hash": document.content_hash},
        campaign_id=document.campaign_id,
    )


def embed_document_job(session: Session, settings: Settings, job: Job) -> dict[str, Any]:
    document_id = int(job.payload["document_id"])
    content_hash = str(job.payload.get("content_hash", ""))
    document = session.get(Document, document_id)
    if document is None or document.content_hash != content_hash:
        session.commit()
        return {"embedded": 0, "reason": "document supprimé ou remplacé depuis"}
    rows = session.execute(
        select(Passage.id, Passage.heading_path, Passage.text)
        .where(Passage.document_id == document_id)
        .order_by(Passage.position)
    ).all()
    texts = [f"{document.title}\n{heading}\n{text}" for _id, heading, text in rows]
    session.commit()  # end the read: nothing is held while the endpoint computes
    vectors = (
        LLMClient(settings).embed(texts, model=settings.embeddings_model or "") if texts else []
    )
    current = session.scalar(select(Document.content_hash).where(Document.id == document_id))
    if current != content_hash:
        return {"embedded": 0, "reason": "document remplacé pendant le calcul"}
    for (passage_id, _heading, _text), vector in zip(rows, vectors, strict=True):
        session.execute(
            update(Passage)
            .where(Passage.id == passage_id, Passage.document_id == document_id)
            .values(embedding=vector)
            .execution_options(synchronize_session=False)
        )
    return {"embedded": len(vectors)}
