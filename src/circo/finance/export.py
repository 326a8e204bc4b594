"""The compte de campagne in the layout of the CNCCFP form (XLSX and PDF), the reçus-dons in
PDF, and the archive of every supporting file.

The account follows the form's two sides: resources (donations of natural persons — with their
list in annex —, the candidate's personal contribution, party contributions, loans, in-kind
contributions) and expenses by heading; the balance; the ceiling; the reimbursement estimate."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import audit
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.finance import rules
from circo.finance.account import FinanceStatus, compute_status
from circo.finance.donations import list_donations, receipt_label
from circo.finance.errors import NotFound
from circo.finance.ledger import list_expenses, list_income
from circo.finance.models import (
    AccountFinance,
    Donation,
    Expense,
    Income,
    Receipt,
    ReceiptStatus,
)

CATEGORY_LABELS = {
    "staff": "Frais de personnel",
    "premises": "Locaux, permanence",
    "travel": "Déplacements et transports",
    "meetings": "Réunions publiques",
    "printing": "Impressions et propagande (hors remboursement de l'État)",
    "advertising": "Publicité, communication",
    "digital": "Site internet, réseaux sociaux, numérique",
    "fees": "Honoraires (expert-comptable, conseils)",
    "bank": "Frais bancaires et financiers",
    "other": "Divers",
}
INCOME_LABELS = {
    "personal": "Apport personnel du candidat",
    "party": "Contributions des partis ou groupements politiques",
    "loan": "Emprunts",
    "in_kind": "Concours en nature",
}
METHOD_LABELS = {
    "cheque": "chèque",
    "transfer": "virement",
    "card": "carte bancaire",
    "cash": "espèces",
    "direct_debit": "prélèvement",
}

_environment = Environment(
    loader=FileSystemLoader(str(resources.files("circo") / "finance" / "templates")),
    autoescape=select_autoescape(["html"]),
)
_environment.filters["eur"] = rules.format_eur


def election_name(key: str) -> str:
    """ "leg-2027" → "Législatives 2027" (the key itself when it is not one of circo's)."""
    from circo.elections.territories import ELECTION_NAMES, ELECTION_TYPES

    kind, _, rest = key.partition("-")
    name = ELECTION_NAMES.get(ELECTION_TYPES.get(kind, ""), "")
    return f"{name} {rest[:4]}" if name and rest[:4].isdigit() else key


_environment.filters["election_name"] = election_name


@dataclass
class CampaignAccount:
    """Everything the compte de campagne shows, read once."""

    campaign_name: str
    account: AccountFinance
    status: FinanceStatus
    donations: list[tuple[Donation, Receipt]]
    income: list[Income]
    expenses: list[Expense]
    resources: list[tuple[str, int]] = field(default_factory=list)
    spending: list[tuple[str, int]] = field(default_factory=list)
    made_on: date = field(default_factory=date.today)

    @property
    def total_resources(self) -> int:
        return sum(amount for _label, amount in self.resources)

    @property
    def total_spending(self) -> int:
        return sum(amount for _label, amount in self.spending)


def build_account(session: Session, ctx: CampaignContext) -> CampaignAccount:
    status = compute_status(session, ctx)
    donations = list_donations(session, ctx)
    income = list_income(session, ctx)
    expenses = list_expenses(session, ctx)
    result = CampaignAccount(
        campaign_name=ctx.campaign.name,
        account=status.account,
        status=status,
        donations=donations,
        income=income,
        expenses=expenses,
    )
    result.resources = [
        ("Dons de personnes physiques (annexe : liste des dons)", status.donations_cents)
    ]
    for kind, label in INCOME_LABELS.items():
        result.resources.append((label, status.income_cents.get(kind, 0)))
    by_category: dict[str, int] = {}
    for expense in expenses:
        by_category[str(expense.category)] = (
            by_category.get(str(expense.category), 0) + expense.amount_cents
        )
    for key, label in CATEGORY_LABELS.items():
        result.spending.append((label, by_category.get(key, 0)))
    result.spending.append(
        ("Concours en nature (contrepartie)", status.income_cents.get("in_kind", 0))
    )
    audit.record(
        session,
        actor=ctx.actor,
        action="finance.export",
        campaign_id=ctx.campaign_id,
        target_type="finance_account",
        target_id=status.account.id,
    )
    return result


def account_xlsx(account: CampaignAccount) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Compte de campagne"
    acc = account.account
    header = [
        ("Compte de campagne", account.campaign_name),
        ("Élection", election_name(acc.election_key)),
        ("Territoire", acc.territory),
        ("Candidat", acc.candidate),
        ("Mandataire financier", acc.mandataire),
        ("Premier tour", acc.first_round),
        ("Période de financement (L52-4) depuis le", acc.financing_from),
        ("Dépôt avant le (L52-12)", acc.file_by),
        ("Plafond des dépenses (L52-11)", rules.euros(acc.ceiling_cents)),
    ]
    for label, value in header:
        sheet.append([label, value])
    sheet.append([])
    sheet.append(["RECETTES", "Montant (€)"])
    sheet.cell(sheet.max_row, 1).font = bold
    for label, amount in account.resources:
        sheet.append([label, rules.euros(amount)])
    sheet.append(["Total des recettes", rules.euros(account.total_resources)])
    sheet.cell(sheet.max_row, 1).font = bold
    sheet.append([])
    sheet.append(["DÉPENSES", "Montant (€)"])
    sheet.cell(sheet.max_row, 1).font = bold
    for label, amount in account.spending:
        sheet.append([label, rules.euros(amount)])
    sheet.append(["Total des dépenses", rules.euros(account.total_spending)])
    sheet.cell(sheet.max_row, 1).font = bold
    sheet.append([])
    sheet.append(
        [
            "Solde (recettes − dépenses)",
            rules.euros(account.total_resources - account.total_spending),
        ]
    )
    sheet.append(
        [
            "Remboursement forfaitaire estimé (L52-11-1, si ≥ 5 % au 1er tour)",
            rules.euros(account.status.reimbursement_cents),
        ]
    )
    sheet.column_dimensions["A"].width = 70
    sheet.column_dimensions["B"].width = 24

    donations = workbook.create_sheet("Annexe - dons")
    donations.append(
        ["Reçu", "Date", "Nom", "Prénom", "Parti", "Adresse", "Mode", "Montant (€)", "Statut"]
    )
    for donation, receipt in account.donations:
        donations.append(
            [
                receipt_label(receipt.number),
                donation.received_on,
                donation.last_name,
                donation.first_name,
                donation.party_name,
                donation.address,
                METHOD_LABELS[str(donation.method)],
                rules.euros(donation.amount_cents),
                "annulé" if receipt.status == ReceiptStatus.cancelled else "émis",
            ]
        )
    expenses = workbook.create_sheet("Annexe - dépenses")
    expenses.append(
        [
            "N°",
            "Date",
            "Catégorie",
            "Fournisseur",
            "Objet",
            "Montant (€)",
            "Payée",
            "Avant la période",
            "Pièce",
        ]
    )
    for expense in account.expenses:
        expenses.append(
            [
                expense.id,
                expense.spent_on,
                CATEGORY_LABELS[str(expense.category)],
                expense.supplier,
                expense.description,
                rules.euros(expense.amount_cents),
                "oui" if expense.paid else "non",
                "oui" if expense.before_period else "non",
                expense.invoice_name,
            ]
        )
    income = workbook.create_sheet("Annexe - autres recettes")
    income.append(["N°", "Date", "Nature", "Origine", "Objet", "Montant (€)", "Échéancier"])
    for row in account.income:
        income.append(
            [
                row.id,
                row.received_on,
                INCOME_LABELS[str(row.kind)],
                row.source,
                row.description,
                rules.euros(row.amount_cents),
                row.repayment_schedule,
            ]
        )
    for extra in (donations, expenses, income):
        for cell in extra[1]:
            cell.font = bold
    for worksheet in workbook.worksheets:  # texts are string cells, never formulas
        for row in worksheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def account_html(account: CampaignAccount) -> str:
    return _environment.get_template("finance/account_print.html").render(
        account=account,
        category_labels=CATEGORY_LABELS,
        method_labels=METHOD_LABELS,
        receipt_label=receipt_label,
    )


def account_pdf(account: CampaignAccount) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=account_html(account)).write_pdf()
    return pdf


def receipt_context(session: Session, ctx: CampaignContext, *, number: int) -> dict[str, Any]:
    from sqlalchemy import select

    row = session.execute(
        select(Receipt, Donation)
        .join(Donation, Donation.id == Receipt.donation_id)
        .where(campaign_filter(Receipt, ctx), Receipt.number == number)
    ).first()
    if row is None:
        raise NotFound(f"reçu n° {number} introuvable", loc="number")
    receipt, donation = row
    account = compute_status(session, ctx).account
    return {
        "receipt": receipt,
        "label": receipt_label(receipt.number),
        "donation": donation,
        "account": account,
        "campaign_name": ctx.campaign.name,
        "method": METHOD_LABELS[str(donation.method)],
        "amount_words": amount_in_words(donation.amount_cents),
    }


def receipt_pdf(session: Session, ctx: CampaignContext, *, number: int) -> bytes:
    from weasyprint import HTML

    values = receipt_context(session, ctx, number=number)
    html = _environment.get_template("finance/receipt_print.html").render(**values)
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def archive_zip(session: Session, ctx: CampaignContext, settings: Settings) -> bytes:
    """The account (XLSX and PDF), every receipt and every invoice, in one ZIP."""
    account = build_account(session, ctx)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("compte-de-campagne.xlsx", account_xlsx(account))
        archive.writestr("compte-de-campagne.pdf", account_pdf(account))
        for _donation, receipt in account.donations:
            archive.writestr(
                f"recus/{receipt_label(receipt.number)}.pdf",
                receipt_pdf(session, ctx, number=receipt.number),
            )
        for expense in account.expenses:
            if expense.invoice_path:
                path = settings.data_dir / expense.invoice_path
                if path.is_file():
                    archive.write(path, f"factures/{expense.id:04d}-{expense.invoice_name}")
    return buffer.getvalue()


# --- amounts in French words (the receipt states the amount in letters) -----------------------

_UNITS = [
    "zéro",
    "un",
    "deux",
    "trois",
    "quatre",
    "cinq",
    "six",
    "sept",
    "huit",
    "neuf",
    "dix",
    "onze",
    "douze",
    "treize",
    "quatorze",
    "quinze",
    "seize",
]
_TENS = {20: "vingt", 30: "trente", 40: "quarante", 50: "cinquante", 60: "soixante"}


def _below_100(n: int) -> str:
    if n <= 16:
        return _UNITS[n]
    if n < 20:
        return "dix-" + _UNITS[n - 10]
    if n < 70:
        tens, unit = divmod(n, 10)
        word = _TENS[tens * 10]
        if unit == 0:
            return word
        return f"{word}-et-un" if unit == 1 else f"{word}-{_UNITS[unit]}"
    if n < 80:
        return "soixante-et-onze" if n == 71 else "soixante-" + _below_100(n - 60)
    if n == 80:
        return "quatre-vingts"
    return "quatre-vingt-" + _below_100(n - 80)


def _below_1000(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    parts = []
    if hundreds:
        parts.append("cent" if hundreds == 1 else f"{_UNITS[hundreds]}-cent")
        if rest == 0 and hundreds > 1:
            parts[-1] += "s"
    if rest or not hundreds:
        parts.append(_below_100(rest))
    return "-".join(parts)


def number_in_words(n: int) -> str:
    """French words, 1990 spelling (hyphens everywhere): 4600 → "quatre-mille-six-cents"."""
    if n < 1000:
        return _below_1000(n)
    if n < 1_000_000:
        thousands, rest = divmod(n, 1000)
        head = "mille" if thousands == 1 else f"{_below_1000(thousands).removesuffix('s')}-mille"
        return head if rest == 0 else f"{head}-{_below_1000(rest)}"
    millions, rest = divmod(n, 1_000_000)
    head = f"{number_in_words(millions)}-million{'s' if millions > 1 else ''}"
    return head if rest == 0 else f"{head}-{number_in_words(rest)}"


def amount_in_words(amount_cents: int) -> str:
    whole, part = divmod(amount_cents, 100)
    text = f"{number_in_words(whole)} euro{'s' if whole > 1 else ''}"
    if part:
        text += f" et {number_in_words(part)} centime{'s' if part > 1 else ''}"
    return text
