"""A small client for OpenAI-compatible endpoints (Mistral, OpenAI, Ollama, vLLM, llama.cpp).

``/chat/completions`` (plain or streamed as server-sent events) and ``/embeddings`` over httpx,
with timeouts, a few retries on connection errors, 429 and 5xx, and errors naming the endpoint.

JSON mode: ``chat(…, schema=S)`` asks the engine to answer JSON matching S, in the first form it
accepts (an engine that does not know a form answers 400/422; the next one is tried and the
accepted one remembered per endpoint):

1. ``{"type": "json_schema", "json_schema": {"name": …, "schema": S}}`` — OpenAI, Mistral,
   vLLM, Ollama, llama.cpp's own ``llama-server``;
2. ``{"type": "json_object", "schema": S}`` — ``llama-cpp-python``'s server (the schema becomes
   a grammar: even a 135M model answers valid JSON);
3. ``{"type": "json_object"}`` — JSON mode without a schema;
4. no ``response_format`` at all (the prompt alone asks for JSON).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx

from circo.assistant.errors import LLMError, LLMRequired
from circo.config import Settings

RETRIES = 2
BACKOFF_SECONDS = 0.3
RETRY_STATUSES = {429, 500, 502, 503, 504}
EMBEDDING_BATCH = 64
REJECTED_STATUSES = {400, 422}  # an engine refusing a response_format it does not know
# endpoint → index in response_formats() of the first form it accepted
_ACCEPTED_FORMAT: dict[str, int] = {}


def response_formats(schema: dict[str, Any]) -> list[dict[str, Any] | None]:
    """The forms of JSON mode to try, most precise first (see the module's docstring)."""
    return [
        {"type": "json_schema", "json_schema": {"name": "circo_answer", "schema": schema}},
        {"type": "json_object", "schema": schema},
        {"type": "json_object"},
        None,
    ]


class _Rejected(LLMError):
    """HTTP 400/422: the engine refused the request (here: maybe its response_format)."""


def llm_configured(settings: Settings) -> bool:
    return bool(settings.llm_base_url and settings.llm_model)


def embedder_configured(settings: Settings) -> bool:
    return bool(settings.llm_base_url and settings.embeddings_model)


class LLMClient:
    def __init__(self, settings: Settings, *, model: str | None = None) -> None:
        if not settings.llm_base_url:
            raise LLMRequired(
                "aucun modèle de langage configuré : définissez CIRCO_LLM_BASE_URL et "
                "CIRCO_LLM_MODEL (ex. https://api.mistral.ai/v1, mistral-small-latest)"
            )
        self.base_url = settings.llm_base_url.rstrip("/")
        self.model = model or settings.llm_model or ""
        self.timeout = httpx.Timeout(settings.llm_timeout, connect=min(5.0, settings.llm_timeout))
        self.max_tokens = settings.llm_max_tokens
        self.headers = {"Content-Type": "application/json"}
        if settings.llm_api_key:
            self.headers["Authorization"] = f"Bearer {settings.llm_api_key}"

    # --- chat ---------------------------------------------------------------------------------

    def chat(
        self,
        messages: list[dict[str, str]],
        *,
        temperature: float = 0.2,
        schema: dict[str, Any] | None = None,
    ) -> str:
        """The answer's text; with ``schema``, in JSON mode (the first form the engine takes)."""
        url = f"{self.base_url}/chat/completions"
        formats = response_formats(schema) if schema is not None else [None]
        level = _ACCEPTED_FORMAT.get(url, 0) if schema is not None else 0
        while True:
            body = self._chat_body(messages, temperature)
            if formats[level] is not None:
                body["response_format"] = formats[level]
            try:
                payload = self._post_json(url, body)
            except _Rejected as exc:
                if level + 1 >= len(formats):
                    raise LLMError(exc.message, loc=url) from None
                level += 1
                continue
            if schema is not None:
                _ACCEPTED_FORMAT[url] = level
            break
        try:
            content = payload["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise LLMError(
                f"réponse inattendue de {url} : pas de choices[0].message.content", loc=url
            ) from exc
        if not isinstance(content, str):
            raise LLMError(f"réponse inattendue de {url} : contenu non textuel", loc=url)
        return content

    def _chat_body(self, messages: list[dict[str, str]], temperature: float) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": temperature,
        }
        if self.max_tokens:
            body["max_tokens"] = self.max_tokens
        return body

    def chat_stream(
        self, messages: list[dict[str, str]], *, temperature: float = 0.2
    ) -> Iterator[str]:
        """Yield text deltas of a streamed completion (``stream: true``, server-sent events)."""
        url = f"{self.base_url}/chat/completions"
        body = {**self._chat_body(messages, temperature), "stream": True}
        try:
            with (
                httpx.Client(timeout=self.timeout) as client,
                client.stream("POST", url, json=body, headers=self.headers) as response,
            ):
                if response.status_code >= 400:
                    response.read()
                    raise self._status_error(url, response)
                for line in response.iter_lines():
                    delta = _sse_delta(line, url)
                    if delta is None:
                        break
                    if delta:
                        yield delta
        except httpx.HTTPError as exc:
            raise self._transport_error(url, exc) from exc

    # --- embeddings ---------------------------------------------------------------------------

    def embed(self, texts: list[str], *, model: str) -> list[list[float]]:
        url = f"{self.base_url}/embeddings"
        vectors: list[list[float]] = []
        for start in range(0, len(texts), EMBEDDING_BATCH):
            batch = texts[start : start + EMBEDDING_BATCH]
            payload = self._post_json(url, {"model": model, "input": batch})
            try:
                items = sorted(payload["data"], key=lambda item: item.get("index", 0))
                found = [[float(value) for value in item["embedding"]] for item in items]
            except (KeyError, TypeError, ValueError) as exc:
                raise LLMError(
                    f"réponse inattendue de {url} : pas de data[].embedding", loc=url
                ) from exc
            if len(found) != len(batch):
                raise LLMError(
                    f"réponse inattendue de {url} : {len(found)} vecteurs pour {len(batch)} textes",
                    loc=url,
                )
            vectors.extend(found)
        return vectors

    # --- transport ----------------------------------------------------------------------------

    def _post_json(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        last_error: LLMError | None = None
        for attempt in range(RETRIES + 1):
            if attempt:
                time.sleep(BACKOFF_SECONDS * attempt)
            try:
                with httpx.Client(timeout=self.timeout) as client:
                    response = client.post(url, json=body, headers=self.headers)
            except httpx.HTTPError as exc:
                last_error = self._transport_error(url, exc)
                continue
            if "response_format" in body and (
                response.status_code in REJECTED_STATUSES
                # llama-cpp-python's server answers its validation errors with HTTP 500
                or (response.status_code == 500 and "response_format" in response.text)
            ):
                raise _Rejected(self._status_error(url, response).message, loc=url)
            if response.status_code in RETRY_STATUSES:
                last_error = self._status_error(url, response)
                continue
            if response.status_code >= 400:
                raise self._status_error(url, response)
            try:
                payload = response.json()
            except ValueError as exc:
                raise LLMError(
                    f"réponse illisible de {url} : ce n'est pas du JSON ({response.text[:80]!r})",
                    loc=url,
                ) from exc
            if not isinstance(payload, dict):
                raise LLMError(f"réponse inattendue de {url} : objet JSON attendu", loc=url)
            return payload
        assert last_error is not None
        raise last_error

    def _transport_error(self, url: str, exc: httpx.HTTPError) -> LLMError:
        if isinstance(exc, httpx.TimeoutException):
            reason = f"pas de réponse en {self.timeout.read:.0f} s (CIRCO_LLM_TIMEOUT)"
        elif isinstance(exc, httpx.ConnectError):
            reason = "connexion impossible (serveur arrêté ou adresse erronée)"
        else:
            reason = f"{type(exc).__name__}: {exc}"
        return LLMError(f"modèle de langage injoignable à {url} : {reason}", loc=url)

    def _status_error(self, url: str, response: httpx.Response) -> LLMError:
        detail = response.text[:200].strip()
        return LLMError(
            f"le modèle de langage à {url} a répondu HTTP {response.status_code} : {detail}",
            loc=url,
        )


def _sse_delta(line: str, url: str) -> str | None:
    """The text delta of one SSE line; '' for keep-alives; None at ``data: [DONE]``."""
    line = line.strip()
    if not line.startswith("data:"):
        return ""
    data = line[5:].strip()
    if data == "[DONE]":
        return None
    try:
        chunk = json.loads(data)
        delta = chunk["choices"][0].get("delta", {}).get("content") or ""
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise LLMError(f"flux illisible de {url} : {data[:80]!r}", loc=url) from exc
    return str(delta)
