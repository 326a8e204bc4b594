"""``circo messages …``: send a message to a segment by email or SMS, opt-outs, A/B, matrix."""

from __future__ import annotations

import time
from datetime import UTC, datetime
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
    runtime_for,
)
from circo.messaging.errors import MessagingError

MAX_WAIT_SECONDS = 900

app = typer.Typer(
    help="Messages ciblés par e-mail et SMS / targeted email and SMS.", no_args_is_help=True
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="messages")


def _read_body(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MessagingError(
            f"fichier du message illisible : {exc} (attendu un texte UTF-8)", loc=str(path)
        ) from exc


def _run_jobs(data_dir: Path | None, campaign: str | None, message_id: int) -> bool:
    """Run the message's send jobs in this process until none is left; False if one failed."""
    from circo.core.jobs import run_pending
    from circo.messaging import delivery  # registers the job handlers
    from circo.messaging.service import SEND_JOB

    waited = 0.0
    while True:
        with runtime_for(data_dir) as runtime:
            run_pending(runtime.factory, runtime.settings, kinds={SEND_JOB})
        with campaign_session(data_dir, campaign) as (_runtime, session, _ctx):
            jobs = delivery.pending_send_jobs(session, message_id)
            failed = delivery.failed_send_jobs(session, message_id)
            queued = [job for job in jobs if job.status == "queued"]
            if not queued:
                return not failed
            delay = (queued[0].run_after - datetime.now(UTC)).total_seconds()
        if waited + delay > MAX_WAIT_SECONDS:
            console.print(
                f"envoi reporté de {int(delay)} s : il reprendra avec `circo jobs run` "
                "ou `circo serve`",
                highlight=False,
            )
            return True
        console.print(f"nouvel essai dans {int(delay)} s…", highlight=False)
        time.sleep(max(delay, 0.0))
        waited += max(delay, 0.0)


@app.command("send")
def send(
    channel: Annotated[str, typer.Option("--channel", help="email ou sms.")],
    segment: Annotated[str, typer.Option("--segment", help="Nom du segment, ou all.")],
    body_file: Annotated[Path, typer.Option("--body-file", help="Texte du message (UTF-8).")],
    subject: Annotated[str, typer.Option("--subject", help="Objet (e-mail).")] = "",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Compter sans envoyer / count only.")
    ] = False,
    point: Annotated[
        int | None, typer.Option("--point", help="Point du programme (id) ; défaut : matrice.")
    ] = None,
    ab_subject: Annotated[
        list[str] | None,
        typer.Option("--ab-subject", help="Objet à tester (A/B, répéter l'option)."),
    ] = None,
    ab_sample: Annotated[float, typer.Option("--ab-sample", help="Échantillon A/B (0.2).")] = 0.2,
    ab_metric: Annotated[
        str, typer.Option("--ab-metric", help="opens, clicks ou fixed (gagnant par défaut).")
    ] = "opens",
    track: Annotated[
        bool, typer.Option("--track", help="Mesurer ouvertures/clics (consentement).")
    ] = False,
    rate: Annotated[
        float | None, typer.Option("--rate", help="Messages par seconde (0 : sans limite).")
    ] = None,
    data_dir: DataDirOption = None,
    campaign: CampaignOption = None,
    as_json: JsonOption = False,
) -> None:
    """Envoyer un message à un segment / send a message to a segment (runs to completion)."""
    from circo.messaging import service

    variants = list(ab_subject or [])
    draft = service.Draft(
        channel=channel,
        segment=segment,
        subject=subject or (variants[0] if variants else ""),
        body=_read_body(body_file),
        point_id=point,
        subject_variants=variants or None,
        ab_sample_fraction=ab_sample if variants else 0.0,
        ab_metric=ab_metric,
        track=track,
        rate_per_second=rate,
    )
    with campaign_session(data_dir, campaign) as (runtime, session, ctx):
        if dry_run:
            result = _dry_run(session, ctx, draft)
        else:
            message = service.start_send(session, ctx, runtime.settings, draft=draft)
            message_id = message.id
    ok = True
    if not dry_run:
        ok = _run_jobs(data_dir, campaign, message_id)
        with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
            result = service.outcome(session, service.get_message(session, ctx, message_id))
    _print_outcome(result, as_json)
    if not ok:
        console.print(
            f"l'envoi a échoué (serveur injoignable ?) : reprenez avec "
            f"`circo messages resume {result['campaign']}`",
            highlight=False,
        )
        raise typer.Exit(1)


def _dry_run(session: Any, ctx: Any, draft: Any) -> dict[str, Any]:
    from circo.db import utcnow
    from circo.messaging import service

    service.validate_draft(draft)
    service.require_sending_allowed(ctx, draft.channel, utcnow())
    who = service.audience(session, ctx, segment=draft.segment, channel=draft.channel)
    return {
        "campaign": None,
        "recipients": len(who.member_ids),
        "sent": 0,
        "skipped_no_consent": len(who.no_consent),
        "skipped_opposed": len(who.opposed),
        "failed": 0,
    }


def _print_outcome(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(result)
        return
    console.print(
        f"message {result['campaign']} : {result['sent']} envoyé(s) sur "
        f"{result['recipients']} ; sans consentement {result['skipped_no_consent']}, "
        f"opposés {result['skipped_opposed']}, échecs {result['failed']}",
        highlight=False,
    )


@app.command("resume")
def resume(
    message_id: Annotated[int, typer.Argument(help="Identifiant du message.")],
    data_dir: DataDirOption = None,
    campaign: CampaignOption = None,
    as_json: JsonOption = False,
) -> None:
    """Reprendre un envoi interrompu, sans rien envoyer deux fois / resume a send."""
    from circo.messaging import service

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        service.resume(session, ctx, message=service.get_message(session, ctx, message_id))
    ok = _run_jobs(data_dir, campaign, message_id)
    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        result = service.outcome(session, service.get_message(session, ctx, message_id))
    _print_outcome(result, as_json)
    if not ok:
        raise typer.Exit(1)


@app.command("list")
def list_messages(
    data_dir: DataDirOption = None, campaign: CampaignOption = None, as_json: JsonOption = False
) -> None:
    """Lister les messages et leurs statistiques / list messages with delivery stats."""
    from circo.messaging import service

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        rows = [
            {
                **service.outcome(session, message),
                "channel": message.channel,
                "segment": message.segment_name,
                "subject": message.subject,
                "status": message.status,
            }
            for message in service.list_messages(session, ctx)
        ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        typer.echo(
            f"{row['campaign']}\t{row['channel']}\t{row['status']}\t{row['sent']}/"
            f"{row['recipients']}\t{row['subject']}"
        )


@app.command("winner")
def winner(
    message_id: Annotated[int, typer.Argument(help="Identifiant du message A/B.")],
    variant: Annotated[
        int | None, typer.Option("--variant", help="Variante gagnante (0, 1…) ; défaut : mesure.")
    ] = None,
    data_dir: DataDirOption = None,
    campaign: CampaignOption = None,
    as_json: JsonOption = False,
) -> None:
    """Choisir l'objet gagnant d'un test A/B et l'envoyer au reste / send the A/B winner."""
    from circo.messaging import service

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        message = service.get_message(session, ctx, message_id)
        chosen = service.decide_winner(session, ctx, message=message, variant=variant)
    _run_jobs(data_dir, campaign, message_id)
    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        result = service.outcome(session, service.get_message(session, ctx, message_id))
    if as_json:
        print_json({**result, "winner": chosen})
    else:
        _print_outcome(result, False)


@app.command("unsubscribe")
def unsubscribe(
    email: Annotated[str, typer.Option("--email", help="Adresse à désinscrire.")],
    data_dir: DataDirOption = None,
    campaign: CampaignOption = None,
    as_json: JsonOption = False,
) -> None:
    """Désinscrire une adresse des e-mails (comme le lien) / unsubscribe an address."""
    from circo.messaging import service

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        count = service.unsubscribe_email(session, ctx, email=email, source="cli")
    if as_json:
        print_json({"email": email, "contacts": count})
    else:
        console.print(f"{email} désinscrit(e) ({count} contact(s))", highlight=False)


@app.command("sms-inbound")
def sms_inbound(
    phone: Annotated[str, typer.Option("--from", help="Numéro de l'expéditeur.")],
    text: Annotated[str, typer.Option("--text", help="Texte reçu (ex. STOP).")],
    data_dir: DataDirOption = None,
    campaign: CampaignOption = None,
    as_json: JsonOption = False,
) -> None:
    """Enregistrer un SMS reçu : « STOP » vaut opposition aux SMS / record an inbound SMS."""
    from circo.messaging import service

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        count = service.handle_inbound_sms(session, ctx, phone=phone, text=text, source="cli")
    if as_json:
        print_json({"from": phone, "stop": service.is_stop(text), "contacts": count})
    else:
        console.print(f"{count} contact(s) opposé(s) aux SMS", highlight=False)


@app.command("point-add")
def point_add(
    title: Annotated[str, typer.Argument(help="Titre du point du programme.")],
    summary: Annotated[str, typer.Option("--summary", help="Résumé.")] = "",
    segment: Annotated[
        list[str] | None, typer.Option("--segment", help="Segment qui reçoit ce point.")
    ] = None,
    data_dir: DataDirOption = None,
    campaign: CampaignOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ajouter un point du programme à la matrice / add a programme point."""
    from circo.messaging import service

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        point = service.add_point(session, ctx, title=title, summary=summary)
        for name in segment or []:
            service.set_cell(session, ctx, segment=name, point_id=point.id, on=True)
        result = {"id": point.id, "title": point.title, "segments": list(segment or [])}
    if as_json:
        print_json(result)
    else:
        console.print(f"point {result['id']} : {result['title']}", highlight=False)


@app.command("matrix")
def matrix(
    data_dir: DataDirOption = None, campaign: CampaignOption = None, as_json: JsonOption = False
) -> None:
    """La matrice points × segments, avec les personnes joignables / the message matrix."""
    from circo.messaging import service

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        points, rows = service.matrix(session, ctx)
        payload: dict[str, Any] = {
            "points": [{"id": point.id, "title": point.title} for point in points],
            "segments": [
                {
                    "segment": row.segment,
                    "size": row.size,
                    "reachable": row.reachable,
                    "points": row.points,
                }
                for row in rows
            ],
        }
    if as_json:
        print_json(payload)
        return
    titles = {point["id"]: point["title"] for point in payload["points"]}
    for row in payload["segments"]:
        names = ", ".join(titles[point_id] for point_id in row["points"]) or "—"
        typer.echo(
            f"{row['segment']}\t{row['size']}\temail {row['reachable']['email']}\t"
            f"sms {row['reachable']['sms']}\t{names}"
        )
