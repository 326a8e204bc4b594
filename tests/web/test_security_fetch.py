"""Server-side requests through the real server (issue #22): knowledge-base URLs and feeds
never reach internal addresses, failures all look alike, and a fetch holds no transaction."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from circo.config import Settings
from circo.runtime import Runtime
from circo.web.app import create_app
from tests.factories import login, make_campaign, make_user
from tests.server import LiveServer, free_port, init_campaign
from tests.web.security_support import page_csrf, recorder

SLUG = "camp-ssrf"
KB = f"/c/{SLUG}/assistant/kb"
JSON = {"Accept": "application/json"}


def _start(settings: Settings, tmp_path: Path, **env: str) -> LiveServer:
    server = LiveServer(settings, tmp_path / f"server-{len(env)}.log", **env)
    server.start()
    return server


def _add_url(client: httpx.Client, token: str, url: str) -> httpx.Response:
    return client.post(f"{KB}/url", data={"url": url}, headers={"X-CSRF-Token": token, **JSON})


def _documents(client: httpx.Client) -> list[dict[str, object]]:
    response = client.get(f"/api/campaigns/{SLUG}/assistant/documents")
    assert response.status_code == 200, response.text
    listed: list[dict[str, object]] = response.json()
    return listed


def test_internal_addresses_refused_with_one_generic_error(
    settings: Settings, tmp_path: Path
) -> None:
    email, password = init_campaign(settings, SLUG)
    server = _start(settings, tmp_path)
    try:
        with recorder() as target, server.client() as client:
            server.login(client, email, password)
            token = page_csrf(client, KB)
            closed = f"http://127.0.0.1:{free_port()}/page"
            answers = {
                url: _add_url(client, token, url)
                for url in (
                    f"{target.url}/page",  # open loopback port
                    closed,  # closed loopback port
                    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
                    "http://[::ffff:127.0.0.1]/page",  # IPv4-mapped loopback
                    "http://localhost/page",  # loopback by name
                    "http://10.1.2.3/page",  # private network
                )
            }
            for url, answer in answers.items():
                assert answer.status_code == 400, (url, answer.text)
                assert answer.json()["message"].replace(url, "URL") == (
                    "impossible de récupérer « URL » : adresse refusée, injoignable ou réponse "
                    "invalide (seules les adresses publiques en http ou https, ports 80, 443, "
                    "sont acceptées)"
                )
            # An open and a closed port cannot be told apart, and nothing was requested.
            assert target.paths == []
            assert _documents(client) == []

            # A feed on a loopback address: the refresh records the same generic error.
            token = page_csrf(client, KB)
            added = client.post(
                f"{KB}/feeds",
                data={"url": f"{target.url}/page", "territory": "69123"},
                headers={"X-CSRF-Token": token},
            )
            assert added.status_code == 303, added.text
            refreshed = client.post(f"{KB}/feeds/refresh", headers={"X-CSRF-Token": token})
            assert refreshed.status_code == 303, refreshed.text
            feeds = client.get(f"/api/campaigns/{SLUG}/assistant/feeds").json()
            assert [feed["status"] for feed in feeds] == ["error"]
            assert "adresse refusée, injoignable" in feeds[0]["error"]
            assert target.paths == []
    finally:
        server.kill()


def test_allow_list_redirect_check_and_no_transaction_during_fetch(
    settings: Settings, tmp_path: Path
) -> None:
    email, password = init_campaign(settings, SLUG)
    with recorder() as target, recorder() as other:
        server = _start(
            settings,
            tmp_path,
            CIRCO_URL_FETCH_ALLOW_HOSTS=f"127.0.0.1:{target.port}",
            CIRCO_URL_FETCH_TIMEOUT="60",
            CIRCO_LLM_BASE_URL=f"{target.url}/v1",
            CIRCO_LLM_MODEL="modele-local",
        )
        try:
            with server.client() as client:
                server.login(client, email, password)
                token = page_csrf(client, KB)
                # The configured allow-list lets the local server in.
                added = _add_url(client, token, f"{target.url}/page")
                assert added.status_code == 303, added.text
                assert [doc["title"] for doc in _documents(client)] == [
                    "Fermeture de l'usine Dupuis"
                ]
                # A redirect from the allowed server to another loopback port is refused.
                target.redirect_to = f"{other.url}/page"
                redirected = _add_url(client, token, f"{target.url}/redirect")
                assert redirected.status_code == 400, redirected.text
                assert "adresse refusée" in redirected.json()["message"]
                assert other.paths == []

                # While a fetch is stalled, the database is free: /health and a login answer.
                outcome: dict[str, httpx.Response] = {}
                fetching = threading.Thread(
                    target=lambda: outcome.update(
                        stalled=_add_url(client, token, f"{target.url}/stall")
                    )
                )
                fetching.start()
                assert target.stalled.wait(timeout=60)
                with httpx.Client(base_url=server.base_url, timeout=20) as second:
                    assert second.get("/health").status_code == 200
                    server.login(second, email, password)
                    assert second.get(f"/c/{SLUG}/").status_code == 200
                assert fetching.is_alive()  # the fetch was still waiting all along
                target.release.set()
                fetching.join(timeout=60)
                assert outcome["stalled"].status_code == 303, outcome["stalled"].text

                # Same for a slow language model answering a question.
                target.stalled, target.release = threading.Event(), threading.Event()
                asking = threading.Thread(
                    target=lambda: outcome.update(
                        asked=client.get(
                            f"/api/campaigns/{SLUG}/assistant/ask", params={"q": "usine Dupuis"}
                        )
                    )
                )
                asking.start()
                assert target.stalled.wait(timeout=60)
                with httpx.Client(base_url=server.base_url, timeout=20) as third:
                    assert third.get("/health").status_code == 200
                    server.login(third, email, password)
                assert asking.is_alive()
                target.release.set()
                asking.join(timeout=60)
                assert outcome["asked"].status_code == 200, outcome["asked"].text
                assert "/v1/chat/completions" in target.paths
        finally:
            server.kill()


def test_url_fetching_can_be_turned_off(runtime: Runtime) -> None:
    with runtime.session() as session:
        admin = make_user(session, campaign=make_campaign(session, slug=SLUG), email="a@ex.org")
        admin_email = admin.email
    settings = runtime.settings.model_copy(update={"url_fetch_enabled": False})
    switched_off = dataclasses.replace(runtime, settings=settings)
    with recorder() as target, TestClient(create_app(settings, runtime=switched_off)) as client:
        csrf = login(client, admin_email)
        answer = client.post(
            f"{KB}/url", data={"url": f"{target.url}/page"}, headers={"X-CSRF-Token": csrf, **JSON}
        )
        assert answer.status_code == 403, answer.text
        assert "CIRCO_URL_FETCH_ENABLED=false" in answer.json()["message"]
        assert target.paths == []
