"""Load test: public form submissions held by one web worker, none lost (issue 18).

    .venv/bin/python benchmarks/reach/bench_forms.py --submissions 1000 --concurrency 8

Starts `circo serve` (one process, SQLite in a temporary data dir, the embedded job queue),
creates a sign-up form with `circo forms create --json`, then posts N submissions of the public
form over loopback with a bounded number in flight, each visitor from its own loopback address
(127.0.0.2 … — the per-address limit of 20 a minute applies as it would on the internet, each
address sending 10). Then it counts, in the database, the pending submissions and their
confirmation mails: every 200 answer must be one row and one mail. Prints the throughput
(submissions per minute) and the latency percentiles recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import httpx

PER_ADDRESS = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(folder: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CIRCO_")}
    env.update(
        {
            "CIRCO_DATA_DIR": str(folder),
            "CIRCO_SECRET_KEY": "bench-secret-0123456789abcdef0123456789",
            "CIRCO_ENV": "test",
            "TZ": "UTC",
        }
    )
    return env


def solved_challenge(secret_and_form: tuple[str, str]) -> dict[str, str]:
    """What the page and its script give a visitor: a signed challenge and its proof of work
    (computed before the timed run: the cost is the visitor's, not the server's)."""
    from circo.reach import pow

    secret, public_id = secret_and_form
    token = pow.issue(secret, public_id).token
    return {"pow_challenge": token, "pow": str(pow.solve(token))}


def wait_until_up(base: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)  # polling a starting server, not synchronising the measurement
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f} (2 cores, shared)")
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        env = environment(folder)
        created = subprocess.run(
            [sys.executable, "-m", "circo", "forms", "create", "--kind", "signup", "--name",
             "Rejoindre", "--json"],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        form = json.loads(created.stdout.strip().splitlines()[-1])
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "circo", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        path = "/f/" + form["url"].rsplit("/f/", 1)[1]
        public_id = path.rsplit("/", 1)[1]
        with ProcessPoolExecutor() as solvers:
            proofs = list(
                solvers.map(
                    solved_challenge,
                    [(env["CIRCO_SECRET_KEY"], public_id)] * args.submissions,
                    chunksize=50,
                )
            )
        try:
            wait_until_up(base, time.monotonic() + 60)
            clients: dict[str, httpx.Client] = {}
            lock = threading.Lock()
            latencies: list[float] = []
            statuses: dict[int, int] = {}

            def client_for(index: int) -> httpx.Client:
                address = (
                    f"127.0.{(index // PER_ADDRESS) // 250}.{(index // PER_ADDRESS) % 250 + 2}"
                )
                with lock:
                    if address not in clients:
                        transport = httpx.HTTPTransport(local_address=address)
                        clients[address] = httpx.Client(
                            base_url=f"http://127.0.0.1:{port}", transport=transport, timeout=60
                        )
                    return clients[address]

            def post(index: int) -> None:
                started = time.perf_counter()
                response = client_for(index).post(
                    path,
                    data={
                        "email": f"visiteur{index}@example.org",
                        "first_name": f"Visiteur{index}",
                        "consent": "yes",
                        "origin": "https://exemple.fr/rejoindre",
                        **proofs[index],
                    },
                )
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
                list(pool.map(post, range(args.submissions)))
            duration = time.perf_counter() - started
            for client in clients.values():
                client.close()
        finally:
            server.terminate()
            server.wait(timeout=60)
        with sqlite3.connect(folder / "circo.db") as db:
            rows = db.execute("SELECT count(*) FROM reach_form_submissions").fetchone()[0]
            mails = db.execute(
                "SELECT count(*) FROM mail_outbox WHERE key LIKE 'reach.form:%'"
            ).fetchone()[0]
        latencies.sort()
        accepted = statuses.get(200, 0)
        print(
            f"{args.submissions} submissions, {args.concurrency} in flight, "
            f"{len(clients)} loopback addresses: {duration:.1f} s, "
            f"{args.submissions / duration * 60:.0f} per minute; answers {statuses}"
        )
        print(
            f"latency p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p95 {latencies[int(len(latencies) * 0.95) - 1] * 1000:.0f} ms, "
            f"max {latencies[-1] * 1000:.0f} ms"
        )
        print(f"in the database: {rows} submissions, {mails} confirmation mails queued")
        lost = accepted - rows
        print(f"lost: {lost} (accepted answers without a row)")
        if lost or rows != mails:
            raise SystemExit("submissions lost")


if __name__ == "__main__":
    main()
