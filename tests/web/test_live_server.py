"""The live-server fixture itself: a real `circo serve` process survives SIGKILL and restarts."""

from __future__ import annotations

from tests.server import LiveServer, init_campaign


def test_server_restarts_after_sigkill_on_same_data(live_server: LiveServer) -> None:
    _, password = init_campaign(live_server.settings, "camp-live")
    with live_server.client() as client:
        live_server.login(client, "admin@example.org", password)
        assert client.get("/c/camp-live/").status_code == 200
    live_server.restart_after_kill()
    with live_server.client() as client:
        live_server.login(client, "admin@example.org", password)
        page = client.get("/c/camp-live/")
        assert page.status_code == 200
        assert "camp-live" in page.text or "Ma campagne" in page.text
