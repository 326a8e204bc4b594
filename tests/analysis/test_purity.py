"""circo.analysis is a pure library: numpy, scipy (numba to compile them), the standard library
and itself only."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import circo.analysis

ALLOWED_THIRD_PARTY = {"numpy", "scipy", "numba"}
PACKAGE_DIR = Path(circo.analysis.__file__).parent


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def _allowed(module: str) -> bool:
    top = module.split(".")[0]
    if module == "circo.analysis" or module.startswith("circo.analysis."):
        return True
    return top in ALLOWED_THIRD_PARTY or top in sys.stdlib_module_names


def test_analysis_imports_only_numpy_scipy_stdlib() -> None:
    files = sorted(PACKAGE_DIR.rglob("*.py"))
    assert files, "no source files found"
    offending = [
        f"{path.relative_to(PACKAGE_DIR)}: {module}"
        for path in files
        for module in _imported_modules(path)
        if not _allowed(module)
    ]
    assert offending == []
