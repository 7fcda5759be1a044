"""What a Mastodon instance answers, as Arrosto's errors: Mastodon.py's exceptions, HTTP
statuses through :func:`arrosto.errors.error_for_status`, and how long a rate limit lasts
(api/rate-limits: ``X-RateLimit-Reset``; ``Retry-After`` from a proxy)."""
from __future__ import annotations

import datetime as dt
import time
from typing import Any

import requests
from mastodon import (
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from ... import outbound
from ...errors import (
    ArrostoError,
    AuthError,
    FatalPlatformError,
    PlatformError,
    RetryableError,
    error_for_status,
    retry_after,
)
from ..base import oauth_refusal

NETWORK = "mastodon"
RATE_LIMIT_FALLBACK_WAIT = 60.0  # no usable reset time: Mastodon's windows are 5 minutes
RATE_LIMIT_MARGIN = 1.0  # a reset is a time on the instance's clock, not ours


def rate_limit_wait(headers: Any, reset: float | None) -> float:
    """Seconds until a rate limit lifts: a proxy's Retry-After first, then the reset time
    Mastodon.py read (``reset``, epoch seconds), then the X-RateLimit-Reset header itself."""
    seconds = retry_after(headers)
    if seconds is not None:
        return seconds
    if reset is not None:
        seconds = max(float(reset) - time.time(), 0.0)
    if seconds is None:
        seconds = _ratelimit_reset(headers)
    return RATE_LIMIT_FALLBACK_WAIT if seconds is None else seconds + RATE_LIMIT_MARGIN


def answer_error(what: str, response: requests.Response | None, *,
                  refused_is_auth: bool = False) -> PlatformError:
    """The error for an OAuth call that failed, from the HTTP answer it got (if any)."""
    if response is None:
        return RetryableError(f"mastodon {what}: no answer from the instance", platform=NETWORK)
    refusal = oauth_refusal(response)  # the description when there is one, else the code
    detail = refusal[-1] if refusal else ""
    message = f"mastodon {what}: HTTP {response.status_code}" + (f" ({detail})" if detail else "")
    if response.ok:
        return FatalPlatformError(f"mastodon {what}: unexpected answer from the instance",
                                  status=response.status_code, platform=NETWORK)
    if refused_is_auth and response.status_code in (400, 401, 403):
        return AuthError(message, status=response.status_code, platform=NETWORK)
    return error_for_status(response.status_code, message, platform=NETWORK,
                            retry_after=_answer_wait(response.headers))



def refused(what: str, exc: BaseException) -> outbound.InternalAddress | None:
    """The outbound guard's refusal, when that is what Mastodon.py wrapped."""
    found = outbound.found_refusal(exc)
    return None if found is None else outbound.InternalAddress(f"mastodon {what}: {found}")


def error_for(what: str, exc: MastodonError) -> ArrostoError:
    """Mastodon.py's exceptions → ours; HTTP statuses go through errors.error_for_status."""
    refused_by = refused(what, exc)
    if refused_by is not None:
        return refused_by
    if isinstance(exc, MastodonNetworkError):
        return RetryableError(f"mastodon {what}: network error ({type(exc).__name__})",
                              platform=NETWORK)
    if isinstance(exc, MastodonRatelimitError):
        return RetryableError(f"mastodon {what}: rate limited", status=429, platform=NETWORK)
    if isinstance(exc, MastodonAPIError):
        args = exc.args
        status = args[1] if len(args) > 1 and isinstance(args[1], int) else None
        detail = args[3] if len(args) > 3 and args[3] else None
        if status is None:
            if isinstance(exc, MastodonUnauthorizedError):
                status = 401
            elif isinstance(exc, MastodonNotFoundError):
                status = 404
            elif isinstance(exc, MastodonServerError):
                status = 500
        message = f"mastodon {what}: " + (f"HTTP {status}" if status else str(args[0]))
        if detail:
            message += f" ({detail})"
        if status is not None:
            return error_for_status(status, message, platform=NETWORK)
        return FatalPlatformError(message, platform=NETWORK)
    return FatalPlatformError(f"mastodon {what}: {type(exc).__name__}: {exc}", platform=NETWORK)




def _answer_wait(headers: Any) -> float | None:
    """Seconds to wait from an answer's headers: Retry-After, else X-RateLimit-Reset."""
    seconds = retry_after(headers)
    return seconds if seconds is not None else _ratelimit_reset(headers)


def _ratelimit_reset(headers: Any) -> float | None:
    value = headers.get("X-RateLimit-Reset")
    if value and value.isdigit():  # GoToSocial sends a Unix time
        return max(int(value) - time.time(), 0.0)
    if value:
        try:
            when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)
            return max((when - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)
        except ValueError:
            pass
    return None

