"""INSEE readers: IRIS tables (base-ic census files, FILOSOFI) and the COG.

IRIS tables keep every numeric indicator column under its INSEE code (``P15_POP``,
``C11_POP15P_CS3``, ``DISP_MED15``) plus a year-independent alias (``pop``, ``pop_15p_cs3``,
``disp_med``) so that vintages can be compared.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from circo.elections.parsers.errors import ParseError
from circo.elections.parsers.textio import CsvSource, PathArg, fold, parse_float, sniff_csv

IRIS_CODE_COLUMNS = ("iris", "code iris", "dcomiris", "iris code", "code iris insee", "codgeo")
COMMUNE_COLUMNS = ("com", "depcom", "insee com", "code commune", "codgeo com", "code insee")
# Identification / label columns of the base-ic files: never indicators, even if numeric.
NON_INDICATORS = frozenset({
    "iris", "code iris", "dcomiris", "codgeo", "reg", "dep", "uu2010", "uu2020", "com",
    "depcom", "libcom", "triris", "grd quart", "libiris", "typ iris", "modif iris", "lab iris",
    "libgeo", "nom iris", "nom com", "insee com", "arr", "arrondissement", "code commune",
    "libelle", "libelle commune", "libelle iris", "an", "annee",
})  # fmt: skip

_CENSUS = re.compile(r"^([PC])(\d{2})_(.+)$")
_FILOSOFI = re.compile(r"^((?:DISP|DEC|PMEN|PIMP|PPEN|PACT|NBMEN|NBPERS)[A-Z0-9_]*?)(\d{2})$")
_SPLIT_DIGITS = re.compile(r"(?<=[a-z])(?=\d)")


@dataclass(slots=True)
class IrisRecord:
    """One IRIS row: indicator code → value (None when secret / not available)."""

    line: int
    iris_code: str  # 9 characters, "751010101"
    commune_code: str  # 5 characters, "75101"
    values: dict[str, float | None]


@dataclass(slots=True)
class IrisTableInfo:
    file: str
    encoding: str
    separator: str
    iris_column: str
    indicators: list[str] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # alias → indicator code
    labels: list[str] = field(default_factory=list)  # non-numeric columns kept aside
    year: int | None = None


def indicator_alias(code: str, *, year_suffix: str | None = None) -> str:
    """Year-independent alias of an INSEE indicator code.

    ``"P17_POP"`` → ``"pop"``, ``"C17_POP15P_CS3"`` → ``"pop_15p_cs3"``,
    ``"DISP_MED15"`` → ``"disp_med"`` (with ``year_suffix="15"``).
    """
    upper = code.upper()
    census = _CENSUS.match(upper)
    if census:
        stem, *qualifiers = census.group(3).lower().split("_")
        return "_".join([_SPLIT_DIGITS.sub("_", stem, count=1), *qualifiers])
    if year_suffix and upper.endswith(year_suffix) and _FILOSOFI.match(upper):
        return upper[: -len(year_suffix)].lower()
    return fold(code).replace(" ", "_")


def _filosofi_year(codes: list[str]) -> str | None:
    suffixes = {m.group(2) for code in codes if (m := _FILOSOFI.match(code.upper()))}
    return suffixes.pop() if len(suffixes) == 1 else None


class IrisTableReader:
    """Stream `IrisRecord`s from an INSEE IRIS table (``;`` or ``,``, decimal comma or point).

    >>> reader = IrisTableReader("base-ic-evol-struct-pop-2019.csv")   # doctest: +SKIP
    >>> reader.info.aliases["pop"]                                      # doctest: +SKIP
    'P19_POP'
    """

    def __init__(
        self, path: PathArg, *, encoding: str | None = None, separator: str | None = None
    ) -> None:
        self.path = path
        self.source: CsvSource = sniff_csv(path, encoding=encoding, separator=separator)
        rows = self.source.rows()
        try:
            _, header = next(rows)
            first = next((row for _, row in rows if any(row)), [])
        except StopIteration:
            raise ParseError(path, 1, None, "fichier vide (attendu un en-tête IRIS)") from None
        finally:
            rows.close()
        self.header = [name.replace("\ufeff", "").strip() for name in header]
        self.info = self._layout(first)

    def _layout(self, first: list[str]) -> IrisTableInfo:
        folded = [fold(name) for name in self.header]
        iris_index = next((folded.index(n) for n in IRIS_CODE_COLUMNS if n in folded), -1)
        if iris_index < 0:
            raise ParseError(
                self.path,
                1,
                None,
                "colonne du code IRIS introuvable (attendu « IRIS », « CODE_IRIS » ou "
                f"« DCOMIRIS » ; reçu « {'; '.join(self.header[:6])} … »)",
            )
        self._iris_index = iris_index
        communes = [folded.index(n) for n in COMMUNE_COLUMNS if n in folded]
        self._commune_index = next((i for i in communes if i != iris_index), -1)
        self._columns: list[tuple[int, str]] = []
        labels = []
        for index, name in enumerate(self.header):
            if not name or folded[index] in NON_INDICATORS or index == iris_index:
                continue
            value = first[index] if index < len(first) else ""
            try:
                parse_float(value)
            except ValueError:
                labels.append(name)
                continue
            self._columns.append((index, name))
        codes = [name for _, name in self._columns]
        year = _filosofi_year(codes)
        aliases: dict[str, str] = {}
        # Main-exploitation (P…) variables own the plain alias; a C… twin gets "c_" + alias.
        for code in sorted(codes, key=lambda code: code.upper().startswith("C")):
            alias = indicator_alias(code, year_suffix=year)
            if alias in aliases and code.upper().startswith("C"):
                alias = "c_" + alias
            aliases.setdefault(alias, code)
        census_years = {m.group(2) for c in codes if (m := _CENSUS.match(c.upper()))}
        year_digits = year or (census_years.pop() if len(census_years) == 1 else None)
        return IrisTableInfo(
            file=str(self.path),
            encoding=self.source.encoding,
            separator=self.source.separator,
            iris_column=self.header[iris_index],
            indicators=codes,
            aliases=aliases,
            labels=labels,
            year=2000 + int(year_digits) if year_digits else None,
        )

    def __iter__(self) -> Iterator[IrisRecord]:
        columns = self._columns
        for line, row in self.source.rows():
            if line == 1 or not any(row):
                continue
            if len(row) < len(self.header):
                raise ParseError(
                    self.path,
                    line,
                    None,
                    f"ligne tronquée : {len(row)} colonnes, attendu {len(self.header)}",
                )
            iris = normalize_iris_code(row[self._iris_index])
            commune = row[self._commune_index].strip() if self._commune_index >= 0 else ""
            values: dict[str, float | None] = {}
            for index, name in columns:
                try:
                    values[name] = parse_float(row[index])
                except ValueError:
                    raise ParseError(
                        self.path,
                        line,
                        name,
                        f"nombre invalide « {row[index]} » (attendu un nombre, ex. 12,5 ; ou « s »"
                        " pour le secret statistique)",
                    ) from None
            yield IrisRecord(line, iris, commune.zfill(5) if commune else iris[:5], values)


def normalize_iris_code(raw: str) -> str:
    """9-character IRIS code; a leading zero lost by a spreadsheet is restored."""
    code = raw.strip().upper()
    if code.isdigit() and len(code) == 8:
        code = code.zfill(9)
    return code


def read_iris_table(
    path: PathArg, *, encoding: str | None = None, separator: str | None = None
) -> IrisTableReader:
    """Open an IRIS table; iterate it for `IrisRecord`s, read ``.info`` for columns."""
    return IrisTableReader(path, encoding=encoding, separator=separator)


# -- COG ------------------------------------------------------------------------------------


@dataclass(slots=True)
class CogCommune:
    code: str  # INSEE commune code
    kind: str  # "COM", "ARM" (arrondissement municipal), "COMD" (déléguée), "COMA" (associée)
    name: str
    department_code: str
    region_code: str
    parent_code: str | None  # commune of an ARM/COMD/COMA


@dataclass(slots=True)
class CogDepartment:
    code: str
    region_code: str
    name: str
    capital: str


@dataclass(slots=True)
class CogRegion:
    code: str
    name: str
    capital: str


@dataclass(slots=True)
class CommuneMovement:
    """One row of the COG "mouvements des communes" table."""

    line: int
    change: int  # MOD: 31 fusion simple, 32 commune nouvelle, 33/34 fusion-association…
    date: str  # ISO date of effect
    kind_before: str
    code_before: str
    name_before: str
    kind_after: str
    code_after: str
    name_after: str


MERGER_CHANGES = frozenset({31, 32, 33, 34, 41, 50})
RESTORATION_CHANGES = frozenset({21})


class _Table:
    """Header-indexed access to a small COG CSV file."""

    def __init__(self, path: PathArg, required: tuple[str, ...]) -> None:
        self.path = path
        self.source = sniff_csv(path)
        self._rows = self.source.rows()
        try:
            _, header = next(self._rows)
        except StopIteration:
            raise ParseError(path, 1, None, "fichier vide") from None
        self.index = {fold(name).replace(" ", "_"): i for i, name in enumerate(header)}
        missing = [name for name in required if name not in self.index]
        if missing:
            raise ParseError(
                path,
                1,
                None,
                f"colonnes COG manquantes : {', '.join(m.upper() for m in missing)} "
                f"(reçu « {'; '.join(header[:8])} »)",
            )

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        for line, row in self._rows:
            if not any(row):
                continue
            yield (
                line,
                {name: row[i].strip() if i < len(row) else "" for name, i in self.index.items()},
            )


def read_cog_communes(path: PathArg) -> Iterator[CogCommune]:
    """COG communes (2019+ ``TYPECOM,COM,REG,DEP,…,LIBELLE,…,COMPARENT``; older files with a
    3-character ``COM`` inside ``DEP`` and ``NCCENR`` are accepted too)."""
    table = _Table(path, ("com", "dep"))
    for _, row in table.rows():
        code, dep = row["com"].upper(), row["dep"].upper()
        if len(code) < 5 and dep:
            code = (dep + code.zfill(3))[-5:] if len(dep) == 2 else dep + code.zfill(3)[-2:]
        name = row.get("libelle") or row.get("nccenr") or row.get("ncc", "")
        yield CogCommune(
            code=code,
            kind=(row.get("typecom") or "COM").upper(),
            name=name,
            department_code=dep,
            region_code=row.get("reg", ""),
            parent_code=row.get("comparent") or None,
        )


def read_cog_departments(path: PathArg) -> Iterator[CogDepartment]:
    table = _Table(path, ("dep", "reg"))
    for _, row in table.rows():
        yield CogDepartment(
            code=row["dep"].upper(),
            region_code=row["reg"],
            name=row.get("libelle") or row.get("nccenr", ""),
            capital=row.get("cheflieu", ""),
        )


def read_cog_regions(path: PathArg) -> Iterator[CogRegion]:
    table = _Table(path, ("reg",))
    for _, row in table.rows():
        yield CogRegion(
            code=row["reg"],
            name=row.get("libelle") or row.get("nccenr", ""),
            capital=row.get("cheflieu", ""),
        )


def read_commune_movements(path: PathArg) -> Iterator[CommuneMovement]:
    """Rows of the COG ``mvtcommune`` table (``MOD,DATE_EFF,TYPECOM_AV,COM_AV,…``)."""
    table = _Table(path, ("mod", "date_eff", "typecom_av", "com_av", "typecom_ap", "com_ap"))
    for line, row in table.rows():
        try:
            change = int(row["mod"])
        except ValueError:
            raise ParseError(
                path, line, "MOD", f"code de mouvement invalide « {row['mod']} »"
            ) from None
        yield CommuneMovement(
            line=line,
            change=change,
            date=row["date_eff"],
            kind_before=row["typecom_av"].upper(),
            code_before=row["com_av"].upper(),
            name_before=row.get("libelle_av") or row.get("nccenr_av", ""),
            kind_after=row["typecom_ap"].upper(),
            code_after=row["com_ap"].upper(),
            name_after=row.get("libelle_ap") or row.get("nccenr_ap", ""),
        )


class CommuneMergerMap:
    """Old commune code → current code, following mergers transitively (in date order).

    >>> mergers = read_commune_mergers("v_mvt_commune_2024.csv")       # doctest: +SKIP
    >>> mergers.resolve("01015")                                        # doctest: +SKIP
    '01015'
    """

    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping

    def resolve(self, code: str) -> str:
        seen = {code}
        while code in self.mapping:
            code = self.mapping[code]
            if code in seen:  # defensive: a cycle in the source table
                break
            seen.add(code)
        return code

    def __len__(self) -> int:
        return len(self.mapping)


def build_merger_map(
    movements: Iterator[CommuneMovement] | list[CommuneMovement],
) -> CommuneMergerMap:
    rows = sorted(movements, key=lambda movement: (movement.date, movement.line))
    mapping: dict[str, str] = {}
    for movement in rows:
        if movement.kind_before != "COM" or movement.kind_after != "COM":
            continue
        if movement.change in MERGER_CHANGES and movement.code_before != movement.code_after:
            mapping[movement.code_before] = movement.code_after
        elif movement.change in RESTORATION_CHANGES:
            mapping.pop(movement.code_after, None)
    merged = CommuneMergerMap(mapping)
    return CommuneMergerMap({old: merged.resolve(old) for old in mapping})


def read_commune_mergers(path: PathArg) -> CommuneMergerMap:
    """Old → current commune codes from the COG movements file."""
    return build_merger_map(list(read_commune_movements(path)))
