"""Reach: the channels beyond door-to-door and broadcasts — phone banking first (call lists
built from segments, kept to people with a consent or legal basis for phone contact, batches per
volunteer, outcomes written into the privacy ledger at once)."""
