"""Recall@5 of gold passages on the demo knowledge base, French analysis vs plain BM25, and
citation faithfulness of `ask` (share of quotes found verbatim in their stored passage).

    .venv/bin/python benchmarks/assistant/eval_retrieval.py
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fresh_runtime, new_campaign

from circo.assistant.analysis import plain_tokens
from circo.assistant.demo import seed_demo
from circo.assistant.models import Document, Passage
from circo.assistant.retrieval import bm25_scores, search
from circo.assistant.tasks import ask

EVAL_SET = json.loads((Path(__file__).resolve().parent / "eval_set.json").read_text("utf-8"))
K = 5


def baseline_ranking(passages: list[tuple[int, str]], query: str) -> list[int]:
    """Plain BM25 over lowercase words (no accent folding, elision, stop words, stemming)."""
    postings = []
    lengths = {}
    for passage_id, text in passages:
        counts = Counter(plain_tokens(text))
        lengths[passage_id] = sum(counts.values())
        postings += [(passage_id, term, tf, lengths[passage_id]) for term, tf in counts.items()]
    terms = plain_tokens(query)
    wanted = [row for row in postings if row[1] in set(terms)]
    average = sum(lengths.values()) / max(len(lengths), 1)
    scores, _ = bm25_scores(wanted, total=len(passages), average_length=average, query_terms=terms)
    return sorted(scores, key=lambda passage_id: (-scores[passage_id], passage_id))


def recall(found_texts: list[str], gold: list[str]) -> float:
    return sum(any(snippet in text for text in found_texts) for snippet in gold) / len(gold)


def main() -> None:
    runtime = fresh_runtime()
    ctx = new_campaign(runtime)
    with runtime.session() as session:
        seed_demo(session, ctx, runtime.settings)
    with runtime.session() as session:
        rows = session.execute(
            select(Passage.id, Passage.text, Passage.heading_path, Document.title).join(
                Document, Document.id == Passage.document_id
            )
        ).all()
        texts = {row[0]: row[1] for row in rows}
        indexed = [(row[0], f"{row[3]} {row[2]} {row[1]}") for row in rows]
        french_total = baseline_total = 0.0
        quotes = faithful = 0
        print(f"{'query':<38} {'french':>7} {'plain':>7}")
        for item in EVAL_SET:
            hits = search(session, ctx, query=item["query"], limit=K)
            french = recall([hit.row.text for hit in hits], item["gold"])
            plain_ids = baseline_ranking(indexed, item["query"])[:K]
            plain = recall([texts[passage_id] for passage_id in plain_ids], item["gold"])
            french_total += french
            baseline_total += plain
            print(f"{item['query']:<38} {french:>7.2f} {plain:>7.2f}")
            answer = ask(session, ctx, query=item["query"], settings=runtime.settings, limit=K)
            for point in answer.points:
                for citation in point.citations:
                    quotes += 1
                    faithful += citation.quote in texts[citation.row.passage_id]
    count = len(EVAL_SET)
    print(f"\n{count} queries, {len(rows)} passages")
    print(f"recall@{K} French analysis (circo): {french_total / count:.3f}")
    print(f"recall@{K} plain BM25 baseline:     {baseline_total / count:.3f}")
    print(f"citation faithfulness: {faithful}/{quotes} = {faithful / max(quotes, 1):.1%}")
    runtime.close()


if __name__ == "__main__":
    main()
