"""``circo finance …``: the mandataire's books from the command line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer

from circo.cli_common import (
    CampaignOption,
    DataDirOption,
    JsonOption,
    campaign_session,
    console,
    print_json,
)
from circo.errors import CircoError
from circo.finance.errors import FinanceError

finance_app = typer.Typer(
    help="Finances de campagne : dons, dépenses, compte de campagne / campaign finance.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    from circo.cli import CircoGroup

    finance_app.info.cls = CircoGroup
    app.add_typer(finance_app, name="finance")


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise FinanceError(f"date « {text} » illisible : attendu AAAA-MM-JJ", loc=option) from exc


def _amount(text: str, option: str = "--amount") -> int:
    from circo.finance.rules import parse_amount

    return parse_amount(text, field=option)


@finance_app.command("setup")
def setup(
    election: Annotated[
        str, typer.Option("--election", help="Élection : leg-2027, mun-2026, pres-2027…")
    ],
    territory: Annotated[
        str, typer.Option("--territory", help="Territoire : circ:69-01, com:69123, dep:29…")
    ] = "",
    population: Annotated[
        int | None, typer.Option("--population", help="Population (sinon INSEE importé).")
    ] = None,
    mandataire: Annotated[str, typer.Option("--mandataire", help="Mandataire financier.")] = "",
    candidate: Annotated[str, typer.Option("--candidate", help="Candidat ou tête de liste.")] = "",
    first_round: Annotated[
        str, typer.Option("--date", help="Premier tour, AAAA-MM-JJ (si inconnu de circo).")
    ] = "",
    ceiling: Annotated[
        str, typer.Option("--ceiling", help="Plafond imposé en euros (remplace le calcul).")
    ] = "",
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ouvrir le compte : plafond (L52-11), période (L52-4), dépôt (L52-12) / open the account."""
    from circo.finance.account import setup_account
    from circo.finance.rules import euros, format_eur

    override = None
    if ceiling:
        try:
            override = Decimal(ceiling.replace(",", ".").replace(" ", ""))
        except InvalidOperation as exc:
            raise FinanceError(f"plafond « {ceiling} » illisible", loc="--ceiling") from exc
    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        account = setup_account(
            session,
            ctx,
            election=election,
            territory=territory,
            population=population,
            mandataire=mandataire,
            candidate=candidate,
            first_round=_day(first_round, "--date") if first_round else None,
            ceiling_eur=override,
        )
        payload = {
            "ceiling_eur": euros(account.ceiling_cents),
            "population": account.population,
            "financing_from": account.financing_from.isoformat(),
            "file_by": account.file_by.isoformat(),
        }
        text = (
            f"Plafond : {format_eur(account.ceiling_cents)} ({account.ceiling_explanation})\n"
            f"Période de financement depuis le {account.financing_from:%d/%m/%Y} (L52-4) ; "
            f"dépôt du compte avant le {account.file_by:%d/%m/%Y} à 18 h (L52-12)"
        )
    if as_json:
        print_json(payload)
    else:
        console.print(text, highlight=False)


@finance_app.command("donate")
def donate(
    amount: Annotated[str, typer.Option("--amount", help="Montant en euros (12.50).")],
    method: Annotated[
        str, typer.Option("--method", help="cheque, transfer, card, cash, direct_debit.")
    ],
    received_on: Annotated[str, typer.Option("--date", help="Date du don, AAAA-MM-JJ.")],
    first_name: Annotated[str, typer.Option("--first-name", help="Prénom du donateur.")] = "",
    last_name: Annotated[str, typer.Option("--last-name", help="Nom du donateur.")] = "",
    email: Annotated[str, typer.Option("--email", help="E-mail du donateur.")] = "",
    address: Annotated[str, typer.Option("--address", help="Adresse postale (reçu).")] = "",
    nationality: Annotated[
        str, typer.Option("--nationality", help="Nationalité (FR pour française).")
    ] = "",
    resident: Annotated[
        bool, typer.Option("--resident", help="Le donateur réside en France.")
    ] = False,
    company: Annotated[
        str, typer.Option("--company", help="Personne morale donatrice (refusée sauf parti).")
    ] = "",
    party: Annotated[
        str, typer.Option("--party", help="Parti ou groupement politique donateur.")
    ] = "",
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Enregistrer un don et son reçu (L52-8) / record a donation and its receipt."""
    from circo.finance.donations import DonationIn, record_donation
    from circo.finance.rules import euros, format_eur

    given = DonationIn(
        amount_cents=_amount(amount),
        method=method.strip().lower(),
        received_on=_day(received_on, "--date"),
        first_name=first_name,
        last_name=last_name,
        email=email,
        address=address,
        nationality=nationality,
        resident=resident,
        company=company,
        party=party,
    )
    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        result = record_donation(session, ctx, given)
        payload = {
            "id": result.donation.id,
            "receipt": result.receipt_label,
            "donor_total_eur": euros(result.donor_total_cents),
        }
        text = (
            f"Don n° {result.donation.id} enregistré — reçu {result.receipt_label} ; total du "
            f"donateur pour cette élection : {format_eur(result.donor_total_cents)}"
        )
    if as_json:
        print_json(payload)
    else:
        console.print(text, highlight=False)


@finance_app.command("cancel-receipt")
def cancel(
    number: Annotated[int, typer.Argument(help="Numéro du reçu (RD-00012 → 12).")],
    reason: Annotated[str, typer.Option("--reason", help="Motif de l'annulation.")],
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Annuler un reçu (il reste dans la série) / cancel a receipt."""
    from circo.finance.donations import cancel_receipt, receipt_label

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        receipt = cancel_receipt(session, ctx, number=number, reason=reason)
        payload = {"receipt": receipt_label(receipt.number), "status": str(receipt.status)}
    if as_json:
        print_json(payload)
    else:
        console.print(f"Reçu {payload['receipt']} annulé.", highlight=False)


@finance_app.command("spend")
def spend(
    amount: Annotated[str, typer.Option("--amount", help="Montant TTC en euros.")],
    category: Annotated[
        str,
        typer.Option(
            "--category",
            help="staff, premises, travel, meetings, printing, advertising, digital, fees, "
            "bank, other.",
        ),
    ],
    supplier: Annotated[str, typer.Option("--supplier", help="Fournisseur.")],
    spent_on: Annotated[str, typer.Option("--date", help="Date de la dépense, AAAA-MM-JJ.")],
    file: Annotated[Path | None, typer.Option("--file", help="Facture (PDF ou image).")] = None,
    description: Annotated[str, typer.Option("--description", help="Objet.")] = "",
    unpaid: Annotated[bool, typer.Option("--unpaid", help="Pas encore payée.")] = False,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Enregistrer une dépense et sa facture / record an expense."""
    from circo.finance.ledger import record_expense
    from circo.finance.rules import euros, format_eur

    content = None
    if file is not None:
        try:
            content = file.read_bytes()
        except OSError as exc:
            raise FinanceError(f"facture {file} illisible : {exc.strerror}", loc="--file") from exc
    with campaign_session(data_dir, campaign) as (runtime, session, ctx):
        expense = record_expense(
            session,
            ctx,
            runtime.settings,
            amount_cents=_amount(amount),
            category=category.strip().lower(),
            supplier=supplier,
            spent_on=_day(spent_on, "--date"),
            description=description,
            paid=not unpaid,
            invoice_name=file.name if file is not None else "",
            invoice=content,
        )
        payload = {
            "id": expense.id,
            "amount_eur": euros(expense.amount_cents),
            "category": str(expense.category),
            "before_period": expense.before_period,
            "invoice": expense.invoice_path or None,
        }
        text = f"Dépense n° {expense.id} enregistrée : {format_eur(expense.amount_cents)}"
    if as_json:
        print_json(payload)
    else:
        console.print(text, highlight=False)


@finance_app.command("income")
def income(
    kind: Annotated[str, typer.Option("--kind", help="personal (apport), party, loan, in_kind.")],
    amount: Annotated[str, typer.Option("--amount", help="Montant en euros.")],
    received_on: Annotated[str, typer.Option("--date", help="Date, AAAA-MM-JJ.")],
    source: Annotated[str, typer.Option("--source", help="Parti, prêteur, donateur…")] = "",
    description: Annotated[str, typer.Option("--description", help="Objet.")] = "",
    schedule: Annotated[
        str, typer.Option("--schedule", help="Emprunt : AAAA-MM-JJ:montant;…")
    ] = "",
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Apport personnel, contribution d'un parti, emprunt, concours en nature / other income."""
    from circo.finance.ledger import record_income
    from circo.finance.rules import euros

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        row = record_income(
            session,
            ctx,
            kind=kind.strip().lower(),
            amount_cents=_amount(amount),
            received_on=_day(received_on, "--date"),
            source=source,
            description=description,
            schedule=schedule,
        )
        payload = {"id": row.id, "kind": str(row.kind), "amount_eur": euros(row.amount_cents)}
    if as_json:
        print_json(payload)
    else:
        console.print(f"Recette n° {payload['id']} enregistrée.", highlight=False)


@finance_app.command("status")
def status(
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Reçu, dépensé, plafond, espèces, alertes / where the money stands."""
    from circo.finance.account import compute_status
    from circo.finance.rules import format_eur

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        current = compute_status(session, ctx)
        payload = current.as_json()
        lines = [
            f"Reçu : {format_eur(current.received_cents)} ({current.donations} don(s))",
            f"Dépensé : {format_eur(current.spent_cents)} sur un plafond de "
            f"{format_eur(current.account.ceiling_cents)} ({current.ceiling_share:.0%})",
            f"Espèces : {format_eur(current.cash_cents)}",
            f"Dépôt du compte dans {current.days_to_file} jour(s)",
            *(f"⚠ {alert}" for alert in current.alerts),
        ]
    if as_json:
        print_json(payload)
    else:
        console.print("\n".join(lines), highlight=False)


@finance_app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="Fichier .xlsx ou .pdf à écrire.")],
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Le compte de campagne (présentation CNCCFP), en XLSX ou PDF / the campaign account."""
    from circo.finance.export import account_pdf, account_xlsx, build_account

    suffix = out.suffix.lower()
    if suffix not in (".xlsx", ".pdf"):
        raise CircoError(f"{out} : extension .xlsx ou .pdf attendue", loc="--out")
    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        account = build_account(session, ctx)
        content = account_xlsx(account) if suffix == ".xlsx" else account_pdf(account)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    partial.write_bytes(content)
    partial.replace(out)
    console.print(f"Compte de campagne écrit : {out}", highlight=False)


@finance_app.command("receipt")
def receipt(
    number: Annotated[int, typer.Argument(help="Numéro du reçu.")],
    out: Annotated[Path, typer.Option("--out", help="Fichier PDF à écrire.")],
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Le reçu-don en PDF / a donation receipt as PDF."""
    from circo.finance.export import receipt_pdf

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        content = receipt_pdf(session, ctx, number=number)
    out.write_bytes(content)
    console.print(f"Reçu écrit : {out}", highlight=False)


@finance_app.command("bank")
def bank(
    file: Annotated[Path, typer.Argument(help="Relevé bancaire (CSV de la banque ou OFX).")],
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Importer un relevé et le rapprocher des dons et dépenses / bank reconciliation."""
    from circo.finance.bank import import_statement

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        report = import_statement(session, ctx, file)
        payload = report.as_dict()
    if as_json:
        print_json(payload)
    else:
        console.print(
            f"{payload['lines']} ligne(s), {payload['new']} nouvelle(s), "
            f"{payload['matched']} rapprochée(s), {payload['unmatched']} à rapprocher",
            highlight=False,
        )
