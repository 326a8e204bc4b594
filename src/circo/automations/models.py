"""Tables of the automations domain.

- `Automation`: a trigger (segment joined, form signed, event attended) and its steps;
- `AutomationStep`: one action after N days (send a message, add a tag, assign to an organiser);
- `Enrolment`: a contact entered an automation (once: unique per automation and contact);
- `StepRun`: one step for one contact, planned then run — unique per (step, contact), the
  idempotency key that makes a step run at most once for a person;
- `OrganiserAssignment`: a contact given to an organiser by an automation.

Two tables extend the public forms of `circo.reach` (kept here so that the reach branch gets no
new migration): `FormSettings` (the crm event of an event form, the distance of a procuration
offer form) and `FormAnswers` (the kind's own fields of a submission).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from circo.db import Base, UTCDateTime, campaign_id_column, str_enum, utcnow


class TriggerKind(enum.StrEnum):
    segment = "segment"  # the contact joins a segment (evaluated by the periodic job)
    form = "form"  # the contact confirms a public form
    event = "event"  # the contact answers yes to an event or is checked in


class StepAction(enum.StrEnum):
    send_message = "send_message"
    add_tag = "add_tag"
    assign = "assign"  # assign to an organiser


class RunStatus(enum.StrEnum):
    scheduled = "scheduled"  # waiting for its day (or paused: L49, contacting hours)
    done = "done"
    skipped = "skipped"  # not allowed when it came to run (consent, opposition, erased)


class Automation(Base):
    __tablename__ = "auto_automations"
    __table_args__ = (Index("ix_auto_automations_name", "campaign_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    name: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(str_enum(TriggerKind, name="trigger", length=16))
    segment_name: Mapped[str | None] = mapped_column(String(200))
    form_id: Mapped[int | None] = mapped_column(
        ForeignKey("reach_forms.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_events.id", ondelete="CASCADE"), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(320), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AutomationStep(Base):
    __tablename__ = "auto_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    automation_id: Mapped[int] = mapped_column(
        ForeignKey("auto_automations.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    action: Mapped[str] = mapped_column(str_enum(StepAction, name="action", length=16))
    delay_days: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("msg_campaigns.id", ondelete="SET NULL")
    )
    channel: Mapped[str | None] = mapped_column(String(16))  # email, sms (send_message)
    tag: Mapped[str | None] = mapped_column(String(100))
    organiser_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class Enrolment(Base):
    __tablename__ = "auto_enrolments"
    __table_args__ = (
        UniqueConstraint("automation_id", "contact_id", name="uq_auto_enrolments_contact"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    automation_id: Mapped[int] = mapped_column(
        ForeignKey("auto_automations.id", ondelete="CASCADE")
    )
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(300), default="")
    # Members of the segment when the automation was created: they did not "join", no step.
    baseline: Mapped[bool] = mapped_column(Boolean, default=False)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StepRun(Base):
    __tablename__ = "auto_step_runs"
    __table_args__ = (
        UniqueConstraint("step_id", "contact_id", name="uq_auto_step_runs_step_contact"),
        Index("ix_auto_step_runs_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    automation_id: Mapped[int] = mapped_column(
        ForeignKey("auto_automations.id", ondelete="CASCADE")
    )
    step_id: Mapped[int] = mapped_column(ForeignKey("auto_steps.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(
        str_enum(RunStatus, name="status", length=16), default=RunStatus.scheduled
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ran_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused: Mapped[int] = mapped_column(Integer, default=0)  # times postponed (L49, hours)
    outcome: Mapped[str] = mapped_column(Text, default="")  # French, for people
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # basis, delivery id


class OrganiserAssignment(Base):
    __tablename__ = "auto_assignments"
    __table_args__ = (
        UniqueConstraint("contact_id", "user_id", name="uq_auto_assignments_contact_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    automation_id: Mapped[int | None] = mapped_column(
        ForeignKey("auto_automations.id", ondelete="SET NULL")
    )
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FormSettings(Base):
    """What a public form of a given kind needs besides its name: the crm event an event form
    registers to."""

    __tablename__ = "auto_form_settings"

    form_id: Mapped[int] = mapped_column(
        ForeignKey("reach_forms.id", ondelete="CASCADE"), primary_key=True
    )
    campaign_id: Mapped[int] = campaign_id_column()
    event_id: Mapped[int | None] = mapped_column(ForeignKey("crm_events.id", ondelete="SET NULL"))


class FormAnswers(Base):
    """The kind's own fields of a submission (availability, comment, address, rounds…)."""

    __tablename__ = "auto_form_answers"

    submission_id: Mapped[int] = mapped_column(
        ForeignKey("reach_form_submissions.id", ondelete="CASCADE"), primary_key=True
    )
    campaign_id: Mapped[int] = campaign_id_column()
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    outcome: Mapped[str] = mapped_column(Text, default="")  # what the confirmation did
