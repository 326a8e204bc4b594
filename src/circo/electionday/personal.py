"""Mandants and mandataires are people (CRM contacts): what the election-day domain holds about
them, for access, erasure and merge (see `circo.core.personal`), and its deletion after the
election (the retention run: a request or offer goes the day after its ``delete_after``, the
last round it was for). The results-night tables hold public figures, nobody's data."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from circo.core.personal import Identity, PersonalData, TableRule, delete_rows, move_rows, rows_of
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.electionday.models import AssessorPost, ProxyMatch, ProxyOffer, ProxyRequest

RETENTION_LABEL = "procurations : supprimées après le dernier tour concerné"
POSTS_RETENTION_LABEL = "assesseurs et délégués : désignations supprimées après le scrutin"


def access(
    session: Session, ctx: CampaignContext, identity: Identity, export: dict[str, Any]
) -> None:
    export["ed_proxy_requests"] = rows_of(session, ctx, ProxyRequest, identity.contact_ids)
    export["ed_proxy_offers"] = rows_of(session, ctx, ProxyOffer, identity.contact_ids)
    export["ed_assessor_posts"] = rows_of(session, ctx, AssessorPost, identity.contact_ids)


def erase(session: Session, ctx: CampaignContext, identity: Identity) -> dict[str, int]:
    """Delete the person's requests and offers (their matches go with them)."""
    ids = identity.contact_ids
    return {
        "ed_proxy_requests": delete_rows(session, ctx, ProxyRequest, ids),
        "ed_proxy_offers": delete_rows(session, ctx, ProxyOffer, ids),
        "ed_assessor_posts": delete_rows(session, ctx, AssessorPost, ids),
    }


def merge(session: Session, ctx: CampaignContext, kept_id: int, merged_id: int) -> None:
    move_rows(session, ctx, ProxyRequest, kept_id, merged_id)
    move_rows(session, ctx, ProxyOffer, kept_id, merged_id)
    move_rows(session, ctx, AssessorPost, kept_id, merged_id)


def purge(
    session: Session, ctx: CampaignContext, data_dir: Path, today: date, apply: bool
) -> list[tuple[str, str, int, list[str]]]:
    """After the election, procurations go: requests and offers whose last round is past."""
    counts = []
    for model in (ProxyRequest, ProxyOffer):
        where = (campaign_filter(model, ctx), model.delete_after < today)
        counts.append(int(session.scalar(select(func.count(model.id)).where(*where)) or 0))
        if apply:
            if model is ProxyRequest:
                old = select(ProxyRequest.id).where(*where)
                session.execute(delete(ProxyMatch).where(ProxyMatch.request_id.in_(old)))
            else:
                old = select(ProxyOffer.id).where(*where)
                session.execute(delete(ProxyMatch).where(ProxyMatch.offer_id.in_(old)))
            session.execute(delete(model).where(*where))
    detail = [f"{counts[0]} demande(s) et {counts[1]} offre(s) de procuration"]
    where_posts = (campaign_filter(AssessorPost, ctx), AssessorPost.delete_after < today)
    posts = int(session.scalar(select(func.count(AssessorPost.id)).where(*where_posts)) or 0)
    if apply:
        session.execute(delete(AssessorPost).where(*where_posts))
    return [
        ("procurations", RETENTION_LABEL, sum(counts), detail),
        ("assessor_posts", POSTS_RETENTION_LABEL, posts,
         [f"{posts} désignation(s) d'assesseur ou de délégué"]),
    ]  # fmt: skip


PERSONAL_DATA = PersonalData(
    tables={
        "ed_proxy_requests": TableRule(
            access="the person's procuration requests (bureau, rounds, status)",
            erase="deleted, with their matches",
            merge="moved to the kept contact",
        ),
        "ed_proxy_offers": TableRule(
            access="the person's offers to hold a procuration (position, distance, rounds)",
            erase="deleted, with their matches",
            merge="moved to the kept contact",
        ),
        "ed_assessor_posts": TableRule(
            access="the person's designations as assesseur or délégué (bureau, role, slot, "
            "birth date and place, commune of registration)",
            erase="deleted",
            merge="moved to the kept contact",
        ),
    },
    access=access,
    erase=erase,
    merge=merge,
    purge=purge,
)
