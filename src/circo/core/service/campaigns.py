"""Campaigns and organisations: creation, lookup, the context of a user on a campaign."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core.audit import Actor
from circo.core.errors import (
    CampaignNotFound,
    CircoError,
    RoleError,
)
from circo.core.models import (
    Campaign,
    ElectionType,
    Membership,
    Organisation,
    Role,
    User,
)
from circo.core.tenancy import CampaignContext
from circo.core.timezone import DEFAULT_ZONE, check_zone

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


# --- campaigns --------------------------------------------------------------------------------


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        allowed = ", ".join(role.value for role in Role)
        raise RoleError(
            f"rôle inconnu « {value} » (attendu l'un de : {allowed})", loc="role"
        ) from None


def create_campaign(
    session: Session,
    *,
    slug: str,
    name: str,
    organisation: Organisation | None = None,
    election_type: str = ElectionType.other.value,
    territory_code: str | None = None,
    territory_name: str | None = None,
    election_date: date | None = None,
    timezone: str = DEFAULT_ZONE,
) -> Campaign:
    if not SLUG_PATTERN.match(slug):
        raise CircoError(
            f"identifiant de campagne invalide « {slug} » : minuscules, chiffres et tirets, "
            "2 à 63 caractères (ex. paris-2026)",
            loc="campaign",
        )
    if session.scalar(select(Campaign.id).where(Campaign.slug == slug)) is not None:
        raise CircoError(f"la campagne « {slug} » existe déjà", loc="campaign", status=409)
    try:
        ElectionType(election_type)
    except ValueError:
        allowed = ", ".join(kind.value for kind in ElectionType)
        raise CircoError(
            f"type d'élection inconnu « {election_type} » (attendu : {allowed})",
            loc="election_type",
        ) from None
    if organisation is None:
        organisation = Organisation(name=name)
        session.add(organisation)
        session.flush()
    campaign = Campaign(
        organisation_id=organisation.id,
        slug=slug,
        name=name,
        election_type=election_type,
        territory_code=territory_code,
        territory_name=territory_name,
        election_date=election_date,
        timezone=check_zone(timezone),
        settings={},
    )
    session.add(campaign)
    session.flush()
    return campaign


def list_campaigns(session: Session) -> list[Campaign]:
    return list(session.scalars(select(Campaign).order_by(Campaign.slug)))


def _plausible_slug(slug: str) -> bool:
    return len(slug) <= 200 and "\x00" not in slug


def get_campaign(session: Session, slug: str) -> Campaign:
    if not _plausible_slug(slug):
        raise CampaignNotFound(f"campagne inconnue « {slug[:100]!r} »", loc="campaign")
    campaign = session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        raise CampaignNotFound(f"campagne inconnue « {slug} »", loc="campaign")
    return campaign


def resolve_campaign(session: Session, slug: str | None) -> Campaign:
    """The campaign named by ``--campaign``, or the only one when there is exactly one."""
    if slug:
        return get_campaign(session, slug)
    campaigns = list_campaigns(session)
    if len(campaigns) == 1:
        return campaigns[0]
    if not campaigns:
        raise CampaignNotFound(
            "aucune campagne dans cette base : lancez `circo init` ou `circo demo`",
            loc="campaign",
        )
    names = ", ".join(campaign.slug for campaign in campaigns)
    raise CircoError(f"plusieurs campagnes ({names}) : précisez --campaign SLUG", loc="campaign")


def campaigns_of_user(session: Session, user: User) -> list[tuple[Campaign, Role]]:
    rows = session.execute(
        select(Campaign, Membership.role)
        .join(Membership, Membership.campaign_id == Campaign.id)
        .where(Membership.user_id == user.id)
        .order_by(Campaign.name)
    ).all()
    return [(campaign, Role(role)) for campaign, role in rows]


def context_for(session: Session, *, user: User, slug: str, ip: str | None) -> CampaignContext:
    """The user's context on campaign ``slug``; 404 (not 403) when they are not a member."""
    if not _plausible_slug(slug):  # a NUL or a novel: no such campaign (and no SQL error)
        raise CampaignNotFound(f"campagne inconnue « {slug[:100]!r} »", loc="campaign")
    row = session.execute(
        select(Campaign, Membership.role)
        .join(Membership, Membership.campaign_id == Campaign.id)
        .where(Campaign.slug == slug, Membership.user_id == user.id)
    ).first()
    if row is None:
        raise CampaignNotFound(f"campagne inconnue « {slug} »", loc="campaign")
    campaign, role = row
    return CampaignContext(
        campaign=campaign, role=Role(role), actor=Actor(user_id=user.id, email=user.email, ip=ip)
    )
