"""The rebuttal claim sets: a fresh knowledge base written for the test, the demo base, and the
evaluation shared by the tests and `benchmarks/assistant/rebuttal_precision.py`.

Each claim is labelled with the verdict a reader of the base gives and the documents allowed to
carry a "for" or "against" stance; a decisive stance from any other document is a violation
("irrelevant passages never against").
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from circo.assistant.rebuttal import rebut
from circo.assistant.segment import TextBuilder
from circo.assistant.service import DocumentMeta, add_bytes, add_text
from circo.config import Settings
from circo.core.tenancy import CampaignContext

FOLDER = Path(__file__).parent / "claims"
FRESH_FILES = (
    ("programme.md", "programme"),
    ("etude-quartiers.md", "study"),
    ("ripostes.md", "rebuttal"),
)


def load_claims(name: str) -> list[dict[str, Any]]:
    return list(json.loads((FOLDER / name).read_text("utf-8")))


def seed_fresh_base(session: Session, ctx: CampaignContext) -> None:
    base = FOLDER / "fresh_base"
    for name, kind in FRESH_FILES:
        add_bytes(
            session,
            ctx,
            data=(base / name).read_bytes(),
            name=name,
            source=f"fresh/{name}",
            meta=DocumentMeta(doc_type=kind, territory_codes=["38185"]),
        )
    news = json.loads((base / "actualites.json").read_text("utf-8"))
    for index, item in enumerate(news, start=1):
        builder = TextBuilder()
        builder.add(item["title"], kind="heading", level=1)
        builder.add(item["text"])
        add_text(
            session,
            ctx,
            extracted=builder.build(title=item["title"]),
            source=f"fresh/actualites/{index:02d}",
            meta=DocumentMeta(
                title=item["title"],
                doc_type="news",
                territory_codes=["38185"],
                published_on=date.fromisoformat(item["date"]),
            ),
        )


@dataclass
class ClaimResult:
    claim: str
    expected: str
    verdict: str
    violations: list[str] = field(default_factory=list)  # decisive stances from other documents


@dataclass
class Report:
    results: list[ClaimResult]

    def precision(self, verdict: str) -> float:
        predicted = [row for row in self.results if row.verdict == verdict]
        if not predicted:
            return 1.0
        return sum(row.expected == verdict for row in predicted) / len(predicted)

    def recall(self, verdict: str) -> float:
        expected = [row for row in self.results if row.expected == verdict]
        if not expected:
            return 1.0
        return sum(row.verdict == verdict for row in expected) / len(expected)

    @property
    def invented(self) -> list[ClaimResult]:
        """Claims the base holds nothing on that still received a verdict."""
        return [row for row in self.results if row.expected == "unverified" != row.verdict]

    @property
    def violations(self) -> list[str]:
        return [f"{row.claim}: {item}" for row in self.results for item in row.violations]

    def wrong(self) -> list[ClaimResult]:
        return [row for row in self.results if row.verdict != row.expected]

    def summary(self) -> dict[str, Any]:
        return {
            "claims": len(self.results),
            "correct": sum(row.verdict == row.expected for row in self.results),
            "precision_contradicted": round(self.precision("contradicted"), 3),
            "recall_contradicted": round(self.recall("contradicted"), 3),
            "precision_supported": round(self.precision("supported"), 3),
            "recall_supported": round(self.recall("supported"), 3),
            "invented_verdicts": len(self.invented),
            "irrelevant_decisive_passages": len(self.violations),
        }


def evaluate(
    session: Session, ctx: CampaignContext, claims: list[dict[str, Any]], settings: Settings
) -> Report:
    results: list[ClaimResult] = []
    for item in claims:
        answer = rebut(session, ctx, claim=item["claim"], settings=settings, offline=True)
        allowed = set(item["sources"])
        violations = [
            f"{evidence.stance} from {evidence.citation.row.source}: {evidence.citation.quote!r}"
            for evidence in answer.evidence
            if evidence.stance != "context" and evidence.citation.row.source not in allowed
        ]
        results.append(ClaimResult(item["claim"], item["expected"], answer.verdict, violations))
    return Report(results)
