"""What an imported results file says against what the command says and what circo knows.

* `check_claims`: the election type, year and round the file states (its name, a round or
  "type de scrutin" column, its ballots) against ``--election ID --round R``; a contradiction is
  refused naming both (``--force`` overrides).
* `check_consistency`: many bureaux breaking the arithmetic identities → refused.
* `coverage`: bureaux and départements of the file against the reference (bureaux of another
  imported election in the same départements; all départements for a national file) — a cut
  file is reported loudly.
* `inherit_constituencies`: a file without circonscriptions (européennes) takes each bureau's
  circonscription from another import of the same period.

Everything runs inside the import's transaction: a refusal rolls the whole import back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from circo.elections import territories as terr
from circo.elections.errors import ImportFailed
from circo.elections.models import CommuneMerger, Election, StationResult, Territory
from circo.elections.parsers.results import ResultsParser
from circo.elections.parsers.results_types import ResultsFileInfo
from circo.formatting import plural

# Values of the Ministry's "Type de scrutin" column that name an election type.
_SCRUTIN_TYPES = {
    "PR": "presidentielle",
    "PRE": "presidentielle",
    "LG": "legislatives",
    "LEG": "legislatives",
    "ER": "europeennes",
    "EU": "europeennes",
    "EUR": "europeennes",
    "MN": "municipales",
    "MUN": "municipales",
    "DP": "departementales",
    "CN": "departementales",
    "RG": "regionales",
}
# At most this share of the bureaux (and at least this many) may break an identity.
MAX_BAD_SHARE = 0.01
MAX_BAD_FLOOR = 10
# A file holding fewer bureaux than this share of the reference is reported as cut.
COVERAGE_ALERT = 0.95
NATIONAL_WORDS = ("fe", "france entiere", "france", "national", "nationale")


def _type_name(kind: str) -> str:
    return terr.ELECTION_NAMES.get(kind, kind).lower()


def file_claims(info: ResultsFileInfo, parser: ResultsParser | None = None) -> dict[str, str]:
    """Type, year and round the file states (from its name, columns and ballots)."""
    hints = info.hints
    claims: dict[str, str] = {}
    if "election_type" in hints:
        claims["election_type"] = hints["election_type"]
    raw = hints.get("election_type_raw", "").strip().upper()
    if raw in _SCRUTIN_TYPES:
        claims["election_type"] = _SCRUTIN_TYPES[raw]
    if "year" in hints:
        claims["year"] = hints["year"]
    if "round" in hints and not info.has_round:
        claims["round"] = hints["round"]
    return claims


def check_claims(
    info: ResultsFileInfo, *, key: str, round_number: int, force: bool, file_name: str
) -> None:
    """Refuse when the file's name or columns contradict ``--election``/``--round``."""
    ref = terr.parse_election_key(key)
    if ref.election_type == "europeennes" and round_number != 1:
        raise ImportFailed(
            f"les élections européennes n'ont qu'un tour ; reçu --round {round_number} "
            "(attendu --round 1)",
            loc="--round",
        )
    if force:
        return
    claims = file_claims(info)
    problems = []
    if claims.get("election_type", ref.election_type) != ref.election_type:
        problems.append(
            f"le fichier est une élection {_type_name(claims['election_type'])}, "
            f"--election {ref.key} une {_type_name(ref.election_type)}"
        )
    if claims.get("year", str(ref.year)) != str(ref.year):
        problems.append(f"le fichier date de {claims['year']}, --election {ref.key} de {ref.year}")
    if claims.get("round", str(round_number)) != str(round_number):
        problems.append(
            f"le fichier est le tour {claims['round']}, la commande --round {round_number}"
        )
    if problems:
        raise _contradiction(problems, file_name)


def check_ballots(
    parser: ResultsParser, *, key: str, round_number: int, force: bool, file_name: str
) -> None:
    """After the parse: the candidates of the file against the election type and round.

    A présidentielle has one national ballot (2 candidates in round 2); a législatives file has
    one ballot per circonscription."""
    if force:
        return
    ref = terr.parse_election_key(key)
    ballots = {frozenset((c.name, c.label) for c in ballot) for ballot in parser.ballots}
    candidates = {identity for ballot in ballots for identity in ballot}
    problems = []
    if ref.election_type == "presidentielle" and len(ballots) > 1:
        problems.append(
            f"le fichier présente {len(ballots)} listes de candidats différentes selon les "
            f"bureaux (législatives ou municipales ?), --election {ref.key} une présidentielle "
            "(un seul bulletin national)"
        )
    elif ref.election_type == "presidentielle" and candidates and not parser.info.has_round:
        file_round = 2 if len(candidates) == 2 else 1
        if file_round != round_number:
            problems.append(
                f"le fichier compte {len(candidates)} candidats (tour {file_round} d'une "
                f"présidentielle), la commande --round {round_number}"
            )
    if ref.election_type == "legislatives" and len(ballots) == 1 and parser.info.stations > 1:
        departments = len(parser.info.department_codes)
        if departments > 1:
            problems.append(
                f"le fichier présente les mêmes candidats dans {departments} départements "
                f"(présidentielle ou européennes ?), --election {ref.key} des législatives"
            )
    if problems:
        raise _contradiction(problems, file_name)


def _contradiction(problems: list[str], file_name: str) -> ImportFailed:
    return ImportFailed(
        f"{file_name} contredit la commande : {' ; '.join(problems)} ; vérifiez --election et "
        "--round (ou --force pour importer quand même) ; rien n'a été importé",
        loc="--election/--round",
    )


def check_consistency(parser: ResultsParser, *, stations: int, file_name: str) -> None:
    """Refuse a file whose bureaux break the arithmetic identities on many rows."""
    bad = parser.warning_lines
    limit = max(MAX_BAD_FLOOR, int(stations * MAX_BAD_SHARE))
    if bad > limit:
        examples = "; ".join(str(w) for w in parser.warnings[:3])
        raise ImportFailed(
            f"{bad} bureaux sur {stations} incohérents (votants ≠ blancs + nuls + exprimés, "
            f"Σ voix ≠ exprimés ou votants > inscrits ; au plus {limit} tolérés), ex. "
            f"{examples} ; vérifiez les colonnes du fichier, rien n'a été importé",
            loc=file_name,
        )


@dataclass
class Coverage:
    """Bureaux and départements of the file against the reference."""

    stations: int
    departments: list[str]
    reference: str | None = None  # "pres-2017 tour 1"
    expected_stations: int | None = None
    missing_departments: list[str] = field(default_factory=list)
    cog_communes: int | None = None  # communes the COG lists where the file covers a département
    missing_communes: int | None = None  # of those, the communes without any bureau in the file
    alert: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "stations": self.stations,
            "departments": len(self.departments),
            "reference": self.reference,
            "expected_stations": self.expected_stations,
            "missing_departments": self.missing_departments,
            "cog_communes": self.cog_communes,
            "missing_communes": self.missing_communes,
            "alert": self.alert,
        }


def _french_int(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


def claims_national(info: ResultsFileInfo, departments: set[str]) -> bool:
    """A national file: its name says so (``_FE``, « France entière »), or it spans more than
    half of the départements."""
    from circo.elections.parsers.textio import fold

    name = " " + fold(info.file.rsplit("/", 1)[-1]) + " "
    return any(f" {word} " in name for word in NATIONAL_WORDS) or len(departments) > 50


def coverage(
    session: Session, *, info: ResultsFileInfo, election_id: int, stations: int
) -> Coverage:
    """Compare the file with the bureaux of the most recent other import (same départements)
    and, for a national file, with every département."""
    departments = set(info.department_codes)
    result = Coverage(stations=stations, departments=sorted(departments))
    other = session.execute(
        select(Election.id, Election.key, Election.round, Election.stations)
        .where(Election.id != election_id, Election.stations > 0)
        .order_by(Election.year.desc(), Election.stations.desc(), Election.id.desc())
        .limit(1)
    ).first()
    national = claims_national(info, departments)
    if national:
        every = set(terr.DEPARTMENT_REGION)
        if other is not None:
            every |= set(
                session.scalars(
                    select(StationResult.department_code)
                    .where(StationResult.election_id == other.id)
                    .distinct()
                )
            )
        result.missing_departments = sorted(every - departments)
    if other is not None:
        expected = expected_stations(
            session, election_id=election_id, reference_id=other.id, national=national
        )
        result.reference = f"{other.key} tour {other.round}"
        result.expected_stations = expected
        if expected and stations < expected * COVERAGE_ALERT:
            result.alert = (
                f"{_french_int(stations)} bureaux sur {_french_int(expected)} attendus "
                f"(d'après {result.reference}) — fichier tronqué ?"
            )
    cog_note = _cog_coverage(session, election_id=election_id, result=result, national=national)
    if cog_note:
        result.alert = f"{result.alert} ; {cog_note}" if result.alert else cog_note
    if result.missing_departments and national:
        shown = ", ".join(result.missing_departments[:12])
        more = len(result.missing_departments) - 12
        note = (
            f"fichier national sans {len(result.missing_departments)} départements "
            f"({shown}{f' et {more} autres' if more > 0 else ''}) — fichier tronqué ?"
        )
        result.alert = f"{result.alert} ; {note}" if result.alert else note
    return result


def _cog_coverage(
    session: Session, *, election_id: int, result: Coverage, national: bool
) -> str | None:
    """Compare the file's communes with those INSEE's COG lists (when it was imported) in each
    département the file covers as a whole (half of the COG's communes or more, or a national
    file); an old commune code counts for the commune it merged into. Fills
    ``result.cog_communes`` / ``missing_communes``; returns an alert when too many are absent."""
    listed: dict[str, set[str]] = {}
    query = select(Territory.department_code, Territory.code).where(
        Territory.level == "com", Territory.source == "cog"
    )
    if not national:
        query = query.where(Territory.department_code.in_(result.departments))
    for department, code in session.execute(query):
        listed.setdefault(department or "", set()).add(code)
    if not listed:
        return None
    of_file = (
        select(StationResult.commune_code)
        .where(StationResult.election_id == election_id)
        .distinct()
    )
    in_file = set(session.scalars(of_file))
    merged: dict[str, str] = dict(
        session.execute(
            select(CommuneMerger.old_code, CommuneMerger.current_code).where(
                CommuneMerger.old_code.in_(of_file.scalar_subquery())
            )
        ).all()
    )
    present = {merged.get(code, code) for code in in_file}
    expected = missing = 0
    worst: list[tuple[int, str]] = []
    for department, communes in listed.items():
        have = len(communes & present)
        if not (national or have * 2 >= len(communes)):
            continue  # a file of a few communes of this département: nothing to expect
        expected += len(communes)
        missing += len(communes) - have
        if have < len(communes):
            worst.append((len(communes) - have, department))
    if not expected:
        return None
    result.cog_communes, result.missing_communes = expected, missing
    if missing <= expected * (1 - COVERAGE_ALERT):
        return None
    shown = ", ".join(f"{dep} : {count}" for count, dep in sorted(worst, reverse=True)[:6])
    return (
        f"{plural(missing, 'commune', 'communes')} sur {_french_int(expected)} listées par le "
        f"COG sans aucun bureau dans le fichier ({shown}) — fichier tronqué ?"
    )


def _communes(
    session: Session, election_id: int, departments: list[str] | None
) -> dict[str, dict[str, int]]:
    """département → commune → bureaux of one election (within ``departments`` if given)."""
    query = (
        select(StationResult.department_code, StationResult.commune_code, func.count())
        .where(StationResult.election_id == election_id)
        .group_by(StationResult.department_code, StationResult.commune_code)
    )
    if departments is not None:
        query = query.where(StationResult.department_code.in_(departments))
    found: dict[str, dict[str, int]] = {}
    for department, commune, count in session.execute(query):
        found.setdefault(department, {})[commune] = int(count)
    return found


def expected_stations(
    session: Session, *, election_id: int, reference_id: int, national: bool
) -> int:
    """Bureaux the file should hold according to the reference election: every bureau of a
    département the file covers as a whole (half of its communes or more, or a national file),
    else the bureaux of the communes it has (a file of one city is not a cut départemental
    file)."""
    mine = _communes(session, election_id, None)
    reference = _communes(session, reference_id, None if national else sorted(mine))
    expected = 0
    for department, communes in reference.items():
        have = mine.get(department, {})
        if national or len(have) * 2 >= len(communes):
            expected += sum(communes.values())
        else:
            expected += sum(count for code, count in communes.items() if code in have)
    return expected


def inherit_constituencies(
    session: Session, *, election_id: int, year: int
) -> tuple[str, int] | None:
    """Give the bureaux of an election without circonscriptions those of the import of the
    same period that has them (closest year, législatives first); returns (source, bureaux)."""
    own = session.scalar(
        select(func.count())
        .select_from(StationResult)
        .where(
            StationResult.election_id == election_id, StationResult.constituency_code.is_not(None)
        )
    )
    if own:
        return None  # the file had its own circonscriptions
    having = (
        select(StationResult.election_id)
        .where(StationResult.constituency_code.is_not(None))
        .distinct()
        .scalar_subquery()
    )
    candidates = session.execute(
        select(
            Election.id, Election.key, Election.round, Election.year, Election.election_type
        ).where(Election.id != election_id, Election.id.in_(having))
    ).all()
    if not candidates:
        return None
    source = min(
        candidates,
        key=lambda e: (abs(e.year - year), e.election_type != "legislatives", -e.year, e.round),
    )
    updated = session.execute(
        text(
            "UPDATE el_station_results SET constituency_code = ("
            "SELECT o.constituency_code FROM el_station_results o "
            "WHERE o.election_id = :source AND o.station_key = el_station_results.station_key) "
            "WHERE election_id = :target"
        ),
        {"source": source.id, "target": election_id},
    )
    del updated
    found = int(
        session.scalar(
            select(func.count())
            .select_from(StationResult)
            .where(
                StationResult.election_id == election_id,
                StationResult.constituency_code.is_not(None),
            )
        )
        or 0
    )
    return f"{source.key} tour {source.round}", found
