"""Messaging rules: programme points × segments, composing, queueing a send, A/B, opt-out.

A send is prepared here (recipients decided, one delivery row each with the legal basis used
as proof) and carried out by the job runner (`circo.messaging.delivery`). Services ``flush()``,
never ``commit()``.

One module per role; this package re-exports their public names.
"""

from __future__ import annotations

from circo.messaging.service.ab_test import VariantStats, decide_winner, pick_winner, variant_stats
from circo.messaging.service.calendar_rules import (
    require_paid_ads_allowed,
    require_sending_allowed,
    sending_decision,
)
from circo.messaging.service.constants import (
    AB_JOB,
    AB_METRICS,
    ACTIVE,
    CHANNELS,
    SEND_JOB,
    STATUSES,
)
from circo.messaging.service.delivery_stats import (
    engagement,
    list_deliveries,
    outcome,
    status_counts,
)
from circo.messaging.service.drafts import (
    Draft,
    content_key,
    parse_channel,
    point_of,
    uses_point,
    validate_draft,
)
from circo.messaging.service.matrix import (
    MatrixRow,
    add_point,
    delete_point,
    get_point,
    list_points,
    matrix,
    national_points,
    point_for_segment,
    set_cell,
)
from circo.messaging.service.opt_out import (
    STOP_WORDS,
    cancel_pending_for,
    handle_inbound_sms,
    is_stop,
    unsubscribe_contact,
    unsubscribe_email,
)
from circo.messaging.service.sending import (
    Audience,
    audience,
    cancel,
    enqueue_send,
    find_message,
    get_message,
    list_messages,
    resume,
    start_send,
)

__all__ = [
    "AB_JOB",
    "AB_METRICS",
    "ACTIVE",
    "CHANNELS",
    "SEND_JOB",
    "STATUSES",
    "STOP_WORDS",
    "Audience",
    "Draft",
    "MatrixRow",
    "VariantStats",
    "add_point",
    "audience",
    "cancel",
    "cancel_pending_for",
    "content_key",
    "decide_winner",
    "delete_point",
    "engagement",
    "enqueue_send",
    "find_message",
    "get_message",
    "get_point",
    "handle_inbound_sms",
    "is_stop",
    "list_deliveries",
    "list_messages",
    "list_points",
    "matrix",
    "national_points",
    "outcome",
    "parse_channel",
    "pick_winner",
    "point_for_segment",
    "point_of",
    "require_paid_ads_allowed",
    "require_sending_allowed",
    "resume",
    "sending_decision",
    "set_cell",
    "start_send",
    "status_counts",
    "unsubscribe_contact",
    "unsubscribe_email",
    "uses_point",
    "validate_draft",
    "variant_stats",
]
