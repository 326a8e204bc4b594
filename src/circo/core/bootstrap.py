"""Creating a campaign with its first admin, and adding users: shared by the CLI and the demo."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from circo.core import audit
from circo.core.audit import SYSTEM
from circo.core.models import Campaign, Role
from circo.core.security import generate_password, hash_password
from circo.core.service import create_campaign, create_user, get_user_by_email, set_role


@dataclass(frozen=True)
class Credentials:
    campaign: str
    email: str
    password: str | None  # None: the admin already existed and keeps their password


def create_campaign_with_admin(
    session: Session,
    *,
    slug: str,
    name: str,
    admin_email: str,
    election_type: str = "other",
    admin_password: str | None = None,
    reset_password: bool = False,
    **campaign_fields: object,
) -> Credentials:
    """A new campaign administered by ``admin_email``. An existing user keeps their password
    (``circo init`` on a database that has one must not lock its admin out) unless
    ``reset_password`` (the demo, whose admin's password is printed at each rebuild)."""
    campaign = create_campaign(
        session,
        slug=slug,
        name=name,
        election_type=election_type,
        **campaign_fields,  # type: ignore[arg-type]
    )
    password: str | None = admin_password or generate_password()
    user = get_user_by_email(session, admin_email)
    if user is None:
        assert password is not None
        user = create_user(session, email=admin_email, password=password, name="Administrateur")
    elif reset_password and password is not None:
        user.password_hash = hash_password(password)
    else:
        password = None
    set_role(session, actor=SYSTEM, campaign=campaign, user=user, role=Role.admin)
    audit.record(session, actor=SYSTEM, action="campaign.create", campaign_id=campaign.id)
    return Credentials(campaign=slug, email=user.email, password=password)


def add_user_to_campaign(
    session: Session, *, campaign: Campaign, email: str, role: Role, name: str = ""
) -> str | None:
    """Give ``email`` a role on ``campaign``; returns a new password when the user was created."""
    user = get_user_by_email(session, email)
    password = None
    if user is None:
        password = generate_password()
        user = create_user(session, email=email, password=password, name=name)
    set_role(session, actor=SYSTEM, campaign=campaign, user=user, role=role)
    return password
