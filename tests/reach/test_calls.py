"""Phone banking rules on SQLite and PostgreSQL: who enters a call list, the calendar (legal
hours, L49), batches per volunteer, outcomes written into the privacy ledger at once."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core.audit import Actor
from circo.core.models import Role, User
from circo.core.tenancy import CampaignContext, system_context
from circo.crm.models import Contact, Interaction
from circo.domains import registry
from circo.privacy.consent import can_contact, record_opposition
from circo.privacy.errors import CalendarBlocked
from circo.privacy.models import Opposition
from circo.reach import calls
from circo.reach.errors import NotFound, PermissionDenied, ReachError
from circo.reach.models import CallEntry
from tests.reach.conftest import make_call_world

# A Wednesday at 15:00 in Paris (14:00 UTC), far from any vote.
WEDNESDAY_AFTERNOON = datetime(2030, 3, 13, 14, 0, tzinfo=UTC)


def as_user(ctx: CampaignContext, user: User, role: Role) -> CampaignContext:
    return CampaignContext(
        campaign=ctx.campaign, role=role, actor=Actor(user_id=user.id, email=user.email)
    )


def test_list_keeps_only_people_with_a_phone_basis(session: Session) -> None:
    world = make_call_world(session)
    built = calls.create_call_list(session, world.ctx, segment="À appeler", questions=["Vote"])
    session.commit()
    assert built.as_json() == {
        "list": built.call_list.id,
        "contacts": 2,
        "excluded": {"no_basis": 3, "opposed": 2},
    }
    entries = session.scalars(select(CallEntry).where(CallEntry.list_id == built.call_list.id))
    bases = {entry.contact_id: entry.basis for entry in entries}
    assert bases == {world.consented.id: "consent", world.supporter.id: "legitimate_interest"}


def test_unknown_segment_and_wrong_batch_size_are_refused(session: Session) -> None:
    world = make_call_world(session)
    with pytest.raises(NotFound, match="segment « Inconnu » introuvable"):
        calls.create_call_list(session, world.ctx, segment="Inconnu")
    with pytest.raises(ReachError, match="taille de série 0"):
        calls.create_call_list(session, world.ctx, segment="all", batch_size=0)
    volunteer = as_user(world.ctx, world.volunteer, Role.volunteer)
    with pytest.raises(PermissionDenied):
        calls.create_call_list(session, volunteer, segment="all")


def test_opposed_outcome_is_in_the_ledger_at_once_and_later_lists_exclude(
    session: Session,
) -> None:
    world = make_call_world(session)
    first = calls.create_call_list(session, world.ctx, segment="À appeler")
    calls.record_outcome(
        session,
        world.ctx,
        list_id=first.call_list.id,
        contact_id=world.supporter.id,
        outcome="opposed",
    )
    session.commit()
    oppositions = session.scalars(
        select(Opposition).where(Opposition.contact_id == world.supporter.id)
    ).all()
    assert [(row.channel, row.source) for row in oppositions] == [
        ("phone", f"appel — liste « {first.call_list.name} » ({first.call_list.id})")
    ]
    assert not can_contact(session, world.ctx, world.supporter.id, "phone").allowed
    second = calls.create_call_list(session, world.ctx, segment="À appeler")
    assert second.as_json()["excluded"] == {"no_basis": 3, "opposed": 3}
    assert second.contacts == 1
    timeline = session.scalars(
        select(Interaction.summary).where(
            Interaction.contact_id == world.supporter.id, Interaction.kind == "call"
        )
    ).all()
    assert timeline == [f"appel : opposition (liste « {first.call_list.name} »)"]


def test_wrong_number_is_cleared_and_the_next_number_moves_up(session: Session) -> None:
    world = make_call_world(session)
    world.consented.other_phones = ["+33612345699"]
    built = calls.create_call_list(session, world.ctx, segment="all")
    calls.record_outcome(
        session,
        world.ctx,
        list_id=built.call_list.id,
        contact_id=world.consented.id,
        outcome="wrong_number",
    )
    calls.record_outcome(
        session,
        world.ctx,
        list_id=built.call_list.id,
        contact_id=world.supporter.id,
        outcome="wrong_number",
    )
    session.commit()
    session.expire_all()
    consented = session.get(Contact, world.consented.id)
    supporter = session.get(Contact, world.supporter.id)
    assert consented is not None
    assert supporter is not None
    assert (consented.phone, consented.other_phones) == ("+33612345699", [])
    assert supporter.phone is None


def test_calendar_refuses_to_open_the_list(session: Session) -> None:
    world = make_call_world(session, settings={})  # default hours: 9 h – 20 h, Monday–Saturday
    built = calls.create_call_list(session, world.ctx, segment="À appeler")
    volunteer = as_user(world.ctx, world.volunteer, Role.volunteer)
    list_id = built.call_list.id
    late = datetime(2030, 3, 13, 21, 30, tzinfo=UTC)  # 22:30 in Paris
    with pytest.raises(CalendarBlocked, match="hors des heures de contact") as hours:
        calls.take_batch(session, volunteer, list_id=list_id, now=late)
    assert hours.value.status == 423
    sunday = datetime(2030, 3, 17, 14, 0, tzinfo=UTC)
    with pytest.raises(CalendarBlocked, match="hors des heures de contact"):
        calls.take_batch(session, volunteer, list_id=list_id, now=sunday)
    world.campaign.election_date = date(2030, 3, 14)  # the vote is tomorrow: L49 silence
    with pytest.raises(CalendarBlocked, match="Code électoral L49") as silence:
        calls.take_batch(session, volunteer, list_id=list_id, now=WEDNESDAY_AFTERNOON)
    assert silence.value.loc == "Code électoral L49"
    world.campaign.election_date = date(2030, 6, 16)
    taken = calls.take_batch(session, volunteer, list_id=list_id, now=WEDNESDAY_AFTERNOON)
    assert {entry.contact_id for entry in taken} == {world.consented.id, world.supporter.id}


def test_batches_per_volunteer_and_rights_rechecked_when_handed_out(session: Session) -> None:
    world = make_call_world(session)
    built = calls.create_call_list(session, world.ctx, segment="À appeler", batch_size=1)
    list_id = built.call_list.id
    first = as_user(world.ctx, world.volunteer, Role.volunteer)
    second = as_user(world.ctx, world.other_volunteer, Role.volunteer)
    mine = calls.take_batch(session, first, list_id=list_id)
    assert [entry.contact_id for entry in mine] == [world.consented.id]
    assert calls.take_batch(session, first, list_id=list_id) == mine  # held, not topped up
    record_opposition(
        session, world.ctx, contact_id=world.supporter.id, channel="phone", source="courrier"
    )
    assert calls.take_batch(session, second, list_id=list_id) == []
    excluded = session.scalar(
        select(CallEntry).where(
            CallEntry.list_id == list_id, CallEntry.contact_id == world.supporter.id
        )
    )
    assert excluded is not None
    assert excluded.status == "excluded"
    assert excluded.note.startswith("opposition enregistrée")
    with pytest.raises(PermissionDenied, match="pas dans votre série"):
        calls.record_outcome(
            session, second, list_id=list_id, contact_id=world.consented.id, outcome="reached"
        )
    with pytest.raises(ReachError, match="date et l'heure du rappel"):
        calls.record_outcome(
            session, first, list_id=list_id, contact_id=world.consented.id, outcome="callback"
        )
    callback_at = datetime(2030, 3, 14, 17, 0, tzinfo=UTC)
    calls.record_outcome(
        session,
        first,
        list_id=list_id,
        contact_id=world.consented.id,
        outcome="callback",
        callback_at=callback_at,
    )
    held = calls.my_batch(session, first, list_id=list_id)
    assert [(entry.contact_id, entry.callback_at) for entry in held] == [
        (world.consented.id, callback_at)
    ]
    calls.record_outcome(
        session, first, list_id=list_id, contact_id=world.consented.id, outcome="reached"
    )
    assert calls.my_batch(session, first, list_id=list_id) == []


def test_progress_counts_outcomes_and_answers(session: Session) -> None:
    world = make_call_world(session)
    built = calls.create_call_list(
        session, world.ctx, segment="À appeler", questions=["Vote", "Réunion"]
    )
    list_id = built.call_list.id
    calls.record_outcome(
        session,
        world.ctx,
        list_id=list_id,
        contact_id=world.consented.id,
        outcome="reached",
        answers={"Vote": "oui", "Réunion": "non"},
    )
    calls.record_outcome(
        session, world.ctx, list_id=list_id, contact_id=world.supporter.id, outcome="voicemail"
    )
    with pytest.raises(ReachError, match="question inconnue « Âge »"):
        calls.record_outcome(
            session,
            world.ctx,
            list_id=list_id,
            contact_id=world.supporter.id,
            outcome="reached",
            answers={"Âge": "40"},
        )
    result = calls.progress(session, world.ctx, list_id=list_id)
    assert result.as_json(built.call_list) == {
        "list": list_id,
        "name": "Appels — À appeler",
        "total": 2,
        "called": 2,
        "reached": 1,
        "remaining": 0,
        "reach_rate": 0.5,
        "by_status": {"done": 2},
        "by_outcome": {"reached": 1, "voicemail": 1},
        "answers": {"Vote": {"oui": 1}, "Réunion": {"non": 1}},
    }


def test_other_campaign_sees_nothing(session: Session) -> None:
    world = make_call_world(session)
    built = calls.create_call_list(session, world.ctx, segment="all")
    session.commit()
    from circo.core.models import Campaign

    other = session.scalar(select(Campaign).where(Campaign.slug == "camp-b"))
    assert other is not None
    other_ctx = system_context(other)
    assert calls.list_call_lists(session, other_ctx) == []
    with pytest.raises(NotFound):
        calls.get_call_list(session, other_ctx, built.call_list.id)
    with pytest.raises(NotFound):
        calls.record_outcome(
            session,
            other_ctx,
            list_id=built.call_list.id,
            contact_id=world.consented.id,
            outcome="opposed",
        )


def test_merge_keeps_one_entry_per_list_and_erase_removes_calls(session: Session) -> None:
    world = make_call_world(session)
    both = calls.create_call_list(session, world.ctx, segment="À appeler")
    personal = registry().personal_data["reach"]
    assert personal.merge is not None
    assert personal.erase is not None
    personal.merge(session, world.ctx, world.consented.id, world.supporter.id)
    rows = session.scalars(select(CallEntry).where(CallEntry.list_id == both.call_list.id)).all()
    assert [row.contact_id for row in rows] == [world.consented.id]
    from circo.core.personal import Identity

    assert personal.erase(session, world.ctx, Identity(contact_ids=[world.consented.id])) == {
        "reach_call_entries": 1,
        "reach_form_submissions": 0,
        "reach_text_entries": 0,
        "reach_text_messages": 0,
    }


def test_script_comes_from_the_message_matrix_when_none_is_typed(session: Session) -> None:
    """No script typed: the programme point the matrix gives the segment, its summary and its
    knowledge-base passages quoted verbatim with their source; a passage of another campaign
    is never quoted; a typed script wins; no point for the segment, no script."""
    from circo.assistant.models import Passage
    from circo.assistant.service import DocumentMeta, add_bytes
    from circo.core.models import Campaign
    from circo.messaging.service.matrix import add_point, set_cell

    world = make_call_world(session)
    text = (
        "# Programme\n\nNous ouvrirons trois crèches municipales avant 2028, "
        "financées par le budget de la ville.\n"
    )
    add_bytes(
        session,
        world.ctx,
        data=text.encode(),
        name="programme.md",
        source="programme.md",
        meta=DocumentMeta(title="Programme municipal"),
    )
    other = system_context(session.scalars(select(Campaign).where(Campaign.slug == "camp-b")).one())
    add_bytes(
        session,
        other,
        data=b"# Autre\n\nTexte secret d'une autre campagne sur les creches.\n",
        name="autre.md",
        source="autre.md",
        meta=DocumentMeta(title="Autre campagne"),
    )
    mine = session.scalars(select(Passage).where(Passage.campaign_id == world.campaign.id)).all()
    theirs = session.scalars(select(Passage).where(Passage.campaign_id != world.campaign.id)).all()
    point = add_point(
        session,
        world.ctx,
        title="Petite enfance",
        summary="Des places en crèche pour chaque famille.",
        passage_ids=[p.id for p in mine] + [p.id for p in theirs],
    )
    set_cell(session, world.ctx, segment="À appeler", point_id=point.id, on=True)
    built = calls.create_call_list(session, world.ctx, segment="À appeler")
    script = built.call_list.script
    assert script.startswith("Point du programme (matrice des messages) : Petite enfance")
    assert "Des places en crèche pour chaque famille." in script
    assert "trois crèches municipales avant 2028" in script
    assert "(Programme municipal)" in script
    assert "secret" not in script
    assert "Autre campagne" not in script
    typed = calls.create_call_list(session, world.ctx, segment="À appeler", script="Mon texte")
    assert typed.call_list.script == "Mon texte"
    nothing = calls.create_call_list(session, world.ctx, segment="all")
    assert nothing.call_list.script == ""
