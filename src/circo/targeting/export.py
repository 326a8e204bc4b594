"""CSV export of a targeting ranking (opens in LibreOffice/Excel: `;` separated, UTF-8 BOM)."""

from __future__ import annotations

import csv
import io
from typing import Any

from circo.core.spreadsheet import safe_record

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
    writer.writerows(safe_record(row) for row in rows)
    return "\ufeff" + buffer.getvalue()
