"""What the reach domain holds about a person: the calls made to them (access, erasure, merge;
see `circo.core.personal`). The opposition recorded by a call lives in the privacy ledger."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from circo.core.personal import Identity, PersonalData, TableRule, delete_rows, plain_row
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.reach.models import CallEntry, CallList


def access(
    session: Session, ctx: CampaignContext, identity: Identity, export: dict[str, Any]
) -> None:
    if not identity.contact_ids:
        export["reach_calls"] = []
        return
    rows = session.execute(
        select(CallEntry, CallList.name)
        .join(CallList, CallList.id == CallEntry.list_id)
        .where(
            campaign_filter(CallEntry, ctx),
            CallEntry.contact_id.in_(identity.contact_ids),
        )
        .order_by(CallEntry.id)
    ).all()
    export["reach_calls"] = [
        {**plain_row(entry, exclude=("campaign_id", "assigned_user_id")), "list_name": name}
        for entry, name in rows
    ]


def erase(session: Session, ctx: CampaignContext, identity: Identity) -> dict[str, int]:
    deleted = delete_rows(session, ctx, CallEntry, identity.contact_ids)
    session.flush()
    return {"reach_call_entries": deleted}


def merge(session: Session, ctx: CampaignContext, kept_id: int, merged_id: int) -> None:
    """The merged contact's calls follow the kept one; on a list holding both, the kept
    contact's entry stays and the other goes (one call per person and list)."""
    kept_lists = select(CallEntry.list_id).where(
        campaign_filter(CallEntry, ctx), CallEntry.contact_id == kept_id
    )
    session.execute(
        delete(CallEntry).where(
            campaign_filter(CallEntry, ctx),
            CallEntry.contact_id == merged_id,
            CallEntry.list_id.in_(kept_lists),
        )
    )
    for entry in session.scalars(
        select(CallEntry).where(campaign_filter(CallEntry, ctx), CallEntry.contact_id == merged_id)
    ):
        entry.contact_id = kept_id
    session.flush()


PERSONAL_DATA = PersonalData(
    tables={
        "reach_call_entries": TableRule(
            access="reach_calls of the export: each call list the person was on, outcome, answers",
            erase="deleted; an opposition recorded by a call stays in the privacy ledger",
            merge="moved to the kept contact (one entry per list: the kept contact's wins)",
        ),
        "reach_call_lists": TableRule(
            access="no data about contacts: the staff member who built the list",
            erase="kept: the staff member's action (accountability, GDPR art. 5.2)",
            merge="not linked to a contact",
        ),
    },
    access=access,
    erase=erase,
    merge=merge,
)
