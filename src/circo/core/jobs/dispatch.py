"""Handing committed jobs to the queue: after the commit of the row, never before.

A process that runs a queue (``circo serve``, ``circo worker``, a benchmark) installs a dispatcher
for its database; `enqueue` then sets the row's ``dispatched_at`` and the job id is sent to the
queue by the session's ``after_commit`` hook, so a worker never sees a job whose row is not
committed (a rolled-back enqueue sends nothing). Without a dispatcher (the CLI, tests) the row
waits, ``dispatched_at`` empty, until a worker's sweeper or ``circo jobs run`` picks it up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

logger = logging.getLogger(__name__)

Dispatcher = Callable[[int, datetime], None]
_DISPATCHERS: dict[str, Dispatcher] = {}
_PENDING = "circo.jobs.pending"


def database_key(url: object) -> str:
    from sqlalchemy.engine import make_url

    return make_url(str(url)).render_as_string(hide_password=False) if url else ""


def install(database_url: str, dispatcher: Dispatcher) -> None:
    _DISPATCHERS[database_key(database_url)] = dispatcher


def uninstall(database_url: str) -> None:
    _DISPATCHERS.pop(database_key(database_url), None)


def dispatcher_for(session: Session) -> Dispatcher | None:
    bind = session.get_bind()
    return _DISPATCHERS.get(database_key(bind.engine.url.render_as_string(hide_password=False)))


def after_commit(session: Session, job_id: int, run_after: datetime) -> None:
    """Send ``job_id`` to the queue once ``session`` commits (nothing if it rolls back)."""
    if _PENDING not in session.info:
        session.info[_PENDING] = []
        event.listen(session, "after_commit", _send_pending)
        event.listen(session, "after_soft_rollback", _drop_pending)
    session.info[_PENDING].append((job_id, run_after))


def _send_pending(session: Session) -> None:
    if session.in_nested_transaction():  # a SAVEPOINT released: the row is not committed yet
        return
    pending = session.info.get(_PENDING) or []
    session.info[_PENDING] = []
    if not pending:
        return
    dispatcher = dispatcher_for(session)
    if dispatcher is None:
        return
    for job_id, run_after in pending:
        try:
            dispatcher(job_id, run_after)
        except Exception:  # the sweeper hands it over again later
            logger.exception("could not hand job %s to the queue", job_id)


def _drop_pending(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a SAVEPOINT
        session.info[_PENDING] = []
