"""``circo night …``: results night from the command line (thin: parse, call, print)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from circo.cli_common import CampaignOption, DataDirOption, JsonOption, campaign_session, print_json

night_app = typer.Typer(
    help="Soirée électorale : saisie des procès-verbaux et projection / results night.",
    no_args_is_help=True,
)

ElectionOption = Annotated[
    str, typer.Option("--election", help="Élection de ce soir, ex. pres-2027, leg-2027.")
]
RoundOption = Annotated[int, typer.Option("--round", help="Tour / round (1 ou 2).")]
CONTRACT_KEYS = ("reported_bureaux", "expected_bureaux", "candidates")


def register(app: typer.Typer) -> None:
    from circo.cli import CircoGroup

    night_app.info.cls = CircoGroup
    app.add_typer(night_app, name="night")


@night_app.command("enter")
def enter(
    election: ElectionOption,
    round_number: RoundOption,
    file: Annotated[
        Path,
        typer.Option(
            "--file",
            help="Résultats par bureau, tout format lu par `circo import results` (un "
            "sous-ensemble des bureaux) / bureau results file.",
        ),
    ],
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Saisir un lot de procès-verbaux (ajouté aux précédents) / enter a batch of PVs."""
    from circo.electionday.service import enter_file

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        report = enter_file(session, ctx, election=election, round_number=round_number, path=file)
    if as_json:
        print_json(report)
        return
    typer.echo(
        f"{report['file']} : {report['added']} bureaux ajoutés, {report['confirmed']} "
        f"confirmés ; {report['entered']} bureaux saisis pour {report['election']} "
        f"tour {report['round']}"
    )


@night_app.command("project")
def project(
    election: ElectionOption,
    round_number: RoundOption,
    reference: Annotated[
        str,
        typer.Option("--reference", help="Élection de référence ÉLECTION:TOUR, ex. pres-2022:1."),
    ],
    territory: Annotated[
        str, typer.Option("--territory", help="Territoire : 69, dep:69, circ:69-01, com:69123.")
    ],
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Projeter le résultat final depuis les bureaux dépouillés / project the final result."""
    from circo.electionday.service import project as project_result

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        result = project_result(
            session,
            ctx,
            election=election,
            round_number=round_number,
            reference=reference,
            territory=territory,
        )
    if as_json:
        print_json({key: result[key] for key in CONTRACT_KEYS})
        return
    typer.echo(
        f"{result['reported_bureaux']} bureaux dépouillés sur {result['expected_bureaux']} attendus"
    )
    naive = result.get("naive", {})
    for candidate in result["candidates"]:
        typer.echo(
            f"  {candidate['name']}\t{candidate['share']:.1%}  "
            f"[{candidate['low']:.1%} – {candidate['high']:.1%}]  "
            f"(total partiel {naive.get(candidate['name'], 0.0):.1%})"
        )
    for assumption in result.get("assumptions", []):
        typer.echo(f"Hypothèse : {assumption}")
