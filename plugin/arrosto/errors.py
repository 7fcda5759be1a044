"""Arrosto's one error hierarchy: every part raises these, the web and CLI layers map them."""
from __future__ import annotations


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
