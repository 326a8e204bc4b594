"""CSV export of a targeting ranking (opens in LibreOffice/Excel: `;` separated, UTF-8 BOM)."""

from __future__ import annotations

import csv
import io
from typing import Any

CSV_COLUMNS = [
    "rank",
    "station",
    "score",
    "votes_per_100_doors",
    "mobilisation",
    "persuasion",
    "support_share",
    "abstention_rate",
    "registered",
    "reason",
]


def rows_to_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, delimiter=";", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return "\ufeff" + buffer.getvalue()
