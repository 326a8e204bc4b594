"""Benchmark: a leaflet drop round on N synthetic addresses, a day of phones syncing buildings
done, and the coverage page's figures.

    .venv/bin/python benchmarks/reach/bench_drops.py --addresses 20000 --bureaux 10

Builds a fresh SQLite database in a temporary folder, a synthetic town of N addresses in B
bureaux (`circo.field.turfs.inputs.synthetic_addresses`: about 4 letterboxes per building), then
times: the round (`circo.reach.drops.create_round`: the turf cutter, turfs and buildings
written) and its commit; the sync of every building done, in the phone's batches of 200 with
each batch sent twice (the retry of a phone that did not hear the answer), one commit per batch
as one request; the coverage per bureau (`drops.coverage`) and the round's JSON for the phone
(`drops.round_json`). Prints the figures recorded in docs/benchmarks.md (reach, drops).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from circo.config import Settings
from circo.core.service import create_campaign
from circo.core.tenancy import system_context
from circo.domains import load_domains
from circo.field.turfs.inputs import synthetic_addresses
from circo.reach import drops
from circo.runtime import open_runtime

BATCH = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--addresses", type=int, default=20_000)
    parser.add_argument("--bureaux", type=int, default=10)
    args = parser.parse_args()
    load_domains()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(env="test", data_dir=Path(folder))
        runtime = open_runtime(settings, migrate=True)
        with runtime.factory() as session:
            campaign = create_campaign(session, slug="bench", name="Bench")
            session.commit()
            ctx = system_context(campaign)
            town = synthetic_addresses(args.addresses, n_bureaux=args.bureaux, random_state=1)
            bureaux = sorted({a.bureau for a in town if a.bureau})
            started = time.perf_counter()
            drop = drops.create_round(
                session, ctx, leaflet="Programme", bureaux=bureaux, addresses=town, source="csv"
            )
            session.commit()
            created = time.perf_counter() - started
            detail = drops.round_json(session, ctx, drop.id)
            session.commit()
            buildings = [b["id"] for turf in detail["turfs"] for b in turf["buildings"]]
            started = time.perf_counter()
            duplicates = 0
            for start in range(0, len(buildings), BATCH):
                items = [{"building": b} for b in buildings[start : start + BATCH]]
                for _attempt in range(2):
                    results = drops.sync_done(session, ctx, round_id=drop.id, items=items)
                    session.commit()
                    duplicates += sum(r["status"] == "duplicate" for r in results)
            synced = time.perf_counter() - started
            started = time.perf_counter()
            coverage = drops.coverage(session, ctx, drop.id)
            covered = time.perf_counter() - started
            started = time.perf_counter()
            drops.round_json(session, ctx, drop.id)
            phone = time.perf_counter() - started
        runtime.close()
    print(f"load average: {os.getloadavg()[0]:.1f}")
    print(
        f"round: {args.addresses} addresses, {len(bureaux)} bureaux, {len(detail['turfs'])} "
        f"turfs, {len(buildings)} buildings, {drop.letterboxes} letterboxes: {created:.2f} s"
    )
    print(
        f"sync: {len(buildings)} buildings in batches of {BATCH}, each sent twice "
        f"({duplicates} duplicates): {synced:.2f} s "
        f"({2 * len(buildings) / synced:.0f} marks/s)"
    )
    print(
        f"coverage: {coverage['letterboxes']['reached']} / {coverage['letterboxes']['total']} "
        f"letterboxes: {covered * 1000:.0f} ms; phone JSON: {phone * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
