"""Settings of the installation edited on the settings page (admin), stored in the database.

Which value wins, for each setting: the environment variable (``CIRCO_<KEY>``, or a CLI option)
when set, then the value saved on the settings page, then the default of `circo.config.Settings`.
The public base URL has one more step before the default: the address the server was last
reached at (``circo serve`` records ``http://host:port`` when it listens on a given address, and
every successful login records the address the browser used), so links in mail sent by a
background job point where people actually open circo.

Secrets (SMTP password, SMS API key) are stored encrypted (Fernet, a key derived from the
installation's secret key) and never sent back to a page: the page only says whether one is set.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.models import InstanceSetting
from circo.db import utcnow, write_intent
from circo.errors import CircoError

SEEN_BASE_URL = "seen_base_url"  # not a setting: the address the server was last reached at


@dataclass(frozen=True)
class Editable:
    key: str  # the field of circo.config.Settings
    label: str  # French, shown on the page
    secret: bool = False
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (value, French label) for a closed set


EDITABLE: tuple[Editable, ...] = (
    Editable(
        "base_url",
        "Adresse publique du site",
        help="Début de chaque lien des e-mails, ex. https://circo.ma-campagne.fr",
    ),
    Editable("smtp_from", "Expéditeur des e-mails", help="ex. Campagne Dupont <contact@dupont.fr>"),
    Editable("smtp_host", "Serveur SMTP", help="vide : les e-mails sont écrits dans un dossier"),
    Editable("smtp_port", "Port SMTP", help="25, 587 (starttls) ou 465 (ssl)"),
    Editable(
        "smtp_tls",
        "Sécurité SMTP",
        choices=(
            ("none", "aucune"),
            ("starttls", "STARTTLS (port 587)"),
            ("ssl", "SSL (port 465)"),
        ),
    ),
    Editable("smtp_user", "Identifiant SMTP"),
    Editable("smtp_password", "Mot de passe SMTP", secret=True),
    Editable(
        "sms_provider",
        "Envoi des SMS",
        choices=(("file", "dans un dossier (aucun envoi réel)"), ("http", "par une API HTTP")),
    ),
    Editable("sms_api_url", "Adresse de l'API SMS"),
    Editable("sms_api_key", "Clé de l'API SMS", secret=True),
    Editable("sms_sender", "Expéditeur des SMS"),
)
BY_KEY = {item.key: item for item in EDITABLE}


class SettingsError(CircoError):
    """A value refused on the settings page, naming the field."""


# --- secrets ------------------------------------------------------------------------------------


def _fernet(settings: Settings) -> Fernet:
    digest = hashlib.sha256(
        ("circo.instance-settings:" + settings.effective_secret_key()).encode()
    ).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _encrypt(settings: Settings, value: str) -> str:
    return _fernet(settings).encrypt(value.encode()).decode("ascii")


def _decrypt(settings: Settings, value: str) -> str | None:
    try:
        return _fernet(settings).decrypt(value.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        return None  # the secret key changed: the secret must be typed again


# --- reading ------------------------------------------------------------------------------------


def stored_values(session: Session, settings: Settings) -> dict[str, str]:
    """Every stored value, secrets decrypted (an unreadable secret is left out)."""
    values: dict[str, str] = {}
    for row in session.scalars(select(InstanceSetting)):
        if row.secret:
            clear = _decrypt(settings, row.value)
            if clear is not None:
                values[row.key] = clear
        else:
            values[row.key] = row.value
    return values


def from_environment(settings: Settings) -> set[str]:
    """The editable keys set by an environment variable or a CLI option (they win)."""
    return {item.key for item in EDITABLE if item.key in settings.model_fields_set}


@cache
def _adapter(key: str) -> TypeAdapter[Any]:
    return TypeAdapter(Settings.model_fields[key].annotation or str)


def _typed(key: str, value: str) -> Any:
    field = Settings.model_fields[key]
    if value == "" and not field.is_required() and field.default is None:
        return None
    try:
        return _adapter(key).validate_python(value)
    except ValidationError as exc:
        label = BY_KEY[key].label if key in BY_KEY else key
        reason = exc.errors()[0].get("msg", "valeur invalide")
        raise SettingsError(f"{label} : valeur refusée « {value} » ({reason})", loc=key) from None


def apply(settings: Settings, stored: dict[str, str]) -> Settings:
    """``settings`` with the stored values where no environment variable is set."""
    explicit = settings.model_fields_set
    update: dict[str, Any] = {}
    for item in EDITABLE:
        if item.key in stored and item.key not in explicit:
            try:
                update[item.key] = _typed(item.key, stored[item.key])
            except SettingsError:
                continue  # a value stored by an older version: the default holds
    if "base_url" not in explicit and "base_url" not in update and stored.get(SEEN_BASE_URL):
        update["base_url"] = stored[SEEN_BASE_URL]
    if not update:
        return settings
    applied = settings.model_copy(update=update)
    # stored values are not explicit: keep the record of what the environment set
    object.__setattr__(applied, "__pydantic_fields_set__", set(settings.model_fields_set))
    return applied


def effective(session: Session, settings: Settings) -> Settings:
    """The settings in force for work done with ``session`` (a job, a CLI command)."""
    return apply(settings, stored_values(session, settings))


def base_url_source(settings: Settings, stored: dict[str, str]) -> str:
    """Where the public base URL comes from, in French, for the settings page and `serve`."""
    if "base_url" in settings.model_fields_set:
        return "variable d'environnement CIRCO_BASE_URL"
    if stored.get("base_url"):
        return "page Réglages"
    if stored.get(SEEN_BASE_URL):
        return "adresse à laquelle le serveur a été joint (à confirmer sur la page Réglages)"
    return "valeur par défaut (à régler)"


class Cache:
    """Stored values of one database, kept a few seconds per process (the web app reads them
    for each request); a save in this process refreshes them at once."""

    def __init__(self, max_age_seconds: float = 3.0) -> None:
        self.max_age = max_age_seconds
        self._lock = threading.Lock()
        self._values: dict[str, str] | None = None
        self._loaded = 0.0
        self._applied: tuple[Settings, dict[str, str], Settings] | None = None

    def values(self, session_factory: Any, settings: Settings) -> dict[str, str]:
        with self._lock:
            fresh = self._values is not None and time.monotonic() - self._loaded < self.max_age
            if fresh and self._values is not None:
                return self._values
        # a read (deferred on SQLite): it never queues for the write lock, which the request's
        # own session may already hold
        with write_intent(False), session_factory() as session:
            values = stored_values(session, settings)
            session.rollback()
        with self._lock:
            self._values, self._loaded = values, time.monotonic()
        return values

    def settings(self, session_factory: Any, settings: Settings) -> Settings:
        """``settings`` with the stored values applied (the same object until they change)."""
        values = self.values(session_factory, settings)
        with self._lock:
            cached = self._applied
            if cached is not None and cached[0] is settings and cached[1] is values:
                return cached[2]
        applied = apply(settings, values)
        with self._lock:
            self._applied = (settings, values, applied)
        return applied

    def invalidate(self) -> None:
        with self._lock:
            self._values = None

    def invalidate_after_commit(self, session: Session) -> None:
        """Read the values again once ``session``'s changes are committed."""
        event.listen(session, "after_commit", lambda _session: self.invalidate(), once=True)


# --- writing ------------------------------------------------------------------------------------


def _put(session: Session, key: str, value: str, *, secret: bool) -> None:
    row = session.get(InstanceSetting, key)
    if row is None:
        session.add(InstanceSetting(key=key, value=value, secret=secret))
    else:
        row.value, row.secret, row.updated_at = value, secret, utcnow()


def save(
    session: Session,
    settings: Settings,
    *,
    values: dict[str, str],
    clear_secrets: set[str] = frozenset(),  # type: ignore[assignment]
) -> list[str]:
    """Store the values of the settings page; the keys changed.

    An empty field removes the stored value (the default holds again), except for a secret,
    which is kept unless its "effacer" box is ticked (the page never shows it back)."""
    current = stored_values(session, settings)
    changed: list[str] = []
    for item in EDITABLE:
        if item.key not in values and item.key not in clear_secrets:
            continue
        raw = values.get(item.key, "").strip()
        if item.secret:
            if item.key in clear_secrets:
                if _delete(session, item.key):
                    changed.append(item.key)
            elif raw and raw != current.get(item.key):
                _put(session, item.key, _encrypt(settings, raw), secret=True)
                changed.append(item.key)
            continue
        if item.key == "base_url" and raw:
            raw = check_base_url(raw)
        if raw:
            _typed(item.key, raw)
        if raw == current.get(item.key, ""):
            continue
        if raw:
            _put(session, item.key, raw, secret=False)
        else:
            _delete(session, item.key)
        changed.append(item.key)
    session.flush()
    return changed


def _delete(session: Session, key: str) -> bool:
    row = session.get(InstanceSetting, key)
    if row is None:
        return False
    session.delete(row)
    return True


def check_base_url(value: str) -> str:
    """``https://host[:port][/path]`` without a trailing slash; anything else is refused."""
    from urllib.parse import urlsplit

    cleaned = value.strip().rstrip("/")
    parts = urlsplit(cleaned)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise SettingsError(
            f"adresse publique invalide « {value} » (attendu par ex. "
            "https://circo.ma-campagne.fr ou http://192.168.1.10:8000)",
            loc="base_url",
        )
    return cleaned


def remember_base_url(session: Session, settings: Settings, url: str) -> bool:
    """Record the address the server was reached at, used for mail when no public URL is set
    (by CIRCO_BASE_URL or on the settings page) and no reverse proxy is declared (behind a
    proxy, the address circo sees is not the public one: the page asks to set it)."""
    if "base_url" in settings.model_fields_set or settings.trusted_proxies:
        return False
    if session.get(InstanceSetting, "base_url") is not None:
        return False
    try:
        cleaned = check_base_url(url)
    except SettingsError:
        return False
    row = session.get(InstanceSetting, SEEN_BASE_URL)
    if row is not None and row.value == cleaned:
        return False
    _put(session, SEEN_BASE_URL, cleaned, secret=False)
    session.flush()
    return True
