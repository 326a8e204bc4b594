"""Benchmark: the whole ``circo results dep:XX --json`` command on a national database.

    .venv/bin/python benchmarks/elections/bench_results.py --data-dir /tmp/circo-bench-elections \
        [--election pres-2022 --round 1] [--repeat 7]

The data dir holds a national import (``bench_import.py`` leaves one in its workdir). For each
département the real console command runs in a subprocess (process start included) ``--repeat``
times; the median and the worst run are reported, side by side with the same command forced
through the full Typer/SQLAlchemy command line (``circo.cli.main``, what the console entry point
falls back to), and the in-process service call. Both outputs are checked to be identical.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CIRCO = str(ROOT / ".venv" / "bin" / "circo")
DEPARTMENTS = ["01", "13", "33", "59", "69", "75", "91", "2A"]
FULL_CLI = "import sys; from circo.cli import main; sys.argv[0] = 'circo'; main()"


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return time.perf_counter() - start, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/circo-bench-elections"))
    parser.add_argument("--election", default="pres-2022")
    parser.add_argument("--round", default="1")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CIRCO_")}
    env["CIRCO_DATA_DIR"] = str(args.data_dir)
    query = ["--election", args.election, "--round", args.round, "--json"]

    from circo.config import load_settings
    from circo.elections.service import territory_results
    from circo.runtime import open_runtime

    runtime = open_runtime(load_settings(data_dir=args.data_dir))
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    print("territory | fast path median / max ms | full CLI median / max ms | in-process ms")
    fast_all: list[float] = []
    full_all: list[float] = []
    for code in DEPARTMENTS:
        territory = f"dep:{code}"
        fast = []
        full = []
        for _ in range(args.repeat):
            seconds, fast_out = timed([CIRCO, "results", territory, *query], env)
            fast.append(seconds)
            seconds, full_out = timed(
                [sys.executable, "-c", FULL_CLI, "results", territory, *query], env
            )
            full.append(seconds)
            if fast_out != full_out:
                raise SystemExit(f"{territory}: the two paths printed different output")
        inproc = []
        for _ in range(args.repeat):
            with runtime.session() as session:
                start = time.perf_counter()
                territory_results(
                    session, territory=territory, key=args.election, round_number=int(args.round)
                )
                inproc.append(time.perf_counter() - start)
        fast_all += fast
        full_all += full
        print(
            f"{territory} | {statistics.median(fast) * 1000:.0f} / {max(fast) * 1000:.0f} | "
            f"{statistics.median(full) * 1000:.0f} / {max(full) * 1000:.0f} | "
            f"{statistics.median(inproc) * 1000:.1f}"
        )
    runtime.close()
    print(
        f"all départements: fast path median {statistics.median(fast_all) * 1000:.0f} ms, "
        f"max {max(fast_all) * 1000:.0f} ms; full CLI median "
        f"{statistics.median(full_all) * 1000:.0f} ms; ratio "
        f"{statistics.median(full_all) / statistics.median(fast_all):.1f}×"
    )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
