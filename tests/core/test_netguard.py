"""The URL-fetch guard: address classes, allow-list, redirects, deadline and size limit."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from circo.config import Settings
from circo.core.netguard import UrlFetchError, fetch_url, forbidden_address


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.100.100.200",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "239.255.255.250",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fd00:ec2::254",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",
        "2002:7f00:1::",
    ],
)
def test_internal_addresses_are_forbidden(address: str) -> None:
    assert forbidden_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert not forbidden_address(ipaddress.ip_address(address))


@pytest.fixture
def local() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/loop") and not self.path.endswith("/5"):
                hop = int(self.path.rsplit("/", 1)[-1])
                self.send_response(302)
                self.send_header("Location", f"/loop/{hop + 1}")
                self.end_headers()
                return
            if self.path == "/big":
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"x" * 5000)
                return
            if self.path == "/silent":
                self.send_response(200)
                self.send_header("Content-Length", "10")
                self.end_headers()
                self.wfile.write(b"x")
                self.wfile.flush()
                self.server.stop.wait(timeout=60)  # type: ignore[attr-defined]
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"bonjour")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.stop = threading.Event()  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.stop.set()  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()


def _settings(**values: object) -> Settings:
    return Settings(env="test", **values)  # type: ignore[arg-type]


def test_allow_list_port_redirect_limit_size_and_deadline(local: str) -> None:
    with pytest.raises(UrlFetchError, match="adresse refusée"):
        fetch_url(f"http://{local}/", settings=_settings())
    allowed = _settings(url_fetch_allow_hosts=local)
    fetched = fetch_url(f"http://{local}/", settings=allowed)
    assert (fetched.content, fetched.content_type) == (b"bonjour", "text/plain")
    # The same host on an allowed network but another port is still refused (port list).
    network = _settings(url_fetch_allow_hosts="127.0.0.0/8")
    with pytest.raises(UrlFetchError):
        fetch_url(f"http://{local}/", settings=network)
    assert (
        fetch_url(
            f"http://{local}/",
            settings=_settings(
                url_fetch_allow_hosts="127.0.0.0/8",
                url_fetch_allowed_ports=local.split(":")[1],
            ),
        ).content
        == b"bonjour"
    )
    # Five redirects are followed, the sixth is refused.
    assert fetch_url(f"http://{local}/loop/0", settings=allowed).url.endswith("/loop/5")
    with pytest.raises(UrlFetchError):
        fetch_url(f"http://{local}/loop/-1", settings=allowed)
    # Size limit and total deadline (a server that stops sending mid-body).
    with pytest.raises(UrlFetchError):
        fetch_url(
            f"http://{local}/big", settings=_settings(**_allow(local), url_fetch_max_bytes=1000)
        )
    with pytest.raises(UrlFetchError):
        fetch_url(
            f"http://{local}/silent", settings=_settings(**_allow(local), url_fetch_timeout=0.5)
        )


def _allow(local: str) -> dict[str, object]:
    return {"url_fetch_allow_hosts": local}


def test_settings_reject_bad_lists() -> None:
    with pytest.raises(ValueError, match="CIRCO_URL_FETCH_ALLOWED_PORTS"):
        _settings(url_fetch_allowed_ports="80,http")
    with pytest.raises(ValueError, match="CIRCO_TRUSTED_PROXIES"):
        _settings(trusted_proxies="127.0.0.1,proxy.local")
    assert _settings(trusted_proxies="127.0.0.1, 10.0.0.0/8").trusted_proxies == [
        "127.0.0.1",
        "10.0.0.0/8",
    ]
