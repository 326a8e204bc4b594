"""Benchmark: volunteers syncing visits concurrently through the real HTTP server.

Builds a fresh database (PostgreSQL or SQLite), a campaign with turfs cut from the shipped REU
sample, N volunteers each assigned a turf and holding an API token; starts ``uvicorn`` in a
subprocess on 127.0.0.1; then N async clients (httpx) each send ROUNDS batches of BATCH visits
(new UUID keys) to POST /api/campaigns/{slug}/field/visits/sync, pausing THINK seconds (random)
between batches, and re-sending a previous batch with probability RETRY (a phone that did not
hear the answer). Bounded: N × ROUNDS requests at most, and a global deadline.

At the end it checks the database: every acknowledged key is stored exactly once (lost = keys
sent and acknowledged but absent; duplicated = rows − distinct keys), and prints latency
percentiles per sync request.

    .venv/bin/python benchmarks/field/bench_sync.py --backend postgresql
    .venv/bin/python benchmarks/field/bench_sync.py --backend sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

PG_ADMIN = os.environ.get(
    "CIRCO_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SLUG = "bench"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_database(backend: str, folder: Path) -> tuple[str, str | None]:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'circo.db'}", None
    name = f"circo_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False), name


def drop_database(name: str | None) -> None:
    if name is None:
        return
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def prepare(url: str, data_dir: Path, volunteers: int) -> list[tuple[str, int]]:
    """Schema, campaign, turfs, volunteers with assignments and tokens → [(token, turf_id)]."""
    from circo.config import Settings
    from circo.core.models import Role
    from circo.core.service import create_api_token, create_campaign, create_user, set_role
    from circo.core.tenancy import system_context
    from circo.field import service, sources
    from circo.runtime import open_runtime

    settings = Settings(env="test", data_dir=data_dir, database_url=url, secret_key="b" * 32)
    runtime = open_runtime(settings, migrate=True)
    pairs: list[tuple[str, int]] = []
    with runtime.session() as session:
        campaign = create_campaign(session, slug=SLUG, name="Benchmark")
        ctx = system_context(campaign)
        addresses = sources.addresses_from_csv(sources.sample_path())
        service.create_plan(session, ctx, addresses=addresses, doors_per_turf=50, source="demo")
        turfs = service.visible_turfs(session, ctx)
        for number in range(volunteers):
            user = create_user(
                session, email=f"v{number:04d}@bench.example.org", password=None, name=f"v{number}"
            )
            set_role(session, actor=ctx.actor, campaign=campaign, user=user, role=Role.volunteer)
            turf = turfs[number % len(turfs)]
            service.assign(session, ctx, day=date.today(), turf_id=turf.id, user_id=user.id)
            token, _ = create_api_token(session, user=user, name="bench")
            pairs.append((token, turf.id))
    runtime.close()
    return pairs


def wait_until_up(base_url: str, server: subprocess.Popen[bytes], seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server exited before answering")
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise SystemExit(f"the server did not answer within {seconds:.0f} s")


def serve(url: str, data_dir: str, port: int) -> None:
    import uvicorn

    from circo.config import Settings
    from circo.web.app import create_app

    settings = Settings(env="test", data_dir=Path(data_dir), database_url=url, secret_key="b" * 32)
    uvicorn.run(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )


async def volunteer(
    client: httpx.AsyncClient,
    token: str,
    turf_id: int,
    args: argparse.Namespace,
    rng: random.Random,
    latencies: list[float],
    acknowledged: set[str],
    errors: list[str],
) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/api/campaigns/{SLUG}/field/visits/sync"
    sent: list[list[dict[str, Any]]] = []
    requests = 0
    for _round in range(args.rounds):
        await asyncio.sleep(rng.uniform(0, args.think))
        if sent and rng.random() < args.retry:
            batch = rng.choice(sent)  # a retry of a batch already sent
        else:
            batch = [
                {
                    "key": str(uuid.uuid4()),
                    "turf_id": turf_id,
                    "outcome": rng.choice(["not_home", "talked", "refused"]),
                    "answers": {},
                }
                for _ in range(args.batch)
            ]
            for visit in batch:
                if visit["outcome"] == "talked":
                    visit["answers"] = {"support": rng.choice(["soutien", "indecis", "contre"])}
            sent.append(batch)
        started = time.perf_counter()
        try:
            response = await client.post(path, json={"visits": batch}, headers=headers)
        except httpx.HTTPError as exc:
            errors.append(type(exc).__name__)
            continue
        latencies.append(time.perf_counter() - started)
        requests += 1
        if response.status_code != 200:
            errors.append(f"HTTP {response.status_code}")
            continue
        for item in response.json()["results"]:
            if item["status"] in ("created", "duplicate"):
                acknowledged.add(item["key"])
            else:
                errors.append("rejected")
    return requests


async def load(
    base_url: str, pairs: list[tuple[str, int]], args: argparse.Namespace
) -> dict[str, Any]:
    latencies: list[float] = []
    acknowledged: set[str] = set()
    errors: list[str] = []
    limits = httpx.Limits(max_connections=len(pairs), max_keepalive_connections=len(pairs))
    async with httpx.AsyncClient(base_url=base_url, timeout=args.timeout, limits=limits) as client:
        started = time.perf_counter()
        tasks = [
            volunteer(
                client, token, turf_id, args, random.Random(seed), latencies, acknowledged, errors
            )
            for seed, (token, turf_id) in enumerate(pairs)
        ]
        counts = await asyncio.wait_for(asyncio.gather(*tasks), timeout=args.deadline)
        elapsed = time.perf_counter() - started
    values = np.array(latencies or [float("nan")]) * 1000
    return {
        "requests": int(sum(counts)),
        "elapsed_s": round(elapsed, 1),
        "requests_per_s": round(sum(counts) / elapsed, 1),
        "p50_ms": round(float(np.percentile(values, 50)), 1),
        "p95_ms": round(float(np.percentile(values, 95)), 1),
        "p99_ms": round(float(np.percentile(values, 99)), 1),
        "max_ms": round(float(values.max()), 1),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "acknowledged": acknowledged,
    }


def verify(url: str, acknowledged: set[str]) -> dict[str, int]:
    from circo.field.models import Visit

    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(select(Visit.idempotency_key)).scalars().all()
        distinct = connection.execute(
            select(func.count(func.distinct(Visit.idempotency_key)))
        ).scalar_one()
    engine.dispose()
    stored = set(rows)
    return {
        "visits_stored": len(rows),
        "acknowledged_keys": len(acknowledged),
        "lost": len(acknowledged - stored),
        "duplicated": len(rows) - int(distinct),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--volunteers", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5, help="sync requests per volunteer")
    parser.add_argument("--batch", type=int, default=10, help="visits per request")
    parser.add_argument("--think", type=float, default=10.0, help="max pause before a sync (s)")
    parser.add_argument("--retry", type=float, default=0.2, help="share of re-sent batches")
    parser.add_argument("--timeout", type=float, default=60.0, help="per request (s)")
    parser.add_argument("--deadline", type=float, default=600.0, help="whole load (s)")
    parser.add_argument(
        "--serve", nargs=3, metavar=("URL", "DATA_DIR", "PORT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], args.serve[1], int(args.serve[2]))
        return
    folder = Path(tempfile.mkdtemp(prefix="circo-bench-"))
    url, pg_name = make_database(args.backend, folder)
    server: subprocess.Popen[bytes] | None = None
    try:
        pairs = prepare(url, folder, args.volunteers)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", url, str(folder), str(port)]
        )
        base_url = f"http://127.0.0.1:{port}"
        wait_until_up(base_url, server)
        result = asyncio.run(load(base_url, pairs, args))
        acknowledged = result.pop("acknowledged")
        result.update(verify(url, acknowledged))
        result.update(
            backend=args.backend,
            volunteers=args.volunteers,
            rounds=args.rounds,
            batch=args.batch,
            think_s=args.think,
            retry=args.retry,
        )
        print(json.dumps(result, indent=2))
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        drop_database(pg_name)


if __name__ == "__main__":
    main()
