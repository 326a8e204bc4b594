"""The groups tree as services on SQLite and PostgreSQL: levels and paths, roles on a node and
its subtree, content shared down (read-only below), sharing a person with a parent only on
consent, and the roll-up of aggregates."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy.orm import Session

from circo.core.models import Role
from circo.core.tenancy import system_context
from circo.db import utcnow
from circo.field.models import TurfPlan, Visit
from circo.finance.models import Donation
from circo.party import rollup as rollups
from circo.party import sharing, tree
from circo.party.errors import GroupNotFound, PartyError
from tests.party.world import SHARED_NAME, make_movement


def test_levels_paths_and_refusals(session: Session) -> None:
    world = make_movement(session)
    local = tree.find_group(session, "g-camp-a")
    assert (world.national.kind, world.fede_a.kind, local.kind) == (
        "national",
        "federation",
        "local",
    )
    assert local.path == f"/{world.national.id}/{world.fede_a.id}/{local.id}/"
    assert tree.ancestor_ids(local) == [world.national.id, world.fede_a.id, local.id]
    assert [g.slug for g in tree.subtree(session, world.fede_a)] == [
        "fede-a",
        "g-camp-a",
        "g-camp-b",
    ]
    assert tree.group_of_campaign(session, world.c.id).slug == "g-camp-c"
    with pytest.raises(PartyError, match="existe déjà"):
        tree.create_group(session, name="Bis", slug="fede-a", parent="national")
    with pytest.raises(GroupNotFound, match="inconnu « nulle-part »"):
        tree.create_group(session, name="X", slug="x-1", parent="nulle-part")
    with pytest.raises(PartyError, match="identifiant de groupe invalide"):
        tree.create_group(session, name="X", slug="Pas Bon", parent="national")
    with pytest.raises(PartyError, match="déjà le groupe « g-camp-a »"):
        tree.create_group(session, name="X", slug="x-2", parent="national", campaign="camp-a")
    roots = tree.tree(session)
    assert [root["slug"] for root in roots] == ["national"]
    assert [child["slug"] for child in roots[0]["children"]] == ["fede-a", "fede-b"]
    assert roots[0]["children"][0]["children"][0] == {
        "slug": "g-camp-a",
        "name": "Groupe camp-a",
        "kind": "local",
        "campaign": "camp-a",
        "children": [],
    }


def test_roles_hold_on_the_node_and_where_said_its_subtree(session: Session) -> None:
    world = make_movement(session)
    local_a = tree.find_group(session, "g-camp-a")
    local_c = tree.find_group(session, "g-camp-c")
    role_on = tree.role_on
    assert role_on(session, user_id=world.national_admin.id, group=local_c) is Role.admin
    assert role_on(session, user_id=world.fede_a_admin.id, group=local_a) is Role.admin
    # a federation sees neither its sibling nor its parent
    assert role_on(session, user_id=world.fede_a_admin.id, group=world.fede_b) is None
    assert role_on(session, user_id=world.fede_a_admin.id, group=world.national) is None
    assert role_on(session, user_id=world.admin_a.id, group=local_a) is None  # no group role
    tree.grant_role(
        session, group=world.fede_b, user=world.fede_b_admin, role=Role.comms, subtree=False
    )
    assert role_on(session, user_id=world.fede_b_admin.id, group=world.fede_b) is Role.comms
    assert role_on(session, user_id=world.fede_b_admin.id, group=local_c) is None
    with pytest.raises(GroupNotFound):
        tree.group_context(session, user_id=world.fede_b_admin.id, slug="g-camp-c")


def test_content_is_shared_down_and_read_only_below(session: Session) -> None:
    world = make_movement(session)
    local_a = tree.find_group(session, "g-camp-a")
    national_item = tree.publish(
        session, group=world.national, kind="programme", title="Santé", body="national"
    )
    tree.publish(session, group=world.fede_a, kind="training", title="Porte-à-porte", body="")
    tree.publish(session, group=local_a, kind="knowledge", title="Notes locales", body="")
    tree.publish(session, group=world.fede_b, kind="training", title="Formation B", body="")
    seen = {(v.item.title, v.publisher.slug, v.own) for v in tree.visible_items(session, local_a)}
    assert seen == {
        ("Santé", "national", False),
        ("Porte-à-porte", "fede-a", False),
        ("Notes locales", "g-camp-a", True),
    }
    # nothing goes up: the national level reads only its own
    assert [v.item.title for v in tree.visible_items(session, world.national)] == ["Santé"]
    with pytest.raises(GroupNotFound):
        tree.update_item(session, group=local_a, item_id=national_item.id, body="changé")
    tree.update_item(session, group=world.national, item_id=national_item.id, body="v2")
    assert national_item.body == "v2"
    with pytest.raises(PartyError, match="type de contenu inconnu « tract »"):
        tree.publish(session, group=local_a, kind="tract", title="x", body="")


def test_a_parent_sees_a_person_only_while_consented(session: Session) -> None:
    world = make_movement(session)
    ctx_b = system_context(world.b)
    people = sharing.shared_people(session, world.national)
    assert [p.last_name for p in people] == [SHARED_NAME]
    assert sharing.shared_people(session, world.fede_a) == []  # consent names the national
    assert sharing.shared_people(session, world.fede_b) == []  # not its subtree
    sharing.record_share(
        session,
        ctx_b,
        contact_id=world.shared_id,
        group="national",
        status="withdrawn",
        source="courriel",
    )
    assert sharing.shared_people(session, world.national) == []
    with pytest.raises(PartyError, match="n'est pas au-dessus"):
        sharing.record_share(
            session,
            ctx_b,
            contact_id=world.secret_id,
            group="fede-b",
            status="granted",
            source="x",
        )
    with pytest.raises(PartyError, match="contact"):
        sharing.record_share(
            session,
            system_context(world.a),  # camp-a cannot record for a person of camp-b
            contact_id=world.secret_id,
            group="national",
            status="granted",
            source="x",
        )


def test_rollup_sums_the_subtree_without_a_personal_field(session: Session) -> None:
    world = make_movement(session)
    now = utcnow()
    # camp-a canvasses 3 priority bureaux (two plans, one bureau in both) and knocked in 1 of
    # them (and in one outside its plans); camp-c has no plan.
    for bureaux in (["0001", "0002"], ["0002", "0003"]):
        session.add(TurfPlan(campaign_id=world.a.id, name="Plan", source="csv", bureaux=bureaux))
    for campaign, outcomes, bureau in (
        (world.a, ["talked"], "0002"),
        (world.a, ["absent"], "0099"),
        (world.c, ["talked"] * 3, "0001"),
    ):
        for outcome in outcomes:
            session.add(
                Visit(
                    campaign_id=campaign.id,
                    idempotency_key=uuid.uuid4().hex,
                    outcome=outcome,
                    visited_at=now,
                    bureau=bureau,
                )
            )
    for amount, cancelled in ((5_000, False), (7_000, True)):
        session.add(
            Donation(
                campaign_id=world.b.id,
                election_key="leg-2027",
                donor_key=f"d|{amount}",
                last_name="Donatrice",
                amount_cents=amount,
                method="cheque",
                received_on=date(2026, 12, 1),
                cancelled=cancelled,
            )
        )
    session.flush()
    national = rollups.rollup(session, world.national)
    assert national["group"] == {
        "slug": "national",
        "name": "Mouvement national",
        "kind": "national",
    }
    assert (national["nodes"], national["campaigns"]) == (6, 3)
    assert national["totals"] == {
        "contacts": 2,
        "active_volunteers": 0,
        "doors_knocked": 5,
        "conversations": 4,
        "donations": 1,
        "funds_raised_cents": 5_000,
        "events": 0,
        "priority_bureaux": 3,
        "priority_bureaux_covered": 1,
        "reach_rate": 0.8,
        "priority_coverage": 0.3333,
    }
    by_slug = {child["slug"]: child for child in national["children"]}
    assert set(by_slug) == {"fede-a", "fede-b"}
    assert by_slug["fede-a"]["totals"]["doors_knocked"] == 2
    assert by_slug["fede-a"]["totals"]["reach_rate"] == 0.5
    assert by_slug["fede-b"]["totals"]["contacts"] == 0
    assert (by_slug["fede-a"]["nodes"], by_slug["fede-a"]["campaigns"]) == (3, 2)
    fede = rollups.rollup(session, world.fede_b)
    assert fede["totals"]["doors_knocked"] == 3
    assert fede["totals"]["reach_rate"] == 1.0
    assert fede["totals"]["priority_coverage"] is None  # no plan: no priority bureau
    assert [c["slug"] for c in fede["children"]] == ["g-camp-c"]
    assert "Donatrice" not in repr(national)
    assert SHARED_NAME not in repr(national)


def test_an_opposition_is_honoured_by_every_campaign_of_the_tree(session: Session) -> None:
    from circo.privacy.consent import is_suppressed, record_opposition
    from tests.factories import make_campaign

    world = make_movement(session)
    outside = make_campaign(session, slug="hors-arbre")
    record_opposition(
        session, system_context(world.b), contact_id=world.secret_id, channel="all", source="STOP"
    )
    for campaign in (world.a, world.c):  # a sibling and a cousin of camp-b
        assert is_suppressed(
            session, system_context(campaign), kind="email", value="zorg@example.org"
        )
    assert not is_suppressed(
        session, system_context(outside), kind="email", value="zorg@example.org"
    )
