"""``circo privacy …`` and ``circo consent …``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from circo.cli_common import (
    CampaignOption,
    DataDirOption,
    JsonOption,
    campaign_session,
    console,
    print_json,
)
from circo.errors import CircoError

privacy_app = typer.Typer(
    help="RGPD : droits, conservation, registre / GDPR.", no_args_is_help=True
)
consent_app = typer.Typer(
    help="Consentements par canal / consent per channel.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    from circo.cli import CircoGroup

    privacy_app.info.cls = CircoGroup
    consent_app.info.cls = CircoGroup
    app.add_typer(privacy_app, name="privacy")
    app.add_typer(consent_app, name="consent")


@consent_app.command("set")
def consent_set(
    email: Annotated[str, typer.Option("--email", help="E-mail du contact.")],
    channel: Annotated[str, typer.Option("--channel", help="email, sms, phone, post.")],
    status: Annotated[str, typer.Option("--status", help="granted ou refused (withdrawn).")],
    source: Annotated[
        str, typer.Option("--source", help="Origine / preuve (formulaire, appel…).")
    ] = "cli",
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Enregistrer un consentement / record consent."""
    from circo.crm.contacts import find_by_identity
    from circo.crm.errors import ContactNotFound
    from circo.privacy.consent import record_consent

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        contacts = find_by_identity(session, ctx, email=email)
        if not contacts:
            raise ContactNotFound(
                f"aucun contact avec l'e-mail {email} dans cette campagne", loc="--email"
            )
        records = [
            record_consent(
                session,
                ctx,
                contact_id=c.id,
                channel=channel,
                status=status,
                source=source,
                proof={"via": "cli", "actor": ctx.actor.email},
            )
            for c in contacts
        ]
        payload = {
            "contacts": [c.id for c in contacts],
            "channel": records[0].channel,
            "status": records[0].status,
        }
    if as_json:
        print_json(payload)
    else:
        console.print(
            f"consentement {payload['channel']} = {payload['status']} "
            f"pour {len(contacts)} contact(s)"
        )


@consent_app.command("check")
def consent_check(
    email: Annotated[str, typer.Option("--email")],
    channel: Annotated[str, typer.Option("--channel")],
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Peut-on contacter cette personne sur ce canal ? / may we contact this person?"""
    from circo.crm.contacts import find_by_identity
    from circo.privacy.consent import can_contact

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        rows = [
            {"contact_id": c.id, **can_contact(session, ctx, c.id, channel).__dict__}
            for c in find_by_identity(session, ctx, email=email)
        ]
    print_json(rows)


@privacy_app.command("access")
def privacy_access(
    out: Annotated[Path, typer.Option("--out", help="Fichier JSON à écrire.")],
    email: Annotated[str | None, typer.Option("--email")] = None,
    phone: Annotated[str | None, typer.Option("--phone")] = None,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Aussi un PDF lisible.")] = None,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Tout ce que la campagne détient sur une personne (JSON, PDF) / right of access."""
    from circo.privacy.rights.access import access_pdf, answer_access

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        export = answer_access(session, ctx, email=email, phone=phone, channel="cli")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(export, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    if pdf is not None:
        pdf.write_bytes(access_pdf(export))
    console.print(f"{len(export['contacts'])} fiche(s) exportée(s) dans {out}")


@privacy_app.command("erase")
def privacy_erase(
    email: Annotated[str | None, typer.Option("--email")] = None,
    phone: Annotated[str | None, typer.Option("--phone")] = None,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Effacer une personne partout (base et fichiers) / erase a person everywhere."""
    from circo.privacy.rights.erasure import erase_person
    from circo.privacy.rights.traces import compact_sqlite

    if not email and not phone:
        raise CircoError("indiquez --email et/ou --phone", loc="--email")
    with campaign_session(data_dir, campaign) as (runtime, session, ctx):
        report = erase_person(session, ctx, runtime.settings, email=email, phone=phone)
        engine = runtime.engine
        session.commit()
        compact_sqlite(engine)
    payload = report.as_dict()
    if as_json:
        print_json(payload)
    else:
        console.print(
            f"{report.contacts} contact(s) effacé(s) ; {sum(report.scrubbed.values())} ligne(s) "
            f"nettoyée(s) ; {len(report.files_deleted)} fichier(s) supprimé(s), "
            f"{len(report.files_rewritten)} réécrit(s)"
        )


@privacy_app.command("retention")
def privacy_retention(
    dry_run: Annotated[
        bool, typer.Option("--dry-run/--apply", help="Lister seulement (défaut) ou appliquer.")
    ] = True,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Durées de conservation : simulation ou purge / retention policies."""
    from circo.privacy.retention import ensure_retention_scheduled, run_retention

    with campaign_session(data_dir, campaign) as (runtime, session, ctx):
        report = run_retention(session, ctx, runtime.settings, apply=not dry_run)
        ensure_retention_scheduled(session)
    payload = report.as_dict()
    if as_json:
        print_json(payload)
        return
    verb = "supprimé(s)" if not dry_run else "à supprimer"
    for item in report.items:
        console.print(f"{item.count:>7} {verb} — {item.label}", highlight=False)


@privacy_app.command("register")
def privacy_register(
    campaign: CampaignOption = None, data_dir: DataDirOption = None, as_json: JsonOption = False
) -> None:
    """Registre des traitements / record of processing activities."""
    from circo.privacy.register import processing_register

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        rows = processing_register(session, ctx)
    if as_json:
        print_json(rows)
    else:
        for row in rows:
            typer.echo(
                f"{row['purpose']} — {row['legal_basis']} — conservation : {row['retention']}"
            )


@privacy_app.command("requests")
def privacy_requests(
    campaign: CampaignOption = None, data_dir: DataDirOption = None, as_json: JsonOption = False
) -> None:
    """Demandes d'exercice des droits et leurs échéances / rights requests and deadlines."""
    from circo.privacy.rights.requests import is_overdue, list_requests

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        rows: list[dict[str, Any]] = [
            {
                "id": r.id,
                "kind": r.kind,
                "status": r.status,
                "channel": r.channel,
                "received_at": r.received_at.isoformat(),
                "due_at": r.due_at.isoformat(),
                "overdue": is_overdue(r),
            }
            for r in list_requests(session, ctx)
        ]
    if as_json:
        print_json(rows)
    else:
        for row in rows:
            typer.echo(
                f"{row['id']}\t{row['kind']}\t{row['status']}\téchéance {row['due_at'][:10]}"
                + ("\tEN RETARD" if row["overdue"] else "")
            )
