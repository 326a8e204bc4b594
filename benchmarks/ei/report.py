"""Print the EI markdown table of docs/benchmarks.md from the benchmark's JSON lines.

.venv/bin/python benchmarks/ei/report.py /tmp/bench-ei/results.jsonl [/tmp/bench-ei/pyei.jsonl]
"""

from __future__ import annotations

import json
import sys

COLUMNS = [
    ("dataset", "{}"),
    ("tool", "{}"),
    ("method", "{}"),
    ("gmae_pp", "{:.2f}"),
    ("error_index_global", "{:.2f}"),
    ("error_index_units_mean", "{:.2f}"),
    ("unit_mae_pp", "{:.2f}"),
    ("coverage_global", "{:.0%}"),
    ("coverage_units", "{:.0%}"),
    ("max_rhat", "{:.3f}"),
    ("seconds", "{:.2f}"),
    ("cpu_seconds", "{:.1f}"),
    ("peak_rss_mb", "{:.0f}"),
]


def main() -> None:
    rows = []
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as handle:
            rows.extend(json.loads(line) for line in handle if line.startswith("{"))
    latest = {(row["dataset"], row["tool"], row["method"]): row for row in rows}  # last run wins
    rows = list(latest.values())
    print("| " + " | ".join(name for name, _ in COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for row in rows:
        cells = [fmt.format(row[name]) if name in row else "–" for name, fmt in COLUMNS]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
