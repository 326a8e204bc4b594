"""Tables of the reach domain: call lists and their entries (one per contact to call).

A call list is a snapshot of a segment at the time it was built, kept to the contacts the
campaign may phone (consent or legal basis, no opposition: `circo.privacy.decide_many`). Each
entry is a person to call: the volunteer holding it, the outcome and the answers."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from circo.db import Base, UTCDateTime, str_enum, utcnow


class CallOutcome(enum.StrEnum):
    """What came of a call."""

    reached = "reached"
    voicemail = "voicemail"
    wrong_number = "wrong_number"
    refused = "refused"
    callback = "callback"
    opposed = "opposed"


class CallStatus(enum.StrEnum):
    """Where an entry of a call list stands."""

    pending = "pending"  # nobody holds it yet
    assigned = "assigned"  # in a volunteer's batch, to call (or call back)
    done = "done"  # called, with a final outcome
    excluded = "excluded"  # no longer callable (opposition or consent withdrawn since)


class CallList(Base):
    """A list of people to phone, built from a segment, with its script and questions."""

    __tablename__ = "reach_call_lists"
    __table_args__ = (Index("ix_reach_call_lists_name", "campaign_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    segment_name: Mapped[str] = mapped_column(String(200))
    script: Mapped[str] = mapped_column(Text, default="")
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    batch_size: Mapped[int] = mapped_column(Integer, default=20)
    excluded_no_basis: Mapped[int] = mapped_column(Integer, default=0)
    excluded_opposed: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(320), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CallEntry(Base):
    """One person to call on a list: who holds the call, what came of it, the answers."""

    __tablename__ = "reach_call_entries"
    __table_args__ = (
        UniqueConstraint("list_id", "contact_id", name="uq_reach_call_entries_contact"),
        Index("ix_reach_call_entries_status", "list_id", "status", "id"),
        Index("ix_reach_call_entries_user", "list_id", "assigned_user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    list_id: Mapped[int] = mapped_column(ForeignKey("reach_call_lists.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="CASCADE"), index=True
    )
    basis: Mapped[str] = mapped_column(String(32))  # consent, legitimate_interest
    status: Mapped[str] = mapped_column(
        str_enum(CallStatus, name="status", length=16), default=CallStatus.pending
    )
    assigned_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(str_enum(CallOutcome, name="outcome", length=16))
    callback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    called_by: Mapped[str | None] = mapped_column(String(320))
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FormKind(enum.StrEnum):
    """What a public form is for."""

    signup = "signup"  # rejoindre / recevoir les nouvelles
    volunteer = "volunteer"  # devenir bénévole
    petition = "petition"  # signer une pétition
    event = "event"  # s'inscrire à un événement
    procuration_offer = "procuration_offer"  # proposer de porter une procuration


class PublicForm(Base):
    """An embeddable public form; ``public_id`` is the unguessable part of its address."""

    __tablename__ = "reach_forms"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(str_enum(FormKind, name="kind", length=24))
    name: Mapped[str] = mapped_column(String(200))
    wording: Mapped[str] = mapped_column(Text)  # the consent text shown next to the box
    created_by: Mapped[str] = mapped_column(String(320), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FormSubmission(Base):
    """A submission of a public form, waiting for the confirmation link (double opt-in); once
    confirmed it names the contact created or matched."""

    __tablename__ = "reach_form_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    form_id: Mapped[int] = mapped_column(
        ForeignKey("reach_forms.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str | None] = mapped_column(String(32))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    origin: Mapped[str] = mapped_column(String(300), default="")  # the page that embedded it
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="SET NULL"), index=True
    )


class TextStatus(enum.StrEnum):
    """Where a text of a texting campaign stands."""

    pending = "pending"  # nobody has sent it yet
    sending = "sending"  # a volunteer pressed "send", the provider has not answered yet
    sent = "sent"  # accepted by the SMS provider
    failed = "failed"  # refused by the provider (final)
    excluded = "excluded"  # no longer textable (opposition or consent withdrawn since)


class TextDirection(enum.StrEnum):
    """Which way a message of the shared inbox went."""

    inbound = "inbound"  # a reply received from the person
    outbound = "outbound"  # an answer sent by a volunteer, or the STOP acknowledgement


class TextCampaign(Base):
    """Person-to-person texting: a segment snapshot and a template with the first name; each
    text is sent by a person, one action per message."""

    __tablename__ = "reach_text_campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    segment_name: Mapped[str] = mapped_column(String(200))
    template: Mapped[str] = mapped_column(Text)
    excluded_no_basis: Mapped[int] = mapped_column(Integer, default=0)
    excluded_opposed: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(320), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TextEntry(Base):
    """One person to text in a texting campaign, and the text sent to them."""

    __tablename__ = "reach_text_entries"
    __table_args__ = (
        UniqueConstraint("text_campaign_id", "contact_id", name="uq_reach_text_entries_contact"),
        Index("ix_reach_text_entries_status", "text_campaign_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    text_campaign_id: Mapped[int] = mapped_column(
        ForeignKey("reach_text_campaigns.id", ondelete="CASCADE")
    )
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="CASCADE"), index=True
    )
    basis: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(
        str_enum(TextStatus, name="status", length=16), default=TextStatus.pending
    )
    phone: Mapped[str | None] = mapped_column(String(32))  # the number the text went to
    text: Mapped[str] = mapped_column(Text, default="")
    provider_id: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    sent_by: Mapped[str | None] = mapped_column(String(320))
    sent_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TextMessage(Base):
    """A message of the shared inbox: a reply received, or an answer sent to it. Replies are
    assigned to a volunteer (by default the one who sent the campaign's text)."""

    __tablename__ = "reach_text_messages"
    __table_args__ = (Index("ix_reach_text_messages_phone", "campaign_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(str_enum(TextDirection, name="direction", length=16))
    phone: Mapped[str] = mapped_column(String(32))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="CASCADE"), index=True
    )
    text_campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("reach_text_campaigns.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text)
    stop: Mapped[bool] = mapped_column(Boolean, default=False)  # a STOP (or an acknowledgement)
    assigned_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    handled: Mapped[bool] = mapped_column(Boolean, default=False)  # answered or closed
    sent_by: Mapped[str | None] = mapped_column(String(320))
    provider_id: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- leaflet drops and poster boards (circo.reach.drops, circo.reach.posters) ------------------


class DropRound(Base):
    """A leaflet drop round: letterboxes of chosen bureaux, cut into turfs by the field turf
    cutter (``plan_id``: the turf plan holding the turfs and their buildings)."""

    __tablename__ = "reach_drop_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    leaflet: Mapped[str] = mapped_column(String(200))  # the leaflet's title (or a free name)
    leaflet_id: Mapped[int | None] = mapped_column(
        ForeignKey("assistant_leaflets.id", ondelete="SET NULL")
    )
    plan_id: Mapped[int] = mapped_column(ForeignKey("field_turf_plans.id", ondelete="CASCADE"))
    bureaux: Mapped[list[str]] = mapped_column(JSON, default=list)
    letterboxes: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(320), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DropDone(Base):
    """A building of a drop round marked done: one row per (round, building) — the phone's
    retries and a second volunteer on the same building change nothing."""

    __tablename__ = "reach_drop_done"
    __table_args__ = (UniqueConstraint("round_id", "stop_id", name="uq_reach_drop_done_stop"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int] = mapped_column(
        ForeignKey("reach_drop_rounds.id", ondelete="CASCADE"), index=True
    )
    stop_id: Mapped[int] = mapped_column(ForeignKey("field_turf_stops.id", ondelete="CASCADE"))
    bureau: Mapped[str | None] = mapped_column(String(40))
    letterboxes: Mapped[int] = mapped_column(Integer, default=1)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    done_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PosterStatus(enum.StrEnum):
    """Where a campaign's poster on an official board stands."""

    pending = "pending"  # nothing posted yet
    posted = "posted"
    torn = "torn"
    covered = "covered"
    redo = "redo"


class PosterBoard(Base):
    """An official poster board (panneau électoral) of a bureau de vote, with the campaign's
    panel number and the last known state of its poster."""

    __tablename__ = "reach_poster_boards"
    __table_args__ = (
        UniqueConstraint("campaign_id", "bureau", name="uq_reach_poster_boards_bureau"),
        Index("ix_reach_poster_boards_commune", "campaign_id", "commune_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    commune_code: Mapped[str] = mapped_column(String(5))
    bureau: Mapped[str] = mapped_column(String(40))  # station key, "29039_0001"
    place: Mapped[str] = mapped_column(String(200), default="")  # the bureau's name / place
    number: Mapped[int] = mapped_column(Integer)  # the campaign's panel number
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(
        str_enum(PosterStatus, name="status", length=16), default=PosterStatus.pending
    )
    photo: Mapped[str | None] = mapped_column(String(300))  # under the data dir
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PosterRound(Base):
    """A round of checks of some boards, given to a volunteer for a day."""

    __tablename__ = "reach_poster_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    board_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    day: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(320), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PosterCheck(Base):
    """One check of a board: the state seen, the photo taken, by whom and when."""

    __tablename__ = "reach_poster_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    board_id: Mapped[int] = mapped_column(
        ForeignKey("reach_poster_boards.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("reach_poster_rounds.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(str_enum(PosterStatus, name="status", length=16))
    photo: Mapped[str | None] = mapped_column(String(300))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
