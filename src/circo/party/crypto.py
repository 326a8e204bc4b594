"""Secrets of the party domain kept encrypted at rest (a webhook receiver's signing secret).

Fernet (from ``cryptography``) with a key derived from the installation's secret key
(`circo.config.Settings.effective_secret_key`, as `circo.core.instance` does for the SMTP
password), under its own label so the two keys differ. A stored value is ``fernet:<token>``; a
value without the prefix is a secret stored before ``party_0004`` (read as is, re-encrypted by
that migration).
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from circo.config import Settings

PREFIX = "fernet:"
LABEL = "circo.party-webhooks:"


def _fernet(settings: Settings) -> Fernet:
    digest = hashlib.sha256((LABEL + settings.effective_secret_key()).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(settings: Settings, value: str) -> str:
    """``value`` encrypted, as stored."""
    return PREFIX + _fernet(settings).encrypt(value.encode()).decode("ascii")


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def unseal(settings: Settings, stored: str) -> str | None:
    """The clear value of a stored one; None when the installation's key changed since."""
    if not is_sealed(stored):
        return stored  # stored before encryption (party_0004 re-encrypts these)
    try:
        return _fernet(settings).decrypt(stored[len(PREFIX) :].encode("ascii")).decode()
    except (InvalidToken, ValueError):
        return None
