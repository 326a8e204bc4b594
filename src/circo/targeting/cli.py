"""``circo ei …`` and ``circo target``: ecological inference, transfers and targeting."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from circo.cli_common import (
    CampaignOption,
    DataDirOption,
    JsonOption,
    campaign_session,
    console,
    print_json,
    runtime_for,
    stdout,
)

ei_app = typer.Typer(help="Inférence écologique et reports de voix / ecological inference.")


def print_strict_json(payload: object) -> None:
    """JSON on stdout with every NaN/infinity replaced by null: strict JSON, always."""
    from circo.analysis.ei.api import finite_json

    print_json(finite_json(payload))


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
    from circo.targeting.service import french_warnings

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
        print_strict_json(ei_result_to_json(estimator))
    else:
        console.print(estimator.summary(), highlight=False, markup=False)
    for warning in french_warnings(estimator):  # on stderr, in every output mode
        console.print(f"Attention : {warning}", highlight=False, markup=False)


@ei_app.command("transfers")
def ei_transfers(
    source: Annotated[str, typer.Option("--from", help="Élection de départ, ex. pres-2017:1.")],
    target: Annotated[str, typer.Option("--to", help="Élection d'arrivée, ex. pres-2017:2.")],
    territory: Annotated[
        str, typer.Option("--territory", help="Territoire : fr, dep:69, circ:69-01, com:69123…")
    ],
    method: Annotated[str, typer.Option("--method", help="auto, em, md, goodman ou lp.")] = "auto",
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Reports de voix entre deux tours ou deux élections / vote transfers."""
    from circo.targeting.service import estimate_transfers, parse_election_round

    with runtime_for(data_dir) as runtime, runtime.session() as session:
        result = estimate_transfers(
            session,
            source=parse_election_round(source, option="--from"),
            target=parse_election_round(target, option="--to"),
            territory=territory,
            method=method,
        )
    if as_json:
        print_strict_json({**result.as_dict(), "labels": result.labels_dict()})
        for warning in result.warnings:
            console.print(f"Attention : {warning}", highlight=False, markup=False)
        return
    table = Table(title=f"Reports {result.source} → {result.target} ({result.territory})")
    table.add_column("de \\ vers")
    for column in result.columns:
        table.add_column(column, justify="right")
    for i, row in enumerate(result.rows):
        table.add_row(
            row, *[f"{100 * result.shares[i, j]:.1f} %" for j in range(len(result.columns))]
        )
    stdout.print(table)
    console.print(
        f"{result.stations} bureaux appariés ; non appariés : {len(result.unmatched_source)} "
        f"(départ), {len(result.unmatched_target)} (arrivée) ; méthode {result.method}"
    )
    if result.omitted_rows or result.omitted_columns:
        console.print(
            "Options sans aucune voix dans ces bureaux, laissées de côté : "
            + ", ".join([*result.omitted_rows, *result.omitted_columns]),
            highlight=False,
            markup=False,
        )
    for warning in result.warnings:
        console.print(f"Attention : {warning}", highlight=False, markup=False)


@ei_app.command("groups")
def ei_groups(
    election: Annotated[str, typer.Option("--election", help="Élection et tour, ex. pres-2017:1.")],
    territory: Annotated[str, typer.Option("--territory", help="Territoire, ex. com:75056.")],
    variables: Annotated[
        str,
        typer.Option(
            "--variables",
            help="cs, age, diploma, ou colonnes INSEE (ex. C11_POP15P_CS3,C11_POP15P_CS6).",
        ),
    ] = "cs",
    method: Annotated[str, typer.Option("--method", help="auto, em, md, goodman ou lp.")] = "auto",
    seed: Annotated[int, typer.Option("--seed", help="Graine aléatoire / random seed.")] = 0,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Vote estimé par groupe social (INSEE par IRIS → bureaux) / estimated vote by group."""
    from circo.analysis.ei.api import METHODS
    from circo.targeting.groups import estimate_group_vote
    from circo.targeting.service import TargetingError, parse_election_round

    if method not in METHODS:
        raise TargetingError(
            f"méthode inconnue « {method} » (attendu : {', '.join(METHODS)})", loc="--method"
        )
    with runtime_for(data_dir) as runtime, runtime.session() as session:
        result = estimate_group_vote(
            session,
            election=parse_election_round(election, option="--election"),
            territory=territory,
            variables=variables,
            method=method,
            random_state=seed,
        )
    if as_json:
        print_strict_json(result.as_dict())
        return
    table = Table(title=f"{result.title} — {result.election} ({result.territory})")
    table.add_column("groupe \\ option")
    for option in result.options:
        table.add_column(option, justify="right")
    for group in result.groups:
        shares = result.fit["global"][group]
        table.add_row(group, *[f"{100 * shares[option]:.1f} %" for option in result.options])
    stdout.print(table)
    console.print(
        f"{result.stations} bureaux ; sans données INSEE : {len(result.without_demographics)} ; "
        f"méthode {result.fit['method']}"
    )


def target(
    election: Annotated[str, typer.Option("--election", help="Élection et tour, ex. pres-2017:1.")],
    territory: Annotated[str, typer.Option("--territory", help="Territoire, ex. com:69123.")],
    candidate: Annotated[str, typer.Option("--candidate", help="Nom ou nuance du candidat.")],
    weights: Annotated[
        str | None,
        typer.Option("--weights", help="Poids, ex. mobilisation=0.5,persuasion=0.3,doors=0.2."),
    ] = None,
    transfers_from: Annotated[
        str | None,
        typer.Option("--transfers-from", help="Tour précédent pour estimer les reports, ex. :1."),
    ] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="Sortie CSV / CSV output.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Écrire dans ce fichier.")] = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Classer les bureaux où le porte-à-porte rapporte le plus / rank bureaux to canvass."""
    from circo.targeting.export import rows_to_csv
    from circo.targeting.service import parse_election_round, parse_weights, target_stations

    chosen = parse_election_round(election, option="--election")
    with runtime_for(data_dir) as runtime, runtime.session() as session:
        report = target_stations(
            session,
            election=chosen,
            territory=territory,
            candidate=candidate,
            weights=parse_weights(weights),
            informed_by=(
                parse_election_round(
                    transfers_from, option="--transfers-from", default_election=chosen[0]
                )
                if transfers_from
                else None
            ),
        )
    if as_csv:
        text = rows_to_csv(report.rows())
        if out:
            out.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return
    if as_json:
        if out:
            from circo.analysis.ei.api import finite_json

            out.write_text(
                json.dumps(finite_json(report.as_dict()), ensure_ascii=False, allow_nan=False),
                encoding="utf-8",
            )
        else:
            print_strict_json(report.as_dict())
        return
    table = Table(title=f"Bureaux prioritaires pour {report.candidate} ({report.territory})")
    for column in ("rang", "bureau", "score", "voix / 100 portes", "raison"):
        table.add_column(column)
    for row in report.rows()[:30]:
        table.add_row(
            str(row["rank"]),
            row["station"],
            f"{row['score']:.2f}",
            f"{row['votes_per_100_doors']:.2f}",
            row["reason"],
        )
    stdout.print(table)


scenario_app = typer.Typer(help="Scénarios de second tour / second-round scenarios.")


@scenario_app.command("qualify")
def scenario_qualify(
    election: Annotated[str, typer.Option("--election", help="Élection, ex. leg-2024.")],
    territory: Annotated[
        str, typer.Option("--territory", help="Territoire, ex. dep:69 ou circ:69-01.")
    ],
    round_number: Annotated[int, typer.Option("--round", help="Tour (1).")] = 1,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Qualifiés pour le second tour et élus dès le premier tour (règles du Code électoral)."""
    from circo.targeting.scenarios import qualify_json, qualify_territory

    with runtime_for(data_dir) as runtime, runtime.session() as session:
        constituencies = qualify_territory(
            session, election=election, round_number=round_number, territory=territory
        )
    if as_json:
        print_strict_json(qualify_json(constituencies))
        return
    table = Table(title=f"Premier tour {election} ({territory})")
    for column in ("circonscription", "élu au 1er tour", "qualifiés", "règle"):
        table.add_column(column)
    for constituency in constituencies:
        outcome = constituency.qualification
        assert outcome is not None
        table.add_row(
            constituency.code,
            outcome.elected_first_round or "—",
            ", ".join(outcome.qualified) or "—",
            outcome.reason,
        )
    stdout.print(table)


@scenario_app.command("simulate")
def scenario_simulate(
    election: Annotated[str, typer.Option("--election", help="Élection, ex. leg-2024.")],
    territory: Annotated[str, typer.Option("--territory", help="Territoire, ex. dep:69.")],
    transfers: Annotated[
        Path,
        typer.Option("--transfers", help="Reports estimés : sortie de circo ei transfers --json."),
    ],
    withdraw: Annotated[
        str | None,
        typer.Option("--withdraw", help="Désistements, ex. « Anne DUPONT,Paul MARTIN »."),
    ] = None,
    turnout_change: Annotated[
        float, typer.Option("--turnout-change", help="Variation de participation, ex. 0.05.")
    ] = 0.0,
    draws: Annotated[int, typer.Option("--draws", help="Tirages Monte-Carlo.")] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Graine aléatoire / random seed.")] = 0,
    as_csv: Annotated[bool, typer.Option("--csv", help="Sortie CSV / CSV output.")] = False,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Simuler le second tour : probabilités de victoire et répartition des sièges."""
    from circo.targeting.scenarios import (
        matching_report,
        matching_warnings,
        read_transfers,
        rows_csv,
        scenario_rows,
        simulate_territory,
    )

    matrix = read_transfers(transfers)
    withdrawn = [name.strip() for name in (withdraw or "").split(",") if name.strip()]
    with runtime_for(data_dir) as runtime, runtime.session() as session:
        constituencies, seats = simulate_territory(
            session,
            election=election,
            territory=territory,
            transfers=matrix,
            withdrawn=withdrawn,
            turnout_change=turnout_change,
            draws=draws,
            seed=seed,
        )
    rows = scenario_rows(constituencies)
    matching = matching_report(constituencies)
    for warning in matching_warnings(constituencies):  # on stderr, in every output mode
        console.print(f"Attention : {warning}", highlight=False, markup=False)
    if as_csv:
        sys.stdout.write(rows_csv(rows))
        return
    if as_json:
        print_strict_json(
            {"rows": rows, "seats": seats, "draws": draws, "seed": seed, "matching": matching}
        )
        return
    table = Table(title=f"Second tour simulé {election} ({territory}), {draws} tirages")
    for column in ("circonscription", "candidat", "statut", "P(victoire)", "part [5–95 %]"):
        table.add_column(column)
    for row in rows:
        share = (
            f"{100 * row['mean_share']:.1f} % [{100 * row['low_share']:.1f}–"
            f"{100 * row['high_share']:.1f}]"
            if row["mean_share"] is not None
            else "—"
        )
        table.add_row(
            row["constituency"],
            row["candidate"],
            {"runoff": "second tour", "withdrawn": "désisté"}.get(row["status"], "élu 1er tour"),
            f"{100 * row['win_probability']:.0f} %",
            share,
        )
    stdout.print(table)
    for party, seat in seats.items():
        console.print(
            f"{party} : {seat['expected']:.1f} sièges attendus "
            f"({seat['low']:.0f}–{seat['high']:.0f})",
            highlight=False,
            markup=False,
        )


experiment_app = typer.Typer(help="Expériences de terrain avec groupe témoin / field experiments.")


@experiment_app.command("assign")
def experiment_assign(
    units: Annotated[
        Path, typer.Option("--units", help="CSV des unités : unit,registered,voters[,…].")
    ],
    treated_share: Annotated[
        float, typer.Option("--treated-share", help="Part des unités traitées, ex. 0.5.")
    ] = 0.5,
    block_on: Annotated[
        str | None,
        typer.Option("--block-on", help="Colonne de stratification, ex. la participation passée."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Graine (enregistrée) / recorded seed.")] = 0,
    hypothesis: Annotated[
        str | None,
        typer.Option(
            "--hypothesis",
            help="Pré-enregistrement : hypothèse (gelée dans le journal d'audit de la campagne).",
        ),
    ] = None,
    outcome: Annotated[
        str, typer.Option("--outcome", help="Critère pré-enregistré : turnout ou une colonne.")
    ] = "turnout",
    analysis: Annotated[
        str,
        typer.Option("--analysis", help="Analyse prévue (pré-enregistrement)."),
    ] = "différence de différences par blocs, inférence par randomisation",
    treatment: Annotated[
        str, typer.Option("--treatment", help="Traitement : porte-à-porte, phoning, tracts…")
    ] = "porte-à-porte",
    name: Annotated[str | None, typer.Option("--name", help="Nom de l'expérience.")] = None,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Tirer au sort les unités traitées et témoins (par blocs, graine enregistrée)."""
    from circo.targeting.experiments import assignments_json, design_from_file, preregister

    design = design_from_file(
        units, treated_share=treated_share, block_on=block_on, seed=seed, outcome=outcome
    )
    if hypothesis:
        with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
            preregister(
                session,
                campaign_id=ctx.campaign_id,
                actor=ctx.actor,
                units_file=units,
                design=design,
                settings={
                    "name": name,
                    "hypothesis": hypothesis,
                    "outcome": outcome,
                    "analysis": analysis,
                    "treatment": treatment,
                    "treated_share": treated_share,
                    "block_on": block_on,
                    "seed": seed,
                },
            )
        console.print("Pré-enregistrement gelé dans le journal d'audit.", highlight=False)
    if design.minimum_detectable_effect is not None:
        console.print(
            "Effet minimal détectable (puissance 80 %, α 5 %) : "
            + f"{100 * design.minimum_detectable_effect:.1f}".replace(".", ",")
            + (
                " points de participation"
                if design.mde_outcome == "turnout"
                else f" points de part de « {design.mde_outcome} » parmi les votants"
            )
            + f" ({len(design.assignments)} unités, {design.blocks} blocs).",
            highlight=False,
            markup=False,
        )
    if as_json:
        print_strict_json(assignments_json(design.assignments))
        return
    table = Table(title=f"Affectation (graine {seed})")
    table.add_column("unité")
    table.add_column("bras")
    for unit, arm in design.assignments:
        table.add_row(unit, "traitement" if arm == "treatment" else "témoin")
    stdout.print(table)


@experiment_app.command("analyse")
def experiment_analyse(
    assignments: Annotated[
        Path, typer.Option("--assignments", help="Affectation : sortie JSON de experiment assign.")
    ],
    before: Annotated[Path, typer.Option("--before", help="CSV avant : unit,registered,voters.")],
    after: Annotated[Path, typer.Option("--after", help="CSV après : unit,registered,voters.")],
    outcome: Annotated[
        str, typer.Option("--outcome", help="turnout, ou une colonne (part des votants).")
    ] = "turnout",
    block_on: Annotated[
        str | None, typer.Option("--block-on", help="Colonne de blocage du tirage (fichier avant).")
    ] = None,
    permutations: Annotated[
        int, typer.Option("--permutations", help="Tirages de l'inférence par randomisation.")
    ] = 5000,
    seed: Annotated[int, typer.Option("--seed", help="Graine des permutations.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Effet du traitement (différence de différences, intervalle à 95 %, p par randomisation)."""
    from circo.targeting.experiments import analyse_files, effect_json

    if not 100 <= permutations <= 200_000:
        from circo.targeting.experiments import ExperimentFileError

        raise ExperimentFileError(
            f"{permutations} permutations ; attendu entre 100 et 200 000", loc="--permutations"
        )
    estimate = analyse_files(
        assignments=assignments,
        before=before,
        after=after,
        outcome=outcome,
        block_on=block_on,
        permutations=permutations,
        seed=seed,
    )
    if as_json:
        print_strict_json(effect_json(estimate))
        return

    def points(value: float) -> str:
        return f"{100 * value:+.2f}".replace(".", ",")

    stdout.print(
        f"Effet sur {outcome} : {points(estimate.effect)} points "
        f"[{points(estimate.low)} ; {points(estimate.high)}] (95 %), "
        f"p = {f'{estimate.p_value:.4f}'.replace('.', ',')} (randomisation), "
        f"{estimate.n_treated} traitées, {estimate.n_control} témoins",
        highlight=False,
        markup=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(ei_app, name="ei")
    app.command("target")(target)
    app.add_typer(scenario_app, name="scenario")
    app.add_typer(experiment_app, name="experiment")
