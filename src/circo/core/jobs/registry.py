"""What a job kind runs and what runs when a worker starts, registered explicitly.

The domains manifest (`circo.domains.load_domains`) installs them; no decorator registers a
function at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.models import Job

JobHandler = Callable[[Session, Settings, Job], dict[str, Any] | None]
StartupFunction = Callable[[Session], object]

_HANDLERS: dict[str, JobHandler] = {}
_STARTUP: list[StartupFunction] = []


def register_handler(kind: str, function: JobHandler) -> JobHandler:
    """Run ``function(session, settings, job)`` for jobs of ``kind``; its dict is the result."""
    _HANDLERS[kind] = function
    return function


def register_startup(function: StartupFunction) -> StartupFunction:
    """Run ``function(session)`` when a worker starts (e.g. queue a daily job); idempotent."""
    if function not in _STARTUP:
        _STARTUP.append(function)
    return function


def install_handlers(
    handlers: Mapping[str, JobHandler], startup: Iterable[StartupFunction]
) -> None:
    """Install the domains' handlers and startup functions (called by
    `circo.domains.load_domains`; the manifest is the one list of them)."""
    _HANDLERS.update(handlers)
    for function in startup:
        register_startup(function)


def handler_for(kind: str) -> JobHandler | None:
    return _HANDLERS.get(kind)


def startup_functions() -> list[StartupFunction]:
    return list(_STARTUP)


def registered_kinds() -> list[str]:
    return sorted(_HANDLERS)
