"""The Code électoral's money rules, as data with their articles, and the pure functions that
apply them. Amounts are in euro cents (integers) everywhere in the finance domain.

Sources (Légifrance, consolidated text read 2026-12):
- L52-4: the mandataire collects funds and pays expenses "pendant les six mois précédant le
  premier jour du mois de l'élection" and until the account is filed.
- L52-8: donations by natural persons only, of French nationality or residing in France, at most
  4 600 € per donor for the same election; above 150 € by cheque, transfer, direct debit or card;
  cash at most 20 % of the ceiling when the ceiling is 15 000 € or more; no legal person except a
  political party or group.
- L52-11: the ceiling per inhabitant by fraction of the population (municipales, départementales,
  régionales), 38 000 € + 0,15 € per inhabitant for the législatives; multiplied by the
  coefficient of a décret (1,23: décret n° 2009-1730 du 30 décembre 2009, all elections but the
  législatives and européennes; 1,26 for the législatives: décret n° 2008-1300 du 10 décembre
  2008); frozen since 2012 (last paragraph of L52-11).
- L52-11-1: flat-rate reimbursement of 47,5 % of the ceiling to candidates with at least 5 % of
  the votes cast in the first round, within their personal contribution actually spent.
- L52-12: the account is filed before 18 h on the tenth Friday after the first round.
- Présidentielle (loi n° 62-1292, art. 3 II, with the 1,23 coefficient): 16 851 000 € for a
  first-round candidate, 22 509 000 € for the two of the second round.
- Européennes (loi n° 77-729, art. 19-1): 9 200 000 € per list, multiplied by 1,10.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from circo.finance.errors import FinanceError

# --- L52-8: donations -------------------------------------------------------------------------

DONOR_CAP_CENTS = 460_000  # 4 600 € per donor and election, all rounds (L52-8 al. 1)
CASH_MAX_PER_DONATION_CENTS = 15_000  # above 150 €: not in cash (L52-8 al. 3)
CASH_SHARE_OF_CEILING = Decimal("0.20")  # total cash ≤ 20 % of the ceiling… (L52-8 al. 3)
CASH_SHARE_FROM_CEILING_CENTS = 1_500_000  # …when the ceiling is ≥ 15 000 €

# --- L52-11: the ceiling ----------------------------------------------------------------------

# Per inhabitant, by fraction of the population: (upper bound of the fraction, € per inhabitant).
# None as the upper bound: the rest of the population.
PER_INHABITANT: dict[str, tuple[tuple[int | None, Decimal], ...]] = {
    "municipales_t1": (
        (15_000, Decimal("1.22")),
        (30_000, Decimal("1.07")),
        (60_000, Decimal("0.91")),
        (100_000, Decimal("0.84")),
        (150_000, Decimal("0.76")),
        (250_000, Decimal("0.69")),
        (None, Decimal("0.53")),
    ),
    "municipales_t2": (
        (15_000, Decimal("1.68")),
        (30_000, Decimal("1.52")),
        (60_000, Decimal("1.22")),
        (100_000, Decimal("1.14")),
        (150_000, Decimal("1.07")),
        (250_000, Decimal("0.84")),
        (None, Decimal("0.76")),
    ),
    "departementales": (
        (15_000, Decimal("0.64")),
        (30_000, Decimal("0.53")),
        (60_000, Decimal("0.43")),
        (None, Decimal("0.30")),
    ),
    "regionales": (
        (100_000, Decimal("0.53")),
        (150_000, Decimal("0.38")),
        (250_000, Decimal("0.30")),
        (None, Decimal("0.23")),
    ),
}
LEGISLATIVES_BASE = Decimal("38000")
LEGISLATIVES_PER_INHABITANT = Decimal("0.15")


@dataclass(frozen=True)
class Coefficient:
    value: Decimal
    source: str


COEFFICIENTS: dict[str, Coefficient] = {
    "legislatives": Coefficient(Decimal("1.26"), "décret n° 2008-1300 du 10 décembre 2008"),
    "europeennes": Coefficient(Decimal("1.10"), "décret n° 2009-1730 (loi n° 77-729, art. 19-1)"),
    "municipales": Coefficient(Decimal("1.23"), "décret n° 2009-1730 du 30 décembre 2009"),
    "departementales": Coefficient(Decimal("1.23"), "décret n° 2009-1730 du 30 décembre 2009"),
    "regionales": Coefficient(Decimal("1.23"), "décret n° 2009-1730 du 30 décembre 2009"),
    "presidentielle": Coefficient(Decimal("1"), "montants déjà majorés (loi n° 62-1292, art. 3)"),
}
PRESIDENTIELLE_CEILING_CENTS = {1: 1_685_100_000, 2: 2_250_900_000}
EUROPEENNES_CEILING_EUR = Decimal("9200000")
MUNICIPALES_ACCOUNT_FROM = 9_000  # communes of fewer inhabitants file no account (L52-4, L52-12)

ALERT_SHARES = (Decimal("0.8"), Decimal("1"))  # alerts at 80 % and 100 % of the ceiling

# --- L52-11-1: reimbursement ------------------------------------------------------------------

REIMBURSEMENT_SHARE = Decimal("0.475")
REIMBURSEMENT_THRESHOLD = Decimal("0.05")  # of the votes cast in the first round


def cents(euros: Decimal) -> int:
    return int((euros * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def euros(amount_cents: int) -> float:
    return round(amount_cents / 100, 2)


def parse_amount(text: str, *, field: str = "amount") -> int:
    """'12,50' or '12.50' or '1 234,5' → cents; refuses zero, negatives and more than 2 decimals."""
    cleaned = text.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    cleaned = cleaned.replace("€", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except ArithmeticError as exc:
        raise FinanceError(f"montant illisible : « {text} »", loc=field) from exc
    if not value.is_finite() or value <= 0:
        raise FinanceError(f"le montant doit être positif : « {text} »", loc=field)
    if value > Decimal("100000000"):
        raise FinanceError(f"montant trop élevé : « {text} »", loc=field)
    if value != value.quantize(Decimal("0.01")):
        raise FinanceError(f"au plus deux décimales : « {text} »", loc=field)
    return cents(value)


def format_eur(amount_cents: int) -> str:
    """1234567 → '12 345,67 €' (French grouping with a narrow no-break space)."""
    sign = "-" if amount_cents < 0 else ""
    whole, part = divmod(abs(amount_cents), 100)
    grouped = f"{whole:,}".replace(",", "\u202f")
    return f"{sign}{grouped},{part:02d} €"


@dataclass(frozen=True)
class Ceiling:
    cents: int
    coefficient: Decimal
    coefficient_source: str
    explanation: str


def _by_fraction(population: int, table: tuple[tuple[int | None, Decimal], ...]) -> Decimal:
    total = Decimal(0)
    lower = 0
    for upper, rate in table:
        top = population if upper is None else min(population, upper)
        if top > lower:
            total += (top - lower) * rate
        if upper is None or population <= upper:
            break
        lower = upper
    return total


def compute_ceiling(election_type: str, population: int, *, rounds: int = 2) -> Ceiling:
    """The L52-11 ceiling for one candidate or list. ``rounds``: 2 when the campaign is present
    in the second round (municipales: the second-round column)."""
    if election_type == "presidentielle":
        amount = PRESIDENTIELLE_CEILING_CENTS[2 if rounds >= 2 else 1]
        return Ceiling(
            amount,
            Decimal(1),
            COEFFICIENTS["presidentielle"].source,
            "plafond fixé par la loi organique (art. 3 II de la loi n° 62-1292)",
        )
    if population < 0:
        raise FinanceError("population négative", loc="population")
    coefficient = COEFFICIENTS.get(election_type)
    if coefficient is None:
        raise FinanceError(
            f"pas de plafond légal connu pour l'élection « {election_type} » : "
            "donnez le plafond vous-même",
            loc="election",
        )
    if election_type == "legislatives":
        base = LEGISLATIVES_BASE + LEGISLATIVES_PER_INHABITANT * population
        inhabitants = f"{population:,}".replace(",", "\u202f")
        why = f"38 000 € + 0,15 € × {inhabitants} habitants (L52-11)"
    elif election_type == "europeennes":
        base = EUROPEENNES_CEILING_EUR
        why = "9 200 000 € par liste (loi n° 77-729, art. 19-1)"
    elif election_type == "municipales":
        column = "municipales_t2" if rounds >= 2 else "municipales_t1"
        base = _by_fraction(population, PER_INHABITANT[column])
        ordinal = "1er" if rounds == 1 else f"{rounds}e"
        why = f"barème par tranche de population, listes présentes au {ordinal} tour (L52-11)"
    else:
        base = _by_fraction(population, PER_INHABITANT[election_type])
        why = "barème par tranche de population (L52-11)"
    amount = cents(base * coefficient.value)
    return Ceiling(
        amount,
        coefficient.value,
        coefficient.source,
        f"{why} × {str(coefficient.value).replace('.', ',')} ({coefficient.source})",
    )


# --- L52-4 and L52-12: the period and the filing deadline -------------------------------------


def financing_start(first_round: date) -> date:
    """First day of the sixth month before the month of the election (L52-4)."""
    month = first_round.month - 6
    year = first_round.year
    if month <= 0:
        month += 12
        year -= 1
    return date(year, month, 1)


def filing_deadline(first_round: date) -> date:
    """The tenth Friday after the first round, before 18 h (L52-12)."""
    days_to_friday = (4 - first_round.weekday()) % 7 or 7
    return first_round + timedelta(days=days_to_friday + 7 * 9)


def last_day_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def reimbursement_cents(ceiling_cents: int, personal_contribution_cents: int) -> int:
    """Maximum flat-rate reimbursement (L52-11-1): 47,5 % of the ceiling, within the personal
    contribution, for a candidate with at least 5 % of the votes cast in the first round."""
    cap = cents(Decimal(ceiling_cents) / 100 * REIMBURSEMENT_SHARE)
    return min(cap, max(personal_contribution_cents, 0))
