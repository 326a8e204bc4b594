"""Targeted messaging: programme points × segments, email and SMS sends with consent,
opt-out and the election calendar enforced, delivery log, A/B tests.

Public API: `circo.messaging.service` (matrix, composing, sending, unsubscribe, STOP) and
`circo.messaging.delivery` (the job handlers); its personal data in `circo.messaging.personal`.
"""
