"""Fixtures of the assistant tests: a campaign context, generated documents, and real local HTTP
servers (static files / RSS, and a fake OpenAI-compatible endpoint) on free 127.0.0.1 ports."""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy.orm import Session
from tests.factories import make_campaign

from circo.config import Settings
from circo.core.tenancy import CampaignContext, system_context

PROGRAMME_MD = """# Programme de Claire Martin

## Retraites

Nous rétablirons la retraite à 62 ans pour les carrières longues. Les pensions seront indexées \
sur les salaires.

Le minimum vieillesse sera porté à 1 200 euros par mois.

## École

Dans chaque école de la circonscription, nous limiterons les classes à 24 élèves. La cantine \
de l'école maternelle sera gratuite.

## Transports

Nous créerons une ligne de tramway entre Villeurbanne et la Part-Dieu.
"""

STUDY_TXT = """ÉTUDE SUR L'EMPLOI À LYON

Le chômage a baissé de 7,9 % à 7,1 % entre 2022 et 2024 dans la métropole de Lyon.

Les emplois industriels représentent 11 % des emplois salariés de la circonscription.
"""


@pytest.fixture
def ctx(session: Session) -> CampaignContext:
    campaign = make_campaign(session, slug="camp-a")
    session.commit()
    return system_context(campaign)


def make_pdf(paragraphs: list[str]) -> bytes:
    from weasyprint import HTML

    body = "".join(f"<p>{text}</p>" for text in paragraphs)
    pdf = HTML(string=f"<html><body>{body}</body></html>").write_pdf()
    assert pdf is not None
    return bytes(pdf)


def make_docx(heading: str, paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading(heading, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Mesure", "Coût"
    table.cell(1, 0).text, table.cell(1, 1).text = "Cantine gratuite", "3 millions d'euros"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- local HTTP servers -----------------------------------------------------------------------


@dataclass
class LocalServer:
    url: str
    routes: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    def allowed_by(self, settings: Settings) -> Settings:
        """``settings`` allow-listing this loopback server (URL fetches refuse loopback)."""
        host_port = self.url.removeprefix("http://")
        return settings.model_copy(update={"url_fetch_allow_hosts": [host_port]})


def _serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def web_server() -> Iterator[LocalServer]:
    """Serves ``routes[path] = (content_type, body)``; other paths are 404."""
    routes: dict[str, tuple[str, bytes]] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = routes.get(self.path)
            if found is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", found[0])
            self.send_header("Content-Length", str(len(found[1])))
            self.end_headers()
            self.wfile.write(found[1])

        def log_message(self, *args: Any) -> None:
            pass

    server, url = _serve(Handler)
    yield LocalServer(url=url, routes=routes)
    server.shutdown()
    server.server_close()


@dataclass
class FakeOpenAI:
    """A fake OpenAI-compatible endpoint: ``reply(request_body) -> assistant text``."""

    base_url: str
    reply: Callable[[dict[str, Any]], str]
    requests: list[dict[str, Any]] = field(default_factory=list)
    # response_format types the endpoint refuses (json_schema with HTTP 500 like
    # llama-cpp-python's server, the others with 422)
    refused_formats: set[str] = field(default_factory=set)


def fake_vector(text: str) -> list[float]:
    digest = hashlib.sha256(text.lower().encode()).digest()
    return [byte / 255 for byte in digest[:16]]


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    state = FakeOpenAI(base_url="", reply=lambda body: "")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append({"path": self.path, "body": body})
            if self.path.endswith("/embeddings"):
                data = [
                    {"index": index, "embedding": fake_vector(text)}
                    for index, text in enumerate(body["input"])
                ]
                self._json({"data": data, "model": body["model"]})
                return
            answer_format = body.get("response_format")
            if answer_format is not None and answer_format.get("type") in state.refused_formats:
                raw = b'{"detail": "response_format: unsupported type"}'
                # llama-cpp-python's server answers its validation errors with HTTP 500
                self.send_response(500 if answer_format["type"] == "json_schema" else 422)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
                return
            content = state.reply(body)
            if body.get("stream"):
                self._stream(content)
                return
            self._json(
                {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}
            )

        def _json(self, payload: dict[str, Any]) -> None:
            raw = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _stream(self, content: str) -> None:
            chunks = [content[index : index + 7] for index in range(0, len(content), 7)]
            lines = [
                "data: " + json.dumps({"choices": [{"index": 0, "delta": {"content": chunk}}]})
                for chunk in chunks
            ] + ["data: [DONE]"]
            raw = ("\n\n".join(lines) + "\n\n").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: Any) -> None:
            pass

    server, url = _serve(Handler)
    state.base_url = f"{url}/v1"
    yield state
    server.shutdown()
    server.server_close()
