"""Local news: RSS/Atom feeds per territory, refreshed by the job runner.

`add_feed` queues an immediate refresh; each refresh queues the next one an hour later
(``assistant.refresh_feed``, one per hour slot thanks to the idempotency key). New items become
``news`` documents tagged with the feed's territory and with every commune of the campaign whose
name or code they mention.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import feedparser
from sqlalchemy.orm import Session

from circo.assistant import repository
from circo.assistant.analysis import fold
from circo.assistant.errors import DocumentError, FetchError
from circo.assistant.extract import fetch, is_url
from circo.assistant.models import DocType, Feed, Place
from circo.assistant.segment import TextBuilder
from circo.assistant.service import DocumentMeta, add_place, add_text, ensure_campaign_place
from circo.config import Settings, load_settings
from circo.core import jobs
from circo.core.models import Campaign, Job
from circo.core.netguard import leave_transaction
from circo.core.tenancy import CampaignContext, system_context
from circo.db import utcnow

JOB_KIND = "assistant.refresh_feed"
REFRESH_SECONDS = 3600


def add_feed(
    session: Session,
    ctx: CampaignContext,
    *,
    url: str,
    territory_code: str,
    territory_name: str | None = None,
) -> Feed:
    """Register a feed for a territory and queue its first refresh."""
    url = url.strip()
    if not is_url(url):
        raise DocumentError(
            f"adresse de flux invalide « {url} » (attendu http(s)://…, ex. "
            "https://www.example.fr/rss.xml)",
            loc="url",
        )
    if not territory_code.strip():
        raise DocumentError("territoire requis (ex. --territory 69383)", loc="territory")
    if territory_name:
        add_place(session, ctx, code=territory_code, name=territory_name)
    feed = repository.feed_by_url(session, ctx, url)
    if feed is None:
        feed = Feed(
            campaign_id=ctx.campaign_id,
            url=url,
            territory_code=territory_code.strip(),
            status="new",
            items_total=0,
            title="",
        )
        session.add(feed)
    else:
        feed.territory_code = territory_code.strip()
    session.flush()
    jobs.enqueue(session, kind=JOB_KIND, payload={"feed_id": feed.id}, campaign_id=ctx.campaign_id)
    return feed


def schedule_next(session: Session, feed: Feed) -> Job:
    slot = int(time.time() // REFRESH_SECONDS) + 1
    return jobs.enqueue(
        session,
        kind=JOB_KIND,
        payload={"feed_id": feed.id},
        campaign_id=feed.campaign_id,
        idempotency_key=f"{JOB_KIND}:{feed.id}:{slot}",
        delay_seconds=REFRESH_SECONDS,
    )


def match_places(text: str, places: list[Place]) -> list[str]:
    """Codes of the places whose name, alias or code appears in ``text``."""
    folded = fold(text)
    found: list[str] = []
    for place in places:
        names = [place.name, *(place.aliases or [])]
        by_name = any(
            re.search(rf"(?<!\w){re.escape(fold(name))}(?!\w)", folded) for name in names if name
        )
        if by_name or re.search(rf"(?<!\d){re.escape(place.code)}(?!\d)", text):
            found.append(place.code)
    return found


@dataclass
class Download:
    """A feed fetched and parsed, or the reason it could not be."""

    parsed: Any = None
    error: str | None = None


def download(url: str, *, settings: Settings) -> Download:
    """Fetch and parse a feed — network only, call it with no database transaction open."""
    try:
        data, _content_type = fetch(url, settings=settings)
        parsed = feedparser.parse(data)
        if parsed.bozo and not parsed.entries:
            raise FetchError(
                f"flux illisible : {url} n'est pas un flux RSS/Atom "
                f"({type(parsed.bozo_exception).__name__})",
                loc=url,
            )
    except FetchError as exc:
        return Download(error=exc.message)
    return Download(parsed=parsed)


def refresh_feed(
    session: Session, ctx: CampaignContext, feed: Feed, *, settings: Settings | None = None
) -> dict[str, Any]:
    """Fetch the feed (outside any transaction) and add its new items; errors are recorded on
    the feed, not raised."""
    return refresh_feeds(session, ctx, [feed], settings=settings)[0]


def refresh_feeds(
    session: Session, ctx: CampaignContext, feeds: list[Feed], *, settings: Settings | None
) -> list[dict[str, Any]]:
    """Download every feed with no transaction open (what the session did so far is committed
    first: see `netguard.leave_transaction`), then store the new items."""
    settings = settings or load_settings()
    urls = [feed.url for feed in feeds]
    leave_transaction(session)
    downloads = [download(url, settings=settings) for url in urls]
    return [
        apply_download(session, ctx, feed, fetched, settings=settings)
        for feed, fetched in zip(feeds, downloads, strict=True)
    ]


def apply_download(
    session: Session,
    ctx: CampaignContext,
    feed: Feed,
    fetched: Download,
    *,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Record a download on its feed: the error, or the new items as documents."""
    feed.last_fetched_at = utcnow()
    if fetched.error is not None:
        feed.status, feed.last_error = "error", fetched.error
        session.flush()
        return {"feed_id": feed.id, "status": "error", "error": fetched.error, "new": 0}
    parsed = fetched.parsed
    ensure_campaign_place(session, ctx)
    places = repository.list_places(session, ctx)
    feed.title = str(parsed.feed.get("title") or feed.title or feed.url)[:300]
    added = sum(_add_entry(session, ctx, feed, entry, places, settings) for entry in parsed.entries)
    feed.status, feed.last_error = "ok", None
    feed.items_total = (feed.items_total or 0) + added
    session.flush()
    return {"feed_id": feed.id, "status": "ok", "new": added, "entries": len(parsed.entries)}


def _add_entry(
    session: Session,
    ctx: CampaignContext,
    feed: Feed,
    entry: Any,
    places: list[Place],
    settings: Settings | None,
) -> int:
    title = " ".join(str(entry.get("title") or "").split())
    external_id = str(entry.get("id") or entry.get("link") or title)[:1000]
    if not external_id or repository.document_by_external_id(
        session, ctx, feed_id=feed.id, external_id=external_id
    ):
        return 0
    summary = _plain(entry)
    builder = TextBuilder()
    if summary and title:
        builder.add(title, kind="heading", level=1)
    builder.add(summary or title)
    if not builder.blocks:
        return 0
    codes = [feed.territory_code, *match_places(f"{title}\n{summary}", places)]
    outcome = add_text(
        session,
        ctx,
        extracted=builder.build(title=title),
        source=str(entry.get("link") or f"{feed.url}#{external_id}"),
        meta=DocumentMeta(
            title=title or feed.title,
            doc_type=DocType.news.value,
            territory_codes=list(dict.fromkeys(codes)),
            published_on=_entry_day(entry),
        ),
        settings=settings,
        feed_id=feed.id,
        external_id=external_id,
    )
    return 1 if outcome.status in ("added", "replaced") else 0


def _plain(entry: Any) -> str:
    raw = ""
    if entry.get("content"):
        raw = str(entry["content"][0].get("value") or "")
    raw = raw or str(entry.get("summary") or entry.get("description") or "")
    if "<" not in raw:
        return raw.strip()
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(f"<div>{raw}</div>")
    except Exception:
        return re.sub(r"<[^>]+>", " ", raw).strip()
    paragraphs = [" ".join(node.text_content().split()) for node in tree.xpath("//p|//li")]
    text = "\n\n".join(p for p in paragraphs if p) or " ".join(tree.text_content().split())
    return text.strip()


def _entry_day(entry: Any) -> date | None:
    moment = entry.get("published_parsed") or entry.get("updated_parsed")
    if not moment:
        return None
    year, month, day, hour, minute, second = moment[:6]
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC).date()


def refresh_all(
    session: Session, ctx: CampaignContext, *, settings: Settings | None = None
) -> list[dict[str, Any]]:
    return refresh_feeds(session, ctx, repository.list_feeds(session, ctx), settings=settings)


def refresh_feed_job(session: Session, settings: Settings, job: Job) -> dict[str, Any]:
    feed = session.get(Feed, int(job.payload.get("feed_id", 0)))
    if feed is None:
        return {"status": "skipped", "reason": "flux supprimé"}
    campaign = session.get(Campaign, feed.campaign_id)
    assert campaign is not None
    result = refresh_feed(session, system_context(campaign), feed, settings=settings)
    schedule_next(session, feed)
    return result


def feed_summary(feed: Feed) -> dict[str, Any]:
    return {
        "id": feed.id,
        "url": feed.url,
        "territory": feed.territory_code,
        "title": feed.title,
        "status": feed.status,
        "error": feed.last_error,
        "last_fetched_at": feed.last_fetched_at.isoformat() if feed.last_fetched_at else None,
        "items": feed.items_total,
    }
