"""Finance pages for the mandataire and the trésorier (role ``finance``, and admins), and the
JSON API."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from circo.core.models import Role
from circo.core.tenancy import CampaignContext
from circo.errors import CircoError
from circo.finance import account as accounts
from circo.finance import bank, donations, export, ledger, rules
from circo.finance.errors import FinanceError, NotFound
from circo.finance.schemas import (
    DonationIn,
    DonationRead,
    DonationRow,
    ExpenseIn,
    ExpenseRead,
    StatusRead,
)
from circo.web.deps import FormDep, SessionDep, SettingsDep, require_role
from circo.web.registry import NavItem
from circo.web.templating import add_template_dir, render

add_template_dir(str(resources.files("circo") / "finance" / "templates"))

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/campaigns/{slug}/finance", tags=["finance"])
router = APIRouter()
FinanceDep = Annotated[CampaignContext, Depends(require_role(Role.finance))]

NAV_ITEMS = [
    NavItem("Finances", "finance", roles=(Role.finance,), order=75, group="Administration")
]


def dashboard_cards(session: Any, ctx: CampaignContext) -> list[Any]:
    from circo.web.registry import Card

    if ctx.role not in (Role.admin, Role.finance):
        return []
    account = accounts.find_account(session, ctx)
    if account is None:
        return []
    status = accounts.compute_status(session, ctx)
    return [
        Card(
            "Dépenses / plafond",
            f"{status.ceiling_share:.0%}",
            detail=f"{rules.format_eur(status.spent_cents)} sur "
            f"{rules.format_eur(account.ceiling_cents)}",
            href=f"/c/{ctx.campaign.slug}/finance",
        )
    ]


# --- helpers ----------------------------------------------------------------------------------


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise FinanceError(f"date « {text} » illisible (AAAA-MM-JJ)", loc=field) from exc


def _base(ctx: CampaignContext) -> str:
    return f"/c/{ctx.campaign.slug}/finance"


def _page_values(session: Session, ctx: CampaignContext) -> dict[str, Any]:
    account = accounts.find_account(session, ctx)
    values: dict[str, Any] = {
        "account": account,
        "eur": rules.format_eur,
        "category_labels": export.CATEGORY_LABELS,
        "income_labels": export.INCOME_LABELS,
        "method_labels": export.METHOD_LABELS,
        "receipt_label": donations.receipt_label,
        "today": date.today().isoformat(),
    }
    if account is not None:
        values["status"] = accounts.compute_status(session, ctx)
    return values


# --- pages ------------------------------------------------------------------------------------


@pages.get("/c/{slug}/finance", response_class=HTMLResponse)
def finance_page(request: Request, session: SessionDep, ctx: FinanceDep) -> HTMLResponse:
    values = _page_values(session, ctx)
    if values["account"] is not None:
        values["donations"] = donations.list_donations(session, ctx)[-10:]
        values["expenses"] = ledger.list_expenses(session, ctx)[-10:]
    return render(request, "finance/index.html", values)


@pages.post("/c/{slug}/finance/setup")
def finance_setup(
    request: Request, session: SessionDep, ctx: FinanceDep, form: FormDep
) -> Response:
    population_text = _text(form, "population")
    ceiling_text = _text(form, "ceiling").replace(",", ".").replace(" ", "")
    try:
        population = int(population_text) if population_text else None
        ceiling = Decimal(ceiling_text) if ceiling_text else None
        accounts.setup_account(
            session,
            ctx,
            election=_text(form, "election"),
            territory=_text(form, "territory"),
            population=population,
            mandataire=_text(form, "mandataire"),
            candidate=_text(form, "candidate"),
            first_round=_day(_text(form, "date"), "date") if _text(form, "date") else None,
            ceiling_eur=ceiling,
        )
    except (CircoError, ValueError, InvalidOperation) as exc:
        session.rollback()
        values = _page_values(session, ctx)
        values["setup_error"] = (
            str(exc)
            if isinstance(exc, CircoError)
            else ("population ou plafond illisible : un nombre entier ou décimal est attendu")
        )
        values["form"] = dict(form)
        return render(request, "finance/index.html", values, status=422)
    return RedirectResponse(f"{_base(ctx)}?msg=saved", status_code=303)


@pages.get("/c/{slug}/finance/donations", response_class=HTMLResponse)
def donations_page(request: Request, session: SessionDep, ctx: FinanceDep) -> HTMLResponse:
    return _donations_page(request, session, ctx)


def _donations_page(
    request: Request, session: Session, ctx: CampaignContext, **state: Any
) -> HTMLResponse:
    lists = {
        "donations": donations.list_donations(session, ctx),
        "donor_totals": donations.donor_totals(session, ctx),
    }
    return _form_page(request, session, ctx, "finance/donations.html", lists, **state)


def _form_page(
    request: Request,
    session: Session,
    ctx: CampaignContext,
    template: str,
    lists: dict[str, Any],
    *,
    error: str = "",
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """A finance page with its lists and, after a refused entry, the error and the typed values."""
    values = _page_values(session, ctx) | lists
    values["error"] = error
    values["form"] = {k: v for k, v in (form or {}).items() if isinstance(v, str)}
    return render(request, template, values, status=status)


@pages.post("/c/{slug}/finance/donations")
def donations_add(
    request: Request, session: SessionDep, ctx: FinanceDep, form: FormDep
) -> Response:
    try:
        given = donations.DonationIn(
            amount_cents=rules.parse_amount(_text(form, "amount")),
            method=_text(form, "method"),
            received_on=_day(_text(form, "date"), "date"),
            first_name=_text(form, "first_name"),
            last_name=_text(form, "last_name"),
            email=_text(form, "email"),
            address=_text(form, "address"),
            nationality="FR" if _text(form, "status") == "national" else "",
            resident=_text(form, "status") == "resident",
            company=_text(form, "company"),
            party=_text(form, "party"),
        )
        result = donations.record_donation(session, ctx, given)
    except CircoError as exc:
        session.rollback()
        return _donations_page(
            request, session, ctx, error=str(exc), form=dict(form), status=exc.status
        )
    return RedirectResponse(
        f"{_base(ctx)}/donations?msg=receipt-{result.receipt.number}", status_code=303
    )


@pages.get("/c/{slug}/finance/receipts/{number}.pdf")
def receipt_download(session: SessionDep, ctx: FinanceDep, number: int) -> Response:
    content = export.receipt_pdf(session, ctx, number=number)
    name = f"{donations.receipt_label(number)}.pdf"
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@pages.post("/c/{slug}/finance/receipts/{number}/cancel")
def receipt_cancel(session: SessionDep, ctx: FinanceDep, number: int, form: FormDep) -> Response:
    donations.cancel_receipt(session, ctx, number=number, reason=_text(form, "reason"))
    return RedirectResponse(f"{_base(ctx)}/donations?msg=cancelled", status_code=303)


@pages.get("/c/{slug}/finance/expenses", response_class=HTMLResponse)
def expenses_page(request: Request, session: SessionDep, ctx: FinanceDep) -> HTMLResponse:
    return _expenses_page(request, session, ctx)


def _expenses_page(
    request: Request, session: Session, ctx: CampaignContext, **state: Any
) -> HTMLResponse:
    lists = {
        "expenses": ledger.list_expenses(session, ctx),
        "income": ledger.list_income(session, ctx),
    }
    return _form_page(request, session, ctx, "finance/expenses.html", lists, **state)


@pages.post("/c/{slug}/finance/expenses")
def expenses_add(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: FinanceDep,
    form: FormDep,
) -> Response:
    upload = form.get("invoice")
    content = None
    name = ""
    if upload is not None and not isinstance(upload, str) and upload.filename:
        content = upload.file.read()
        name = upload.filename
    try:
        ledger.record_expense(
            session,
            ctx,
            settings,
            amount_cents=rules.parse_amount(_text(form, "amount")),
            category=_text(form, "category"),
            supplier=_text(form, "supplier"),
            spent_on=_day(_text(form, "date"), "date"),
            description=_text(form, "description"),
            paid=_text(form, "paid") != "no",
            invoice_name=name,
            invoice=content,
        )
    except CircoError as exc:
        session.rollback()
        return _expenses_page(
            request, session, ctx, error=str(exc), form=dict(form), status=exc.status
        )
    return RedirectResponse(f"{_base(ctx)}/expenses?msg=saved", status_code=303)


@pages.post("/c/{slug}/finance/income")
def income_add(request: Request, session: SessionDep, ctx: FinanceDep, form: FormDep) -> Response:
    try:
        ledger.record_income(
            session,
            ctx,
            kind=_text(form, "kind"),
            amount_cents=rules.parse_amount(_text(form, "amount")),
            received_on=_day(_text(form, "date"), "date"),
            source=_text(form, "source"),
            description=_text(form, "description"),
            schedule=_text(form, "schedule"),
        )
    except CircoError as exc:
        session.rollback()
        return _expenses_page(
            request, session, ctx, error=str(exc), form=dict(form), status=exc.status
        )
    return RedirectResponse(f"{_base(ctx)}/expenses?msg=saved", status_code=303)


@pages.get("/c/{slug}/finance/expenses/{expense_id}/invoice")
def invoice_download(
    session: SessionDep, settings: SettingsDep, ctx: FinanceDep, expense_id: int
) -> Response:
    expense = next((e for e in ledger.list_expenses(session, ctx) if e.id == expense_id), None)
    if expense is None or not expense.invoice_path:
        raise NotFound(f"facture de la dépense n° {expense_id} introuvable")
    path = settings.data_dir / expense.invoice_path
    media = "application/pdf" if path.suffix == ".pdf" else f"image/{path.suffix.lstrip('.')}"
    return Response(
        path.read_bytes(),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{expense.invoice_name}"'},
    )


@pages.get("/c/{slug}/finance/bank", response_class=HTMLResponse)
def bank_page(request: Request, session: SessionDep, ctx: FinanceDep) -> HTMLResponse:
    values = _page_values(session, ctx)
    values["report"] = bank.reconciliation(session, ctx)
    return render(request, "finance/bank.html", values)


@pages.post("/c/{slug}/finance/bank")
def bank_upload(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: FinanceDep,
    file: Annotated[UploadFile, File()],
) -> Response:
    name = Path(file.filename or "releve.csv").name
    folder = ledger.archive_dir(settings, ctx) / "releves"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    target.write_bytes(file.file.read())
    try:
        bank.import_statement(session, ctx, target)
    except CircoError as exc:
        session.rollback()
        target.unlink(missing_ok=True)
        values = _page_values(session, ctx)
        values["report"] = bank.reconciliation(session, ctx)
        values["error"] = str(exc)
        return render(request, "finance/bank.html", values, status=exc.status)
    return RedirectResponse(f"{_base(ctx)}/bank?msg=saved", status_code=303)


@pages.get("/c/{slug}/finance/export.xlsx")
def export_xlsx(session: SessionDep, ctx: FinanceDep) -> Response:
    content = export.account_xlsx(export.build_account(session, ctx))
    return Response(
        content,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="compte-de-campagne.xlsx"'},
    )


@pages.get("/c/{slug}/finance/export.pdf")
def export_pdf(session: SessionDep, ctx: FinanceDep) -> Response:
    content = export.account_pdf(export.build_account(session, ctx))
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="compte-de-campagne.pdf"'},
    )


@pages.get("/c/{slug}/finance/archive.zip")
def export_archive(session: SessionDep, settings: SettingsDep, ctx: FinanceDep) -> Response:
    content = export.archive_zip(session, ctx, settings)
    return Response(
        content,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="compte-de-campagne.zip"'},
    )


# --- API --------------------------------------------------------------------------------------


@api.get("/status", response_model=StatusRead)
def api_status(session: SessionDep, ctx: FinanceDep) -> dict[str, Any]:
    """Received, spent, cash, ceiling, donations and alerts (`circo finance status --json`)."""
    return accounts.compute_status(session, ctx).as_json()


@api.post("/donations", status_code=201, response_model=DonationRead)
def api_donate(session: SessionDep, ctx: FinanceDep, body: DonationIn) -> dict[str, Any]:
    """Record a donation and its receipt; 422 naming the rule (L52-8) when it is refused."""
    result = donations.record_donation(
        session,
        ctx,
        donations.DonationIn(
            amount_cents=rules.cents(Decimal(str(body.amount_eur))),
            method=body.method,
            received_on=body.date,
            first_name=body.first_name,
            last_name=body.last_name,
            email=body.email,
            address=body.address,
            nationality=body.nationality,
            resident=body.resident,
            company=body.company,
            party=body.party,
        ),
    )
    return {
        "id": result.donation.id,
        "receipt": result.receipt_label,
        "donor_total_eur": rules.euros(result.donor_total_cents),
    }


@api.get("/donations", response_model=list[DonationRow])
def api_donations(session: SessionDep, ctx: FinanceDep) -> list[dict[str, Any]]:
    return [
        {
            "id": donation.id,
            "receipt": donations.receipt_label(receipt.number),
            "receipt_status": str(receipt.status),
            "date": donation.received_on.isoformat(),
            "donor": donation.party_name or f"{donation.first_name} {donation.last_name}",
            "method": str(donation.method),
            "amount_eur": rules.euros(donation.amount_cents),
            "cancelled": donation.cancelled,
        }
        for donation, receipt in donations.list_donations(session, ctx)
    ]


@api.post("/expenses", status_code=201, response_model=ExpenseRead)
def api_spend(
    session: SessionDep, settings: SettingsDep, ctx: FinanceDep, body: ExpenseIn
) -> dict[str, Any]:
    expense = ledger.record_expense(
        session,
        ctx,
        settings,
        amount_cents=rules.cents(Decimal(str(body.amount_eur))),
        category=body.category,
        supplier=body.supplier,
        spent_on=body.date,
        description=body.description,
        paid=body.paid,
    )
    return {
        "id": expense.id,
        "amount_eur": rules.euros(expense.amount_cents),
        "category": str(expense.category),
        "before_period": expense.before_period,
        "invoice": None,
    }


router.include_router(pages)
router.include_router(api)
