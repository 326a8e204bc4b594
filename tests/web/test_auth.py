"""Login, logout, CSRF, throttling, password reset by email link, API tokens."""

from __future__ import annotations

import email
import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, login, make_two_campaigns


def test_health_and_openapi(client: TestClient) -> None:
    assert client.get("/health").json()["status"] == "ok"
    spec = client.get("/api/openapi.json").json()
    assert "/api/me" in spec["paths"]
    assert client.get("/api/docs").status_code == 200


def test_login_page_is_french_by_default_and_english_on_request(client: TestClient) -> None:
    page = client.get("/login")
    assert '<html lang="fr">' in page.text
    assert "Se connecter" in page.text
    english = client.get("/login?lang=en")
    assert '<html lang="en">' in english.text
    assert "Log in" in english.text
    assert client.get("/login").text.count("Log in") >= 1  # the choice is remembered


def test_login_dashboard_logout(client: TestClient, session: Session) -> None:
    world = make_two_campaigns(session)
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")
    csrf = login(client, world.admin_a.email)
    home = client.get("/", follow_redirects=False)
    assert home.headers["location"] == "/c/camp-a/"
    dashboard = client.get("/c/camp-a/")
    assert dashboard.status_code == 200
    assert "Tableau de bord" in dashboard.text
    cookie = client.cookies.get("circo_session")
    assert cookie
    response = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    client.cookies.set("circo_session", cookie)  # a stolen old cookie no longer works
    assert client.get("/c/camp-a/", follow_redirects=False).status_code == 303
    actions = session.scalars(select(AuditEvent.action)).all()
    assert "login" in actions


def test_session_cookie_flags(client: TestClient, session: Session) -> None:
    world = make_two_campaigns(session)
    client.get("/login")
    response = client.post(
        "/login",
        data={
            "email": world.admin_a.email,
            "password": DEFAULT_PASSWORD,
            "csrf_token": client.cookies.get("circo_csrf"),
            "next": "/",
        },
        follow_redirects=False,
    )
    set_cookie = response.headers["set-cookie"].lower()
    assert "circo_session=" in set_cookie
    assert "httponly" in set_cookie
    assert "samesite=lax" in set_cookie


def test_login_without_csrf_is_rejected(client: TestClient, session: Session) -> None:
    world = make_two_campaigns(session)
    response = client.post(
        "/login", data={"email": world.admin_a.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 403
    assert client.cookies.get("circo_session") is None


def test_csrf_less_form_posts_are_rejected(client: TestClient, session: Session) -> None:
    world = make_two_campaigns(session)
    csrf = login(client, world.admin_a.email)
    url = f"/c/camp-a/users/{world.volunteer_a.id}/role"
    refused = client.post(url, data={"role": "organiser"}, follow_redirects=False)
    assert refused.status_code == 403
    forged = client.post(url, data={"role": "organiser", "csrf_token": "forged"})
    assert forged.status_code == 403
    accepted = client.post(
        url, data={"role": "organiser", "csrf_token": csrf}, follow_redirects=False
    )
    assert accepted.status_code == 303
    assert "organiser" in client.get("/c/camp-a/users").text


def test_repeated_failed_logins_are_throttled(client: TestClient, session: Session) -> None:
    world = make_two_campaigns(session)
    client.get("/login")
    token = client.cookies.get("circo_csrf")
    statuses = [
        client.post(
            "/login", data={"email": world.admin_a.email, "password": "wrong", "csrf_token": token}
        ).status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    right = client.post(
        "/login",
        data={"email": world.admin_a.email, "password": DEFAULT_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert right.status_code == 429  # from a new browser, even the right password waits


def test_password_reset_by_email_link(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = make_two_campaigns(session)
    client.get("/password/forgot")
    token = client.cookies.get("circo_csrf")
    client.post("/password/forgot", data={"email": world.admin_a.email, "csrf_token": token})
    client.post("/password/forgot", data={"email": "nobody@example.org", "csrf_token": token})
    messages = list((settings.data_dir / "outbox").glob("*.eml"))
    assert len(messages) == 1  # nothing is sent for an unknown address
    body = email.message_from_bytes(messages[0].read_bytes()).get_payload(decode=True)
    assert isinstance(body, bytes)
    match = re.search(r"http://testserver(/password/reset\?token=\S+)", body.decode())
    assert match
    page = client.get(match.group(1))
    reset_token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert reset_token
    done = client.post(
        "/password/reset",
        data={
            "token": reset_token.group(1),
            "password": "new-password-123",
            "csrf_token": client.cookies.get("circo_csrf"),
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    login(client, world.admin_a.email, "new-password-123")


def test_api_token_for_scripts(client: TestClient, session: Session) -> None:
    world = make_two_campaigns(session)
    csrf = login(client, world.admin_a.email)
    page = client.post("/account/tokens", data={"name": "export", "csrf_token": csrf})
    token = re.search(r'data-testid="new-token">([^<]+)<', page.text)
    assert token
    client.cookies.clear()
    headers = {"Authorization": f"Bearer {token.group(1)}"}
    me = client.get("/api/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["email"] == world.admin_a.email
    assert client.get("/api/campaigns/camp-a/members", headers=headers).status_code == 200
    bad = client.get("/api/me", headers={"Authorization": "Bearer circo_nope"})
    assert bad.status_code == 401
    assert bad.json()["error"] == "AuthError"
