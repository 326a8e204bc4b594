"""Privacy by code: legal bases, consent, opposition, election calendar, rights, retention.

Public API — every module that touches a person goes through it (messaging, field, crm):

Consent and contact decisions (`circo.privacy.consent`)
    ``can_contact(session, ctx, contact_id, channel) -> Decision``
        ``Decision(allowed, basis: str | None, reason: str, consent_id: int | None, code: str)``
        (``reason`` is French for people; code reads ``code``).
        ``channel`` ∈ ``Channel``: "email", "sms", "phone", "post", "automated_call".
        Rules: an opposition (all channels or this one) refuses; a missing address refuses; a
        suppressed email/phone (erased or opposed person re-imported) refuses; the newest
        consent record of the channel decides when there is one (``basis="consent"``, its id is
        the proof to keep with each send); without one, SMS and automated calls are refused
        (prior opt-in only), post is allowed on legitimate interest, email and phone are allowed
        on legitimate interest only for regular contacts (``Contact.relationship_kind`` in
        member, supporter, volunteer, donor), else refused.
    ``decide_many(session, ctx, *, contact_ids: Iterable[int] | None, channel)``
        ``-> dict[int, Decision]``:
        the same for a whole recipient list in a few queries (``None``: the whole campaign).
    ``record_consent(session, ctx, *, contact_id, channel, status, source, proof=None, at=None)``
        append-only; ``status`` ∈ granted, refused, withdrawn; ``channel`` may also be
        ``POLITICAL_OPINIONS`` (explicit consent, GDPR art. 9). An unsubscribe is
        ``status="withdrawn"``. Written to the contact's timeline.
    ``record_opposition(session, ctx, *, contact_id, channel="all", source)``
        honoured at once by `can_contact`.
    ``can_store_opinion(session, ctx, contact_id) -> Decision``
        political opinions go on the person only when allowed; otherwise keep them per bureau.
    ``latest_consents(session, ctx, *, contact_ids=None)``
        ``-> dict[(contact_id, channel), ConsentRecord]``

Election calendar (`circo.privacy.calendar`)
    ``check_calendar(campaign, now, kind="message"|"paid_ads"|"sms"|"phone") -> CalendarDecision``
        ``CalendarDecision(allowed, rule, reason, warning, until)``; L49: every outbound
        communication blocked from 00:00 (Europe/Paris) the day before each polling day
        (``campaign.election_date`` and ``campaign.settings["round2_date"]``) until the polls
        close (20:00, ``settings["polls_close"]``); L52-1: paid advertising blocked from the first
        day of the 6th month before the election month to the vote (warning the month before);
        sms/phone: only within ``settings["contact_hours"]`` (9–20) on ``contact_days`` (Mon–Sat).
    ``require_calendar(campaign, now, kind)`` raises `CalendarBlocked` (HTTP 423).

Who sees whom (`circo.privacy.scope`)
    The field domain declares in the manifest (`circo.domains`) the volunteer scope
    ``(session, ctx) -> Select`` of the contact ids on the turfs assigned to ``ctx.actor``.
    ``contact_visibility(session, ctx, column)`` is the WHERE clause crm applies to every
    contact query.

Rights of the person (`circo.privacy.rights`; each domain's `PersonalData`, `circo.core.personal`)
    ``access_export(session, ctx, *, email=None, phone=None) -> dict`` (JSON-able, every record),
    ``access_pdf(export) -> bytes``, ``erase_person(session, ctx, settings, *, email=None,
    phone=None) -> ErasureReport``, rights requests with their 1-month deadline
    (``create_request``, ``list_requests``, ``complete_request``). Each domain exports, erases
    and merges its own tables (``PersonalData`` in the manifest).

Retention and record of processing (`circo.privacy.retention`, `circo.privacy.register`)
    ``run_retention(session, ctx, settings, *, apply: bool, now=None) -> RetentionReport``;
    job kind ``"privacy.retention"``; ``processing_register(session, ctx) -> list[Purpose]``.
"""

from circo.privacy.calendar import CalendarDecision, check_calendar, require_calendar
from circo.privacy.consent import (
    POLITICAL_OPINIONS,
    Channel,
    ConsentStatus,
    Decision,
    can_contact,
    can_store_opinion,
    decide_many,
    latest_consents,
    record_consent,
    record_opposition,
)
from circo.privacy.scope import contact_visibility

__all__ = [
    "POLITICAL_OPINIONS",
    "CalendarDecision",
    "Channel",
    "ConsentStatus",
    "Decision",
    "can_contact",
    "can_store_opinion",
    "check_calendar",
    "contact_visibility",
    "decide_many",
    "latest_consents",
    "record_consent",
    "record_opposition",
    "require_calendar",
]
