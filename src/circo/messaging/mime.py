"""Bulk email: the same `EmailSender` (one reused SMTP connection, .eml outbox without SMTP),
with a fast MIME writer for campaigns.

Python's ``email`` package with the modern policy spends several milliseconds per message
parsing and folding headers; a campaign message always has the same shape (multipart/
alternative, UTF-8 text and HTML parts in base64), so it is written directly here, with
headers encoded by `email.header.Header` (RFC 2047) and CR/LF refused in every header value.
"""

from __future__ import annotations

import base64
import secrets
import smtplib
import time
from email.header import Header
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from circo.config import Settings
from circo.core.email import EmailError, EmailSender, OutgoingEmail


def _header(name: str, value: str) -> str:
    if "\r" in value or "\n" in value:
        raise EmailError(f"en-tête {name} invalide : retour à la ligne interdit")
    if value.isascii() and len(value) < 900:
        return f"{name}: {value}"
    return f"{name}: {Header(value, 'utf-8', header_name=name).encode()}"


def _sender(raw: str) -> str:
    name, address = parseaddr(raw)
    return formataddr((name, address), charset="utf-8") if name else address


def _part(content_type: str, text: str) -> str:
    encoded = base64.encodebytes(text.encode("utf-8")).decode("ascii").replace("\n", "\r\n")
    return (
        f'Content-Type: {content_type}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n" + encoded
    )


def render_mime(sender: str, email: OutgoingEmail) -> tuple[bytes, str]:
    """(the message's bytes, its Message-ID)."""
    message_id = make_msgid(domain="circo.local")
    lines = [
        _header("From", _sender(sender)),
        _header("To", email.to),
        _header("Subject", email.subject),
        f"Date: {formatdate(localtime=False)}",
        f"Message-ID: {message_id}",
        "MIME-Version: 1.0",
    ]
    if email.reply_to:
        lines.append(_header("Reply-To", email.reply_to))
    lines.extend(_header(name, value) for name, value in email.headers.items())
    if email.html is None:
        head = "\r\n".join(lines)
        return (head + "\r\n" + _part("text/plain", email.text)).encode("ascii"), message_id
    boundary = "=_circo_" + secrets.token_hex(12)
    lines.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
    body = (
        f"\r\n--{boundary}\r\n"
        + _part("text/plain", email.text)
        + f"--{boundary}\r\n"
        + _part("text/html", email.html)
        + f"--{boundary}--\r\n"
    )
    return ("\r\n".join(lines) + "\r\n" + body).encode("ascii"), message_id


class BulkEmailSender(EmailSender):
    """`EmailSender` whose SMTP path writes the MIME message directly (see module doc).

    At most once: a connection that drops during a hand-over is not retried with the same
    message (the server may have accepted it); the error reaches the caller, which records the
    delivery as uncertain. A connection idle for a while is checked (NOOP) before use."""

    IDLE_CHECK_SECONDS = 20.0

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._last_use = 0.0

    def _ready(self) -> smtplib.SMTP:
        if self._smtp is not None and time.monotonic() - self._last_use > self.IDLE_CHECK_SECONDS:
            try:
                self._smtp.noop()
            except (OSError, smtplib.SMTPException):
                self._smtp = None
        if self._smtp is None:
            self._smtp = self._connect()
        return self._smtp

    def send(self, email: OutgoingEmail) -> str:
        if not self.settings.smtp_host:
            return super().send(email)
        raw, message_id = render_mime(self.settings.smtp_from, email)
        envelope_from = parseaddr(self.settings.smtp_from)[1]
        smtp = self._ready()
        try:
            smtp.sendmail(envelope_from, [email.to], raw)
        except smtplib.SMTPServerDisconnected:
            self._smtp = None
            raise
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421:  # the server closes the connection
                self._smtp = None
            raise EmailError(f"envoi refusé pour {email.to} : {exc}") from exc
        except smtplib.SMTPException as exc:
            raise EmailError(f"envoi refusé pour {email.to} : {exc}") from exc
        finally:
            self._last_use = time.monotonic()
        return message_id
