"""Assistant commands: ``circo kb …``, ``ask``, ``argue``, ``rebut``, ``leaflet``, ``write``."""

from __future__ import annotations

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

kb_app = typer.Typer(help="Base de connaissances de l'assistant / assistant knowledge base.")
feed_app = typer.Typer(help="Flux d'actualités locales (RSS/Atom) / local news feeds.")
place_app = typer.Typer(help="Communes de la campagne (pour les actualités) / campaign places.")
kb_app.add_typer(feed_app, name="feed")
kb_app.add_typer(place_app, name="place")

TypeOption = Annotated[
    str | None,
    typer.Option("--type", help="programme, study, article, poll, news ou rebuttal."),
]
TerritoryOption = Annotated[
    str | None, typer.Option("--territory", help="Code de commune ou de circonscription.")
]
OfflineOption = Annotated[
    bool, typer.Option("--offline", help="Sans modèle de langage / extractive mode only.")
]


def register(app: typer.Typer) -> None:
    app.add_typer(kb_app, name="kb")
    app.command("ask")(ask)
    app.command("argue")(argue)
    app.command("rebut")(rebut)
    app.command("leaflet")(leaflet)
    app.command("write")(write)
    app.command("visual")(visual)


# --- kb ---------------------------------------------------------------------------------------


@kb_app.command("add")
def kb_add(
    source: Annotated[str, typer.Argument(help="Fichier, dossier ou URL / file, folder or URL.")],
    doc_type: TypeOption = None,
    title: Annotated[str | None, typer.Option("--title", help="Titre / title.")] = None,
    territory: Annotated[
        list[str] | None,
        typer.Option("--territory", help="Code(s) de territoire (répétable, ex. 69383)."),
    ] = None,
    day: Annotated[str | None, typer.Option("--date", help="Date AAAA-MM-JJ.")] = None,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ajouter des documents (fichier, dossier entier ou URL) / add documents."""
    from rich.progress import Progress

    from circo.assistant.service import DocumentMeta, add_source, parse_day, parse_doc_type

    codes = [code.strip() for value in territory or [] for code in value.split(",") if code.strip()]
    meta = DocumentMeta(
        title=title,
        doc_type=parse_doc_type(doc_type) if doc_type else None,
        territory_codes=codes,
        published_on=parse_day(day),
    )
    with (
        Progress(console=console, transient=True) as progress,
        campaign_session(data_dir, campaign) as (runtime, session, ctx),
    ):
        task = progress.add_task("indexation", total=None)
        outcomes = add_source(
            session,
            ctx,
            source=source,
            meta=meta,
            settings=runtime.settings,
            on_file=lambda name: progress.update(task, description=name[-60:]),
        )
    _compute_embeddings(data_dir)
    rows = [outcome.as_dict() for outcome in outcomes]
    failed = [row for row in rows if row["status"] == "failed"]
    if as_json:
        print_json({"documents": rows, "failed": len(failed)})
    else:
        for row in rows:
            line = (
                f"{row['status']:<10} {row['title'] or row['source']} ({row['passages']} passages)"
            )
            console.print(
                line if row["status"] != "failed" else f"[red]échec[/red]     {row['error']}",
                highlight=False,
            )
    if failed:
        raise typer.Exit(1)


def _compute_embeddings(data_dir: Path | None) -> None:
    """With an embeddings model configured, compute the vectors of what was just committed
    (the ``assistant.embed`` jobs; an unreachable endpoint leaves them to the job engine)."""
    from circo.assistant.embedding import KIND
    from circo.assistant.llm import embedder_configured
    from circo.core.jobs import run_pending

    with runtime_for(data_dir) as runtime:
        if embedder_configured(runtime.settings):
            with console.status("calcul des vecteurs (embeddings)"):
                run_pending(runtime.factory, runtime.settings, kinds={KIND})


@kb_app.command("list")
def kb_list(
    doc_type: TypeOption = None,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Lister les documents / list documents."""
    from circo.assistant import repository
    from circo.assistant.service import document_summary, parse_doc_type

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        kind = parse_doc_type(doc_type) if doc_type else None
        rows = [
            document_summary(doc) for doc in repository.list_documents(session, ctx, doc_type=kind)
        ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        typer.echo(
            f"{row['id']}\t{row['type']}\t{row['date'] or '-'}\t{row['title']}\t{row['source']}"
        )


@kb_app.command("show")
def kb_show(
    document_id: Annotated[int, typer.Argument(help="Numéro du document.")],
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Afficher un document et ses passages / show a document and its passages."""
    from circo.assistant import repository
    from circo.assistant.service import document_summary

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        document = repository.get_document(session, ctx, document_id)
        payload: dict[str, Any] = document_summary(document)
        payload["passages"] = [
            {
                "id": p.id,
                "heading": p.heading_path,
                "start": p.start_offset,
                "end": p.end_offset,
                "text": p.text,
            }
            for p in repository.document_passages(session, ctx, document_id)
        ]
    if as_json:
        print_json(payload)
        return
    typer.echo(f"{payload['title']} ({payload['type']}) — {payload['source']}")
    for passage in payload["passages"]:
        typer.echo(f"\n[{passage['id']}] {passage['heading']}\n{passage['text']}")


@kb_app.command("remove")
def kb_remove(
    document_id: Annotated[int, typer.Argument(help="Numéro du document.")],
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Supprimer un document et ses passages / delete a document."""
    from circo.assistant.service import delete_document

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        title = delete_document(session, ctx, document_id=document_id)
    console.print(f"Supprimé : {title}", highlight=False)


@feed_app.command("add")
def feed_add(
    url: Annotated[str, typer.Argument(help="URL du flux RSS/Atom.")],
    territory: Annotated[str, typer.Option("--territory", help="Code du territoire, ex. 69383.")],
    name: Annotated[str | None, typer.Option("--name", help="Nom du territoire.")] = None,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Suivre un flux d'actualités locales / follow a local news feed."""
    from circo.assistant.feeds import add_feed, feed_summary

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        feed = add_feed(session, ctx, url=url, territory_code=territory, territory_name=name)
        row = feed_summary(feed)
    if as_json:
        print_json(row)
    else:
        console.print(
            f"Flux n° {row['id']} ajouté ({row['territory']}) : rafraîchi par `circo jobs run` "
            "ou `circo serve`, ou tout de suite avec `circo kb feed refresh`.",
            highlight=False,
        )


@feed_app.command("list")
def feed_list(
    campaign: CampaignOption = None, data_dir: DataDirOption = None, as_json: JsonOption = False
) -> None:
    """Lister les flux et leur état / list feeds and their status."""
    from circo.assistant import repository
    from circo.assistant.feeds import feed_summary

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        rows = [feed_summary(feed) for feed in repository.list_feeds(session, ctx)]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        typer.echo(
            f"{row['id']}\t{row['territory']}\t{row['status']}\t{row['items']}\t{row['url']}"
        )


@feed_app.command("refresh")
def feed_refresh(
    campaign: CampaignOption = None, data_dir: DataDirOption = None, as_json: JsonOption = False
) -> None:
    """Rafraîchir tous les flux maintenant / refresh every feed now."""
    from circo.assistant.feeds import refresh_all

    with campaign_session(data_dir, campaign) as (runtime, session, ctx):
        results = refresh_all(session, ctx, settings=runtime.settings)
    if as_json:
        print_json(results)
        return
    for result in results:
        console.print(
            f"flux {result['feed_id']} : {result['status']}, {result['new']} nouveau(x)"
            + (f" — {result['error']}" if result.get("error") else ""),
            highlight=False,
        )


@place_app.command("add")
def place_add(
    code: Annotated[str, typer.Argument(help="Code INSEE, ex. 69383.")],
    name: Annotated[str, typer.Argument(help="Nom, ex. « Lyon 3e ».")],
    alias: Annotated[
        list[str] | None, typer.Option("--alias", help="Autre nom (répétable).")
    ] = None,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Déclarer une commune de la campagne / declare a campaign commune."""
    from circo.assistant.service import add_place

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        add_place(session, ctx, code=code, name=name, aliases=alias or [])
    console.print(f"Commune {code} « {name} » enregistrée.", highlight=False)


# --- tasks ------------------------------------------------------------------------------------


def ask(
    query: Annotated[str, typer.Argument(help="Question ou mot-clé, ex. « retraites ».")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=50, help="Nombre de points.")] = 5,
    doc_type: TypeOption = None,
    territory: TerritoryOption = None,
    since: Annotated[str | None, typer.Option("--since", help="Depuis AAAA-MM-JJ.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Jusqu'au AAAA-MM-JJ.")] = None,
    offline: OfflineOption = False,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Interroger la base : points sourcés / ask the knowledge base: sourced points."""
    from circo.assistant.retrieval import Filters
    from circo.assistant.service import parse_day, parse_doc_type
    from circo.assistant.tasks import ask as run_ask

    filters = Filters(
        doc_types=(parse_doc_type(doc_type),) if doc_type else (),
        territory=territory,
        since=parse_day(since, loc="--since"),
        until=parse_day(until, loc="--until"),
    )
    with campaign_session(data_dir, campaign) as (runtime, session, ctx):
        answer = run_ask(
            session,
            ctx,
            query=query,
            settings=runtime.settings,
            limit=limit,
            filters=filters,
            offline=offline,
        )
    if answer.warning:
        typer.echo(f"Attention : {answer.warning}", err=True)
    if as_json:
        print_json(answer.contract())
        return
    if not answer.points:
        typer.echo("Rien trouvé dans la base de connaissances.")
    for number, point in enumerate(answer.points, start=1):
        typer.echo(f"{number}. {point.text}")
        for citation in point.citations:
            typer.echo(f"   — {citation.row.title} ({citation.row.source})")


def argue(
    keyword: Annotated[str, typer.Argument(help="Mot-clé, ex. « retraites ».")],
    offline: OfflineOption = False,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fiche argumentaire : propositions, chiffres, objections / argument sheet."""
    from circo.assistant.tasks import argue as run_argue

    with campaign_session(data_dir, campaign) as (runtime, session, ctx):
        sheet = run_argue(session, ctx, keyword=keyword, settings=runtime.settings, offline=offline)
    if sheet.warning:
        typer.echo(f"Attention : {sheet.warning}", err=True)
    if as_json:
        print_json(sheet.contract())
        return
    for heading, points in (
        ("Nos propositions", sheet.proposals),
        ("Faits et chiffres", sheet.facts),
        ("Réponses aux objections", sheet.objections),
    ):
        if points:
            typer.echo(f"\n{heading}")
        for point in points:
            prefix = f"« {point.label} » → " if point.label and point.kind == "objection" else ""
            typer.echo(f"- {prefix}{point.text} [{point.citations[0].row.title}]")
    if sheet.empty:
        typer.echo("Rien trouvé dans la base de connaissances sur ce mot-clé.")


def rebut(
    claim: Annotated[str, typer.Argument(help="Affirmation à vérifier.")],
    offline: OfflineOption = False,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Riposte sourcée à une affirmation / sourced rebuttal of a claim."""
    from circo.assistant.rebuttal import rebut as run_rebut

    with campaign_session(data_dir, campaign) as (runtime, session, ctx):
        result = run_rebut(session, ctx, claim=claim, settings=runtime.settings, offline=offline)
    if result.warning:
        typer.echo(f"Attention : {result.warning}", err=True)
    if as_json:
        print_json(result.contract())
        return
    typer.echo(f"Verdict : {result.verdict}\n\n{result.short}\n\n{result.long}")
    for item in result.evidence:
        typer.echo(f"\n[{item.stance}] {item.citation.quote}\n   — {item.citation.row.source}")


def leaflet(
    territory: Annotated[str, typer.Option("--territory", help="Code ou nom du territoire.")],
    topic: Annotated[str, typer.Option("--topic", help="Sujet, ex. « transports ».")],
    out: Annotated[Path, typer.Option("--out", help="Fichier .pdf ou .html.")],
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Tract d'une page pour un territoire / one-page leaflet for a territory."""
    from circo.assistant.errors import AssistantError
    from circo.assistant.leaflet import create_leaflet, render_html, render_pdf

    suffix = out.suffix.lower()
    if suffix not in (".pdf", ".html", ".htm"):
        raise AssistantError(
            f"extension « {suffix or '?'} » non prise en charge (attendu .pdf ou "
            ".html, ex. --out tract.pdf)",
            loc="--out",
        )
    with campaign_session(data_dir, campaign) as (runtime, session, ctx):
        draft = create_leaflet(
            session, ctx, territory=territory, topic=topic, settings=runtime.settings
        )
        content = dict(draft.content)
        leaflet_id = draft.id
        zone, updated_at = ctx.campaign.timezone, draft.updated_at
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".pdf":
        out.write_bytes(render_pdf(content, timezone=zone, updated_at=updated_at))
    else:
        out.write_text(render_html(content, timezone=zone, updated_at=updated_at), encoding="utf-8")
    console.print(
        f"Tract n° {leaflet_id} écrit : {out} (modifiable dans l'interface web)", highlight=False
    )


def write(
    kind: Annotated[
        str,
        typer.Argument(
            help="post, video (script), email, door, phone, sheet (fiche technique), strategy "
            "(note d'un territoire : --topic com:75056), training (formation + quiz), slogan "
            "(plusieurs slogans, l'angle de chacun)."
        ),
    ],
    topic_argument: Annotated[
        str | None, typer.Argument(metavar="[SUJET]", help="Sujet (ou --topic).")
    ] = None,
    topic: Annotated[str | None, typer.Option("--topic", help="Sujet, ex. « retraites ».")] = None,
    network: Annotated[
        str | None,
        typer.Option(
            "--network", help="Réseau d'un post : x, instagram, facebook, tiktok, linkedin."
        ),
    ] = None,
    save: Annotated[
        bool, typer.Option("--save", help="Garder comme brouillon du studio (à valider).")
    ] = False,
    point: Annotated[
        int | None,
        typer.Option(
            "--point", help="E-mail : point du programme de la matrice (circo messages matrix)."
        ),
    ] = None,
    segment: Annotated[
        str | None,
        typer.Option("--segment", help="E-mail : segment qui reçoit ce point (défaut : all)."),
    ] = None,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Studio : posts, scripts, e-mails, fiches — chaque fait cité / studio: cited texts."""
    from circo.assistant.errors import AssistantError
    from circo.assistant.studio import compose, parse_kind, store_draft

    subject = topic or topic_argument or ""
    if not subject and point is None:
        raise AssistantError("sujet manquant (ex. --topic « retraites »)", loc="--topic")
    parse_kind(kind)  # a French error naming the formats, before opening the database
    with campaign_session(data_dir, campaign) as (runtime, session, ctx):
        made = compose(
            session,
            ctx,
            kind=kind,
            topic=subject,
            settings=runtime.settings,
            network=network,
            point=point,
            segment=segment,
        )
        draft_id = store_draft(session, ctx, made).id if save else None
    if made.warning:
        typer.echo(f"Attention : {made.warning}", err=True)
    if as_json:
        print_json(made.contract())
        return
    typer.echo(made.text)
    typer.echo("\nSources :")
    for citation in made.citations:
        typer.echo(f"— « {citation['quote']} » ({citation['source']})")
    if draft_id is not None:
        typer.echo(f"\nBrouillon n° {draft_id} enregistré (à valider dans le studio).")


def visual(
    template: Annotated[
        str,
        typer.Option(
            "--template",
            help="post-square (1080×1080), post-portrait (1080×1350), story (1080×1920), "
            "leaflet-a5, leaflet-a4 (PDF) ; le logo de la campagne y figure s'il a été envoyé.",
        ),
    ],
    headline: Annotated[str, typer.Option("--headline", help="Titre (140 caractères au plus).")],
    figure: Annotated[
        str,
        typer.Option(
            "--figure",
            help="turnout (participation, et dans le temps), bureaux (participation par "
            "bureau) ou first.",
        ),
    ],
    territory: Annotated[
        str, typer.Option("--territory", help="Territoire, ex. com:75056, dep:01.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Fichier .png ou .pdf à écrire.")],
    ai_generated: Annotated[
        bool,
        typer.Option(
            "--ai-generated",
            help="Le titre vient d'un modèle de langage : mention « contenu généré par IA ».",
        ),
    ] = False,
    prompt: Annotated[
        str,
        typer.Option(
            "--prompt",
            help="Image générée par IA à la place du graphique (CIRCO_IMAGES_BASE_URL), "
            "sans personne réelle ; le visuel porte la mention « contenu généré par IA ».",
        ),
    ] = "",
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Visuel de campagne (PNG, PDF) avec un chiffre sourcé / campaign visual with a figure."""
    from circo.assistant.errors import AssistantError
    from circo.assistant.visual import TEMPLATES, render_for

    expected = TEMPLATES.get(template, (0, 0, ""))[2]
    if expected and out.suffix.lower() != f".{expected}":
        raise AssistantError(
            f"le modèle {template} produit un fichier .{expected} (reçu « {out.name} »)",
            loc="--out",
        )
    with campaign_session(data_dir, campaign) as (runtime, session, ctx):
        made = render_for(
            session,
            ctx,
            runtime.settings,
            prompt=prompt,
            template=template,
            headline=headline,
            figure=figure,
            territory=territory,
            ai_generated=ai_generated,
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(made.data)
    if as_json:
        print_json(
            {
                "file": str(out),
                "template": template,
                "ai_generated": made.ai_generated,
                "source": made.source_line,
            }
        )
        return
    console.print(f"Visuel écrit : {out} — {made.source_line}", highlight=False)
