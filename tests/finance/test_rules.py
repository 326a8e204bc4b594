"""The Code électoral's money rules as pure functions (amounts in cents)."""

from __future__ import annotations

from datetime import date

import pytest

from circo.finance import rules
from circo.finance.errors import FinanceError
from circo.finance.export import amount_in_words, number_in_words


def test_legislatives_ceiling_is_38000_plus_15_cents_per_inhabitant_times_1_26() -> None:
    ceiling = rules.compute_ceiling("legislatives", 120_000)
    assert ceiling.cents == 7_056_000  # (38 000 + 18 000) × 1,26
    assert "L52-11" in ceiling.explanation
    assert "2008-1300" in ceiling.coefficient_source


def test_municipales_ceiling_adds_each_fraction_at_its_own_rate() -> None:
    # 50 000 inhabitants, first round: 15 000 × 1,22 + 15 000 × 1,07 + 20 000 × 0,91 = 52 550
    first = rules.compute_ceiling("municipales", 50_000, rounds=1)
    assert first.cents == rules.cents(rules.Decimal("52550") * rules.Decimal("1.23"))
    second = rules.compute_ceiling("municipales", 50_000, rounds=2)
    # 15 000 × 1,68 + 15 000 × 1,52 + 20 000 × 1,22 = 72 400
    assert second.cents == rules.cents(rules.Decimal("72400") * rules.Decimal("1.23"))


def test_presidentielle_and_unknown_elections() -> None:
    assert rules.compute_ceiling("presidentielle", 0, rounds=1).cents == 1_685_100_000
    assert rules.compute_ceiling("presidentielle", 0, rounds=2).cents == 2_250_900_000
    with pytest.raises(FinanceError, match="plafond"):
        rules.compute_ceiling("other", 1000)


@pytest.mark.parametrize(
    ("first_round", "start", "deadline"),
    [
        # L52-4: first day of the sixth month before the month; L52-12: tenth Friday after.
        (date(2024, 6, 30), date(2023, 12, 1), date(2024, 9, 6)),
        (date(2026, 3, 15), date(2025, 9, 1), date(2026, 5, 22)),
        (date(2027, 6, 13), date(2026, 12, 1), date(2027, 8, 20)),
    ],
)
def test_period_and_filing_deadline(first_round: date, start: date, deadline: date) -> None:
    assert rules.financing_start(first_round) == start
    assert rules.filing_deadline(first_round) == deadline
    assert deadline.weekday() == 4


def test_amounts_parse_french_and_refuse_nonsense() -> None:
    assert rules.parse_amount("1 234,50") == 123_450
    assert rules.parse_amount("12.5 €") == 1_250
    for bad in ("0", "-3", "1,234", "abc", "NaN", "1e9999"):
        with pytest.raises(FinanceError):
            rules.parse_amount(bad)
    assert rules.format_eur(123_456_789) == "1\u202f234\u202f567,89 €"


def test_reimbursement_is_capped_by_the_personal_contribution() -> None:
    assert rules.reimbursement_cents(7_056_000, 10_000_000) == 3_351_600  # 47,5 % of 70 560
    assert rules.reimbursement_cents(7_056_000, 500_000) == 500_000


def test_amounts_in_words_for_the_receipt() -> None:
    assert number_in_words(4600) == "quatre-mille-six-cents"
    assert number_in_words(71) == "soixante-et-onze"
    assert number_in_words(80) == "quatre-vingts"
    assert number_in_words(99) == "quatre-vingt-dix-neuf"
    assert amount_in_words(15_001) == "cent-cinquante euros et un centime"
