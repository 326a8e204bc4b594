"""Tables of the party domain: the groups tree, roles on its nodes, content published down the
tree and the consents of people to be shared with a parent node.

Personal data stays where it was collected: contacts, volunteers, visits and donations belong to
one campaign (a node's ``campaign_id``). Nothing here copies a person up the tree: a parent
reads aggregates (`circo.party.rollup`), and the people whose latest `ShareConsent` with it is
``granted``.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from circo.core.models import Role
from circo.db import Base, UTCDateTime, campaign_id_column, str_enum, utcnow


class GroupKind(enum.StrEnum):
    """The level of a node: the root, a federation (a département…), a local group."""

    national = "national"
    federation = "federation"
    local = "local"


class SharedKind(enum.StrEnum):
    """What a node publishes to its subtree (read-only below it)."""

    knowledge = "knowledge"
    programme = "programme"
    message_template = "message_template"
    studio_template = "studio_template"
    questionnaire = "questionnaire"
    training = "training"


class ShareStatus(enum.StrEnum):
    granted = "granted"
    withdrawn = "withdrawn"


class PartyGroup(Base):
    """A node of an organisation's tree. ``path`` is the chain of ids from the root
    ("/1/4/9/"): a subtree is ``path LIKE '/1/4/%'``, the ancestors are the ids in it. A node
    may run a campaign (``campaign_id``): its personal data are that campaign's."""

    __tablename__ = "party_groups"
    __table_args__ = (Index("ix_party_groups_path", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("party_groups.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[GroupKind] = mapped_column(str_enum(GroupKind, name="kind", length=16))
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), unique=True
    )
    path: Mapped[str] = mapped_column(String(1000), default="/")
    depth: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GroupRole(Base):
    """A user's role on a node; with ``subtree`` it holds on every node below too. A group role
    opens the node's pages (aggregates, shared content), never a campaign's: reading a person
    still takes a membership of that person's campaign."""

    __tablename__ = "party_group_roles"
    __table_args__ = (Index("uq_party_group_roles", "group_id", "user_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("party_groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, name="role", length=16))
    subtree: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SharedItem(Base):
    """A text a node publishes to its subtree: read by every node below, edited only by the
    node that published it."""

    __tablename__ = "party_shared_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("party_groups.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[SharedKind] = mapped_column(str_enum(SharedKind, name="kind", length=24))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ShareConsent(Base):
    """The ledger of a person's consent to be seen by a parent node (append-only: the latest
    row per contact and group is in force). ``proof`` says how it was given."""

    __tablename__ = "party_share_consents"
    __table_args__ = (
        Index("ix_party_share_consents_contact", "campaign_id", "contact_id", "group_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    contact_id: Mapped[int] = mapped_column(ForeignKey("crm_contacts.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(
        ForeignKey("party_groups.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[ShareStatus] = mapped_column(str_enum(ShareStatus, name="status", length=16))
    source: Mapped[str] = mapped_column(String(200))
    proof: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor: Mapped[str] = mapped_column(String(320), default="system")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookEvent(enum.StrEnum):
    """What a node's receiver can subscribe to (events of the campaign the node runs)."""

    contact_created = "contact.created"
    rsvp = "event.rsvp"
    donation = "donation.recorded"
    visits_synced = "visits.synced"
    opposition = "opposition.recorded"
    form_submitted = "form.submitted"  # a public form confirmed (double opt-in)


class DeliveryStatus(enum.StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class Webhook(Base):
    """A receiver of a node: ``url`` gets each subscribed event of the node's campaign as a
    POST signed with HMAC-SHA256 over ``"<timestamp>.<body>"`` with its secret, stored
    encrypted (``secret`` is `circo.party.crypto.seal`'s ``fernet:…``, never the clear value)."""

    __tablename__ = "party_webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("party_groups.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(300))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One event for one receiver: the body sent, each attempt's outcome (the delivery log).
    ``contact_id`` names the person the event is about, for the rights of the person."""

    __tablename__ = "party_webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    webhook_id: Mapped[int] = mapped_column(
        ForeignKey("party_webhooks.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[WebhookEvent] = mapped_column(str_enum(WebhookEvent, name="event", length=32))
    contact_id: Mapped[int | None] = mapped_column(Integer, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus, name="status", length=16), default=DeliveryStatus.pending
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    response_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiScope(enum.StrEnum):
    """What an OSDI token of a node may do: ``read`` the resources, ``write`` (signup helper)."""

    read = "read"
    write = "write"


class ApiToken(Base):
    """A token of one node's campaign for the OSDI API (`circo.party.osdi`): it reads and writes
    that campaign only, within its ``scopes``. Only its SHA-256 is stored."""

    __tablename__ = "party_api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
