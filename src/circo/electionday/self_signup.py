"""Volunteers sign themselves up as assesseur or délégué from the phone (the volunteer app):
the bureaux still uncovered are offered priority first, with the time slots of the day; the
same rules as a sign-up recorded by the staff apply (`assessors.signup`, each refusal naming
its article). The volunteer is the CRM contact of their volunteer profile, else the contact
with their e-mail, else a contact created from their account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core.models import User
from circo.core.tenancy import CampaignContext
from circo.electionday.assessors import AssessorError, coverage
from circo.electionday.models import AssessorPost

SLOTS = ("08:00-20:00", "08:00-13:00", "13:00-18:00", "18:00-23:00")
SHOWN = 40  # uncovered bureaux offered on the phone, priority first


def my_contact_id(session: Session, ctx: CampaignContext, *, create: bool) -> int | None:
    """The signed-in volunteer's contact (created from the account when ``create``)."""
    from circo.crm.contacts import create_contact, find_by_identity
    from circo.crm.models import Volunteer
    from circo.crm.schemas import ContactCreate

    if ctx.actor.user_id is None:
        raise AssessorError("connectez-vous pour vous inscrire", loc="compte", status=403)
    volunteer = session.scalar(
        ctx.scoped(select(Volunteer), Volunteer).where(Volunteer.user_id == ctx.actor.user_id)
    )
    if volunteer is not None and volunteer.contact_id is not None:
        return volunteer.contact_id
    user = session.get(User, ctx.actor.user_id)
    if user is None:
        raise AssessorError("compte introuvable", loc="compte", status=403)
    found = find_by_identity(session, ctx, email=user.email)
    if found:
        contact_id = found[0].id
    elif not create:
        return None
    else:
        first, _, last = (user.name or "").strip().partition(" ")
        contact = create_contact(
            session, ctx,
            data=ContactCreate(first_name=first if last else "", last_name=last or first or
                               user.email.split("@")[0], email=user.email,
                               relationship_kind="volunteer"),
            source="inscription assesseur",
        )  # fmt: skip
        contact_id = contact.id
    if volunteer is not None:
        volunteer.contact_id = contact_id
    return contact_id


def overview(session: Session, ctx: CampaignContext, *, round_number: int) -> dict[str, Any]:
    """The volunteer's own designations and the uncovered bureaux, priority first."""
    contact_id = my_contact_id(session, ctx, create=False)
    found = coverage(session, ctx, round_number=round_number)
    mine = []
    if contact_id is not None:
        mine = list(
            session.scalars(
                ctx.scoped(select(AssessorPost), AssessorPost)
                .where(AssessorPost.contact_id == contact_id)
                .order_by(AssessorPost.vote_date, AssessorPost.slot_start)
            )
        )
    return {
        "round": round_number,
        "mine": mine,
        "uncovered": found["uncovered"][:SHOWN],
        "more": max(0, len(found["uncovered"]) - SHOWN),
        "order": found["order"],
    }


def withdraw_mine(session: Session, ctx: CampaignContext, post_id: int) -> None:
    contact_id = my_contact_id(session, ctx, create=False)
    post = session.scalar(
        ctx.scoped(select(AssessorPost), AssessorPost).where(AssessorPost.id == post_id)
    )
    if post is None or contact_id is None or post.contact_id != contact_id:
        raise AssessorError(
            f"désignation n° {post_id} introuvable parmi les vôtres", loc="désignation"
        )
    session.delete(post)
    session.flush()
