"""What each domain declares about the personal data it holds, so that the rights of the person
(access, erasure) and the merge of two contacts are complete by construction.

Every domain whose tables identify or describe a person declares a `PersonalData` in the
manifest (`circo.domains`): one `TableRule` per such table (how access, erasure and merge treat
it — checked by ``tests/test_personal_data.py`` against every table of the metadata), and the
three functions that do it for its own tables:

* ``access(session, ctx, identity, export)`` adds the person's rows to the access export;
* ``erase(session, ctx, identity) -> {table: rows}`` deletes (or anonymises) them;
* ``merge(session, ctx, kept_id, merged_id)`` moves the merged contact's rows to the kept one
  and keeps every proof (consents, deliveries…).

The orchestration (who the person is, traces in other tables and files, the request log) is in
`circo.privacy.rights`; the merge of the contact row itself in `circo.crm.dedup`. Functions
run inside the caller's transaction: they ``flush()``, never ``commit()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext, campaign_filter


@dataclass
class Identity:
    """Who a rights request is about: the matched contacts and every form of their identity."""

    contact_ids: list[int] = field(default_factory=list)
    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)  # E.164
    names: set[tuple[str, str]] = field(default_factory=set)  # (first name, last name)

    def needles(self) -> list[str]:
        """Strings whose presence anywhere means the person is still there (see
        `circo.privacy.rights.traces`)."""
        from circo.crm.normalise import phone_variants

        found: set[str] = set(self.emails)
        for phone in self.phones:
            found.update(phone_variants(phone))
        for first, last in self.names:
            if first and last:
                found.add(f"{first} {last}")
                found.add(f"{last} {first}")
        return sorted(value for value in found if len(value) >= 5)


AccessHook = Callable[[Session, CampaignContext, Identity, dict[str, Any]], None]
ErasureHook = Callable[[Session, CampaignContext, Identity], dict[str, int]]
MergeHook = Callable[[Session, CampaignContext, int, int], None]
# Retention: (session, ctx, data_dir, today, apply) -> [(policy, label, count, detail)], listed
# by the privacy module's retention run (dry run) and applied by it.
PurgeHook = Callable[
    [Session, CampaignContext, Path, date, bool], list[tuple[str, str, int, list[str]]]
]


@dataclass(frozen=True)
class TableRule:
    """How one table holding personal data is treated; each text says what the code does."""

    access: str
    erase: str
    merge: str


@dataclass(frozen=True)
class PersonalData:
    """A domain's personal data: its tables' rules and the functions that apply them."""

    tables: Mapping[str, TableRule]
    access: AccessHook | None = None
    erase: ErasureHook | None = None
    merge: MergeHook | None = None
    # The domain owning the contact rows themselves erases after every other domain.
    erase_last: bool = False
    # Tables the law requires to keep (table → the reason, with its article): erasure leaves
    # their rows and says so, and the scrub of leftovers does not touch them.
    retained: Mapping[str, str] = field(default_factory=dict)
    # Folders under the data dir holding such records (legal archives): the file scan skips them.
    retained_dirs: tuple[str, ...] = ()
    # The end of that legal period: what the retention run purges.
    purge: PurgeHook | None = None


# --- helpers for the common case: rows linked to a contact by a column -------------------------


def plain_row(obj: Any, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """A mapped object as JSON-able data (dates as ISO strings)."""
    data = {}
    for column in obj.__table__.columns:
        if column.key in exclude:
            continue
        value = getattr(obj, column.key)
        if isinstance(value, (datetime, date)):
            value = value.isoformat()
        data[column.key] = value
    return data


def rows_of(
    session: Session,
    ctx: CampaignContext,
    model: Any,
    ids: Sequence[int],
    column: str = "contact_id",
) -> list[dict[str, Any]]:
    if not ids:
        return []
    query = ctx.scoped(select(model), model).where(getattr(model, column).in_(list(ids)))
    return [plain_row(row) for row in session.scalars(query)]


def delete_rows(
    session: Session,
    ctx: CampaignContext,
    model: Any,
    ids: Sequence[int],
    column: str = "contact_id",
) -> int:
    if not ids:
        return 0
    result = session.execute(
        delete(model).where(campaign_filter(model, ctx), getattr(model, column).in_(list(ids)))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def move_rows(
    session: Session,
    ctx: CampaignContext,
    model: Any,
    kept_id: int,
    merged_id: int,
    *,
    column: str = "contact_id",
    unique_with: tuple[str, ...] = (),
) -> None:
    """Point the merged contact's rows at the kept contact. With ``unique_with`` (the other
    columns of a unique key), a row the kept contact already has is dropped instead."""
    link = getattr(model, column)
    if unique_with:
        kept_keys = {
            tuple(row)
            for row in session.execute(
                select(*(getattr(model, name) for name in unique_with)).where(
                    campaign_filter(model, ctx), link == kept_id
                )
            )
        }
        for row in session.scalars(
            select(model).where(campaign_filter(model, ctx), link == merged_id)
        ).all():
            if tuple(getattr(row, name) for name in unique_with) in kept_keys:
                session.delete(row)
        session.flush()
    session.execute(
        update(model)
        .where(campaign_filter(model, ctx), link == merged_id)
        .values({column: kept_id})
    )


# --- the core domain's own personal data: team accounts and the audit log ---------------------


def _core_access(
    session: Session, ctx: CampaignContext, identity: Identity, export: dict[str, Any]
) -> None:
    from circo.core.models import AuditEvent, Membership, OutgoingMail, User

    ids = [str(i) for i in identity.contact_ids]
    export["audit_events"] = [
        plain_row(event)
        for event in session.scalars(
            select(AuditEvent).where(
                campaign_filter(AuditEvent, ctx),
                AuditEvent.target_type == "contact",
                AuditEvent.target_id.in_(ids or ["-"]),
            )
        )
    ]
    accounts = []
    if identity.emails:
        rows = session.execute(
            select(User, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(campaign_filter(Membership, ctx), User.email.in_(identity.emails))
        )
        for user, role in rows:
            accounts.append({**plain_row(user, exclude=("password_hash",)), "role": str(role)})
    export["user_accounts"] = accounts
    export["mail_outbox"] = [
        plain_row(mail, exclude=("text", "html", "headers"))
        for mail in session.scalars(
            select(OutgoingMail).where(
                campaign_filter(OutgoingMail, ctx), OutgoingMail.email.in_(identity.emails or ["-"])
            )
        )
    ]


def _core_erase(session: Session, ctx: CampaignContext, identity: Identity) -> dict[str, int]:
    from circo.core.models import LoginAttempt, OutgoingMail

    if not identity.emails:
        return {}
    result = session.execute(delete(LoginAttempt).where(LoginAttempt.email.in_(identity.emails)))
    mails = session.execute(
        delete(OutgoingMail).where(
            campaign_filter(OutgoingMail, ctx), OutgoingMail.email.in_(identity.emails)
        )
    )
    return {
        "login_attempts": int(result.rowcount or 0),  # type: ignore[attr-defined]
        "mail_outbox": int(mails.rowcount or 0),  # type: ignore[attr-defined]
    }


_ACCOUNT = TableRule(
    access="with the team member's account (user_accounts of the export)",
    erase="removed with the account, which an administrator closes: a contact's erasure does "
    "not delete a team member's login",
    merge="not linked to a contact",
)

# Finished jobs (their payload, result and error may quote a row of an imported file) are kept
# this long for the pages and the team's follow-up, then deleted by the retention run.
JOB_RETENTION_DAYS = 90
JOB_RETENTION_LABEL = (
    f"travaux terminés (imports, envois…) : supprimés {JOB_RETENTION_DAYS} jours après leur fin"
)


def _core_purge(
    session: Session, ctx: CampaignContext, data_dir: Path, today: date, apply: bool
) -> list[tuple[str, str, int, list[str]]]:
    """Finished jobs of the campaign older than `JOB_RETENTION_DAYS` go (queued and running
    jobs stay: they are work still to do)."""
    from datetime import UTC, time, timedelta

    from circo.core.models import Job

    limit = datetime.combine(today - timedelta(days=JOB_RETENTION_DAYS), time(), tzinfo=UTC)
    old = select(Job.id).where(
        campaign_filter(Job, ctx), Job.status.in_(("done", "failed")), Job.updated_at < limit
    )
    ids = list(session.scalars(old))
    if apply and ids:
        session.execute(delete(Job).where(campaign_filter(Job, ctx), Job.id.in_(ids)))
    return [("finished_jobs", JOB_RETENTION_LABEL, len(ids), [f"travail {i}" for i in ids[:50]])]


PERSONAL_DATA = PersonalData(
    tables={
        "jobs": TableRule(
            access="not exported: a job names contacts by id, its details are the team's record",
            erase="any mention of the person (payload, result, error: e.g. a refused import "
            "line) is scrubbed by the erasure's safety net; finished jobs are deleted "
            f"{JOB_RETENTION_DAYS} days after their end by the retention run",
            merge="not linked to a contact",
        ),
        "users": _ACCOUNT,
        "memberships": _ACCOUNT,
        "api_tokens": _ACCOUNT,
        "web_sessions": _ACCOUNT,
        "password_resets": _ACCOUNT,
        "login_attempts": TableRule(
            access="not exported: a security log of the login form",
            erase="attempts made with the person's email are deleted",
            merge="not linked to a contact",
        ),
        "mail_outbox": TableRule(
            access="mail_outbox of the export: mails queued or sent to the person's addresses "
            "(recipient, subject, status, dates)",
            erase="mails to the person's addresses are deleted (sent or not)",
            merge="not linked to a contact: rows are by address",
        ),
        "audit_events": TableRule(
            access="audit_events of the export: actions on the person's contacts",
            erase="kept as the proof of what was done (GDPR art. 5.2); names and emails in "
            "its details are scrubbed by the erasure's safety net",
            merge="kept: events name contact ids, the merge itself is logged",
        ),
    },
    access=_core_access,
    erase=_core_erase,
    purge=_core_purge,
)
