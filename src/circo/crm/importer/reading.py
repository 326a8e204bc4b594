"""Reading an import file: a CSV (UTF-8 or Windows-1252, separator ; , tab or |) or an XLSX
workbook, into headers and padded rows (`ParsedFile`)."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from circo.crm.errors import ImportFileError

MAX_ROWS = 1_000_000


@dataclass
class ParsedFile:
    filename: str
    sha256: str
    headers: list[str]
    rows: list[list[str]]  # data rows; row i is line i + 2 of the file
    # where the rows came from when another tool's export was translated (`layouts`): carried
    # into the proof of each consent written
    provenance: dict[str, Any] = field(default_factory=dict)


def read_file(path: Path, *, filename: str | None = None) -> ParsedFile:
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"fichier illisible : {exc.strerror}", loc=str(path)) from exc
    return read_bytes(content, filename=filename or path.name)


def read_bytes(content: bytes, *, filename: str) -> ParsedFile:
    """Parse a CSV (UTF-8 or Windows-1252, separator ; , tab or |) or an XLSX file."""
    digest = hashlib.sha256(content).hexdigest()
    if filename.lower().endswith((".xlsx", ".xlsm")) or content[:4] == b"PK\x03\x04":
        headers, rows = _read_xlsx(content, filename)
    else:
        headers, rows = _read_csv(content, filename)
    return ParsedFile(filename=filename, sha256=digest, headers=headers, rows=rows)


def write_csv(parsed: ParsedFile, path: Path) -> None:
    """Write ``parsed`` as a UTF-8 CSV that `read_file` reads back unchanged."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(parsed.headers)
        writer.writerows(parsed.rows)


def _decode(content: bytes, filename: str) -> str:
    if b"\x00" in content[:4096]:
        raise ImportFileError(
            "fichier binaire ou UTF-16 non pris en charge (attendu un CSV UTF-8 ou un XLSX)",
            loc=filename,
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def _read_csv(content: bytes, filename: str) -> tuple[list[str], list[list[str]]]:
    text = _decode(content, filename)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if not first:
        raise ImportFileError("fichier vide : aucune ligne d'en-tête", loc=filename)
    delimiter = max(";,\t|", key=first.count)
    if first.count(delimiter) == 0:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        all_rows = list(reader)
    except csv.Error as exc:
        raise ImportFileError(f"CSV mal formé : {exc}", loc=filename) from exc
    return _table(all_rows, filename)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _read_xlsx(content: bytes, filename: str) -> tuple[list[str], list[list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportFileError(f"classeur XLSX illisible : {exc}", loc=filename) from exc
    try:
        sheet = workbook.worksheets[0]
        all_rows = [[_cell(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    while all_rows and all_rows[-1] and not any(all_rows[-1]):
        all_rows.pop()
    return _table(all_rows, filename)


def _table(all_rows: list[list[str]], filename: str) -> tuple[list[str], list[list[str]]]:
    start = next((index for index, row in enumerate(all_rows) if any(c.strip() for c in row)), None)
    if start is None:
        raise ImportFileError("fichier vide : aucune ligne d'en-tête", loc=filename)
    headers = [cell.strip() for cell in all_rows[start]]
    while headers and not headers[-1]:
        headers.pop()
    seen: set[str] = set()
    for position, header in enumerate(headers, start=1):
        if not header:
            raise ImportFileError(
                f"colonne {position} sans en-tête (attendu un nom de colonne, ex. « Nom »)",
                loc=f"{filename}, ligne {start + 1}",
            )
        if header in seen:
            raise ImportFileError(
                f"colonne « {header} » en double", loc=f"{filename}, ligne {start + 1}"
            )
        seen.add(header)
    rows: list[list[str]] = []
    width = len(headers)
    for offset, row in enumerate(all_rows[start + 1 :], start=start + 2):
        if not any(cell.strip() for cell in row):
            continue
        cells = list(row)
        while len(cells) > width and not cells[-1].strip():
            cells.pop()
        if len(cells) > width:
            raise ImportFileError(
                f"{len(cells)} valeurs pour {width} colonnes (séparateur ou guillemets mal "
                "placés ?)",
                loc=f"{filename}, ligne {offset}",
            )
        rows.append(cells + [""] * (width - len(cells)))
        if len(rows) > MAX_ROWS:
            raise ImportFileError(f"plus de {MAX_ROWS} lignes : découpez le fichier", loc=filename)
    return headers, rows
