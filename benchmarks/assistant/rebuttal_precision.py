"""Precision of the offline rebuttal verdicts on the claim sets of tests/assistant/claims/
(a fresh knowledge base written for the test, and the demo base).

    .venv/bin/python benchmarks/assistant/rebuttal_precision.py

Prints, per set, the number of claims, precision and recall of "contradicted" and "supported",
claims the base holds nothing on that still got a verdict ("invented"), decisive stances from a
document the claim is not about, every wrong verdict, and the mean time per claim.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(Path(__file__).parent)]

from _common import fresh_runtime, new_campaign  # noqa: E402
from tests.assistant.claim_eval import evaluate, load_claims, seed_fresh_base  # noqa: E402

from circo.assistant.demo import seed_demo  # noqa: E402
from circo.core.models import Campaign  # noqa: E402
from circo.core.tenancy import system_context  # noqa: E402

SETS = (
    ("fresh_claims.json", "fresh"),
    ("fresh_second_claims.json", "fresh"),
    ("demo_claims.json", "demo"),
)


def main() -> None:
    runtime = fresh_runtime()
    ids = {slug: new_campaign(runtime, slug).campaign_id for slug in ("fresh", "demo")}
    with runtime.session() as session:
        seed_fresh_base(session, system_context(session.get(Campaign, ids["fresh"])))
        seed_demo(session, system_context(session.get(Campaign, ids["demo"])), runtime.settings)
        session.commit()
    rows = []
    with runtime.session() as session:
        for name, slug in SETS:
            ctx = system_context(session.get(Campaign, ids[slug]))
            claims = load_claims(name)
            started = time.perf_counter()
            report = evaluate(session, ctx, claims, runtime.settings)
            elapsed = time.perf_counter() - started
            summary = {"set": name, **report.summary()}
            summary["ms_per_claim"] = round(1000 * elapsed / len(claims), 1)
            summary["wrong"] = [
                f"{row.claim} → {row.verdict} (attendu {row.expected})" for row in report.wrong()
            ]
            rows.append(summary)
    print(json.dumps(rows, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
