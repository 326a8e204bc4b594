"""Fetching a URL given by a user without turning the server into a proxy to its own network.

`fetch_url` is the only way circo downloads a user-supplied URL (knowledge-base URLs, news
feeds). For the first request and every redirect hop (at most 5) it:

- accepts only ``http``/``https`` on an allowed port (80 and 443 unless configured);
- resolves the host name once and refuses it when *any* of its addresses is loopback, private,
  link-local, multicast, reserved, unspecified, shared (CGNAT) or a cloud metadata address
  (IPv4-mapped and NAT64 IPv6 forms are unwrapped first);
- connects to the checked address itself (the URL's host is replaced by the address, the
  ``Host`` header and the TLS server name keep the original name, so certificates are still
  verified against it): no second DNS lookup can swap in another address;
- follows redirects by hand, checking each one like the first URL;
- stops at a total deadline and at a maximum size; never uses proxies from the environment.

Every failure — refused address, closed port, timeout, HTTP error, size — gives the same
French message: an answer must not tell an open port from a closed one. The precise reason goes
to the server log. ``CIRCO_URL_FETCH_ALLOW_HOSTS`` lists hosts that are fetched even when they
are private (an intranet, the tests' loopback server); ``CIRCO_URL_FETCH_ENABLED=false`` turns
every fetch off.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from dataclasses import dataclass

import httpx
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.errors import CircoError

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
USER_AGENT = "circo/1.0 (+https://github.com/circo)"
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services (AWS, GCP, Azure, Oracle: 169.254.169.254; AWS IPv6; Alibaba).
METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("fd00:ec2::254"),
    ipaddress.ip_address("100.100.100.200"),
}
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")


class UrlFetchError(CircoError):
    """A URL could not be fetched (refused or failed: the message does not say which)."""

    status = 400


class UrlFetchDisabled(UrlFetchError):
    status = 403


class _Refused(Exception):
    """Internal: the precise reason, logged, never shown."""


def leave_transaction(session: Session) -> None:
    """Call before any network call made while handling a request, a command or a job.

    A network call may last its whole deadline; inside a transaction it would hold SQLite's
    write lock (every request of every campaign waits) or a PostgreSQL connection. What the
    session did so far (reads, authentication bookkeeping) is committed; its next query opens
    a new transaction. Loaded objects stay readable (sessions do not expire them on commit).
    """
    if session.in_transaction():
        session.commit()


def generic_error(url: str, policy: FetchPolicy) -> UrlFetchError:
    ports = ", ".join(str(port) for port in sorted(policy.allowed_ports))
    return UrlFetchError(
        f"impossible de récupérer « {url} » : adresse refusée, injoignable ou réponse invalide "
        f"(seules les adresses publiques en http ou https, ports {ports}, sont acceptées)",
        loc="url",
    )


@dataclass(frozen=True)
class Fetched:
    content: bytes
    content_type: str | None
    url: str  # after redirects


@dataclass(frozen=True)
class _AllowEntry:
    host: str | None
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None
    port: int | None

    @classmethod
    def parse(cls, entry: str) -> _AllowEntry:
        host, port = entry.strip().lower(), None
        if host.startswith("["):  # [::1]:8080
            inside, _, rest = host[1:].partition("]")
            host, port = inside, int(rest[1:]) if rest.startswith(":") else None
        elif host.count(":") == 1:
            host, _, port_text = host.partition(":")
            port = int(port_text)
        try:
            return cls(host=None, network=ipaddress.ip_network(host, strict=False), port=port)
        except ValueError:
            return cls(host=host.rstrip("."), network=None, port=port)

    def matches(self, host: str, port: int, addresses: list[IPAddress]) -> bool:
        """This entry names ``host`` (or holds all its addresses), on ``port`` if it has one."""
        if self.port is not None and self.port != port:
            return False
        if self.host is not None:
            return host.rstrip(".").lower() == self.host
        assert self.network is not None
        return bool(addresses) and all(address in self.network for address in addresses)


@dataclass(frozen=True)
class FetchPolicy:
    enabled: bool
    allowed_ports: frozenset[int]
    allow: tuple[_AllowEntry, ...]
    deadline_seconds: float
    max_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchPolicy:
        return cls(
            enabled=settings.url_fetch_enabled,
            allowed_ports=frozenset(int(port) for port in settings.url_fetch_allowed_ports),
            allow=tuple(_AllowEntry.parse(entry) for entry in settings.url_fetch_allow_hosts),
            deadline_seconds=settings.url_fetch_timeout,
            max_bytes=settings.url_fetch_max_bytes,
        )


def forbidden_address(address: IPAddress) -> bool:
    """True for an address a user-supplied URL must never reach."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64_PREFIX:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return forbidden_address(embedded)
    return (
        address in METADATA_ADDRESSES
        or address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address of ``host`` (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise _Refused(f"DNS: {exc}") from exc
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise _Refused("DNS: no address")
    return addresses


def check_target(url: httpx.URL, policy: FetchPolicy) -> IPAddress:
    """The address to connect to for ``url``, or _Refused."""
    if url.scheme not in ("http", "https") or not url.raw_host:
        raise _Refused(f"scheme or host: {url}")
    host = url.raw_host.decode("ascii")
    port = url.port or (443 if url.scheme == "https" else 80)
    addresses = resolve(host, port)
    allowed = [entry for entry in policy.allow if entry.matches(host, port, addresses)]
    if port not in policy.allowed_ports and not any(entry.port == port for entry in allowed):
        raise _Refused(f"port {port} not allowed")
    refused = [str(address) for address in addresses if forbidden_address(address)]
    if refused and not allowed:
        raise _Refused(f"{host} resolves to forbidden address(es) {', '.join(refused)}")
    return addresses[0]


def fetch_url(url: str, *, settings: Settings) -> Fetched:
    """GET ``url`` under the policy of ``settings``; UrlFetchError (one generic message) else.

    Never call it inside a database transaction: it may take the whole deadline.
    """
    policy = FetchPolicy.from_settings(settings)
    if not policy.enabled:
        raise UrlFetchDisabled(
            "la récupération d'adresses web est désactivée sur ce serveur "
            "(CIRCO_URL_FETCH_ENABLED=false) : téléchargez le document puis déposez le fichier",
            loc="url",
        )
    try:
        return _fetch(url.strip(), policy)
    except (_Refused, httpx.HTTPError, OSError, ValueError) as exc:
        logger.info("URL fetch refused or failed: %s: %s: %s", url, type(exc).__name__, exc)
        raise generic_error(url, policy) from None


def _fetch(raw_url: str, policy: FetchPolicy) -> Fetched:
    deadline = time.monotonic() + policy.deadline_seconds
    url = httpx.URL(raw_url)
    with httpx.Client(trust_env=False, follow_redirects=False, verify=True) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Refused("deadline")
            address = check_target(url, policy)
            request = client.build_request(
                "GET",
                url.copy_with(host=str(address)),
                headers={"Host": url.netloc.decode("ascii"), "User-Agent": USER_AGENT},
                extensions={"sni_hostname": url.raw_host.decode("ascii")},
                timeout=httpx.Timeout(remaining),
            )
            response = client.send(request, stream=True)
            try:
                if response.status_code in REDIRECT_STATUSES and "location" in response.headers:
                    url = url.join(response.headers["location"])
                    continue
                if response.status_code >= 400:
                    raise _Refused(f"HTTP {response.status_code}")
                content = _read_body(response, policy, deadline)
                return Fetched(content, response.headers.get("content-type"), str(url))
            finally:
                response.close()
    raise _Refused(f"more than {MAX_REDIRECTS} redirects")


def _read_body(response: httpx.Response, policy: FetchPolicy, deadline: float) -> bytes:
    """The body, cut at the deadline (a watchdog shuts the socket down) and at the size limit."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > policy.max_bytes:
        raise _Refused(f"declared size {declared}")
    expired = threading.Event()
    watchdog = threading.Timer(
        max(deadline - time.monotonic(), 0), _shut_down, args=(response, expired)
    )
    watchdog.daemon = True
    watchdog.start()
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > policy.max_bytes:
                raise _Refused(f"body larger than {policy.max_bytes} bytes")
            if expired.is_set() or time.monotonic() > deadline:
                raise _Refused("deadline while reading")
            chunks.append(chunk)
    except httpx.HTTPError as exc:
        if expired.is_set():
            raise _Refused("deadline while reading") from exc
        raise
    finally:
        watchdog.cancel()
    if expired.is_set():
        raise _Refused("deadline while reading")
    return b"".join(chunks)


def _shut_down(response: httpx.Response, expired: threading.Event) -> None:
    expired.set()
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
