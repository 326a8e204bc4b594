"""Donations under L52-8, with their numbered receipts (no gaps; a cancelled receipt keeps its
number). Every rule is checked before anything is written."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from circo.core import audit
from circo.core.models import Campaign
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.crm.normalise import fold, normalise_email
from circo.finance import rules
from circo.finance.account import get_account
from circo.finance.errors import FinanceError, NotFound, RuleRefused
from circo.finance.models import (
    AccountFinance,
    Donation,
    DonorKind,
    PaymentMethod,
    Receipt,
    ReceiptStatus,
)

# --- donations (L52-8) ------------------------------------------------------------------------


@dataclass
class DonationIn:
    amount_cents: int
    method: str
    received_on: date
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    address: str = ""
    nationality: str = ""
    resident: bool = False
    company: str = ""
    party: str = ""


def donor_key(first_name: str, last_name: str) -> str:
    """Who the donor is, whatever the row: folded last and first names (accents, case,
    hyphens and spaces do not matter)."""
    return (
        f"{re.sub(r'[^a-z0-9]', '', fold(last_name))}|{re.sub(r'[^a-z0-9]', '', fold(first_name))}"
    )


def _donor_clause(key: str, email: str) -> Any:
    clauses = [Donation.donor_key == key]
    if email:
        clauses.append(func.lower(Donation.email) == email)
    return or_(*clauses)


def donor_total_cents(
    session: Session, ctx: CampaignContext, *, election: str, key: str, email: str
) -> int:
    """What the donor already gave for this election to the campaigns of the organisation
    (L52-8 counts every candidate of the same election)."""
    campaigns = select(Campaign.id).where(Campaign.organisation_id == ctx.campaign.organisation_id)
    total = session.scalar(
        select(func.coalesce(func.sum(Donation.amount_cents), 0)).where(
            Donation.campaign_id.in_(campaigns),
            Donation.election_key == election,
            Donation.cancelled.is_(False),
            _donor_clause(key, email),
        )
    )
    return int(total or 0)


def cash_total_cents(session: Session, ctx: CampaignContext) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(Donation.amount_cents), 0)).where(
            campaign_filter(Donation, ctx),
            Donation.cancelled.is_(False),
            Donation.method == PaymentMethod.cash,
        )
    )
    return int(total or 0)


def _check_donation(
    session: Session, ctx: CampaignContext, account: AccountFinance, given: DonationIn
) -> tuple[str, str, int]:
    """(donor key, email, running total before) or a `RuleRefused` naming the rule."""
    fmt = rules.format_eur
    if given.method not in PaymentMethod.__members__:
        raise FinanceError(
            f"mode de paiement « {given.method} » inconnu ; attendu : "
            "cheque, transfer, card, cash, direct_debit",
            loc="method",
        )
    if given.amount_cents <= 0:
        raise FinanceError("le montant doit être positif", loc="amount")
    if given.received_on > date.today():
        raise FinanceError(f"date dans le futur : {given.received_on.isoformat()}", loc="date")
    if given.received_on < account.financing_from:
        raise RuleRefused(
            f"L52-4 : don refusé — reçu le {given.received_on:%d/%m/%Y}, avant le début de la "
            f"période de financement ({account.financing_from:%d/%m/%Y})",
            loc="date",
        )
    if given.company and not given.party:
        raise RuleRefused(
            f"L52-8 : don refusé — « {given.company} » est une personne morale ; seules les "
            "personnes physiques et les partis ou groupements politiques peuvent donner",
            loc="company",
        )
    email = (normalise_email(given.email) or "") if given.email else ""
    if given.party:
        return donor_key("", given.party), email, 0
    if not (given.first_name.strip() and given.last_name.strip()):
        raise FinanceError(
            "prénom et nom du donateur requis (L52-8 : donateur dûment identifié)",
            loc="last_name",
        )
    if given.nationality.strip().upper() != "FR" and not given.resident:
        raise RuleRefused(
            "L52-8 : don refusé — seules les personnes de nationalité française ou résidant en "
            "France peuvent donner (indiquez --nationality FR ou --resident)",
            loc="nationality",
        )
    if (
        given.method == PaymentMethod.cash
        and given.amount_cents > rules.CASH_MAX_PER_DONATION_CENTS
    ):
        raise RuleRefused(
            f"L52-8 : don refusé — {fmt(given.amount_cents)} en espèces ; au-delà de "
            f"{fmt(rules.CASH_MAX_PER_DONATION_CENTS)}, un don se fait par chèque, virement, "
            "prélèvement ou carte",
            loc="method",
        )
    key = donor_key(given.first_name, given.last_name)
    before = donor_total_cents(session, ctx, election=account.election_key, key=key, email=email)
    if before + given.amount_cents > rules.DONOR_CAP_CENTS:
        allowed = max(rules.DONOR_CAP_CENTS - before, 0)
        raise RuleRefused(
            f"L52-8 : don refusé — {given.first_name} {given.last_name} a déjà donné "
            f"{fmt(before)} pour cette élection ; plafond {fmt(rules.DONOR_CAP_CENTS)} par "
            f"donateur : au plus {fmt(allowed)} de plus",
            loc="amount",
        )
    if (
        given.method == PaymentMethod.cash
        and account.ceiling_cents >= rules.CASH_SHARE_FROM_CEILING_CENTS
    ):
        cash = cash_total_cents(session, ctx)
        limit = rules.cents(Decimal(account.ceiling_cents) / 100 * rules.CASH_SHARE_OF_CEILING)
        if cash + given.amount_cents > limit:
            raise RuleRefused(
                f"L52-8 : don refusé — les espèces reçues atteindraient "
                f"{fmt(cash + given.amount_cents)} ; elles sont limitées à 20 % du plafond "
                f"({fmt(limit)}) : au plus {fmt(max(limit - cash, 0))} de plus en espèces",
                loc="method",
            )
    return key, email, before


@dataclass
class DonationResult:
    donation: Donation
    receipt: Receipt
    donor_total_cents: int

    @property
    def receipt_label(self) -> str:
        return receipt_label(self.receipt.number)


def receipt_label(number: int) -> str:
    return f"RD-{number:05d}"


def record_donation(session: Session, ctx: CampaignContext, given: DonationIn) -> DonationResult:
    """Check every rule, then write the donation and its numbered receipt."""
    account = session.scalar(
        ctx.scoped(select(AccountFinance), AccountFinance).with_for_update()
    )  # serialises receipt numbers (PostgreSQL); SQLite writers are serial already
    if account is None:
        get_account(session, ctx)
        raise AssertionError("unreachable")
    key, email, before = _check_donation(session, ctx, account, given)
    contact_id = _contact_for(session, ctx, email) if email else None
    donation = Donation(
        campaign_id=ctx.campaign_id,
        election_key=account.election_key,
        contact_id=contact_id,
        donor_kind=DonorKind.party if given.party else DonorKind.person,
        donor_key=key,
        first_name=given.first_name.strip(),
        last_name=given.last_name.strip(),
        party_name=given.party.strip(),
        email=email,
        address=given.address.strip(),
        nationality=given.nationality.strip().upper()[:2],
        resident=given.resident,
        amount_cents=given.amount_cents,
        method=PaymentMethod(given.method),
        received_on=given.received_on,
    )
    session.add(donation)
    session.flush()
    number = (
        session.scalar(
            select(func.coalesce(func.max(Receipt.number), 0)).where(campaign_filter(Receipt, ctx))
        )
        or 0
    ) + 1
    receipt = Receipt(campaign_id=ctx.campaign_id, number=number, donation_id=donation.id)
    session.add(receipt)
    session.flush()
    audit.record(
        session,
        actor=ctx.actor,
        action="finance.donation",
        campaign_id=ctx.campaign_id,
        target_type="finance_donation",
        target_id=donation.id,
        details={"amount_cents": given.amount_cents, "receipt": number},
    )
    from circo.party.models import WebhookEvent
    from circo.party.webhooks import emit

    emit(
        session,
        ctx,
        event=WebhookEvent.donation,
        contact_id=contact_id,
        data={
            "donation_id": donation.id,
            "contact_id": contact_id,
            "amount_cents": given.amount_cents,
            "received_on": donation.received_on.isoformat(),
        },
    )
    return DonationResult(donation, receipt, before + given.amount_cents)


def _contact_for(session: Session, ctx: CampaignContext, email: str) -> int | None:
    from circo.crm.contacts import find_by_identity

    found = find_by_identity(session, ctx, email=email)
    return found[0].id if found else None


def cancel_receipt(session: Session, ctx: CampaignContext, *, number: int, reason: str) -> Receipt:
    """The receipt stays in the sequence, marked cancelled; its donation no longer counts."""
    receipt = session.scalar(ctx.scoped(select(Receipt), Receipt).where(Receipt.number == number))
    if receipt is None:
        raise NotFound(f"reçu n° {number} introuvable", loc="number")
    if not reason.strip():
        raise FinanceError("motif d'annulation requis", loc="reason")
    if receipt.status == ReceiptStatus.cancelled:
        return receipt
    from circo.db import utcnow

    receipt.status = ReceiptStatus.cancelled
    receipt.cancelled_at = utcnow()
    receipt.cancel_reason = reason.strip()
    donation = session.get(Donation, receipt.donation_id)
    if donation is not None:
        donation.cancelled = True
    session.flush()
    audit.record(
        session,
        actor=ctx.actor,
        action="finance.receipt_cancelled",
        campaign_id=ctx.campaign_id,
        target_type="finance_receipt",
        target_id=receipt.id,
        details={"number": number, "reason": reason.strip()},
    )
    return receipt


def list_donations(session: Session, ctx: CampaignContext) -> list[tuple[Donation, Receipt]]:
    rows = session.execute(
        select(Donation, Receipt)
        .join(Receipt, Receipt.donation_id == Donation.id)
        .where(campaign_filter(Donation, ctx))
        .order_by(Receipt.number)
    ).all()
    return [(donation, receipt) for donation, receipt in rows]


def donor_totals(session: Session, ctx: CampaignContext) -> dict[str, int]:
    rows = session.execute(
        select(Donation.donor_key, func.sum(Donation.amount_cents))
        .where(campaign_filter(Donation, ctx), Donation.cancelled.is_(False))
        .group_by(Donation.donor_key)
    )
    return {key: int(total) for key, total in rows}
