"""Outbound webhooks of a node: the events of the campaign a node runs, POSTed to its
receivers, signed, retried with back-off through the job engine, logged.

Signature: ``X-Circo-Timestamp: <unix seconds>`` and ``X-Circo-Signature: sha256=<hex>``, the
HMAC-SHA256 with the receiver's secret of ``"<timestamp>.<raw body>"``; a receiver recomputes
it and refuses a timestamp older than a few minutes (replay). ``X-Circo-Delivery`` (the
delivery id) lets it drop a second delivery of the same event.

Personal data stay at the node: an event goes only to the receivers of the node that runs the
campaign (never to a parent's).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import jobs
from circo.core.models import Job
from circo.core.netguard import USER_AGENT, FetchPolicy, check_target
from circo.core.tenancy import CampaignContext
from circo.db import utcnow
from circo.party import crypto
from circo.party.errors import PartyError
from circo.party.models import DeliveryStatus, PartyGroup, Webhook, WebhookDelivery, WebhookEvent
from circo.party.tree import group_of_campaign

JOB_KIND = "party.webhook"
MAX_ATTEMPTS = 6  # back-off 2, 4, 8, 16, 32 s between them (the job engine's)
TIMEOUT_SECONDS = 10


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def add_webhook(
    session: Session,
    settings: Settings,
    *,
    group: PartyGroup,
    url: str,
    events: list[str] | None = None,
) -> tuple[Webhook, str]:
    """Register a receiver for ``group`` (every event when ``events`` is empty). Returns the
    receiver and its signing secret in clear (shown once: only its encryption is stored)."""
    parsed = httpx.URL(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise PartyError(f"adresse de réception invalide « {url} » (ex. https://…)", loc="url")
    chosen = events or [event.value for event in WebhookEvent]
    allowed = {event.value for event in WebhookEvent}
    unknown = [event for event in chosen if event not in allowed]
    if unknown:
        raise PartyError(
            f"événement inconnu « {unknown[0]} » (attendu : {', '.join(sorted(allowed))})",
            loc="events",
        )
    secret = secrets.token_hex(32)
    webhook = Webhook(
        group_id=group.id, url=str(parsed), secret=crypto.seal(settings, secret), events=chosen
    )
    session.add(webhook)
    session.flush()
    return webhook, secret


def emit(
    session: Session,
    ctx: CampaignContext,
    *,
    event: WebhookEvent,
    data: dict[str, Any],
    contact_id: int | None = None,
) -> list[int]:
    """Queue ``event`` for the receivers of the node running ``ctx``'s campaign (in the
    caller's transaction: sent after its commit, never for a rolled-back write)."""
    node = group_of_campaign(session, ctx.campaign_id)
    if node is None:
        return []
    hooks = session.scalars(
        select(Webhook).where(Webhook.group_id == node.id, Webhook.active.is_(True))
    )
    ids = []
    for hook in hooks:
        if event.value not in (hook.events or []):
            continue
        delivery = WebhookDelivery(
            campaign_id=ctx.campaign_id,
            webhook_id=hook.id,
            event=event,
            contact_id=contact_id,
            payload={"campaign": ctx.campaign.slug, "group": node.slug, "data": data},
        )
        session.add(delivery)
        session.flush()
        jobs.enqueue(
            session,
            kind=JOB_KIND,
            campaign_id=ctx.campaign_id,
            idempotency_key=f"{JOB_KIND}:{delivery.id}",
            max_attempts=MAX_ATTEMPTS,
            payload={"delivery_id": delivery.id},
        )
        ids.append(delivery.id)
    return ids


def body_of(delivery: WebhookDelivery) -> bytes:
    document = {
        "id": delivery.id,
        "event": delivery.event.value,
        "created_at": delivery.created_at.isoformat(),
        **delivery.payload,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True).encode()


def deliver_job(session: Session, settings: Settings, job: Job) -> dict[str, Any]:
    """POST one delivery; an error is raised (and the job retried with back-off) until the
    receiver answers 2xx; the outcome of each attempt is in the delivery log."""
    delivery = session.get(WebhookDelivery, int(job.payload["delivery_id"]))
    if delivery is None:
        raise jobs.JobRefused("livraison introuvable (supprimée avec la personne ?)")
    hook = session.get(Webhook, delivery.webhook_id)
    if hook is None or not hook.active:
        raise jobs.JobRefused("récepteur supprimé ou désactivé")
    if delivery.status is DeliveryStatus.delivered:
        return {"status": "delivered", "delivery_id": delivery.id}
    secret = crypto.unseal(settings, hook.secret)
    if secret is None:  # the installation's key changed: no retry can fix it; in the log
        delivery.status = DeliveryStatus.failed
        delivery.error = (
            "secret de signature illisible (la clé de l'installation a changé) : "
            "supprimez le récepteur et ajoutez-le à nouveau"
        )
        session.commit()
        raise jobs.JobRefused(delivery.error)
    body, url, delivery_id = body_of(delivery), hook.url, delivery.id
    event = delivery.event.value
    session.commit()  # no transaction open during the network call
    timestamp = int(time.time())
    status: int | None = None
    error: str | None = None
    try:
        status = _post(
            url,
            body,
            settings,
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "X-Circo-Event": event,
                "X-Circo-Delivery": str(delivery_id),
                "X-Circo-Timestamp": str(timestamp),
                "X-Circo-Signature": sign(secret, timestamp, body),
            },
        )
        if not 200 <= status < 300:
            error = f"le récepteur a répondu {status}"
    except Exception as exc:
        error = f"envoi impossible ({type(exc).__name__})"
    delivery = session.get(WebhookDelivery, delivery_id)
    assert delivery is not None
    delivery.attempts += 1
    delivery.response_status = status
    delivery.error = error
    if error is None:
        delivery.status = DeliveryStatus.delivered
        delivery.delivered_at = utcnow()
        return {"status": "delivered", "delivery_id": delivery_id, "http_status": status}
    last = job.attempts >= job.max_attempts
    delivery.status = DeliveryStatus.failed if last else DeliveryStatus.pending
    session.commit()  # the log keeps the failed attempt; the job is retried after it
    raise RuntimeError(error)


def _post(url: str, body: bytes, settings: Settings, *, headers: dict[str, str]) -> int:
    """POST under the outbound policy (`circo.core.netguard`): no private address unless
    allowed (``CIRCO_URL_FETCH_ALLOW_HOSTS``), the checked address connected to directly."""
    policy = FetchPolicy.from_settings(settings)
    target = httpx.URL(url)
    address = check_target(target, policy)
    with httpx.Client(trust_env=False, follow_redirects=False, verify=True) as client:
        request = client.build_request(
            "POST",
            target.copy_with(host=str(address)),
            content=body,
            headers={**headers, "Host": target.netloc.decode("ascii")},
            extensions={"sni_hostname": target.raw_host.decode("ascii")},
            timeout=httpx.Timeout(TIMEOUT_SECONDS),
        )
        response = client.send(request)
        return response.status_code


def deliveries(session: Session, group: PartyGroup, *, limit: int = 200) -> list[WebhookDelivery]:
    """The delivery log of the node's receivers, newest first."""
    return list(
        session.scalars(
            select(WebhookDelivery)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(Webhook.group_id == group.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )
