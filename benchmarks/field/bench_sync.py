"""Benchmark: volunteers syncing visits concurrently through the real HTTP server.

Builds a fresh database (PostgreSQL or SQLite), a campaign with turfs cut from the shipped REU
sample, N volunteers each assigned a turf and holding an API token; starts ``circo serve`` in a
subprocess on 127.0.0.1 (``--workers`` → CIRCO_WEB_WORKERS, ``--concurrency`` →
CIRCO_WEB_CONCURRENCY); then N async clients (httpx) each send ROUNDS batches of BATCH visits
(new UUID keys) to POST /api/campaigns/{slug}/field/visits/sync, pausing THINK seconds (random)
between batches — or, with ``--rate R``, at R requests/s in all (open loop, Poisson arrivals) —
and re-sending a previous batch with probability RETRY (a phone that did not hear the answer).
A 503 is retried after its Retry-After (plus up to 50 % jitter), as the volunteer app does, and
counted as ``shed_503``; anything else that is not a 200 is an error. Bounded: N × ROUNDS
batches, and a global deadline.

At the end it checks the database: every acknowledged key is stored exactly once (lost = keys
sent and acknowledged but absent; duplicated = rows − distinct keys), and prints latency
percentiles per HTTP request (``p95_ms``) and per batch until acknowledged, 503 waits included
(``batch_p95_ms``), the created visits per second, the cores and the load average.

    .venv/bin/python benchmarks/field/bench_sync.py --backend postgresql --volunteers 50 \
        --rounds 20 --think 0 --workers 2
    .venv/bin/python benchmarks/field/bench_sync.py --backend sqlite --volunteers 50 \
        --rounds 20 --think 0
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
from collections import Counter
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


def server_command(
    url: str, data_dir: Path, port: int, args: argparse.Namespace
) -> tuple[list[str], dict[str, str]]:
    """``circo serve`` as an operator runs it, configured by the environment."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CIRCO_")}
    env.update(
        CIRCO_DATABASE_URL=url,
        CIRCO_DATA_DIR=str(data_dir),
        CIRCO_SECRET_KEY="b" * 32,
        CIRCO_ENV="test",
        CIRCO_WEB_WORKERS=str(args.workers),
        CIRCO_WEB_CONCURRENCY=str(args.concurrency),
    )
    return [sys.executable, "-m", "circo", "serve", "--port", str(port)], env


async def volunteer(
    client: httpx.AsyncClient,
    token: str,
    turf_id: int,
    args: argparse.Namespace,
    rng: random.Random,
    stats: dict[str, Any],
) -> int:
    """One phone: ROUNDS batches; a 503 is retried after its Retry-After (plus jitter), as the
    volunteer app does; any other failure is an error (the batch is dropped)."""
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/api/campaigns/{SLUG}/field/visits/sync"
    sent: list[list[dict[str, Any]]] = []
    requests = 0
    for _round in range(args.rounds):
        if args.rate:  # open loop: each phone sends at rate/N on average (Poisson arrivals)
            await asyncio.sleep(rng.expovariate(args.rate / args.volunteers))
        else:
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
        first_try = time.perf_counter()
        while True:
            started = time.perf_counter()
            try:
                response = await client.post(path, json={"visits": batch}, headers=headers)
            except httpx.HTTPError as exc:
                stats["errors"].append(type(exc).__name__)
                break
            stats["latencies"].append(time.perf_counter() - started)
            stats["finished_at"].append(time.perf_counter())
            requests += 1
            if response.status_code == 503 and "retry-after" in response.headers:
                stats["shed"] += 1
                wait = float(response.headers["retry-after"])
                await asyncio.sleep(wait * rng.uniform(1.0, 1.5))
                continue
            if response.status_code != 200:
                stats["errors"].append(f"HTTP {response.status_code}")
                break
            stats["batch_latencies"].append(time.perf_counter() - first_try)
            for item in response.json()["results"]:
                if item["status"] in ("created", "duplicate"):
                    stats["acknowledged"].add(item["key"])
                    stats["created"] += item["status"] == "created"
                else:
                    stats["errors"].append("rejected")
            break
    return requests


def steady_rate(finished_at: list[float]) -> float:
    """Requests/s between the 10th and the 90th percentile of completion times: the rate
    while every phone is active, without the ramp-up and the tail of the last phones."""
    if len(finished_at) < 10:
        return float("nan")
    times = sorted(finished_at)
    first, last = len(times) // 10, len(times) * 9 // 10
    return round((last - first) / max(times[last] - times[first], 1e-9), 1)


def percentiles(seconds: list[float], prefix: str) -> dict[str, float]:
    values = np.array(seconds or [float("nan")]) * 1000
    return {
        f"{prefix}p50_ms": round(float(np.percentile(values, 50)), 1),
        f"{prefix}p95_ms": round(float(np.percentile(values, 95)), 1),
        f"{prefix}p99_ms": round(float(np.percentile(values, 99)), 1),
        f"{prefix}max_ms": round(float(values.max()), 1),
    }


async def load(
    base_url: str, pairs: list[tuple[str, int]], args: argparse.Namespace
) -> dict[str, Any]:
    stats: dict[str, Any] = {
        "latencies": [],
        "batch_latencies": [],
        "acknowledged": set(),
        "errors": [],
        "shed": 0,
        "created": 0,
        "finished_at": [],
    }
    limits = httpx.Limits(max_connections=len(pairs), max_keepalive_connections=len(pairs))
    async with httpx.AsyncClient(base_url=base_url, timeout=args.timeout, limits=limits) as client:
        started = time.perf_counter()
        tasks = [
            volunteer(client, token, turf_id, args, random.Random(seed), stats)
            for seed, (token, turf_id) in enumerate(pairs)
        ]
        counts = await asyncio.wait_for(asyncio.gather(*tasks), timeout=args.deadline)
        elapsed = time.perf_counter() - started
    errors: list[str] = stats["errors"]
    return {
        "requests": int(sum(counts)),
        "elapsed_s": round(elapsed, 1),
        "requests_per_s": round(sum(counts) / elapsed, 1),
        "visits_created_per_s": round(stats["created"] / elapsed, 1),
        "steady_requests_per_s": steady_rate(stats["finished_at"]),
        **percentiles(stats["latencies"], ""),
        **percentiles(stats["batch_latencies"], "batch_"),
        "shed_503": stats["shed"],
        "errors": len(errors),
        "error_kinds": dict(Counter(errors)),
        "acknowledged": stats["acknowledged"],
    }


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants (the workers of ``circo serve``), from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    tree = [root]
    for pid in tree:
        tree.extend(child for child, parent in parents.items() if parent == pid)
    return tree


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of live processes (Linux /proc; 0 for a vanished one)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def database_backends(url: str) -> list[int]:
    """PostgreSQL server processes serving the benchmark's database (none for SQLite: it
    runs inside the server's processes, so its CPU is in the server's figure)."""
    if not url.startswith("postgresql"):
        return []
    engine = create_engine(url)
    with engine.connect() as connection:
        pids = connection.execute(
            text(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalars()
        found = [int(pid) for pid in pids]
    engine.dispose()
    return found


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
        "--rate", type=float, default=0.0, help="open loop: sync requests/s in all (0: --think)"
    )
    parser.add_argument("--workers", type=int, default=1, help="CIRCO_WEB_WORKERS of the server")
    parser.add_argument(
        "--concurrency", type=int, default=8, help="CIRCO_WEB_CONCURRENCY of the server"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="circo-bench-"))
    url, pg_name = make_database(args.backend, folder)
    server: subprocess.Popen[bytes] | None = None
    try:
        pairs = prepare(url, folder, args.volunteers)
        port = free_port()
        command, env = server_command(url, folder, port, args)
        server = subprocess.Popen(command, env=env)
        base_url = f"http://127.0.0.1:{port}"
        wait_until_up(base_url, server)
        server_before = cpu_seconds(process_tree(server.pid))
        client_before = time.process_time()
        result = asyncio.run(load(base_url, pairs, args))
        client_cpu = time.process_time() - client_before
        server_cpu = cpu_seconds(process_tree(server.pid)) - server_before
        database_cpu = cpu_seconds(database_backends(url))
        per_request = 1000 / max(result["requests"], 1)
        result.update(
            cpu_ms_per_request={
                "server": round(server_cpu * per_request, 2),
                "database": round(database_cpu * per_request, 2),
                "client": round(client_cpu * per_request, 2),
            }
        )
        acknowledged = result.pop("acknowledged")
        result.update(verify(url, acknowledged))
        result.update(
            backend=args.backend,
            volunteers=args.volunteers,
            rounds=args.rounds,
            batch=args.batch,
            think_s=args.think,
            retry=args.retry,
            rate=args.rate,
            workers=args.workers,
            concurrency=args.concurrency,
            cpu_cores=os.cpu_count(),
            load_average=[round(value, 2) for value in os.getloadavg()],
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
