"""The mandataire in Chromium against a real `circo serve`: open the account, record a donation,
see a refused one explained with what was typed kept, record an expense with its invoice, and
download the compte de campagne; the finance role and nobody else below admin gets in."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from circo.config import Settings
from tests.browser import browser_page
from tests.server import LiveServer, init_campaign, run_cli

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

FIRST_ROUND = date.today() + timedelta(days=120)
GIVEN_ON = (date.today() - timedelta(days=1)).isoformat()


def add_user(settings: Settings, email: str, role: str) -> str:
    done = run_cli(settings, "users", "add", email, "--role", role)
    assert done.returncode == 0, done.stderr
    match = re.search(r"mot de passe : (\S+)", done.stdout + done.stderr)
    assert match, done.stdout + done.stderr
    return match.group(1)


def no_horizontal_overflow(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_mandataire_walks_through_donation_expense_and_export(
    settings: Settings, live_server: LiveServer, tmp_path: Path
) -> None:
    init_campaign(settings, "finances")
    password = add_user(settings, "tresorier@example.org", "finance")
    volunteer = add_user(settings, "benevole@example.org", "volunteer")
    base = live_server.base_url
    invoice = tmp_path / "facture-salle.pdf"
    invoice.write_bytes(b"%PDF-1.4\n% invoice\n")

    with browser_page(tmp_path) as page_object:
        page: Any = page_object
        page.set_viewport_size({"width": 1366, "height": 900})
        page.goto(f"{base}/login?next=/c/finances/finance")
        page.get_by_label("Adresse e-mail").fill("tresorier@example.org")
        page.get_by_label("Mot de passe").fill(password)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{base}/c/finances/finance")

        page.get_by_label("Élection").fill("leg-2027")
        page.get_by_label("Territoire").fill("circ:69-01")
        page.get_by_label("Population (sinon INSEE importé)").fill("120000")
        page.get_by_label("Date du premier tour").fill(FIRST_ROUND.isoformat())
        page.get_by_label("Mandataire financier").fill("Claire Martin")
        page.get_by_role("button", name="Enregistrer").click()
        page.wait_for_url(re.compile(r"/finance\?msg=saved"))
        assert "70\u202f560,00 €" in page.get_by_test_id("finance-cards").inner_text()

        page.goto(f"{base}/c/finances/finance/donations")
        page.get_by_label("Prénom").fill("Jean")
        page.get_by_label("Nom", exact=True).fill("Dupont")
        page.get_by_label("Montant (€)").fill("4000")
        page.get_by_label("Date du don").fill(GIVEN_ON)
        page.get_by_role("button", name="Enregistrer et émettre le reçu").click()
        page.wait_for_url(re.compile(r"msg=receipt-1"))
        assert "RD-00001" in page.get_by_test_id("donations").inner_text()

        # Over the cap: refused, the rule named, what was typed still in the form.
        page.get_by_label("Prénom").fill("Jean")
        page.get_by_label("Nom", exact=True).fill("DUPONT")
        page.get_by_label("Montant (€)").fill("700")
        page.get_by_label("Date du don").fill(GIVEN_ON)
        page.get_by_role("button", name="Enregistrer et émettre le reçu").click()
        error = page.get_by_test_id("donation-error").inner_text()
        assert "L52-8" in error
        assert "600,00 €" in error
        assert page.get_by_label("Montant (€)").input_value() == "700"
        assert page.get_by_test_id("donations").inner_text().count("RD-0000") == 1

        page.goto(f"{base}/c/finances/finance/expenses")
        page.get_by_label("Montant TTC (€)").fill("350,00")
        page.get_by_label("Catégorie du compte").select_option("meetings")
        page.get_by_label("Fournisseur").fill("Salle des fêtes")
        page.get_by_label("Date de la dépense").fill(GIVEN_ON)
        page.get_by_label("Facture (PDF ou image)").set_input_files(str(invoice))
        page.get_by_role("button", name="Enregistrer la dépense").click()
        page.wait_for_url(re.compile(r"/expenses\?msg=saved"))
        assert "facture-salle.pdf" in page.get_by_test_id("expenses").inner_text()
        assert no_horizontal_overflow(page)

        page.goto(f"{base}/c/finances/finance")
        with page.expect_download() as download_info:
            page.get_by_role("link", name="Télécharger (XLSX)").click()
        workbook = load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes()))
        rows = {r[0]: r[1] for r in workbook.active.iter_rows(values_only=True) if r and r[0]}
        assert rows["Total des dépenses"] == 350.0
        assert rows["Total des recettes"] == 4000.0

        page.set_viewport_size({"width": 390, "height": 844})
        for path in ("", "/donations", "/expenses", "/bank"):
            page.goto(f"{base}/c/finances/finance{path}")
            assert no_horizontal_overflow(page), path

    with live_server.client() as client:
        live_server.login(client, "benevole@example.org", volunteer)
        assert client.get("/c/finances/finance").status_code == 403
        assert client.get("/api/campaigns/finances/finance/status").status_code == 403
