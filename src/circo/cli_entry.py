"""The ``circo`` console entry point: a fast path for ``results … --json``, else the full CLI."""

from __future__ import annotations

import gc
import sys


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["results"]:
        from circo.cli_fast import results_json

        if results_json(argv[1:]):
            return
    # Starting the full command line creates ≈ 200 000 objects that live as long as the
    # process (modules, the SQLAlchemy models), which the cyclic garbage collector would scan
    # again and again as they are made (≈ 0.1 s of each call). It is paused until the domains
    # are loaded: `circo.cli.root` then freezes what exists and turns it back on.
    gc.disable()
    try:
        from circo.cli import main as full_main

        full_main()
    finally:
        gc.enable()
