"""Cells of exported spreadsheets, safe to open: no formula injection (CSV and XLSX).

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as
a formula by Excel and LibreOffice when the CSV is opened (``=cmd|' /C calc'!A0``,
``+HYPERLINK(…)``, ``@SUM(…)``). Every export writes its cells through this module: in CSV such a
text gets a leading apostrophe (the spreadsheet shows it as text); in XLSX it is written as a
string cell, never a formula. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` with a leading apostrophe when it is a text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]


def safe_record(record: dict[str, Any]) -> dict[str, Any]:
    return {key: safe_cell(value) for key, value in record.items()}


def csv_text(headers: Sequence[str], rows: Iterable[Iterable[Any]], *, delimiter: str = ";") -> str:
    """A CSV document (headers then rows), every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(safe_row(headers))
    writer.writerows(safe_row(row) for row in rows)
    return buffer.getvalue()


def xlsx_bytes(sheet_name: str, headers: Sequence[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """An XLSX workbook of one sheet; texts are string cells, never formulas."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name)
    for row in [headers, *rows]:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # openpyxl would store "=…" as a formula
            cells.append(cell)
        sheet.append(cells)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
