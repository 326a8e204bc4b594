"""What a message and a delivery can be: channels, job kinds, statuses, A/B metrics."""

from __future__ import annotations

CHANNELS = ("email", "sms")
SEND_JOB = "messaging.send"
AB_JOB = "messaging.ab_decide"
ACTIVE = ("held", "queued")
STATUSES = (
    "held",
    "queued",
    "sending",
    "sent",
    "failed",
    "uncertain",
    "cancelled",
    "skipped_no_consent",
    "skipped_opposed",
)
AB_METRICS = ("opens", "clicks", "fixed")
