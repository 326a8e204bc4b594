"""``circo import …``, ``circo elections …`` and ``circo results …`` (thin: parse, call, print).

`import_app` is the shared ``circo import`` group: other domains add their importers to it with
``from circo.elections.cli import import_app`` and ``@import_app.command("contacts")``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from circo.cli_common import DataDirOption, JsonOption, console, print_json, runtime_for

import_app = typer.Typer(
    help="Importer des fichiers de données ouvertes / import open-data files.",
    no_args_is_help=True,
)
elections_app = typer.Typer(help="Élections importées / imported elections.", no_args_is_help=True)

FileArgument = Annotated[
    Path,
    typer.Argument(help="Fichier (CSV, TXT, GeoJSON ; .gz accepté) / file.", show_default=False),
]
ElectionOption = Annotated[
    str, typer.Option("--election", help="Identifiant, ex. pres-2022, leg-2024, euro-2019.")
]
RoundOption = Annotated[int, typer.Option("--round", help="Tour / round (1 ou 2).", min=1, max=2)]


@contextmanager
def job_progress(label: str) -> Iterator[Callable[[int, int | None], None]]:
    """A rich progress bar on stderr advanced with a job's ``(done, total)`` reports (the job
    counts the file's lines once; the bar learns the total from its first report)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(label, total=None)

        def advance(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        yield advance


@import_app.command("results")
def import_results_command(
    file: FileArgument,
    election: ElectionOption,
    round_number: RoundOption,
    file_format: Annotated[
        str | None,
        typer.Option("--format", help="wide ou long (détecté sinon / auto-detected)."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Importer même si le type, l'année ou le tour lus dans le fichier contredisent "
            "--election/--round / import despite a contradiction.",
        ),
    ] = False,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Importer les résultats officiels par bureau de vote / import results per bureau.

    L'import est un travail (« elections.import_results ») exécuté ici même, par le même code
    qu'un travailleur : tout ou rien."""
    from circo.core import jobs
    from circo.elections.errors import ImportFailed
    from circo.elections.jobs import enqueue_results_import

    if file_format not in (None, "wide", "long"):
        raise ImportFailed(
            f"format « {file_format} » inconnu ; attendu wide ou long", loc="--format"
        )
    with runtime_for(data_dir) as runtime:
        with runtime.session() as session:
            job_id = enqueue_results_import(
                session,
                file=file.resolve(),
                election=election,
                round_number=round_number,
                file_format=file_format,
                force=force,
            ).id
        with job_progress(f"Import {file.name}") as advance:
            done = jobs.run_here(
                runtime.factory, runtime.settings, job_id, on_progress=advance, reraise=True
            )
    if done.status != "done" or done.result is None:
        raise ImportFailed(
            f"l'import (travail n° {job_id}) est pris par un autre travailleur : état "
            f"« {done.status} »",
            loc=str(file),
        )
    _print_report(done.result, as_json=as_json)


def _print_report(payload: dict[str, object], *, as_json: bool) -> None:
    if as_json:
        print_json(payload)
        return
    warnings = payload.get("warnings") or []
    for warning in list(warnings)[:20]:  # type: ignore[call-overload]
        console.print(f"[yellow]Avertissement :[/yellow] {warning}", highlight=False)
    count = payload.get("warning_count")
    if isinstance(count, int) and count > 20:
        console.print(f"[yellow]… {count - 20} autres avertissements[/yellow]", highlight=False)
    coverage = payload.get("coverage")
    if isinstance(coverage, dict) and coverage.get("alert"):
        console.print(f"[bold red]ATTENTION :[/bold red] {coverage['alert']}", highlight=False)
    shown = {k: v for k, v in payload.items() if k not in ("warnings", "coverage")}
    console.print("Importé : " + ", ".join(f"{k} = {v}" for k, v in shown.items()), highlight=False)


@import_app.command("insee")
def import_insee_command(
    file: FileArgument, data_dir: DataDirOption = None, as_json: JsonOption = False
) -> None:
    """Importer un fichier INSEE : IRIS (base-ic, FILOSOFI) ou COG (régions, départements,
    communes, mouvements) / import INSEE IRIS data or a COG table."""
    from circo.elections.geography import import_insee

    with runtime_for(data_dir) as runtime, runtime.session() as session:
        report = import_insee(session, path=file)
    _print_report(report, as_json=as_json)


@import_app.command("geo")
def import_geo_command(
    file: FileArgument,
    kind: Annotated[str, typer.Option("--kind", help="bureaux ou iris.")],
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Importer des contours GeoJSON (bureaux de vote ou IRIS) / import contours."""
    from circo.elections.geography import import_geo

    with runtime_for(data_dir) as runtime, runtime.session() as session:
        report = import_geo(session, path=file, kind=kind)
    _print_report(report, as_json=as_json)


@import_app.command("reu")
def import_reu_command(
    file: FileArgument, data_dir: DataDirOption = None, as_json: JsonOption = False
) -> None:
    """Importer les adresses du REU avec leur bureau / import REU addresses."""
    from circo.elections.geography import import_reu

    with runtime_for(data_dir) as runtime, runtime.session() as session:
        report = import_reu(session, path=file)
    _print_report(report, as_json=as_json)


@elections_app.command("list")
def elections_list(data_dir: DataDirOption = None, as_json: JsonOption = False) -> None:
    """Lister les élections importées / list imported elections."""
    from circo.elections.service import list_elections

    with runtime_for(data_dir) as runtime, runtime.session() as session:
        rows = list_elections(session)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        typer.echo(
            f"{row['election']}\ttour {row['round']}\t{row['date'] or ''}\t"
            f"{row['stations']} bureaux"
        )


def results_command(
    territory: Annotated[
        str, typer.Argument(help="fr, dep:91, circ:91-04, com:91477 ou bv:91477_0001.")
    ],
    election: ElectionOption,
    round_number: RoundOption,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Résultats d'un territoire / results of a territory (agrégés depuis les bureaux)."""
    from circo.elections.service import territory_results

    with runtime_for(data_dir) as runtime, runtime.session() as session:
        results = territory_results(
            session, territory=territory, key=election, round_number=round_number
        )
    if as_json:
        print_json(results.as_dict())
        return
    turnout = results.turnout or 0.0
    typer.echo(
        f"{results.territory} — {results.election} tour {results.round} : "
        f"{results.stations} bureaux, {results.registered} inscrits, "
        f"participation {turnout:.2%}, {results.valid_votes} exprimés"
    )
    for candidate in results.candidates:
        label = f" ({candidate.label})" if candidate.label else ""
        typer.echo(f"  {candidate.name}{label}\t{candidate.votes}\t{candidate.share_valid:.2%}")


def register(app: typer.Typer) -> None:
    """Add ``import``, ``elections`` and ``results`` to the root command."""
    app.add_typer(import_app, name="import")
    app.add_typer(elections_app, name="elections")
    app.command("results")(results_command)
