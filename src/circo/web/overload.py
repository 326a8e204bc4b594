"""Overload: admission control matched to the database pool, and a fast 503 with Retry-After.

Without it, every request gets a thread (anyio's pool: 40) while the database pool has far
fewer connections: under a burst the extra requests wait up to the pool timeout holding a
thread, then fail with a 500. Here, a pure ASGI middleware lets at most ``web_concurrency``
requests into the application at once (the pool has that many connections plus a reserve, see
`circo.runtime.pool_options`); the others wait in a FIFO queue for at most
``web_queue_seconds`` (at most ``web_queue_length`` of them), then get **503 Service
Unavailable** with ``Retry-After`` — JSON under ``/api/``, a French page otherwise. A client
that honours Retry-After (the volunteer app does) comes back later, and the server keeps
serving the requests it admitted at full speed.

Nothing waits while holding a connection: the request body is read (spooled to disk past
1 MiB) *before* the request takes a slot, so a slow upload never holds a slot, a connection or
SQLite's write lock; the response is built after the commit (`circo.web.deps.get_session`).

The middleware also sets the request's transaction intent for SQLite (`circo.db.write_intent`):
GET/HEAD/OPTIONS read in a deferred transaction, other methods take the write lock at BEGIN.
Errors that mean "busy, try again" (SQLite lock timeout, pool timeout, PostgreSQL deadlock or
serialization failure) also become 503 + Retry-After instead of 500.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from html import escape
from tempfile import SpooledTemporaryFile
from typing import IO, Any

from fastapi import FastAPI, Request, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from circo.config import Settings
from circo.db import set_write_intent

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
EXEMPT_PREFIXES = ("/static/",)  # files only, no database
SPOOL_IN_MEMORY = 1 << 20
REPLAY_CHUNK = 1 << 16
# PostgreSQL states meaning "try again": serialization failure, deadlock, lock not available,
# too many connections, cannot connect now.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03", "53300", "57P03"})
# Texts of the same conditions where no SQLSTATE comes with the error: SQLite's lock timeout,
# and PostgreSQL refusing a new connection (the error is raised by the connection attempt).
BUSY_MESSAGES = (
    "database is locked",
    "database table is locked",
    "too many clients already",
    "remaining connection slots are reserved",
)


def overload_message(retry_after: int) -> str:
    return (
        f"serveur momentanément surchargé : réessayez dans {retry_after} s "
        "(rien n'a été enregistré pour cette requête)"
    )


class Slots:
    """At most ``limit`` holders; up to ``queue_length`` waiters served first come, first
    served, each for at most ``queue_seconds``. Used from the event loop's thread only."""

    def __init__(self, *, limit: int, queue_length: int, queue_seconds: float) -> None:
        self.limit = limit
        self.queue_length = queue_length
        self.queue_seconds = queue_seconds
        self.active = 0
        self._waiters: deque[asyncio.Future[bool]] = deque()

    async def enter(self) -> bool:
        """True when a slot was taken (call `leave` later), False when refused."""
        if self.active < self.limit and not self._waiters:
            self.active += 1
            return True
        if len(self._waiters) >= self.queue_length or self.queue_seconds <= 0:
            return False
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        self._waiters.append(waiter)
        timer = loop.call_later(self.queue_seconds, _settle, waiter, False)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.result():
                self.leave()  # the slot was handed over just as the request went away
            raise
        finally:
            timer.cancel()
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def leave(self) -> None:
        """Free a slot, handing it straight to the longest waiter still waiting."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(True)
                return
        self.active -= 1

    @property
    def waiting(self) -> int:
        return sum(1 for waiter in self._waiters if not waiter.done())


def _settle(waiter: asyncio.Future[bool], value: bool) -> None:
    if not waiter.done():
        waiter.set_result(value)


class AdmissionControl:
    """ASGI middleware: bounded concurrency, short FIFO queue, fast 503 with Retry-After."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.retry_after = settings.web_retry_after
        self.slots = Slots(
            limit=settings.web_concurrency,
            queue_length=settings.web_queue_length,
            queue_seconds=settings.web_queue_seconds,
        )
        self.refused = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        set_write_intent(scope["method"] not in SAFE_METHODS)
        read = await _read_body(receive)
        if read is None:
            return  # the client went away while sending its request
        body, size = read
        try:
            if not await self.slots.enter():
                self.refused += 1
                await send_overloaded(scope, send, self.retry_after)
                return
            try:
                await self.app(scope, _replay(body, size, receive), send)
            finally:
                self.slots.leave()
        finally:
            body.close()


async def _read_body(receive: Receive) -> tuple[IO[bytes], int] | None:
    """The whole request body, in memory up to 1 MiB and in a temporary file past that."""
    spool: IO[bytes] = SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    more_body = True
    while more_body:
        message = await receive()
        if message["type"] == "http.disconnect":
            spool.close()
            return None
        spool.write(message.get("body", b""))
        more_body = bool(message.get("more_body", False))
    size = spool.tell()
    spool.seek(0)
    return spool, size


def _replay(body: IO[bytes], size: int, receive: Receive) -> Receive:
    """A ``receive`` that gives the buffered body again, then waits for the disconnect."""
    remaining = size
    sent_once = False

    async def replay() -> Message:
        nonlocal remaining, sent_once
        if remaining > 0 or not sent_once:
            chunk = body.read(min(REPLAY_CHUNK, remaining)) if remaining else b""
            remaining -= len(chunk)
            sent_once = True
            return {"type": "http.request", "body": chunk, "more_body": remaining > 0}
        return await receive()

    return replay


def _wants_json(scope: Scope) -> bool:
    if scope["path"].startswith("/api/"):
        return True
    for name, value in scope.get("headers", []):
        if name == b"accept":
            return b"application/json" in value
    return False


async def send_overloaded(scope: Scope, send: Send, retry_after: int) -> None:
    """503 + Retry-After, without touching the database or the templates."""
    message = overload_message(retry_after)
    if _wants_json(scope):
        body = json.dumps(
            {"error": "Overloaded", "message": message, "loc": None}, ensure_ascii=False
        ).encode()
        content_type = b"application/json"
    else:
        body = OVERLOAD_PAGE.format(message=escape(message), seconds=retry_after).encode()
        content_type = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry_after).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


OVERLOAD_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{seconds}">
<title>Serveur surchargé</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto;">
<h1>Serveur surchargé <small>(503)</small></h1>
<p role="alert">{message}.</p>
<p>La page se rechargera d'elle-même. <span lang="en">Server busy: this page will reload
in {seconds} s.</span></p>
</body></html>
"""


def is_busy_error(exc: BaseException) -> bool:
    """True for database errors meaning "busy, try again later"."""
    if isinstance(exc, PoolTimeoutError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    original = exc.orig
    if getattr(original, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    return any(text in str(original).lower() for text in BUSY_MESSAGES)


def install(app: FastAPI, settings: Settings) -> None:
    """Admission control around the whole app, and busy database errors answered with 503."""
    retry_after = settings.web_retry_after

    async def busy_database(request: Request, exc: Exception) -> Response:
        if not is_busy_error(exc):
            raise exc
        logger.warning("database busy, answered 503: %s", exc)
        payload = {"error": "Overloaded", "message": overload_message(retry_after), "loc": None}
        headers = {"Retry-After": str(retry_after), "Cache-Control": "no-store"}
        if _wants_json(request.scope):
            return Response(
                json.dumps(payload, ensure_ascii=False),
                status_code=503,
                media_type="application/json",
                headers=headers,
            )
        page = OVERLOAD_PAGE.format(
            message=escape(overload_message(retry_after)), seconds=retry_after
        )
        return Response(page, status_code=503, media_type="text/html", headers=headers)

    app.add_exception_handler(DBAPIError, busy_database)
    app.add_exception_handler(PoolTimeoutError, busy_database)
    app.add_middleware(AdmissionControl, settings=settings)
