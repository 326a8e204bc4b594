"""The mandataire's bank statements (CSV as French banks export them, and OFX) imported and
matched to donations, other income and expenses; what stays unmatched is listed.

CSV: a header row with a date column and either one signed amount column ("Montant") or a debit
and a credit column ("Débit", "Crédit"), and a label column ("Libellé"); ``;`` or ``,`` separated,
decimal comma or point, dates as DD/MM/YYYY or YYYY-MM-DD. OFX: the ``<STMTTRN>`` blocks
(``DTPOSTED``, ``TRNAMT``, ``NAME``/``MEMO``), SGML or XML form.

A line already imported (same date, amount and label, and the same occurrence number) is
skipped: importing the same statement twice changes nothing."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core import audit
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.crm.normalise import fold
from circo.finance.errors import FinanceError
from circo.finance.models import BankLine, Donation, Expense, Income
from circo.finance.rules import parse_amount

DONATION_WINDOW = timedelta(days=15)  # a cheque reaches the account some days after the gift
EXPENSE_WINDOW = timedelta(days=45)


@dataclass
class StatementLine:
    line: int
    booked_on: date
    amount_cents: int
    label: str


@dataclass
class BankReport:
    file: str
    lines: int = 0
    new: int = 0
    matched: int = 0
    unmatched: int = 0
    unmatched_lines: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "lines": self.lines,
            "new": self.new,
            "matched": self.matched,
            "unmatched": self.unmatched,
            "unmatched_lines": self.unmatched_lines,
        }


def _date(text: str, where: str) -> date:
    value = text.strip()
    for pattern, length in (
        ("%d/%m/%Y", 10),
        ("%Y-%m-%d", 10),
        ("%d-%m-%Y", 10),
        ("%d/%m/%y", 8),
        ("%Y%m%d", 8),
    ):
        try:
            return datetime.strptime(value[:length], pattern).date()
        except ValueError:
            continue
    raise FinanceError(f"{where} : date « {text} » illisible", loc="file")


def _signed_amount(text: str, where: str) -> int:
    value = text.strip().replace("\xa0", "").replace("\u202f", "").replace(" ", "")
    negative = value.startswith("-")
    value = value.lstrip("+-")
    if not value:
        return 0
    return -parse_amount(value, field=where) if negative else parse_amount(value, field=where)


def _column(header: list[str], *names: str) -> int | None:
    folded = [re.sub(r"[^a-z]", "", fold(name)) for name in header]
    for name in names:
        if name in folded:
            return folded.index(name)
    for name in names:
        for index, value in enumerate(folded):
            if value.startswith(name):
                return index
    return None


def parse_csv(text: str, name: str) -> list[StatementLine]:
    sample = text[:4096]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    header_at = next(
        (
            i
            for i, row in enumerate(rows[:30])
            if _column(row, "date", "dateoperation") is not None
            and _column(row, "libelle", "label", "description", "intitule") is not None
        ),
        None,
    )
    if header_at is None:
        raise FinanceError(
            f"{name} : en-tête introuvable (colonnes Date, Libellé et Montant ou Débit/Crédit)",
            loc="file",
        )
    header = rows[header_at]
    at_date = _column(header, "dateoperation", "date")
    at_label = _column(header, "libelle", "label", "description", "intitule")
    at_amount = _column(header, "montant", "amount")
    at_debit = _column(header, "debit")
    at_credit = _column(header, "credit")
    if at_amount is None and (at_debit is None or at_credit is None):
        raise FinanceError(
            f"{name} : colonne Montant, ou colonnes Débit et Crédit, introuvables", loc="file"
        )
    lines = []
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"{name}, ligne {number}"
        assert at_date is not None
        assert at_label is not None
        if len(row) <= max(
            i for i in (at_date, at_label, at_amount, at_debit, at_credit) if i is not None
        ):
            raise FinanceError(f"{where} : colonnes manquantes", loc="file")
        if at_amount is not None:
            amount = _signed_amount(row[at_amount], where)
        else:
            assert at_debit is not None
            assert at_credit is not None
            debit = _signed_amount(row[at_debit], where)
            credit = _signed_amount(row[at_credit], where)
            amount = credit - abs(debit)
        if amount == 0:
            continue
        lines.append(
            StatementLine(number, _date(row[at_date], where), amount, row[at_label].strip())
        )
    return lines


_OFX_TRANSACTION = re.compile(
    r"<STMTTRN>(.*?)(?:</STMTTRN>|(?=<STMTTRN>)|(?=</BANKTRANLIST>))", re.S | re.I
)


def _ofx_field(block: str, name: str) -> str:
    match = re.search(rf"<{name}>([^<\r\n]*)", block, re.I)
    return match.group(1).strip() if match else ""


def parse_ofx(text: str, name: str) -> list[StatementLine]:
    lines = []
    for index, match in enumerate(_OFX_TRANSACTION.finditer(text), start=1):
        block = match.group(1)
        where = f"{name}, opération {index}"
        posted = _ofx_field(block, "DTPOSTED")
        amount = _ofx_field(block, "TRNAMT")
        if not posted or not amount:
            raise FinanceError(f"{where} : DTPOSTED ou TRNAMT manquant", loc="file")
        label = " ".join(filter(None, (_ofx_field(block, "NAME"), _ofx_field(block, "MEMO"))))
        lines.append(
            StatementLine(index, _date(posted[:8], where), _signed_amount(amount, where), label)
        )
    if not lines:
        raise FinanceError(f"{name} : aucune opération <STMTTRN> dans ce fichier OFX", loc="file")
    return lines


def read_statement(path: Path) -> list[StatementLine]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FinanceError(f"{path} illisible : {exc.strerror}", loc="file") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    if "<OFX>" in text.upper() or path.suffix.lower() in (".ofx", ".qfx"):
        return parse_ofx(text, path.name)
    return parse_csv(text, path.name)


def import_statement(session: Session, ctx: CampaignContext, path: Path) -> BankReport:
    lines = read_statement(path)
    report = BankReport(file=path.name, lines=len(lines))
    seen: dict[tuple[date, int, str], int] = {}
    existing = set(
        session.scalars(select(BankLine.fingerprint).where(campaign_filter(BankLine, ctx)))
    )
    for line in lines:
        key = (line.booked_on, line.amount_cents, line.label)
        seen[key] = seen.get(key, 0) + 1
        fingerprint = hashlib.sha256(
            f"{line.booked_on}|{line.amount_cents}|{line.label}|{seen[key]}".encode()
        ).hexdigest()
        if fingerprint in existing:
            continue
        existing.add(fingerprint)
        session.add(
            BankLine(
                campaign_id=ctx.campaign_id,
                fingerprint=fingerprint,
                booked_on=line.booked_on,
                amount_cents=line.amount_cents,
                label=line.label,
                source_file=path.name[:200],
                source_line=line.line,
            )
        )
        report.new += 1
    session.flush()
    reconcile(session, ctx)
    for bank_line in session.scalars(
        select(BankLine)
        .where(campaign_filter(BankLine, ctx))
        .order_by(BankLine.booked_on, BankLine.id)
    ):
        if bank_line.donation_id or bank_line.expense_id or bank_line.income_id:
            report.matched += 1
        else:
            report.unmatched += 1
            report.unmatched_lines.append(
                {
                    "date": bank_line.booked_on.isoformat(),
                    "amount_eur": bank_line.amount_cents / 100,
                    "label": bank_line.label,
                }
            )
    audit.record(
        session,
        actor=ctx.actor,
        action="finance.bank_import",
        campaign_id=ctx.campaign_id,
        details={"file": path.name, "new": report.new},
    )
    return report


def reconcile(session: Session, ctx: CampaignContext) -> int:
    """Match unmatched lines: a credit to a donation or an income of the same amount near its
    date (a label naming the donor wins), a debit to an expense of the same amount."""
    lines = session.scalars(
        select(BankLine)
        .where(
            campaign_filter(BankLine, ctx),
            BankLine.donation_id.is_(None),
            BankLine.expense_id.is_(None),
            BankLine.income_id.is_(None),
        )
        .order_by(BankLine.booked_on, BankLine.id)
    ).all()
    taken_donations = set(
        session.scalars(
            select(BankLine.donation_id).where(
                campaign_filter(BankLine, ctx), BankLine.donation_id.is_not(None)
            )
        )
    )
    taken_expenses = set(
        session.scalars(
            select(BankLine.expense_id).where(
                campaign_filter(BankLine, ctx), BankLine.expense_id.is_not(None)
            )
        )
    )
    taken_income = set(
        session.scalars(
            select(BankLine.income_id).where(
                campaign_filter(BankLine, ctx), BankLine.income_id.is_not(None)
            )
        )
    )
    donations = session.scalars(
        select(Donation).where(campaign_filter(Donation, ctx), Donation.cancelled.is_(False))
    ).all()
    incomes = session.scalars(select(Income).where(campaign_filter(Income, ctx))).all()
    expenses = session.scalars(select(Expense).where(campaign_filter(Expense, ctx))).all()
    matched = 0
    for line in lines:
        label = fold(line.label)
        if line.amount_cents > 0:
            candidates = [
                d
                for d in donations
                if d.id not in taken_donations
                and d.amount_cents == line.amount_cents
                and abs((line.booked_on - d.received_on).days) <= DONATION_WINDOW.days
            ]
            candidates.sort(
                key=lambda d: (
                    fold(d.last_name) not in label if d.last_name else True,
                    abs((line.booked_on - d.received_on).days),
                )
            )
            if candidates:
                line.donation_id = candidates[0].id
                taken_donations.add(candidates[0].id)
                matched += 1
                continue
            others = [
                i
                for i in incomes
                if i.id not in taken_income
                and i.amount_cents == line.amount_cents
                and abs((line.booked_on - i.received_on).days) <= DONATION_WINDOW.days
            ]
            if others:
                line.income_id = others[0].id
                taken_income.add(others[0].id)
                matched += 1
        else:
            spent = [
                e
                for e in expenses
                if e.id not in taken_expenses
                and e.amount_cents == -line.amount_cents
                and abs((line.booked_on - e.spent_on).days) <= EXPENSE_WINDOW.days
            ]
            spent.sort(
                key=lambda e: (
                    fold(e.supplier) not in label,
                    abs((line.booked_on - e.spent_on).days),
                )
            )
            if spent:
                line.expense_id = spent[0].id
                taken_expenses.add(spent[0].id)
                matched += 1
    session.flush()
    return matched


def reconciliation(session: Session, ctx: CampaignContext) -> dict[str, Any]:
    """The report: matched lines with what they match, unmatched lines, and donations and
    expenses that no line confirms yet."""
    lines = session.scalars(
        select(BankLine).where(campaign_filter(BankLine, ctx)).order_by(BankLine.booked_on)
    ).all()
    confirmed_donations = {line.donation_id for line in lines if line.donation_id}
    confirmed_expenses = {line.expense_id for line in lines if line.expense_id}
    donations = session.scalars(
        select(Donation).where(campaign_filter(Donation, ctx), Donation.cancelled.is_(False))
    ).all()
    expenses = session.scalars(select(Expense).where(campaign_filter(Expense, ctx))).all()
    return {
        "lines": lines,
        "unmatched": [
            line for line in lines if not (line.donation_id or line.expense_id or line.income_id)
        ],
        "donations_without_line": [d for d in donations if d.id not in confirmed_donations],
        "expenses_without_line": [e for e in expenses if e.id not in confirmed_expenses and e.paid],
    }
