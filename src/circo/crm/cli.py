"""``circo contacts …`` and ``circo events …``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import Progress

from circo.cli_common import (
    CampaignOption,
    DataDirOption,
    JsonOption,
    campaign_session,
    console,
    print_json,
    runtime_for,
)
from circo.errors import CircoError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from circo.config import Settings
    from circo.core.models import Job
    from circo.core.tenancy import CampaignContext
    from circo.crm.importer.reading import ParsedFile

contacts_app = typer.Typer(
    help="Contacts : import, export, recherche, doublons / contacts.", no_args_is_help=True
)
events_app = typer.Typer(
    help="Événements : réunions, porte-à-porte, formations / events.", no_args_is_help=True
)
volunteers_app = typer.Typer(
    help="Bénévoles et équipes / volunteers and teams.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    from circo.cli import CircoGroup

    for sub in (contacts_app, events_app, volunteers_app):
        sub.info.cls = CircoGroup
    app.add_typer(contacts_app, name="contacts")
    app.add_typer(events_app, name="events")
    app.add_typer(volunteers_app, name="volunteers")


# --- contacts ---------------------------------------------------------------------------------


@contacts_app.command("import")
def contacts_import(
    file: Annotated[Path, typer.Argument(help="Fichier CSV ou XLSX.", exists=False)],
    mapping: Annotated[
        str | None,
        typer.Option(
            "--mapping",
            help='JSON {"colonne": "champ"} ou fichier JSON ; sans : correspondance suggérée.',
        ),
    ] = None,
    skip_invalid: Annotated[
        bool,
        typer.Option("--skip-invalid", help="Importer les lignes valides et ignorer les autres."),
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Valider sans rien écrire.")] = False,
    source_tool: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Export d'un autre outil : nationbuilder, actionnetwork, qomon, "
            "actionpopulaire (colonnes, étiquettes, consentements, champs personnalisés).",
        ),
    ] = None,
    background: Annotated[
        bool,
        typer.Option(
            "--background",
            help="Confier l'import aux travailleurs (circo serve / circo worker) et rendre la "
            "main : le fichier est copié dans le dossier de données jusqu'à l'import.",
        ),
    ] = False,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Importer des contacts (CSV/XLSX) ; tout ou rien / import contacts, atomically.

    L'import est un travail (« crm.import ») exécuté ici même, par le même code qu'un
    travailleur ; avec --background il est seulement mis en file."""
    from circo.core import jobs
    from circo.crm.importer.job import enqueue_import
    from circo.crm.importer.mapping import parse_mapping, resolve_mapping
    from circo.crm.importer.reading import read_file
    from circo.crm.importer.validation import preview

    if not file.is_file():
        raise CircoError(f"fichier introuvable : {file}", loc=str(file))
    parsed = read_file(file)
    translation = None
    if source_tool:
        from circo.crm.importer.layouts import layout_named, translate

        translation = translate(parsed, layout_named(source_tool))
        parsed = translation.parsed
    with campaign_session(data_dir, campaign) as (runtime, session, ctx):
        if translation is not None:
            from circo.crm.contacts import define_custom_field

            for key, label in translation.custom_fields.items():
                define_custom_field(session, ctx, key=key, label=label)
        resolved = (
            translation.mapping
            if translation is not None and mapping is None
            else resolve_mapping(
                parsed.headers,
                parse_mapping(mapping),
                session=session,
                ctx=ctx,
                filename=parsed.filename,
            )
        )
        if dry_run:
            report = preview(parsed, resolved)
            if translation is not None:
                report["layout"] = translation.plan()
            session.rollback()
            _emit(
                report,
                as_json,
                f"{report['valid_rows']} ligne(s) valide(s) sur {report['rows']}, "
                f"{len(report['problems'])} problème(s)",
            )
            return
        if background or translation is not None:
            job = _queue_copy(
                session,
                ctx,
                runtime.settings,
                file,
                parsed.filename,
                resolved,
                skip_invalid=skip_invalid,
                translated=parsed if translation is not None else None,
                max_attempts=3 if background else 1,
            )
            job_id = job.id
        else:
            job = enqueue_import(
                session,
                ctx,
                file=file.resolve(),
                filename=parsed.filename,
                mapping=resolved,
                skip_invalid=skip_invalid,
                max_attempts=1,  # run here, now: a failure is reported, not retried later
            )
            job_id = job.id
        session.commit()
        if background:
            _emit(
                {"job_id": job_id, "status": "queued"},
                as_json,
                f"import mis en file : travail n° {job_id} (suivi : /c/{ctx.campaign.slug}/jobs/"
                f"{job_id})",
            )
            return
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Import", total=len(parsed.rows))
            done = jobs.run_here(
                runtime.factory,
                runtime.settings,
                job_id,
                on_progress=lambda count, total: progress.update(
                    task, completed=count, total=total
                ),
            )
    if done.status == "failed":
        raise CircoError(done.error or "import refusé", loc=str(file))
    if done.status != "done" or done.result is None:
        raise CircoError(
            f"l'import (travail n° {job_id}) est pris par un autre travailleur : état "
            f"« {done.status} »",
            loc=str(file),
        )
    result = done.result
    located = result.get("geocoding") or {}
    _emit(
        result,
        as_json,
        f"{result['created']} contact(s) créé(s), {result['updated']} mis à jour, "
        f"{result['skipped']} ignoré(s) — adresses localisées : {located.get('geocoded', 0)} "
        f"sur {located.get('considered', 0)}, bureau de vote trouvé pour "
        f"{located.get('stations', 0)}",
    )


def _queue_copy(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    file: Path,
    filename: str,
    mapping: dict[str, str],
    *,
    skip_invalid: bool,
    translated: ParsedFile | None = None,
    max_attempts: int = 3,
) -> Job:
    """Copy ``file`` into the data dir as an upload (removed once imported) and queue it;
    another tool's export is written there as translated (`circo.crm.importer.layouts`)."""
    import secrets
    import shutil

    from circo.crm.importer.job import enqueue_import, upload_dir
    from circo.crm.importer.reading import write_csv

    token = secrets.token_hex(12)
    folder = upload_dir(settings, ctx.campaign.slug)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".xlsx" if filename.lower().endswith(".xlsx") and translated is None else ".csv"
    copy = folder / f"{token}{suffix}"
    if translated is not None:
        write_csv(translated, copy)
    else:
        shutil.copyfile(file, copy)
    (folder / f"{token}.name").write_text(filename, encoding="utf-8")
    return enqueue_import(
        session,
        ctx,
        file=copy,
        filename=filename,
        mapping=mapping,
        skip_invalid=skip_invalid,
        upload=token,
        max_attempts=max_attempts,
        provenance=translated.provenance if translated is not None else None,
    )


def _emit(payload: Mapping[str, Any], as_json: bool, summary: str) -> None:
    if as_json:
        print_json(payload)
    else:
        console.print(summary, highlight=False)
        for problem in payload.get("problems", [])[:20]:
            console.print(
                f"  ligne {problem['row']}, {problem['column']} : {problem['reason']}",
                highlight=False,
            )


@contacts_app.command("export")
def contacts_export(
    segment: Annotated[str, typer.Option("--segment", help="Nom du segment (ou « all »).")],
    out: Annotated[Path, typer.Option("--out", help="Fichier .csv ou .xlsx à écrire.")],
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Exporter un segment en CSV/XLSX (journalisé) / export a segment (audited)."""
    from circo.crm.export import export_format, export_segment

    fmt = export_format(out)
    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        content, rows = export_segment(session, ctx, segment_name=segment, fmt=fmt, target=str(out))
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(content)
    console.print(f"{rows} contact(s) exporté(s) dans {out}")


@contacts_app.command("list")
def contacts_list(
    query: Annotated[str, typer.Argument(help="Nom, e-mail ou téléphone.")] = "",
    limit: Annotated[int, typer.Option("--limit")] = 50,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Chercher des contacts / search contacts."""
    from circo.core import audit
    from circo.crm.contacts import search_contacts
    from circo.crm.schemas import ContactRead

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        contacts = search_contacts(session, ctx, query=query, limit=limit)
        rows = [ContactRead.model_validate(contact).model_dump(mode="json") for contact in contacts]
        audit.record(
            session,
            actor=ctx.actor,
            action="contacts.read",
            campaign_id=ctx.campaign_id,
            details={"rows": len(rows), "query": bool(query)},
        )
    if as_json:
        print_json(rows)
    else:
        for row in rows:
            typer.echo(
                f"{row['id']}\t{row['last_name']}\t{row['first_name']}\t"
                f"{row['email'] or ''}\t{row['phone'] or ''}"
            )


@contacts_app.command("dedup")
def contacts_dedup(
    campaign: CampaignOption = None, data_dir: DataDirOption = None, as_json: JsonOption = False
) -> None:
    """Détecter les doublons / detect duplicates."""
    from circo.crm.dedup import refresh_duplicates

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        pairs = refresh_duplicates(session, ctx)
    _emit({"pairs": pairs}, as_json, f"{pairs} paire(s) de doublons possibles")


@contacts_app.command("merge")
def contacts_merge(
    keep: Annotated[int, typer.Argument(help="Contact conservé.")],
    merge: Annotated[int, typer.Argument(help="Contact fusionné puis supprimé.")],
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Fusionner deux contacts en gardant leurs historiques / merge two contacts."""
    from circo.crm.dedup import merge_contacts

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        merge_contacts(session, ctx, keep_id=keep, merge_id=merge)
    console.print(f"contact {merge} fusionné dans {keep}")


@contacts_app.command("geo-import")
def contacts_geo_import(
    ban: Annotated[Path | None, typer.Option("--ban", help="CSV BAN adresses-XX.csv.")] = None,
    reu: Annotated[Path | None, typer.Option("--reu", help="CSV REU adresses → bureaux.")] = None,
    data_dir: DataDirOption = None,
    campaign: CampaignOption = None,
) -> None:
    """Charger les référentiels de géocodage hors ligne (BAN, REU) / load offline geocoding data."""
    from circo.crm.geocode import import_ban, import_station_points

    if ban is None and reu is None:
        raise CircoError("indiquez --ban FICHIER et/ou --reu FICHIER", loc="--ban")
    with campaign_session(data_dir, campaign) as (_runtime, session, _ctx):
        if ban is not None:
            console.print(f"{import_ban(session, ban)} adresses BAN chargées")
        if reu is not None:
            console.print(f"{import_station_points(session, reu)} points REU chargés")


@contacts_app.command("geocode")
def contacts_geocode(
    all_contacts: Annotated[
        bool, typer.Option("--all", help="Aussi les contacts déjà géocodés.")
    ] = False,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Géocoder les adresses et trouver le bureau de vote / geocode and find polling stations."""
    from circo.crm.geocode import geocode_contacts

    with (
        campaign_session(data_dir, campaign) as (runtime, session, ctx),
        Progress(console=console, transient=True) as progress,
    ):
        task = progress.add_task("Géocodage")
        report = geocode_contacts(
            session,
            ctx,
            runtime.settings,
            only_missing=not all_contacts,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    _emit(
        report.as_dict(),
        as_json,
        f"{report.geocoded}/{report.considered} adresse(s) géocodée(s), "
        f"{report.stations} bureau(x) trouvé(s)",
    )


@contacts_app.command("roll-import")
def contacts_roll_import(
    file: Annotated[Path, typer.Argument(help="Liste électorale ou d'émargement (CSV/XLSX).")],
    election_label: Annotated[
        str, typer.Option("--election", help="Élection pour laquelle la liste a été obtenue.")
    ],
    election_date: Annotated[str, typer.Option("--election-date", help="AAAA-MM-JJ (1er tour).")],
    kind: Annotated[str, typer.Option("--kind", help="roll (L37) ou emargement (L68).")] = "roll",
    second_round: Annotated[
        str | None, typer.Option("--second-round", help="AAAA-MM-JJ du 2nd tour.")
    ] = None,
    obtained_from: Annotated[
        str | None, typer.Option("--from", help="Mairie / préfecture qui l'a fournie.")
    ] = None,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Importer la liste électorale (L37) ou une liste d'émargement (L68) / import the roll."""
    from circo.crm.importer.reading import read_file
    from circo.crm.rolls import import_roll

    parsed = read_file(file)
    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        roll = import_roll(
            session,
            ctx,
            parsed,
            kind=kind,
            election_label=election_label,
            election_date=_day(election_date, "--election-date"),
            second_round_date=_day(second_round, "--second-round") if second_round else None,
            obtained_from=obtained_from,
        )
        console.print(f"{roll.rows} électeur(s) importé(s) — purge prévue le {roll.purge_after}")


def _day(value: str, loc: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CircoError(
            f"date invalide « {value} » (attendu AAAA-MM-JJ, ex. 2027-06-13)", loc=loc
        ) from None


@contacts_app.command("segment-create")
def contacts_segment_create(
    name: Annotated[str, typer.Argument(help="Nom du segment.")],
    filters: Annotated[
        str,
        typer.Option(
            "--filters", help='JSON, ex. {"tags": ["parents"], "consent_channel": "email"}'
        ),
    ] = "{}",
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Créer un segment (filtre enregistré) / create a segment."""
    from pydantic import ValidationError

    from circo.crm.schemas import SegmentFilter
    from circo.crm.segments import create_segment, segment_summary

    try:
        parsed = SegmentFilter.model_validate(json.loads(filters))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise CircoError(f"--filters invalide : {exc}", loc="--filters") from None
    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        segment = create_segment(session, ctx, name=name, filters=parsed)
        size = segment_summary(session, ctx, segment)["size"]
    console.print(f"segment « {segment.name} » : {size} contact(s)")


@contacts_app.command("segments")
def contacts_segments(
    campaign: CampaignOption = None, data_dir: DataDirOption = None, as_json: JsonOption = False
) -> None:
    """Lister les segments / list segments."""
    from circo.crm.segments import list_segments, segment_summary

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        rows = [segment_summary(session, ctx, segment) for segment in list_segments(session, ctx)]
    if as_json:
        print_json(rows)
    else:
        for row in rows:
            typer.echo(f"{row['name']}\t{row['size']}")


# --- events -----------------------------------------------------------------------------------


@events_app.command("create")
def events_create(
    title: Annotated[str, typer.Option("--title", help="Titre.")],
    starts_at: Annotated[
        str,
        typer.Option(
            "--starts-at",
            help="AAAA-MM-JJTHH:MM, heure du fuseau de la campagne (Paris par défaut).",
        ),
    ],
    kind: Annotated[
        str, typer.Option("--kind", help="meeting, canvassing ou training.")
    ] = "meeting",
    place: Annotated[str, typer.Option("--place")] = "",
    capacity: Annotated[int | None, typer.Option("--capacity")] = None,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Créer un événement / create an event."""
    from circo.core.timezone import parse_local
    from circo.crm.events import create_event
    from circo.crm.schemas import EventCreate

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        moment = parse_local(starts_at, ctx.campaign.timezone, field="--starts-at")
        event = create_event(
            session,
            ctx,
            data=EventCreate(
                kind=kind, title=title, starts_at=moment, place=place, capacity=capacity
            ),
        )
        event_id = event.id
    _emit({"id": event_id}, as_json, f"événement {event_id} créé")


@events_app.command("list")
def events_list(
    campaign: CampaignOption = None, data_dir: DataDirOption = None, as_json: JsonOption = False
) -> None:
    """Lister les événements / list events."""
    from circo.core.timezone import to_local
    from circo.crm.events import counts, list_events

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        tz = ctx.campaign.timezone
        rows = [
            {
                "id": e.id,
                "kind": e.kind,
                "title": e.title,
                # ISO 8601 with the campaign's offset: the same instant, read as local time
                "starts_at": to_local(e.starts_at, tz).isoformat(),
                "place": e.place,
                "capacity": e.capacity,
                **counts(session, ctx, event_id=e.id),
            }
            for e in list_events(session, ctx)
        ]
    if as_json:
        print_json(rows)
    else:
        for row in rows:
            when = datetime.fromisoformat(str(row["starts_at"])).strftime("%d/%m/%Y %H:%M")
            typer.echo(f"{row['id']}\t{when}\t{row['title']}")


@events_app.command("invite")
def events_invite(
    event_id: Annotated[int, typer.Argument(help="Événement.")],
    segment: Annotated[str, typer.Option("--segment", help="Segment invité (ou « all »).")],
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Inviter un segment par e-mail (consentement vérifié) / invite a segment by email."""
    from circo.crm.events import invite_segment
    from circo.crm.segments import resolve_segment

    with campaign_session(data_dir, campaign) as (runtime, session, ctx):
        report = invite_segment(
            session,
            ctx,
            runtime.settings,
            event_id=event_id,
            filters=resolve_segment(session, ctx, segment),
        )
    _send_queued_mail(data_dir)
    _emit(
        report.as_dict(),
        as_json,
        f"{report.invited} invitation(s) envoyée(s), "
        f"{report.skipped_no_consent} sans consentement, {report.already_invited} déjà invité(s)",
    )


@events_app.command("attendees")
def events_attendees(
    event_id: int,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Liste des invités et présents / attendees."""
    from circo.crm.events import attendees

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        rows = [
            {
                "contact_id": c.id,
                "name": f"{c.first_name} {c.last_name}".strip(),
                "status": a.status,
                "checked_in": a.checked_in_at is not None,
            }
            for a, c in attendees(session, ctx, event_id=event_id)
        ]
    if as_json:
        print_json(rows)
    else:
        for row in rows:
            typer.echo(
                f"{row['contact_id']}\t{row['name']}\t{row['status']}\t"
                f"{'présent' if row['checked_in'] else ''}"
            )


@events_app.command("checkin")
def events_checkin(
    event_id: int, contact_id: int, campaign: CampaignOption = None, data_dir: DataDirOption = None
) -> None:
    """Pointer une personne présente / check a person in."""
    from circo.crm.events import check_in

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        check_in(session, ctx, event_id=event_id, contact_id=contact_id)
    console.print("présence enregistrée")


@events_app.command("remind")
def events_remind(
    event_id: int, campaign: CampaignOption = None, data_dir: DataDirOption = None
) -> None:
    """Envoyer maintenant les rappels / send reminders now."""
    from circo.crm.events import get_event, send_reminders

    with campaign_session(data_dir, campaign) as (runtime, session, ctx):
        get_event(session, ctx, event_id)
        result = send_reminders(session, runtime.settings, event_id=event_id)
    console.print(f"{result['reminded']} rappel(s) envoyé(s)")


# --- volunteers -------------------------------------------------------------------------------


@volunteers_app.command("invite")
def volunteers_invite(
    email: Annotated[str, typer.Argument(help="E-mail du bénévole.")],
    name: Annotated[str, typer.Option("--name")] = "",
    commune: Annotated[
        str | None, typer.Option("--commune", help="Code INSEE de la commune.")
    ] = None,
    skills: Annotated[
        str, typer.Option("--skills", help="Compétences séparées par des virgules.")
    ] = "",
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Inviter un bénévole par e-mail / invite a volunteer by email."""
    from circo.crm.schemas import VolunteerCreate
    from circo.crm.volunteers import invite_volunteer

    with campaign_session(data_dir, campaign) as (runtime, session, ctx):
        invite_volunteer(
            session,
            ctx,
            runtime.settings,
            data=VolunteerCreate(
                email=email,
                display_name=name,
                home_commune=commune,
                skills=[s.strip() for s in skills.split(",") if s.strip()],
            ),
        )
    _send_queued_mail(data_dir)
    console.print(f"invitation envoyée à {email}")


def _send_queued_mail(data_dir: Path | None) -> None:
    """Send the mail the command queued, now that it is committed (a mail server that cannot
    be reached leaves it queued for the job engine: ``circo worker`` or ``circo serve``)."""
    from circo.core.jobs import run_pending
    from circo.core.outbox import KIND

    with runtime_for(data_dir) as runtime:
        run_pending(runtime.factory, runtime.settings, kinds={KIND})


@volunteers_app.command("list")
def volunteers_list(
    campaign: CampaignOption = None, data_dir: DataDirOption = None, as_json: JsonOption = False
) -> None:
    """Lister les bénévoles / list volunteers."""
    from circo.crm.volunteers import list_volunteers

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        rows = list_volunteers(session, ctx)
    if as_json:
        print_json(rows)
    else:
        for row in rows:
            typer.echo(f"{row['id']}\t{row['email']}\t{row['status']}\t{', '.join(row['teams'])}")
