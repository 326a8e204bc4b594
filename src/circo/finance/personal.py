"""Donors are people: what the finance domain holds about them, for access, erasure and merge
(see `circo.core.personal`).

The law requires to keep the donations: the mandataire files the list of donors with the
compte de campagne (L52-12) and the receipts back the donors' tax reductions (article 200 of
the Code général des impôts; the tax administration may check them for six years, Livre des
procédures fiscales L102 B). An erasure request therefore leaves these rows — and the finance
archive under the data dir — and says so in its report; the legal basis is a legal obligation
(GDPR art. 6(1)(c) and 17(3)(b))."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from circo.core.personal import Identity, PersonalData, TableRule, move_rows, plain_row
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.db import after_commit
from circo.finance.donations import donor_key
from circo.finance.models import AccountFinance, BankLine, Donation, Expense, Income, Receipt

KEPT_BY_LAW = (
    "conservé : obligation légale — liste des dons jointe au compte de campagne (Code électoral "
    "L52-12) et reçus fiscaux (CGI art. 200, contrôle pendant six ans : LPF L102 B) ; "
    "RGPD art. 17.3.b"
)


def _donations(session: Session, ctx: CampaignContext, identity: Identity) -> list[Donation]:
    clauses: list[Any] = []
    if identity.contact_ids:
        clauses.append(Donation.contact_id.in_(identity.contact_ids))
    if identity.emails:
        clauses.append(func.lower(Donation.email).in_(sorted(identity.emails)))
    for first, last in identity.names:
        if first and last:
            clauses.append(Donation.donor_key == donor_key(first, last))
    if not clauses:
        return []
    return list(
        session.scalars(
            select(Donation)
            .where(campaign_filter(Donation, ctx), or_(*clauses))
            .order_by(Donation.id)
        )
    )


def access(
    session: Session, ctx: CampaignContext, identity: Identity, export: dict[str, Any]
) -> None:
    donations = _donations(session, ctx, identity)
    export["fin_donations"] = [plain_row(row) for row in donations]
    ids = [row.id for row in donations]
    export["fin_bank_lines"] = (
        [
            plain_row(row, exclude=("fingerprint",))
            for row in session.scalars(
                select(BankLine).where(
                    campaign_filter(BankLine, ctx), BankLine.donation_id.in_(ids)
                )
            )
        ]
        if ids
        else []
    )


def erase(session: Session, ctx: CampaignContext, identity: Identity) -> dict[str, int]:
    """Nothing is deleted: the law keeps donations (see the module's docstring); the contact
    link is cut so that the CRM contact itself can go."""
    for row in _donations(session, ctx, identity):
        row.contact_id = None
    session.flush()
    return {}


def merge(session: Session, ctx: CampaignContext, kept_id: int, merged_id: int) -> None:
    move_rows(session, ctx, Donation, kept_id, merged_id)


RETENTION_LABEL = (
    "Comptabilité de campagne (dons, reçus, pièces, relevés) : conservée jusqu'au 31 décembre de "
    "la 6e année suivant l'élection (L52-12, LPF L102 B), puis supprimée"
)
RETENTION_YEARS = 6


def keep_until(first_round: date) -> date:
    return date(first_round.year + RETENTION_YEARS, 12, 31)


def purge(
    session: Session, ctx: CampaignContext, data_dir: Path, today: date, apply: bool
) -> list[tuple[str, str, int, list[str]]]:
    """After the legal period, the books go: donations, receipts, income, expenses, bank lines
    and the archive's files."""
    account = session.scalar(select(AccountFinance).where(campaign_filter(AccountFinance, ctx)))
    if account is None:
        return [("campaign_finance", RETENTION_LABEL, 0, [])]
    if today <= keep_until(account.first_round):
        until = f"conservée jusqu'au {keep_until(account.first_round):%d/%m/%Y}"
        return [("campaign_finance", RETENTION_LABEL, 0, [until])]
    count = int(
        session.scalar(select(func.count(Donation.id)).where(campaign_filter(Donation, ctx))) or 0
    )
    if apply:
        for model in (BankLine, Receipt, Donation, Income, Expense):
            session.execute(delete(model).where(campaign_filter(model, ctx)))
        archive = data_dir / "finance" / ctx.campaign.slug
        after_commit(session, lambda: shutil.rmtree(archive, ignore_errors=True))
    return [("campaign_finance", RETENTION_LABEL, count, [f"{count} don(s) et leurs pièces"])]


PERSONAL_DATA = PersonalData(
    tables={
        "fin_donations": TableRule(
            access="the person's donations (by contact, e-mail or name)",
            erase=KEPT_BY_LAW,
            merge="moved to the kept contact",
        ),
        "fin_bank_lines": TableRule(
            access="bank lines matched to the person's donations",
            erase=KEPT_BY_LAW + " (relevé du compte du mandataire)",
            merge="follows the donation",
        ),
        "fin_income": TableRule(
            access="not linked to a contact (a party, a lender, the candidate)",
            erase="kept: part of the compte de campagne (L52-12)",
            merge="not linked to a contact",
        ),
    },
    access=access,
    erase=erase,
    merge=merge,
    retained={
        "fin_donations": KEPT_BY_LAW,
        "fin_bank_lines": KEPT_BY_LAW,
        "fin_receipts": KEPT_BY_LAW,
        "fin_income": KEPT_BY_LAW,
        "fin_expenses": KEPT_BY_LAW,
    },
    retained_dirs=("finance",),
    purge=purge,
)
