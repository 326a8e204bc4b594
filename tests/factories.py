"""Typed factories for tests: build real rows in the test database."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from circo.core.audit import SYSTEM
from circo.core.models import Campaign, Role, User
from circo.core.service import create_campaign, create_user, set_role
from circo.core.tenancy import CampaignContext, system_context

DEFAULT_PASSWORD = "correct-horse-battery"


def make_campaign(session: Session, *, slug: str = "camp-a", name: str | None = None) -> Campaign:
    return create_campaign(session, slug=slug, name=name or f"Campagne {slug}")


def make_user(
    session: Session,
    *,
    campaign: Campaign,
    email: str,
    role: Role = Role.admin,
    password: str = DEFAULT_PASSWORD,
) -> User:
    user = create_user(session, email=email, password=password, name=email.split("@")[0])
    set_role(session, actor=SYSTEM, campaign=campaign, user=user, role=role)
    return user


def context(campaign: Campaign) -> CampaignContext:
    return system_context(campaign)


@dataclass
class TwoCampaigns:
    """Campaign A and B, each with an admin and a volunteer."""

    a: Campaign
    b: Campaign
    admin_a: User
    admin_b: User
    volunteer_a: User


def make_two_campaigns(session: Session) -> TwoCampaigns:
    a = make_campaign(session, slug="camp-a")
    b = make_campaign(session, slug="camp-b")
    world = TwoCampaigns(
        a=a,
        b=b,
        admin_a=make_user(session, campaign=a, email="admin-a@example.org"),
        admin_b=make_user(session, campaign=b, email="admin-b@example.org"),
        volunteer_a=make_user(
            session, campaign=a, email="volunteer-a@example.org", role=Role.volunteer
        ),
    )
    session.commit()
    return world


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)"')


def login(client: TestClient, email: str, password: str = DEFAULT_PASSWORD) -> str:
    """Log ``client`` in through the real form; returns the session's CSRF token."""
    client.get("/login")
    response = client.post(
        "/login",
        data={
            "email": email,
            "password": password,
            "csrf_token": client.cookies.get("circo_csrf"),
            "next": "/account",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    page = client.get("/account")
    match = CSRF_META.search(page.text)
    assert match, "logged-in pages carry the CSRF token"
    return match.group(1)
