"""The import of official results as a job (``elections.import_results``).

``circo import results`` queues it and runs it at once in its own process through
`circo.core.jobs.run_here` — the same claim, handler and "done" mark as on a worker — so the
import and its job record commit together: one transaction, a run that dies writes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import audit, jobs
from circo.core.audit import Actor
from circo.core.models import Job
from circo.db import after_commit
from circo.errors import CircoError

IMPORT_RESULTS_JOB = "elections.import_results"
# Lines between two progress reports: at least 500, at most ≈ 100 reports a file. Each report is
# a write (≈ 2 ms); one every 500 lines was 1 523 writes, ≈ 3 s, for a national file with one
# row per candidate and bureau (761 662 lines).
PROGRESS_EVERY = 500
PROGRESS_REPORTS = 100


def enqueue_results_import(
    session: Session,
    *,
    file: Path,
    election: str,
    round_number: int,
    file_format: str | None,
    force: bool = False,
    max_attempts: int = 1,
) -> Job:
    return jobs.enqueue(
        session,
        kind=IMPORT_RESULTS_JOB,
        max_attempts=max_attempts,
        payload={
            "file": str(file),
            "election": election,
            "round": round_number,
            "format": file_format,
            "force": force,
        },
    )


def import_results_job(session: Session, settings: Settings, job: Job) -> dict[str, Any]:
    """Parse the file and replace the election round, in the job's transaction."""
    from circo.elections.bulk import reclaim_space
    from circo.elections.importing import count_lines, import_results

    payload = job.payload
    path = Path(str(payload["file"]))
    file_format = payload.get("format")
    if file_format not in (None, "wide", "long"):
        raise jobs.JobRefused(f"--format : format « {file_format} » inconnu ; attendu wide ou long")
    try:  # the data lines, counted once: the progress total and the import's sizing
        data_lines = count_lines(path) - 1 if path.is_file() else None
    except CircoError as exc:  # a truncated archive: no retry can fix it
        raise jobs.JobRefused(str(exc)) from exc
    total = max(data_lines, 1) if data_lines is not None else None
    every = max(PROGRESS_EVERY, (total or 0) // PROGRESS_REPORTS)
    reported = {"line": 0}

    def advance(line: int) -> None:
        if line - reported["line"] >= every:
            jobs.report_progress(job, line - 1, total)
            reported["line"] = line

    if total is not None:
        jobs.report_progress(job, 0, total)
    try:
        report = import_results(
            session,
            path=path,
            key=str(payload["election"]),
            round_number=int(payload["round"]),
            file_format=file_format,
            on_progress=advance,
            force=bool(payload.get("force", False)),
            expected_lines=data_lines,
        )
    except CircoError as exc:  # the file is wrong: no retry can fix it
        raise jobs.JobRefused(str(exc)) from exc
    # PostgreSQL: VACUUM the replaced round's dead rows once the job's transaction commits.
    engine = session.get_bind()
    if isinstance(engine, Engine):
        after_commit(session, lambda: reclaim_space(engine))
    audit.record(
        session,
        actor=Actor(),
        action="elections.import_results",
        target_type="election",
        target_id=f"{report.election}-t{report.round}",
        details={"file": report.file, "stations": report.stations},
    )
    if total is not None:
        jobs.report_progress(job, total, total)
    return report.as_dict()
