"""Result dataclasses yielded by the results parser."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

ResultsFormat = Literal["wide", "long"]


@dataclass(slots=True)
class CandidateVotes:
    """Votes of one candidate (or list) in one bureau."""

    panel_number: int | None
    name: str  # "Prénom NOM", or the list label for list elections
    first_name: str
    last_name: str
    sex: str | None  # "M" / "F"
    label: str | None  # political label (nuance), e.g. "RN"
    list_name: str | None  # short list label ("Libellé Abrégé Liste") when lists
    list_full_name: str | None  # "Libellé Etendu Liste"
    head_of_list: str | None  # "Nom Tête de Liste"
    votes: int


class CandidateIdentity(NamedTuple):
    """Who a candidate block names (everything of `CandidateVotes` but the votes)."""

    panel_number: int | None
    name: str
    first_name: str
    last_name: str
    sex: str | None
    label: str | None
    list_name: str | None
    list_full_name: str | None
    head_of_list: str | None


Ballot = tuple[CandidateIdentity, ...]  # the candidates of one row, in the file's order


@dataclass(slots=True)
class StationResult:
    """Results of one bureau de vote. Totals the file does not give are None."""

    line: int
    commune_code: str  # INSEE, 5 characters ("75056", "2A004", "97101")
    commune_name: str
    department_code: str  # INSEE ("01", "2A", "971", "99" abroad)
    constituency_code: str | None  # "91-04"
    station_code: str  # normalised bureau code ("0001", "A3")
    station_key: str  # national key "75056_0001"
    registered: int | None
    abstentions: int | None
    voters: int | None
    blank: int | None
    null_votes: int | None
    valid_votes: int
    candidates: list[CandidateVotes]
    round: int | None = None  # only when the file has a round column
    # Blank + null ballots when the file does not tell them apart (blank and null_votes None):
    # européennes 2014, municipales 2014, every file before the 2014 law; else their sum.
    blank_and_null: int | None = None


@dataclass(slots=True)
class StationVotes:
    """One bureau in compact form, for bulk imports: its totals (``station.candidates`` left
    empty), the index of its ballot in `ResultsParser.ballots` and the votes, in ballot order."""

    station: StationResult
    ballot: int
    votes: list[int]


@dataclass(slots=True)
class ResultsFileInfo:
    """What was detected about a results file (filled further while streaming)."""

    file: str
    format: ResultsFormat
    layout: Literal["blocks", "candidate_columns", "long"]
    encoding: str
    separator: str
    columns: list[str]
    block_width: int | None = None
    header_blocks: int = 0
    has_labels: bool = False
    has_lists: bool = False
    has_round: bool = False
    blank_and_null_combined: bool = False
    derived_fields: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    hints: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    stations: int = 0
    department_codes: set[str] = field(default_factory=set)
