from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from circo.core import service
from circo.core.audit import SYSTEM
from circo.core.errors import AuthError, CircoError, RoleError, TooManyRequests
from circo.core.models import ApiToken, AuditEvent, LoginAttempt, Role, User
from circo.core.security import token_hash
from circo.db import utcnow, write_intent
from circo.runtime import Runtime
from tests.factories import DEFAULT_PASSWORD, make_campaign, make_user


def test_campaign_slug_is_validated(session: Session) -> None:
    with pytest.raises(CircoError, match="identifiant de campagne invalide"):
        service.create_campaign(session, slug="Bad Slug!", name="x")


def test_duplicate_campaign_refused(session: Session) -> None:
    make_campaign(session, slug="lyon")
    with pytest.raises(CircoError, match="existe déjà"):
        make_campaign(session, slug="lyon")


def test_resolve_campaign_defaults_to_the_only_one(session: Session) -> None:
    with pytest.raises(CircoError, match="aucune campagne"):
        service.resolve_campaign(session, None)
    lyon = make_campaign(session, slug="lyon")
    assert service.resolve_campaign(session, None).id == lyon.id
    make_campaign(session, slug="paris")
    with pytest.raises(CircoError, match="précisez --campaign"):
        service.resolve_campaign(session, None)
    assert service.resolve_campaign(session, "paris").slug == "paris"


def test_bad_role_names_the_allowed_ones() -> None:
    with pytest.raises(RoleError, match="admin, data, comms, finance, organiser, volunteer"):
        service.parse_role("boss")
    assert service.parse_role(" Volunteer ") is Role.volunteer


def test_role_change_is_audited_and_last_admin_kept(session: Session) -> None:
    campaign = make_campaign(session)
    admin = make_user(session, campaign=campaign, email="a@example.org")
    with pytest.raises(RoleError, match="dernier administrateur"):
        service.set_role(session, actor=SYSTEM, campaign=campaign, user=admin, role=Role.data)
    other = make_user(session, campaign=campaign, email="b@example.org", role=Role.volunteer)
    service.set_role(session, actor=SYSTEM, campaign=campaign, user=other, role=Role.organiser)
    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "role.set", AuditEvent.target_id == str(other.id)
        )
    ).all()
    assert [event.details["to"] for event in events] == ["volunteer", "organiser"]


def test_authenticate_and_throttle(session: Session) -> None:
    campaign = make_campaign(session)
    make_user(session, campaign=campaign, email="a@example.org")
    user = service.authenticate(
        session,
        email="A@example.org",
        password=DEFAULT_PASSWORD,
        ip="1.2.3.4",
        max_failures=3,
        window_minutes=15,
    )
    assert user.last_login_at is not None
    for _ in range(3):
        with pytest.raises(AuthError):
            service.authenticate(
                session,
                email="a@example.org",
                password="wrong",
                ip="1.2.3.4",
                max_failures=3,
                window_minutes=15,
            )
    with pytest.raises(TooManyRequests):
        service.authenticate(
            session,
            email="a@example.org",
            password=DEFAULT_PASSWORD,
            ip="1.2.3.4",
            max_failures=3,
            window_minutes=15,
        )


def test_backoff_doubles_and_a_known_browser_skips_it(session: Session) -> None:
    user = make_user(session, campaign=make_campaign(session), email="a@example.org")
    a_while_ago = utcnow() - timedelta(seconds=45)
    attacker: dict[str, Any] = {"email": "a@example.org", "ip": "6.6.6.6", "success": False}

    def attempt(*, device: int | None = None) -> None:
        service.authenticate(
            session,
            email="a@example.org",
            password=DEFAULT_PASSWORD,
            ip="1.2.3.4",
            max_failures=5,
            window_minutes=15,
            backoff_seconds=30,
            device_user_id=device,
        )

    for _ in range(5):
        session.add(
            LoginAttempt(email="a@example.org", ip="6.6.6.6", success=False, at=a_while_ago)
        )
    session.flush()
    attempt()  # 5 failures 45 s ago: the 30 s wait is over
    for _ in range(6):
        session.add(LoginAttempt(**attacker, at=utcnow()))
    session.flush()
    with pytest.raises(TooManyRequests, match="pour ce compte"):
        attempt()
    attempt(device=user.id)  # this browser logged in as this user before


def test_api_tokens_are_hashed_at_rest_and_revocable(session: Session) -> None:
    campaign = make_campaign(session)
    user = make_user(session, campaign=campaign, email="a@example.org")
    token, stored = service.create_api_token(session, user=user, name="script")
    assert token.startswith("circo_")
    assert stored.token_hash == token_hash(token)
    assert token not in stored.token_hash
    found = service.api_token_user(session, token)
    assert found is not None
    assert found.id == user.id
    service.revoke_api_token(session, user=user, token_id=stored.id)
    assert service.api_token_user(session, token) is None


def test_password_reset_token_works_once(session: Session) -> None:
    campaign = make_campaign(session)
    make_user(session, campaign=campaign, email="a@example.org")
    assert service.start_password_reset(session, email="nobody@example.org") is None
    started = service.start_password_reset(session, email="a@example.org")
    assert started is not None
    _user, token = started
    with pytest.raises(CircoError, match="trop court"):
        service.finish_password_reset(session, token=token, new_password="short")
    service.finish_password_reset(session, token=token, new_password="a-brand-new-password")
    with pytest.raises(AuthError):
        service.finish_password_reset(session, token=token, new_password="another-password-1")
    assert service.authenticate(
        session,
        email="a@example.org",
        password="a-brand-new-password",
        ip=None,
        max_failures=5,
        window_minutes=15,
    )


def test_a_read_with_an_api_token_stays_a_read(runtime: Runtime) -> None:
    """The token's last use is written in its own short transaction: a GET's read transaction
    does not become a write, which SQLite refuses once another writer committed meanwhile."""
    with runtime.factory() as session:
        campaign = make_campaign(session)
        user = make_user(session, campaign=campaign, email="script@example.org")
        token, stored = service.create_api_token(session, user=user, name="script")
        session.commit()
        token_id = stored.id
    with write_intent(False), runtime.factory() as reader:
        assert service.api_token_user(reader, token) is not None
        with write_intent(True), runtime.factory() as writer:  # another request writes
            writer.execute(update(User).values(name="Autre"))
            writer.commit()
        reader.commit()  # nothing of the read to write: no failed upgrade
    service.wait_for_token_use_writes()
    with runtime.factory() as session:
        used = session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token_id))
    assert used is not None
