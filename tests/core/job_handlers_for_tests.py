"""Job handlers for the engine tests, and an entry point that runs the real CLI with them.

A worker subprocess runs ``python -c "from tests.core.job_handlers_for_tests import main;
main()" worker …``: the handlers below are registered with `register_handler` (as the domains
manifest does), then ``circo.cli.main`` runs exactly as ``python -m circo`` would.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import jobs
from circo.core.models import AuditEvent, Job

EFFECT = "test.job_effect"
GATE_DEADLINE_SECONDS = 120.0


def record_effect(session: Session, job: Job) -> dict[str, Any]:
    """The job's effect: one audit row, written in the handler's transaction."""
    session.add(
        AuditEvent(
            campaign_id=job.campaign_id,
            actor="worker",
            action=EFFECT,
            target_type="job",
            target_id=str(job.id),
            details={"pid": os.getpid(), "attempt": job.attempts},
        )
    )
    session.flush()
    return {"pid": os.getpid(), "attempt": job.attempts}


def effect_job(session: Session, settings: Settings, job: Job) -> dict[str, Any]:
    return record_effect(session, job)


def gated_job(session: Session, settings: Settings, job: Job) -> dict[str, Any]:
    """Announce the run (a file named after the attempt and pid), wait for the gate file the
    test creates, then record the effect — a long job the test can kill in the middle."""
    folder = Path(job.payload["folder"])
    jobs.report_progress(job, 1, 2)
    (folder / f"started-{job.attempts}-{os.getpid()}").write_text("")
    gate = folder / "gate"
    deadline = time.monotonic() + GATE_DEADLINE_SECONDS
    while not gate.exists():  # the "work": bounded, ends when the test opens the gate
        if time.monotonic() > deadline:
            raise TimeoutError("gate never opened")
        time.sleep(0.05)
    return record_effect(session, job)


def effects(session: Session, job_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == EFFECT, AuditEvent.target_id == str(job_id))
        )
        or 0
    )


def register() -> None:
    jobs.register_handler("test.effect", effect_job)
    jobs.register_handler("test.gated", gated_job)


def main() -> None:
    register()
    from circo.cli import main as circo_main

    circo_main()
