"""The contacts import as a job: the web wizard and ``circo contacts import`` queue it, a worker
(or the CLI itself) runs `import_contacts_job`.

The file stays on disk (``<data dir>/imports/<campaign>/<token>.*`` for a web upload) until the
job's rows are committed: the handler removes an uploaded file in the ``after_commit`` of the
transaction that writes the rows and marks the job done (`circo.core.jobs.runner`), so a worker
killed before that commit leaves the job, its file and an empty database; the next run starts
again from the file. The import is atomic (one transaction), so a run that dies writes nothing
and a second run cannot duplicate rows. The same upload with the same mapping queued twice (a
double click, a retried form) is one job (its idempotency key).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import jobs
from circo.core.audit import Actor
from circo.core.models import Campaign, Job
from circo.core.tenancy import CampaignContext, system_context
from circo.crm import geocode
from circo.crm.importer.reading import ParsedFile
from circo.db import after_commit, remove_files
from circo.errors import CircoError

IMPORT_JOB = "crm.import"
PROGRESS_EVERY = 500  # rows between two progress writes
PROBLEMS_KEPT = 50  # problems kept in the job's result (the count is always there)


def upload_dir(settings: Settings, slug: str) -> Path:
    return settings.data_dir / "imports" / slug


def enqueue_import(
    session: Session,
    ctx: CampaignContext,
    *,
    file: Path,
    filename: str,
    mapping: dict[str, str],
    skip_invalid: bool,
    upload: str | None = None,
    max_attempts: int = 3,
    provenance: dict[str, Any] | None = None,
) -> Job:
    """Queue the import of ``file`` with ``mapping`` for the campaign of ``ctx``.

    ``upload`` is the token of a web upload: its files are removed once the rows are committed,
    and the same token, mapping and choice queued again return the same job. A file given by
    the command line is never removed."""
    settings_key = json.dumps([mapping, skip_invalid], sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(settings_key.encode()).hexdigest()[:16]
    key = f"{IMPORT_JOB}:{ctx.campaign_id}:{upload}:{digest}" if upload else None
    return jobs.enqueue(
        session,
        kind=IMPORT_JOB,
        campaign_id=ctx.campaign_id,
        idempotency_key=key,
        max_attempts=max_attempts,
        payload={
            "file": str(file),
            "filename": filename,
            "mapping": mapping,
            "skip_invalid": skip_invalid,
            "upload": upload,
            "requested_by": ctx.actor.user_id,
            "actor": ctx.actor.email,
            "provenance": provenance or {},
        },
    )


def remove_imported_uploads(session: Session, settings: Settings, ctx: CampaignContext) -> int:
    """Remove the uploads of finished imports still on disk (a process killed between the
    commit of the rows and the removal of the file); how many files went."""
    folder = upload_dir(settings, ctx.campaign.slug)
    if not folder.is_dir():
        return 0
    done = session.scalars(
        ctx.scoped(select(Job), Job)
        .where(Job.kind == IMPORT_JOB, Job.status == "done")
        .order_by(Job.id.desc())
        .limit(500)
    )
    tokens = {str(job.payload.get("upload")) for job in done if job.payload.get("upload")}
    leftovers = [path for path in folder.iterdir() if path.name.split(".", 1)[0] in tokens]
    remove_files(leftovers)
    return len(leftovers)


def _context(session: Session, job: Job) -> CampaignContext:
    campaign = session.get(Campaign, job.campaign_id) if job.campaign_id else None
    if campaign is None:
        raise jobs.JobRefused("campagne de l'import introuvable (supprimée ?)")
    payload = job.payload
    actor = Actor(user_id=payload.get("requested_by"), email=str(payload.get("actor") or "system"))
    return replace(system_context(campaign), actor=actor)


def _source(parsed: ParsedFile) -> str | None:
    """The consents' source of a translated export: "import nationbuilder : people.csv"."""
    origin = parsed.provenance.get("imported_from")
    return f"import {origin} : {parsed.filename}"[:200] if origin else None


def import_contacts_job(session: Session, settings: Settings, job: Job) -> dict[str, Any]:
    """Read and validate the file with no transaction open (progress: rows checked), then
    write every row in the job's one transaction (committed with the "done" mark)."""
    from circo.crm.importer.commit import refusal, suppression_check, write_plan
    from circo.crm.importer.reading import read_file
    from circo.crm.importer.validation import plan_import

    payload = job.payload
    ctx = _context(session, job)
    slug = ctx.campaign.slug
    suppressed = suppression_check(session, ctx)
    session.commit()  # end the read: validating a large file holds no lock
    path = Path(str(payload["file"]))
    if not path.is_file():
        raise jobs.JobRefused(
            f"fichier d'import introuvable : {payload.get('filename') or path.name} "
            "(déposez-le à nouveau)"
        )
    mapping = {str(k): str(v) for k, v in dict(payload["mapping"]).items()}
    try:
        parsed = read_file(path, filename=str(payload.get("filename") or path.name))
        parsed.provenance = dict(payload.get("provenance") or {})
        total = len(parsed.rows)
        jobs.report_progress(job, 0, total)
        plan = plan_import(
            parsed,
            mapping,
            suppressed=suppressed,
            progress=lambda done: jobs.report_progress(job, done, total),
            progress_every=PROGRESS_EVERY,
        )
        if plan.problems and not payload.get("skip_invalid"):
            raise refusal(plan, parsed)
        # Where the addresses are, before the write: offline BAN reads, then the online API
        # (only when configured) with no transaction open.
        located, online = geocode.locate_addresses(session, settings, _address_keys(plan))
        session.commit()  # end the lookups' read before the write transaction
        result = write_plan(
            session,
            ctx,
            parsed,
            mapping,
            plan,
            skip_invalid=bool(payload.get("skip_invalid")),
            source=_source(parsed),
        )
        located_report = geocode.geocode_imported(
            session, result.contact_ids, located, online=online, ctx=ctx
        )
    except CircoError as exc:  # the file itself is wrong: no retry can fix it
        raise jobs.JobRefused(str(exc)) from exc
    token = payload.get("upload")
    if token:
        uploaded = sorted(upload_dir(settings, slug).glob(f"{token}.*"))
        after_commit(session, lambda: remove_files(uploaded))
    summary = result.as_dict()
    problems = list(summary["problems"])  # type: ignore[call-overload]
    summary["problem_count"] = len(problems)
    summary["problems"] = problems[:PROBLEMS_KEPT]
    summary["file"] = parsed.filename
    summary["geocoding"] = located_report.as_dict()
    return summary


def _address_keys(plan: Any) -> list[geocode.AddressKey]:
    """The distinct (postal code, address line) of the rows to write."""
    keys = {
        (str(record["postal_code"]), str(record["address_line"]))
        for record in plan.records
        if record.get("postal_code") and record.get("address_line")
    }
    return sorted(keys)
