"""Requests to hosts that someone else chose (a store, a Mastodon instance, a Bluesky PDS).

Each connector that talks to such a host sends through what this module builds, so that no one
can point Arrosto at this machine, the local network or a cloud metadata service (SSRF):

* :func:`session` is a ``requests.Session`` from Saleor's ``requests-hardened``: the host is
  resolved once per connection, the address checked, and the connection made to that address
  (the name still goes in ``Host``, SNI and the certificate check), so a DNS answer cannot
  change between the check and the connection. Loopback, private (RFC 1918, unique local
  ``fc00::/7``), link-local (``169.254.0.0/16`` with the metadata service ``169.254.169.254``,
  ``fe80::/10``), CGNAT ``100.64.0.0/10``, multicast, reserved and unspecified addresses are
  refused, IPv4-mapped IPv6 (``::ffff:127.0.0.1``) is judged as the IPv4 address it maps.
  Redirects go back through the session, so every hop is checked; retries reconnect to the
  address already checked.
* :class:`GuardedTransport` applies the same check and pinning to httpx (the ``atproto`` SDK).
* :func:`check_host` refuses a URL's host before any request when it is an address or a name
  that needs no DNS to be judged (``localhost``, ``127.0.0.1``, ``2130706433``, ``[::1]``).

Loopback (and plain ``http://``, for the callers that accept it) is allowed only with
``ARROSTO_ALLOW_LOOPBACK_HOSTS``, a setting for development and tests; :func:`configure` is
called by the app factory. Private networks are refused even then.
"""
from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from typing import Any

import httpx
import requests
from requests_hardened import Config, HTTPSession
from requests_hardened.ip_filter import (
    EXTRA_BLOCKED_NET_RANGES,
    InvalidIPAddress,
    get_ip_address,
)
from requests_hardened.ip_filter_adapter import IPFilterAdapter
from urllib3.util.retry import Retry

from .errors import ConfigError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (10.0, 30.0)  # connect, read: for a caller that forgot to pass one
MAX_REDIRECTS = 5
SETTING = "ARROSTO_ALLOW_LOOPBACK_HOSTS"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_allow_loopback = False


def configure(*, allow_loopback: bool) -> None:
    """This process's policy (the app factory calls it from the settings)."""
    global _allow_loopback
    if allow_loopback and not _allow_loopback:
        log.warning("%s is on: requests may go to this machine's loopback addresses and over "
                    "plain http:// (development and tests only)", SETTING)
    _allow_loopback = allow_loopback


def loopback_allowed() -> bool:
    return _allow_loopback


# --- the rule -------------------------------------------------------------------------------------

class RefusedAddress(InvalidIPAddress):
    """A request refused because its host is, or resolves to, an internal address.

    A ``requests.RequestException`` (it is raised inside the session); connectors turn it into
    :class:`InternalAddress` with their own words."""

    def __init__(self, host: str, address: IPAddress | str):
        self.host, self.address = host, str(address)
        super().__init__(describe(host, address))


class InternalAddress(ConfigError):
    """An address given for a store, instance or server that leads to this machine or a private
    network; the message says which host and why, never the URL (it may carry a secret)."""

    def __init__(self, message: str, *, host: str = ""):
        super().__init__(message)
        self.host = host


def refusal(address: IPAddress | str) -> str | None:
    """Why requests to this address are refused, None when they are not.

    The same rule requests-hardened's ``get_ip_address`` applies after resolving (its
    ``is_private``/``is_multicast``/extra ranges, loopback only when allowed), with the kind
    named for the message."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if _allow_loopback else "a loopback address (this machine)"
    if ip.is_unspecified:
        return "the unspecified address (this machine)"
    if ip.is_link_local:
        return "a link-local address (where cloud metadata services answer)"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_private or any(ip in net for net in EXTRA_BLOCKED_NET_RANGES):
        return "a private or reserved address"
    return None


def describe(host: str, address: IPAddress | str) -> str:
    reason = refusal(address) or "an address Arrosto does not connect to"
    shown = host if host == str(address) else f"{host} ({address})"
    return f"{shown} is {reason}; Arrosto connects only to addresses on the public internet"


def literal_address(host: str) -> IPAddress | None:
    """The address a host names without DNS: an IP in any form the resolver takes
    (``127.0.0.1``, ``2130706433``, ``0177.0.0.1``, ``0x7f.1``, ``::ffff:127.0.0.1``,
    ``fe80::1%eth0``), ``localhost`` and its subdomains (RFC 6761); None for other names."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return ipaddress.ip_address("127.0.0.1")
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        pass
    if name and all(part.isalnum() for part in name.split(".")) \
            and name.split(".")[-1][:1].isdigit():  # no top-level domain starts with a digit
        try:  # the forms inet_aton (and so getaddrinfo) reads: decimal, octal, hex, short
            return ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return None
    return None


def check_host(host: str, *, what: str = "the address") -> None:
    """Refuse, before any request, a host that is an internal address without resolving it.

    Names are judged when a request resolves them (:func:`session`, :class:`GuardedTransport`).
    """
    address = literal_address(host)
    if address is not None and refusal(address) is not None:
        raise InternalAddress(f"{what}: {describe(host, address)}", host=host)


def check_scheme(scheme: str, *, what: str = "the address") -> None:
    """https only; plain http only with the development setting."""
    if scheme == "https" or (scheme == "http" and _allow_loopback):
        return
    raise ConfigError(f"{what} must be an https:// address")


def found_refusal(exc: BaseException | None) -> RefusedAddress | None:
    """The refusal behind an exception a client library wrapped (Mastodon.py does)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, RefusedAddress):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


# --- requests -------------------------------------------------------------------------------------

class _Adapter(IPFilterAdapter):
    """requests-hardened's adapter with our retries, and its refusal named with the host."""

    def __init__(self, *, https: bool, retries: Retry | int):
        super().__init__(is_https_proto=https, allow_loopback=_allow_loopback)
        self.max_retries = retries if isinstance(retries, Retry) else Retry.from_int(retries)

    def build_connection_pool_key_attributes(self, request: requests.PreparedRequest,
                                             verify: Any, cert: Any = None) -> Any:
        try:
            return super().build_connection_pool_key_attributes(request, verify, cert)
        except InvalidIPAddress as exc:
            host = requests.utils.urlparse(request.url).hostname or ""
            raise RefusedAddress(host, exc.args[0] if exc.args else "?") from None


def adapter(*, https: bool, retries: Retry | int = 0) -> requests.adapters.HTTPAdapter:
    """The guarded adapter, for a caller that mounts other retries on one path of its session
    (Shopify's token endpoint on the shop's session)."""
    return _Adapter(https=https, retries=retries)


def session(*, retries: Retry | int = 0, max_redirects: int = MAX_REDIRECTS) -> requests.Session:
    """A session that connects only to public addresses, checked on every connection and every
    redirect; ``retries`` is the urllib3 ``Retry`` of the caller's adapter."""
    s = HTTPSession(Config(ip_filter_enable=True, ip_filter_allow_loopback_ips=_allow_loopback,
                           never_redirect=False, default_timeout=DEFAULT_TIMEOUT))
    s.mount("https://", _Adapter(https=True, retries=retries))
    s.mount("http://", _Adapter(https=False, retries=retries))
    s.max_redirects = max_redirects
    return s


# --- httpx ----------------------------------------------------------------------------------------

class GuardedTransport(httpx.BaseTransport):
    """An httpx transport that resolves each request's host, refuses internal addresses, and
    connects to the address it checked (``Host`` and SNI keep the name). httpx follows redirects
    by sending again through the transport, so each hop is checked. One connection pool per
    host name: a connection made for one name is never reused for another at the same address.
    """

    def __init__(self, **options: Any):
        self._options = options
        self._pools: dict[tuple[str, str, int], httpx.HTTPTransport] = {}
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        host = url.raw_host.decode("ascii")  # IDNA-encoded, IPv6 without brackets
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            address, _ = get_ip_address(host, port, allow_loopback=_allow_loopback)
        except InvalidIPAddress as exc:
            raise RefusedAddress(host, exc.args[0] if exc.args else "?") from None
        except (socket.gaierror, UnicodeError) as exc:
            raise httpx.ConnectError(f"cannot resolve {host}", request=request) from exc
        if refusal(address) is not None:  # the library's rule, stated again for httpx
            raise RefusedAddress(host, address)
        extensions = dict(request.extensions)
        if url.scheme == "https":
            extensions["sni_hostname"] = host
        pinned = httpx.Request(request.method, url.copy_with(host=str(address)),
                               headers=request.headers, stream=request.stream,
                               extensions=extensions)
        return self._pool(url.scheme, host, port).handle_request(pinned)

    def _pool(self, scheme: str, host: str, port: int) -> httpx.HTTPTransport:
        key = (scheme, host, port)
        with self._lock:
            if key not in self._pools:
                self._pools[key] = httpx.HTTPTransport(**self._options)
            return self._pools[key]

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()
