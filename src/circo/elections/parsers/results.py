"""Streaming parser of the Ministère de l'Intérieur results per bureau de vote.

Three layouts are recognised, whatever the year (2012 → 2024), encoding or separator:

* ``blocks`` (format ``"wide"``): one row per bureau, station columns then a candidate block
  repeated once per candidate/list. The header may name only the first block (genuine Ministry
  ``.txt`` files), every block with a number (``N°Panneau_1``, ``Voix 2``…, 2022+ and re-saved
  files), and rows may carry a trailing empty column or provenance columns after the blocks.
* ``candidate_columns`` (format ``"wide"``): one row per bureau and one column of votes per
  candidate, named after the candidate (the "large" files of aktiur/resultats-electoraux).
* ``long`` (format ``"long"``): one row per candidate per bureau, station totals repeated on
  each row (data.gouv "format long", 2012/2014 ``N° tour;…;Nombre de voix du candidat``).
  Rows of one bureau must be contiguous.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from operator import itemgetter

from circo.elections.parsers.codes import commune_code as make_commune_code
from circo.elections.parsers.codes import (
    constituency_code,
    normalize_station_code,
    split_station_id,
)
from circo.elections.parsers.errors import ParseError, ParseWarning, WarningLog
from circo.elections.parsers.results_checks import complete_and_check
from circo.elections.parsers.results_detect import detect
from circo.elections.parsers.results_layout import (
    REQUIRED_HINT,
    BlockLayout,
)
from circo.elections.parsers.results_types import (
    Ballot,
    CandidateIdentity,
    CandidateVotes,
    ResultsFormat,
    StationResult,
    StationVotes,
)
from circo.elections.parsers.textio import CsvSource, PathArg, sniff_csv

SAMPLE_ROWS = 200

_SEX = {"M": "M", "F": "F", "H": "M", "MASCULIN": "M", "FEMININ": "F", "FÉMININ": "F",
        "HOMME": "M", "FEMME": "F"}  # fmt: skip
_IDENTITY_FIELDS = ("panel_number", "sex", "first_name", "last_name", "label", "list_short",
                    "list_long", "list_head", "pair_name")  # fmt: skip
_Getter = Callable[[list[str]], tuple[str, ...]]
# The totals `_station` hands to `StationResult`, in the order of its fields.
_TOTAL_FIELDS = ("registered", "abstentions", "voters", "blank", "null_votes", "valid_votes",
                 "blank_and_null")  # fmt: skip
_FRENCH = {
    "registered": "Inscrits", "abstentions": "Abstentions", "voters": "Votants",
    "blank": "Blancs", "null_votes": "Nuls", "valid_votes": "Exprimés",
    "blank_and_null": "Blancs et nuls", "round": "N° tour",
}  # fmt: skip


def _tuple_getter(indices: list[int]) -> _Getter:
    """``row → tuple of row[i] for i in indices`` in C (an `itemgetter`), even for 0 or 1 index."""
    if len(indices) > 1:
        getter: _Getter = itemgetter(*indices)
        return getter
    if indices:
        (index,) = indices
        return lambda row: (row[index],)
    return lambda row: ()


class ResultsParser:
    """Stream `StationResult`s from a results file; sniffing happens in the constructor.

    >>> parser = ResultsParser("PR17_BVot_T1_FE.txt")            # doctest: +SKIP
    >>> parser.info.format, parser.info.encoding                 # doctest: +SKIP
    ('wide', 'cp1252')
    >>> for station in parser: ...                               # doctest: +SKIP
    >>> parser.warnings[:1]                                      # doctest: +SKIP

    ``round`` keeps only that round when the file has a round column (both rounds in one file).
    Raises `ParseError` for a malformed file, at construction (header) or while iterating.
    """

    def __init__(
        self,
        path: PathArg,
        *,
        format: ResultsFormat | None = None,
        encoding: str | None = None,
        separator: str | None = None,
        round: int | None = None,
        max_warnings: int = 10_000,
    ) -> None:
        if format not in (None, "wide", "long"):
            raise ValueError(f"format « {format} » inconnu (attendu « wide » ou « long »)")
        self.path = path
        self.source: CsvSource = sniff_csv(path, encoding=encoding, separator=separator)
        self.round_filter = round
        self._log = WarningLog(max_warnings)
        self._commune_cache: dict[tuple[str, str], tuple[str, str]] = {}
        self._station_cache: dict[str, str] = {}
        header, sample = self._read_head()
        self.info, self._cols, self._candidate_columns = detect(
            path, self.source, header, sample, format
        )
        self._min_fields = self._minimum_fields()
        blocks = self._cols.blocks
        if blocks is not None and "votes" not in blocks.offsets:
            raise self._error(1, None, "bloc candidat sans colonne « Voix » ; " + REQUIRED_HINT)
        offsets = blocks.offsets if blocks is not None else {}
        self._identity_fields = [name for name in _IDENTITY_FIELDS if name in offsets]
        self._identity_offsets = [offsets[name] for name in self._identity_fields]
        self._votes_offset = offsets.get("votes", -1)
        self._getters: dict[int, Callable[[list[str]], tuple[str, ...]]] = {}
        self._identities: dict[tuple[str, ...], CandidateIdentity] = {}
        self._plans: dict[int, tuple[_Getter, _Getter]] = {}
        self._raw_ballots: dict[tuple[str, ...], int] = {}
        self._ballot_index: dict[Ballot, int] = {}
        self.ballots: list[Ballot] = []
        totals = [(name, index) for name, index in self._cols.totals.items() if index >= 0]
        names = [name for name, _ in totals]
        self._total_indices = [index for _, index in totals]
        self._totals_of = _tuple_getter(self._total_indices)
        # The file's totals read in `_total_indices` order, then None: each of `_TOTAL_FIELDS`
        # picks its value there, or the None when the file lacks it (one C call a bureau).
        self._pick_totals: Callable[[list[int | None]], tuple[int | None, ...]] = itemgetter(
            *[names.index(name) if name in names else len(names) for name in _TOTAL_FIELDS]
        )
        self._columns_of = _tuple_getter(self._candidate_columns)
        self._constituencies: dict[tuple[str, str, str], str | None] = {}

    # -- public ---------------------------------------------------------------------------

    @property
    def warnings(self) -> list[ParseWarning]:
        """Consistency warnings of the last iteration (at most ``max_warnings`` kept)."""
        return self._log.items

    @property
    def warning_count(self) -> int:
        return self._log.count

    @property
    def warning_lines(self) -> int:
        """Lines (bureaux) with at least one consistency warning in the last iteration."""
        return self._log.lines

    def __iter__(self) -> Iterator[StationResult]:
        ballots = self.ballots
        for compact in self.compact():
            station = compact.station
            station.candidates = [
                CandidateVotes(*identity, votes)
                for identity, votes in zip(ballots[compact.ballot], compact.votes, strict=True)
            ]
            yield station

    def compact(self) -> Iterator[StationVotes]:
        """Stream the bureaux without one object per candidate: each `StationVotes` names its
        ballot (an index into ``self.ballots``, shared by every row listing the same
        candidates) and carries the votes as a list of ints — the bulk import's path."""
        self._log = WarningLog(self._log.limit)
        self.info.rows = self.info.stations = 0
        rows = islice(self.source.rows(), 1, None)
        if self.info.layout == "long":
            yield from self._iter_long(rows)
        else:
            yield from self._iter_wide(rows)

    # -- detection ------------------------------------------------------------------------

    def _error(self, line: int | None, column: str | None, message: str) -> ParseError:
        return ParseError(self.path, line, column, message)

    def _read_head(self) -> tuple[list[str], list[tuple[int, list[str]]]]:
        rows = self.source.rows()
        try:
            _, header = next(rows)
        except StopIteration:
            raise self._error(1, None, "fichier vide (attendu une ligne d'en-tête)") from None
        sample = [(line, row) for line, row in islice(rows, SAMPLE_ROWS) if any(row)]
        rows.close()
        header = [name.replace("\ufeff", "").strip() for name in header]
        while header and not header[-1]:
            header.pop()
        return header, sample

    # -- streaming ------------------------------------------------------------------------

    def _int(self, line: int, row: list[str], index: int) -> int:
        text = row[index]
        try:
            return int(text)
        except ValueError:
            pass
        cleaned = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        if not cleaned:
            self._log.add(line, f"colonne « {self._column_name(index)} » vide, comptée 0")
            return 0
        try:
            number = float(cleaned.replace(",", "."))
        except ValueError:
            number = float("nan")
        if number.is_integer():
            return int(number)
        raise self._error(
            line,
            self._column_name(index),
            f"nombre invalide « {text} » (attendu un entier, ex. 1234)",
        )

    def _column_name(self, index: int) -> str:
        header = self.info.columns
        if index < len(header):
            return header[index]
        blocks = self._cols.blocks
        if blocks is not None and blocks.width:
            number = (index - blocks.start) // blocks.width + 1
            inner = (index - blocks.start) % blocks.width
            return f"{header[blocks.start + inner]} (bloc {number})"
        return f"n° {index + 1}"

    def _place(self, line: int, row: list[str]) -> tuple[str, str, str, str]:
        """``(department, commune, station_code, station_key)`` of a row."""
        cols = self._cols
        if cols.station_id >= 0 and (cols.commune < 0 or cols.station < 0):
            parts = split_station_id(row[cols.station_id])
            if parts is None:
                raise self._error(
                    line,
                    self.info.columns[cols.station_id],
                    f"identifiant de bureau invalide « {row[cols.station_id]} » "
                    "(attendu « code commune_bureau », ex. 75056_0101)",
                )
            commune, station = parts
            department_raw = row[cols.department] if cols.department >= 0 else ""
            department = make_commune_code(department_raw, commune)[0]
            return department, commune, station, f"{commune}_{station}"
        department_raw = row[cols.department] if cols.department >= 0 else ""
        commune_raw = row[cols.commune]
        cache_key = (department_raw, commune_raw)
        place = self._commune_cache.get(cache_key)
        if place is None:
            place = make_commune_code(department_raw, commune_raw)
            if len(place[1]) < 5:
                raise self._error(
                    line,
                    self.info.columns[cols.commune],
                    f"code commune « {commune_raw} » incomplet sans colonne département "
                    "(attendu un code INSEE à 5 caractères, ex. 75056)",
                )
            self._commune_cache[cache_key] = place
        station_raw = row[cols.station]
        code = self._station_cache.get(station_raw)
        if code is None:
            code = normalize_station_code(station_raw)
            if not code:
                raise self._error(line, self.info.columns[cols.station], "code bureau vide")
            self._station_cache[station_raw] = code
        return place[0], place[1], code, f"{place[1]}_{code}"

    def _station(self, line: int, row: list[str]) -> StationResult:
        cols = self._cols
        if len(row) < self._min_fields:
            raise self._error(
                line,
                None,
                f"ligne tronquée : {len(row)} colonnes, attendu au moins {self._min_fields} "
                f"(séparateur « {self.source.separator} »)",
            )
        department, commune, station_code, key = self._place(line, row)
        values: list[int | None]
        try:
            values = list(map(int, self._totals_of(row)))
        except ValueError:
            values = [self._int(line, row, index) for index in self._total_indices]
        values.append(None)
        registered, abstentions, voters, blank, null_votes, valid, combined = self._pick_totals(
            values
        )
        constituency = None
        if cols.constituency >= 0:
            department_raw = row[cols.department] if cols.department >= 0 else ""
            marker = (department, department_raw, row[cols.constituency])
            if marker in self._constituencies:
                constituency = self._constituencies[marker]
            else:
                constituency = constituency_code(*marker)
                self._constituencies[marker] = constituency
        round_number = None
        if cols.round >= 0:
            round_number = self._int(line, row, cols.round)
        return StationResult(  # positional: ≈ 3× faster than by keyword, once per bureau
            line,
            commune,
            row[cols.commune_name].strip() if cols.commune_name >= 0 else "",
            department,
            constituency,
            station_code,
            key,
            registered,
            abstentions,
            voters,
            blank,
            null_votes,
            valid or 0,
            [],
            round_number,
            combined,
        )

    def _minimum_fields(self) -> int:
        cols = self._cols
        indices = [cols.commune, cols.station, cols.station_id, *cols.totals.values()]
        if self.info.layout == "long" and cols.blocks is not None:
            indices.extend(cols.blocks.offsets.values())
        return max(indices) + 1

    def _identity(self, raw: tuple[str, ...]) -> CandidateIdentity:
        """Candidate fields (all but votes) from the raw identity columns of one block."""
        fields = dict(zip(self._identity_fields, (value.strip() for value in raw), strict=True))
        first, last = fields.get("first_name", ""), fields.get("last_name", "")
        short, full = fields.get("list_short", ""), fields.get("list_long", "")
        pair, panel = fields.get("pair_name", ""), fields.get("panel_number", "")
        sex = fields.get("sex", "")
        list_name = short or full or None
        return CandidateIdentity(
            int(panel) if panel.isdigit() else None,
            list_name or pair or (f"{first} {last}" if first else last),
            first,
            last or pair,
            (_SEX.get(sex) or _SEX.get(sex.upper()) or sex[:1].upper()) if sex else None,
            fields.get("label") or None,
            list_name,
            full or None,
            fields.get("list_head") or None,
        )

    def _getter(self, base: int) -> _Getter:
        """The raw identity columns of the block starting at ``base``."""
        getter = self._getters.get(base)
        if getter is None:
            getter = self._getters[base] = _tuple_getter(
                [base + offset for offset in self._identity_offsets]
            )
        return getter

    def _ballot(self, identities: Ballot) -> int:
        """Index of ``identities`` in ``self.ballots`` (registered on first sight)."""
        index = self._ballot_index.get(identities)
        if index is None:
            index = self._ballot_index[identities] = len(self.ballots)
            self.ballots.append(identities)
        return index

    def _candidate(
        self, line: int, row: list[str], base: int
    ) -> tuple[CandidateIdentity, int] | None:
        raw_votes = row[base + self._votes_offset]
        identity_raw = self._getter(base)(row)
        if not raw_votes.strip():
            if any(value.strip() for value in identity_raw[1:]):
                self._log.add(line, f"voix vides pour « {' '.join(identity_raw)} », ignoré")
            return None
        votes = self._int(line, row, base + self._votes_offset)
        identity = self._identities.get(identity_raw)
        if identity is None:
            if len(self._identities) > 500_000:
                self._identities.clear()
            identity = self._identities[identity_raw] = self._identity(identity_raw)
        return identity, votes

    def _iter_wide(self, rows: Iterable[tuple[int, list[str]]]) -> Iterator[StationVotes]:
        info = self.info
        blocks = self._cols.blocks
        seen: set[str] = set()
        pending: StationVotes | None = None
        previous_count = 0
        for line, row in rows:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            result = self._station(line, row)
            if blocks is not None:
                ballot, votes = self._wide_blocks(line, row, blocks)
            else:
                ballot, votes = self._wide_columns(line, row)
            info.rows += 1
            if result.station_key in seen:
                self._log.add(line, f"bureau {result.station_key} en double dans le fichier")
            seen.add(result.station_key)
            if pending is not None:
                yield pending
            previous_count = len(pending.votes) if pending is not None else 0
            pending = self._finish(StationVotes(result, ballot, votes))
        if pending is not None:
            if self.source.unterminated_last_line:
                self._check_last_row(pending, previous_count)
            yield pending

    def _check_last_row(self, compact: StationVotes, previous_count: int) -> None:
        """A last line without newline whose votes do not add up was cut: refuse the file."""
        result, total = compact.station, sum(compact.votes)
        if total != result.valid_votes or len(compact.votes) < previous_count:
            raise self._error(
                result.line,
                None,
                f"ligne tronquée : dernière ligne incomplète ({len(compact.votes)} candidats, "
                f"{total} voix pour {result.valid_votes} exprimés) — fichier coupé ?",
            )

    def _wide_blocks(self, line: int, row: list[str], blocks: BlockLayout) -> tuple[int, list[int]]:
        start, width = blocks.start, blocks.width
        end = len(row) - blocks.trailer
        while (end - start) % width and end > start and not row[end - 1].strip():
            end -= 1
        if end < start or (end - start) % width:
            raise self._error(
                line,
                None,
                f"ligne tronquée ou mal découpée : {max(end - start, 0)} colonnes de candidats "
                f"après « {self.info.columns[start - 1]} », attendu un multiple de {width} "
                f"(« {' ; '.join(self.info.columns[start : start + width])} »)",
            )
        plan = self._plans.get(end)
        if plan is None:
            bases = range(start, end, width)
            identity_indices = [base + o for base in bases for o in self._identity_offsets]
            votes_indices = [base + self._votes_offset for base in bases]
            plan = self._plans[end] = (
                _tuple_getter(identity_indices),
                _tuple_getter(votes_indices),
            )
        raw_identity = plan[0](row)
        ballot = self._raw_ballots.get(raw_identity)
        if ballot is not None:  # the same candidates as a row already seen: all in C
            try:
                return ballot, list(map(int, plan[1](row)))
            except ValueError:
                pass
        identities: list[CandidateIdentity] = []
        votes: list[int] = []
        for base in range(start, end, width):
            candidate = self._candidate(line, row, base)
            if candidate is not None:
                identities.append(candidate[0])
                votes.append(candidate[1])
        ballot = self._ballot(tuple(identities))
        if len(votes) * width == end - start:  # no block skipped: the raw columns say it all
            if len(self._raw_ballots) > 100_000:
                self._raw_ballots.clear()
            self._raw_ballots[raw_identity] = ballot
        return ballot, votes

    def _wide_columns(self, line: int, row: list[str]) -> tuple[int, list[int]]:
        if not self.ballots:
            header = self.info.columns
            self._ballot(
                tuple(
                    CandidateIdentity(None, header[i], "", header[i], None, None, None, None, None)
                    for i in self._candidate_columns
                )
            )
        try:
            return 0, list(map(int, self._columns_of(row)))
        except (ValueError, IndexError):
            pass
        votes = []
        for index in self._candidate_columns:
            if index >= len(row):
                raise self._error(
                    line, self.info.columns[index], "ligne tronquée : colonne absente"
                )
            votes.append(self._int(line, row, index))
        return 0, votes

    def _iter_long(self, rows: Iterable[tuple[int, list[str]]]) -> Iterator[StationVotes]:
        """One row per candidate. The rows of a bureau after its first are read on a fast path
        (the same raw place and round columns as the row before, a candidate already met, votes
        that ``int`` reads); anything else goes through the full checks below."""
        info = self.info
        wanted_round = self.round_filter
        round_index = self._cols.round
        cols = self._cols
        place_indices = [
            i for i in (cols.department, cols.commune, cols.station, cols.station_id, round_index)
            if i >= 0
        ]  # fmt: skip
        place_of = _tuple_getter(place_indices)
        min_fields = max(self._min_fields, max(place_indices, default=-1) + 1)
        identity_of, votes_index, known = self._getter(0), self._votes_offset, self._identities
        rounds: dict[str, int] = {}  # raw round column → its number, when ``int`` reads it
        current: StationResult | None = None
        current_place: tuple[str, ...] | None = None
        identities: list[CandidateIdentity] = []
        votes: list[int] = []
        seen: set[tuple[int | None, str]] = set()
        filter_round = wanted_round is not None and round_index >= 0
        counted = 0  # rows of the wanted round (``info.rows``)
        for line, row in rows:
            # Fast path first: a further row of the current bureau (its place and round columns
            # as they were on the bureau's first row, which passed every check below).
            if len(row) >= min_fields and place_of(row) == current_place:
                identity = known.get(identity_of(row))
                if identity is not None:
                    try:
                        number = int(row[votes_index])
                    except ValueError:
                        pass
                    else:
                        counted += 1
                        identities.append(identity)
                        votes.append(number)
                        continue
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if filter_round and round_index < len(row):
                raw_round = row[round_index]
                row_round = rounds.get(raw_round)
                if row_round is None:
                    row_round = self._int(line, row, round_index)
                    if raw_round.strip().isdigit():
                        rounds[raw_round] = row_round
                if row_round != wanted_round:
                    continue
            counted += 1
            if len(row) >= min_fields and place_of(row) == current_place:
                pass  # the current bureau's row, with a new candidate or unusual votes
            elif current is None or not self._same_station(line, row, current):
                if current is not None:
                    yield self._finish(
                        StationVotes(current, self._ballot(tuple(identities)), votes)
                    )
                current = self._station(line, row)
                identities, votes = [], []
                marker = (current.round, current.station_key)
                if marker in seen:
                    raise self._error(
                        line,
                        None,
                        f"bureau {current.station_key} déjà vu plus haut : les lignes d'un même "
                        "bureau doivent se suivre (triez le fichier par bureau)",
                    )
                seen.add(marker)
                current_place = place_of(row)
            candidate = self._candidate(line, row, 0)
            if candidate is not None:
                identities.append(candidate[0])
                votes.append(candidate[1])
        info.rows = counted
        if current is not None:
            yield self._finish(StationVotes(current, self._ballot(tuple(identities)), votes))

    def _same_station(self, line: int, row: list[str], current: StationResult) -> bool:
        if len(row) < self._min_fields:
            return False  # let _station() report the short row
        key = self._place(line, row)[3]
        if key != current.station_key:
            return False
        round_index = self._cols.round
        return round_index < 0 or self._int(line, row, round_index) == current.round

    # -- derived values and checks --------------------------------------------------------

    def _finish(self, compact: StationVotes) -> StationVotes:
        info = self.info
        info.stations += 1
        info.department_codes.add(compact.station.department_code)
        complete_and_check(compact.station, sum(compact.votes), info.derived_fields, self._log)
        return compact


def read_results(
    path: PathArg,
    *,
    format: ResultsFormat | None = None,
    encoding: str | None = None,
    separator: str | None = None,
    round: int | None = None,
) -> ResultsParser:
    """Open a results file: returns the (iterable) `ResultsParser` with ``.info``."""
    return ResultsParser(path, format=format, encoding=encoding, separator=separator, round=round)
