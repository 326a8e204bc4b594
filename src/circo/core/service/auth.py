"""Authentication: logins with back-off, web sessions, API tokens, password reset."""

from __future__ import annotations

import logging
import math
import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from circo.core import audit
from circo.core.audit import Actor
from circo.core.errors import (
    AuthError,
    NotFound,
    TooManyRequests,
)
from circo.core.models import (
    ApiToken,
    LoginAttempt,
    PasswordReset,
    User,
    WebSession,
)
from circo.core.security import (
    dummy_password_hash,
    hash_password,
    new_token,
    token_hash,
    verify_password,
)
from circo.core.service.campaigns import campaigns_of_user
from circo.core.service.users import check_password_strength, get_user_by_email
from circo.db import after_commit, reading_only, utcnow

logger = logging.getLogger(__name__)
API_TOKEN_PREFIX = "circo_"


# --- authentication ---------------------------------------------------------------------------


def _count(session: Session, query: Any) -> int:
    return int(session.scalar(query) or 0)


def _failures(since: datetime) -> Any:
    return (
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.success.is_(False), LoginAttempt.at >= since)
    )


def _account_wait_seconds(
    session: Session,
    *,
    email: str,
    since: datetime,
    max_failures: int,
    window_minutes: int,
    backoff_seconds: int,
) -> float:
    """Seconds before this account may try again: 0 until ``max_failures`` failures since the
    last success (a login, or a password reset by emailed link), then ``backoff_seconds``
    doubling per further failure (30 s, 60 s, 120 s…) up to the window, counted from the last
    failure."""
    last_success = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.email == email, LoginAttempt.success.is_(True)
        )
    )
    start = max(since, last_success) if last_success is not None else since
    failures = _count(session, _failures(start).where(LoginAttempt.email == email))
    if failures < max_failures:
        return 0.0
    last_failure = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.email == email, LoginAttempt.success.is_(False)
        )
    )
    delay = min(backoff_seconds * 2.0 ** (failures - max_failures), window_minutes * 60.0)
    assert last_failure is not None
    return max((last_failure + timedelta(seconds=delay) - utcnow()).total_seconds(), 0.0)


def authenticate(
    session: Session,
    *,
    email: str,
    password: str,
    ip: str | None,
    max_failures: int,
    window_minutes: int,
    max_failures_per_ip: int = 20,
    backoff_seconds: int = 30,
    device_user_id: int | None = None,
) -> User:
    """The user with these credentials, throttled without locking the owner out.

    * per client address: ``max_failures_per_ip`` failures in the window, then 429;
    * per account: after ``max_failures`` failures, each attempt waits an exponential back-off
      (`_account_wait_seconds`, from ``backoff_seconds``), except from a browser this user
      already logged in with (``device_user_id``, from the signed known-device cookie); a
      password reset by emailed link ends the back-off.

    Unknown and known addresses cost the same: a password is always verified (against a dummy
    hash when there is no such user), so the answer time does not tell them apart.
    """
    email = email.strip().lower()
    since = utcnow() - timedelta(minutes=window_minutes)
    if ip and _count(session, _failures(since).where(LoginAttempt.ip == ip)) >= max_failures_per_ip:
        raise TooManyRequests(
            f"trop d'échecs de connexion depuis votre adresse : réessayez dans {window_minutes} "
            "minutes"
        )
    user = get_user_by_email(session, email)
    known_device = user is not None and device_user_id == user.id
    if not known_device:
        wait = _account_wait_seconds(
            session,
            email=email,
            since=since,
            max_failures=max_failures,
            window_minutes=window_minutes,
            backoff_seconds=backoff_seconds,
        )
        if wait > 0:
            raise TooManyRequests(
                f"trop d'échecs de connexion pour ce compte : réessayez dans {math.ceil(wait)} "
                "secondes, connectez-vous depuis un appareil déjà utilisé, ou choisissez un "
                "nouveau mot de passe (« Mot de passe oublié », lien par e-mail)"
            )
    if user is None or not user.is_active:
        verify_password(dummy_password_hash(), password)  # same work as for a real account
        ok = False
    else:
        ok = verify_password(user.password_hash, password)
    session.add(LoginAttempt(email=email, ip=ip, success=ok))
    session.flush()
    if not ok or user is None:
        audit.record(session, actor=Actor(email=email, ip=ip), action="login.failed", details={})
        raise AuthError("e-mail ou mot de passe incorrect")
    user.last_login_at = utcnow()
    for campaign, _role in campaigns_of_user(session, user):
        audit.record(
            session,
            actor=Actor(user_id=user.id, email=user.email, ip=ip),
            action="login",
            campaign_id=campaign.id,
        )
    return user


def open_web_session(
    session: Session, *, user: User, ip: str | None, hours: int
) -> tuple[str, WebSession]:
    token = new_token()
    web_session = WebSession(
        token_hash=token_hash(token),
        user_id=user.id,
        csrf_token=new_token(),
        expires_at=utcnow() + timedelta(hours=hours),
        ip=ip,
    )
    session.add(web_session)
    session.flush()
    return token, web_session


def web_session_user(session: Session, token: str) -> tuple[User, WebSession] | None:
    row = session.execute(
        select(User, WebSession)
        .join(WebSession, WebSession.user_id == User.id)
        .where(WebSession.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    user, web_session = row
    if web_session.expires_at < utcnow() or not user.is_active:
        return None
    return user, web_session


def close_web_session(session: Session, token: str) -> None:
    web_session = session.scalar(
        select(WebSession).where(WebSession.token_hash == token_hash(token))
    )
    if web_session is not None:
        session.delete(web_session)
        session.flush()


def create_api_token(session: Session, *, user: User, name: str) -> tuple[str, ApiToken]:
    """A new token for scripts: returned once in clear, stored as a hash."""
    token = new_token(API_TOKEN_PREFIX)
    api_token = ApiToken(
        user_id=user.id, name=name, token_hash=token_hash(token), prefix=token[:10]
    )
    session.add(api_token)
    session.flush()
    return token, api_token


TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def api_token_user(session: Session, token: str) -> User | None:
    row = session.execute(
        select(User, ApiToken)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_hash(token), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None or not row[0].is_active:
        return None
    now = utcnow()
    # Recorded to the minute or so. On SQLite, a read request stays a reader (a read that
    # turns into a write fails once another writer committed first) and never waits for the
    # write lock: the use is written by a short background write of its own, once the
    # request's transaction has ended.
    if row[1].last_used_at is None or row[1].last_used_at < now - TOKEN_USE_RESOLUTION:
        if session.get_bind().dialect.name == "sqlite" and reading_only():
            token_id, bind = row[1].id, session.get_bind()
            # After the request's own transaction: never a commit between its read and a
            # write it may still make.
            after_commit(session, lambda: _record_token_use_later(bind, token_id, now))
        else:  # a writer already: recorded with the request's own work
            row[1].last_used_at = now
    return row[0]


_token_use_writes: list[threading.Thread] = []


def _record_token_use_later(bind: Any, token_id: int, now: datetime) -> None:
    def write() -> None:
        from circo.db import write_intent

        try:
            with write_intent(True), Session(bind) as own, own.begin():
                own.execute(
                    update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)
                )
        except Exception as exc:  # bookkeeping only: a busy database skips this one
            logger.info("dernière utilisation du jeton %s non enregistrée : %s", token_id, exc)

    thread = threading.Thread(target=write, name=f"token-use-{token_id}", daemon=True)
    _token_use_writes[:] = [t for t in _token_use_writes if t.is_alive()] + [thread]
    thread.start()


def wait_for_token_use_writes(timeout: float = 60) -> None:
    """Tests: wait until the background token-use writes have ended."""
    for thread in list(_token_use_writes):
        thread.join(timeout)


def list_api_tokens(session: Session, *, user: User) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc())
        )
    )


def revoke_api_token(session: Session, *, user: User, token_id: int) -> None:
    api_token = session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    )
    if api_token is None:
        raise NotFound("jeton inconnu", loc="token")
    api_token.revoked_at = utcnow()
    session.flush()


# --- password reset ---------------------------------------------------------------------------

RESET_HOURS = 1


def start_password_reset(
    session: Session, *, email: str, hours: int = RESET_HOURS
) -> tuple[User, str] | None:
    """A reset token for the user with ``email``, or None (callers answer the same either way)."""
    user = get_user_by_email(session, email)
    if user is None or not user.is_active:
        return None
    token = new_token()
    session.add(
        PasswordReset(
            user_id=user.id,
            token_hash=token_hash(token),
            expires_at=utcnow() + timedelta(hours=hours),
        )
    )
    session.flush()
    return user, token


def finish_password_reset(
    session: Session, *, token: str, new_password: str, ip: str | None = None
) -> User:
    """Set the new password; every session, API token and other reset link of the user ends,
    and the login back-off of the account is lifted (the link proves the mailbox)."""
    reset = session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == token_hash(token))
    )
    if reset is None or reset.used_at is not None or reset.expires_at < utcnow():
        raise AuthError("lien de réinitialisation invalide ou expiré", status=400)
    check_password_strength(new_password)
    user = session.get(User, reset.user_id)
    if user is None:
        raise AuthError("lien de réinitialisation invalide", status=400)
    user.password_hash = hash_password(new_password)
    end_credentials(session, user=user, keep_session_id=None)
    session.add(LoginAttempt(email=user.email, ip=ip, success=True))
    audit.record(
        session, actor=Actor(user_id=user.id, email=user.email, ip=ip), action="password.reset"
    )
    session.flush()
    return user


def change_password(
    session: Session,
    *,
    user: User,
    current: str,
    new_password: str,
    keep_session_id: int | None = None,
) -> None:
    """Change the password; every other session, every API token and reset link ends."""
    if not verify_password(user.password_hash, current):
        raise AuthError("mot de passe actuel incorrect", status=400)
    check_password_strength(new_password)
    user.password_hash = hash_password(new_password)
    end_credentials(session, user=user, keep_session_id=keep_session_id)
    audit.record(session, actor=Actor(user_id=user.id, email=user.email), action="password.change")
    session.flush()


def end_credentials(session: Session, *, user: User, keep_session_id: int | None) -> None:
    """Log the user out everywhere (but ``keep_session_id``), revoke their API tokens and every
    unused password-reset link."""
    now = utcnow()
    session.execute(
        delete(WebSession).where(
            WebSession.user_id == user.id,
            WebSession.id != (keep_session_id if keep_session_id is not None else -1),
        )
    )
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
