"""``circo calls …``: phone banking from the command line (build a list, record an outcome,
follow the progress)."""

from __future__ import annotations

from typing import Annotated

import typer

from circo.cli_common import (
    CampaignOption,
    DataDirOption,
    JsonOption,
    campaign_session,
    console,
    print_json,
)
from circo.reach.errors import ReachError

calls_app = typer.Typer(
    help="Phoning : listes d'appels, issues, progression / phone banking.",
    no_args_is_help=True,
)


forms_app = typer.Typer(
    help="Formulaires publics à double confirmation / public double opt-in forms.",
    no_args_is_help=True,
)


texts_app = typer.Typer(
    help="SMS un à un : campagnes, envoi du suivant, adresse des réponses / peer-to-peer texting.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    from circo.cli import CircoGroup

    calls_app.info.cls = CircoGroup
    forms_app.info.cls = CircoGroup
    texts_app.info.cls = CircoGroup
    app.add_typer(calls_app, name="calls")
    app.add_typer(forms_app, name="forms")
    app.add_typer(texts_app, name="texts")
    from circo.reach import cli_drops

    cli_drops.register(app)


def _answers(values: list[str]) -> dict[str, str]:
    answers: dict[str, str] = {}
    for value in values:
        question, separator, answer = value.partition("=")
        if not separator or not question.strip():
            raise ReachError(
                f"réponse « {value} » illisible : attendu QUESTION=RÉPONSE (ex. « Vote=oui »)",
                loc="--answer",
            )
        answers[question.strip()] = answer.strip()
    return answers


@calls_app.command("create")
def calls_create(
    segment: Annotated[str, typer.Option("--segment", help="Nom du segment (« all » : tous).")],
    name: Annotated[str, typer.Option("--name", help="Nom de la liste.")] = "",
    script: Annotated[str, typer.Option("--script", help="Texte d'appel pour les bénévoles.")] = "",
    question: Annotated[
        list[str] | None, typer.Option("--question", help="Question posée (répétable).")
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", help="Appels par série de bénévole (1 à 100).")
    ] = 20,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Construire une liste d'appels depuis un segment / build a call list from a segment.

    Seules les personnes joignables par téléphone (consentement ou intérêt légitime, numéro,
    aucune opposition) entrent dans la liste ; les autres sont comptées."""
    from circo.reach.calls import create_call_list

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        built = create_call_list(
            session,
            ctx,
            segment=segment,
            name=name,
            script=script,
            questions=question or [],
            batch_size=batch_size,
        )
        session.flush()
        payload = built.as_json()
    if as_json:
        print_json(payload)
    else:
        console.print(
            f"liste d'appels {payload['list']} : {built.contacts} contact(s) ; écartés : "
            f"{built.no_basis} sans base légale, {built.opposed} opposé(s)"
        )


@calls_app.command("record")
def calls_record(
    list_id: Annotated[int, typer.Option("--list", help="Numéro de la liste d'appels.")],
    contact_id: Annotated[int, typer.Option("--contact", help="Numéro du contact.")],
    outcome: Annotated[
        str,
        typer.Option(
            "--outcome",
            help="reached, voicemail, wrong_number, refused, callback ou opposed.",
        ),
    ],
    answer: Annotated[
        list[str] | None, typer.Option("--answer", help="QUESTION=RÉPONSE (répétable).")
    ] = None,
    callback: Annotated[
        str, typer.Option("--callback", help="Rappel, heure de la campagne : 2026-12-04 18:30.")
    ] = "",
    note: Annotated[str, typer.Option("--note", help="Note libre.")] = "",
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Enregistrer l'issue d'un appel / record what came of a call.

    « opposed » inscrit l'opposition au démarchage téléphonique dans le registre (aussitôt) ;
    « wrong_number » efface le numéro du contact."""
    from circo.core.timezone import parse_local
    from circo.labels import label
    from circo.reach.calls import parse_outcome, record_outcome

    parse_outcome(outcome, loc="--outcome")
    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        callback_at = (
            parse_local(callback, ctx.campaign.timezone, field="--callback") if callback else None
        )
        entry = record_outcome(
            session,
            ctx,
            list_id=list_id,
            contact_id=contact_id,
            outcome=outcome,
            answers=_answers(answer or []),
            callback_at=callback_at,
            note=note,
        )
        payload = {
            "list": entry.list_id,
            "contact": entry.contact_id,
            "outcome": str(entry.outcome),
            "status": str(entry.status),
        }
    if as_json:
        print_json(payload)
    else:
        console.print(
            f"appel enregistré : contact {contact_id}, {label(payload['outcome'], 'call_outcome')}"
        )


@calls_app.command("progress")
def calls_progress(
    list_id: Annotated[int, typer.Option("--list", help="Numéro de la liste d'appels.")],
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Progression d'une liste : appels passés, taux de joignabilité, réponses / progress."""
    from circo.formatting import format_percent
    from circo.reach.calls import get_call_list, progress

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        call_list = get_call_list(session, ctx, list_id)
        result = progress(session, ctx, list_id=list_id)
        payload = result.as_json(call_list)
    if as_json:
        print_json(payload)
    else:
        console.print(
            f"{payload['name']} : {result.called} appel(s) sur {result.total}, "
            f"joints {format_percent(result.reach_rate)}"
        )


@forms_app.command("create")
def forms_create(
    kind: Annotated[
        str,
        typer.Option("--kind", help="signup, volunteer, petition, event ou procuration_offer."),
    ],
    name: Annotated[str, typer.Option("--name", help="Nom affiché (ex. « Rejoindre »).")],
    wording: Annotated[
        str, typer.Option("--wording", help="Texte d'accord (sinon le texte par défaut).")
    ] = "",
    event: Annotated[
        int | None, typer.Option("--event", help="Événement d'un formulaire « event » (n°).")
    ] = None,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Créer un formulaire public intégrable / create an embeddable public form.

    Adresse publique /f/… ; le contact est créé après confirmation par e-mail, avec son
    consentement et la preuve (texte, date, formulaire, origine)."""
    from circo.reach.forms import create_form, form_url, parse_kind

    parse_kind(kind, loc="--kind")
    with campaign_session(data_dir, campaign) as (runtime, session, ctx):
        form = create_form(session, ctx, kind=kind, name=name, wording=wording, event_id=event)
        payload = {"id": form.id, "url": form_url(runtime.settings, form)}
    if as_json:
        print_json(payload)
    else:
        console.print(f"formulaire {payload['id']} : {payload['url']}")


@texts_app.command("create")
def texts_create(
    segment: Annotated[str, typer.Option("--segment", help="Nom du segment (« all » : tous).")],
    template: Annotated[
        str, typer.Option("--template", help="Texte du SMS, ex. « Bonjour {{ prenom }}, … ».")
    ],
    name: Annotated[str, typer.Option("--name", help="Nom de la campagne SMS.")] = "",
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Créer une campagne de SMS un à un depuis un segment / build a texting campaign.

    Seules les personnes ayant consenti aux SMS (avec un numéro, sans opposition) sont
    retenues ; les autres sont comptées."""
    from circo.reach.texting import create_text_campaign

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        built = create_text_campaign(session, ctx, segment=segment, template=template, name=name)
        session.flush()
        payload = built.as_json()
    if as_json:
        print_json(payload)
    else:
        console.print(
            f"campagne SMS {payload['campaign']} : {built.contacts} contact(s) ; écartés : "
            f"{built.no_basis} sans consentement, {built.opposed} opposé(s)"
        )


@texts_app.command("send-next")
def texts_send_next(
    text_campaign_id: Annotated[int, typer.Option("--campaign", help="Numéro de la campagne SMS.")],
    campaign: Annotated[
        str | None, typer.Option("--in", help="Campagne électorale (slug), si plusieurs.")
    ] = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Envoyer un SMS, le suivant de la campagne / send the next text (one action, one text).

    Refusé pendant le silence L49 et hors des heures d'envoi ; le consentement est vérifié
    au moment de l'envoi."""
    from circo.reach.texting import get_text_campaign, send_next

    with campaign_session(data_dir, campaign) as (runtime, session, ctx):
        result = send_next(session, ctx, runtime.settings, text_campaign_id=text_campaign_id)
        payload = result.as_json(get_text_campaign(session, ctx, text_campaign_id))
    if as_json:
        print_json(payload)
    elif payload["sent"] is None:
        console.print("plus aucun SMS à envoyer dans cette campagne")
    else:
        console.print(
            f"SMS {payload['sent']['status']} au contact {payload['sent']['contact']} ; "
            f"reste {payload['remaining']}"
        )


@texts_app.command("webhook")
def texts_webhook(campaign: CampaignOption = None, data_dir: DataDirOption = None) -> None:
    """Adresse (signée) à donner au fournisseur SMS pour les réponses / the replies webhook."""
    from circo.reach.text_inbox import inbound_url

    with campaign_session(data_dir, campaign) as (runtime, _session, ctx):
        url = inbound_url(runtime.settings, ctx.campaign_id)
    typer.echo(url)
