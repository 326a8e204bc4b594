"""The ``circo`` command line: every batch job of the platform.

Each domain's sub-commands come from the manifest (`circo.domains`, ``Domain.cli`` and
``Domain.commands``): the root group imports a domain's CLI module when one of its commands is
run or listed (`RootGroup`), so a command pays for its own domain's CLI only. Every command runs
with all the domains loaded all the same (`load_domains()` in the root callback: models, hooks,
job handlers). A `CircoError` becomes one clear line on stderr and exit code 2; ``--debug`` shows
the traceback.
"""

from __future__ import annotations

import errno
import gc
import os
import socket
import sys
import traceback
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.main
from sqlalchemy.exc import SQLAlchemyError
from typer.core import TyperGroup

from circo import __version__
from circo.cli_common import (
    CampaignOption,
    DataDirOption,
    JsonOption,
    console,
    print_json,
    runtime_for,
    settings_for,
)
from circo.core import worker_cli
from circo.domains import DOMAINS, Domain, load_domains, resolve
from circo.errors import CircoError, ConfigError


class CircoGroup(TyperGroup):
    """Turns user errors into one line and exit code 2, anywhere in the command tree."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CircoError as exc:
            _report(exc, debug=_debug_requested(ctx))
            raise typer.Exit(2) from None
        except SQLAlchemyError as exc:
            if _debug_requested(ctx):
                traceback.print_exc()
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            console.print(f"[red]Erreur de base de données :[/red] {reason}", highlight=False)
            raise typer.Exit(2) from None
        except (OSError, ValueError) as exc:
            if _debug_requested(ctx):
                traceback.print_exc()
            console.print(f"[red]Erreur :[/red] {exc}", highlight=False)
            raise typer.Exit(2) from None


class RootGroup(CircoGroup):
    """The root command: core commands are built up front, a domain's commands when first
    named (run, listed by ``--help``, or suggested after a typo).

    Why: building every domain's commands imported every domain's CLI module and turned ≈ 200
    Typer functions into Click commands at each start, ≈ 0.35 s of every ``circo`` call, for one
    command run. The manifest names each domain's top-level commands (``Domain.commands``) and
    `domain_commands` refuses a module that adds others, so a command cannot go missing."""

    def list_commands(self, ctx: Any) -> list[str]:
        lazy = [name for domain in DOMAINS for name in domain.commands]
        return [*self.commands, *(name for name in lazy if name not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = self.commands.get(cmd_name)
        if found is None and cmd_name in _DOMAIN_OF_COMMAND:
            for name, command in domain_commands(_DOMAIN_OF_COMMAND[cmd_name]).items():
                self.commands.setdefault(name, command)
            found = self.commands.get(cmd_name)
        return found

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and self.get_command(ctx, args[0]) is None:
            for name in self.list_commands(ctx):  # a typo: suggest among every command
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)


def domain_commands(domain: Domain) -> dict[str, Any]:
    """The Click commands that ``domain``'s CLI module adds at the root, by name; they must be
    exactly the manifest's ``Domain.commands``."""
    holder = typer.Typer(cls=CircoGroup)
    holder.callback()(_no_callback)  # always a group, even for a single command
    if domain.cli:
        resolve(domain.cli).register(holder)
    group = typer.main.get_command(holder)
    assert isinstance(group, TyperGroup)
    if set(group.commands) != set(domain.commands):
        raise RuntimeError(
            f"domain {domain.name}: its CLI adds {sorted(group.commands)}, the manifest's "
            f"commands are {sorted(domain.commands)}"
        )
    return dict(group.commands)


def _no_callback() -> None:
    """The holder group's callback (`domain_commands`)."""


def _debug_requested(ctx: Any) -> bool:
    root = ctx.find_root()
    return bool(root.params.get("debug")) or os.environ.get("CIRCO_DEBUG") == "1"


def _report(exc: CircoError, *, debug: bool) -> None:
    if debug:
        traceback.print_exc()
    console.print(f"[red]Erreur :[/red] {exc}", highlight=False)


app = typer.Typer(
    cls=RootGroup,
    name="circo",
    help="circo — plateforme de campagne électorale open source / open-source campaign platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
db_app = typer.Typer(help="Base de données : migrations / database migrations.", cls=CircoGroup)
users_app = typer.Typer(help="Utilisateurs et rôles / users and roles.", cls=CircoGroup)
campaigns_app = typer.Typer(help="Campagnes / campaigns.", cls=CircoGroup)
jobs_app = typer.Typer(help="Travaux en arrière-plan / background jobs.", cls=CircoGroup)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(campaigns_app, name="campaigns")
app.add_typer(jobs_app, name="jobs")


@app.callback()
def root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Afficher la trace complète des erreurs / tracebacks.")
    ] = False,
    version: Annotated[bool, typer.Option("--version", help="Version.")] = False,
) -> None:
    """circo — plateforme de campagne électorale / campaign platform for French elections."""
    if version:
        typer.echo(f"circo {__version__}")
        raise typer.Exit()
    load_domains()
    if not gc.isenabled():  # paused by the console entry point (`circo.cli_entry.main`)
        gc.freeze()  # the start-up's objects: kept for the process's life, never scanned again
        gc.enable()


# --- init, serve, demo ------------------------------------------------------------------------


@app.command()
def init(
    data_dir: DataDirOption = None,
    campaign: Annotated[
        str, typer.Option("--campaign", help="Identifiant de la campagne / campaign slug.")
    ] = "ma-campagne",
    name: Annotated[str, typer.Option("--name", help="Nom / campaign name.")] = "Ma campagne",
    election_type: Annotated[
        str, typer.Option("--election-type", help="presidentielle, legislatives, municipales…")
    ] = "other",
    admin_email: Annotated[
        str, typer.Option("--admin-email", help="E-mail de l'administrateur / admin email.")
    ] = "admin@example.org",
    timezone: Annotated[
        str,
        typer.Option(
            "--timezone",
            help="Fuseau horaire de la campagne (ex. America/Guadeloupe) / campaign time zone.",
        ),
    ] = "Europe/Paris",
) -> None:
    """Créer une base vide avec une campagne et un administrateur / create an empty database."""
    from circo.core.bootstrap import create_campaign_with_admin

    with runtime_for(data_dir, migrate=True) as runtime, runtime.session() as session:
        credentials = create_campaign_with_admin(
            session,
            slug=campaign,
            name=name,
            election_type=election_type,
            admin_email=admin_email,
            timezone=timezone,
        )
    console.print(f"Base prête : {runtime.settings.effective_database_url}")
    _print_credentials(credentials.email, credentials.password, campaign)


def _print_credentials(email: str, password: str | None, campaign: str) -> None:
    secret = (
        f"mot de passe : [bold]{password}[/bold]"
        if password
        else "mot de passe inchangé (compte existant)"
    )
    console.print(
        f"[bold]Campagne[/bold] {campaign} — [bold]administrateur[/bold] : {email} / {secret}",
        highlight=False,
    )


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(
                    f"le port {port} est déjà utilisé sur {host} : choisissez-en un autre "
                    "avec --port"
                ) from exc
            raise ConfigError(f"impossible d'écouter sur {host}:{port} : {exc.strerror}") from exc


PortOption = Annotated[int, typer.Option("--port", help="Port HTTP.", min=1, max=65535)]
HostOption = Annotated[str, typer.Option("--host", help="Adresse d'écoute / listen address.")]


def _announce_public_url(runtime: Any, host: str, port: int) -> None:
    """Print the public URL of links in mail (and record the address served on when none is
    set and circo listens on a given address, not a wildcard)."""
    from circo.core import instance

    with runtime.session() as session:
        if host not in ("0.0.0.0", "::", ""):
            shown = f"[{host}]" if ":" in host else host
            instance.remember_base_url(session, runtime.settings, f"http://{shown}:{port}")
        stored = instance.stored_values(session, runtime.settings)
    settings = instance.apply(runtime.settings, stored)
    console.print(
        f"Adresse publique des liens dans les e-mails : {settings.base_url} "
        f"({instance.base_url_source(runtime.settings, stored)}) — à changer sur la page "
        "Réglages ou par CIRCO_BASE_URL"
    )


def _serve(data_dir: Path | None, host: str, port: int) -> None:
    import uvicorn

    from circo.runtime import open_runtime_for_serving
    from circo.web.app import create_app

    _check_port(host, port)
    runtime = open_runtime_for_serving(settings_for(data_dir))
    register_job_handlers()
    console.print(f"circo sert sur / serving on http://{host}:{port}  (Ctrl+C pour arrêter)")
    _announce_public_url(runtime, host, port)
    trusted = runtime.settings.trusted_proxies
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "warning",
        "access_log": False,
        # X-Forwarded-For/-Proto are believed only from the configured proxies (none default).
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
    }
    if runtime.settings.web_workers > 1:
        from circo.web.serving import serve_workers

        serve_workers(runtime, **options)
        return
    application = create_app(runtime.settings, runtime=runtime, run_jobs=True)
    uvicorn.run(application, **options)


@app.command()
def serve(
    data_dir: DataDirOption = None,
    port: PortOption = 8000,
    host: HostOption = "127.0.0.1",
) -> None:
    """Servir l'application web / serve the web app for an existing data dir."""
    _serve(data_dir, host, port)


@app.command()
def demo(
    data_dir: DataDirOption = None,
    port: PortOption = 8000,
    host: HostOption = "127.0.0.1",
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Créer la démo sans servir / build only.")
    ] = False,
    organisation: Annotated[
        bool,
        typer.Option(
            "--organisation",
            help="Avec un mouvement : national, deux fédérations, quatre campagnes locales.",
        ),
    ] = False,
) -> None:
    """(Re)créer la campagne de démonstration et la servir / (re)create the demo and serve it."""
    from circo.demo import build_demo
    from circo.party.demo import build_organisation_demo

    if not no_serve:
        _check_port(host, port)
    with runtime_for(data_dir, migrate=True) as runtime:
        credentials = (build_organisation_demo if organisation else build_demo)(runtime)
    _print_credentials(credentials.email, credentials.password, credentials.campaign)
    if not no_serve:
        _serve(data_dir, host, port)


# --- db ---------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDirOption = None) -> None:
    """Appliquer les migrations / apply migrations."""
    with runtime_for(data_dir, migrate=True) as runtime:
        console.print(f"Base à jour : {runtime.engine.url.render_as_string(hide_password=True)}")


@db_app.command("check")
def db_check(data_dir: DataDirOption = None) -> None:
    """Vérifier que les modèles et les migrations concordent / models match migrations."""
    from alembic import command
    from alembic.util.exc import CommandError

    from circo.db import alembic_config

    with runtime_for(data_dir, migrate=True) as runtime:
        try:
            command.check(alembic_config(runtime.engine))
        except CommandError as exc:
            raise CircoError(f"migrations manquantes : {exc}") from exc
    console.print("Modèles et migrations concordent.")


# --- campaigns and users ----------------------------------------------------------------------


@campaigns_app.command("list")
def campaigns_list(data_dir: DataDirOption = None, as_json: JsonOption = False) -> None:
    """Lister les campagnes / list campaigns."""
    from circo.core.service import list_campaigns

    with runtime_for(data_dir) as runtime, runtime.session() as session:
        rows = [
            {
                "slug": campaign.slug,
                "name": campaign.name,
                "election_type": campaign.election_type,
                "territory": campaign.territory_code,
                "election_date": campaign.election_date,
            }
            for campaign in list_campaigns(session)
        ]
    if as_json:
        print_json(rows)
    else:
        for row in rows:
            typer.echo(f"{row['slug']}\t{row['name']}")


@campaigns_app.command("create")
def campaigns_create(
    slug: Annotated[str, typer.Argument(help="Identifiant / slug, ex. lyon-2026.")],
    name: Annotated[str, typer.Option("--name", help="Nom / name.")],
    admin_email: Annotated[str, typer.Option("--admin-email", help="Administrateur.")],
    election_type: Annotated[str, typer.Option("--election-type")] = "other",
    data_dir: DataDirOption = None,
) -> None:
    """Créer une campagne avec son administrateur / create a campaign with its admin."""
    from circo.core.bootstrap import create_campaign_with_admin

    with runtime_for(data_dir) as runtime, runtime.session() as session:
        credentials = create_campaign_with_admin(
            session, slug=slug, name=name, election_type=election_type, admin_email=admin_email
        )
    _print_credentials(credentials.email, credentials.password, slug)


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="E-mail de l'utilisateur / user email.")],
    role: Annotated[
        str, typer.Option("--role", help="admin, data, comms, finance, organiser ou volunteer.")
    ],
    campaign: CampaignOption = None,
    name: Annotated[str, typer.Option("--name", help="Nom affiché / display name.")] = "",
    data_dir: DataDirOption = None,
) -> None:
    """Ajouter un utilisateur à une campagne avec un rôle / add a user with a role."""
    from circo.core.bootstrap import add_user_to_campaign
    from circo.core.service import parse_role, resolve_campaign

    parsed_role = parse_role(role)
    with runtime_for(data_dir) as runtime, runtime.session() as session:
        target = resolve_campaign(session, campaign)
        password = add_user_to_campaign(
            session, campaign=target, email=email, role=parsed_role, name=name
        )
    if password:
        console.print(f"{email} ({parsed_role.value}) — mot de passe : [bold]{password}[/bold]")
    else:
        console.print(f"{email} a maintenant le rôle {parsed_role.value} sur {target.slug}")


@users_app.command("list")
def users_list(
    campaign: CampaignOption = None, data_dir: DataDirOption = None, as_json: JsonOption = False
) -> None:
    """Lister les membres d'une campagne / list a campaign's members."""
    from circo.core.service import list_members, resolve_campaign
    from circo.core.tenancy import system_context

    with runtime_for(data_dir) as runtime, runtime.session() as session:
        ctx = system_context(resolve_campaign(session, campaign))
        rows = [
            {"email": row.user.email, "name": row.user.name, "role": row.role.value}
            for row in list_members(session, ctx=ctx)
        ]
    if as_json:
        print_json(rows)
    else:
        for row in rows:
            typer.echo(f"{row['email']}\t{row['role']}")


@users_app.command("token")
def users_token(
    email: Annotated[str, typer.Argument(help="E-mail de l'utilisateur.")],
    name: Annotated[str, typer.Option("--name", help="Nom du jeton / token name.")] = "script",
    data_dir: DataDirOption = None,
) -> None:
    """Créer un jeton d'API pour les scripts / create an API token for scripts."""
    from circo.core.errors import NotFound
    from circo.core.service import create_api_token, get_user_by_email

    with runtime_for(data_dir) as runtime, runtime.session() as session:
        user = get_user_by_email(session, email)
        if user is None:
            raise NotFound(f"utilisateur inconnu : {email}", loc="email")
        token, _ = create_api_token(session, user=user, name=name)
    typer.echo(token)


@jobs_app.command("run")
def jobs_run(data_dir: DataDirOption = None) -> None:
    """Exécuter les travaux en attente puis s'arrêter / run pending jobs, then stop."""
    from circo.core.jobs import recover_stale, run_pending

    register_job_handlers()
    with runtime_for(data_dir) as runtime:
        recover_stale(runtime.factory)
        ran = run_pending(runtime.factory, runtime.settings)
    console.print(f"{ran} travail(aux) exécuté(s)")


# --- domains ---------------------------------------------------------------------------------


@app.command("domains")
def domains_command(as_json: JsonOption = False) -> None:
    """Lister les domaines et ce qu'ils apportent / list the domains and what they provide."""
    from circo.domains import registry

    described = registry().describe()
    if as_json:
        print_json(described)
        return
    for domain in registry().domains:
        parts = [
            label
            for label, present in (
                ("tables", domain.models),
                ("commandes", domain.cli),
                ("pages et API", domain.routes),
                ("travaux", domain.jobs),
                ("données personnelles", domain.personal_data),
                ("fiche territoire", domain.sheet_sections),
                ("démo", domain.demo),
                ("périmètre bénévole", domain.volunteer_scope),
            )
            if present
        ]
        typer.echo(f"{domain.name}\t{', '.join(parts)}")


def register_job_handlers() -> None:
    """Load the domains (job handlers included); kept for the worker's entry point."""
    load_domains()


worker_cli.register(app)  # `circo worker` (job engine, circo.core.jobs)
_CORE_COMMANDS = {
    *(
        info.name or (info.callback.__name__.replace("_", "-") if info.callback else "")
        for info in app.registered_commands
    ),
    *(info.name for info in app.registered_groups),
}
_DOMAIN_OF_COMMAND: dict[str, Domain] = {}
for _domain in DOMAINS:
    for _name in _domain.commands:
        if _name in _DOMAIN_OF_COMMAND or _name in _CORE_COMMANDS:
            raise RuntimeError(f"command {_name!r} declared twice (domain {_domain.name})")
        _DOMAIN_OF_COMMAND[_name] = _domain


def main() -> None:
    if "--debug" in sys.argv[1:]:
        sys.argv.remove("--debug")
        os.environ["CIRCO_DEBUG"] = "1"
    app()
