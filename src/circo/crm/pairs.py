"""Review of duplicate pairs: the campaign's own pairs only (another campaign's pair is 404)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext
from circo.crm import dedup
from circo.crm.errors import NotFound
from circo.crm.models import DuplicatePair


def get_pair(session: Session, ctx: CampaignContext, pair_id: int) -> DuplicatePair:
    pair = session.scalar(
        ctx.scoped(select(DuplicatePair), DuplicatePair).where(DuplicatePair.id == pair_id)
    )
    if pair is None:
        raise NotFound(f"paire de doublons {pair_id} introuvable", loc="pair_id")
    return pair


def dismiss(session: Session, ctx: CampaignContext, pair_id: int) -> None:
    """Mark the pair as not a duplicate; NotFound when it is not the campaign's."""
    get_pair(session, ctx, pair_id)
    dedup.dismiss_pair(session, ctx, pair_id)
