"""``circo drops …`` (leaflet drop rounds) and ``circo posters …`` (official poster boards)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from circo.cli_common import DataDirOption, JsonOption, campaign_session, console, print_json
from circo.reach.errors import ReachError

drops_app = typer.Typer(
    help="Tractage : tournées de boîtes aux lettres, immeubles faits, couverture / leaflet drops.",
    no_args_is_help=True,
)
posters_app = typer.Typer(
    help="Panneaux électoraux : liste, numéro, état, vérifications / poster boards.",
    no_args_is_help=True,
)

InOption = Annotated[
    str | None, typer.Option("--in", help="Campagne électorale (slug), si plusieurs.")
]


def register(app: typer.Typer) -> None:
    from circo.cli import CircoGroup

    drops_app.info.cls = CircoGroup
    posters_app.info.cls = CircoGroup
    app.add_typer(drops_app, name="drops")
    app.add_typer(posters_app, name="posters")


@drops_app.command("create")
def drops_create(
    leaflet: Annotated[
        str,
        typer.Option("--leaflet", help="Tract : numéro ou sujet (assistant), ou nom."),
    ],
    bureaux: Annotated[
        str,
        typer.Option(
            "--bureaux",
            help="N (les N bureaux prioritaires du ciblage) ou des codes, ex. 29039_1,29039_2.",
        ),
    ] = "5",
    letterboxes_per_turf: Annotated[
        int, typer.Option("--per-turf", help="Boîtes aux lettres par secteur (ex. 250).")
    ] = 250,
    addresses: Annotated[
        Path | None,
        typer.Option("--addresses", help="CSV d'adresses au lieu des adresses REU importées."),
    ] = None,
    sample: Annotated[
        bool, typer.Option("--sample", help="Utiliser l'échantillon REU livré (Concarneau).")
    ] = False,
    name: Annotated[str, typer.Option("--name", help="Nom de la tournée.")] = "",
    campaign: InOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Créer une tournée de tractage sur les boîtes aux lettres des bureaux choisis."""
    from circo.field import sources
    from circo.reach import drops

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        chosen = drops.parse_bureaux(session, ctx, bureaux)
        rows = None
        source = "reu"
        if addresses is not None or sample:
            path = addresses if addresses is not None else sources.sample_path()
            rows = sources.addresses_from_csv(path)
            source = "csv" if addresses is not None else "demo"
        drop = drops.create_round(
            session,
            ctx,
            leaflet=leaflet,
            bureaux=chosen,
            addresses=rows,
            source=source,
            letterboxes_per_turf=letterboxes_per_turf,
            name=name,
        )
        turfs = drops.round_turfs(session, ctx, drop)
        payload = {
            "round": drop.id,
            "leaflet": drop.leaflet,
            "bureaux": drop.bureaux,
            "turfs": len(turfs),
            "letterboxes": drop.letterboxes,
        }
    if as_json:
        print_json(payload)
    else:
        console.print(
            f"tournée {payload['round']} : {payload['turfs']} secteur(s), "
            f"{payload['letterboxes']} boîtes aux lettres"
        )


@drops_app.command("done")
def drops_done(
    round_id: Annotated[int, typer.Option("--round", help="Numéro de la tournée.")],
    building: Annotated[int, typer.Option("--building", help="Numéro de l'immeuble.")],
    campaign: InOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Marquer un immeuble fait (sans effet s'il l'est déjà)."""
    from circo.reach import drops

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        payload = drops.mark_done(session, ctx, round_id=round_id, building=building).as_json()
    if as_json:
        print_json(payload)
    else:
        console.print(
            "immeuble marqué fait" if payload["status"] == "created" else "immeuble déjà fait"
        )


@drops_app.command("coverage")
def drops_coverage(
    round_id: Annotated[int, typer.Option("--round", help="Numéro de la tournée.")],
    campaign: InOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Couverture par bureau : boîtes aux lettres atteintes / total."""
    from circo.reach import drops

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        payload = drops.coverage(session, ctx, round_id)
    if as_json:
        print_json(payload)
        return
    for row in payload["bureaux"]:
        console.print(f"{row['bureau']}\t{row['reached']} / {row['total']} boîtes aux lettres")


@drops_app.command("sheet")
def drops_sheet(
    round_id: Annotated[int, typer.Option("--round", help="Numéro de la tournée.")],
    turf: Annotated[int, typer.Option("--turf", help="Numéro du secteur.")],
    out: Annotated[Path, typer.Option("--out", help="Fichier PDF à écrire.")],
    campaign: InOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Imprimer la feuille de route d'un secteur de tractage (PDF)."""
    from circo.reach.drop_sheet import drop_sheet_pdf

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        pdf = drop_sheet_pdf(session, ctx, round_id=round_id, turf_id=turf)
    out.write_bytes(pdf)
    typer.echo(str(out))


@posters_app.command("create")
def posters_create(
    commune: Annotated[str, typer.Option("--commune", help="Code INSEE de la commune, ex. 29039.")],
    number: Annotated[int, typer.Option("--number", help="Numéro de panneau de la campagne.")],
    campaign: InOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Créer les panneaux de la commune (un par bureau de vote) avec le numéro de la campagne."""
    from circo.reach import posters

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        payload = posters.create_boards(session, ctx, commune=commune, number=number).as_json()
    if as_json:
        print_json(payload)
    else:
        console.print(
            f"{payload['boards']} panneau(x) n° {payload['number']} pour {payload['commune']}"
        )


@posters_app.command("list")
def posters_list(
    commune: Annotated[str | None, typer.Option("--commune", help="Code INSEE.")] = None,
    campaign: InOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Lister les panneaux et leur état."""
    from circo.labels import label
    from circo.reach import posters

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        rows = [posters.board_json(b) for b in posters.list_boards(session, ctx, commune=commune)]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        console.print(
            f"{row['id']}\t{row['bureau']}\tn° {row['number']}\t"
            f"{label(row['status'], 'poster_status')}"
        )


@posters_app.command("status")
def posters_status(
    board: Annotated[int, typer.Option("--board", help="Numéro du panneau (voir `posters list`).")],
    status: Annotated[
        str,
        typer.Option("--status", help="posted, torn, covered, redo (ou « affiche posée »…)."),
    ],
    photo: Annotated[
        Path | None, typer.Option("--photo", help="Photo JPEG, PNG ou WebP (8 Mo au plus).")
    ] = None,
    campaign: InOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Noter l'état d'un panneau, avec une photo."""
    from circo.reach import posters

    content = None
    if photo is not None:
        try:
            content = photo.read_bytes()
        except OSError as error:
            raise ReachError(
                f"photo illisible : {photo} ({error.strerror})", loc="--photo"
            ) from None
    with campaign_session(data_dir, campaign) as (runtime, session, ctx):
        posters.record_check(
            session,
            ctx,
            data_dir=runtime.settings.data_dir,
            board_id=board,
            status=status,
            photo=content,
        )
        payload = posters.board_json(posters.get_board(session, ctx, board))
    if as_json:
        print_json(payload)
    else:
        console.print(f"panneau {board} : état enregistré")


@posters_app.command("round")
def posters_round(
    volunteer: Annotated[str, typer.Option("--volunteer", help="E-mail du/de la bénévole.")],
    commune: Annotated[str, typer.Option("--commune", help="Code INSEE de la commune.")],
    day: Annotated[str, typer.Option("--date", help="Jour, AAAA-MM-JJ.")] = "",
    campaign: InOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Confier la vérification des panneaux d'une commune à un·e bénévole."""
    from circo.reach import posters

    try:
        when = date.fromisoformat(day) if day else date.today()
    except ValueError:
        raise ReachError(
            f"date invalide « {day} » (attendu AAAA-MM-JJ, ex. 2027-06-05)", loc="--date"
        ) from None
    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        created = posters.create_round(session, ctx, volunteer=volunteer, day=when, commune=commune)
        payload = {"round": created.id, "boards": len(created.board_ids), "day": when.isoformat()}
    if as_json:
        print_json(payload)
    else:
        console.print(f"tournée {payload['round']} : {payload['boards']} panneau(x)")
