"""A real Chromium follows an import job: queued, then in progress (the page's script updates the
bar from the job's JSON, no reload), then finished with its summary (the page reloads itself)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.core import jobs
from circo.core.jobs import store
from circo.crm.models import Contact
from circo.runtime import Runtime
from tests.browser import ARTIFACTS, browser_page, live_server
from tests.factories import DEFAULT_PASSWORD, make_two_campaigns


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_job_page_shows_progress_then_the_summary(
    app: FastAPI, runtime: Runtime, session: Session, tmp_path: Path
) -> None:
    """The app runs no job worker here: the test plays the worker's part step by step (claim,
    progress, a dead worker's run requeued), then runs the real handler with `run_pending`."""
    from playwright.sync_api import expect

    make_two_campaigns(session)
    session.commit()
    rows = "\n".join(f"Prénom{i};Nom{i};p{i}@example.org" for i in range(1999))
    csv_file = tmp_path / "adherents.csv"
    csv_file.write_text(f"Prénom;Nom;Email\n{rows}\nX;Y;pas-un-email\n", encoding="utf-8")
    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object
        page.goto(f"{base_url}/login")
        page.get_by_label("Adresse e-mail").fill("admin-a@example.org")
        page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{base_url}/c/camp-a/")
        page.goto(f"{base_url}/c/camp-a/contacts/import")
        page.get_by_label("Fichier CSV ou XLSX").set_input_files(str(csv_file))
        page.get_by_role("button", name="Continuer").click()
        page.get_by_role("button", name="Vérifier").click()
        page.get_by_label("Importer les lignes valides et ignorer les autres").check()
        page.get_by_role("button", name="Importer").click()
        page.wait_for_url(f"{base_url}/c/camp-a/jobs/*")
        job_id = int(page.url.rsplit("/", 1)[1])
        state = page.get_by_test_id("job-state")
        assert state.inner_text() == "en attente"
        assert page.locator("h1").inner_text().startswith("Import de contacts")

        attempt = store.claim(runtime.factory, job_id)  # a worker takes it…
        assert attempt == 1
        store.set_progress(runtime.factory, job_id, attempt, 1000, 2000)  # …half-way
        expect(page.locator("[data-job-count]")).to_contain_text("(50 %)")
        assert state.inner_text() == "en cours"
        assert page.locator("[data-job-bar]").get_attribute("value") == "1000"
        count = page.locator("[data-job-count]").inner_text().replace("\u202f", " ")
        assert count.replace("\xa0", " ") == "1 000 / 2 000 (50 %)"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "job-progress.png"), full_page=True)

        # …and dies: its run is requeued, another run of the real handler does the import.
        assert store.recover_stale(runtime.factory, lease_seconds=0) == 1
        assert jobs.run_pending(runtime.factory, runtime.settings) == 1
        summary = page.get_by_test_id("job-summary")
        summary.wait_for()  # the script saw "done" and reloaded the page
        text = summary.inner_text().replace("\u202f", " ").replace("\xa0", " ")
        assert (
            "1 999 contacts créés, 0 mis à jour, 1 ligne refusée : ligne 2001, champ Email" in text
        )
        assert page.get_by_test_id("job-state").inner_text() == "terminé"
        assert page.get_by_test_id("job-progress").is_hidden() is False
        page.screenshot(path=str(ARTIFACTS / "job-done.png"), full_page=True)
        page.get_by_role("link", name="Travaux récents").click()
        assert "Import de contacts" in page.get_by_test_id("jobs").inner_text()
    assert session.scalar(select(func.count()).select_from(Contact)) == 1999
