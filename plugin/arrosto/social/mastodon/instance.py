"""Reaching a Mastodon instance: its address, as the owner gives it, checked by the rule of
:mod:`arrosto.outbound`, and the one guarded session a client of it sends through."""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import requests
from mastodon import Mastodon

from ... import outbound
from ...errors import ConfigError

USER_AGENT = "Arrosto"
DEFAULT_TIMEOUT = 30.0


def normalize_instance_url(url: str | None) -> str:
    """``mastodon.social`` or ``https://mastodon.social/`` → ``https://mastodon.social``.

    The instance is the owner's to name, so it gets the rule of :mod:`arrosto.outbound`: https
    only and no internal address (:class:`~arrosto.outbound.InternalAddress`), except this machine
    and plain http:// with ``ARROSTO_ALLOW_LOOPBACK_HOSTS`` (development and tests)."""
    value = (url or "").strip()
    if not value:
        raise ConfigError("SocialAccount.instance_url: empty; give the Mastodon instance's address")
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname \
            or not re.fullmatch(r"[\w.-]+", parts.hostname):
        raise ConfigError(f"SocialAccount.instance_url: {url!r} is not an http(s) address")
    outbound.check_scheme(parts.scheme, what="the Mastodon instance")
    outbound.check_host(parts.hostname, what="the Mastodon instance")
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


class Transport:
    """A requests session that remembers the last answer: Mastodon.py's exceptions carry no
    headers (Retry-After, X-RateLimit-Reset) and its app registration checks no status. The
    session is :func:`arrosto.outbound.session`: public addresses only, every redirect checked."""

    def __init__(self) -> None:
        self.session = outbound.session()
        self.last: requests.Response | None = None
        self.session.hooks["response"].append(self._remember)

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.last = response



def client(base: str, transport: Transport, timeout: float, **credentials: str) -> Mastodon:
    """A Mastodon.py client of the instance at ``base`` that raises on rate limits (the network
    waits them out itself) and never asks the instance its version."""
    return Mastodon(api_base_url=base, ratelimit_method="throw", request_timeout=timeout,
                    version_check_mode="none", session=transport.session, user_agent=USER_AGENT,
                    **credentials)
