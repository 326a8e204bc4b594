"""Texts whose provider never answered stay "sending", are shown on the texting page with a
French status and are retried with the same provider reference (idempotency key)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.reach import text_retry, texting
from circo.reach.errors import ReachError
from circo.reach.models import TextEntry
from circo.runtime import open_runtime
from circo.web.app import create_app
from tests.factories import login
from tests.reach.test_texting import TEMPLATE, WEDNESDAY_AFTERNOON, as_user, make_text_world


class LosingApi(BaseHTTPRequestHandler):
    """An SMS API that loses its first answer for a reference (the connection drops after the
    text was taken) and, asked again with the same reference, answers with the same id."""

    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        LosingApi.received.append(body)
        if [item["tag"] for item in LosingApi.received].count(body["tag"]) == 1:
            self.close_connection = True
            self.connection.close()  # no answer at all
            return
        payload = json.dumps({"messageId": f"id-{body['tag']}"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def losing_settings(settings: Settings) -> Iterator[Settings]:
    LosingApi.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), LosingApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v3/transactionalSMS/sms"
    yield settings.model_copy(update={"sms_provider": "http", "sms_api_url": url})
    server.shutdown()
    server.server_close()


def test_a_text_without_answer_is_shown_and_retried_once(
    session: Session, losing_settings: Settings
) -> None:
    world = make_text_world(session)
    built = texting.create_text_campaign(
        session, world.ctx, segment="À texter", template=TEMPLATE, name="Réunion jeudi"
    )
    session.commit()
    campaign_id = built.text_campaign.id
    volunteer = as_user(world.ctx, world.volunteer)
    with pytest.raises(ReachError, match="peut-être parti"):
        texting.send_next(
            session, volunteer, losing_settings, text_campaign_id=campaign_id,
            now=WEDNESDAY_AFTERNOON,
        )  # fmt: skip
    session.rollback()
    stuck = text_retry.stuck_texts(session, world.ctx, campaign_id)
    assert len(stuck) == 1
    entry_id = stuck[0].id
    assert stuck[0].status == "sending"
    session.commit()

    # the page shows it with a French status, and a volunteer's retry goes through the web app
    runtime = open_runtime(losing_settings)
    try:
        with TestClient(create_app(losing_settings, runtime=runtime)) as client:
            csrf = login(client, "volunteer-a@example.org")
            page = client.get(f"/c/camp-a/texts/{campaign_id}")
            assert page.status_code == 200
            assert "sans réponse du fournisseur" in page.text
            assert f'data-testid="retry-{entry_id}"' in page.text
            retried = client.post(
                f"/c/camp-a/texts/{campaign_id}/retry/{entry_id}",
                data={"csrf_token": csrf},
                follow_redirects=False,
            )
            assert retried.status_code == 303, retried.text
            again = client.post(
                f"/c/camp-a/texts/{campaign_id}/retry/{entry_id}",
                data={"csrf_token": csrf},
                follow_redirects=False,
            )
            assert again.status_code == 303  # already sent: nothing more leaves
            after = client.get(f"/c/camp-a/texts/{campaign_id}")
            assert "sans réponse du fournisseur" not in after.text
    finally:
        runtime.close()
    entry = session.get(TextEntry, entry_id)
    assert entry is not None
    session.refresh(entry)
    assert (entry.status, entry.provider_id, entry.note) == ("sent", f"id-texto-{entry_id}", "")
    assert [item["tag"] for item in LosingApi.received] == [f"texto-{entry_id}"] * 2
