"""Outbound email used by every feature (alerts, invitations, password reset, messaging).

Real SMTP when ``CIRCO_SMTP_HOST`` is set; otherwise each message is written as an ``.eml`` file
under ``<data dir>/outbox`` so nothing is lost and a developer can open it.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from circo.config import Settings
from circo.errors import CircoError


class EmailError(CircoError):
    status = 502


@dataclass
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    reply_to: str | None = None


def build_message(settings: Settings, email: OutgoingEmail) -> EmailMessage:
    """A MIME message: text/plain, plus text/html as an alternative when given."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="circo.local")
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    for name, value in email.headers.items():
        message[name] = value
    message.set_content(email.text)
    if email.html is not None:
        message.add_alternative(email.html, subtype="html")
    return message


def outbox_dir(settings: Settings) -> Path:
    return settings.data_dir / "outbox"


class EmailSender:
    """Sends messages through SMTP, or writes them to the outbox; reuses one SMTP connection."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> EmailSender:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def send(self, email: OutgoingEmail) -> str:
        """Send one message; returns its Message-ID. Raises EmailError with the server's reason."""
        message = build_message(self.settings, email)
        if not self.settings.smtp_host:
            self._write_eml(message)
        else:
            self._send_smtp(message)
        return str(message["Message-ID"])

    def _write_eml(self, message: EmailMessage) -> Path:
        folder = outbox_dir(self.settings)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{uuid.uuid4().hex}.eml"
        path.write_bytes(bytes(message))
        return path

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        host = settings.smtp_host or ""
        try:
            smtp: smtplib.SMTP
            if settings.smtp_tls == "ssl":
                smtp = smtplib.SMTP_SSL(
                    host, settings.smtp_port, context=ssl.create_default_context(), timeout=30
                )
            else:
                smtp = smtplib.SMTP(host, settings.smtp_port, timeout=30)
                if settings.smtp_tls == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
        except (OSError, smtplib.SMTPException) as exc:
            raise EmailError(
                f"serveur SMTP {host}:{settings.smtp_port} injoignable ou refusé : {exc}. "
                "Vérifiez CIRCO_SMTP_HOST, CIRCO_SMTP_PORT, CIRCO_SMTP_TLS."
            ) from exc
        return smtp

    def _send_smtp(self, message: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPServerDisconnected:
            self._smtp = self._connect()
            self._smtp.send_message(message)
        except smtplib.SMTPException as exc:
            raise EmailError(f"envoi refusé pour {message['To']} : {exc}") from exc

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._smtp = None


def send_email(settings: Settings, email: OutgoingEmail) -> str:
    with EmailSender(settings) as sender:
        return sender.send(email)
