"""Running automations: enrolling contacts when their trigger fires, running the due steps.

- **Triggers are explicit.** The code where the event happens calls `fire` (form confirmation:
  `circo.reach.forms.confirm`; RSVP yes and check-in: `circo.crm.events`); segment membership is
  evaluated by the periodic job (`tick_job`, every `TICK_SECONDS`), which compares the members
  with the enrolments.
- **Once per person.** An enrolment is unique per (automation, contact) and a step run per
  (step, contact): a trigger fired twice, two workers or a job run again never run a step twice
  (the rows are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has one writer).
- **Checked when it runs, not when planned.** Before each step: the election calendar through
  messaging's rule (`circo.messaging.service.sending_decision`: L49 blackout, SMS hours) — a
  blocked step is *paused* (its due date moved to the end of the blackout, resumed then); then,
  for a message, the person's consent or legal basis for the channel (messaging's
  `send_to_contact`, which the send job checks once more before handing over) — refused, the
  step is *skipped* with the reason.
"""

from __future__ import annotations

import time as clock
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from circo.automations.models import (
    Automation,
    AutomationStep,
    Enrolment,
    OrganiserAssignment,
    RunStatus,
    StepAction,
    StepRun,
    TriggerKind,
)
from circo.automations.schemas import RunDue
from circo.config import Settings
from circo.core import jobs
from circo.core.models import Campaign, Job, User
from circo.core.tenancy import CampaignContext, campaign_filter, system_context
from circo.db import utcnow

TICK_JOB = "automations.tick"
TICK_SECONDS = 300
HOURS_RETRY = timedelta(hours=1)
BATCH = 500


def _insert_enrolment(session: Session, row: Enrolment) -> bool:
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def enrol(
    session: Session,
    ctx: CampaignContext,
    *,
    automation: Automation,
    contact_id: int,
    reason: str,
    now: datetime,
) -> bool:
    """Enter the contact in the automation and plan its steps (False: already in)."""
    entered = _insert_enrolment(
        session,
        Enrolment(
            campaign_id=ctx.campaign_id,
            automation_id=automation.id,
            contact_id=contact_id,
            reason=reason[:300],
            enrolled_at=now,
        ),
    )
    if not entered:
        return False
    steps = session.scalars(
        select(AutomationStep)
        .where(AutomationStep.automation_id == automation.id)
        .order_by(AutomationStep.position)
    )
    for step in steps:
        session.add(
            StepRun(
                campaign_id=ctx.campaign_id,
                automation_id=automation.id,
                step_id=step.id,
                contact_id=contact_id,
                status=RunStatus.scheduled,
                due_at=now + timedelta(days=step.delay_days),
            )
        )
    session.flush()
    return True


def fire(
    session: Session,
    ctx: CampaignContext,
    *,
    trigger: TriggerKind,
    target_id: int,
    contact_id: int,
    reason: str,
    now: datetime | None = None,
) -> int:
    """A trigger happened for a contact (form ``target_id`` confirmed, event ``target_id``
    attended): enrol them in the active automations it starts. Returns how many."""
    column = Automation.form_id if trigger == TriggerKind.form else Automation.event_id
    automations = session.scalars(
        ctx.scoped(select(Automation), Automation).where(
            Automation.trigger == trigger, column == target_id, Automation.active.is_(True)
        )
    )
    moment = now or utcnow()
    return sum(
        enrol(session, ctx, automation=automation, contact_id=contact_id, reason=reason, now=moment)
        for automation in list(automations)
    )


def _enrolled_ids(session: Session, automation_id: int) -> set[int]:
    return set(
        session.scalars(
            select(Enrolment.contact_id).where(Enrolment.automation_id == automation_id)
        )
    )


def record_baseline(
    session: Session, ctx: CampaignContext, *, automation: Automation, now: datetime
) -> int:
    """The segment's members when the automation is created: recorded, not enrolled."""
    from circo.messaging.directory import segment_member_ids

    members = segment_member_ids(session, ctx, automation.segment_name or "")
    for contact_id in members:
        session.add(
            Enrolment(
                campaign_id=ctx.campaign_id,
                automation_id=automation.id,
                contact_id=contact_id,
                reason="déjà dans le segment à la création",
                baseline=True,
                enrolled_at=now,
            )
        )
    session.flush()
    return len(members)


def evaluate_segments(session: Session, ctx: CampaignContext, *, now: datetime) -> int:
    """Enrol the contacts who joined a segment of an active automation since the last look."""
    from circo.messaging.directory import segment_member_ids

    automations = session.scalars(
        ctx.scoped(select(Automation), Automation).where(
            Automation.trigger == TriggerKind.segment, Automation.active.is_(True)
        )
    )
    enrolled = 0
    for automation in list(automations):
        members = segment_member_ids(session, ctx, automation.segment_name or "")
        known = _enrolled_ids(session, automation.id)
        reason = f"entré·e dans le segment « {automation.segment_name} »"
        for contact_id in members:
            if contact_id not in known:
                enrolled += enrol(
                    session, ctx, automation=automation, contact_id=contact_id,
                    reason=reason, now=now,
                )  # fmt: skip
    return enrolled


def _pause(run: StepRun, until: datetime | None, reason: str, now: datetime) -> str:
    run.due_at = until if until is not None and until > now else now + HOURS_RETRY
    run.paused += 1
    run.outcome = f"en pause : {reason}"
    return "paused"


def _finish(run: StepRun, status: RunStatus, outcome: str, now: datetime, **details: Any) -> str:
    run.status = status
    run.ran_at = now
    run.outcome = outcome
    run.details = {key: value for key, value in details.items() if value is not None}
    return str(status)


def _send(
    session: Session, ctx: CampaignContext, run: StepRun, step: AutomationStep, now: datetime
) -> str:
    from circo.messaging.errors import MessageNotFound
    from circo.messaging.service import get_message
    from circo.messaging.service.single import send_to_contact

    try:
        message = get_message(session, ctx, step.message_id or 0)
    except MessageNotFound:
        return _finish(run, RunStatus.skipped, "message supprimé", now)
    sent = send_to_contact(session, ctx, message=message, contact_id=run.contact_id, moment=now)
    if not sent.allowed:
        return _finish(
            run, RunStatus.skipped, f"non envoyé : {sent.reason}", now,
            category=sent.category, delivery_id=sent.delivery_id,
        )  # fmt: skip
    return _finish(
        run, RunStatus.done, f"message n° {message.id} mis en envoi ({sent.reason})", now,
        basis=sent.basis, delivery_id=sent.delivery_id, message_id=message.id,
    )  # fmt: skip


def _assign(
    session: Session,
    ctx: CampaignContext,
    run: StepRun,
    step: AutomationStep,
    automation: Automation,
    now: datetime,
) -> str:
    from circo.crm.timeline import add_interaction

    user = session.get(User, step.organiser_user_id) if step.organiser_user_id else None
    if user is None:
        return _finish(run, RunStatus.skipped, "organisateur·rice supprimé·e", now)
    exists = session.scalar(
        select(OrganiserAssignment.id).where(
            OrganiserAssignment.contact_id == run.contact_id,
            OrganiserAssignment.user_id == user.id,
        )
    )
    if exists is None:
        session.add(
            OrganiserAssignment(
                campaign_id=ctx.campaign_id, contact_id=run.contact_id, user_id=user.id,
                automation_id=automation.id, assigned_at=now,
            )
        )  # fmt: skip
        add_interaction(
            session, ctx, contact_id=run.contact_id, kind="note",
            summary=f"confié·e à {user.email} (automatisation « {automation.name} »)",
        )  # fmt: skip
    return _finish(run, RunStatus.done, f"confié·e à {user.email}", now, user_id=user.id)


def run_step(
    session: Session,
    ctx: CampaignContext,
    *,
    run: StepRun,
    step: AutomationStep,
    automation: Automation,
    now: datetime,
) -> str:
    """Run one due step for one contact: "done", "skipped" or "paused"."""
    from circo.crm.contacts import visible_contacts
    from circo.crm.models import Contact
    from circo.messaging.service import sending_decision

    channel = step.channel if step.action == StepAction.send_message else "message"
    decision = sending_decision(ctx, channel or "email", now)
    if not decision.allowed:
        return _pause(run, decision.until, decision.reason, now)
    alive = session.scalar(visible_contacts(session, ctx).where(Contact.id == run.contact_id))
    if alive is None:
        return _finish(run, RunStatus.skipped, "contact introuvable", now)
    if step.action == StepAction.send_message:
        return _send(session, ctx, run, step, now)
    if step.action == StepAction.add_tag:
        from circo.crm.contacts import add_tags

        add_tags(session, ctx, contact_ids=[run.contact_id], names=[step.tag or ""])
        return _finish(run, RunStatus.done, f"étiquette « {step.tag} » ajoutée", now)
    return _assign(session, ctx, run, step, automation, now)


def run_due(
    session: Session, ctx: CampaignContext, *, now: datetime | None = None, limit: int = BATCH
) -> RunDue:
    """Evaluate the segment triggers, then run the steps due at ``now`` (flushes; the caller
    commits, the step effects with the "done" marks)."""
    moment = now or utcnow()
    enrolled = evaluate_segments(session, ctx, now=moment)
    rows = session.execute(
        select(StepRun, AutomationStep, Automation)
        .join(AutomationStep, AutomationStep.id == StepRun.step_id)
        .join(Automation, Automation.id == StepRun.automation_id)
        .where(
            campaign_filter(StepRun, ctx),
            StepRun.status == RunStatus.scheduled,
            StepRun.due_at <= moment,
            Automation.active.is_(True),
        )
        .order_by(StepRun.due_at, StepRun.id)
        .limit(limit)
        .with_for_update(of=StepRun, skip_locked=True)
    ).all()
    tally = {"done": 0, "skipped": 0, "paused": 0}
    for run, step, automation in rows:
        outcome = run_step(session, ctx, run=run, step=step, automation=automation, now=moment)
        tally[outcome] += 1
    session.flush()
    return RunDue(enrolled=enrolled, **tally)


def ensure_tick_scheduled(session: Session) -> Job:
    """Queue the next periodic run, `TICK_SECONDS` from now (one per slot of that length:
    a worker started twice, or started while a tick is planned, queues nothing more)."""
    slot = int((clock.time() + TICK_SECONDS) // TICK_SECONDS)
    return jobs.enqueue(
        session,
        kind=TICK_JOB,
        payload={"repeat": True},
        idempotency_key=f"{TICK_JOB}:{slot}",
        delay_seconds=TICK_SECONDS,
    )


def tick_job(session: Session, settings: Settings, job: Job) -> dict[str, Any]:
    """Every campaign with an active automation: segment triggers, then the due steps (one
    short transaction per campaign); then the next tick is queued."""
    campaign_ids = sorted(
        set(session.scalars(select(Automation.campaign_id).where(Automation.active.is_(True))))
    )
    campaigns = [session.get(Campaign, campaign_id) for campaign_id in campaign_ids]
    session.commit()
    totals: dict[str, Any] = {}
    for campaign in campaigns:
        if campaign is None:
            continue
        result = run_due(session, system_context(campaign))
        totals[campaign.slug] = result.model_dump()
        session.commit()
    if job.payload.get("repeat", False):
        ensure_tick_scheduled(session)
    return {"campaigns": totals}
