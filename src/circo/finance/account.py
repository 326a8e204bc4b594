"""The campaign's account: the election, the ceiling (L52-11), the financing period (L52-4),
the filing deadline (L52-12), and the status the dashboard and the CLI show.

Services ``flush()``, never ``commit()``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.core import audit
from circo.core.models import Campaign
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.elections.territories import ELECTION_TYPES
from circo.finance import rules
from circo.finance.errors import AccountMissing, FinanceError
from circo.finance.models import (
    AccountFinance,
    BankLine,
    Donation,
    Income,
    IncomeKind,
)

# Dates of first (and second) rounds the account can be set up from, beyond the past elections
# circo imports results of (`circo.elections.importing.KNOWN_DATES`).
UPCOMING_DATES: dict[str, tuple[date, date | None]] = {
    "mun-2026": (date(2026, 3, 15), date(2026, 3, 22)),
}
ELECTION_KEY = re.compile(r"^(pres|leg|euro|mun|dep|reg)-(\d{4})(?:-[a-z0-9-]+)?$")


# --- the account ------------------------------------------------------------------------------


def election_type_of(key: str) -> str:
    match = ELECTION_KEY.match(key.strip().lower())
    if not match:
        raise FinanceError(
            f"élection « {key} » non reconnue ; attendu par ex. leg-2027, mun-2026, pres-2027",
            loc="election",
        )
    return ELECTION_TYPES[match.group(1)]


def first_round_of(key: str, campaign: Campaign) -> date | None:
    from circo.elections.importing import KNOWN_DATES

    base = "-".join(key.lower().split("-")[:2])
    known = UPCOMING_DATES.get(base) or KNOWN_DATES.get(base)
    if known:
        return known[0]
    return campaign.election_date


def population_of(session: Session, territory: str) -> tuple[int, str] | None:
    """The population of the territory from the imported INSEE IRIS tables (the latest census
    ``Pyy_POP``), with a line saying where it comes from; None when nothing is imported."""
    from circo.elections.models import Iris, IrisIndicator
    from circo.elections.repository import communes_in
    from circo.elections.territories import PLM, parse_territory

    ref = parse_territory(territory)
    indicators = [
        name
        for name in session.scalars(select(IrisIndicator.indicator).distinct())
        if re.fullmatch(r"P\d\d_POP", name)
    ]
    if not indicators:
        return None
    indicator = max(indicators, key=lambda name: int(name[1:3]))
    iris = select(Iris.code)
    if ref.level == "com":
        codes = [ref.code]
        if ref.code in PLM:
            first, count = PLM[ref.code]
            codes += [str(int(first) + offset) for offset in range(count)]
        iris = iris.where(Iris.commune_code.in_(codes))
        how = f"commune {ref.code}"
    elif ref.level == "dep":
        iris = iris.where(Iris.commune_code.startswith(ref.code))
        how = f"département {ref.code}"
    elif ref.level == "fr":
        how = "France"
    else:
        communes = communes_in(session, ref)
        if not communes:
            return None
        iris = iris.where(Iris.commune_code.in_(communes))
        how = f"{len(communes)} communes de {ref.key} (communes partagées comptées en entier)"
    total = session.scalar(
        select(func.sum(IrisIndicator.value)).where(
            IrisIndicator.indicator == indicator, IrisIndicator.iris_code.in_(iris)
        )
    )
    if not total:
        return None
    return round(total), f"INSEE {indicator} (IRIS importés), {how}"


def setup_account(
    session: Session,
    ctx: CampaignContext,
    *,
    election: str,
    territory: str = "",
    population: int | None = None,
    mandataire: str = "",
    candidate: str = "",
    first_round: date | None = None,
    ceiling_eur: Decimal | None = None,
    rounds: int = 2,
) -> AccountFinance:
    """Create or update the campaign's account: the ceiling (L52-11), the financing period
    (L52-4) and the filing deadline (L52-12) follow from the election and the population."""
    election = election.strip().lower()
    election_type = election_type_of(election)
    campaign = ctx.campaign
    first = first_round or first_round_of(election, campaign)
    if first is None:
        raise FinanceError(
            f"date du premier tour de « {election} » inconnue : donnez-la avec --date AAAA-MM-JJ "
            "(ou la date de l'élection de la campagne)",
            loc="date",
        )
    source = "saisie"
    if population is None and election_type not in ("presidentielle", "europeennes"):
        if not territory:
            raise FinanceError(
                "territoire requis pour calculer le plafond (ex. circ:69-01, com:69123)",
                loc="territory",
            )
        found = population_of(session, territory)
        if found is None:
            raise FinanceError(
                f"population de {territory} inconnue : importez les tableaux INSEE par IRIS "
                "(circo import insee …) ou donnez --population N",
                loc="population",
            )
        population, source = found
    if population is not None and population < 0:
        raise FinanceError("la population ne peut pas être négative", loc="population")
    computed = rules.compute_ceiling(election_type, population or 0, rounds=rounds)
    account = session.scalar(ctx.scoped(select(AccountFinance), AccountFinance))
    if account is None:
        account = AccountFinance(campaign_id=ctx.campaign_id)
        session.add(account)
    account.election_key = election
    account.election_type = election_type
    account.territory = territory
    account.first_round = first
    account.population = population or 0
    account.population_source = source if population is not None else ""
    if ceiling_eur is not None:
        account.ceiling_cents = rules.cents(ceiling_eur)
        account.ceiling_override = True
        account.ceiling_explanation = (
            f"plafond saisi (le calcul donne {rules.format_eur(computed.cents)} : "
            f"{computed.explanation})"
        )
    else:
        account.ceiling_cents = computed.cents
        account.ceiling_override = False
        account.ceiling_explanation = computed.explanation
    account.financing_from = rules.financing_start(first)
    account.file_by = rules.filing_deadline(first)
    if mandataire:
        account.mandataire = mandataire
    if candidate:
        account.candidate = candidate
    session.flush()
    audit.record(
        session,
        actor=ctx.actor,
        action="finance.setup",
        campaign_id=ctx.campaign_id,
        target_type="finance_account",
        target_id=account.id,
        details={"election": election, "ceiling_cents": account.ceiling_cents},
    )
    return account


def get_account(session: Session, ctx: CampaignContext) -> AccountFinance:
    account = session.scalar(ctx.scoped(select(AccountFinance), AccountFinance))
    if account is None:
        raise AccountMissing(
            "le compte de campagne n'est pas ouvert : lancez d'abord `circo finance setup` "
            "(ou la page Finances)",
            loc="finance",
        )
    return account


def find_account(session: Session, ctx: CampaignContext) -> AccountFinance | None:
    return session.scalar(ctx.scoped(select(AccountFinance), AccountFinance))


# --- status -----------------------------------------------------------------------------------


@dataclass
class FinanceStatus:
    account: AccountFinance
    donations_cents: int
    donations: int
    income_cents: dict[str, int]
    spent_cents: int
    cash_cents: int
    unpaid_cents: int
    before_period: int
    unmatched_bank_lines: int
    days_to_file: int
    alerts: list[str] = field(default_factory=list)

    @property
    def received_cents(self) -> int:
        return self.donations_cents + sum(self.income_cents.values())

    @property
    def ceiling_share(self) -> float:
        return self.spent_cents / self.account.ceiling_cents if self.account.ceiling_cents else 0.0

    @property
    def cash_limit_cents(self) -> int | None:
        if self.account.ceiling_cents < rules.CASH_SHARE_FROM_CEILING_CENTS:
            return None
        return rules.cents(Decimal(self.account.ceiling_cents) / 100 * rules.CASH_SHARE_OF_CEILING)

    @property
    def reimbursement_cents(self) -> int:
        return rules.reimbursement_cents(
            self.account.ceiling_cents, self.income_cents.get(IncomeKind.personal.value, 0)
        )

    def as_json(self) -> dict[str, Any]:
        """The `circo finance status --json` contract."""
        return {
            "received_eur": rules.euros(self.received_cents),
            "spent_eur": rules.euros(self.spent_cents),
            "cash_eur": rules.euros(self.cash_cents),
            "ceiling_eur": rules.euros(self.account.ceiling_cents),
            "donations": self.donations,
            "alerts": list(self.alerts),
        }


def compute_status(
    session: Session, ctx: CampaignContext, *, today: date | None = None
) -> FinanceStatus:
    from circo.finance.donations import cash_total_cents
    from circo.finance.ledger import list_expenses

    account = get_account(session, ctx)
    today = today or date.today()
    donations_cents, donations = session.execute(
        select(func.coalesce(func.sum(Donation.amount_cents), 0), func.count(Donation.id)).where(
            campaign_filter(Donation, ctx), Donation.cancelled.is_(False)
        )
    ).one()
    income = {
        str(kind): int(total)
        for kind, total in session.execute(
            select(Income.kind, func.sum(Income.amount_cents))
            .where(campaign_filter(Income, ctx))
            .group_by(Income.kind)
        )
    }
    expenses = list_expenses(session, ctx)
    # In-kind contributions are both a resource and an expense of the account.
    spent = sum(e.amount_cents for e in expenses) + income.get(IncomeKind.in_kind.value, 0)
    unmatched = session.scalar(
        select(func.count(BankLine.id)).where(
            campaign_filter(BankLine, ctx),
            BankLine.donation_id.is_(None),
            BankLine.expense_id.is_(None),
            BankLine.income_id.is_(None),
        )
    )
    status = FinanceStatus(
        account=account,
        donations_cents=int(donations_cents),
        donations=int(donations),
        income_cents=income,
        spent_cents=spent,
        cash_cents=cash_total_cents(session, ctx),
        unpaid_cents=sum(e.amount_cents for e in expenses if not e.paid),
        before_period=sum(1 for e in expenses if e.before_period),
        unmatched_bank_lines=int(unmatched or 0),
        days_to_file=(account.file_by - today).days,
    )
    status.alerts = _alerts(status)
    return status


def _alerts(status: FinanceStatus) -> list[str]:
    fmt = rules.format_eur
    account = status.account
    alerts = []
    share = status.ceiling_share
    if share >= 1:
        alerts.append(
            f"plafond dépassé (L52-11) : {fmt(status.spent_cents)} dépensés pour un plafond de "
            f"{fmt(account.ceiling_cents)}"
        )
    elif share >= 0.8:
        alerts.append(
            f"80 % du plafond atteint (L52-11) : {fmt(status.spent_cents)} sur "
            f"{fmt(account.ceiling_cents)}"
        )
    limit = status.cash_limit_cents
    if limit and status.cash_cents >= limit * 0.8:
        alerts.append(
            f"espèces : {fmt(status.cash_cents)} reçus sur {fmt(limit)} permis (L52-8, 20 % du "
            "plafond)"
        )
    if status.before_period:
        alerts.append(
            f"{status.before_period} dépense(s) antérieure(s) à la période de financement "
            f"(avant le {account.financing_from:%d/%m/%Y}, L52-4) : à justifier"
        )
    if status.unpaid_cents:
        alerts.append(f"dépenses restant à payer : {fmt(status.unpaid_cents)}")
    if status.unmatched_bank_lines:
        alerts.append(
            f"{status.unmatched_bank_lines} ligne(s) du relevé bancaire non rapprochée(s)"
        )
    if 0 <= status.days_to_file <= 30:
        alerts.append(
            f"dépôt du compte avant le {account.file_by:%d/%m/%Y} à 18 h (L52-12) : "
            f"{status.days_to_file} jour(s)"
        )
    elif status.days_to_file < 0:
        alerts.append(f"date limite de dépôt dépassée ({account.file_by:%d/%m/%Y}, L52-12)")
    if (
        account.election_type == "municipales"
        and account.population
        and account.population < rules.MUNICIPALES_ACCOUNT_FROM
    ):
        alerts.append(
            "commune de moins de 9 000 habitants : pas de compte de campagne obligatoire "
            "(L52-4 et L52-12 ne s'appliquent pas)"
        )
    return alerts
