"""Imports point one way: web/cli → services → models → db; the core never imports the web."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "circo"
UPPER_LAYERS = ("circo.web", "circo.cli")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_domain_services_do_not_import_web_or_cli() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        relative = path.relative_to(SRC)
        presentation = (
            path.name.startswith(("routes", "cli", "api"))
            or path.stem.endswith("_cli")  # core/worker_cli.py: the `circo worker` command
            or "routes" in relative.parts
        )
        if relative.parts[0] == "web" or presentation:
            continue
        if relative.parts[0] == "__main__.py":
            continue
        for name in imported_modules(path):
            if name.startswith(UPPER_LAYERS) and not name.startswith("circo.web.registry"):
                offenders.append(f"{relative} imports {name}")
    assert offenders == []
