"""Password hashing (argon2), random tokens and their at-rest hashes, signed links."""

from __future__ import annotations

import functools
import hashlib
import os
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

# The test suite (CIRCO_ENV=test) hashes thousands of passwords: it uses cheap parameters.
# Hashes record their own parameters, so verification works whichever profile made them.
_hasher = (
    PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    if os.environ.get("CIRCO_ENV") == "test"
    else PasswordHasher()
)

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@functools.cache
def dummy_password_hash() -> str:
    """A hash of a random password, verified for unknown accounts (equal work: no timing
    difference between a known and an unknown email)."""
    return hash_password(secrets.token_urlsafe(16))


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """At-rest form of a bearer token: SHA-256 (tokens are long and random, no salt needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def generate_password() -> str:
    """A readable random password for printed credentials."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def sign(secret_key: str, salt: str, payload: object) -> str:
    """A URL-safe signed token (RSVP links, unsubscribe links, self-service verification)."""
    return URLSafeTimedSerializer(secret_key, salt=salt).dumps(payload)


def unsign(secret_key: str, salt: str, token: str, *, max_age_seconds: int | None) -> object:
    """The payload of a signed token, or ValueError when it is forged or expired."""
    try:
        return URLSafeTimedSerializer(secret_key, salt=salt).loads(token, max_age=max_age_seconds)
    except SignatureExpired as exc:
        raise ValueError("lien expiré") from exc
    except BadSignature as exc:
        raise ValueError("lien invalide") from exc
