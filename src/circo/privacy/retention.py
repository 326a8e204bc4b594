"""Retention policies per data category, run by the job runner, with a dry run."""

from __future__ import annotations

import os
import time as clock
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import audit, jobs
from circo.core.models import Campaign, Job
from circo.core.tenancy import CampaignContext, campaign_filter, system_context
from circo.crm.models import (
    Contact,
    ContactAnswer,
    ContactTag,
    DuplicatePair,
    ElectoralRoll,
    EventAttendee,
    Interaction,
    RollEntry,
)
from circo.db import utcnow
from circo.privacy.models import ConsentRecord, Opposition, RightsRequest

DEFAULT_INACTIVE_YEARS = 3
CLOSED_REQUEST_YEARS = 5
UNVERIFIED_REQUEST_DAYS = 30
UPLOAD_DAYS = 7
EXPORT_DAYS = 30

POLICIES = {
    "electoral_roll": "Liste électorale (L37) : purgée à la date prévue (6 mois après l'élection)",
    "emargement": "Listes d'émargement (L68) : détruites après le second tour",
    "inactive_contacts": "Contacts sans activité depuis 3 ans : supprimés",
    "closed_requests": "Demandes d'exercice des droits clôturées depuis 5 ans : supprimées",
    "unverified_requests": "Demandes en libre-service non vérifiées après 30 jours : supprimées",
    "import_uploads": "Fichiers déposés dans l'assistant d'import : supprimés après 7 jours",
    "exports": "Fichiers d'export dans le dossier de données : supprimés après 30 jours",
}


@dataclass
class RetentionItem:
    policy: str
    label: str
    count: int
    detail: list[str] = field(default_factory=list)


@dataclass
class RetentionReport:
    applied: bool
    items: list[RetentionItem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "items": [
                {"policy": i.policy, "label": i.label, "count": i.count, "detail": i.detail}
                for i in self.items
            ],
            "total": sum(item.count for item in self.items),
        }


def _rolls(session: Session, ctx: CampaignContext, kind: str, today: Any) -> list[ElectoralRoll]:
    query = ctx.scoped(select(ElectoralRoll), ElectoralRoll).where(
        ElectoralRoll.kind == kind, ElectoralRoll.purge_after < today
    )
    return list(session.scalars(query))


def _old_files(folder: Path, days: int, now: datetime) -> list[Path]:
    if not folder.is_dir():
        return []
    limit = now.timestamp() - days * 86400
    found = []
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(root) / name
            if path.stat().st_mtime < limit:
                found.append(path)
    return sorted(found)


def delete_contacts(session: Session, ctx: CampaignContext, ids: list[int]) -> None:
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        for model in (
            Interaction,
            ContactAnswer,
            ContactTag,
            ConsentRecord,
            Opposition,
            EventAttendee,
        ):
            session.execute(delete(model).where(model.contact_id.in_(chunk)))
        session.execute(delete(DuplicatePair).where(DuplicatePair.contact_a.in_(chunk)))
        session.execute(delete(DuplicatePair).where(DuplicatePair.contact_b.in_(chunk)))
        session.execute(delete(Contact).where(campaign_filter(Contact, ctx), Contact.id.in_(chunk)))


def run_retention(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    *,
    apply: bool,
    now: datetime | None = None,
) -> RetentionReport:
    """List (dry run) or delete what the policies say must go."""
    moment = now or utcnow()
    today = moment.date()
    report = RetentionReport(applied=apply)
    for kind in ("electoral_roll", "emargement"):
        rolls = _rolls(session, ctx, "roll" if kind == "electoral_roll" else "emargement", today)
        count = sum(roll.rows for roll in rolls)
        detail = [f"liste {r.id} « {r.election_label} » (purge le {r.purge_after})" for r in rolls]
        if apply:
            for roll in rolls:
                session.execute(delete(RollEntry).where(RollEntry.roll_id == roll.id))
                session.delete(roll)
        report.items.append(RetentionItem(kind, POLICIES[kind], count, detail))
    years = int(
        (ctx.campaign.settings or {}).get("retention_inactive_years") or DEFAULT_INACTIVE_YEARS
    )
    inactive = list(
        session.scalars(
            ctx.scoped(select(Contact.id), Contact).where(
                Contact.last_activity_at < moment - timedelta(days=365 * years)
            )
        )
    )
    if apply and inactive:
        delete_contacts(session, ctx, inactive)
    report.items.append(
        RetentionItem(
            "inactive_contacts",
            POLICIES["inactive_contacts"],
            len(inactive),
            [f"contact {i}" for i in inactive[:50]],
        )
    )
    closed = ctx.scoped(select(RightsRequest.id), RightsRequest).where(
        RightsRequest.status.in_(["done", "rejected"]),
        RightsRequest.completed_at < moment - timedelta(days=365 * CLOSED_REQUEST_YEARS),
    )
    unverified = ctx.scoped(select(RightsRequest.id), RightsRequest).where(
        RightsRequest.status == "unverified",
        RightsRequest.received_at < moment - timedelta(days=UNVERIFIED_REQUEST_DAYS),
    )
    for policy, query in (("closed_requests", closed), ("unverified_requests", unverified)):
        ids = list(session.scalars(query))
        if apply and ids:
            session.execute(delete(RightsRequest).where(RightsRequest.id.in_(ids)))
        report.items.append(
            RetentionItem(policy, POLICIES[policy], len(ids), [f"demande {i}" for i in ids[:50]])
        )
    for policy, folder, days in (
        ("import_uploads", settings.data_dir / "imports" / ctx.campaign.slug, UPLOAD_DAYS),
        ("exports", settings.data_dir / "exports" / ctx.campaign.slug, EXPORT_DAYS),
    ):
        files = _old_files(folder, days, moment)
        if apply:
            for path in files:
                path.unlink(missing_ok=True)
        report.items.append(
            RetentionItem(policy, POLICIES[policy], len(files), [path.name for path in files[:50]])
        )
    from circo.domains import registry

    for rules in registry().personal_data.values():
        if rules.purge is not None:
            found = rules.purge(session, ctx, settings.data_dir, today, apply)
            for policy, label, count, detail in found:
                report.items.append(RetentionItem(policy, label, count, detail))
    session.flush()
    audit.record(
        session,
        actor=ctx.actor,
        action="privacy.retention.apply" if apply else "privacy.retention.dry_run",
        campaign_id=ctx.campaign_id,
        details={item.policy: item.count for item in report.items},
    )
    return report


def ensure_retention_scheduled(session: Session) -> Job:
    """Queue the daily retention run if it is not queued yet (idempotent per day)."""
    day = int(clock.time() // 86400) + 1
    return jobs.enqueue(
        session,
        kind="privacy.retention",
        payload={"repeat": True},
        idempotency_key=f"privacy.retention:{day}",
        delay_seconds=max(0.0, day * 86400 - clock.time()),
    )


def retention_job(session: Session, settings: Settings, job: Job) -> dict[str, Any]:
    """Apply the retention policies of every campaign (or of ``payload["campaign_id"]``), then
    schedule the next daily run."""
    campaign_id = job.payload.get("campaign_id")
    query = select(Campaign)
    if campaign_id:
        query = query.where(Campaign.id == campaign_id)
    totals = {}
    campaigns = list(session.scalars(query))
    session.commit()
    for done, campaign in enumerate(campaigns):
        jobs.report_progress(job, done, len(campaigns))
        report = run_retention(session, system_context(campaign), settings, apply=True)
        totals[campaign.slug] = report.as_dict()["total"]
        session.commit()  # one short write per campaign (a purge run again deletes nothing)
    if job.payload.get("repeat", True):
        ensure_retention_scheduled(session)
    return {"deleted": totals}
