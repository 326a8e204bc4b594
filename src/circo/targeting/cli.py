"""``circo ei …`` and ``circo target``: ecological inference, transfers and targeting."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from circo.cli_common import JsonOption, console, print_json

ei_app = typer.Typer(help="Inférence écologique et reports de voix / ecological inference.")


def _names(value: str, option: str) -> list[str]:
    from circo.targeting.errors import EIFileError

    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise EIFileError(f"liste vide (ex. {option} G1,G2)", loc=option)
    return names


@ei_app.command("fit")
def ei_fit(
    csv_file: Annotated[Path, typer.Option("--csv", help="Fichier CSV : une ligne par unité.")],
    groups: Annotated[str, typer.Option("--groups", help="Colonnes des groupes, ex. G1,G2.")],
    candidates: Annotated[
        str, typer.Option("--candidates", help="Colonnes des candidats, ex. C1,C2.")
    ],
    method: Annotated[
        str, typer.Option("--method", help="auto, em, md (hiérarchique), goodman ou lp.")
    ] = "auto",
    unit_column: Annotated[
        str | None, typer.Option("--unit-column", help="Colonne qui nomme les unités.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Graine aléatoire / random seed.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Estimer le vote de chaque groupe à partir des comptes par unité / fit an EI model."""
    from circo.analysis.ei.api import METHODS, ei_result_to_json, fit_ei
    from circo.analysis.errors import AnalysisError
    from circo.targeting.csvfile import read_count_table
    from circo.targeting.errors import EIFileError

    if method not in METHODS:
        raise EIFileError(
            f"méthode inconnue « {method} » (attendu : {', '.join(METHODS)})", loc="--method"
        )
    table = read_count_table(
        csv_file,
        groups=_names(groups, "--groups"),
        candidates=_names(candidates, "--candidates"),
        unit_column=unit_column,
    )
    try:
        estimator = fit_ei(
            table.groups,
            table.candidates,
            method=method,
            group_names=_names(groups, "--groups"),
            candidate_names=_names(candidates, "--candidates"),
            unit_names=table.units,
            random_state=seed,
        )
    except AnalysisError as exc:
        raise EIFileError(str(exc), loc=csv_file.name) from exc
    if as_json:
        print_json(ei_result_to_json(estimator))
    else:
        console.print(estimator.summary(), highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(ei_app, name="ei")
