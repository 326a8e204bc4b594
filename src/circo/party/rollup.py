"""Aggregates of a subtree: counts, doors knocked, reach rate, funds raised, coverage of the
priority bureaux — never a person.

Each figure is one ``GROUP BY campaign_id`` query over the campaigns of the subtree (an index
scan per table), then summed up the tree in Python: the national roll-up over 600 nodes and
2 million contacts stays one query per figure (``benchmarks/party/rollup.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.crm.models import Contact, Event, Volunteer, VolunteerStatus
from circo.field import questionnaire as qn
from circo.field.models import TurfPlan, Visit
from circo.finance.models import Donation
from circo.party.models import PartyGroup
from circo.party.tree import subtree

# The figures of a node (all integers but the rate), in the order pages show them.
FIGURES = (
    "contacts",
    "active_volunteers",
    "doors_knocked",
    "conversations",
    "donations",
    "funds_raised_cents",
    "events",
    "priority_bureaux",
    "priority_bureaux_covered",
)
CHUNK = 900  # campaign ids per IN list (SQLite's bound on parameters is far above)


def _empty() -> dict[str, int]:
    return dict.fromkeys(FIGURES, 0)


def _per_campaign(
    session: Session, query: Any, column: Any, campaign_ids: list[int]
) -> Iterable[tuple[int, int]]:
    for start in range(0, len(campaign_ids), CHUNK):
        chunk = campaign_ids[start : start + CHUNK]
        rows = session.execute(query.where(column.in_(chunk)).group_by(column))
        yield from ((int(campaign_id), int(value or 0)) for campaign_id, value in rows)


def campaign_figures(session: Session, campaign_ids: list[int]) -> dict[int, dict[str, int]]:
    """``{campaign_id: {figure: value}}`` for the given campaigns (anonymous counts only)."""
    figures = {campaign_id: _empty() for campaign_id in campaign_ids}
    if not campaign_ids:
        return figures
    queries: list[tuple[str, Any, Any]] = [
        ("contacts", select(Contact.campaign_id, func.count()), Contact.campaign_id),
        (
            "active_volunteers",
            select(Volunteer.campaign_id, func.count()).where(
                Volunteer.status == VolunteerStatus.active
            ),
            Volunteer.campaign_id,
        ),
        ("doors_knocked", select(Visit.campaign_id, func.count()), Visit.campaign_id),
        (
            "conversations",
            select(Visit.campaign_id, func.count()).where(Visit.outcome.in_(qn.CONTACT_OUTCOMES)),
            Visit.campaign_id,
        ),
        (
            "donations",
            select(Donation.campaign_id, func.count()).where(Donation.cancelled.is_(False)),
            Donation.campaign_id,
        ),
        (
            "funds_raised_cents",
            select(Donation.campaign_id, func.sum(Donation.amount_cents)).where(
                Donation.cancelled.is_(False)
            ),
            Donation.campaign_id,
        ),
        ("events", select(Event.campaign_id, func.count()), Event.campaign_id),
    ]
    for figure, query, column in queries:
        for campaign_id, value in _per_campaign(session, query, column, campaign_ids):
            figures[campaign_id][figure] = int(value or 0)
    for campaign_id, (chosen, covered) in priority_coverage(session, campaign_ids).items():
        figures[campaign_id]["priority_bureaux"] = chosen
        figures[campaign_id]["priority_bureaux_covered"] = covered
    return figures


def priority_coverage(session: Session, campaign_ids: list[int]) -> dict[int, tuple[int, int]]:
    """``{campaign_id: (priority bureaux, of which knocked)}``. A campaign's priority bureaux
    are the bureaux it chose to canvass — those of its turf plans (`field_turf_plans.bureaux`,
    the cut made from targeting's ranking of the bureaux); one is covered once a door of it
    was knocked (`field_visits.bureau`). Codes of bureaux only: no person, no address."""
    chosen: dict[int, set[str]] = {}
    for start in range(0, len(campaign_ids), CHUNK):
        chunk = campaign_ids[start : start + CHUNK]
        for campaign_id, bureaux in session.execute(
            select(TurfPlan.campaign_id, TurfPlan.bureaux).where(TurfPlan.campaign_id.in_(chunk))
        ):
            chosen.setdefault(int(campaign_id), set()).update(str(b) for b in bureaux or [])
    planned = [campaign_id for campaign_id, bureaux in chosen.items() if bureaux]
    knocked: dict[int, set[str]] = {}
    for start in range(0, len(planned), CHUNK):
        chunk = planned[start : start + CHUNK]
        for campaign_id, bureau in session.execute(
            select(Visit.campaign_id, Visit.bureau)
            .where(Visit.campaign_id.in_(chunk), Visit.bureau.is_not(None))
            .group_by(Visit.campaign_id, Visit.bureau)
        ):
            knocked.setdefault(int(campaign_id), set()).add(str(bureau))
    return {
        campaign_id: (len(bureaux), len(bureaux & knocked.get(campaign_id, set())))
        for campaign_id, bureaux in chosen.items()
        if bureaux
    }


def _with_rate(totals: dict[str, int]) -> dict[str, Any]:
    doors = totals["doors_knocked"]
    priority = totals["priority_bureaux"]
    return {
        **totals,
        "reach_rate": round(totals["conversations"] / doors, 4) if doors else None,
        "priority_coverage": (
            round(totals["priority_bureaux_covered"] / priority, 4) if priority else None
        ),
    }


def rollup(session: Session, group: PartyGroup) -> dict[str, Any]:
    """The roll-up of ``group``'s subtree: its totals and each child's subtree totals.

    ``{"group": {slug, name, kind}, "nodes", "campaigns", "totals": {…, "reach_rate"},
    "children": [{slug, name, kind, nodes, campaigns, totals}]}`` — no personal field."""
    nodes = subtree(session, group)
    campaign_ids = [node.campaign_id for node in nodes if node.campaign_id is not None]
    per_campaign = campaign_figures(session, campaign_ids)
    # Sum each node's own campaign into itself and every ancestor within the subtree.
    own: dict[int, dict[str, int]] = {node.id: _empty() for node in nodes}
    count_nodes = dict.fromkeys(own, 0)
    count_campaigns = dict.fromkeys(own, 0)
    for node in nodes:
        chain = [int(part) for part in node.path.strip("/").split("/")[group.depth :]]
        figures = per_campaign.get(node.campaign_id) if node.campaign_id else None
        for ancestor in chain:
            count_nodes[ancestor] += 1
            if figures is not None:
                count_campaigns[ancestor] += 1
                for key, value in figures.items():
                    own[ancestor][key] += value

    def summary(node: PartyGroup) -> dict[str, Any]:
        return {
            "slug": node.slug,
            "name": node.name,
            "kind": node.kind.value,
            "nodes": count_nodes[node.id],
            "campaigns": count_campaigns[node.id],
            "totals": _with_rate(own[node.id]),
        }

    children = [node for node in nodes if node.parent_id == group.id]
    head = summary(group)
    return {
        "group": {"slug": group.slug, "name": group.name, "kind": group.kind.value},
        "nodes": head["nodes"],
        "campaigns": head["campaigns"],
        "totals": head["totals"],
        "children": [summary(child) for child in children],
    }
