"""Shared pieces of every ``circo`` command: options, the runtime, errors, output."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from circo.config import Settings, load_settings
from circo.core.models import Campaign
from circo.core.service import resolve_campaign
from circo.core.tenancy import CampaignContext, system_context
from circo.runtime import Runtime, open_runtime

console = Console(stderr=True, soft_wrap=True)
stdout = Console(soft_wrap=True)

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Dossier de données / data folder (défaut : $CIRCO_DATA_DIR ou ./circo-data).",
        show_default=False,
    ),
]
CampaignOption = Annotated[
    str | None,
    typer.Option(
        "--campaign",
        help="Campagne (slug), par défaut la seule / campaign slug, default: the only one.",
        show_default=False,
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Sortie JSON pour les scripts / JSON output for scripts.")
]


def settings_for(data_dir: Path | None) -> Settings:
    return load_settings(data_dir=data_dir)


DEFAULT_CAMPAIGN = "ma-campagne"


@contextmanager
def runtime_for(data_dir: Path | None, *, migrate: bool = False) -> Iterator[Runtime]:
    """The runtime of a command. An empty database behaves as if `circo init` had run: the
    schema is created with one campaign and its admin (credentials printed on stderr)."""
    settings = settings_for(data_dir)
    runtime = open_runtime(settings, migrate=migrate, require_schema=False)
    try:
        if not migrate:
            _prepare_schema(runtime)
            _apply_stored_settings(runtime)
        yield runtime
    finally:
        runtime.close()


def _apply_stored_settings(runtime: Runtime) -> None:
    """Settings saved on the settings page (public URL, SMTP…) apply to commands too; an
    environment variable still wins (`circo.core.instance`)."""
    from circo.core import instance
    from circo.db import write_intent

    with write_intent(False), runtime.session() as session:
        runtime.settings = instance.effective(session, runtime.settings)


def _prepare_schema(runtime: Runtime) -> None:
    from circo.core.bootstrap import create_campaign_with_admin
    from circo.db import install_schema, is_empty, needs_upgrade
    from circo.errors import ConfigError

    if is_empty(runtime.engine):
        install_schema(runtime.engine, runtime.settings)
        with runtime.session() as session:
            credentials = create_campaign_with_admin(
                session, slug=DEFAULT_CAMPAIGN, name="Ma campagne", admin_email="admin@example.org"
            )
        console.print(
            f"Base créée dans {runtime.settings.data_dir} avec la campagne « {DEFAULT_CAMPAIGN} » "
            f"— administrateur : {credentials.email} / mot de passe : {credentials.password}",
            highlight=False,
        )
    elif needs_upgrade(runtime.engine):
        raise ConfigError("base de données à mettre à jour : lancez `circo db upgrade`")


@contextmanager
def campaign_session(
    data_dir: Path | None, campaign_slug: str | None
) -> Iterator[tuple[Runtime, Any, CampaignContext]]:
    """Runtime, an open session (committed at the end) and the CLI's context on the campaign."""
    with runtime_for(data_dir) as runtime, runtime.session() as session:
        campaign: Campaign = resolve_campaign(session, campaign_slug)
        yield runtime, session, system_context(campaign)


def print_json(payload: object) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()
