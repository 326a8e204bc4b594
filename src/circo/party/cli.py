"""``circo groups …`` and ``circo rollup``: the movement's tree from the command line."""

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
    runtime_for,
)

groups_app = typer.Typer(
    help="Mouvement : fédérations, groupes locaux, rôles, contenus partagés / party tree.",
    no_args_is_help=True,
)

GroupOption = Annotated[str, typer.Option("--group", help="Groupe (slug) : national, fede-69…")]


def register(app: typer.Typer) -> None:
    from circo.cli import CircoGroup

    groups_app.info.cls = CircoGroup
    app.add_typer(groups_app, name="groups")
    app.command("rollup")(rollup_command)


@groups_app.command("add")
def add(
    name: Annotated[str, typer.Option("--name", help="Nom affiché du groupe.")],
    slug: Annotated[str, typer.Option("--slug", help="Identifiant : minuscules, tirets.")],
    parent: Annotated[
        str, typer.Option("--parent", help="Groupe parent (slug) ; sans parent : la racine.")
    ] = "",
    campaign: Annotated[
        str, typer.Option("--campaign", help="Campagne (slug) que ce groupe conduit.")
    ] = "",
    kind: Annotated[
        str, typer.Option("--kind", help="national, federation ou local (déduit sinon).")
    ] = "",
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ajouter un groupe au mouvement / add a node to the tree."""
    from circo.party.tree import create_group, describe

    with runtime_for(data_dir) as runtime, runtime.session() as session:
        group = create_group(
            session,
            name=name,
            slug=slug,
            parent=parent or None,
            campaign=campaign or None,
            kind=kind or None,
        )
        payload = describe(session, group)
    if as_json:
        print_json(payload)
    else:
        where = f" sous « {payload['parent']} »" if payload["parent"] else " (racine)"
        console.print(f"Groupe « {payload['name']} » ajouté{where}.", highlight=False)


@groups_app.command("tree")
def tree_command(data_dir: DataDirOption = None, as_json: JsonOption = False) -> None:
    """Afficher l'arbre du mouvement / print the tree."""
    from circo.labels import label
    from circo.party.tree import tree

    with runtime_for(data_dir) as runtime, runtime.session() as session:
        roots = tree(session)
    if as_json:
        print_json({"groups": roots})
        return

    def show(node: dict, depth: int) -> None:
        suffix = f" — campagne {node['campaign']}" if node["campaign"] else ""
        kind = label(node["kind"], "group_kind")
        console.print(f"{'  ' * depth}{node['name']} ({kind}){suffix}", highlight=False)
        for child in node["children"]:
            show(child, depth + 1)

    for root in roots:
        show(root, 0)


@groups_app.command("grant")
def grant(
    group: GroupOption,
    email: Annotated[str, typer.Option("--email", help="E-mail du compte.")],
    role: Annotated[str, typer.Option("--role", help="admin, data, comms, organiser…")],
    node_only: Annotated[
        bool, typer.Option("--node-only", help="Rôle sur ce groupe seul, pas ses sous-groupes.")
    ] = False,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Donner un rôle sur un groupe (et ses sous-groupes) / grant a role on a node."""
    from circo.core.models import Role
    from circo.core.service import get_user_by_email
    from circo.party.errors import PartyError
    from circo.party.tree import find_group, grant_role

    try:
        parsed = Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise PartyError(f"rôle inconnu « {role} » (attendu : {allowed})", loc="--role") from None
    with runtime_for(data_dir) as runtime, runtime.session() as session:
        user = get_user_by_email(session, email)
        if user is None:
            raise PartyError(f"aucun compte pour « {email} »", loc="--email", status=404)
        node = find_group(session, group)
        grant_role(session, group=node, user=user, role=parsed, subtree=not node_only)
    payload = {"group": group, "email": email, "role": parsed.value, "subtree": not node_only}
    if as_json:
        print_json(payload)
    else:
        console.print(f"Rôle donné à {email} sur « {group} ».", highlight=False)


@groups_app.command("publish")
def publish_command(
    group: GroupOption,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="knowledge, programme, message_template, studio_template, questionnaire, "
            "training.",
        ),
    ],
    title: Annotated[str, typer.Option("--title", help="Titre.")],
    body: Annotated[str, typer.Option("--body", help="Texte.")] = "",
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Publier un contenu pour tout le sous-arbre (lecture seule en dessous) / share down."""
    from circo.party.tree import find_group, publish

    with runtime_for(data_dir) as runtime, runtime.session() as session:
        item = publish(session, group=find_group(session, group), kind=kind, title=title, body=body)
        payload = {"id": item.id, "group": group, "kind": item.kind.value, "title": item.title}
    if as_json:
        print_json(payload)
    else:
        console.print(f"Contenu « {title} » publié pour « {group} ».", highlight=False)


@groups_app.command("share")
def share(
    contact: Annotated[int, typer.Option("--contact", help="Identifiant du contact.")],
    group: GroupOption,
    status: Annotated[
        str, typer.Option("--status", help="granted (accord) ou withdrawn (retrait).")
    ] = "granted",
    source: Annotated[str, typer.Option("--source", help="Comment l'accord a été donné.")] = "",
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Enregistrer l'accord d'une personne pour être vue par un groupe parent / share consent."""
    from circo.party.sharing import record_share

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        record = record_share(
            session,
            ctx,
            contact_id=contact,
            group=group,
            status=status,
            source=source or "ligne de commande",
            proof={"channel": "cli"},
        )
        payload = {
            "id": record.id,
            "contact_id": contact,
            "group": group,
            "status": record.status.value,
        }
    if as_json:
        print_json(payload)
    else:
        console.print(f"Partage avec « {group} » : {record.status.value}.", highlight=False)


@groups_app.command("webhook-add")
def webhook_add(
    group: GroupOption,
    url: Annotated[str, typer.Option("--url", help="Adresse qui reçoit les événements (POST).")],
    event: Annotated[
        list[str] | None,
        typer.Option(
            "--event",
            help="contact.created, event.rsvp, donation.recorded, visits.synced, "
            "opposition.recorded (répétable ; sans : tous).",
        ),
    ] = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ajouter un récepteur d'événements signés au groupe / add a signed webhook."""
    from circo.party.tree import find_group
    from circo.party.webhooks import add_webhook

    with runtime_for(data_dir) as runtime, runtime.session() as session:
        hook, secret = add_webhook(
            session, runtime.settings, group=find_group(session, group), url=url, events=event
        )
        payload = {
            "id": hook.id,
            "group": group,
            "url": hook.url,
            "events": list(hook.events),
            "secret": secret,
        }
    if as_json:
        print_json(payload)
    else:
        console.print(
            f"Récepteur ajouté ; secret de signature (affiché une fois) : {payload['secret']}",
            highlight=False,
        )


@groups_app.command("api-token")
def api_token(
    campaign: CampaignOption = None,
    name: Annotated[str, typer.Option("--name", help="Nom du jeton (ex. synchro-site).")] = "osdi",
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="read, write (répétable ; sans : read)."),
    ] = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Créer un jeton de l'API OSDI pour une campagne du mouvement / create an OSDI API token."""
    from circo.party.osdi.tokens import create_token

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        token, row = create_token(session, campaign=ctx.campaign, name=name, scopes=scope)
        scopes = list(row.scopes)
        payload: dict[str, object] = {
            "id": row.id,
            "campaign": ctx.campaign.slug,
            "name": row.name,
            "scopes": scopes,
            "token": token,
        }
    if as_json:
        print_json(payload)
    else:
        console.print(
            f"Jeton OSDI « {payload['name']} » ({', '.join(scopes)}), affiché une fois : {token}",
            highlight=False,
        )


@groups_app.command("api-token-revoke")
def api_token_revoke(
    token_id: Annotated[int, typer.Option("--id", help="Identifiant du jeton (api-token --json).")],
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Révoquer un jeton de l'API OSDI / revoke an OSDI API token."""
    from circo.party.osdi.tokens import revoke_token

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        row = revoke_token(session, campaign=ctx.campaign, token_id=token_id)
        payload = {"id": row.id, "campaign": ctx.campaign.slug, "revoked": True}
    if as_json:
        print_json(payload)
    else:
        console.print(f"Jeton OSDI {token_id} révoqué.", highlight=False)


def rollup_command(
    group: GroupOption,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Agrégats d'un groupe et de ses sous-groupes, sans donnée personnelle / roll-up."""
    from circo.formatting import format_number
    from circo.party.rollup import rollup
    from circo.party.tree import find_group

    with runtime_for(data_dir) as runtime, runtime.session() as session:
        payload = rollup(session, find_group(session, group))
    if as_json:
        print_json(payload)
        return
    totals = payload["totals"]
    console.print(
        f"{payload['group']['name']} : {format_number(payload['campaigns'])} campagnes, "
        f"{format_number(totals['contacts'])} contacts, "
        f"{format_number(totals['doors_knocked'])} portes frappées, "
        f"{format_number(totals['funds_raised_cents'] / 100)} € collectés",
        highlight=False,
    )
