"""No lost typing: every form of the web app, submitted in Chromium with one bad field, comes
back with the error above it and every other field as the person typed it.

The forms are found by crawling the demo as its administrator (every POST form with a field one
types in and at least one other field); `BAD_VALUE` says, per form, which field gets a value the
server refuses. A new form fails the test until it is listed there.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from circo.core.models import Role
from circo.runtime import Runtime
from tests.browser import ARTIFACTS, browser_page, live_server
from tests.factories import login
from tests.web.crawl import crawl, demo_with_every_role

TYPED = {"text", "email", "url", "number", "date", "datetime-local", "tel", "search", "textarea"}
NOT_FIELDS = {"hidden", "submit", "button", "reset", "image", "password", "file"}

# form (action, ids as {id}) → (field, a value the server refuses)
BAD_VALUE: dict[str, tuple[str, str]] = {
    "/c/demo/assessors/mine": ("vote_date", ""),
    "/c/demo/assessors/signup": ("contact", "abc"),
    "/c/demo/assistant/kb/feeds": ("url", "pas une adresse"),
    "/c/demo/assistant/kb/upload": ("day", "2026-02-30"),  # and no file chosen
    "/c/demo/assistant/kb/url": ("url", "pas une adresse"),
    "/c/demo/assistant/leaflets": ("territory", ""),
    "/c/demo/assistant/studio": ("topic", ""),
    "/c/demo/automations": ("name", ""),
    "/c/demo/calls": ("batch_size", "abc"),
    "/c/demo/contacts": ("email", "pas-une-adresse"),
    "/c/demo/drops": ("per_turf", "abc"),
    "/c/demo/events": ("starts_at", ""),
    "/c/demo/field/assign": ("turf_id", "abc"),
    "/c/demo/field/plan": ("bureaux", "99999_1"),
    "/c/demo/finance/setup": ("population", "beaucoup"),
    "/c/demo/forms": ("name", ""),
    "/c/demo/posters": ("number", "abc"),
    "/c/demo/posters/rounds": ("day", "2026-02-30"),
    "/c/demo/privacy/requests": ("email", "pas-une-adresse"),
    "/c/demo/procurations/offer": ("until", ""),
    "/c/demo/procurations/request": ("until", ""),
    "/c/demo/segments": ("name", ""),
    "/c/demo/settings/campaign": ("territory_code", "pas un code"),
    "/c/demo/settings/installation": ("smtp_port", "abc"),
    "/c/demo/texts": ("template", "Bonjour {{ age }}"),
    "/c/demo/users": ("email", "pas-une-adresse"),
    "/c/demo/volunteers": ("email", "pas-une-adresse"),
}


class _Forms(HTMLParser):
    """POST forms of a page: action and (name, type) of their fields."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self._current: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form" and (found.get("method") or "").lower() == "post":
            self._current = {"action": found.get("action") or "", "fields": []}
            self.forms.append(self._current)
        elif self._current is not None and tag in ("input", "textarea", "select"):
            default = {"input": "text", "textarea": "textarea", "select": "select"}[tag]
            kind = (found.get("type") or default).lower()
            if found.get("name") and kind not in NOT_FIELDS:
                self._current["fields"].append((found["name"], kind))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def forms_of_the_demo(client: TestClient) -> dict[str, tuple[str, str]]:
    """form key → (page showing it, its real action)."""
    found: dict[str, tuple[str, str]] = {}
    for path in sorted(crawl(client, "/c/demo/", limit=800, queries_per_path=1).texts):
        parser = _Forms()
        parser.feed(client.get(path).text)
        for form in parser.forms:
            typed = [name for name, kind in form["fields"] if kind in TYPED]
            if not typed or len(form["fields"]) < 2:
                continue  # a button, or nothing else to keep
            key = re.sub(r"/\d+(?=/|$)", "/{id}", form["action"] or path.split("?")[0])
            found.setdefault(key, (path, form["action"]))
    return found


FILL = """([action, bad, badValue]) => {
  const form = [...document.forms].find(f => (f.getAttribute("action") || "") === action);
  form.noValidate = true;  // the server's checks, as with a browser that has none
  const skipped = ["hidden", "submit", "button", "reset", "image", "password", "file"];
  const typed = {};
  [...form.elements].forEach((el, i) => {
    const type = (el.type || "").toLowerCase();
    if (!el.name || el.disabled || skipped.includes(type)) return;
    if (el.name === bad) { el.value = badValue; return; }
    if (type === "checkbox" || type === "radio") { el.checked = true; }
    else if (el.tagName === "SELECT") {
      const options = [...el.options].filter(o => o.value);
      if (options.length) el.value = options[options.length - 1].value;
    }
    else if (type === "email") el.value = `garde.${i}@example.org`;
    else if (type === "url") el.value = `https://example.org/garde-${i}`;
    else if (type === "number") el.value = String(7 + i);
    else if (type === "date") el.value = "2026-12-05";
    else if (type === "datetime-local") el.value = "2026-12-05T19:00";
    else el.value = `Saisie gardée ${i}`;
    const box = type === "checkbox" || type === "radio";
    typed[`${el.name}#${i}`] = box ? String(el.checked) : el.value;
  });
  return typed;
}"""

READ = """([action, names]) => {
  const form = [...document.forms].find(f => (f.getAttribute("action") || "") === action);
  if (!form) return null;
  const out = {};
  [...form.elements].forEach((el, i) => {
    const key = `${el.name}#${i}`;
    if (names.includes(key)) {
      const type = (el.type || "").toLowerCase();
      out[key] = (type === "checkbox" || type === "radio") ? String(el.checked) : el.value;
    }
  });
  return out;
}"""


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_form_keeps_what_was_typed_after_an_error(
    app: FastAPI, runtime: Runtime, session: Session, tmp_path: Path
) -> None:
    email, password = demo_with_every_role(runtime, session)[Role.admin]
    assert password
    with TestClient(app) as client:
        login(client, email, password)
        forms = forms_of_the_demo(client)
    assert sorted(forms) == sorted(BAD_VALUE), set(forms) ^ set(BAD_VALUE)

    lost: list[str] = []
    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object
        page.set_viewport_size({"width": 1366, "height": 900})
        page.goto(f"{base_url}/login")
        page.get_by_label("Adresse e-mail").fill(email)
        page.get_by_label("Mot de passe").fill(password)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(re.compile(r".*/c/demo/?$"))
        for key, (path, action) in sorted(forms.items()):
            bad, bad_value = BAD_VALUE[key]
            page.goto(f"{base_url}{path}")
            typed = page.evaluate(FILL, [action, bad, bad_value])
            assert typed, key
            with page.expect_navigation():
                page.evaluate(
                    "action => [...document.forms]"
                    ".find(f => (f.getAttribute('action') || '') === action).requestSubmit()",
                    action,
                )
            # The error at the form: put there by /static/forms.js after the error page, or
            # by a page that renders the form again itself with its error.
            error = page.locator("[data-testid=form-error], main .error[role=alert]").first
            try:
                error.wait_for(timeout=10_000)
                page.wait_for_load_state()
            except Exception:  # reported below with the page reached
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"form-typing-{len(lost)}.png"))
                lost.append(f"{key}: no error shown at the form (page {page.url})")
                continue
            assert error.inner_text().strip(), key
            kept = page.evaluate(READ, [action, list(typed)])
            if kept is None:
                lost.append(f"{key}: the form is not shown again with its error ({page.url})")
                continue
            changed = {
                name: (typed[name], kept.get(name))
                for name in typed
                if kept.get(name) != typed[name]
            }
            if changed:
                lost.append(f"{key}: {changed}")
    assert lost == [], "\n".join(lost)
