"""Layout detection of a results file: which columns hold what, which of the three layouts
(candidate blocks, one column per candidate, one row per candidate) the rows follow, and which
totals must be derived. Raises `ParseError` on a header nothing can be made of."""

from __future__ import annotations

import difflib
from itertools import pairwise
from typing import Literal

from circo.elections.parsers.errors import ParseError
from circo.elections.parsers.results_hints import hints_from_name
from circo.elections.parsers.results_layout import (
    REQUIRED_HINT,
    STATION_SYNONYMS,
    BlockLayout,
    HeaderLayout,
    analyse_header,
    find_blocks,
)
from circo.elections.parsers.results_types import ResultsFileInfo, ResultsFormat
from circo.elections.parsers.textio import CsvSource, PathArg, fold

_TOTALS = ("registered", "abstentions", "voters", "blank", "null_votes", "valid_votes")


class Columns:
    """Resolved column indices (-1 when absent) and block layout for the row loop."""

    def __init__(self, layout: HeaderLayout, blocks: BlockLayout | None) -> None:
        get = layout.station.get
        self.department = get("department_code", -1)
        self.constituency = get("constituency_code", -1)
        self.commune = get("commune_code", -1)
        self.commune_name = get("commune_name", -1)
        self.station = get("station_code", -1)
        self.station_id = get("station_id", -1)
        self.round = get("round", -1)
        self.totals = {name: get(name, -1) for name in (*_TOTALS, "blank_and_null")}
        self.blocks = blocks


def detect(
    path: PathArg,
    source: CsvSource,
    header: list[str],
    sample: list[tuple[int, list[str]]],
    forced: ResultsFormat | None,
) -> tuple[ResultsFileInfo, Columns, list[int]]:
    layout = analyse_header(header)
    check_required(path, layout)
    check_totals(path, layout)
    blocks = find_blocks(layout)
    candidate_columns: list[int] = []
    if blocks is None:
        candidate_columns = candidate_columns_of(path, layout, sample)
        kind: Literal["blocks", "candidate_columns", "long"] = "candidate_columns"
    elif forced == "long" or (forced is None and looks_long(layout, blocks, sample)):
        kind = "long"
        blocks = BlockLayout(0, len(header), dict(layout.block), 1)
    else:
        kind = "blocks"
    if forced == "long" and kind != "long":
        raise ParseError(path, 1, None, "format « long » demandé mais aucune colonne « Voix »")
    info = ResultsFileInfo(
        file=str(path),
        format="long" if kind == "long" else "wide",
        layout=kind,
        encoding=source.encoding,
        separator=source.separator,
        columns=header,
        block_width=blocks.width if blocks and kind == "blocks" else None,
        header_blocks=blocks.header_blocks if blocks and kind == "blocks" else 0,
        has_labels="label" in layout.block,
        has_lists=bool({"list_short", "list_long"} & layout.block.keys()),
        has_round="round" in layout.station,
        blank_and_null_combined="blank_and_null" in layout.station,
    )
    info.derived_fields = derived_fields(layout)
    info.blank_and_null_combined |= "blank" in info.derived_fields
    used = set(candidate_columns)
    info.ignored_columns = [header[i] for i in layout.unknown if i not in used]
    info.hints = hints_from_name(str(path))
    if sample:
        hints_from_row(info, layout, sample[0][1])
    return info, Columns(layout, blocks), candidate_columns


def check_required(path: PathArg, layout: HeaderLayout) -> None:
    station = layout.station
    missing = []
    if "station_id" not in station:
        if "commune_code" not in station:
            missing.append("Code de la commune")
        if "station_code" not in station:
            missing.append("Code du b.vote")
    if not ({"registered", "voters", "valid_votes"} & station.keys() or layout.block):
        missing.append("Inscrits")
    if missing:
        names = ", ".join(f"« {name} »" for name in missing)
        seen = "; ".join(layout.header[:6])
        raise ParseError(
            path,
            1,
            None,
            f"en-tête non reconnu (colonnes manquantes : {names} ; reçu « {seen} … ») ; "
            f"{REQUIRED_HINT}",
        )


# The name of each total as the Ministry's files spell it (shown in errors).
TOTAL_NAMES = {
    "registered": "Inscrits",
    "abstentions": "Abstentions",
    "voters": "Votants",
    "blank": "Blancs",
    "null_votes": "Nuls",
    "blank_and_null": "Blancs et nuls",
    "valid_votes": "Exprimés",
}
_TOTAL_SPELLINGS = {
    synonym: name for name in TOTAL_NAMES for synonym in STATION_SYNONYMS[name]
}  # fmt: skip
CLOSE_MATCH = 0.8


def close_total(folded: str) -> str | None:
    """The total a column name looks like a misspelling of (``inscritz`` → registered)."""
    if not folded or folded.startswith("pct"):
        return None
    match = difflib.get_close_matches(folded, list(_TOTAL_SPELLINGS), n=1, cutoff=CLOSE_MATCH)
    return _TOTAL_SPELLINGS[match[0]] if match else None


def check_totals(path: PathArg, layout: HeaderLayout) -> None:
    """Refuse a header whose totals cannot be trusted: a column that looks like a misspelled
    total (it would be read as a candidate or ignored), or a required total missing.

    Required: « Inscrits »; « Votants » (or « Abstentions » to derive it); « Blancs » when
    « Nuls » is there (otherwise blank ballots would silently read 0)."""
    header, station = layout.header, layout.station
    for index in layout.unknown:
        total = close_total(fold(header[index]))
        if total is not None and total not in station:
            raise ParseError(
                path,
                1,
                header[index],
                f"colonne « {header[index]} » inconnue : « {TOTAL_NAMES[total]} » mal "
                f"orthographié ? (nom attendu le plus proche : « {TOTAL_NAMES[total]} ») ; "
                "corrigez l'en-tête, rien n'a été importé",
            )
    missing = []
    if "registered" not in station:
        missing.append("registered")
    if "voters" not in station and "abstentions" not in station:
        missing.append("voters")
    if "null_votes" in station and "blank" not in station and "blank_and_null" not in station:
        missing.append("blank")
    if missing:
        names = ", ".join(f"« {TOTAL_NAMES[name]} »" for name in missing)
        seen = "; ".join(header[:12])
        raise ParseError(
            path,
            1,
            TOTAL_NAMES[missing[0]],
            f"total obligatoire absent de l'en-tête : {names} (reçu « {seen} … ») ; "
            f"{REQUIRED_HINT}",
        )


def candidate_columns_of(
    path: PathArg, layout: HeaderLayout, sample: list[tuple[int, list[str]]]
) -> list[int]:
    last_station = max(layout.station.values())
    columns = [i for i in layout.unknown if i > last_station]
    for _line, row in sample[:5]:
        for index in columns:
            value = row[index].strip() if index < len(row) else ""
            if value and not value.lstrip("-").isdigit():
                columns = []
                break
        if not columns:
            break
    if not columns:
        raise ParseError(
            path,
            1,
            None,
            "en-tête non reconnu : aucune colonne de candidat (« N°Panneau ; Nom ; Voix » "
            f"ou une colonne de voix par candidat) ; {REQUIRED_HINT}",
        )
    return columns


def looks_long(
    layout: HeaderLayout, blocks: BlockLayout, sample: list[tuple[int, list[str]]]
) -> bool:
    if blocks.header_blocks > 1:
        return False
    width = len(layout.header)
    if any(len(row) > width + 1 for _, row in sample):
        return False
    keys = [sample_key(layout, row) for _, row in sample]
    return any(a == b for a, b in pairwise(keys))


def sample_key(layout: HeaderLayout, row: list[str]) -> tuple[str, ...]:
    wanted = ("department_code", "commune_code", "station_code", "station_id", "round")
    return tuple(row[layout.station[k]] for k in wanted if k in layout.station
                 if layout.station[k] < len(row))  # fmt: skip


def derived_fields(layout: HeaderLayout) -> list[str]:
    have = layout.station.keys()
    derived = []
    if "abstentions" not in have and {"registered", "voters"} <= have:
        derived.append("abstentions")
    if (
        "null_votes" not in have
        and "blank_and_null" not in have
        and {
            "voters",
            "blank",
            "valid_votes",
        }
        <= have
    ):
        derived.append("null_votes")
    if not {"blank", "null_votes", "blank_and_null"} & have and {"voters", "valid_votes"} <= have:
        derived += ["blank", "null_votes"]  # before 2014 blank ballots counted as null
    if "valid_votes" not in have:
        derived.append("valid_votes")
    if "voters" not in have and {"registered", "abstentions"} <= have:
        derived.append("voters")
    return derived


def hints_from_row(info: ResultsFileInfo, layout: HeaderLayout, row: list[str]) -> None:
    def cell(name: str) -> str:
        index = layout.station.get(name, -1)
        return row[index].strip() if 0 <= index < len(row) else ""

    if cell("election_type"):
        info.hints["election_type_raw"] = cell("election_type")
    if cell("round").isdigit():
        info.hints.setdefault("round", str(int(cell("round"))))
    if cell("department_code"):
        info.hints["first_department_code"] = cell("department_code")
