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
from email.policy import EmailPolicy
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import quote

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


# Headers written as they are, in plain ASCII, never RFC 2047-encoded: mail clients read the
# URIs of ``List-Unsubscribe`` literally (RFC 2369, RFC 8058), and the default policy encodes
# any unbreakable token longer than a line (a signed link is one) as ``=?utf-8?q?…?=``.
PLAIN_ASCII_HEADERS = frozenset({"list-unsubscribe", "list-unsubscribe-post"})
MAX_LINE = 998  # RFC 5322, 2.1.1


class MailPolicy(EmailPolicy):
    """`email.policy.SMTP` that keeps the `PLAIN_ASCII_HEADERS` as plain ASCII, folded only
    between list items (``<https://…>,`` CRLF SP ``<mailto:…>``) when a line would pass 998."""

    def _plain(self, name: str, value: str) -> str | None:
        text = str(value)
        if name.lower() not in PLAIN_ASCII_HEADERS or not text.isascii():
            return None
        if "\r" in text or "\n" in text:
            raise EmailError(f"en-tête {name} invalide : retour à la ligne interdit")
        line = f"{name}: {text}"
        if len(line) > MAX_LINE:
            line = f"{name}: " + f",{self.linesep} ".join(item.strip() for item in text.split(","))
        return line + self.linesep

    def fold(self, name: str, value: str) -> str:
        return self._plain(name, value) or super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        plain = self._plain(name, value)
        return plain.encode("ascii") if plain else super().fold_binary(name, value)


MAIL_POLICY = MailPolicy()  # the defaults of email.policy.default


def list_unsubscribe(url: str, mailbox: str, *, token: str = "") -> dict[str, str]:
    """The ``List-Unsubscribe`` headers of a bulk message: the one-click HTTPS link (RFC 8058)
    and a ``mailto:`` to the sender's mailbox (RFC 2369), both plain ASCII."""
    address = parseaddr(mailbox)[1] or mailbox
    subject = quote(f"Desinscription {token}".strip(), safe="")
    return {
        "List-Unsubscribe": f"<{url}>, <mailto:{quote(address, safe='@')}?subject={subject}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def build_message(settings: Settings, email: OutgoingEmail) -> EmailMessage:
    """A MIME message: text/plain, plus text/html as an alternative when given."""
    message = EmailMessage(policy=MAIL_POLICY)
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
