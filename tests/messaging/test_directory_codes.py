"""The messaging directory sorts refusals by the privacy domain's codes, never by its French
words: rewording a reason must not turn an objection into a missing consent."""

from __future__ import annotations

import pytest

from circo.messaging.directory import classify
from circo.privacy.consent import Decision


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("opposition", "opposed"),
        ("suppressed", "opposed"),
        ("consent_withdrawn", "opposed"),
        ("consent_refused", "no_consent"),
        ("no_consent", "no_consent"),
        ("opt_in_required", "no_consent"),
        ("no_address", "no_consent"),
    ],
)
def test_refusals_are_sorted_by_code_not_by_text(code: str, expected: str) -> None:
    # The reason text says the opposite of the code on purpose.
    reason = "consentement accordé" if expected == "opposed" else "opposition enregistrée"
    verdict = classify(Decision(False, None, reason, code=code))
    assert verdict.category == expected
    assert verdict.reason == reason


def test_an_allowed_decision_is_ok() -> None:
    verdict = classify(
        Decision(True, "consent", "consentement du 2026-01-02", 4, code="consent_granted")
    )
    assert (verdict.category, verdict.basis, verdict.consent_id) == ("ok", "consent", 4)
