"""What the automations domain holds about a person: the automations they entered, the run log
of each step for them, the organiser they were given to, and the kind's own answers of their
public form submissions (access, erasure, merge; see `circo.core.personal`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from circo.automations.models import (
    Automation,
    AutomationStep,
    Enrolment,
    FormAnswers,
    OrganiserAssignment,
    StepRun,
)
from circo.core.personal import (
    Identity,
    PersonalData,
    TableRule,
    delete_rows,
    move_rows,
    plain_row,
)
from circo.core.tenancy import CampaignContext, campaign_filter


def _answers_query(ctx: CampaignContext, identity: Identity) -> Any:
    from circo.reach.models import FormSubmission

    clauses: list[Any] = []
    if identity.contact_ids:
        clauses.append(FormSubmission.contact_id.in_(identity.contact_ids))
    if identity.emails:
        clauses.append(FormSubmission.email.in_(sorted(identity.emails)))
    if not clauses:
        return None
    return select(FormSubmission.id).where(campaign_filter(FormSubmission, ctx), or_(*clauses))


def access(
    session: Session, ctx: CampaignContext, identity: Identity, export: dict[str, Any]
) -> None:
    submissions = _answers_query(ctx, identity)
    export["automation_form_answers"] = (
        []
        if submissions is None
        else [
            plain_row(row, exclude=("campaign_id",))
            for row in session.scalars(
                select(FormAnswers)
                .where(
                    campaign_filter(FormAnswers, ctx), FormAnswers.submission_id.in_(submissions)
                )
                .order_by(FormAnswers.submission_id)
            )
        ]
    )
    ids = identity.contact_ids
    if not ids:
        export["automation_enrolments"] = []
        export["automation_runs"] = []
        export["automation_assignments"] = []
        return
    export["automation_enrolments"] = [
        {**plain_row(row, exclude=("campaign_id",)), "automation": name}
        for row, name in session.execute(
            select(Enrolment, Automation.name)
            .join(Automation, Automation.id == Enrolment.automation_id)
            .where(campaign_filter(Enrolment, ctx), Enrolment.contact_id.in_(ids))
            .order_by(Enrolment.id)
        )
    ]
    export["automation_runs"] = [
        {
            **plain_row(run, exclude=("campaign_id",)),
            "automation": name,
            "action": str(action),
            "delay_days": delay,
        }
        for run, name, action, delay in session.execute(
            select(StepRun, Automation.name, AutomationStep.action, AutomationStep.delay_days)
            .join(Automation, Automation.id == StepRun.automation_id)
            .join(AutomationStep, AutomationStep.id == StepRun.step_id)
            .where(campaign_filter(StepRun, ctx), StepRun.contact_id.in_(ids))
            .order_by(StepRun.id)
        )
    ]
    export["automation_assignments"] = [
        plain_row(row, exclude=("campaign_id",))
        for row in session.scalars(
            select(OrganiserAssignment)
            .where(
                campaign_filter(OrganiserAssignment, ctx),
                OrganiserAssignment.contact_id.in_(ids),
            )
            .order_by(OrganiserAssignment.id)
        )
    ]


def erase(session: Session, ctx: CampaignContext, identity: Identity) -> dict[str, int]:
    answers = 0
    submissions = _answers_query(ctx, identity)
    if submissions is not None:
        result = session.execute(
            delete(FormAnswers).where(
                campaign_filter(FormAnswers, ctx), FormAnswers.submission_id.in_(submissions)
            )
        )
        answers = int(result.rowcount or 0)  # type: ignore[attr-defined]
    ids = identity.contact_ids
    counts = {
        "auto_step_runs": delete_rows(session, ctx, StepRun, ids),
        "auto_enrolments": delete_rows(session, ctx, Enrolment, ids),
        "auto_assignments": delete_rows(session, ctx, OrganiserAssignment, ids),
        "auto_form_answers": answers,
    }
    session.flush()
    return counts


def merge(session: Session, ctx: CampaignContext, kept_id: int, merged_id: int) -> None:
    """The merged contact's rows follow the kept one; where both are in the same automation
    (or have the same step, the same organiser), the kept contact's row stays: a step never
    runs twice for the merged person."""
    move_rows(session, ctx, Enrolment, kept_id, merged_id, unique_with=("automation_id",))
    move_rows(session, ctx, StepRun, kept_id, merged_id, unique_with=("step_id",))
    move_rows(session, ctx, OrganiserAssignment, kept_id, merged_id, unique_with=("user_id",))
    session.flush()


PERSONAL_DATA = PersonalData(
    tables={
        "auto_enrolments": TableRule(
            access="automation_enrolments of the export: each automation the person entered, "
            "when and why",
            erase="deleted",
            merge="moved to the kept contact (one per automation: the kept contact's wins)",
        ),
        "auto_step_runs": TableRule(
            access="automation_runs of the export: each step planned or run for the person, "
            "its date and outcome",
            erase="deleted; the messages sent stay in messaging's delivery log until its erasure",
            merge="moved to the kept contact (one per step: the kept contact's wins)",
        ),
        "auto_assignments": TableRule(
            access="automation_assignments of the export: the organiser the person was given to",
            erase="deleted",
            merge="moved to the kept contact",
        ),
        "auto_form_answers": TableRule(
            access="automation_form_answers of the export: the kind's own fields the person "
            "typed in a public form (availability, comment, address, rounds)",
            erase="deleted (pending submissions too, found by email)",
            merge="follows its submission (linked to the submission, not to the contact)",
        ),
        "auto_automations": TableRule(
            access="no data about contacts: the staff member who created the automation",
            erase="kept: the staff member's action (accountability, GDPR art. 5.2)",
            merge="not linked to a contact",
        ),
    },
    access=access,
    erase=erase,
    merge=merge,
)
