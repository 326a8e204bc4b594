"""Job records and personal data: an erasure scrubs the person out of a job's payload, result
and error (a refused import line quotes the row), and the retention run deletes finished jobs
after `JOB_RETENTION_DAYS` while queued work stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import jobs
from circo.core.models import Job
from circo.core.personal import JOB_RETENTION_DAYS
from circo.privacy.retention import run_retention
from circo.privacy.rights.erasure import erase_person
from tests.crm.helpers import ctx_of, make_contact
from tests.factories import make_campaign

EMAIL = "lea.dupuis-erase@example.org"


def test_erasure_scrubs_the_person_out_of_job_records(session: Session, settings: Settings) -> None:
    campaign = make_campaign(session, slug="jobs-erase")
    ctx = ctx_of(campaign)
    make_contact(session, ctx, first_name="Léa", last_name="Dupuis", email=EMAIL)
    job = jobs.enqueue(
        session,
        kind="test.import",
        payload={"note": f"ligne de {EMAIL}"},
        campaign_id=ctx.campaign_id,
    )
    job.status = "failed"
    job.error = f"ligne 3, colonne Email : « {EMAIL} » refusée"
    job.result = {"problems": [f"ligne 3 : {EMAIL}", "Léa Dupuis"]}
    session.commit()

    erase_person(session, ctx, settings, email=EMAIL)
    session.commit()
    session.expire_all()
    stored = session.get(Job, job.id)
    assert stored is not None
    text = f"{stored.payload} {stored.result} {stored.error}"
    assert EMAIL not in text
    assert "Léa Dupuis" not in text
    assert "[effacé]" in (stored.error or "")


def test_retention_deletes_old_finished_jobs_only(session: Session, settings: Settings) -> None:
    campaign = make_campaign(session, slug="jobs-retention")
    ctx = ctx_of(campaign)
    old_done, old_queued, recent_done = (
        jobs.enqueue(session, kind="test.work", payload={"n": n}, campaign_id=ctx.campaign_id)
        for n in range(3)
    )
    session.flush()
    long_ago = datetime.now(UTC) - timedelta(days=JOB_RETENTION_DAYS + 2)
    for job, status, when in (
        (old_done, "done", long_ago),
        (old_queued, "queued", long_ago),
        (recent_done, "done", datetime.now(UTC)),
    ):
        session.execute(update(Job).where(Job.id == job.id).values(status=status, updated_at=when))
    session.commit()

    dry = run_retention(session, ctx, settings, apply=False)
    assert {item.policy: item.count for item in dry.items}["finished_jobs"] == 1
    run_retention(session, ctx, settings, apply=True)
    session.commit()
    left = set(session.scalars(select(Job.id).where(Job.campaign_id == ctx.campaign_id)))
    assert left == {old_queued.id, recent_done.id}
