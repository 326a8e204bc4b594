"""Ingestion of a 1 000-page PDF (generated with WeasyPrint, not timed) into SQLite: text
extraction (pypdf), segmentation, French analysis, postings, commit.

    .venv/bin/python benchmarks/assistant/ingest_pdf.py [--pages 1000]
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import sys
import time
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fresh_runtime, new_campaign

from circo.assistant.service import DocumentMeta, add_bytes


def generate(pages: int, target: Path) -> None:
    from weasyprint import HTML

    folder = resources.files("circo") / "assistant" / "demo_data"
    sentences = re.split(r"(?<=\.)\s+", (folder / "programme.md").read_text("utf-8"))
    sentences = [s.strip().lstrip("#").strip() for s in sentences if len(s) > 40]
    rng = random.Random(7)
    body = []
    for number in range(1, pages + 1):
        paragraphs = "".join(f"<p>{' '.join(rng.choices(sentences, k=4))}</p>" for _ in range(4))
        body.append(
            f'<section style="page-break-after: always"><h2>Page {number}</h2>'
            f"{paragraphs}</section>"
        )
    html = f"<html><body style='font-size: 10pt'>{''.join(body)}</body></html>"
    HTML(string=html).write_pdf(str(target))


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--pdf", type=Path, default=Path("/tmp/circo-bench-programme.pdf"))
    args = parser.parse_args()
    if not args.pdf.exists():
        started = time.perf_counter()
        generate(args.pages, args.pdf)
        print(f"generated {args.pdf} in {time.perf_counter() - started:.1f} s (not timed below)")
    from pypdf import PdfReader

    pages = len(PdfReader(str(args.pdf)).pages)
    runtime = fresh_runtime()
    ctx = new_campaign(runtime)
    data = args.pdf.read_bytes()
    started = time.perf_counter()
    cpu_started = _cpu_seconds()
    with runtime.session() as session:
        outcome = add_bytes(
            session,
            ctx,
            data=data,
            name=args.pdf.name,
            source=str(args.pdf),
            meta=DocumentMeta(doc_type="programme"),
        )
    elapsed = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_started
    print(
        f"{pages} pages, {len(data) / 1e6:.1f} MB → {outcome.passages} passages "
        f"in {elapsed:.1f} s wall ({pages / elapsed:.0f} pages/s), {cpu:.1f} s CPU "
        f"(all processes), status {outcome.status}"
    )
    runtime.close()


if __name__ == "__main__":
    main()
