"""Response bodies of the party API: aggregates only, never a person."""

from __future__ import annotations

from circo.bounds import ReadModel


class GroupRef(ReadModel):
    slug: str
    name: str
    kind: str


class Totals(ReadModel):
    contacts: int
    active_volunteers: int
    doors_knocked: int
    conversations: int
    donations: int
    funds_raised_cents: int
    events: int
    priority_bureaux: int
    priority_bureaux_covered: int
    reach_rate: float | None
    priority_coverage: float | None


class NodeSummary(ReadModel):
    slug: str
    name: str
    kind: str
    nodes: int
    campaigns: int
    totals: Totals


class RollupRead(ReadModel):
    group: GroupRef
    nodes: int
    campaigns: int
    totals: Totals
    children: list[NodeSummary]
