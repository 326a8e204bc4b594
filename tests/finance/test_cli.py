"""`circo finance …` as separate processes on the test's database (SQLite and PostgreSQL):
the JSON contracts, every refusal of L52-8 leaving the data unchanged, receipts without gaps,
the export read back with openpyxl, the bank reconciliation, and erasure keeping what the law
keeps."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, text

from circo.config import Settings
from tests.server import init_campaign, run_cli

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(autouse=True)
def campaign(settings: Settings) -> None:
    init_campaign(settings, "finances")


TODAY = date.today()
FIRST_ROUND = TODAY + timedelta(days=120)
IN_PERIOD = (TODAY - timedelta(days=2)).isoformat()


def cli_json(settings: Settings, *args: str) -> Any:
    done = run_cli(settings, "finance", *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def refused(settings: Settings, *args: str) -> str:
    done = run_cli(settings, "finance", *args, "--json")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout.strip() == ""
    lines = [line for line in done.stderr.strip().splitlines() if line.startswith("Erreur")]
    assert len(lines) == 1, done.stderr
    return lines[0].replace("\u202f", " ")


def snapshot(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    engine = create_engine(settings.effective_database_url)
    try:
        with engine.connect() as connection:
            return {
                table: [
                    tuple(row)
                    for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))
                ]
                for table in ("fin_donations", "fin_receipts", "fin_expenses", "fin_income")
            }
    finally:
        engine.dispose()


def donate(
    *, first: str, last: str, amount: str, method: str = "cheque", **extra: str
) -> list[str]:
    args = [
        "donate",
        "--first-name",
        first,
        "--last-name",
        last,
        "--amount",
        amount,
        "--method",
        method,
        "--date",
        extra.pop("date", IN_PERIOD),
    ]
    if extra.pop("resident", ""):
        args.append("--resident")
    else:
        args += ["--nationality", extra.pop("nationality", "FR")]
    for key, value in extra.items():
        args += [f"--{key.replace('_', '-')}", value]
    return args


def setup(settings: Settings, population: str = "120000") -> dict[str, Any]:
    return dict(
        cli_json(
            settings,
            "setup",
            "--election",
            "leg-2027",
            "--territory",
            "circ:69-01",
            "--population",
            population,
            "--date",
            FIRST_ROUND.isoformat(),
            "--mandataire",
            "Claire Martin",
        )
    )


def test_setup_donations_and_every_refusal(settings: Settings) -> None:
    account = setup(settings)
    assert account == {
        "ceiling_eur": 70560.0,
        "population": 120000,
        "financing_from": date(
            FIRST_ROUND.year - (FIRST_ROUND.month <= 6), (FIRST_ROUND.month - 7) % 12 + 1, 1
        ).isoformat(),
        "file_by": account["file_by"],
    }
    assert date.fromisoformat(account["file_by"]).weekday() == 4

    first = cli_json(
        settings,
        *donate(
            first="Jean",
            last="Dupont",
            amount="4000",
            email="jean@example.org",
            address="1 rue A, Lyon",
        ),
    )
    assert first == {"id": first["id"], "receipt": "RD-00001", "donor_total_eur": 4000.0}
    # The same person written otherwise is the same donor (identity, not row).
    second = cli_json(
        settings, *donate(first="jean", last="DUPONT", amount="500", method="transfer")
    )
    assert second["receipt"] == "RD-00002"
    assert second["donor_total_eur"] == 4500.0

    before = snapshot(settings)
    line = refused(settings, *donate(first="Jean", last="Dupont", amount="100.01"))
    assert "L52-8" in line
    assert "4 500,00 €" in line
    assert "100,00 €" in line
    line = refused(settings, *donate(first="Ana", last="Li", amount="20", nationality="DE"))
    assert "L52-8" in line
    assert "nationalité" in line
    line = refused(settings, *donate(first="Ana", last="Li", amount="150.50", method="cash"))
    assert "L52-8" in line
    assert "espèces" in line
    line = refused(settings, *donate(first="Ana", last="Li", amount="20", company="ACME SAS"))
    assert "L52-8" in line
    assert "personne morale" in line
    line = refused(settings, *donate(first="Ana", last="Li", amount="20", date="2020-01-01"))
    assert "L52-4" in line
    assert snapshot(settings) == before  # nothing written by any refusal

    # A resident foreigner may give; a party too.
    assert (
        cli_json(
            settings, *donate(first="Ana", last="Li", amount="150", method="cash", resident="yes")
        )["receipt"]
        == "RD-00003"
    )
    party = cli_json(
        settings,
        "donate",
        "--party",
        "Parti X",
        "--company",
        "Parti X",
        "--amount",
        "3000",
        "--method",
        "transfer",
        "--date",
        IN_PERIOD,
    )
    assert party["receipt"] == "RD-00004"

    # A cancelled receipt keeps its number; the next one follows without a gap.
    cancelled = cli_json(settings, "cancel-receipt", "2", "--reason", "chèque sans provision")
    assert cancelled == {"receipt": "RD-00002", "status": "cancelled"}
    again = cli_json(settings, *donate(first="Jean", last="Dupont", amount="600"))
    assert again == {"id": again["id"], "receipt": "RD-00005", "donor_total_eur": 4600.0}

    status = cli_json(settings, "status")
    assert status == {
        "received_eur": 4000 + 150 + 3000 + 600.0,
        "spent_eur": 0.0,
        "cash_eur": 150.0,
        "ceiling_eur": 70560.0,
        "donations": 4,
        "alerts": [],
    }


def test_cash_limited_to_a_fifth_of_the_ceiling(settings: Settings) -> None:
    cli_json(
        settings,
        "setup",
        "--election",
        "mun-2026",
        "--territory",
        "com:29039",
        "--population",
        "9000",
        "--date",
        FIRST_ROUND.isoformat(),
        "--ceiling",
        "15000",
    )
    for index in range(20):
        cli_json(settings, *donate(first=f"P{index}", last="Cash", amount="150", method="cash"))
    before = snapshot(settings)
    line = refused(settings, *donate(first="Q", last="Cash", amount="1", method="cash"))
    assert "20 %" in line
    assert "3 000,00 €" in line
    assert snapshot(settings) == before


def test_expenses_export_matches_the_ledger(settings: Settings, tmp_path: Path) -> None:
    setup(settings)
    cli_json(settings, *donate(first="Jean", last="Dupont", amount="1000"))
    invoice = tmp_path / "facture imprimerie.pdf"
    invoice.write_bytes(b"%PDF-1.4\n% a real invoice would be here\n")
    spent = cli_json(
        settings,
        "spend",
        "--amount",
        "2500,40",
        "--category",
        "printing",
        "--supplier",
        "Imprimerie du Rhône",
        "--date",
        IN_PERIOD,
        "--file",
        str(invoice),
    )
    assert spent["invoice"]
    assert (settings.data_dir / spent["invoice"]).read_bytes() == (invoice.read_bytes())
    early = cli_json(
        settings,
        "spend",
        "--amount",
        "80",
        "--category",
        "premises",
        "--supplier",
        "Salle",
        "--date",
        "2020-01-10",
    )
    assert early["before_period"] is True
    cli_json(settings, "income", "--kind", "personal", "--amount", "5000", "--date", IN_PERIOD)
    status = cli_json(settings, "status")
    assert status["spent_eur"] == 2580.4
    assert status["received_eur"] == 6000.0
    assert any("L52-4" in alert for alert in status["alerts"])

    out = tmp_path / "compte.xlsx"
    done = run_cli(settings, "finance", "export", "--out", str(out))
    assert done.returncode == 0, done.stderr
    workbook = load_workbook(io.BytesIO(out.read_bytes()))
    summary = {
        row[0]: row[1]
        for row in workbook["Compte de campagne"].iter_rows(values_only=True)
        if row and row[0]
    }
    assert summary["Total des dépenses"] == 2580.4
    assert summary["Total des recettes"] == 6000.0
    assert summary["Plafond des dépenses (L52-11)"] == 70560.0
    donations = list(workbook["Annexe - dons"].iter_rows(values_only=True))
    assert donations[1][0] == "RD-00001"
    assert donations[1][2] == "Dupont"
    expenses = list(workbook["Annexe - dépenses"].iter_rows(values_only=True))
    assert [row[5] for row in expenses[1:]] == [80.0, 2500.4]  # by date

    pdf = tmp_path / "compte.pdf"
    assert run_cli(settings, "finance", "export", "--out", str(pdf)).returncode == 0
    receipt = tmp_path / "recu.pdf"
    assert run_cli(settings, "finance", "receipt", "1", "--out", str(receipt)).returncode == 0
    from pypdf import PdfReader

    account_text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages)
    assert "Compte de campagne" in account_text
    assert "Imprimerie du Rhône" in account_text
    receipt_text = " ".join(PdfReader(receipt).pages[0].extract_text().split())
    assert "RD-00001" in receipt_text
    assert "mille euros" in receipt_text


def test_bank_statement_reconciliation_csv_and_ofx(settings: Settings, tmp_path: Path) -> None:
    setup(settings)
    day = date.fromisoformat(IN_PERIOD)
    cli_json(settings, *donate(first="Jean", last="Dupont", amount="250"))
    cli_json(
        settings,
        "spend",
        "--amount",
        "99.90",
        "--category",
        "digital",
        "--supplier",
        "Hébergeur",
        "--date",
        IN_PERIOD,
    )
    statement = tmp_path / "releve.csv"
    statement.write_text(
        "Relevé du compte 123\n"
        "Date;Libellé;Débit;Crédit\n"
        f"{day:%d/%m/%Y};REMISE CHEQUE DUPONT;;250,00\n"
        f"{day:%d/%m/%Y};PRLV HEBERGEUR;99,90;\n"
        f"{day:%d/%m/%Y};FRAIS TENUE DE COMPTE;4,00;\n",
        encoding="cp1252",
    )
    report = cli_json(settings, "bank", str(statement))
    assert (report["lines"], report["new"], report["matched"], report["unmatched"]) == (3, 3, 2, 1)
    assert report["unmatched_lines"][0]["label"] == "FRAIS TENUE DE COMPTE"
    again = cli_json(settings, "bank", str(statement))  # the same statement twice: nothing new
    assert (again["new"], again["matched"], again["unmatched"]) == (0, 2, 1)

    ofx = tmp_path / "releve.ofx"
    ofx.write_text(
        "OFXHEADER:100\nDATA:OFXSGML\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><BANKTRANLIST>\n"
        f"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>{day:%Y%m%d}<TRNAMT>-4.00<NAME>FRAIS\n"
        f"<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>{day:%Y%m%d}<TRNAMT>35.00<NAME>VIR INCONNU\n"
        "</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n",
        encoding="ascii",
    )
    report = cli_json(settings, "bank", str(ofx))
    assert report["new"] == 2
    assert report["unmatched"] == 3

    broken = tmp_path / "vide.csv"
    broken.write_text("rien;du;tout\n", encoding="utf-8")
    line = refused(settings, "bank", str(broken))
    assert "vide.csv" in line
    assert "en-tête" in line


def test_erasure_keeps_donations_by_law_and_says_so(settings: Settings) -> None:
    setup(settings)
    cli_json(settings, *donate(first="Jean", last="Dupont", amount="100", email="jean@example.org"))
    before = snapshot(settings)["fin_donations"]
    done = run_cli(settings, "privacy", "erase", "--email", "jean@example.org", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert "fin_donations" in report["kept"]
    assert "L52-12" in report["kept"]["fin_donations"]
    assert snapshot(settings)["fin_donations"] == before


def test_population_from_the_imported_insee_tables(settings: Settings) -> None:
    line = refused(
        settings,
        "setup",
        "--election",
        "mun-2026",
        "--territory",
        "com:75056",
    )
    assert "--population" in line
    data = Path(__file__).resolve().parents[1] / "elections" / "data"
    done = run_cli(settings, "import", "insee", str(data / "base_ic_pop_2019_semicolon.csv"))
    assert done.returncode == 0, done.stderr
    account = cli_json(settings, "setup", "--election", "mun-2026", "--territory", "com:75056")
    # Paris = its arrondissements' IRIS (75101…): 1 523,4 inhabitants in this sample.
    assert account["population"] == 1523
    assert account["financing_from"] == "2025-09-01"  # municipales 15 March 2026 (L52-4)
    assert account["ceiling_eur"] == round(1523 * 1.68 * 1.23, 2)


def test_books_are_purged_after_the_legal_period(settings: Settings, tmp_path: Path) -> None:
    cli_json(
        settings,
        "setup",
        "--election",
        "leg-2012",
        "--territory",
        "circ:69-01",
        "--population",
        "100000",
        "--date",
        "2012-06-10",
    )
    cli_json(settings, *donate(first="Ancien", last="Donateur", amount="50", date="2012-05-02"))
    invoice = tmp_path / "f.pdf"
    invoice.write_bytes(b"%PDF-1.4 old\n")
    spent = cli_json(
        settings,
        "spend",
        "--amount",
        "10",
        "--category",
        "other",
        "--supplier",
        "X",
        "--date",
        "2012-05-03",
        "--file",
        str(invoice),
    )
    assert (settings.data_dir / spent["invoice"]).exists()

    def item(report: dict[str, Any]) -> dict[str, Any]:
        return next(i for i in report["items"] if i["policy"] == "campaign_finance")

    dry = run_cli(settings, "privacy", "retention", "--json")
    assert dry.returncode == 0, dry.stderr
    assert item(json.loads(dry.stdout.strip().splitlines()[-1]))["count"] == 1
    assert snapshot(settings)["fin_donations"]  # a dry run deletes nothing
    done = run_cli(settings, "privacy", "retention", "--apply", "--json")
    assert done.returncode == 0, done.stderr
    after = snapshot(settings)
    assert after["fin_donations"] == []
    assert after["fin_expenses"] == []
    assert not (settings.data_dir / spent["invoice"]).exists()


def test_ceiling_alerts_at_80_and_100_percent(settings: Settings) -> None:
    cli_json(
        settings,
        "setup",
        "--election",
        "leg-2027",
        "--territory",
        "circ:69-01",
        "--population",
        "100000",
        "--date",
        FIRST_ROUND.isoformat(),
        "--ceiling",
        "1000",
    )
    spend = ["spend", "--category", "printing", "--supplier", "Imprimerie", "--date", IN_PERIOD]
    cli_json(settings, *spend, "--amount", "799.99")
    assert not any("plafond" in alert for alert in cli_json(settings, "status")["alerts"])
    cli_json(settings, *spend, "--amount", "0.01")
    alerts = cli_json(settings, "status")["alerts"]
    assert any(alert.startswith("80 % du plafond atteint (L52-11)") for alert in alerts)
    cli_json(settings, *spend, "--amount", "200")
    alerts = cli_json(settings, "status")["alerts"]
    assert any(alert.startswith("plafond dépassé (L52-11)") for alert in alerts)
