"""A real circo server in a subprocess, for tests through the real entry point.

``LiveServer`` runs ``python -m circo serve`` on a free loopback port against the test's
database (SQLite file or PostgreSQL database of the ``settings`` fixture), waits until
``/health`` answers, and can be killed with SIGKILL and started again on the same data::

    def test_something(live_server: LiveServer) -> None:
        client = live_server.client()            # httpx.Client with base_url set
        live_server.login(client, email, password)
        ...
        live_server.kill()                        # SIGKILL, no cleanup
        live_server.start()                       # same database, same data dir

The process runs in UTC (``TZ=UTC``) like a server on a bare machine.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from circo.config import Settings

STARTUP_DEADLINE_SECONDS = 60.0
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)"')


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a circo process working on the test's database and data dir."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CIRCO_") and key != "PYTEST_CURRENT_TEST"
    }
    env.update(
        {
            "CIRCO_DATABASE_URL": settings.effective_database_url,
            "CIRCO_DATA_DIR": str(settings.data_dir),
            "CIRCO_SECRET_KEY": settings.secret_key,
            "CIRCO_ENV": "test",
            "TZ": "UTC",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def run_cli(
    settings: Settings, *args: str, env_width: str = "200", **extra_env: str
) -> subprocess.CompletedProcess[str]:
    """``python -m circo ARGS`` as a separate process on the test's database."""
    return subprocess.run(
        [sys.executable, "-m", "circo", *args],
        env=server_env(settings, COLUMNS=env_width, **extra_env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def init_campaign(settings: Settings, slug: str) -> tuple[str, str]:
    """``circo init --campaign SLUG`` in a subprocess; returns the admin's (email, password)."""
    created = run_cli(settings, "init", "--campaign", slug, env_width="200")
    assert created.returncode == 0, created.stderr
    match = re.search(r"administrateur : (\S+) / mot de passe : (\S+)", created.stderr)
    assert match, created.stderr
    return match.group(1), match.group(2)


class LiveServer:
    def __init__(self, settings: Settings, log_path: Path, **extra_env: str) -> None:
        self.settings = settings
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.extra_env = extra_env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert self.process is None, "server already running"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "circo", "serve", "--port", str(self.port)],
            env=server_env(self.settings, **self.extra_env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"circo serve exited at start:\n{self.log()}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"circo serve did not answer /health:\n{self.log()}")
            # Polling the port for readiness, not synchronising on a guessed delay.
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no flush — what a crash or an OOM kill does."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
            self.process = None

    def restart_after_kill(self) -> None:
        self.kill()
        self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=60, **kwargs)  # type: ignore[arg-type]

    def login(self, client: httpx.Client, email: str, password: str) -> str:
        """Log in through the login form, as a browser does; returns the session's CSRF token
        (for ``X-CSRF-Token`` headers and ``csrf_token`` form fields)."""
        client.get("/login")
        response = client.post(
            "/login",
            data={
                "email": email,
                "password": password,
                "csrf_token": client.cookies.get("circo_csrf") or "",
                "next": "/account",
            },
        )
        assert response.status_code == 303, response.text[:500]
        match = CSRF_META.search(client.get("/account").text)
        assert match, "logged-in pages carry the CSRF token"
        return match.group(1)


@pytest.fixture
def live_server(settings: Settings, tmp_path: Path) -> Iterator[LiveServer]:
    """A started server on the test's database; killed at the end of the test."""
    server = LiveServer(settings, tmp_path / "server.log")
    server.start()
    try:
        yield server
    finally:
        server.kill()
