"""Offline rebuttals that refute: the claim sets of the fresh base and the demo base.

Precision of "contradicted" and "supported" ≥ 0.95, no verdict on a claim the base holds nothing
on, and no decisive stance ("for"/"against") from a document the claim is not about.
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from tests.assistant.claim_eval import evaluate, load_claims, seed_fresh_base
from tests.factories import make_campaign

from circo.assistant import stance
from circo.assistant.demo import seed_demo
from circo.config import Settings
from circo.core.tenancy import system_context


def _check(report_name: str, report: object) -> None:
    from tests.assistant.claim_eval import Report

    assert isinstance(report, Report)
    wrong = [(row.claim, row.expected, row.verdict) for row in report.wrong()]
    assert report.precision("contradicted") >= 0.95, (report_name, wrong)
    assert report.precision("supported") >= 0.95, (report_name, wrong)
    assert report.recall("contradicted") >= 0.9, (report_name, wrong)
    assert report.recall("supported") >= 0.9, (report_name, wrong)
    assert report.invented == [], report_name
    assert report.violations == [], report_name


def test_claim_sets_on_fresh_and_demo_bases(session: Session, settings: Settings) -> None:
    fresh = system_context(make_campaign(session, slug="fresh"))
    demo = system_context(make_campaign(session, slug="demo"))
    seed_fresh_base(session, fresh)
    seed_demo(session, demo, settings)
    session.commit()
    for name, ctx in (
        ("fresh_claims.json", fresh),
        ("fresh_second_claims.json", fresh),
        ("demo_claims.json", demo),
    ):
        _check(name, evaluate(session, ctx, load_claims(name), settings))


def test_stance_cues() -> None:
    def verdict(claim: str, sentence: str, doc_type: str = "programme") -> str:
        actor, rest = stance.split_actor(claim)
        return stance.compare(
            stance.read(rest, actor=actor), stance.read(sentence), doc_type=doc_type
        )

    keep = "La piscine restera ouverte toute l'année."
    assert verdict("Nadia Benali veut fermer la piscine", keep) == "against"
    assert verdict("La piscine restera ouverte", keep) == "for"
    ages = "Nous rétablirons l'âge légal de départ à la retraite à 62 ans."
    assert verdict("Claire Martin veut la retraite à 64 ans", ages) == "against"
    assert verdict("Claire Martin veut la retraite à 62 ans", ages) == "for"
    assert verdict("Claire Martin ne veut pas rétablir la retraite à 62 ans", ages) == "against"
    assert verdict("Claire Martin est contre la retraite à 62 ans", ages) == "against"
    # a sentence about something else is never against, whatever its cues
    assert verdict("Claire Martin veut supprimer la police", ages) == "context"
    # positions are stated by the campaign's own documents, not by the news
    news = "L'hôpital envisage de fermer ses urgences la nuit."
    assert verdict("Claire Martin veut fermer les urgences de l'hôpital", news, "news") == (
        "context"
    )
    # a negated sentence does not deny a positive claim on its own
    floor = "Aucune pension complète ne sera inférieure à 1 200 euros nets par mois."
    assert verdict("Claire Martin veut une pension complète de 1 200 euros", floor) != "against"
    assert stance.quantities("de 7,9 % à 7,1 %, 2 000 logements, 6 milliards d'euros") == {
        "%": frozenset({"7.9", "7.1"}),
        "log": frozenset({"2000"}),  # the stem of "logements"
        "euro": frozenset({"6000000000"}),
    }
