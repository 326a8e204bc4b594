"""Authentication hardening (issue #22), through the real server on SQLite and PostgreSQL:
no lockout of the owner, per-address limits, trusted proxies, credentials ended on password
change or reset, throttled emails, secure cookies and HSTS in production."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from email import message_from_bytes
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from circo.config import Settings
from circo.core.models import LoginAttempt, User
from circo.core.service import auth as service
from circo.runtime import Runtime, open_runtime
from circo.web.app import create_app
from tests.factories import make_campaign, make_user
from tests.server import LiveServer, init_campaign
from tests.web.security_support import form_csrf, page_csrf

SLUG = "camp-auth"
NEW_PASSWORD = "nouveau-mot-de-passe-42"
RESET_LINK = re.compile(r"/password/reset\?token=([\w-]+)")


def _server(settings: Settings, tmp_path: Path, **env: str) -> LiveServer:
    server = LiveServer(settings, tmp_path / "server.log", **env)
    server.start()
    return server


def _post_login(client: httpx.Client, email: str, password: str, **headers: str) -> httpx.Response:
    token = form_csrf(client, "/login")
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}, headers=headers
    )


def _seed_failures(settings: Settings, email: str, count: int) -> None:
    """``count`` failed logins of ``email`` from an attacker's address, just now."""
    runtime = open_runtime(settings)
    try:
        with runtime.session() as session:
            for _ in range(count):
                session.add(LoginAttempt(email=email, ip="198.51.100.7", success=False))
    finally:
        runtime.close()


def _attempt_ips(settings: Settings, email: str) -> list[str | None]:
    runtime = open_runtime(settings)
    try:
        with runtime.session() as session:
            return list(session.scalars(select(LoginAttempt.ip).where(LoginAttempt.email == email)))
    finally:
        runtime.close()


def _wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll a condition (mail is sent after the response) — synchronisation on the outcome."""
    done = threading.Event()
    for _ in range(600):
        if condition():
            return
        done.wait(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _reset_tokens(settings: Settings) -> list[str]:
    tokens = []
    for path in (settings.data_dir / "outbox").glob("*.eml"):
        body = message_from_bytes(path.read_bytes()).get_payload(decode=True)
        assert isinstance(body, bytes)
        tokens += RESET_LINK.findall(body.decode())
    return tokens


def test_failures_slow_the_attacker_not_the_owner(settings: Settings, tmp_path: Path) -> None:
    email, password = init_campaign(settings, SLUG)
    server = _server(settings, tmp_path, CIRCO_LOGIN_MAX_FAILURES_PER_IP="6")
    try:
        with server.client() as known, server.client() as fresh:
            server.login(known, email, password)
            assert "circo_device" in known.cookies
            _seed_failures(settings, email, 15)  # an attacker hammered the admin account

            refused = _post_login(fresh, email, password)
            assert refused.status_code == 429, refused.text[:300]
            assert "checs de connexion pour ce compte" in refused.text
            # The owner's browser, which logged in before, still gets in with the password.
            again = _post_login(known, email, password)
            assert again.status_code == 303, again.text[:300]
            assert known.get(f"/c/{SLUG}/").status_code == 200

            # X-Forwarded-For from an unconfigured proxy is ignored: the peer is recorded.
            spoofed = _post_login(
                fresh,
                "personne@example.org",
                "mauvais-mot-de-passe",
                **{"X-Forwarded-For": "203.0.113.9"},
            )
            assert spoofed.status_code == 401
            assert _attempt_ips(settings, "personne@example.org") == ["127.0.0.1"]

            # Per client address: after 6 failures in the window, this address is refused.
            for number in range(5):
                failed = _post_login(fresh, f"inconnu{number}@example.org", "mauvais-mot")
                assert failed.status_code == 401
            limited = _post_login(fresh, "autre@example.org", "mauvais-mot")
            assert limited.status_code == 429
            assert "depuis votre adresse" in limited.text
    finally:
        server.kill()


def test_password_change_and_reset_end_every_other_credential(
    settings: Settings, tmp_path: Path
) -> None:
    email, password = init_campaign(settings, SLUG)
    runtime = open_runtime(settings)
    try:
        with runtime.session() as session:
            user = service.get_user_by_email(session, email)
            assert user is not None
            api_token, _ = service.create_api_token(session, user=user, name="script")
    finally:
        runtime.close()
    bearer = {"Authorization": f"Bearer {api_token}"}
    server = _server(settings, tmp_path)
    try:
        with server.client() as first, server.client() as second, server.client() as anon:
            server.login(first, email, password)
            server.login(second, email, password)
            assert anon.get("/api/me", headers=bearer).status_code == 200
            changed = first.post(
                "/account/password",
                data={"current": password, "password": NEW_PASSWORD},
                headers={"X-CSRF-Token": page_csrf(first, "/account")},
            )
            assert changed.status_code == 303, changed.text[:300]
            assert first.get("/account").status_code == 200  # the session that changed it
            assert second.get("/account").status_code == 303  # every other one is over
            assert anon.get("/api/me", headers=bearer).status_code == 401

            # Two reset links: once one is used, the other one is dead.
            for _ in range(2):
                token = form_csrf(anon, "/password/forgot")
                sent = anon.post("/password/forgot", data={"email": email, "csrf_token": token})
                assert sent.status_code == 200
            _wait_until(lambda: len(_reset_tokens(settings)) == 2, "two reset emails")
            used, other = _reset_tokens(settings)  # any order: every other link must die
            _seed_failures(settings, email, 15)  # the account is being slowed down
            token = form_csrf(anon, "/password/reset")
            reset = anon.post(
                "/password/reset",
                data={"token": used, "password": "troisieme-mot-de-passe", "csrf_token": token},
            )
            assert reset.status_code == 303, reset.text[:300]
            stale = anon.post(
                "/password/reset",
                data={"token": other, "password": "quatrieme-mot-de-passe", "csrf_token": token},
            )
            assert stale.status_code == 400
            assert first.get("/account").status_code == 303  # a reset ends every session
            # The emailed link lifted the back-off: a new browser logs in at once.
            with server.client() as fresh:
                assert _post_login(fresh, email, "troisieme-mot-de-passe").status_code == 303
    finally:
        server.kill()


def test_reset_and_self_service_emails_are_throttled(settings: Settings, tmp_path: Path) -> None:
    email, _password = init_campaign(settings, SLUG)
    server = _server(settings, tmp_path, CIRCO_EMAIL_THROTTLE_PER_IP="5")
    try:
        with server.client() as client:

            def forgot(address: str) -> int:
                token = form_csrf(client, "/password/forgot")
                data = {"email": address, "csrf_token": token}
                return client.post("/password/forgot", data=data).status_code

            def self_service(address: str) -> int:
                token = form_csrf(client, f"/p/{SLUG}/donnees")
                data = {"email": address, "kind": "access", "csrf_token": token}
                return client.post(f"/p/{SLUG}/donnees", data=data).status_code

            assert [forgot(email) for _ in range(4)] == [200, 200, 200, 429]
            assert [self_service("marie@example.org") for _ in range(4)] == [200, 200, 200, 429]
            # Per client address: 5 requests an hour, whatever the addresses.
            assert [forgot(f"x{number}@example.org") for number in range(3)] == [200, 200, 429]
            _wait_until(lambda: len(_reset_tokens(settings)) == 3, "three reset emails")
            outbox = settings.data_dir / "outbox"
            to_marie = [p for p in outbox.glob("*.eml") if "marie@example.org" in p.read_text()]
            assert len(to_marie) == 3
    finally:
        server.kill()


def test_production_secure_cookies_hsts_and_configured_proxy(
    settings: Settings, tmp_path: Path
) -> None:
    email, password = init_campaign(settings, SLUG)
    server = _server(settings, tmp_path, CIRCO_ENV="production", CIRCO_TRUSTED_PROXIES="127.0.0.1")
    try:
        with server.client() as client:
            page = client.get("/login")
            assert page.headers["strict-transport-security"] == "max-age=31536000"
            assert "secure" in page.headers["set-cookie"].lower()
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token
            cookie = {"Cookie": f"circo_csrf={token.group(1)}"}  # Secure: not resent over http
            form = {"email": email, "password": password, "csrf_token": token.group(1)}
            logged = client.post("/login", data=form, headers=cookie)
            assert logged.status_code == 303, logged.text[:300]
            session_cookies = logged.headers.get_list("set-cookie")
            assert any(c.startswith("circo_session=") and "Secure" in c for c in session_cookies)
            # The configured proxy's X-Forwarded-For names the client.
            wrong = {**form, "email": "personne@example.org"}
            forwarded = client.post(
                "/login", data=wrong, headers={**cookie, "X-Forwarded-For": "203.0.113.9"}
            )
            assert forwarded.status_code == 401
            assert _attempt_ips(settings, "personne@example.org") == ["203.0.113.9"]
    finally:
        server.kill()


def test_unknown_email_costs_a_password_verification(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Equal work for known and unknown addresses (no timing oracle): both verify a hash."""
    with runtime.session() as session:
        make_user(session, campaign=make_campaign(session), email="connu@example.org")
    verified: list[str] = []
    real = service.verify_password

    def counting(password_hash: str | None, password: str) -> bool:
        verified.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(service, "verify_password", counting)
    with TestClient(create_app(runtime.settings, runtime=runtime)) as client:
        for address in ("connu@example.org", "inconnu@example.org"):
            client.get("/login")
            answer = client.post(
                "/login",
                data={
                    "email": address,
                    "password": f"essai-{address}",
                    "csrf_token": client.cookies.get("circo_csrf"),
                },
            )
            assert answer.status_code == 401
    assert verified == ["essai-connu@example.org", "essai-inconnu@example.org"]
    with runtime.session() as session:
        assert session.scalar(select(User.id).where(User.email == "inconnu@example.org")) is None
