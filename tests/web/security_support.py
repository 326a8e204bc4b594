"""Helpers of the security tests: a recording loopback HTTP server and CSRF tokens of pages."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

ARTICLE = (
    "<html><head><title>Fermeture de l'usine Dupuis</title></head><body>"
    "<h1>Fermeture de l'usine Dupuis</h1><p>240 salariés de Villeurbanne perdront leur emploi "
    "à la fin de l'année, annonce la direction.</p></body></html>"
)


@dataclass
class Recorder:
    """A loopback HTTP server: ``/page`` (HTML), ``/redirect`` (to ``redirect_to``),
    ``/stall`` (answers once ``release`` is set, after setting ``stalled``), and any POST as a
    stalling language-model endpoint; records paths."""

    url: str = ""
    port: int = 0
    paths: list[str] = field(default_factory=list)
    redirect_to: str = ""
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


@contextmanager
def recorder() -> Iterator[Recorder]:
    state = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.paths.append(self.path)
            if self.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", state.redirect_to)
                self.end_headers()
                return
            if self.path == "/stall":
                state.stalled.set()
                state.release.wait(timeout=120)
            body = ARTICLE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            """A language-model endpoint that stalls like ``/stall`` then answers no point."""
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.paths.append(self.path)
            state.stalled.set()
            state.release.wait(timeout=120)
            body = json.dumps({"choices": [{"message": {"content": "[]"}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = int(server.server_address[1])
    state.url = f"http://127.0.0.1:{state.port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


def page_csrf(client: httpx.Client, path: str) -> str:
    """The CSRF token of a logged-in page (``<meta name="csrf-token">``)."""
    page = client.get(path)
    assert page.status_code == 200, page.text[:300]
    match = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert match, page.text[:300]
    return match.group(1)


def form_csrf(client: httpx.Client, path: str) -> str:
    """The anonymous CSRF token of a public form (login, password reset)."""
    page = client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text[:300]
    return match.group(1)
