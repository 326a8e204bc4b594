"""Settings: one pydantic-settings object, environment prefix ``CIRCO_``."""

from __future__ import annotations

import ipaddress
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SECRET = "dev-insecure-change-me"

# A list setting read from the environment as comma-separated values ("80,443"), not JSON.
CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    """Every setting of circo; each is documented in docs/configuration.md (a test checks)."""

    model_config = SettingsConfigDict(env_prefix="CIRCO_", extra="ignore")

    env: Literal["development", "production", "test"] = Field(
        "development",
        description="development, production (refuses the default secret key) or test.",
    )
    data_dir: Path = Field(
        Path("circo-data"), description="Folder for the SQLite file, outgoing mail, exports."
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL; default sqlite file in the data dir. "
        "PostgreSQL: postgresql+psycopg://user:pass@host:5432/db",
    )
    secret_key: str = Field(
        DEFAULT_SECRET, description="Key signing cookies and links; set a long random value."
    )
    language: Literal["fr", "en"] = Field("fr", description="Default interface language.")
    base_url: str = Field(
        "http://127.0.0.1:8000", description="Public URL used in links sent by email."
    )
    cookie_secure: bool | None = Field(
        None,
        description="Send cookies only over HTTPS; unset: on when env=production, off otherwise.",
    )
    session_hours: int = Field(12, description="Lifetime of a login session, in hours.")
    login_max_failures: int = Field(
        5,
        description="Failed logins of one account before each new attempt waits (see "
        "login_backoff_seconds); a known browser or a password reset skips the wait.",
    )
    login_backoff_seconds: int = Field(
        30,
        description="First wait after login_max_failures failures of an account; doubles with "
        "each further failure, up to the window.",
    )
    login_max_failures_per_ip: int = Field(
        20, description="Failed logins allowed from one client address in the window."
    )
    login_window_minutes: int = Field(15, description="Window of the login rate limits.")

    smtp_host: str | None = Field(None, description="SMTP server; unset: mail goes to .eml files.")
    smtp_port: int = Field(25, description="SMTP port.")
    smtp_user: str | None = Field(None, description="SMTP login.")
    smtp_password: str | None = Field(None, description="SMTP password.")
    smtp_from: str = Field("circo <no-reply@circo.local>", description="Sender address.")
    smtp_tls: Literal["none", "starttls", "ssl"] = Field("none", description="SMTP security.")
    sms_provider: Literal["file", "http"] = Field(
        "file", description="SMS adapter: file (written under the data dir) or http (SMS API)."
    )
    sms_api_url: str | None = Field(None, description="HTTP SMS API endpoint (sms_provider=http).")
    sms_api_key: str | None = Field(None, description="Key of the HTTP SMS API (api-key header).")
    sms_sender: str = Field("circo", description="SMS sender name or number.")
    messaging_rate_per_second: float = Field(
        0.0, description="Default sending throttle per second for campaigns; 0: no throttle."
    )

    llm_base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint (Mistral, OpenAI, Ollama, vLLM…)."
    )
    llm_api_key: str | None = Field(None, description="API key of the LLM endpoint.")
    llm_model: str | None = Field(None, description="Model name at the LLM endpoint.")
    llm_timeout: float = Field(60.0, description="Seconds before an LLM request gives up.")
    llm_max_tokens: int | None = Field(
        None,
        description="Most tokens one LLM answer may generate (max_tokens); unset: the endpoint's.",
    )
    embeddings_model: str | None = Field(
        None, description="Embeddings model at the LLM endpoint (dense retrieval); unset: lexical."
    )
    images_base_url: str | None = Field(
        None,
        description="OpenAI-compatible images endpoint (POST /images/generations) for the "
        "studio's generated images; unset: no generated image.",
    )
    images_api_key: str | None = Field(None, description="API key of the images endpoint.")
    images_model: str | None = Field(None, description="Model name at the images endpoint.")

    # --- job engine (circo.core.jobs) ---
    redis_url: str | None = Field(
        None,
        description="Redis URL of the job queue (workers: `circo worker`); unset: embedded queue "
        "(a SQLite file in the data dir) run by `circo serve` in threads.",
    )
    jobs_queue: str = Field(
        "circo", description="Name of the job queue (Redis key prefix); one per instance."
    )
    jobs_threads: int = Field(
        2, ge=1, le=64, description="Worker threads `circo serve` runs with the embedded queue."
    )
    jobs_lease_seconds: float = Field(
        60.0,
        gt=0,
        description="A running job whose worker has not sent a heartbeat for this long is run "
        "again by another worker.",
    )
    jobs_sweep_seconds: float = Field(
        5.0,
        gt=0,
        description="How often a worker requeues jobs of dead workers and hands over jobs "
        "queued by a process without a queue (CLI).",
    )
    geocoding_online: bool = Field(
        False, description="Allow calls to the public BAN geocoding API."
    )
    tile_url: str | None = Field(
        None, description="Optional map tile URL template for map backgrounds."
    )

    # --- serving under load (admission control, database pool, worker processes) ---
    web_concurrency: int = Field(
        8,
        ge=1,
        le=200,
        description="Requests handled at once per server process (each may hold one database "
        "connection); the pool is sized to match. Beyond it, requests wait in a short queue.",
    )
    web_queue_seconds: float = Field(
        2.0,
        ge=0,
        le=60,
        description="Longest wait in the queue for a free slot before answering 503 with "
        "Retry-After.",
    )
    web_queue_length: int = Field(
        100,
        ge=0,
        le=10000,
        description="Requests allowed to wait in the queue; beyond it, 503 at once.",
    )
    web_retry_after: int = Field(
        2, ge=1, le=3600, description="Seconds given in Retry-After with a 503 (overload)."
    )
    web_workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Server processes started by `circo serve` (PostgreSQL; SQLite: keep 1).",
    )

    # --- security (docs/security.md) ---------------------------------------------------------
    hsts_seconds: int | None = Field(
        None,
        description="max-age of the Strict-Transport-Security header; unset: one year when "
        "env=production, no header otherwise; 0: no header.",
    )
    trusted_proxies: CommaList = Field(
        default_factory=list,
        description="Addresses or networks of reverse proxies whose X-Forwarded-For is believed "
        "(comma-separated, e.g. 127.0.0.1,10.0.0.0/8); empty: the header is ignored.",
    )
    known_device_days: int = Field(
        180,
        description="Days a browser that logged in stays 'known': it may log in while the "
        "account is being slowed down by failed attempts from elsewhere.",
    )
    email_throttle_per_address: int = Field(
        3, description="Password-reset / self-service emails per address and per hour."
    )
    email_throttle_per_ip: int = Field(
        10, description="Password-reset / self-service email requests per client address per hour."
    )
    url_fetch_enabled: bool = Field(
        True, description="Allow fetching URLs given by users (knowledge-base URLs, news feeds)."
    )
    url_fetch_allowed_ports: CommaList = Field(
        default_factory=lambda: ["80", "443"],
        description="Ports a fetched URL may use (comma-separated).",
    )
    url_fetch_allow_hosts: CommaList = Field(
        default_factory=list,
        description="Hosts, addresses or networks fetched even when private or loopback "
        "(comma-separated, optional :port, e.g. intranet.local,10.1.2.3:8080); for local use.",
    )
    url_fetch_timeout: float = Field(
        20.0, description="Total deadline of one URL fetch (redirects included), in seconds."
    )
    url_fetch_max_bytes: int = Field(
        50_000_000, description="Largest response body a URL fetch accepts, in bytes."
    )

    @field_validator(
        "trusted_proxies", "url_fetch_allowed_ports", "url_fetch_allow_hosts", mode="before"
    )
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("url_fetch_allowed_ports")
    @classmethod
    def _check_ports(cls, value: list[str]) -> list[str]:
        for item in value:
            if not item.isdigit() or not 0 < int(item) < 65536:
                raise ValueError(
                    f"port invalide « {item} » dans CIRCO_URL_FETCH_ALLOWED_PORTS "
                    "(attendu des nombres de 1 à 65535 séparés par des virgules, ex. 80,443)"
                )
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"adresse invalide « {item} » dans CIRCO_TRUSTED_PROXIES (attendu des "
                    "adresses IP ou réseaux séparés par des virgules, ex. 127.0.0.1,10.0.0.0/8)"
                ) from None
        return value

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry ``Secure``: explicit setting, else on in production."""
        return self.env == "production" if self.cookie_secure is None else self.cookie_secure

    @property
    def effective_hsts_seconds(self) -> int:
        """max-age of the HSTS header (0: no header)."""
        if self.hsts_seconds is not None:
            return max(self.hsts_seconds, 0)
        return 31_536_000 if self.env == "production" else 0

    @field_validator("data_dir", mode="before")
    @classmethod
    def _expand(cls, value: object) -> object:
        return Path(str(value)).expanduser() if value is not None else value

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'circo.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    def effective_secret_key(self) -> str:
        """The secret key; a development data dir gets a persistent random one."""
        if self.secret_key != DEFAULT_SECRET:
            return self.secret_key
        if self.env == "production":
            from circo.errors import ConfigError

            raise ConfigError(
                "CIRCO_SECRET_KEY n'est pas défini : en production, définissez une clé longue "
                "et aléatoire (ex. `python -c 'import secrets; print(secrets.token_hex(32))'`)."
            )
        key_file = self.data_dir / ".secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (CLI options) winning."""
    clean = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**clean)  # type: ignore[arg-type]
