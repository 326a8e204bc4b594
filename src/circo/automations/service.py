"""Creating and reading automations (the rules; running them is `circo.automations.engine`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.automations.errors import AutomationError, NotFound
from circo.automations.models import (
    Automation,
    AutomationStep,
    Enrolment,
    RunStatus,
    StepAction,
    StepRun,
    TriggerKind,
)
from circo.automations.schemas import AutomationIn, StepIn
from circo.config import Settings
from circo.core.models import Membership, Role, User
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.db import utcnow

MANAGERS = (Role.admin, Role.data, Role.comms, Role.organiser)
ORGANISER_ROLES = (Role.admin.value, Role.organiser.value, Role.data.value)


@dataclass(frozen=True)
class Created:
    automation: Automation
    steps: list[AutomationStep]
    baseline: int


def _trigger_target(session: Session, ctx: CampaignContext, data: AutomationIn) -> dict[str, Any]:
    if data.trigger == TriggerKind.segment:
        from circo.crm.segments import resolve_segment

        name = " ".join(data.segment.split())
        if not name:
            raise AutomationError("segment requis (ex. « Sympathisants »)", loc="segment")
        resolve_segment(session, ctx, name)  # refuses an unknown segment, naming it
        return {"segment_name": name}
    if data.trigger == TriggerKind.form:
        from circo.reach.models import PublicForm

        form = session.scalar(
            ctx.scoped(select(PublicForm), PublicForm).where(PublicForm.id == (data.form_id or 0))
        )
        if form is None:
            raise NotFound(f"formulaire n° {data.form_id} introuvable", loc="formulaire")
        return {"form_id": form.id}
    from circo.crm.events import get_event

    if data.event_id is None:
        raise AutomationError("événement requis (son numéro)", loc="événement")
    return {"event_id": get_event(session, ctx, data.event_id).id}


def _organiser(session: Session, ctx: CampaignContext, email: str, loc: str) -> int:
    row = session.execute(
        select(User.id, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(func.lower(User.email) == email.strip().lower(), campaign_filter(Membership, ctx))
    ).first()
    if row is None or row[1] not in ORGANISER_ROLES:
        raise AutomationError(
            f"« {email} » n'est pas organisateur·rice de la campagne (attendu l'e-mail d'un "
            "membre organisateur, données ou administrateur)",
            loc=loc,
        )
    return int(row[0])


def _step(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    automation: Automation,
    index: int,
    data: StepIn,
) -> AutomationStep:
    loc = f"étape {index + 1}"
    step = AutomationStep(
        campaign_id=ctx.campaign_id,
        automation_id=automation.id,
        position=index,
        action=data.action,
        delay_days=data.delay_days,
    )
    if data.action == StepAction.send_message:
        from circo.messaging.service.single import create_single_message

        try:
            message = create_single_message(
                session, ctx, settings, channel=data.channel, subject=data.subject,
                body=data.body, key=f"automation:{automation.id}:{index}",
            )  # fmt: skip
        except AutomationError:
            raise
        except Exception as exc:
            message_text = getattr(exc, "message", str(exc))
            raise AutomationError(f"{loc} : {message_text}", loc=loc) from None
        step.message_id = message.id
        step.channel = data.channel
    elif data.action == StepAction.add_tag:
        tag = " ".join(data.tag.split())
        if not tag:
            raise AutomationError(f"{loc} : étiquette requise (ex. « bienvenue »)", loc=loc)
        step.tag = tag
    else:
        step.organiser_user_id = _organiser(session, ctx, data.organiser, loc)
    session.add(step)
    return step


def create_automation(
    session: Session, ctx: CampaignContext, settings: Settings, *, data: AutomationIn
) -> Created:
    """Create the automation and its steps. For a segment trigger the current members are
    recorded as already there (they did not *join*): only people who join later get the steps."""
    ctx.require(*MANAGERS)
    name = " ".join(data.name.split())
    if not name:
        raise AutomationError("nom requis (ex. « Série de bienvenue »)", loc="nom")
    taken = session.scalar(
        ctx.scoped(select(Automation.id), Automation).where(Automation.name == name)
    )
    if taken is not None:
        raise AutomationError(f"une automatisation s'appelle déjà « {name} »", loc="nom")
    automation = Automation(
        campaign_id=ctx.campaign_id,
        name=name[:200],
        trigger=data.trigger,
        created_by=ctx.actor.email,
        **_trigger_target(session, ctx, data),
    )
    session.add(automation)
    session.flush()
    steps = [
        _step(session, ctx, settings, automation, index, step)
        for index, step in enumerate(data.steps)
    ]
    session.flush()
    baseline = 0
    if automation.trigger == TriggerKind.segment:
        from circo.automations.engine import record_baseline

        baseline = record_baseline(session, ctx, automation=automation, now=utcnow())
    return Created(automation, steps, baseline)


def list_automations(session: Session, ctx: CampaignContext) -> list[Automation]:
    query = ctx.scoped(select(Automation), Automation).order_by(Automation.id)
    return list(session.scalars(query))


def get_automation(session: Session, ctx: CampaignContext, automation_id: int) -> Automation:
    found = session.scalar(
        ctx.scoped(select(Automation), Automation).where(Automation.id == automation_id)
    )
    if found is None:
        raise NotFound(f"automatisation n° {automation_id} introuvable", loc="automatisation")
    return found


def steps_of(session: Session, automation_ids: list[int]) -> dict[int, list[AutomationStep]]:
    found: dict[int, list[AutomationStep]] = {key: [] for key in automation_ids}
    query = (
        select(AutomationStep)
        .where(AutomationStep.automation_id.in_(automation_ids))
        .order_by(AutomationStep.automation_id, AutomationStep.position)
    )
    for step in session.scalars(query):
        found[step.automation_id].append(step)
    return found


def run_counts(session: Session, ctx: CampaignContext) -> dict[int, dict[str, int]]:
    """Per automation: contacts enrolled and runs per status."""
    counts: dict[int, dict[str, int]] = {}
    for automation_id, status, count in session.execute(
        select(StepRun.automation_id, StepRun.status, func.count())
        .where(campaign_filter(StepRun, ctx))
        .group_by(StepRun.automation_id, StepRun.status)
    ):
        counts.setdefault(int(automation_id), {})[str(status)] = int(count)
    for automation_id, count in session.execute(
        select(Enrolment.automation_id, func.count())
        .where(campaign_filter(Enrolment, ctx), Enrolment.baseline.is_(False))
        .group_by(Enrolment.automation_id)
    ):
        counts.setdefault(int(automation_id), {})["enrolled"] = int(count)
    return counts


def run_log(
    session: Session,
    ctx: CampaignContext,
    *,
    automation_id: int | None = None,
    contact_id: int | None = None,
    limit: int = 500,
) -> list[tuple[StepRun, AutomationStep, Automation]]:
    """The run log: each planned or run step, newest first (of an automation or a contact)."""
    query = (
        select(StepRun, AutomationStep, Automation)
        .join(AutomationStep, AutomationStep.id == StepRun.step_id)
        .join(Automation, Automation.id == StepRun.automation_id)
        .where(campaign_filter(StepRun, ctx))
    )
    if automation_id is not None:
        query = query.where(StepRun.automation_id == automation_id)
    if contact_id is not None:
        query = query.where(StepRun.contact_id == contact_id)
    query = query.order_by(StepRun.due_at.desc(), StepRun.id.desc()).limit(limit)
    return [(row[0], row[1], row[2]) for row in session.execute(query)]


def pending_count(session: Session, ctx: CampaignContext) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                campaign_filter(StepRun, ctx), StepRun.status == RunStatus.scheduled
            )
        )
        or 0
    )
