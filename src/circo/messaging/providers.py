"""SMS providers behind one small interface.

- `FileSmsProvider` (default): writes each SMS that would be sent as one JSON line under
  ``<data dir>/sms-outbox/`` — nothing leaves the machine.
- `HttpSmsProvider`: a common HTTP SMS API (the Brevo ``transactionalSMS/sms`` shape:
  ``POST`` JSON ``{"sender", "recipient", "content", "type", "tag"}`` with an ``api-key``
  header, answer ``{"messageId": …}``). 4xx answers are final refusals; 5xx answers and
  network errors are transient and retried.

``paid_advertising`` marks providers that buy reach (sponsored messages, rented audiences):
they are refused in the L52-1 window.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import httpx

from circo.config import Settings
from circo.messaging.errors import ProviderError


class SmsProvider(Protocol):
    name: str
    paid_advertising: bool

    def send(self, *, to: str, text: str, reference: str) -> str:
        """Hand one SMS to the provider; return its id. Raise `ProviderError`."""
        ...

    def close(self) -> None: ...


def sms_outbox_dir(settings: Settings) -> Path:
    return settings.data_dir / "sms-outbox"


class FileSmsProvider:
    name = "file"
    paid_advertising = False

    def __init__(self, settings: Settings) -> None:
        self.folder = sms_outbox_dir(settings)
        self.sender = settings.sms_sender
        self._lock = threading.Lock()

    def send(self, *, to: str, text: str, reference: str) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        line = {
            "at": datetime.now(UTC).isoformat(),
            "from": self.sender,
            "to": to,
            "text": text,
            "reference": reference,
        }
        day = datetime.now(UTC).strftime("%Y-%m-%d")
        with self._lock, (self.folder / f"sms-{day}.jsonl").open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
        return f"file:{reference}"

    def close(self) -> None:
        return None


class HttpSmsProvider:
    name = "http"
    paid_advertising = False

    def __init__(self, settings: Settings, *, timeout: float = 15.0) -> None:
        if not settings.sms_api_url:
            raise ProviderError(
                "CIRCO_SMS_API_URL manquant pour CIRCO_SMS_PROVIDER=http (exemple : "
                "https://api.brevo.com/v3/transactionalSMS/sms)"
            )
        self.url = settings.sms_api_url
        self.sender = settings.sms_sender
        headers = {"accept": "application/json"}
        if settings.sms_api_key:
            headers["api-key"] = settings.sms_api_key
        self._client = httpx.Client(timeout=timeout, headers=headers)

    def send(self, *, to: str, text: str, reference: str) -> str:
        payload = {
            "sender": self.sender,
            "recipient": to.lstrip("+"),
            "content": text,
            "type": "marketing",
            "tag": reference,
        }
        try:
            response = self._client.post(self.url, json=payload)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise ProviderError(f"fournisseur SMS injoignable : {exc}", transient=True) from exc
        except httpx.HTTPError as exc:
            raise ProviderError(
                f"réponse du fournisseur SMS perdue : {exc}", maybe_sent=True
            ) from exc
        if response.status_code >= 500:
            raise ProviderError(
                f"fournisseur SMS indisponible (HTTP {response.status_code})", transient=True
            )
        if response.status_code >= 400:
            raise ProviderError(
                f"SMS refusé par le fournisseur (HTTP {response.status_code}) : {_reason(response)}"
            )
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        return str(answer.get("messageId") or answer.get("id") or "")

    def close(self) -> None:
        self._client.close()


def _reason(response: httpx.Response) -> str:
    try:
        answer = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(answer, dict):
        return str(answer.get("message") or answer.get("error") or answer)[:200]
    return str(answer)[:200]


def make_sms_provider(settings: Settings) -> SmsProvider:
    if settings.sms_provider == "http":
        return HttpSmsProvider(settings)
    return FileSmsProvider(settings)
