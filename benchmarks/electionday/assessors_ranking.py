"""The assesseurs page's priority order, computed once per campaign: time of `coverage()` the
first time (the targeting ranks every bureau of the territory) and on the next loads (the
ranking kept in the process; only its signature is read), on the Rhône of the présidentielle
2017 (1st round, every bureau), with the campaign's targeting saved on MACRON.

Run: ``python benchmarks/electionday/assessors_ranking.py [--loads 20]`` (a temporary data dir,
SQLite; the Ministry file shipped with the demo).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from circo.config import Settings
from circo.core.service import create_campaign
from circo.core.tenancy import system_context
from circo.electionday.assessors import coverage
from circo.elections.importing import import_results
from circo.runtime import open_runtime
from circo.targeting.preferences import SETTINGS_KEY


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loads", type=int, default=20)
    args = parser.parse_args()
    from circo.elections.demo import demo_file

    with tempfile.TemporaryDirectory() as folder:
        runtime = open_runtime(Settings(data_dir=Path(folder)), migrate=True)
        with runtime.session() as session:
            import_results(
                session, path=demo_file("pres2017_t1_rhone69_mi.csv.gz"), key="pres-2017",
                round_number=1,
            )  # fmt: skip
            campaign = create_campaign(session, slug="bench", name="Bench")
            campaign.territory_code = "69"
            campaign.settings = {SETTINGS_KEY: {"election": "pres-2017:1", "territory": "dep:69",
                                                "candidate": "MACRON"}}  # fmt: skip
            session.commit()
            ctx = system_context(campaign)
            started = time.perf_counter()
            first = coverage(session, ctx, round_number=1)
            cold = time.perf_counter() - started
            warm = []
            for _ in range(args.loads):
                started = time.perf_counter()
                coverage(session, ctx, round_number=1)
                warm.append(time.perf_counter() - started)
        runtime.close()
    print(f"bureaux: {first['counts']['bureaux']}, order: {first['order']}")
    print(f"first load (ranking computed): {cold * 1000:.0f} ms")
    print(f"next loads (ranking kept), median of {args.loads}: "
          f"{statistics.median(warm) * 1000:.1f} ms")  # fmt: skip
    print(f"load average: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
