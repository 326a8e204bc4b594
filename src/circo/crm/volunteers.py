"""Volunteers (profile linked to a user account), teams with leaders, onboarding checklist."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import service as core_service
from circo.core.email import OutgoingEmail
from circo.core.models import Membership, Role, User
from circo.core.outbox import queue_mail
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.crm import normalise
from circo.crm.errors import CrmError, NotFound
from circo.crm.models import Team, TeamMember, Volunteer
from circo.crm.schemas import VolunteerCreate

ONBOARDING_STEPS = {
    "charter": "Charte du bénévole signée",
    "account": "Compte activé (mot de passe choisi)",
    "training": "Formation au porte-à-porte suivie",
    "app": "Application installée sur le téléphone",
    "first_outing": "Première sortie terrain",
}
INVITATION_HOURS = 72


def invite_volunteer(
    session: Session, ctx: CampaignContext, settings: Settings, *, data: VolunteerCreate
) -> Volunteer:
    """Create (or reuse) the user account, give it the volunteer role if it has none on this
    campaign, create the profile and email an invitation link to choose a password."""
    email = core_service.normalise_email(data.email)
    user = core_service.get_user_by_email(session, email)
    new_account = user is None
    if user is None:
        user = core_service.create_user(session, email=email, password=None, name=data.display_name)
    member = session.scalar(
        select(Membership).where(Membership.user_id == user.id, campaign_filter(Membership, ctx))
    )
    if member is None:
        core_service.set_role(
            session, actor=ctx.actor, campaign=ctx.campaign, user=user, role=Role.volunteer
        )
    existing = session.scalar(
        ctx.scoped(select(Volunteer), Volunteer).where(Volunteer.user_id == user.id)
    )
    if existing is not None:
        raise CrmError(f"{email} est déjà bénévole de cette campagne", loc="email", status=409)
    phone = None
    if data.phone:
        try:
            phone = normalise.normalise_phone(data.phone)
        except ValueError as exc:
            raise CrmError(str(exc), loc="phone") from None
    volunteer = Volunteer(
        campaign_id=ctx.campaign_id,
        user_id=user.id,
        display_name=data.display_name or user.name,
        phone=phone,
        skills=data.skills,
        availability=data.availability,
        home_commune=data.home_commune,
        lat=data.lat,
        lon=data.lon,
        onboarding=dict.fromkeys(ONBOARDING_STEPS, False),
        status="invited" if new_account else "active",
    )
    session.add(volunteer)
    session.flush()
    if new_account:
        _send_invitation(session, ctx, settings, email)
    return volunteer


def _send_invitation(
    session: Session, ctx: CampaignContext, settings: Settings, email: str
) -> None:
    started = core_service.start_password_reset(session, email=email, hours=INVITATION_HOURS)
    if started is None:
        return
    _user, token = started
    link = f"{settings.base_url.rstrip('/')}/password/reset?token={token}"
    queue_mail(  # sent after the commit (see circo.core.outbox)
        session,
        OutgoingEmail(
            to=email,
            subject=f"Bienvenue parmi les bénévoles de {ctx.campaign.name}",
            text=(
                "Bonjour,\n\nVous êtes invité·e à rejoindre les bénévoles de "
                f"« {ctx.campaign.name} ».\n"
                f"Choisissez votre mot de passe (lien valable 3 jours) :\n{link}\n"
            ),
        ),
        campaign_id=ctx.campaign_id,
    )


def get_volunteer(session: Session, ctx: CampaignContext, volunteer_id: int) -> Volunteer:
    volunteer = session.scalar(
        ctx.scoped(select(Volunteer), Volunteer).where(Volunteer.id == volunteer_id)
    )
    if volunteer is None:
        raise NotFound(f"bénévole {volunteer_id} introuvable", loc="volunteer")
    return volunteer


def volunteer_for_user(session: Session, ctx: CampaignContext, user_id: int) -> Volunteer | None:
    """The volunteer profile of a user on this campaign (field uses it for assignments)."""
    return session.scalar(
        ctx.scoped(select(Volunteer), Volunteer).where(Volunteer.user_id == user_id)
    )


def update_volunteer(
    session: Session, ctx: CampaignContext, *, volunteer_id: int, changes: dict[str, Any]
) -> Volunteer:
    volunteer = get_volunteer(session, ctx, volunteer_id)
    allowed = {"display_name", "skills", "availability", "home_commune", "lat", "lon", "status"}
    unknown = set(changes) - allowed
    if unknown:
        raise CrmError(f"champs non modifiables : {', '.join(sorted(unknown))}", loc="volunteer")
    for key, value in changes.items():
        setattr(volunteer, key, value)
    session.flush()
    return volunteer


def set_onboarding_step(
    session: Session, ctx: CampaignContext, *, volunteer_id: int, step: str, done: bool = True
) -> Volunteer:
    if step not in ONBOARDING_STEPS:
        raise CrmError(
            f"étape inconnue « {step} » (attendu : {', '.join(ONBOARDING_STEPS)})", loc="step"
        )
    volunteer = get_volunteer(session, ctx, volunteer_id)
    volunteer.onboarding = {**(volunteer.onboarding or {}), step: done}
    if all(volunteer.onboarding.get(s) for s in ONBOARDING_STEPS) and volunteer.status == "invited":
        volunteer.status = "active"
    session.flush()
    return volunteer


def list_volunteers(session: Session, ctx: CampaignContext) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Volunteer, User)
        .where(campaign_filter(Volunteer, ctx))
        .join(User, User.id == Volunteer.user_id)
        .order_by(Volunteer.display_name)
    ).all()
    teams = _teams_by_volunteer(session, ctx)
    return [
        {
            "id": v.id,
            "user_id": v.user_id,
            "email": u.email,
            "display_name": v.display_name,
            "skills": v.skills,
            "availability": v.availability,
            "home_commune": v.home_commune,
            "onboarding": v.onboarding,
            "status": v.status,
            "teams": teams.get(v.id, []),
        }
        for v, u in rows
    ]


def _teams_by_volunteer(session: Session, ctx: CampaignContext) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {}
    for volunteer_id, name, leader in session.execute(
        select(TeamMember.volunteer_id, Team.name, TeamMember.is_leader)
        .join(Team, Team.id == TeamMember.team_id)
        .where(campaign_filter(Team, ctx))
    ):
        result.setdefault(volunteer_id, []).append(name + (" (responsable)" if leader else ""))
    return result


def nearby_volunteers(
    session: Session, ctx: CampaignContext, *, lat: float, lon: float, limit: int = 10
) -> list[tuple[Volunteer, float]]:
    """Volunteers with a location, nearest first, with the distance in km (to suggest turfs)."""
    located = session.scalars(
        ctx.scoped(select(Volunteer), Volunteer).where(Volunteer.lat.is_not(None))
    )
    scored = [(v, _km(lat, lon, v.lat or 0.0, v.lon or 0.0)) for v in located]
    return sorted(scored, key=lambda item: item[1])[:limit]


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlmb / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def create_team(
    session: Session, ctx: CampaignContext, *, name: str, commune_code: str | None = None
) -> Team:
    clean = " ".join(name.split())
    if not clean:
        raise CrmError("nom d'équipe vide (ex. « Lyon 3e »)", loc="name")
    if session.scalar(ctx.scoped(select(Team.id), Team).where(Team.name == clean)) is not None:
        raise CrmError(f"l'équipe « {clean} » existe déjà", loc="name", status=409)
    team = Team(campaign_id=ctx.campaign_id, name=clean, commune_code=commune_code)
    session.add(team)
    session.flush()
    return team


def get_team(session: Session, ctx: CampaignContext, team_id: int) -> Team:
    team = session.scalar(ctx.scoped(select(Team), Team).where(Team.id == team_id))
    if team is None:
        raise NotFound(f"équipe {team_id} introuvable", loc="team")
    return team


def add_team_member(
    session: Session, ctx: CampaignContext, *, team_id: int, volunteer_id: int, leader: bool = False
) -> TeamMember:
    team = get_team(session, ctx, team_id)
    volunteer = get_volunteer(session, ctx, volunteer_id)
    member = session.get(TeamMember, (team.id, volunteer.id))
    if member is None:
        member = TeamMember(
            team_id=team.id,
            volunteer_id=volunteer.id,
            campaign_id=ctx.campaign_id,
            is_leader=leader,
        )
        session.add(member)
    member.is_leader = leader
    session.flush()
    return member


def remove_team_member(
    session: Session, ctx: CampaignContext, *, team_id: int, volunteer_id: int
) -> None:
    get_team(session, ctx, team_id)
    session.execute(
        delete(TeamMember).where(
            TeamMember.team_id == team_id, TeamMember.volunteer_id == volunteer_id
        )
    )


def list_teams(session: Session, ctx: CampaignContext) -> list[dict[str, Any]]:
    teams = list(session.scalars(ctx.scoped(select(Team), Team).order_by(Team.name)))
    members = session.execute(
        select(TeamMember.team_id, Volunteer.id, Volunteer.display_name, TeamMember.is_leader)
        .join(Volunteer, Volunteer.id == TeamMember.volunteer_id)
        .where(campaign_filter(TeamMember, ctx))
    ).all()
    return [
        {
            "id": team.id,
            "name": team.name,
            "commune_code": team.commune_code,
            "members": [
                {"volunteer_id": vid, "name": name, "leader": leader}
                for tid, vid, name, leader in members
                if tid == team.id
            ],
        }
        for team in teams
    ]


def team_member_user_ids(session: Session, ctx: CampaignContext, *, team_id: int) -> list[int]:
    """User accounts of a team's volunteers (for alerts sent to a whole team)."""
    rows = session.scalars(
        select(Volunteer.user_id)
        .join(TeamMember, TeamMember.volunteer_id == Volunteer.id)
        .where(TeamMember.team_id == team_id, campaign_filter(TeamMember, ctx))
        .order_by(Volunteer.user_id)
    )
    return list(rows)
