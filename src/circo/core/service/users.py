"""Users, roles and members of a campaign."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.core import audit
from circo.core.audit import Actor
from circo.core.errors import (
    CircoError,
    NotFound,
    RoleError,
)
from circo.core.models import (
    Campaign,
    Membership,
    Role,
    User,
)
from circo.core.security import (
    MIN_PASSWORD_LENGTH,
    hash_password,
)
from circo.core.tenancy import CampaignContext, campaign_filter

# --- users and roles --------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    # imported here, as the command line starts without it (≈ 25 ms at import)
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise CircoError(f"adresse e-mail invalide « {email} » : {exc}", loc="email") from exc


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise CircoError(
            f"mot de passe trop court : au moins {MIN_PASSWORD_LENGTH} caractères",
            loc="password",
        )


def create_user(
    session: Session, *, email: str, password: str | None, name: str = "", language: str = "fr"
) -> User:
    email = normalise_email(email)
    if get_user_by_email(session, email) is not None:
        raise CircoError(f"l'utilisateur {email} existe déjà", loc="email", status=409)
    if password is not None:
        check_password_strength(password)
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password) if password else None,
        language=language,
    )
    session.add(user)
    session.flush()
    return user


def set_role(
    session: Session, *, actor: Actor, campaign: Campaign, user: User, role: Role
) -> Membership:
    """Give ``user`` a role on ``campaign`` (creating or changing the membership); audited."""
    membership = session.scalar(
        select(Membership).where(
            Membership.user_id == user.id, campaign_filter(Membership, campaign.id)
        )
    )
    previous = membership.role if membership else None
    if membership is None:
        membership = Membership(user_id=user.id, campaign_id=campaign.id, role=role.value)
        session.add(membership)
    else:
        if previous == Role.admin.value and role is not Role.admin:
            _refuse_last_admin(session, campaign)
        membership.role = role.value
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="role.set",
        campaign_id=campaign.id,
        target_type="user",
        target_id=user.id,
        details={"email": user.email, "from": previous, "to": role.value},
    )
    return membership


def _refuse_last_admin(session: Session, campaign: Campaign) -> None:
    admins = session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(campaign_filter(Membership, campaign.id), Membership.role == Role.admin.value)
    )
    if (admins or 0) <= 1:
        raise RoleError("impossible de retirer le dernier administrateur de la campagne")


def remove_member(session: Session, *, ctx: CampaignContext, user_id: int) -> None:
    membership = session.scalar(
        select(Membership).where(Membership.user_id == user_id, campaign_filter(Membership, ctx))
    )
    if membership is None:
        raise NotFound("membre inconnu dans cette campagne", loc="user")
    if membership.role == Role.admin.value:
        _refuse_last_admin(session, ctx.campaign)
    session.delete(membership)
    session.flush()
    audit.record(
        session,
        actor=ctx.actor,
        action="member.remove",
        campaign_id=ctx.campaign_id,
        target_type="user",
        target_id=user_id,
    )


@dataclass(frozen=True)
class MemberRow:
    user: User
    role: Role


def list_members(session: Session, *, ctx: CampaignContext) -> list[MemberRow]:
    rows = session.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(campaign_filter(Membership, ctx))
        .order_by(User.email)
    ).all()
    return [MemberRow(user=user, role=Role(role)) for user, role in rows]


def get_member(session: Session, *, ctx: CampaignContext, user_id: int) -> MemberRow:
    row = session.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(campaign_filter(Membership, ctx), User.id == user_id)
    ).first()
    if row is None:
        raise NotFound("membre inconnu dans cette campagne", loc="user")
    return MemberRow(user=row[0], role=Role(row[1]))
