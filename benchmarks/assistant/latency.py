"""Retrieval latency on a 10 000-passage knowledge base on SQLite (and recall@5 of the
evaluation set when the demo documents are drowned among those 10 000 synthetic passages).

    .venv/bin/python benchmarks/assistant/latency.py [--passages 10000]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fresh_runtime, new_campaign

from circo.assistant.demo import seed_demo
from circo.assistant.repository import count_documents
from circo.assistant.retrieval import search
from circo.assistant.segment import TextBuilder
from circo.assistant.service import DocumentMeta, add_text

EVAL_SET = json.loads((Path(__file__).resolve().parent / "eval_set.json").read_text("utf-8"))
PARAGRAPHS_PER_DOCUMENT = 10
WORDS_PER_PARAGRAPH = 120


def vocabulary() -> list[str]:
    folder = resources.files("circo") / "assistant" / "demo_data"
    text = " ".join(
        (folder / name).read_text("utf-8")
        for name in ("programme.md", "etude-emploi.md", "etude-logement.md", "etude-sante.md")
    )
    return re.findall(r"[A-Za-zÀ-ÿ']{3,}", text)


def synthetic_paragraph(rng: random.Random, words: list[str]) -> str:
    chosen = rng.choices(words, k=WORDS_PER_PARAGRAPH)
    sentences = [" ".join(chosen[index : index + 15]) for index in range(0, len(chosen), 15)]
    return " ".join(sentence.capitalize() + "." for sentence in sentences)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passages", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(42)
    words = vocabulary()
    runtime = fresh_runtime()
    ctx = new_campaign(runtime)
    started = time.perf_counter()
    with runtime.session() as session:
        seed_demo(session, ctx, runtime.settings)
        for number in range(args.passages // PARAGRAPHS_PER_DOCUMENT):
            builder = TextBuilder()
            for _ in range(PARAGRAPHS_PER_DOCUMENT):
                builder.add(synthetic_paragraph(rng, words))
            add_text(
                session,
                ctx,
                extracted=builder.build(),
                source=f"synthetic/{number}",
                meta=DocumentMeta(
                    title=f"Document synthétique {number}",
                    doc_type=rng.choice(["article", "study", "news"]),
                ),
            )
    print(f"indexing: {time.perf_counter() - started:.1f} s")
    queries = [item["query"] for item in EVAL_SET]
    queries += [" ".join(rng.sample(words, 2)) for _ in range(args.queries - len(queries))]
    timings = []
    recall_total = 0.0
    with runtime.session() as session:
        documents, passages = count_documents(session, ctx)
        for query in queries[:20]:
            search(session, ctx, query=query, limit=10)  # warm-up
        for query in queries:
            start = time.perf_counter()
            search(session, ctx, query=query, limit=10)
            timings.append((time.perf_counter() - start) * 1000)
        for item in EVAL_SET:
            texts = [hit.row.text for hit in search(session, ctx, query=item["query"], limit=5)]
            recall_total += sum(any(g in t for t in texts) for g in item["gold"]) / len(
                item["gold"]
            )
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"{documents} documents, {passages} passages, {len(timings)} queries (limit 10)")
    print(f"latency ms: p50 {statistics.median(timings):.1f}  p95 {p95:.1f}  max {timings[-1]:.1f}")
    print(
        f"recall@5 of the evaluation set among the synthetic passages: "
        f"{recall_total / len(EVAL_SET):.3f}"
    )
    runtime.close()


if __name__ == "__main__":
    main()
