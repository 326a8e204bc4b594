"""``circo import results`` goes through the job engine: the import is an
``elections.import_results`` job run in the command's own process (same handler, claim and
"done" mark as a worker), recorded in the jobs table with its result or its error."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from circo.cli import app
from circo.core.models import Job
from circo.elections.models import Election
from tests.elections.sample_files import cut_rhone

runner = CliRunner()
ARGS = ["--election", "pres-2017", "--round", "1"]


def _jobs(session: Session) -> list[Job]:
    session.expire_all()
    found = list(session.scalars(select(Job).order_by(Job.id)))
    session.rollback()  # SQLite: hold no lock while the CLI writes
    return found


def test_a_results_import_is_a_job_with_its_report(
    session: Session, cli_env: dict[str, str], tmp_path: Path
) -> None:
    t1 = cut_rhone(tmp_path, round_number=1, communes=("123", "266"))
    imported = runner.invoke(app, ["import", "results", str(t1), *ARGS, "--json"])
    assert imported.exit_code == 0, imported.output
    report = json.loads(imported.stdout)
    [job] = _jobs(session)
    assert (job.kind, job.status, job.attempts) == ("elections.import_results", "done", 1)
    assert job.result == report
    assert job.payload["file"] == str(t1.resolve())
    assert job.progress_total is not None
    assert job.progress_done == job.progress_total


def test_a_broken_results_file_fails_its_job_and_writes_nothing(
    session: Session, cli_env: dict[str, str], tmp_path: Path
) -> None:
    t1 = cut_rhone(tmp_path, round_number=1)
    lines = t1.read_text(encoding="utf-8").splitlines(keepends=True)
    broken = tmp_path / "broken.csv"
    broken.write_text(lines[0] + lines[1].replace(";", ",", 3) + "".join(lines[2:]))
    failed = runner.invoke(app, ["import", "results", str(broken), *ARGS])
    assert failed.exit_code == 2
    assert "broken.csv" in failed.output
    assert "ligne 2" in failed.output
    [job] = _jobs(session)
    assert (job.status, job.attempts) == ("failed", 1)  # refused at once, never retried
    assert job.error is not None
    assert "broken.csv" in job.error
    assert "ligne 2" in job.error
    assert session.scalars(select(Election)).all() == []
