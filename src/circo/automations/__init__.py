"""Automations: "when a contact joins segment S / signs form F / attends event E, then send
message M after N days / add a tag / assign to an organiser" (see docs/automations.md)."""
