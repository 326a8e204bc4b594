"""The territory sheet in a served process: every domain's section renders once, and local news
come from the campaign's knowledge base when feeds are configured."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from circo.assistant.models import DocType, Document, Feed
from circo.elections.importing import import_results
from tests.elections.sample_files import cut_rhone
from tests.factories import DEFAULT_PASSWORD, make_two_campaigns
from tests.server import LiveServer

NEWS_TITLE = "Le conseil municipal vote le budget du tramway T6"


def test_sheet_sections_render_once_with_local_news(
    session: Session, tmp_path: Path, live_server: LiveServer
) -> None:
    world = make_two_campaigns(session)
    import_results(
        session,
        path=cut_rhone(tmp_path, round_number=1),
        key="pres-2017",
        round_number=1,
    )
    session.commit()
    with live_server.client() as client:
        live_server.login(client, "admin-a@example.org", DEFAULT_PASSWORD)
        before = client.get("/c/camp-a/elections/sheet", params={"territory": "com:69123"})
        assert before.status_code == 200, before.text[:300]
        assert before.text.count("Bureaux prioritaires") == 1
        assert before.text.count("Actualités locales") == 1
        assert "Aucun flux d" in before.text  # what to do, not a placeholder
        assert "Aucun ciblage enregistré" in before.text

        feed = Feed(campaign_id=world.a.id, url="https://exemple.fr/rss", territory_code="69123")
        session.add(feed)
        session.flush()
        session.add(
            Document(
                campaign_id=world.a.id,
                title=NEWS_TITLE,
                doc_type=DocType.news.value,
                published_on=date(2026, 11, 20),
                territory_codes=["69123"],
                source="https://exemple.fr/tramway",
                content_hash="h" * 64,
                text="Le budget du tramway est voté.",
                feed_id=feed.id,
            )
        )
        session.commit()
        after = client.get("/c/camp-a/elections/sheet", params={"territory": "com:69123"})
    assert after.text.count("Actualités locales") == 1
    assert NEWS_TITLE in after.text
    assert "Disponible quand" not in after.text
    assert after.text.count("Bureaux prioritaires") == 1
