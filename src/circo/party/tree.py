"""The groups tree: nodes, their roles, what a user may open, and content shared down.

Services take ``session`` first and keyword arguments after it; they ``flush()``, never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core.models import Campaign, Organisation, Role, User
from circo.core.tenancy import ROLE_RANK, campaign_filter
from circo.party.errors import GroupNotFound, PartyError
from circo.party.models import GroupKind, GroupRole, PartyGroup, SharedItem, SharedKind

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
# Roles that may publish content to the subtree and manage the node.
PUBLISHERS = (Role.admin, Role.comms)


def find_group(session: Session, slug: str) -> PartyGroup:
    group = session.scalar(select(PartyGroup).where(PartyGroup.slug == slug))
    if group is None:
        raise GroupNotFound(f"groupe inconnu « {slug} »", loc="groupe")
    return group


def create_group(
    session: Session,
    *,
    name: str,
    slug: str,
    parent: str | None = None,
    campaign: str | None = None,
    kind: str | None = None,
) -> PartyGroup:
    """Add a node: a root (``parent`` None, of a new organisation, or of ``campaign``'s), or a
    child of ``parent``. Without ``kind``: national at the root, federation below it, local
    further down. ``campaign`` (a slug) makes the node that campaign's."""
    if not SLUG_PATTERN.match(slug):
        raise PartyError(
            f"identifiant de groupe invalide « {slug} » : minuscules, chiffres et tirets, "
            "2 à 63 caractères (ex. federation-69)",
            loc="slug",
        )
    name = name.strip()
    if not name or len(name) > 200:
        raise PartyError("nom du groupe vide ou trop long (200 caractères au plus)", loc="nom")
    if session.scalar(select(PartyGroup.id).where(PartyGroup.slug == slug)) is not None:
        raise PartyError(f"le groupe « {slug} » existe déjà", loc="slug", status=409)
    linked: Campaign | None = None
    if campaign:
        linked = session.scalar(select(Campaign).where(Campaign.slug == campaign))
        if linked is None:
            raise PartyError(f"campagne inconnue « {campaign} »", loc="campagne", status=404)
        taken = session.scalar(
            select(PartyGroup.slug).where(campaign_filter(PartyGroup, linked.id))
        )
        if taken is not None:
            raise PartyError(
                f"la campagne « {campaign} » est déjà le groupe « {taken} »",
                loc="campagne",
                status=409,
            )
    parent_group = find_group(session, parent) if parent else None
    if kind is None:
        depth = 0 if parent_group is None else parent_group.depth + 1
        kind = (GroupKind.national, GroupKind.federation)[depth] if depth < 2 else GroupKind.local
    try:
        group_kind = GroupKind(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in GroupKind)
        raise PartyError(f"niveau inconnu « {kind} » (attendu : {allowed})", loc="niveau") from None
    if parent_group is not None:
        organisation_id = parent_group.organisation_id
    elif linked is not None:
        organisation_id = linked.organisation_id
    else:
        organisation = Organisation(name=name)
        session.add(organisation)
        session.flush()
        organisation_id = organisation.id
    if linked is not None and linked.organisation_id != organisation_id:
        linked.organisation_id = organisation_id  # the campaign joins the organisation
    group = PartyGroup(
        organisation_id=organisation_id,
        parent_id=parent_group.id if parent_group else None,
        slug=slug,
        name=name,
        kind=group_kind,
        campaign_id=linked.id if linked else None,
        depth=0 if parent_group is None else parent_group.depth + 1,
    )
    session.add(group)
    session.flush()
    group.path = f"{parent_group.path if parent_group else '/'}{group.id}/"
    session.flush()
    return group


def ancestor_ids(group: PartyGroup) -> list[int]:
    """The ids from the root down to ``group`` included."""
    return [int(part) for part in group.path.strip("/").split("/") if part]


def subtree(session: Session, group: PartyGroup) -> list[PartyGroup]:
    """``group`` and every node below it, parents before children."""
    query = (
        select(PartyGroup)
        .where(PartyGroup.path.startswith(group.path, autoescape=True))
        .order_by(PartyGroup.depth, PartyGroup.name)
    )
    return list(session.scalars(query))


def group_of_campaign(session: Session, campaign_id: int) -> PartyGroup | None:
    return session.scalar(select(PartyGroup).where(campaign_filter(PartyGroup, campaign_id)))


def tree(session: Session, organisation_id: int | None = None) -> list[dict[str, Any]]:
    """Every tree (or one organisation's) as nested dicts, for ``circo groups tree --json``."""
    query = select(PartyGroup, Campaign.slug).outerjoin(
        Campaign, Campaign.id == PartyGroup.campaign_id
    )
    if organisation_id is not None:
        query = query.where(PartyGroup.organisation_id == organisation_id)
    nodes: dict[int, dict[str, Any]] = {}
    parents: dict[int, int | None] = {}
    for group, campaign_slug in session.execute(query.order_by(PartyGroup.depth, PartyGroup.name)):
        nodes[group.id] = {
            "slug": group.slug,
            "name": group.name,
            "kind": group.kind.value,
            "campaign": campaign_slug,
            "children": [],
        }
        parents[group.id] = group.parent_id
    roots = []
    for group_id, node in nodes.items():
        parent_id = parents[group_id]
        if parent_id is None or parent_id not in nodes:
            roots.append(node)
        else:
            nodes[parent_id]["children"].append(node)
    return roots


def describe(session: Session, group: PartyGroup) -> dict[str, Any]:
    """One node as ``circo groups add --json`` prints it."""
    parent = session.get(PartyGroup, group.parent_id) if group.parent_id else None
    campaign = session.get(Campaign, group.campaign_id) if group.campaign_id else None
    return {
        "id": group.id,
        "slug": group.slug,
        "name": group.name,
        "kind": group.kind.value,
        "parent": parent.slug if parent else None,
        "depth": group.depth,
        "campaign": campaign.slug if campaign else None,
    }


# --- roles ------------------------------------------------------------------------------------


def grant_role(
    session: Session, *, group: PartyGroup, user: User, role: Role, subtree: bool = True
) -> GroupRole:
    existing = session.scalar(
        select(GroupRole).where(GroupRole.group_id == group.id, GroupRole.user_id == user.id)
    )
    if existing is None:
        existing = GroupRole(group_id=group.id, user_id=user.id, role=role, subtree=subtree)
        session.add(existing)
    else:
        existing.role = role
        existing.subtree = subtree
    session.flush()
    return existing


@dataclass(frozen=True)
class GroupContext:
    """Who opens a node's pages, with which role (from the node or an ancestor's subtree)."""

    group: PartyGroup
    role: Role
    user_id: int

    def may(self, *roles: Role) -> bool:
        return self.role is Role.admin or self.role in roles


def role_on(session: Session, *, user_id: int, group: PartyGroup) -> Role | None:
    """The strongest role the user holds on ``group``: on the node itself, or on an ancestor
    with ``subtree``. None: the node is closed to them (its pages answer 404)."""
    ancestors = ancestor_ids(group)
    best: Role | None = None
    for role_value, subtree_flag, group_id in session.execute(
        select(GroupRole.role, GroupRole.subtree, GroupRole.group_id).where(
            GroupRole.user_id == user_id, GroupRole.group_id.in_(ancestors)
        )
    ):
        if group_id != group.id and not subtree_flag:
            continue
        role = Role(role_value)
        if best is None or ROLE_RANK[role] > ROLE_RANK[best]:
            best = role
    return best


def group_context(session: Session, *, user_id: int, slug: str) -> GroupContext:
    """The context of a node's page; an unknown node and a closed one are both 404."""
    group = session.scalar(select(PartyGroup).where(PartyGroup.slug == slug))
    role = role_on(session, user_id=user_id, group=group) if group is not None else None
    if group is None or role is None:
        raise GroupNotFound(f"groupe inconnu « {slug} »", loc="groupe")
    return GroupContext(group=group, role=role, user_id=user_id)


def groups_of_user(session: Session, user_id: int) -> list[tuple[PartyGroup, Role]]:
    """The nodes where the user holds a role (not the subtrees they open)."""
    rows = session.execute(
        select(PartyGroup, GroupRole.role)
        .join(GroupRole, GroupRole.group_id == PartyGroup.id)
        .where(GroupRole.user_id == user_id)
        .order_by(PartyGroup.depth, PartyGroup.name)
    )
    return [(group, Role(role)) for group, role in rows]


def children(session: Session, group: PartyGroup) -> list[PartyGroup]:
    return list(
        session.scalars(
            select(PartyGroup).where(PartyGroup.parent_id == group.id).order_by(PartyGroup.name)
        )
    )


# --- content shared down ------------------------------------------------------------------------


def publish(session: Session, *, group: PartyGroup, kind: str, title: str, body: str) -> SharedItem:
    try:
        shared_kind = SharedKind(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in SharedKind)
        raise PartyError(
            f"type de contenu inconnu « {kind} » (attendu : {allowed})", loc="type"
        ) from None
    title = title.strip()
    if not title or len(title) > 300:
        raise PartyError("titre vide ou trop long (300 caractères au plus)", loc="titre")
    item = SharedItem(group_id=group.id, kind=shared_kind, title=title, body=body)
    session.add(item)
    session.flush()
    return item


def update_item(session: Session, *, group: PartyGroup, item_id: int, body: str) -> SharedItem:
    """Edit an item: only the node that published it may (the subtree reads it)."""
    item = session.get(SharedItem, item_id)
    if item is None or item.group_id != group.id:
        raise GroupNotFound("contenu inconnu dans ce groupe", loc="contenu")
    item.body = body
    session.flush()
    return item


@dataclass(frozen=True)
class SharedView:
    item: SharedItem
    publisher: PartyGroup
    own: bool  # published by the node reading it (editable there)


def visible_items(session: Session, group: PartyGroup) -> list[SharedView]:
    """What ``group`` reads: its own items and those its ancestors published down."""
    ids = ancestor_ids(group)
    rows = session.execute(
        select(SharedItem, PartyGroup)
        .join(PartyGroup, PartyGroup.id == SharedItem.group_id)
        .where(SharedItem.group_id.in_(ids))
        .order_by(PartyGroup.depth, SharedItem.kind, SharedItem.title)
    )
    return [SharedView(item, publisher, publisher.id == group.id) for item, publisher in rows]
