"""Automations on SQLite and PostgreSQL: triggers fired where the event happens, each step run
once per person, the calendar and the person's consent checked when the step runs."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.automations import engine
from circo.automations.errors import AutomationError
from circo.automations.models import Enrolment, OrganiserAssignment, StepRun
from circo.automations.schemas import AutomationIn, StepIn
from circo.automations.service import create_automation, run_log
from circo.config import Settings
from circo.core import jobs
from circo.core.models import Job
from circo.crm.contacts import add_tags, create_contact, tags_of
from circo.crm.events import check_in, create_event
from circo.crm.schemas import ContactCreate, EventCreate, SegmentFilter
from circo.crm.segments import create_segment
from circo.db import utcnow
from circo.messaging.models import Delivery
from circo.privacy.consent import record_opposition
from circo.reach.forms import confirm, create_form, submit
from circo.runtime import Runtime
from tests.automations.conftest import AutoWorld, make_auto_world

WELCOME = [
    StepIn(action="send_message", delay_days=0, subject="Bienvenue {{ prenom }}", body="Merci !"),
    StepIn(action="add_tag", delay_days=3, tag="bienvenue"),
]


def _form_automation(session: Session, world: AutoWorld, settings: Settings) -> tuple[int, str]:
    form = create_form(session, world.ctx, kind="signup", name="Rejoindre")
    created = create_automation(
        session,
        world.ctx,
        settings,
        data=AutomationIn(name="Bienvenue", trigger="form", form_id=form.id, steps=WELCOME),
    )
    return created.automation.id, form.public_id


def _sign(session: Session, settings: Settings, public_id: str, email: str) -> int:
    """Submit and confirm the public form (the confirmation token read from the mail)."""
    from circo.core.models import OutgoingMail

    submit(
        session, settings, public_id=public_id,
        fields={"email": email, "first_name": "Zoé", "consent": "yes"},
    )  # fmt: skip
    text = session.scalars(select(OutgoingMail.text).where(OutgoingMail.email == email)).all()[-1]
    token = text.split("/confirm/", 1)[1].split()[0]
    submission = confirm(session, public_id=public_id, token=token, settings=settings)
    assert submission.contact_id is not None
    return submission.contact_id


def _tags(session: Session, world: AutoWorld, contact_id: int) -> list[str]:
    return tags_of(session, world.ctx, contact_ids=[contact_id]).get(contact_id, [])


def _deliveries(session: Session, contact_id: int) -> int:
    return int(session.scalar(select(func.count()).where(Delivery.contact_id == contact_id)) or 0)


def test_signing_a_form_runs_the_welcome_series_once(session: Session, settings: Settings) -> None:
    world = make_auto_world(session)
    automation_id, public_id = _form_automation(session, world, settings)
    contact_id = _sign(session, settings, public_id, "zoe@example.org")
    runs = session.scalars(select(StepRun).where(StepRun.contact_id == contact_id)).all()
    assert len(runs) == 2
    assert {run.status for run in runs} == {"scheduled"}

    now = utcnow()
    first = engine.run_due(session, world.ctx, now=now)
    assert (first.done, first.skipped, first.paused) == (1, 0, 0)
    assert _deliveries(session, contact_id) == 1  # the form's consent is the basis
    delivery = session.scalar(select(Delivery).where(Delivery.contact_id == contact_id))
    assert delivery is not None
    assert delivery.basis == "consent"
    assert "bienvenue" not in _tags(session, world, contact_id)

    later = engine.run_due(session, world.ctx, now=now + timedelta(days=3, minutes=1))
    assert later.done == 1
    assert "bienvenue" in _tags(session, world, contact_id)

    # the trigger again (a second confirmation, the same form signed twice), the job again
    assert engine.fire(
        session, world.ctx, trigger="form", target_id=_form_id(session, public_id),
        contact_id=contact_id, reason="encore",
    ) == 0  # fmt: skip
    again = engine.run_due(session, world.ctx, now=now + timedelta(days=30))
    assert (again.done, again.skipped) == (0, 0)
    assert _deliveries(session, contact_id) == 1
    statuses = [run.status for run, _step, _a in run_log(session, world.ctx, contact_id=contact_id)]
    assert statuses == ["done", "done"]
    assert session.scalar(select(func.count()).select_from(Enrolment)) == 1
    assert automation_id


def _form_id(session: Session, public_id: str) -> int:
    from circo.reach.models import PublicForm

    found = session.scalar(select(PublicForm.id).where(PublicForm.public_id == public_id))
    assert found is not None
    return found


def test_consent_is_checked_when_the_step_runs(session: Session, settings: Settings) -> None:
    world = make_auto_world(session)
    automation_id, public_id = _form_automation(session, world, settings)
    contact_id = _sign(session, settings, public_id, "yann@example.org")
    # consent was there when the step was planned; the person objects before it runs
    record_opposition(session, world.ctx, contact_id=contact_id, channel="email", source="test")
    result = engine.run_due(session, world.ctx, now=utcnow())
    assert (result.done, result.skipped) == (0, 1)
    assert _deliveries(session, contact_id) == 0
    run = session.scalar(
        select(StepRun).where(StepRun.contact_id == contact_id, StepRun.status == "skipped")
    )
    assert run is not None
    assert run.outcome.startswith("non envoyé : ")
    assert "opposition" in run.outcome
    assert automation_id


def test_paused_on_the_eve_of_the_vote_then_resumed(session: Session, settings: Settings) -> None:
    world = make_auto_world(session)
    zone = ZoneInfo(world.campaign.timezone)
    vote_day = (utcnow().astimezone(zone) + timedelta(days=1)).date()
    world.campaign.election_date = vote_day  # today is the eve: L49
    _automation_id, public_id = _form_automation(session, world, settings)
    contact_id = _sign(session, settings, public_id, "lea@example.org")

    now = utcnow()
    paused = engine.run_due(session, world.ctx, now=now)
    assert (paused.done, paused.paused) == (0, 1)
    assert _deliveries(session, contact_id) == 0
    run = session.scalar(
        select(StepRun).where(StepRun.contact_id == contact_id).order_by(StepRun.id).limit(1)
    )
    assert run is not None
    polls_close = datetime.combine(vote_day, time(20, 0), zone)
    assert run.status == "scheduled"
    assert run.due_at == polls_close
    assert run.outcome.startswith("en pause : ")
    assert "L49" in run.outcome

    assert engine.run_due(session, world.ctx, now=polls_close - timedelta(minutes=1)).done == 0
    resumed = engine.run_due(session, world.ctx, now=polls_close + timedelta(minutes=1))
    assert resumed.done == 1
    assert _deliveries(session, contact_id) == 1


def test_segment_event_and_assignment_triggers(session: Session, settings: Settings) -> None:
    world = make_auto_world(session)
    create_segment(session, world.ctx, name="Militants", filters=SegmentFilter(tags=["militant"]))
    add_tags(session, world.ctx, contact_ids=[world.plain.id], names=["militant"])
    created = create_automation(
        session,
        world.ctx,
        settings,
        data=AutomationIn(
            name="Accueil militants",
            trigger="segment",
            segment="Militants",
            steps=[StepIn(action="assign", organiser="orga-a@example.org")],
        ),
    )
    assert created.baseline == 1  # already in the segment: not "joined"
    assert engine.run_due(session, world.ctx).enrolled == 0
    add_tags(session, world.ctx, contact_ids=[world.consented.id], names=["militant"])
    joined = engine.run_due(session, world.ctx)
    assert (joined.enrolled, joined.done) == (1, 1)
    assignment = session.scalar(select(OrganiserAssignment))
    assert assignment is not None
    assert (assignment.contact_id, assignment.user_id) == (world.consented.id, world.organiser.id)

    event = create_event(
        session, world.ctx,
        data=EventCreate(title="Réunion publique", starts_at=utcnow() + timedelta(days=2)),
    )  # fmt: skip
    create_automation(
        session,
        world.ctx,
        settings,
        data=AutomationIn(
            name="Après la réunion", trigger="event", event_id=event.id,
            steps=[StepIn(action="add_tag", delay_days=0, tag="venu")],
        ),
    )  # fmt: skip
    walk_in = create_contact(
        session, world.ctx, data=ContactCreate(first_name="Chloé", last_name="Test")
    )
    check_in(session, world.ctx, event_id=event.id, contact_id=walk_in.id)
    check_in(session, world.ctx, event_id=event.id, contact_id=walk_in.id)  # twice: one entry
    assert engine.run_due(session, world.ctx).done == 1
    assert "venu" in _tags(session, world, walk_in.id)


def test_refusals_name_the_field(session: Session, settings: Settings) -> None:
    world = make_auto_world(session)
    with pytest.raises(AutomationError, match="n'est pas organisateur"):
        create_automation(
            session, world.ctx, settings,
            data=AutomationIn(
                name="X", trigger="segment", segment="all",
                steps=[StepIn(action="assign", organiser="volunteer-a@example.org")],
            ),
        )  # fmt: skip
    with pytest.raises(AutomationError, match="étape 1"):
        create_automation(
            session, world.ctx, settings,
            data=AutomationIn(
                name="Y", trigger="segment", segment="all",
                steps=[StepIn(action="send_message", subject="", body="Bonjour")],
            ),
        )  # fmt: skip


def test_the_periodic_job_evaluates_segments_and_plans_the_next_tick(
    session: Session, settings: Settings, runtime: Runtime
) -> None:
    world = make_auto_world(session)
    create_segment(session, world.ctx, name="Jeunes", filters=SegmentFilter(tags=["jeune"]))
    create_automation(
        session, world.ctx, settings,
        data=AutomationIn(
            name="Jeunes", trigger="segment", segment="Jeunes",
            steps=[StepIn(action="add_tag", tag="accueilli")],
        ),
    )  # fmt: skip
    add_tags(session, world.ctx, contact_ids=[world.plain.id], names=["jeune"])
    first = jobs.enqueue(session, kind=engine.TICK_JOB, payload={"repeat": True})
    session.commit()
    assert jobs.run_pending(runtime.factory, settings, kinds={engine.TICK_JOB}) == 1
    session.expire_all()
    done = session.get(Job, first.id)
    assert done is not None
    assert done.result == {
        "campaigns": {"camp-a": {"enrolled": 1, "done": 1, "skipped": 0, "paused": 0}}
    }
    assert "accueilli" in _tags(session, world, world.plain.id)
    following = session.scalars(
        select(Job).where(Job.kind == engine.TICK_JOB, Job.status == "queued")
    ).all()
    assert len(following) == 1  # the next tick, a period ahead
    assert following[0].run_after > utcnow() + timedelta(seconds=engine.TICK_SECONDS - 60)
