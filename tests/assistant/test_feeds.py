"""Local news feeds: a real RSS server on 127.0.0.1, refreshed through the job runner."""

from __future__ import annotations

from sqlalchemy import select
from tests.assistant.conftest import LocalServer
from tests.factories import make_campaign

from circo.assistant import feeds, repository
from circo.assistant.models import Document, Feed
from circo.assistant.service import add_place
from circo.core import jobs
from circo.core.models import Campaign, Job
from circo.core.tenancy import system_context
from circo.runtime import Runtime

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Le Progrès — Lyon</title><link>http://example.org</link>
<item><title>L'usine Dupuis de Villeurbanne va fermer</title><link>http://example.org/usine</link>
<guid>usine-1</guid><pubDate>Mon, 01 Mar 2027 08:00:00 +0100</pubDate>
<description>&lt;p&gt;240 salariés de Villeurbanne perdront leur emploi.&lt;/p&gt;
</description></item>
<item><title>Travaux rue Garibaldi</title><link>http://example.org/garibaldi</link>
<guid>rue-2</guid><pubDate>Tue, 02 Mar 2027 08:00:00 +0100</pubDate>
<description>Le chantier du 3e arrondissement durera six mois.</description></item>
</channel></rss>"""


def test_feed_refresh_through_the_job_runner(runtime: Runtime, web_server: LocalServer) -> None:
    web_server.routes["/rss.xml"] = ("application/rss+xml", RSS.encode())
    with runtime.session() as session:
        ctx = system_context(make_campaign(session, slug="camp-a"))
        add_place(session, ctx, code="69266", name="Villeurbanne")
        add_place(session, ctx, code="69383", name="Lyon 3e", aliases=["3e arrondissement"])
        feeds.add_feed(session, ctx, url=f"{web_server.url}/rss.xml", territory_code="69123")
        feeds.add_feed(session, ctx, url=f"{web_server.url}/absent.xml", territory_code="69123")
    allowed = web_server.allowed_by(runtime.settings)
    assert jobs.run_pending(runtime.factory, allowed) == 2
    with runtime.session() as session:
        documents = {doc.title: doc for doc in session.scalars(select(Document))}
        assert documents["L'usine Dupuis de Villeurbanne va fermer"].territory_codes == [
            "69123",
            "69266",
        ]
        assert documents["Travaux rue Garibaldi"].territory_codes == ["69123", "69383"]
        assert all(doc.doc_type == "news" for doc in documents.values())
        ok, broken = session.scalars(select(Feed).order_by(Feed.id)).all()
        assert (ok.status, ok.items_total, ok.title) == ("ok", 2, "Le Progrès — Lyon")
        assert broken.status == "error"
        assert "absent.xml" in (broken.last_error or "")
        # The next refresh is scheduled an hour later, once per feed.
        queued = session.scalars(select(Job).where(Job.status == "queued")).all()
        assert len(queued) == 2
        assert all(job.kind == feeds.JOB_KIND for job in queued)
        campaign = session.get(Campaign, ok.campaign_id)
        assert campaign is not None
        ctx = system_context(campaign)
        again = feeds.refresh_feed(session, ctx, ok, settings=allowed)
        assert again["new"] == 0
        assert len(repository.list_documents(session, ctx, doc_type="news")) == 2
