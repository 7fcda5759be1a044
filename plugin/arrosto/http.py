"""The HTTP base every connector sends through: one session, one error mapping, one wait rule.

* :func:`session` is the one ``requests.Session`` a connector object keeps (one per shop, one per
  social account): urllib3's ``Retry`` in its adapter retries dropped connections, read errors
  and 5xx a couple of times with backoff. It never retries a 429 nor honours ``Retry-After``
  itself (urllib3 would ``time.sleep`` inside the request): a rate limit comes back as a
  :class:`~arrosto.errors.RetryableError` with ``retry_after`` for :class:`WaitPolicy` to judge.
  Hosts someone else chose (a WooCommerce store, a Mastodon instance) go through
  :func:`arrosto.outbound.session`, the SSRF guard.
* What can go wrong with a request is mapped in two functions: :func:`transport_error` for
  timeouts, refused connections, broken-off answers and internal addresses,
  :func:`error_for_response` for HTTP statuses (:func:`arrosto.errors.error_for_status`,
  ``Retry-After`` read by :func:`arrosto.errors.retry_after`).
* :class:`WaitPolicy` is the one rule for waiting out a rate limit: sleep (injected, so tests wait
  for nothing) through a wait no longer than ``max_wait``, a limited number of times a call;
  anything longer goes up as RetryableError for the job to come back later. No connector calls
  ``time.sleep``.
"""
from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from . import outbound
from .errors import (
    ArrostoError,
    FatalPlatformError,
    PlatformError,
    RetryableError,
    error_for_status,
    retry_after,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_TIMEOUT = outbound.DEFAULT_TIMEOUT
RETRIED_STATUSES = (500, 502, 503, 504)


def retry(total: int = 2, *, methods: frozenset[str] | None = None,
          backoff: float = 0.5) -> Retry:
    """urllib3's retries for one adapter: connection and read errors and 5xx, with backoff;
    429 and ``Retry-After`` are left to :class:`WaitPolicy`."""
    return Retry(total=total, connect=total, read=total, status=total, other=0,
                 backoff_factor=backoff,
                 status_forcelist=RETRIED_STATUSES,
                 allowed_methods=methods if methods is not None else Retry.DEFAULT_ALLOWED_METHODS,
                 respect_retry_after_header=False, raise_on_status=False)


def session(*, guarded: bool = True, retries: Retry | int = 2) -> requests.Session:
    """A connector's one session. ``guarded`` (the default) sends through the SSRF guard; only
    a fixed vendor host (``api.x.com``) may do without."""
    policy = retries if isinstance(retries, Retry) else retry(retries)
    if guarded:
        return outbound.session(retries=policy)
    s = requests.Session()
    adapter = HTTPAdapter(max_retries=policy)
    s.mount("https://", adapter)
    s.mount("http://", adapter)
    return s


def error_for_response(response: Any, message: str, *, platform: str) -> PlatformError:
    """The error for an HTTP answer that is not a success (a requests or an httpx response)."""
    return error_for_status(response.status_code, message, platform=platform,
                            retry_after=retry_after(response.headers))


_TIMEOUTS = (requests.Timeout, httpx.TimeoutException, socket.timeout, TimeoutError)
# a connection that failed, or an answer that broke off mid-way: both pass
_UNREACHABLE = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError, httpx.TransportError, ConnectionError)


def transport_error(exc: BaseException, *, platform: str, what: str) -> ArrostoError:
    """Our error for a request that got no answer. The message names the operation and the
    kind of failure, never the URL (it may carry a key)."""
    refused = outbound.found_refusal(exc)
    if refused is not None:
        return outbound.InternalAddress(f"{platform} {what}: {refused}", host=refused.host)
    if isinstance(exc, requests.exceptions.SSLError):  # a ConnectionError, but not passing
        return FatalPlatformError(f"{platform} {what}: the HTTPS certificate was refused",
                                  platform=platform)
    if isinstance(exc, _TIMEOUTS):
        return RetryableError(f"{platform} {what}: timed out", platform=platform)
    if isinstance(exc, _UNREACHABLE) or (  # a socket error from another stack
            isinstance(exc, OSError) and not isinstance(exc, requests.RequestException)):
        return RetryableError(f"{platform} {what}: cannot be reached ({type(exc).__name__})",
                              platform=platform)
    return FatalPlatformError(f"{platform} {what}: {type(exc).__name__}", platform=platform)


@dataclass
class WaitPolicy:
    """How long a connector may wait out a rate limit before handing it to the job layer."""

    sleep: Callable[[float], None] = time.sleep
    max_wait: float = 900.0  # a longer wait is not slept: the job comes back later
    max_waits: int = 1  # waits within one call

    @classmethod
    def sleeping_with(cls, sleep: Callable[[float], None] | None, **limits: Any) -> WaitPolicy:
        """A policy with these limits that sleeps with ``sleep`` (tests give theirs), else with
        the policy's own."""
        return cls(**limits) if sleep is None else cls(sleep=sleep, **limits)

    def pause(self, seconds: float, error: RetryableError) -> None:
        """Sleep ``seconds`` if that is short enough, else raise ``error`` (a wait known before
        asking, e.g. Shopify's cost bucket)."""
        if seconds > self.max_wait:
            raise error
        log.info("%s: rate limited, waiting %.1f s", error.platform or "connector", seconds)
        self.sleep(seconds)

    def wait_or_raise(self, error: RetryableError, waited: int, *,
                      limit: int | None = None) -> None:
        """Wait out a rate limit (429 with a known ``retry_after``) when this call has waited
        fewer than ``limit`` (default ``max_waits``) times; anything else is raised: 5xx and
        timeouts were already retried by the session's adapter."""
        if (error.status != 429 or error.retry_after is None
                or waited >= (self.max_waits if limit is None else limit)):
            raise error
        self.pause(error.retry_after, error)

    def run(self, call: Callable[[], T]) -> T:
        """``call()``, again after each rate limit this policy waits out."""
        waited = 0
        while True:
            try:
                return call()
            except RetryableError as exc:
                self.wait_or_raise(exc, waited)
                waited += 1
