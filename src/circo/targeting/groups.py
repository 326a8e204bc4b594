"""Group behaviour: estimated vote of social groups (age, CSP, diploma) per election round.

INSEE counts per IRIS are carried to the bureaux by the elections domain
(`circo.elections.service.stations_demographics`, through the bureau ↔ IRIS weights); each
bureau then has group counts (rows) and its electorate by option (candidates, blank, null,
abstention: columns). An R×C ecological-inference fit gives the share of each group going to
each option. Group counts are census estimates of residents (foreigners and minors included
in some tables): they are rescaled to the bureau's registered voters by the estimator, so read
the result as "the behaviour of the electors who live like group G", not as a survey.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from circo.analysis.ei.api import ei_result_to_json, fit_ei
from circo.analysis.errors import AnalysisError
from circo.elections.service import stations_demographics
from circo.elections.territories import parse_territory
from circo.targeting.service import (
    StationTable,
    TargetingError,
    load_station_table,
    relabel,
    sampler_diagnostics,
)

VINTAGE = re.compile(r"^[A-Z](\d{2})_(.+)$")  # P15_POP1824 → ("15", "POP1824")

# Each set: a French title and families of (label, INSEE column without vintage), best first.
GROUP_SETS: dict[str, tuple[str, list[list[tuple[str, str]]]]] = {
    "cs": (
        "Catégorie socioprofessionnelle",
        [
            [
                ("Agriculteurs", "POP15P_CS1"),
                ("Artisans, commerçants", "POP15P_CS2"),
                ("Cadres", "POP15P_CS3"),
                ("Prof. intermédiaires", "POP15P_CS4"),
                ("Employés", "POP15P_CS5"),
                ("Ouvriers", "POP15P_CS6"),
                ("Retraités", "POP15P_CS7"),
                ("Autres inactifs", "POP15P_CS8"),
            ],
            [
                ("Agriculteurs", "ACT1564_CS1"),
                ("Artisans, commerçants", "ACT1564_CS2"),
                ("Cadres", "ACT1564_CS3"),
                ("Prof. intermédiaires", "ACT1564_CS4"),
                ("Employés", "ACT1564_CS5"),
                ("Ouvriers", "ACT1564_CS6"),
            ],
        ],
    ),
    "age": (
        "Âge",
        [
            [
                ("18-24 ans", "POP1824"),
                ("25-39 ans", "POP2539"),
                ("40-54 ans", "POP4054"),
                ("55-64 ans", "POP5564"),
                ("65-79 ans", "POP6579"),
                ("80 ans ou plus", "POP80P"),
            ],
            [
                ("15-29 ans", "POP1529"),
                ("30-44 ans", "POP3044"),
                ("45-59 ans", "POP4559"),
                ("60-74 ans", "POP6074"),
                ("75 ans ou plus", "POP75P"),
            ],
        ],
    ),
    "diploma": (
        "Diplôme",
        [
            [
                ("Sans diplôme ou CEP", "NSCOL15P_DIPLMIN"),
                ("BEPC, brevet", "NSCOL15P_BEPC"),
                ("CAP, BEP", "NSCOL15P_CAPBEP"),
                ("Bac", "NSCOL15P_BAC"),
                ("Bac+2", "NSCOL15P_SUP2"),
                ("Bac+3/4", "NSCOL15P_SUP34"),
                ("Bac+5 ou plus", "NSCOL15P_SUP5"),
            ],
            [
                ("Sans diplôme ou BEPC", "NSCOL15P_DIPLMIN"),
                ("CAP, BEP", "NSCOL15P_CAPBEP"),
                ("Bac", "NSCOL15P_BAC"),
                ("Supérieur", "NSCOL15P_SUP"),
            ],
        ],
    ),
}


def _latest_columns(available: set[str]) -> dict[str, str]:
    """Column without vintage → the most recent INSEE column holding it (C15 over C11)."""
    best: dict[str, tuple[str, str]] = {}
    for name in available:
        match = VINTAGE.match(name)
        if not match:
            continue
        year, stem = match.groups()
        if stem not in best or year > best[stem][0]:
            best[stem] = (year, name)
    return {stem: name for stem, (_, name) in best.items()}


def resolve_groups(variables: str, available: set[str]) -> list[tuple[str, str]]:
    """(label, INSEE column) of the groups asked: a set name (cs, age, diploma) or columns.

    ``variables`` is ``cs``, ``age`` or ``diploma`` (the first family whose columns were all
    imported wins), or explicit INSEE columns ``C11_POP15P_CS3,C11_POP15P_CS6``.
    """
    wanted = variables.strip()
    if wanted in GROUP_SETS:
        latest = _latest_columns(available)
        for family in GROUP_SETS[wanted][1]:
            if all(stem in latest for _, stem in family):
                return [(label, latest[stem]) for label, stem in family]
        expected = ", ".join(stem for _, stem in GROUP_SETS[wanted][1][0])
        raise TargetingError(
            f"données INSEE manquantes pour « {wanted} » (attendu les colonnes {expected}, "
            "toute année, ex. C19_POP15P_CS3) : importez le fichier INSEE par IRIS "
            "(circo import insee) et les contours (circo import geo)",
            loc="--variables",
        )
    columns = [name.strip() for name in wanted.split(",") if name.strip()]
    unknown = [name for name in columns if name not in available]
    if len(columns) < 2 or unknown:
        raise TargetingError(
            f"variables « {variables} » : attendu {', '.join(GROUP_SETS)} ou au moins deux "
            "colonnes INSEE importées (ex. C11_POP15P_CS3,C11_POP15P_CS6)"
            + (f" ; absentes : {', '.join(unknown)}" if unknown else ""),
            loc="--variables",
        )
    return [(name, name) for name in columns]


@dataclass
class GroupVoteResult:
    """The fit of group counts × electorate options on the bureaux of a territory."""

    election: str
    territory: str
    variables: str
    title: str
    columns_used: dict[str, str]
    fit: dict[str, Any]  # the ``circo ei fit`` JSON shape (method, global, intervals, units…)
    stations: int
    without_demographics: list[str] = field(default_factory=list)
    seconds: float = 0.0
    diagnostics: dict[str, Any] = field(default_factory=dict)

    @property
    def groups(self) -> list[str]:
        return list(self.fit["global"])

    @property
    def options(self) -> list[str]:
        first: dict[str, float] = next(iter(self.fit["global"].values()), {})
        return list(first)

    def as_dict(self, *, units: bool = True) -> dict[str, Any]:
        fit = dict(self.fit)
        if not units:
            fit.pop("units", None)
        return {
            "election": self.election,
            "territory": self.territory,
            "variables": self.variables,
            "title": self.title,
            "columns_used": self.columns_used,
            "stations": self.stations,
            "without_demographics": self.without_demographics,
            **fit,
            "seconds": round(self.seconds, 3),
            "diagnostics": self.diagnostics,
        }


def estimate_group_vote(
    session: Session,
    *,
    election: tuple[str, int],
    territory: str,
    variables: str = "cs",
    method: str = "auto",
    random_state: int = 0,
) -> GroupVoteResult:
    """Vote of each group (``variables``) in ``election`` over the bureaux of ``territory``.

    Bureaux with no demographic estimate (no bureau ↔ IRIS link) are left out and listed.
    """
    started = time.perf_counter()
    table, demographics = group_vote_inputs(session, election=election, territory=territory)
    return group_vote_from_inputs(
        table,
        demographics,
        territory=territory,
        variables=variables,
        method=method,
        random_state=random_state,
        started=started,
    )


def group_vote_inputs(
    session: Session, *, election: tuple[str, int], territory: str
) -> tuple[StationTable, dict[str, dict[str, float]]]:
    """What `estimate_group_vote` reads: the bureaux' results and their demographics."""
    table = load_station_table(
        session, election=election[0], round_number=election[1], territory=territory
    )
    return table, stations_demographics(session, table.keys)


def group_vote_from_inputs(
    table: StationTable,
    demographics: dict[str, dict[str, float]],
    *,
    territory: str,
    variables: str = "cs",
    method: str = "auto",
    random_state: int = 0,
    started: float | None = None,
) -> GroupVoteResult:
    """The fit of `estimate_group_vote` on loaded inputs: no database (a job runs it with no
    transaction open)."""
    started = time.perf_counter() if started is None else started
    available = {name for values in demographics.values() for name in values}
    groups = resolve_groups(variables, available)
    kept = [
        key
        for key in table.keys
        if sum(demographics.get(key, {}).get(column, 0.0) for _, column in groups) > 0
    ]
    if len(kept) < 2:
        raise TargetingError(
            f"trop peu de bureaux avec des données INSEE ({len(kept)}) sur {territory} : "
            "importez les contours des bureaux et des IRIS (circo import geo) ou le REU",
            loc="--territory",
        )
    matched = table.subset(kept)
    group_counts = np.array(
        [[demographics[key].get(column, 0.0) for _, column in groups] for key in kept]
    )
    try:
        options, option_names = matched.electorate()
        estimator = fit_ei(
            group_counts,
            options,
            method=method,
            group_names=[label for label, _ in groups],
            candidate_names=relabel(option_names),
            unit_names=kept,
            random_state=random_state,
        )
    except AnalysisError as exc:
        raise TargetingError(str(exc)) from exc
    title = GROUP_SETS[variables][0] if variables in GROUP_SETS else "Colonnes INSEE"
    return GroupVoteResult(
        election=f"{table.election}:{table.round}",
        territory=parse_territory(territory).key,
        variables=variables,
        title=title,
        columns_used=dict(groups),
        fit=ei_result_to_json(estimator),
        stations=len(kept),
        without_demographics=sorted(set(table.keys) - set(kept)),
        seconds=time.perf_counter() - started,
        diagnostics=sampler_diagnostics(estimator),
    )
