"""Query services: results of any territory, turnout, shares, evolution, rankings, demographics.

Every function takes the session first and keyword-only arguments; results are aggregated from
the bureaux at query time (sums over an index range), so any level works the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from circo import labels
from circo.elections import repository as repo
from circo.elections.errors import ElectionNotFound, InvalidElection, TerritoryNotFound
from circo.elections.models import Candidate, Election, StationResult
from circo.elections.parties import matches_party
from circo.elections.results_query import CandidateResult as CandidateResult  # re-export
from circo.elections.results_query import TerritoryResults
from circo.elections.territories import (
    LEVEL_NAMES,
    PLM,
    TerritoryRef,
    check_round,
    parse_election_key,
    parse_territory,
)

COUNT_INDICATOR = re.compile(r"^[A-Z]\d{2}_")  # INSEE census counts: P15_POP, C11_POP15P_CS3…
BASE_INDICATORS = {
    "turnout": "Participation (votants / inscrits)",
    "abstention_rate": "Abstention (abstentions / inscrits)",
    "blank_rate": "Blancs (blancs / votants)",
    "null_rate": "Nuls (nuls / votants)",
    "blank_and_null_rate": "Blancs et nuls (blancs et nuls / votants)",
    "registered": "Inscrits",
    "voters": "Votants",
    "valid_votes": "Exprimés",
}


def candidate_name(candidate: Candidate) -> str:
    return candidate.display_name


def ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def get_election(session: Session, *, key: str, round_number: int) -> Election:
    ref = parse_election_key(key)
    check_round(round_number)
    election = repo.find_election(session, key=ref.key, round_number=round_number)
    if election is None:
        known = ", ".join(f"{e.key} tour {e.round}" for e in repo.list_elections(session)[:8])
        raise ElectionNotFound(
            f"élection {ref.key} tour {round_number} non importée"
            + (
                f" ; disponibles : {known}"
                if known
                else " ; importez-la avec `circo import results FICHIER --election ID --round N`"
            ),
            loc="--election",
        )
    return election


def list_elections(session: Session) -> list[dict[str, Any]]:
    return [
        {
            "election": e.key,
            "round": e.round,
            "type": e.election_type,
            "year": e.year,
            "date": e.held_on.isoformat() if e.held_on else None,
            "name": e.name,
            "stations": e.stations,
            "warnings": e.warnings,
            "source_file": e.source_file,
        }
        for e in repo.list_elections(session)
    ]


def election_title(session: Session, *, key: str, round_number: int, language: str = "fr") -> str:
    """ "Présidentielle 2022 — 1er tour" (the key when the election has no name; the round in
    the page's ``language``, the name as imported)."""
    election = repo.find_election(session, key=key, round_number=round_number)
    name = election.name if election is not None and election.name else key
    return labels.election_title(name, round_number, language)


def territory_results(
    session: Session, *, territory: str | TerritoryRef, key: str, round_number: int
) -> TerritoryResults:
    """Totals and candidates of any territory, aggregated from its bureaux."""
    ref = parse_territory(territory) if isinstance(territory, str) else territory
    election = get_election(session, key=key, round_number=round_number)
    results = repo.territory_results(session, election=election, ref=ref)
    if results is None:
        raise TerritoryNotFound(
            f"aucun bureau de vote pour {ref.key} dans {election.key} tour {election.round} ; "
            "vérifiez le code (ex. dep:69, com:69123, bv:69123_0101)",
            loc="TERRITOIRE",
        )
    return results


def place_names(session: Session, codes: Sequence[str]) -> dict[str, str]:
    """Commune codes → "Lyon (69123)" (the code alone when the commune is not imported)."""
    names = repo.commune_names(session, codes)
    return {code: f"{names[code]} ({code})" if code in names else code for code in codes}


def territory_label(session: Session, ref: TerritoryRef, language: str = "fr") -> str:
    """A human label: "Commune Lyon (69123)" ("Municipality Lyon (69123)" in English)."""
    from circo.i18n import translate

    if ref.level == "fr":
        return "France"
    found = repo.territory(session, ref.key)
    name = found.name if found and found.name else ""
    level = translate(language, LEVEL_NAMES[ref.level])
    return f"{level} {name} ({ref.code})" if name else f"{level} {ref.code}"


# --- indicators per bureau -------------------------------------------------------------------


def _matching_candidates(
    candidates: Sequence[Candidate], wanted: str, *, election_key: str = ""
) -> list[Candidate]:
    """Candidates named, labelled (nuance) or of the party (`circo.elections.parties`)
    ``wanted``."""
    folded = wanted.strip().casefold()
    return [
        c
        for c in candidates
        if folded
        in {
            (c.political_label or "").casefold(),
            c.last_name.casefold(),
            c.display_name.casefold(),
            c.list_name.casefold(),
            str(c.id),
        }
        or matches_party(election_key, wanted, label=c.political_label, list_name=c.name)
    ]


def indicator_label(indicator: str) -> str:
    if indicator in BASE_INDICATORS:
        return BASE_INDICATORS[indicator]
    kind, _, name = indicator.partition(":")
    if kind == "share":
        return f"{name} (% des exprimés)"
    if kind == "votes":
        return f"{name} (voix)"
    if kind == "demo":
        return f"{name} (INSEE, estimé par bureau)"
    return indicator


Parts = dict[str, tuple[float, float | None]]  # station_key → (numerator, denominator)

_RATIOS = {
    "turnout": ("voters", "registered"),
    "abstention_rate": ("abstentions", "registered"),
    "blank_rate": ("blank", "voters"),
    "null_rate": ("null_votes", "voters"),
    "blank_and_null_rate": ("blank_and_null", "voters"),
}


def _station_parts(
    session: Session, *, ref: TerritoryRef, election: Election, indicator: str
) -> tuple[list[StationResult], Parts]:
    """Each bureau's numerator and denominator of ``indicator`` (None: an absolute value)."""
    stations = list(repo.station_rows(session, election_id=election.id, ref=ref))
    kind, _, name = indicator.partition(":")
    if indicator in _RATIOS:
        top, bottom = _RATIOS[indicator]
        if any(getattr(s, top) is None for s in stations):
            raise InvalidElection(
                f"{election.key} tour {election.round} : le fichier importé ne distingue pas "
                "les blancs des nuls (blancs et nuls non distingués) ; attendu "
                "l'indicateur blank_and_null_rate",
                loc="indicateur",
            )
        return stations, {s.station_key: (getattr(s, top), getattr(s, bottom)) for s in stations}
    if indicator in BASE_INDICATORS:
        return stations, {s.station_key: (getattr(s, indicator), None) for s in stations}
    if kind in ("share", "votes") and name:
        matched = _matching_candidates(
            repo.candidates_of(session, election_id=election.id), name, election_key=election.key
        )
        if not matched:
            raise InvalidElection(
                f"candidat ou nuance « {name} » absent de {election.key} tour {election.round} ; "
                "attendu un nom (ex. MACRON), une nuance (ex. RN) ou un parti (ex. "
                "Rassemblement national)",
                loc="indicateur",
            )
        votes = repo.station_candidate_votes(
            session, election_id=election.id, ref=ref, candidate_ids=[c.id for c in matched]
        )
        return stations, {
            s.station_key: (
                votes.get(s.station_key, 0),
                s.valid_votes if kind == "share" else None,
            )
            for s in stations
        }
    raise InvalidElection(
        f"indicateur « {indicator} » inconnu ; attendu "
        + ", ".join(BASE_INDICATORS)
        + ", share:NOM, votes:NOM ou demo:COLONNE",
        loc="indicateur",
    )


def _value(numerator: float, denominator: float | None) -> float | None:
    if denominator is None:
        return float(numerator)
    return numerator / denominator if denominator else None


def station_indicator(
    session: Session,
    *,
    territory: str | TerritoryRef,
    key: str,
    round_number: int,
    indicator: str,
) -> dict[str, float | None]:
    """station_key → value of ``indicator`` for every bureau of the territory.

    ``indicator``: turnout, abstention_rate, blank_rate, null_rate, registered, voters,
    valid_votes, ``share:<label or name>``, ``votes:<label or name>``, ``demo:<INSEE column>``.
    """
    ref = parse_territory(territory) if isinstance(territory, str) else territory
    election = get_election(session, key=key, round_number=round_number)
    kind, _, name = indicator.partition(":")
    if kind == "demo" and name:
        stations = repo.station_rows(session, election_id=election.id, ref=ref)
        demographics = stations_demographics(session, [s.station_key for s in stations])
        return {s.station_key: demographics.get(s.station_key, {}).get(name) for s in stations}
    _, parts = _station_parts(session, ref=ref, election=election, indicator=indicator)
    return {k: _value(top, bottom) for k, (top, bottom) in parts.items()}


def commune_indicator(
    session: Session,
    *,
    territory: str | TerritoryRef,
    key: str,
    round_number: int,
    indicator: str,
) -> dict[str, float | None]:
    """commune (and arrondissement) code → value of ``indicator``, summed from the bureaux."""
    ref = parse_territory(territory) if isinstance(territory, str) else territory
    election = get_election(session, key=key, round_number=round_number)
    kind, _, name = indicator.partition(":")
    if kind == "demo" and name:
        communes = repo.communes_in(session, ref)
        return {
            code: territory_demographics(session, territory=TerritoryRef("com", code)).get(name)
            for code in communes
        }
    stations, parts = _station_parts(session, ref=ref, election=election, indicator=indicator)
    sums: dict[str, list[float]] = {}
    for station in stations:
        top, bottom = parts[station.station_key]
        for code in (station.commune_code, station.arrondissement_code):
            if code:
                pair = sums.setdefault(code, [0.0, 0.0])
                pair[0] += top
                pair[1] += bottom or 0
    absolute = all(bottom is None for _, bottom in parts.values())
    return {code: _value(top, None if absolute else bottom) for code, (top, bottom) in sums.items()}


@dataclass
class RankedStation:
    station_key: str
    value: float
    registered: int


def rank_stations(
    session: Session,
    *,
    territory: str | TerritoryRef,
    key: str,
    round_number: int,
    indicator: str,
    descending: bool = True,
    limit: int | None = None,
) -> list[RankedStation]:
    """Bureaux of the territory ordered by ``indicator`` (see `station_indicator`)."""
    ref = parse_territory(territory) if isinstance(territory, str) else territory
    values = station_indicator(
        session, territory=ref, key=key, round_number=round_number, indicator=indicator
    )
    election = get_election(session, key=key, round_number=round_number)
    registered = {
        s.station_key: s.registered
        for s in repo.station_rows(session, election_id=election.id, ref=ref)
    }
    ranked = [
        RankedStation(station_key=k, value=v, registered=registered.get(k, 0))
        for k, v in values.items()
        if v is not None
    ]
    ranked.sort(key=lambda r: (-r.value if descending else r.value, r.station_key))
    return ranked[:limit] if limit else ranked


# --- evolution between two elections ----------------------------------------------------------


@dataclass
class StationChange:
    station_key: str
    turnout_a: float | None
    turnout_b: float | None

    @property
    def turnout_change(self) -> float | None:
        if self.turnout_a is None or self.turnout_b is None:
            return None
        return self.turnout_b - self.turnout_a


@dataclass
class Evolution:
    territory: str
    election_a: str
    election_b: str
    matched: int
    only_in_a: list[str]
    only_in_b: list[str]
    totals_a: dict[str, int | None]
    totals_b: dict[str, int | None]
    shares_a: dict[str, float]
    shares_b: dict[str, float]
    stations: list[StationChange]

    @property
    def turnout_a(self) -> float | None:
        return ratio(self.totals_a["voters"] or 0, self.totals_a["registered"] or 0)

    @property
    def turnout_b(self) -> float | None:
        return ratio(self.totals_b["voters"] or 0, self.totals_b["registered"] or 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "territory": self.territory,
            "election_a": self.election_a,
            "election_b": self.election_b,
            "matched_stations": self.matched,
            "unmatched": {"only_in_a": self.only_in_a, "only_in_b": self.only_in_b},
            "totals_a": self.totals_a,
            "totals_b": self.totals_b,
            "turnout_a": self.turnout_a,
            "turnout_b": self.turnout_b,
            "shares_a": self.shares_a,
            "shares_b": self.shares_b,
        }


def _group_name(candidate: Candidate) -> str:
    return candidate.political_label or candidate.display_name


def evolution(
    session: Session,
    *,
    territory: str | TerritoryRef,
    a: tuple[str, int],
    b: tuple[str, int],
) -> Evolution:
    """Compare two election rounds on the bureaux present in both (same keys).

    Shares are grouped by political label when the file has one, else by candidate/list name;
    bureaux present in only one of them are listed, not counted.
    """
    ref = parse_territory(territory) if isinstance(territory, str) else territory
    first = get_election(session, key=a[0], round_number=a[1])
    second = get_election(session, key=b[0], round_number=b[1])
    rows_a = {s.station_key: s for s in repo.station_rows(session, election_id=first.id, ref=ref)}
    rows_b = {s.station_key: s for s in repo.station_rows(session, election_id=second.id, ref=ref)}
    common = sorted(rows_a.keys() & rows_b.keys())
    return Evolution(
        territory=ref.key,
        election_a=f"{first.key}-t{first.round}",
        election_b=f"{second.key}-t{second.round}",
        matched=len(common),
        only_in_a=sorted(rows_a.keys() - rows_b.keys()),
        only_in_b=sorted(rows_b.keys() - rows_a.keys()),
        totals_a=_sum_totals(rows_a[k] for k in common),
        totals_b=_sum_totals(rows_b[k] for k in common),
        shares_a=_group_shares(session, first, ref, common),
        shares_b=_group_shares(session, second, ref, common),
        stations=[
            StationChange(
                station_key=k,
                turnout_a=ratio(rows_a[k].voters, rows_a[k].registered),
                turnout_b=ratio(rows_b[k].voters, rows_b[k].registered),
            )
            for k in common
        ],
    )


def _sum_totals(rows: Any) -> dict[str, int | None]:
    """Sums of the totals; blank or null is None when a bureau's file did not tell them apart
    (``blank_and_null`` then says what is known)."""
    names = (*repo.TOTAL_COLUMNS, "blank_and_null")
    sums: dict[str, int | None] = dict.fromkeys(names, 0)
    for row in rows:
        for name in names:
            value, total = getattr(row, name), sums[name]
            sums[name] = None if value is None or total is None else total + value
    return sums


def _group_shares(
    session: Session, election: Election, ref: TerritoryRef, stations: list[str]
) -> dict[str, float]:
    candidates = repo.candidates_of(session, election_id=election.id)
    keep = set(stations)
    valid = 0
    groups: dict[str, int] = {}
    for candidate in candidates:
        votes = repo.station_candidate_votes(
            session, election_id=election.id, ref=ref, candidate_ids=[candidate.id]
        )
        total = sum(v for k, v in votes.items() if k in keep)
        groups[_group_name(candidate)] = groups.get(_group_name(candidate), 0) + total
    for row in repo.station_rows(session, election_id=election.id, ref=ref):
        if row.station_key in keep:
            valid += row.valid_votes
    ordered = sorted(groups.items(), key=lambda item: -item[1])
    # A nuance with no vote in these bureaux does not clutter the comparison.
    return {name: votes / valid for name, votes in ordered if valid and votes > 0}


# --- demographics -----------------------------------------------------------------------------


def is_count_indicator(indicator: str) -> bool:
    """Census counts add up across IRIS; rates, medians and shares are averaged instead."""
    return bool(COUNT_INDICATOR.match(indicator))


def stations_demographics(
    session: Session, station_keys: Sequence[str]
) -> dict[str, dict[str, float]]:
    """station_key → {indicator: estimate} through the bureau ↔ IRIS correspondence.

    Counts: Σ iris_share × value. Other indicators (income median, rates): the mean of the IRIS
    values weighted by station_share, over the IRIS that have a value.
    """
    links = repo.station_iris(session, station_keys)
    values = repo.iris_values(session, sorted({link.iris_code for link in links}))
    estimates: dict[str, dict[str, float]] = {}
    weights: dict[tuple[str, str], float] = {}
    for link in links:
        target = estimates.setdefault(link.station_key, {})
        for indicator, by_iris in values.items():
            value = by_iris.get(link.iris_code)
            if value is None:
                continue
            if is_count_indicator(indicator):
                target[indicator] = target.get(indicator, 0.0) + link.iris_share * value
            else:
                target[indicator] = target.get(indicator, 0.0) + link.station_share * value
                pair = (link.station_key, indicator)
                weights[pair] = weights.get(pair, 0.0) + link.station_share
    for (station, indicator), weight in weights.items():
        if weight > 0:
            estimates[station][indicator] /= weight
    return estimates


def territory_demographics(session: Session, *, territory: str | TerritoryRef) -> dict[str, float]:
    """INSEE indicators of a territory: bureau through the correspondence, else IRIS sums."""
    ref = parse_territory(territory) if isinstance(territory, str) else territory
    if ref.level == "bv":
        return stations_demographics(session, [ref.code]).get(ref.code, {})
    communes = _communes_of(session, ref)
    iris = repo.iris_of_communes(session, communes)
    values = repo.iris_values(session, [i.code for i in iris])
    result: dict[str, float] = {}
    for indicator, by_iris in values.items():
        if not by_iris:
            continue
        total = sum(by_iris.values())
        result[indicator] = total if is_count_indicator(indicator) else total / len(by_iris)
    return result


def _communes_of(session: Session, ref: TerritoryRef) -> list[str]:
    if ref.level in ("com", "arr"):
        plm = PLM.get(ref.code)
        if plm:
            first, count = plm
            return [ref.code, *(str(int(first) + i) for i in range(count))]
        return [ref.code]
    communes = repo.communes_in(session, ref)
    return sorted(
        {code for c in communes for code in _communes_of(session, TerritoryRef("com", c))}
    )


@dataclass(frozen=True)
class ReuPoint:
    """A REU address point of a bureau, in WGS84 (used by the field module to cut turfs)."""

    id: str
    station_key: str
    lat: float
    lon: float
    address_count: int


def reu_addresses(session: Session, *, station_keys: Sequence[str]) -> list[ReuPoint]:
    """The REU address points of these bureaux (keys like ``29039_0001``), WGS84 coordinates."""
    from pyproj import Transformer

    from circo.elections.parsers.codes import split_station_id, station_key

    normalised = []
    for key in station_keys:
        parts = split_station_id(key.strip())
        normalised.append(station_key(*parts) if parts else key.strip())
    rows = repo.reu_points(session, normalised)
    if not rows:
        return []
    to_wgs84 = Transformer.from_crs(2154, 4326, always_xy=True)
    lons, lats = to_wgs84.transform([row.x for row in rows], [row.y for row in rows])
    return [
        ReuPoint(
            id=str(row.id),
            station_key=row.station_key,
            lat=float(lat),
            lon=float(lon),
            address_count=row.address_count,
        )
        for row, lon, lat in zip(rows, lons, lats, strict=True)
    ]
