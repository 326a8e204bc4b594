"""The domain manifest: the one place where every domain plugs into the platform.

Each `Domain` names, as ``"module"`` or ``"module:attribute"`` strings, its tables, CLI
commands, web routes, background-job handlers, personal data (access, erasure, merge — see
`circo.core.personal`), territory-sheet sections, demo seeder and volunteer contact scope.

`load_domains()` imports them and builds the `Registry`. It is called once by each entry point —
the command line (`circo.cli`), the web app factory (`circo.web.app.create_app`), the job
worker and the test configuration — so every process sees the same registries; nothing
registers itself at import time. Code that needs a registry calls `registry()`, which refuses
to answer before `load_domains()` ran (a process that forgot it fails loudly instead of silently
skipping, say, the field domain's erasure).

Adding a domain: write its modules, then add one `Domain(...)` entry below (and its Alembic
branch, see docs/development.md).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from circo.core.personal import PersonalData


@dataclass(frozen=True)
class Domain:
    name: str
    models: str | None = None  # module defining the domain's tables
    cli: str | None = None  # module with ``register(app: typer.Typer)``
    # the top-level command names ``cli``'s ``register`` adds: the command line imports the
    # module only when one of them is run (or listed by ``--help``); `circo.cli` checks them
    commands: tuple[str, ...] = ()
    routes: str | None = None  # module with ``router`` (+ ``NAV_ITEMS``, ``dashboard_cards``)
    jobs: Mapping[str, str] = field(default_factory=dict)  # job kind → "module:function"
    startup: tuple[str, ...] = ()  # "module:function(session)", run when a worker starts
    personal_data: str | None = None  # "module:PERSONAL_DATA"
    sheet_sections: Mapping[str, str] = field(default_factory=dict)  # section → provider
    demo: str | None = None  # "module:seed_demo(session, ctx, settings)"
    volunteer_scope: str | None = None  # "module:function(session, ctx) -> Select of ids"


DOMAINS: tuple[Domain, ...] = (
    Domain(
        name="core",
        models="circo.core.models",
        jobs={"core.send_mail": "circo.core.outbox:send_mail_job"},
        personal_data="circo.core.personal:PERSONAL_DATA",
    ),
    Domain(
        name="elections",
        models="circo.elections.models",
        cli="circo.elections.cli",
        commands=("import", "elections", "results"),
        routes="circo.elections.routes",
        jobs={"elections.import_results": "circo.elections.jobs:import_results_job"},
        personal_data="circo.elections.personal:PERSONAL_DATA",
        demo="circo.elections.demo:seed_demo",
    ),
    Domain(name="maps", cli="circo.maps.cli", commands=("sheet", "map", "approx-contours")),
    Domain(
        name="targeting",
        cli="circo.targeting.cli",
        commands=("target", "ei", "scenario", "experiment"),
        routes="circo.targeting.routes",
        jobs={
            "targeting.transfers": "circo.targeting.jobs:run_transfers",
            "targeting.groups": "circo.targeting.jobs:run_groups",
        },
        sheet_sections={"priority_stations": "circo.targeting.sheet:priority_stations"},
    ),
    Domain(
        name="crm",
        models="circo.crm.models",
        cli="circo.crm.cli",
        commands=("contacts", "events", "volunteers"),
        routes="circo.crm.routes",
        jobs={
            "crm.event_reminder": "circo.crm.events:reminder_job",
            "crm.import": "circo.crm.importer.job:import_contacts_job",
        },
        personal_data="circo.crm.personal:PERSONAL_DATA",
        demo="circo.crm.demo:seed_demo",
    ),
    Domain(
        name="field",
        models="circo.field.models",
        cli="circo.field.cli",
        commands=("field",),
        routes="circo.field.routes",
        jobs={
            "field.alert": "circo.field.alerts:send_alert",
            "field.reminder": "circo.field.alerts:send_reminder",
        },
        personal_data="circo.field.people:PERSONAL_DATA",
        demo="circo.field.demo:seed_demo",
        volunteer_scope="circo.field.scope:volunteer_contacts",
    ),
    Domain(
        name="assistant",
        models="circo.assistant.models",
        cli="circo.assistant.cli",
        commands=("kb", "ask", "argue", "rebut", "leaflet", "write", "visual"),
        routes="circo.assistant.routes",
        jobs={
            "assistant.refresh_feed": "circo.assistant.feeds:refresh_feed_job",
            "assistant.embed": "circo.assistant.embedding:embed_document_job",
        },
        sheet_sections={"local_news": "circo.assistant.sheet:local_news"},
        demo="circo.assistant.demo:seed_demo",
    ),
    Domain(
        name="messaging",
        models="circo.messaging.models",
        cli="circo.messaging.cli",
        commands=("messages",),
        routes="circo.messaging.routes",
        jobs={
            "messaging.send": "circo.messaging.delivery:send_job",
            "messaging.ab_decide": "circo.messaging.delivery:ab_decide_job",
        },
        personal_data="circo.messaging.personal:PERSONAL_DATA",
        demo="circo.messaging.demo:seed_demo",
    ),
    Domain(
        name="finance",
        models="circo.finance.models",
        cli="circo.finance.cli",
        commands=("finance",),
        routes="circo.finance.routes",
        personal_data="circo.finance.personal:PERSONAL_DATA",
        demo="circo.finance.demo:seed_demo",
    ),
    Domain(
        name="electionday",
        models="circo.electionday.models",
        cli="circo.electionday.cli",
        commands=("night", "procurations", "assessors"),
        routes="circo.electionday.routes",
        jobs={"electionday.proxy_notice": "circo.electionday.proxy_notices:send_notice"},
        personal_data="circo.electionday.personal:PERSONAL_DATA",
        demo="circo.electionday.demo:seed_demo",
    ),
    Domain(
        name="reach",
        models="circo.reach.models",
        cli="circo.reach.cli",
        commands=("calls", "forms", "texts", "drops", "posters"),
        routes="circo.reach.routes",
        personal_data="circo.reach.personal:PERSONAL_DATA",
        demo="circo.reach.demo:seed_demo",
    ),
    Domain(
        name="party",
        models="circo.party.models",
        cli="circo.party.cli",
        commands=("groups", "rollup"),
        routes="circo.party.routes",
        jobs={"party.webhook": "circo.party.webhooks:deliver_job"},
        personal_data="circo.party.personal:PERSONAL_DATA",
    ),
    Domain(
        name="privacy",
        models="circo.privacy.models",
        cli="circo.privacy.cli",
        commands=("privacy", "consent"),
        routes="circo.privacy.routes",
        jobs={"privacy.retention": "circo.privacy.retention:retention_job"},
        startup=("circo.privacy.retention:ensure_retention_scheduled",),
        personal_data="circo.privacy.personal:PERSONAL_DATA",
    ),
    Domain(
        name="automations",
        models="circo.automations.models",
        cli="circo.automations.cli",
        commands=("automations",),
        routes="circo.automations.routes",
        jobs={"automations.tick": "circo.automations.engine:tick_job"},
        startup=("circo.automations.engine:ensure_tick_scheduled",),
        personal_data="circo.automations.personal:PERSONAL_DATA",
        demo="circo.automations.demo:seed_demo",
    ),
)


@dataclass(frozen=True)
class Registry:
    """Everything the domains provide, resolved once by `load_domains()`."""

    domains: tuple[Domain, ...]
    tables: tuple[str, ...]
    job_handlers: Mapping[str, Callable[..., Any]]
    startup: tuple[Callable[..., Any], ...]
    personal_data: Mapping[str, PersonalData]  # domain name → rules, in manifest order
    sheet_sections: Mapping[str, tuple[Callable[..., Any], ...]]
    demo_seeders: tuple[Callable[..., Any], ...]
    volunteer_scopes: tuple[Callable[..., Any], ...]

    def describe(self) -> dict[str, Any]:
        """A JSON-able summary: what a process has loaded (compared across entry points)."""

        def name(function: Any) -> str:
            if isinstance(function, Deferred):
                return function.reference
            return f"{function.__module__}:{function.__qualname__}"

        return {
            "domains": [domain.name for domain in self.domains],
            "tables": sorted(self.tables),
            "job_handlers": {kind: name(f) for kind, f in sorted(self.job_handlers.items())},
            "startup": [name(f) for f in self.startup],
            "personal_tables": sorted(
                table for rules in self.personal_data.values() for table in rules.tables
            ),
            "sheet_sections": {
                section: [name(f) for f in providers]
                for section, providers in sorted(self.sheet_sections.items())
            },
            "demo_seeders": [name(f) for f in self.demo_seeders],
            "volunteer_scopes": [name(f) for f in self.volunteer_scopes],
        }


def resolve(reference: str) -> Any:
    """``"package.module:attribute"`` → the attribute; ``"package.module"`` → the module."""
    module_name, _, attribute = reference.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


@dataclass(frozen=True)
class Deferred:
    """A function of the manifest (job handler, startup function, sheet section, demo seeder,
    volunteer scope), imported at its first call.

    Why: those modules pull in the heavy libraries of their domain (numba and scipy for the
    inference behind the targeting jobs…), which every process would otherwise import at start —
    ≈ 1.4 s of CPU for each command line call, though most never run a job. The registry is
    still filled the same way in every entry point; `load_domains` checks that each module
    exists, and `tests/test_domains.py` resolves every reference."""

    reference: str  # "package.module:function"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def resolve(self) -> Callable[..., Any]:
        return _resolve_cached(self.reference)


@functools.cache
def _resolve_cached(reference: str) -> Any:
    return resolve(reference)


def _deferred(reference: str) -> Deferred:
    module_name = reference.partition(":")[0]
    if importlib.util.find_spec(module_name) is None:
        raise RuntimeError(f"manifest reference {reference!r}: no module {module_name!r}")
    return Deferred(reference)


_lock = threading.Lock()
_registry: Registry | None = None


def load_domains() -> Registry:
    """Import every domain of the manifest and build the registry (once per process)."""
    global _registry
    with _lock:
        if _registry is None:
            _registry = _build(DOMAINS)
            from circo.core import jobs

            jobs.install_handlers(_registry.job_handlers, _registry.startup)
        return _registry


def registry() -> Registry:
    if _registry is None:
        raise RuntimeError(
            "circo.domains.load_domains() n'a pas été appelé dans ce processus : chaque point "
            "d'entrée (CLI, application web, worker, tests) doit l'appeler au démarrage"
        )
    return _registry


def _build(domains: tuple[Domain, ...]) -> Registry:
    from circo.db import Base

    for domain in domains:
        if domain.models:
            importlib.import_module(domain.models)
    handlers: dict[str, Callable[..., Any]] = {}
    sections: dict[str, list[Callable[..., Any]]] = {}
    for domain in domains:
        for kind, reference in domain.jobs.items():
            if kind in handlers:
                raise RuntimeError(f"job kind {kind!r} declared twice (domain {domain.name})")
            handlers[kind] = _deferred(reference)
        for section, reference in domain.sheet_sections.items():
            sections.setdefault(section, []).append(_deferred(reference))
    return Registry(
        domains=domains,
        tables=tuple(table.name for table in Base.metadata.sorted_tables),
        job_handlers=MappingProxyType(handlers),
        startup=tuple(_deferred(ref) for domain in domains for ref in domain.startup),
        personal_data=MappingProxyType(
            {
                domain.name: resolve(domain.personal_data)
                for domain in domains
                if domain.personal_data
            }
        ),
        sheet_sections=MappingProxyType({k: tuple(v) for k, v in sections.items()}),
        demo_seeders=tuple(_deferred(domain.demo) for domain in domains if domain.demo),
        volunteer_scopes=tuple(
            _deferred(domain.volunteer_scope) for domain in domains if domain.volunteer_scope
        ),
    )
