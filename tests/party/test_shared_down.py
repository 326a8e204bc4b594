"""Shared down, not up, read by the consumers: the knowledge base (assistant retrieval),
programme points (messaging) and questionnaire (field) of the campaign a node above runs are
read by the campaigns below it as "national", read-only; a parent never reads a child's, a
sibling never a sibling's. On SQLite and PostgreSQL; the pages through the real app."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from circo.assistant.retrieval import search
from circo.assistant.segment import TextBuilder
from circo.assistant.service import DocumentMeta, add_text
from circo.core.models import Campaign
from circo.core.tenancy import CampaignContext, system_context
from circo.field.service import national_questionnaires, save_questionnaire
from circo.messaging.errors import MessageNotFound
from circo.messaging.service import add_point, get_point, national_points
from circo.party.sharing import shared_campaign_ids
from circo.party.tree import create_group
from tests.factories import login, make_campaign, make_user


def _document(session: Session, ctx: CampaignContext, title: str, text: str) -> None:
    builder = TextBuilder()
    builder.add(title, kind="heading", level=1)
    builder.add(text)
    add_text(
        session,
        ctx,
        extracted=builder.build(title=title),
        source=f"test/{title}",
        meta=DocumentMeta(title=title, doc_type="programme"),
    )


def _tree(session: Session) -> tuple[Campaign, Campaign, Campaign, Campaign]:
    """national (runs camp-nat) → fede (runs camp-fede) → camp-local; camp-sibling under
    national directly."""
    nat = make_campaign(session, slug="camp-nat", name="Présidentielle")
    fede = make_campaign(session, slug="camp-fede", name="Fédé 69")
    local = make_campaign(session, slug="camp-local")
    sibling = make_campaign(session, slug="camp-sibling")
    create_group(session, name="National", slug="nat", campaign="camp-nat")
    create_group(session, name="Fédé", slug="fede", parent="nat", campaign="camp-fede")
    create_group(session, name="Local", slug="local", parent="fede", campaign="camp-local")
    create_group(session, name="Sœur", slug="sibling", parent="nat", campaign="camp-sibling")
    return nat, fede, local, sibling


def test_the_campaigns_above_share_down_never_up(session: Session) -> None:
    nat, fede, local, sibling = _tree(session)
    assert shared_campaign_ids(session, local.id) == [fede.id, nat.id]  # nearest first
    assert shared_campaign_ids(session, sibling.id) == [nat.id]
    assert shared_campaign_ids(session, nat.id) == []  # nothing comes up
    outside = make_campaign(session, slug="camp-outside")
    assert shared_campaign_ids(session, outside.id) == []


def test_consumers_read_national_content_read_only(session: Session) -> None:
    nat, fede, local, sibling = _tree(session)
    ctx_nat, ctx_local, ctx_sibling = (system_context(c) for c in (nat, local, sibling))
    _document(session, ctx_nat, "Programme national", "La gratuité des cantines scolaires.")
    _document(session, ctx_local, "Note locale", "Les cantines de Vaulx-en-Velin.")
    _document(session, ctx_sibling, "Note sœur", "Les cantines de la sœur, confidentielles.")
    session.flush()

    hits = search(session, ctx_local, query="cantines", limit=10)
    by_title = {hit.row.title: hit.national for hit in hits}
    assert by_title == {"Programme national": "Présidentielle", "Note locale": None}
    national_hits = search(session, ctx_nat, query="cantines", limit=10)
    assert [hit.row.title for hit in national_hits] == ["Programme national"]  # not up

    point = add_point(session, ctx_nat, title="Cantines gratuites", summary="Pour tous")
    add_point(session, system_context(fede), title="Transports fédéraux")
    own = add_point(session, ctx_local, title="Piscine du quartier")
    shown = [(holder, p.title) for holder, p in national_points(session, ctx_local)]
    assert shown == [("Présidentielle", "Cantines gratuites"), ("Fédé 69", "Transports fédéraux")]
    assert national_points(session, ctx_nat) == []
    assert [p.title for _h, p in national_points(session, ctx_sibling)] == ["Cantines gratuites"]
    with pytest.raises(MessageNotFound):  # not editable below: the local context never opens it
        get_point(session, ctx_local, point.id)
    assert get_point(session, ctx_local, own.id).title == "Piscine du quartier"

    save_questionnaire(
        session,
        ctx_nat,
        name="Questionnaire national",
        questions=[{"key": "priorite", "label": "Votre priorité ?", "kind": "text"}],
    )
    shared = national_questionnaires(session, ctx_local)
    assert [(holder, q.name) for holder, q in shared] == [
        ("Présidentielle", "Questionnaire national")
    ]
    assert national_questionnaires(session, ctx_nat) == []


def test_pages_show_national_content(session: Session, client: TestClient) -> None:
    nat, _fede, local, _sibling = _tree(session)
    make_user(session, campaign=local, email="local@example.org")
    add_point(session, system_context(nat), title="Cantines gratuites")
    save_questionnaire(
        session,
        system_context(nat),
        name="Questionnaire présidentiel",
        questions=[{"key": "priorite", "label": "Votre priorité nationale ?", "kind": "text"}],
    )
    session.commit()
    login(client, "local@example.org")
    matrix = client.get("/c/camp-local/messages/matrix")
    assert matrix.status_code == 200
    assert 'data-testid="national-points"' in matrix.text
    assert "Cantines gratuites" in matrix.text
    field = client.get("/c/camp-local/field")
    assert field.status_code == 200
    assert "Votre priorité nationale ?" in field.text


def test_message_and_studio_templates_and_trainings_are_read_below(
    session: Session, client: TestClient
) -> None:
    """Texts a node publishes down are read by the campaigns below (the message composer, the
    studio), never by the node above or a sibling; a template fills a new message."""
    from circo.party.sharing import shared_texts
    from circo.party.tree import find_group, publish

    nat, fede, local, sibling = _tree(session)
    publish(
        session,
        group=find_group(session, "nat"),
        kind="message_template",
        title="Invitation au meeting",
        body="Bonjour {{ prenom }}, rendez-vous au meeting national.",
    )
    publish(
        session,
        group=find_group(session, "fede"),
        kind="training",
        title="Former au porte-à-porte",
        body="Se présenter, écouter, noter la réponse.",
    )
    publish(
        session,
        group=find_group(session, "fede"),
        kind="studio_template",
        title="Visuel fédéral",
        body="Bandeau bleu, logo de la fédération en haut à droite.",
    )
    publish(
        session,
        group=find_group(session, "local"),
        kind="message_template",
        title="Modèle local",
        body="Ne remonte jamais.",
    )
    kinds = ("message_template", "studio_template", "training")
    below = [(who, item.title) for who, item in shared_texts(session, local.id, kinds)]
    assert below == [
        ("Fédé", "Former au porte-à-porte"),
        ("Fédé", "Visuel fédéral"),
        ("National", "Invitation au meeting"),
    ]
    assert [item.title for _w, item in shared_texts(session, sibling.id, kinds)] == [
        "Invitation au meeting"
    ]
    assert shared_texts(session, nat.id, kinds) == []  # nothing comes up
    assert "Modèle local" not in [item.title for _w, item in shared_texts(session, fede.id, kinds)]
    template_id = next(i.id for _w, i in shared_texts(session, local.id, ("message_template",)))
    make_user(session, campaign=local, email="local@example.org")
    session.commit()
    login(client, "local@example.org")
    composer = client.get("/c/camp-local/messages/new")
    assert composer.status_code == 200
    assert 'data-testid="movement-templates"' in composer.text
    assert "Invitation au meeting" in composer.text
    filled = client.get(f"/c/camp-local/messages/new?template={template_id}")
    assert filled.status_code == 200
    assert "rendez-vous au meeting national.</textarea>" in filled.text
    studio_page = client.get("/c/camp-local/assistant/studio")
    assert studio_page.status_code == 200
    assert 'data-testid="movement-texts"' in studio_page.text
    assert "Se présenter, écouter, noter la réponse." in studio_page.text
    assert "Visuel fédéral" in studio_page.text


def test_a_national_citation_opens_below_but_nothing_opens_up_or_sideways(
    session: Session, client: TestClient
) -> None:
    from sqlalchemy import select

    from circo.assistant.models import Passage

    nat, _fede, local, sibling = _tree(session)
    _document(session, system_context(nat), "Programme national", "La gratuité des cantines.")
    _document(session, system_context(sibling), "Note sœur", "Les cantines de la sœur.")
    session.flush()
    national = session.scalars(select(Passage.id).where(Passage.campaign_id == nat.id)).first()
    sister = session.scalars(select(Passage.id).where(Passage.campaign_id == sibling.id)).first()
    make_user(session, campaign=local, email="local@example.org")
    make_user(session, campaign=nat, email="nat@example.org")
    session.commit()
    login(client, "local@example.org")
    page = client.get(f"/c/camp-local/assistant/passages/{national}")
    assert page.status_code == 200
    assert "La gratuité des cantines." in page.text
    api = client.get(f"/api/campaigns/camp-local/assistant/passages/{national}")
    assert api.status_code == 200
    assert client.get(f"/c/camp-local/assistant/passages/{sister}").status_code == 404
    client.cookies.clear()
    login(client, "nat@example.org")
    local_doc = _document(
        session, system_context(local), "Note locale", "Les cantines du quartier."
    )
    session.commit()
    assert local_doc is None
    mine = session.scalars(select(Passage.id).where(Passage.campaign_id == local.id)).first()
    assert client.get(f"/c/camp-nat/assistant/passages/{mine}").status_code == 404
