"""Arrosto's one error hierarchy: every part raises these, the web and CLI layers map them."""
from __future__ import annotations

import datetime as dt
import email.utils
import math
from typing import Any


class ArrostoError(Exception):
    """Base class of every error Arrosto raises on purpose."""


class ConfigError(ArrostoError):
    """A setting is missing or wrong; the message names the variable and what is wrong."""


class ServiceUnavailable(ArrostoError):
    """A service Arrosto needs (database, Redis) cannot be reached."""


class InvalidSignature(ArrostoError):
    """A webhook, OAuth callback or session token failed verification."""


class UnscopedQuery(ArrostoError):
    """Shop data was queried without saying which shop it belongs to."""


class PlatformError(ArrostoError):
    """A shop platform or social network answered with an error."""

    def __init__(self, message: str, *, status: int | None = None, platform: str | None = None):
        super().__init__(message)
        self.status = status
        self.platform = platform


class RetryableError(PlatformError):
    """Try again later: rate limits (429), server errors (5xx), timeouts."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class FatalPlatformError(PlatformError):
    """Retrying will not help (4xx other than 429)."""


class AuthError(FatalPlatformError):
    """The credentials were refused: the owner must reconnect the account."""


def error_for_status(status: int, message: str, *, platform: str | None = None,
                     retry_after: float | None = None) -> PlatformError:
    """Map an HTTP status to the right error, in one place for every connector."""
    if status == 429 or status >= 500 or status == 408:
        return RetryableError(message, status=status, platform=platform, retry_after=retry_after)
    if status in (401, 403):
        return AuthError(message, status=status, platform=platform)
    return FatalPlatformError(message, status=status, platform=platform)


def retry_after(headers: Any, *, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from an answer's ``Retry-After`` (RFC 9110 §10.2.3): delta-seconds
    (``"7"``) or an HTTP-date (``"Wed, 21 Oct 2026 07:28:00 GMT"``), counted from ``now``.
    Never negative; None when the header is absent or unreadable. ``headers`` is anything with
    ``get`` (requests', httpx's, urllib's, werkzeug's headers, a plain dict in any case) or None.
    """
    value = _header(headers, "Retry-After")
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" in the date: UTC with no source zone
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def _header(headers: Any, name: str) -> str | None:
    if headers is None:
        return None
    value = headers.get(name)
    if value is None and isinstance(headers, dict):  # a plain dict is not case-insensitive
        lowered = name.lower()
        value = next((v for k, v in headers.items() if str(k).lower() == lowered), None)
    return None if value is None else str(value)
