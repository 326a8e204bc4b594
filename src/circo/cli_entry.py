"""The ``circo`` console entry point: a fast path for ``results … --json``, else the full CLI."""

from __future__ import annotations

import sys


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["results"]:
        from circo.cli_fast import results_json

        if results_json(argv[1:]):
            return
    from circo.cli import main as full_main

    full_main()
