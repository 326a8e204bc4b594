"""INSEE's Code officiel géographique (COG): names and hierarchy of the territories, and commune
mergers so that old commune codes map to current ones.

``circo import insee FILE`` recognises the four COG tables by their header and imports them here:

* régions (``REG,CHEFLIEU,…,LIBELLE``) and départements (``DEP,REG,CHEFLIEU,…``): names, parents;
* communes (``TYPECOM,COM,REG,DEP,…,LIBELLE,…,COMPARENT``): communes (``com:``) and municipal
  arrondissements (``arr:``) with names and parents; communes déléguées and associées are
  recorded as merged into their parent commune;
* mouvements des communes (``MOD,DATE_EFF,TYPECOM_AV,COM_AV,…``): fusions and communes
  nouvelles followed transitively, restorations undone (`build_merger_map`). The history settles
  every commune it mentions: their previous mappings are replaced.

Each import is one transaction (the CLI's session): a malformed file changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from circo.elections.errors import ImportFailed
from circo.elections.importing import parse_error
from circo.elections.models import CommuneMerger, Territory
from circo.elections.parsers.errors import ParseError
from circo.elections.parsers.textio import (
    first_line,
    fold,
    read_sample,
    sniff_encoding,
    sniff_separator,
)

# Folded header columns that identify each COG table.
_SIGNATURES = {
    "movements": {"mod", "date_eff", "com_av", "com_ap"},
    "communes": {"typecom", "com", "dep"},
    "departments": {"dep", "reg", "cheflieu"},
    "regions": {"reg", "cheflieu"},
}
CHUNK = 500


def cog_table_kind(path: Path) -> str | None:
    """``"movements"``, ``"communes"``, ``"departments"``, ``"regions"`` or None (not COG)."""
    try:
        sample = read_sample(path)
        header = first_line(sample, sniff_encoding(sample))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    separator = sniff_separator(header) or ","
    columns = {fold(name.strip().strip('"')).replace(" ", "_") for name in header.split(separator)}
    for kind, signature in _SIGNATURES.items():
        if signature <= columns:
            return kind
    return None


def import_cog(session: Session, *, path: Path, kind: str) -> dict[str, Any]:
    """Import one COG table (`cog_table_kind` of the file) into the territories and mergers."""
    from circo.elections.parsers.insee import (
        build_merger_map,
        read_cog_communes,
        read_cog_departments,
        read_cog_regions,
        read_commune_movements,
    )

    try:
        if kind == "regions":
            rows = [
                _territory("reg", region.code, region.name, None, None)
                for region in read_cog_regions(path)
            ]
            return _report(path, kind, territories=_upsert_territories(session, rows))
        if kind == "departments":
            rows = [
                _territory("dep", dep.code, dep.name, f"reg:{dep.region_code}", dep.code)
                for dep in read_cog_departments(path)
            ]
            return _report(path, kind, territories=_upsert_territories(session, rows))
        if kind == "communes":
            rows = []
            merged: dict[str, str] = {}
            for commune in read_cog_communes(path):
                if commune.kind == "COM":
                    parent = f"dep:{commune.department_code}" if commune.department_code else None
                    rows.append(
                        _territory(
                            "com", commune.code, commune.name, parent, commune.department_code
                        )
                    )
                elif commune.kind == "ARM" and commune.parent_code:
                    rows.append(
                        _territory(
                            "arr",
                            commune.code,
                            commune.name,
                            f"com:{commune.parent_code}",
                            commune.department_code,
                        )
                    )
                elif commune.parent_code and commune.parent_code != commune.code:
                    merged[commune.code] = commune.parent_code  # COMD, COMA
            count = _upsert_territories(session, rows)
            _upsert_mergers(session, merged)
            return _report(path, kind, territories=count, mergers=len(merged))
        if kind == "movements":
            movements = list(read_commune_movements(path))
            mapping = build_merger_map(movements).mapping
            # Every commune the history mentions is settled by it (a restored commune maps to
            # nothing any more); mergers known from elsewhere stay.
            settled = sorted({m.code_before for m in movements} | {m.code_after for m in movements})
            for start in range(0, len(settled), CHUNK):
                chunk = settled[start : start + CHUNK]
                session.execute(delete(CommuneMerger).where(CommuneMerger.old_code.in_(chunk)))
            _upsert_mergers(session, mapping)
            return _report(path, kind, mergers=len(mapping))
    except ParseError as exc:
        raise parse_error(exc) from exc
    raise ImportFailed(f"table COG « {kind} » inconnue", loc=path.name)


def _territory(
    level: str, code: str, name: str, parent: str | None, department: str | None
) -> dict[str, Any]:
    return {
        "key": f"{level}:{code}",
        "level": level,
        "code": code,
        "name": name[:200],
        "parent_key": parent,
        "department_code": department,
        "source": "cog",
    }


def _upsert_territories(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert new territories; give existing ones the COG's name and parent."""
    if not rows:
        return 0
    by_key = {row["key"]: row for row in rows}
    keys = list(by_key)
    existing: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        existing.update(
            session.scalars(
                select(Territory.key).where(Territory.key.in_(keys[start : start + CHUNK]))
            )
        )
    new = [row for key, row in by_key.items() if key not in existing]
    for start in range(0, len(new), CHUNK):
        session.execute(insert(Territory), new[start : start + CHUNK])
    known = [row for key, row in by_key.items() if key in existing]
    if known:
        session.execute(update(Territory), known)
    return len(by_key)


def _upsert_mergers(session: Session, mapping: dict[str, str]) -> None:
    """Record old code → current code, replacing what was known of those old codes."""
    olds = list(mapping)
    for start in range(0, len(olds), CHUNK):
        session.execute(
            delete(CommuneMerger).where(CommuneMerger.old_code.in_(olds[start : start + CHUNK]))
        )
    rows = [{"old_code": old, "current_code": current} for old, current in mapping.items()]
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(CommuneMerger), rows[start : start + CHUNK])


def _report(path: Path, kind: str, *, territories: int = 0, mergers: int = 0) -> dict[str, Any]:
    return {"file": path.name, "cog_table": kind, "territories": territories, "mergers": mergers}
