"""``circo field …``: cut turfs, plan a campaign's turfs, assign, print walk lists, follow."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from circo.cli_common import CampaignOption, DataDirOption, JsonOption, campaign_session, print_json
from circo.errors import CircoError

field_app = typer.Typer(
    help="Terrain : secteurs, affectations, visites / field operations.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add ``field`` to the root command (errors become one line through the root group)."""
    app.add_typer(field_app, name="field")


@field_app.command("cut-turfs")
def cut_turfs_command(
    addresses: Annotated[
        Path,
        typer.Option("--addresses", help="CSV id,lat,lon[,dwellings][,bureau] (UTF-8, , ou ;)."),
    ],
    doors_per_turf: Annotated[
        int, typer.Option("--doors-per-turf", help="Portes visées par secteur / doors per turf.")
    ] = 50,
    bureau_column: Annotated[
        str, typer.Option("--bureau-column", help="Colonne du bureau de vote / bureau column.")
    ] = "bureau",
    mix_bureaux: Annotated[
        bool, typer.Option("--mix-bureaux", help="Autoriser un secteur sur deux bureaux.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Découper des adresses en secteurs (sans base) / cut addresses into turfs (no database)."""
    from circo.field.sources import addresses_from_csv
    from circo.field.turfs.output import plan_to_json
    from circo.field.turfs.plan import TurfInputError, cut_turfs

    if doors_per_turf < 1:
        raise CircoError(
            f"--doors-per-turf doit être un entier ≥ 1 (ex. 50), reçu {doors_per_turf}",
            loc="--doors-per-turf",
        )
    rows = addresses_from_csv(addresses, bureau_column=bureau_column)
    try:
        plan = cut_turfs(rows, doors_per_turf=doors_per_turf, mix_bureaux=mix_bureaux)
    except TurfInputError as exc:
        raise CircoError(exc.message, loc=exc.loc or str(addresses)) from None
    payload = plan_to_json(plan)
    if as_json:
        print_json(payload)
        return
    for turf in plan.turfs:
        typer.echo(f"{turf.id}\t{turf.bureau or ''}\t{turf.doors} portes\t{turf.walk_m:.0f} m")
    if plan.unassigned:
        typer.echo(f"non placées : {len(plan.unassigned)}", err=True)


@field_app.command("plan")
def plan_command(
    bureaux: Annotated[
        str, typer.Option("--bureaux", help="Bureaux prioritaires, ex. 29039_1,29039_2.")
    ] = "",
    doors_per_turf: Annotated[int, typer.Option("--doors-per-turf")] = 50,
    election: Annotated[
        str | None, typer.Option("--election", help="Scrutin de référence (clé), facultatif.")
    ] = None,
    addresses: Annotated[
        Path | None,
        typer.Option("--addresses", help="CSV d'adresses au lieu des adresses REU importées."),
    ] = None,
    sample: Annotated[
        bool, typer.Option("--sample", help="Utiliser l'échantillon REU livré (Concarneau).")
    ] = False,
    name: Annotated[str | None, typer.Option("--name", help="Nom du découpage.")] = None,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Découper les bureaux choisis en secteurs et les enregistrer / cut and store turfs."""
    from circo.field import service, sources

    chosen = [code.strip() for code in bureaux.split(",") if code.strip()]
    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        if addresses is not None or sample:
            path = addresses if addresses is not None else sources.sample_path()
            rows = sources.filter_bureaux(sources.addresses_from_csv(path), chosen)
            source = "csv" if addresses is not None else "demo"
        else:
            if not chosen:
                raise CircoError(
                    "précisez les bureaux prioritaires, ex. --bureaux 29039_1,29039_2",
                    loc="--bureaux",
                )
            rows = sources.reu_addresses(session, station_keys=chosen)
            source = "reu"
        plan = service.create_plan(
            session,
            ctx,
            addresses=rows,
            doors_per_turf=doors_per_turf,
            source=source,
            name=name,
            election_key=election,
            bureaux=chosen,
        )
        turfs = [t for t in service.visible_turfs(session, ctx) if t.plan_id == plan.id]
        payload = {
            "plan": plan.id,
            "turfs": [
                {
                    "id": t.id,
                    "code": t.code,
                    "bureau": t.bureau,
                    "doors": t.doors,
                    "walk_m": t.walk_m,
                }
                for t in turfs
            ],
            "unassigned": plan.unassigned,
        }
    if as_json:
        print_json(payload)
    else:
        for turf in payload["turfs"]:  # type: ignore[attr-defined]
            typer.echo(f"{turf['id']}\t{turf['code']}\t{turf['doors']} portes")


@field_app.command("turfs")
def turfs_command(
    campaign: CampaignOption = None, data_dir: DataDirOption = None, as_json: JsonOption = False
) -> None:
    """Lister les secteurs / list turfs."""
    from circo.field import service

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        rows = [
            {"id": t.id, "code": t.code, "name": t.name, "bureau": t.bureau, "doors": t.doors}
            for t in service.visible_turfs(session, ctx)
        ]
    if as_json:
        print_json(rows)
    else:
        for row in rows:
            typer.echo(f"{row['id']}\t{row['code']}\t{row['doors']} portes\t{row['name']}")


def _parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CircoError(
            f"date invalide « {value} » (attendu AAAA-MM-JJ, ex. 2027-06-05)", loc="--date"
        ) from None


@field_app.command("assign")
def assign_command(
    volunteer: Annotated[
        str | None, typer.Option("--volunteer", help="E-mail du/de la bénévole.")
    ] = None,
    team: Annotated[int | None, typer.Option("--team", help="Numéro d'équipe (crm).")] = None,
    turf: Annotated[str | None, typer.Option("--turf", help="Secteur (numéro ou code).")] = None,
    bureau: Annotated[str | None, typer.Option("--bureau", help="Bureau entier.")] = None,
    day: Annotated[str, typer.Option("--date", help="Jour, AAAA-MM-JJ.")] = "",
    note: Annotated[str, typer.Option("--note", help="Consigne pour le/la bénévole.")] = "",
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Affecter un secteur (ou un bureau) à un·e bénévole ou une équipe / assign a turf."""
    from circo.field import service

    when = _parse_day(day) if day else date.today()
    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        turf_id = service.find_turf(session, ctx, reference=turf).id if turf else None
        assignment = service.assign(
            session,
            ctx,
            day=when,
            turf_id=turf_id,
            bureau=bureau,
            user_email=volunteer,
            team_id=team,
            note=note,
        )
        payload = {"assignment": assignment.id, "turf": turf_id, "day": when.isoformat()}
    if as_json:
        print_json(payload)
    else:
        typer.echo(f"affectation {payload['assignment']} : alerte en file d'envoi")


@field_app.command("walklist")
def walklist_command(
    turf: Annotated[str, typer.Argument(help="Secteur (numéro ou code).")],
    out: Annotated[Path, typer.Option("--out", help="Fichier PDF à écrire.")],
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Imprimer la liste de porte-à-porte d'un secteur (PDF) / printable walk list."""
    from circo.field import service
    from circo.field.walklist import walk_list_pdf

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        found = service.find_turf(session, ctx, reference=turf)
        pdf = walk_list_pdf(session, ctx, turf_id=found.id)
    out.write_bytes(pdf)
    typer.echo(str(out))


@field_app.command("dashboard")
def dashboard_command(
    campaign: CampaignOption = None, data_dir: DataDirOption = None, as_json: JsonOption = False
) -> None:
    """Tableau de bord terrain / field dashboard."""
    from circo.field.dashboard import summary

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        payload = summary(session, ctx)
    if as_json:
        print_json(payload)
        return
    rate = payload["contact_rate"]
    typer.echo(f"portes frappées : {payload['doors_knocked']}")
    typer.echo(f"taux de contact : {'—' if rate is None else f'{rate * 100:.1f} %'}")
    typer.echo(f"secteurs commencés : {payload['turfs_started']} / {payload['turfs']}")


@field_app.command("export")
def export_command(
    out: Annotated[Path, typer.Option("--out", help="Fichier CSV à écrire.")],
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Exporter les visites en CSV (journalisé) / export visits as CSV (audited)."""
    from circo.field.dashboard import export_visits_csv

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        text = export_visits_csv(session, ctx)
    out.write_text(text, encoding="utf-8")
    typer.echo(str(out))
