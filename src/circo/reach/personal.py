"""What the reach domain holds about a person: the calls made to them, the texts sent to them and
their replies (access, erasure, merge; see `circo.core.personal`). The opposition recorded by a
call or a STOP lives in the privacy ledger."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from circo.core.personal import (
    Identity,
    PersonalData,
    TableRule,
    delete_rows,
    move_rows,
    plain_row,
)
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.reach.models import (
    CallEntry,
    CallList,
    FormSubmission,
    TextCampaign,
    TextEntry,
    TextMessage,
)


def _submissions(
    session: Session, ctx: CampaignContext, identity: Identity
) -> list[FormSubmission]:
    """Form submissions of the person: linked to the contact, or pending under their email."""
    clauses: list[Any] = []
    if identity.contact_ids:
        clauses.append(FormSubmission.contact_id.in_(identity.contact_ids))
    if identity.emails:
        clauses.append(FormSubmission.email.in_(sorted(identity.emails)))
    if not clauses:
        return []
    query = select(FormSubmission).where(campaign_filter(FormSubmission, ctx), or_(*clauses))
    return list(session.scalars(query.order_by(FormSubmission.id)))


def access(
    session: Session, ctx: CampaignContext, identity: Identity, export: dict[str, Any]
) -> None:
    export["reach_form_submissions"] = [
        plain_row(row, exclude=("campaign_id", "token_hash"))
        for row in _submissions(session, ctx, identity)
    ]
    if not identity.contact_ids:
        export["reach_calls"] = []
        export["reach_texts"] = []
        export["reach_text_messages"] = []
        return
    texts = session.execute(
        select(TextEntry, TextCampaign.name)
        .join(TextCampaign, TextCampaign.id == TextEntry.text_campaign_id)
        .where(
            campaign_filter(TextEntry, ctx),
            TextEntry.contact_id.in_(identity.contact_ids),
        )
        .order_by(TextEntry.id)
    ).all()
    export["reach_texts"] = [
        {**plain_row(entry, exclude=("campaign_id", "sent_by_user_id")), "campaign_name": name}
        for entry, name in texts
    ]
    export["reach_text_messages"] = [
        plain_row(message, exclude=("campaign_id", "assigned_user_id"))
        for message in session.scalars(
            select(TextMessage)
            .where(
                campaign_filter(TextMessage, ctx),
                TextMessage.contact_id.in_(identity.contact_ids),
            )
            .order_by(TextMessage.id)
        )
    ]
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
    texts = delete_rows(session, ctx, TextEntry, identity.contact_ids)
    messages = delete_rows(session, ctx, TextMessage, identity.contact_ids)
    submissions = _submissions(session, ctx, identity)
    for row in submissions:
        session.delete(row)
    session.flush()
    return {
        "reach_call_entries": deleted,
        "reach_form_submissions": len(submissions),
        "reach_text_entries": texts,
        "reach_text_messages": messages,
    }


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
    move_rows(session, ctx, FormSubmission, kept_id, merged_id)
    move_rows(session, ctx, TextEntry, kept_id, merged_id, unique_with=("text_campaign_id",))
    move_rows(session, ctx, TextMessage, kept_id, merged_id)
    session.flush()


PERSONAL_DATA = PersonalData(
    tables={
        "reach_call_entries": TableRule(
            access="reach_calls of the export: each call list the person was on, outcome, answers",
            erase="deleted; an opposition recorded by a call stays in the privacy ledger",
            merge="moved to the kept contact (one entry per list: the kept contact's wins)",
        ),
        "reach_form_submissions": TableRule(
            access="reach_form_submissions of the export: what the person typed in a public "
            "form, when, from which page, when confirmed",
            erase="deleted (pending ones too, found by email); the email consent keeps its proof "
            "in the privacy ledger until the ledger's own erasure",
            merge="moved to the kept contact",
        ),
        "reach_text_entries": TableRule(
            access="reach_texts of the export: each texting campaign the person was in, the text "
            "sent, when and by whom",
            erase="deleted; an opposition recorded by a STOP stays in the privacy ledger",
            merge="moved to the kept contact (one text per campaign: the kept contact's wins)",
        ),
        "reach_text_messages": TableRule(
            access="reach_text_messages of the export: the replies received from the person and "
            "the answers sent to them",
            erase="deleted",
            merge="moved to the kept contact",
        ),
        "reach_text_campaigns": TableRule(
            access="no data about contacts: the staff member who built the texting campaign",
            erase="kept: the staff member's action (accountability, GDPR art. 5.2)",
            merge="not linked to a contact",
        ),
        "reach_forms": TableRule(
            access="no data about contacts: the staff member who created the form",
            erase="kept: the staff member's action (accountability, GDPR art. 5.2)",
            merge="not linked to a contact",
        ),
        "reach_drop_rounds": TableRule(
            access="no data about contacts: the staff member who made the leaflet drop round",
            erase="kept: the staff member's action (accountability, GDPR art. 5.2)",
            merge="not linked to a contact",
        ),
        "reach_drop_done": TableRule(
            access="no data about contacts: a building's letterboxes done, by which team member",
            erase="not about contacts: the team member's link is cleared with their account",
            merge="not linked to a contact",
        ),
        "reach_poster_rounds": TableRule(
            access="no data about contacts: which team member checks which poster boards",
            erase="not about contacts: the team member's link is cleared with their account",
            merge="not linked to a contact",
        ),
        "reach_poster_checks": TableRule(
            access="no data about contacts: a poster board's state and photo, by which team member",
            erase="not about contacts: the team member's link is cleared with their account",
            merge="not linked to a contact",
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
