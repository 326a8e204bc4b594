"""What a message and a delivery can be: channels, job kinds, statuses, A/B metrics (the value
sets are the enums of `circo.messaging.models`, enforced by the database)."""

from __future__ import annotations

from circo.messaging.models import AbMetric, Channel, DeliveryStatus

CHANNELS = tuple(channel.value for channel in Channel)
SEND_JOB = "messaging.send"
AB_JOB = "messaging.ab_decide"
ACTIVE = (DeliveryStatus.held.value, DeliveryStatus.queued.value)
STATUSES = tuple(status.value for status in DeliveryStatus)
AB_METRICS = tuple(metric.value for metric in AbMetric)
