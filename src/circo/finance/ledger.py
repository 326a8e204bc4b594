"""Other income (personal contribution, parties, loans, in-kind) and expenses with their
invoices kept in the finance archive under the data dir."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import audit
from circo.core.tenancy import CampaignContext
from circo.finance import rules
from circo.finance.account import get_account
from circo.finance.errors import FinanceError
from circo.finance.models import (
    Expense,
    ExpenseCategory,
    Income,
    IncomeKind,
)

INVOICE_SUFFIXES = {".pdf", ".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".heic"}
MAX_INVOICE_BYTES = 20 * 1024 * 1024


# --- other income -----------------------------------------------------------------------------


def parse_schedule(text: str) -> list[tuple[date, int]]:
    """A loan's repayment schedule: "2027-09-30:150000;2027-12-31:150000"."""
    schedule = []
    for index, part in enumerate(item for item in text.split(";") if item.strip()):
        day, _, amount = part.strip().partition(":")
        try:
            when = date.fromisoformat(day.strip())
        except ValueError as exc:
            raise FinanceError(
                f"échéance {index + 1} : date « {day} » illisible (AAAA-MM-JJ)", loc="schedule"
            ) from exc
        schedule.append((when, rules.parse_amount(amount, field="schedule")))
    return schedule


def record_income(
    session: Session,
    ctx: CampaignContext,
    *,
    kind: str,
    amount_cents: int,
    received_on: date,
    source: str = "",
    description: str = "",
    schedule: str = "",
) -> Income:
    get_account(session, ctx)
    if kind not in IncomeKind.__members__:
        raise FinanceError(
            f"type de recette « {kind} » inconnu ; attendu : personal, party, loan, in_kind",
            loc="kind",
        )
    if kind == IncomeKind.loan:
        parsed = parse_schedule(schedule)
        if not parsed:
            raise FinanceError(
                "un emprunt a un échéancier de remboursement (AAAA-MM-JJ:montant;…)",
                loc="schedule",
            )
        if sum(amount for _day, amount in parsed) < amount_cents:
            raise FinanceError(
                "l'échéancier rembourse moins que le montant emprunté", loc="schedule"
            )
    income = Income(
        campaign_id=ctx.campaign_id,
        kind=IncomeKind(kind),
        amount_cents=amount_cents,
        received_on=received_on,
        source=source.strip(),
        description=description.strip(),
        repayment_schedule=schedule.strip(),
    )
    session.add(income)
    session.flush()
    audit.record(
        session,
        actor=ctx.actor,
        action="finance.income",
        campaign_id=ctx.campaign_id,
        target_type="finance_income",
        target_id=income.id,
        details={"kind": kind, "amount_cents": amount_cents},
    )
    return income


# --- expenses ---------------------------------------------------------------------------------


def archive_dir(settings: Settings, ctx: CampaignContext) -> Path:
    """The campaign's supporting files (invoices), kept for the CNCCFP."""
    return settings.data_dir / "finance" / ctx.campaign.slug


def store_invoice(
    settings: Settings, ctx: CampaignContext, *, name: str, content: bytes
) -> tuple[str, str]:
    """Write the invoice under the archive (named by its SHA-256: the same file twice is one
    file); returns (relative path, sha256)."""
    suffix = Path(name).suffix.lower()
    if suffix not in INVOICE_SUFFIXES:
        raise FinanceError(
            f"facture « {name} » : format non accepté ({suffix or 'sans extension'}) ; "
            "attendu PDF ou image",
            loc="file",
        )
    if not content:
        raise FinanceError(f"facture « {name} » vide", loc="file")
    if len(content) > MAX_INVOICE_BYTES:
        raise FinanceError(f"facture « {name} » trop lourde (20 Mo au plus)", loc="file")
    digest = hashlib.sha256(content).hexdigest()
    folder = archive_dir(settings, ctx) / "factures"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{digest[:16]}{suffix}"
    if not target.exists():
        partial = target.with_suffix(target.suffix + ".part")
        partial.write_bytes(content)
        partial.replace(target)
    return str(target.relative_to(settings.data_dir)), digest


def record_expense(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    *,
    amount_cents: int,
    category: str,
    supplier: str,
    spent_on: date,
    description: str = "",
    paid: bool = True,
    invoice_name: str = "",
    invoice: bytes | None = None,
) -> Expense:
    account = get_account(session, ctx)
    if category not in ExpenseCategory.__members__:
        raise FinanceError(
            f"catégorie « {category} » inconnue ; attendu : "
            + ", ".join(ExpenseCategory.__members__),
            loc="category",
        )
    if not supplier.strip():
        raise FinanceError("fournisseur requis", loc="supplier")
    if amount_cents <= 0:
        raise FinanceError("le montant doit être positif", loc="amount")
    path, digest = ("", "")
    if invoice is not None:
        path, digest = store_invoice(settings, ctx, name=invoice_name, content=invoice)
    expense = Expense(
        campaign_id=ctx.campaign_id,
        category=ExpenseCategory(category),
        supplier=supplier.strip(),
        spent_on=spent_on,
        amount_cents=amount_cents,
        description=description.strip(),
        paid=paid,
        before_period=spent_on < account.financing_from,
        invoice_path=path,
        invoice_name=Path(invoice_name).name if invoice is not None else "",
        invoice_sha256=digest,
    )
    session.add(expense)
    session.flush()
    audit.record(
        session,
        actor=ctx.actor,
        action="finance.expense",
        campaign_id=ctx.campaign_id,
        target_type="finance_expense",
        target_id=expense.id,
        details={"amount_cents": amount_cents, "category": category},
    )
    return expense


def list_expenses(session: Session, ctx: CampaignContext) -> list[Expense]:
    return list(
        session.scalars(ctx.scoped(select(Expense), Expense).order_by(Expense.spent_on, Expense.id))
    )


def list_income(session: Session, ctx: CampaignContext) -> list[Income]:
    return list(
        session.scalars(ctx.scoped(select(Income), Income).order_by(Income.received_on, Income.id))
    )
