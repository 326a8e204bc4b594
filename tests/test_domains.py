"""Honest wiring: every entry point loads the same domains from the one manifest."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from circo.config import Settings
from circo.core.jobs.registry import handler_for
from circo.domains import DOMAINS, Deferred, load_domains, registry, resolve
from circo.web.app import create_app
from circo.web.registry import route_paths
from tests.server import server_env

SRC = Path(__file__).resolve().parents[1] / "src" / "circo"

WEB_PROCESS = """
import json
from circo.config import Settings
from circo.domains import registry
from circo.web.app import create_app
from circo.web.registry import route_paths
create_app(Settings())
print(json.dumps(registry().describe()))
"""


def test_cli_and_web_processes_see_the_same_registries(settings: Settings) -> None:
    env = server_env(settings)
    cli = subprocess.run(
        [sys.executable, "-m", "circo", "domains", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    web = subprocess.run(
        [sys.executable, "-c", WEB_PROCESS], env=env, capture_output=True, text=True, check=True
    )
    seen_by_cli, seen_by_web = json.loads(cli.stdout), json.loads(web.stdout)
    assert seen_by_cli == seen_by_web
    assert seen_by_cli == registry().describe()  # and the test configuration's
    assert len(seen_by_cli["tables"]) >= 64
    assert "field_visits" in seen_by_cli["personal_tables"]
    assert seen_by_cli["volunteer_scopes"] == ["circo.field.scope:volunteer_contacts"]
    assert seen_by_cli["sheet_sections"] == {
        "local_news": ["circo.assistant.sheet:local_news"],
        "priority_stations": ["circo.targeting.sheet:priority_stations"],
    }


def test_every_manifest_reference_resolves_and_every_handler_is_installed(
    settings: Settings,
) -> None:
    loaded = load_domains()
    assert load_domains() is loaded  # once per process
    for kind, function in loaded.job_handlers.items():
        assert handler_for(kind) is function
    deferred = [
        *loaded.job_handlers.values(),
        *loaded.startup,
        *(provider for providers in loaded.sheet_sections.values() for provider in providers),
        *loaded.demo_seeders,
        *loaded.volunteer_scopes,
    ]
    assert deferred
    for function in deferred:  # imported at first call: each must exist and be callable
        assert isinstance(function, Deferred)
        assert callable(function.resolve()), function.reference
    app_paths = route_paths(create_app(settings).routes)
    for domain in DOMAINS:
        if domain.routes:
            domain_paths = route_paths(resolve(domain.routes).router.routes)
            assert domain_paths, domain.name
            assert domain_paths <= app_paths, domain.name


def _registrations_at_import(tree: ast.Module) -> list[str]:
    """Module-level calls and decorators that register something as a side effect."""
    found = []
    for node in tree.body:
        decorators = getattr(node, "decorator_list", [])
        for decorator in decorators:
            text = ast.unparse(decorator)
            if "register_" in text or "handler(" in text or "on_startup" in text:
                found.append(text)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            text = ast.unparse(node.value)
            if "register_" in text:
                found.append(text)
    return found


def test_no_domain_registers_itself_at_import() -> None:
    offenders = {}
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if "noqa: F401" in text:
            offenders[str(path)] = ["import kept for its side effects (noqa: F401)"]
        found = _registrations_at_import(ast.parse(text))
        if found and path.name != "cli.py":
            offenders[str(path)] = found
    assert offenders == {}


def test_loading_the_domains_leaves_the_heavy_libraries_to_the_jobs_that_need_them() -> None:
    """Every command line call loads the domains: the inference stack (numba, scipy) and the
    like are imported by the job or page that runs them, not at start-up."""
    code = (
        "import sys; from circo.domains import load_domains; load_domains(); "
        "print(sorted(m for m in ('numba', 'scipy', 'circo.analysis.ei') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_each_domain_cli_adds_exactly_the_commands_its_manifest_names() -> None:
    """The root command builds a domain's commands when first named (`circo.cli.RootGroup`):
    the manifest's ``Domain.commands`` must be what the CLI module adds, or a command would be
    unreachable."""
    from typer.main import get_command

    from circo.cli import _CORE_COMMANDS, app, domain_commands

    for domain in DOMAINS:
        if domain.cli:
            assert set(domain_commands(domain)) == set(domain.commands), domain.name
        else:
            assert domain.commands == (), domain.name
    root = get_command(app)
    listed = root.list_commands(None)  # type: ignore[attr-defined]
    assert len(listed) == len(set(listed))
    domain_names = {name for domain in DOMAINS for name in domain.commands}
    assert set(listed) == _CORE_COMMANDS | domain_names
    assert {"init", "serve", "demo", "db", "worker"} <= _CORE_COMMANDS
    assert not _CORE_COMMANDS & domain_names  # a name taken twice is refused at import
    for domain in DOMAINS:
        for name in domain.commands:
            assert name in listed
            assert root.get_command(None, name) is not None  # type: ignore[attr-defined]
    wrong = next(domain for domain in DOMAINS if domain.name == "maps")
    mismatched = type(wrong)(name="maps", cli=wrong.cli, commands=("sheet", "map"))
    with pytest.raises(RuntimeError, match="approx-contours"):
        domain_commands(mismatched)
