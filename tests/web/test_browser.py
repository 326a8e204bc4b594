"""A real headless Chromium logs in and sees the dashboard (screenshot kept as an artifact)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from tests.browser import ARTIFACTS, browser_page, live_server
from tests.factories import DEFAULT_PASSWORD, make_two_campaigns


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_login_and_dashboard_in_chromium(app: FastAPI, session: Session, tmp_path: Path) -> None:
    make_two_campaigns(session)
    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object
        page.goto(f"{base_url}/")
        assert page.locator("h1").inner_text() == "Connexion"
        page.get_by_label("Adresse e-mail").fill("admin-a@example.org")
        page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{base_url}/c/camp-a/")
        assert page.locator("h1").inner_text() == "Tableau de bord"
        page.locator("nav.mainnav summary", has_text="Administration").click()
        assert page.get_by_role("link", name="Équipe et rôles").is_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        page.get_by_role("link", name="Journal d'audit").click()
        assert "login" in page.locator("table").inner_text()
        page.get_by_role("button", name="Se déconnecter").click()
        page.wait_for_url(f"{base_url}/login")
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 1000
