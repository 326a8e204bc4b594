"""Demo books for the demo campaign: the account of a législatives candidate, a few donations
with their receipts (one refused donor is not written, by construction), expenses with one
before the financing period, the candidate's contribution. Names are invented (synthétique)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.tenancy import CampaignContext
from circo.finance.account import setup_account
from circo.finance.donations import DonationIn, record_donation
from circo.finance.ledger import record_expense, record_income

DEMO_POPULATION = 120_000  # a typical circonscription (synthétique: give the official figure)

DONORS = (
    ("Camille", "Bernard", "cheque", 50_000),
    ("Louis", "Petit", "transfer", 150_000),
    ("Inès", "Moreau", "card", 3_000),
    ("Hugo", "Lefèvre", "cash", 10_000),
    ("Léa", "Garnier", "direct_debit", 2_000),
)
EXPENSES = (
    ("premises", "Local de permanence (synthétique)", 180_000, -40),
    ("printing", "Imprimerie (synthétique)", 95_040, 1),
    ("meetings", "Salle de réunion (synthétique)", 35_000, 2),
    ("digital", "Hébergement du site (synthétique)", 4_990, 0),
)


def seed_demo(session: Session, ctx: CampaignContext, settings: Settings) -> None:
    first_round = ctx.campaign.election_date or date.today() + timedelta(days=190)
    account = setup_account(
        session,
        ctx,
        election=f"leg-{first_round.year}",
        territory=ctx.campaign.territory_code or "",
        population=DEMO_POPULATION,
        mandataire="Claire Martin (synthétique)",
        candidate=ctx.campaign.name,
        first_round=first_round,
    )
    start = account.financing_from
    today = date.today()

    def day(offset: int) -> date:
        return min(max(start + timedelta(days=offset), start), today)

    record_income(
        session,
        ctx,
        kind="personal",
        amount_cents=500_000,
        received_on=day(0),
        source="le candidat",
    )
    for index, (first, last, method, amount) in enumerate(DONORS):
        record_donation(
            session,
            ctx,
            DonationIn(
                amount_cents=amount,
                method=method,
                received_on=day(index),
                first_name=first,
                last_name=last,
                address=f"{10 + index} rue de la République, Paris (synthétique)",
                nationality="FR",
            ),
        )
    for category, supplier, amount, offset in EXPENSES:
        record_expense(
            session,
            ctx,
            settings,
            amount_cents=amount,
            category=category,
            supplier=supplier,
            spent_on=start + timedelta(days=offset) if offset < 0 else day(offset),
        )
