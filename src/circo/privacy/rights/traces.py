"""Traces of a person outside the known tables: rows of any table whose text or JSON columns
mention them (found, or scrubbed to "[effacé]"), files under the data dir that mention them
(found, or cleaned), and the compaction of the SQLite file after an erasure."""

from __future__ import annotations

import logging
import os
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Engine, String, Text, cast, func, or_, select, update
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.models import Campaign
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.db import Base

logger = logging.getLogger(__name__)

ERASED = "[effacé]"
TABULAR_SUFFIXES = {".csv", ".tsv", ".jsonl", ".log"}
SKIPPED_FILES = {".secret_key"}


def _text_columns(table: Any) -> list[Any]:
    return [column for column in table.columns if isinstance(column.type, (String, Text, JSON))]


def _mentions(columns: list[Any], needles: list[str]) -> Any:
    """SQL condition: some column contains some needle (case-insensitive, LIKE-escaped)."""
    return or_(
        *(
            func.lower(cast(column, Text)).contains(needle.lower(), autoescape=True)
            for column in columns
            for needle in needles
        )
    )


def find_traces(
    session: Session, ctx: CampaignContext, needles: list[str], *, rows: bool = False
) -> dict[str, Any]:
    """Rows of this campaign, in every table, whose text or JSON columns contain a needle
    (case-insensitive). ``rows``: return the rows themselves, else their count."""
    found: dict[str, Any] = {}
    if not needles:
        return found
    for table in Base.metadata.sorted_tables:
        if "campaign_id" not in table.columns and table.name != "campaigns":
            continue
        columns = _text_columns(table)
        if not columns:
            continue
        scope = (
            Campaign.id == ctx.campaign_id
            if table.name == "campaigns"
            else campaign_filter(table.c, ctx)
        )
        query = select(table).where(scope, _mentions(columns, needles))
        result = session.execute(query).mappings().all()
        if result:
            found[table.name] = (
                [
                    {
                        key: (value.isoformat() if isinstance(value, (datetime, date)) else value)
                        for key, value in row.items()
                    }
                    for row in result
                ]
                if rows
                else len(result)
            )
    return found


def _scrub(value: Any, needles: list[str]) -> Any:
    if isinstance(value, str):
        result = value
        for needle in needles:
            index = result.lower().find(needle.lower())
            while index >= 0:
                result = result[:index] + ERASED + result[index + len(needle) :]
                index = result.lower().find(needle.lower(), index + len(ERASED))
        return result
    if isinstance(value, list):
        return [_scrub(item, needles) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, needles) for key, item in value.items()}
    return value


def scrub_database(
    session: Session,
    ctx: CampaignContext,
    needles: list[str],
    *,
    skip_tables: set[str] | frozenset[str] = frozenset(),
) -> dict[str, int]:
    """Replace every remaining occurrence of the needles in this campaign's rows (any table,
    text and JSON columns) by "[effacé]" — except in the tables the law requires to keep."""
    changed: dict[str, int] = {}
    if not needles:
        return changed
    for table in Base.metadata.sorted_tables:
        if "campaign_id" not in table.columns or "id" not in table.columns:
            continue
        if table.name in skip_tables:
            continue
        columns = _text_columns(table)
        if not columns:
            continue
        rows = (
            session.execute(
                select(table).where(campaign_filter(table.c, ctx), _mentions(columns, needles))
            )
            .mappings()
            .all()
        )
        for row in rows:
            values = {}
            for column in columns:
                original = row[column.key]
                scrubbed = _scrub(original, needles)
                if scrubbed != original:
                    if column.unique or any(
                        column.key in (c.name for c in index.columns)
                        for index in table.indexes
                        if index.unique
                    ):
                        scrubbed = f"{ERASED}-{row['id']}"
                    values[column.key] = scrubbed
            if values:
                session.execute(update(table).where(table.c.id == row["id"]).values(**values))
                changed[table.name] = changed.get(table.name, 0) + 1
    session.flush()
    return changed


def _database_files(settings: Settings) -> set[Path]:
    if not settings.is_sqlite:
        return set()
    path = Path(settings.effective_database_url.removeprefix("sqlite:///")).resolve()
    return {
        path,
        path.with_name(path.name + "-wal"),
        path.with_name(path.name + "-shm"),
        path.with_name(path.name + "-journal"),
    }


_SEPARATORS = re.compile(r"[\s;,|\"']+")


def _flat(text: str) -> str:
    return _SEPARATORS.sub(" ", text.lower())


def _contains(text: str, needles: list[str]) -> bool:
    flat = _flat(text)
    return any(_flat(needle) in flat for needle in needles)


def scan_data_dir(
    settings: Settings,
    needles: list[str],
    *,
    apply: bool,
    skip_dirs: list[str] | tuple[str, ...] = (),
) -> dict[str, list[str]]:
    """Files under the data dir that mention the person; with ``apply``, clean them: tabular
    files (CSV, TSV, JSON lines, logs) lose the lines, spreadsheets the rows that mention the
    person; any other file (e-mails, PDFs, JSON exports, documents) is a document about them
    and is deleted."""
    report: dict[str, list[str]] = {"deleted": [], "rewritten": []}
    if not needles or not settings.data_dir.is_dir():
        return report
    skip = _database_files(settings)
    kept = [(settings.data_dir / folder).resolve() for folder in skip_dirs]
    for root, _dirs, files in os.walk(settings.data_dir):
        if any(Path(root).resolve().is_relative_to(folder) for folder in kept):
            continue
        for name in files:
            path = Path(root) / name
            if name in SKIPPED_FILES or path.resolve() in skip:
                continue
            action = _clean_file(path, needles, apply=apply)
            if action:
                report[action].append(str(path.relative_to(settings.data_dir)))
    return report


def _clean_file(path: Path, needles: list[str], *, apply: bool) -> str | None:
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            return _clean_xlsx(path, needles, apply=apply)
        if suffix == ".pdf":
            return _clean_pdf(path, needles, apply=apply)
        content = path.read_bytes()
    except OSError:
        return None
    text = content.decode("utf-8", errors="ignore")
    if not _contains(text, needles) and not _contains(content.decode("latin-1"), needles):
        return None
    if suffix in TABULAR_SUFFIXES:
        if apply:
            kept = [line for line in text.splitlines(keepends=True) if not _contains(line, needles)]
            path.write_text("".join(kept), encoding="utf-8")
        return "rewritten"
    if apply:
        path.unlink()
    return "deleted"


def _clean_xlsx(path: Path, needles: list[str], *, apply: bool) -> str | None:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path)
    except Exception:  # not a readable workbook: treat as bytes
        return None
    touched = False
    for sheet in workbook.worksheets:
        for row_index in range(sheet.max_row, 0, -1):
            values = [str(cell.value) for cell in sheet[row_index] if cell.value is not None]
            if _contains(" ".join(values), needles):
                touched = True
                if apply:
                    sheet.delete_rows(row_index)
    if touched and apply:
        workbook.save(path)
    return "rewritten" if touched else None


def _clean_pdf(path: Path, needles: list[str], *, apply: bool) -> str | None:
    from pypdf import PdfReader

    try:
        text = " ".join(page.extract_text() or "" for page in PdfReader(path).pages)
    except Exception:
        text = path.read_bytes().decode("latin-1")
    if not _contains(text, needles):
        return None
    if apply:
        path.unlink()
    return "deleted"


def compact_sqlite(engine: Engine) -> None:
    """After an erasure on SQLite: rewrite the file so deleted rows leave no bytes behind."""
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        driver.execute("VACUUM")
        driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()


def compact_after_commit(session: Session) -> None:
    """Compact the SQLite file once the erasure is committed (web and API paths; the CLI
    compacts after its own commit). A compaction that cannot run now — another connection is
    reading — is logged and left to the next erasure or retention run: the erasure itself is
    committed either way."""
    from circo.db import after_commit

    engine = session.get_bind()

    def compact() -> None:
        try:
            compact_sqlite(engine)  # type: ignore[arg-type]
        except Exception as exc:  # the commit already happened: never turn it into an error
            logger.warning("compaction SQLite après effacement reportée : %s", exc)

    after_commit(session, compact)
