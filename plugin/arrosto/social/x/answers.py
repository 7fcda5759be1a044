"""What X answers, as Arrosto's errors: its error bodies (fundamentals/response-codes-and-errors),
its rate limits (fundamentals/rate-limits), and the timeout every request to X gets.

* A 429 carries ``x-rate-limit-reset`` (epoch seconds; one second more, as X's clock is not
  ours), or ``Retry-After`` from a proxy; the monthly usage cap is never waited for.
* A 403 is not always about credentials: an access level without the endpoint (Free has no
  search) is :class:`NotSupported`; on a write, X refusing this post or this person (duplicate
  text, reply not allowed, DMs closed) is a ``FatalPlatformError``; only the app's permissions
  and a 403 on a read are ``AuthError``.
"""
from __future__ import annotations

from typing import Any

import requests
import tweepy
from requests.adapters import HTTPAdapter

from ...errors import (
    ArrostoError,
    AuthError,
    FatalPlatformError,
    PlatformError,
    RetryableError,
    error_for_status,
    retry_after,
)
from ...http import transport_error
from ..base import NotSupported

NAME = "x"
TIMEOUT = (10, 30)  # connect, read; tweepy sets none, and a hung socket would hold a worker

ACCESS_LEVEL_PROBLEMS = frozenset({"client-forbidden", "client-not-enrolled"})
CREDENTIAL_PROBLEMS = frozenset({"oauth1-permissions", "unsupported-authentication"})
USAGE_CAP_PROBLEMS = frozenset({"usage-capped", "UsageCapExceeded", "SpendCapReached"})
WRITES = frozenset({"reply", "publish", "direct message", "follow"})
SEARCH_NOT_SUPPORTED = "search needs X API Basic access or above"


class TimeoutAdapter(HTTPAdapter):
    """Every request gets :data:`TIMEOUT` unless it names its own."""

    def send(self, request: Any, **kwargs: Any) -> Any:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = TIMEOUT
        return super().send(request, **kwargs)


def error_for(exc: BaseException, operation: str, now: float) -> ArrostoError | None:
    """Arrosto's error for what tweepy raised during ``operation`` (None: not tweepy's)."""
    if isinstance(exc, tweepy.TooManyRequests):
        return _rate_limited(exc, operation, now)
    if isinstance(exc, tweepy.HTTPException):
        return _refused(exc, operation)
    if isinstance(exc, requests.RequestException):
        return transport_error(exc, platform=NAME, what=operation)
    return None


def _rate_limited(exc: tweepy.TooManyRequests, operation: str, now: float) -> RetryableError:
    problem = _problem(exc.response)
    if _is_usage_cap(problem):
        return RetryableError(f"x {operation}: the app's usage cap is reached "
                              f"({_detail(exc, problem)})", status=429, platform=NAME)
    wait = retry_after(exc.response.headers)
    if wait is None:
        try:
            # reset is in whole seconds and X's clock is not ours: one second more
            wait = max(0.0, float(exc.response.headers.get("x-rate-limit-reset")) - now) + 1.0
        except (TypeError, ValueError):
            return RetryableError(f"x {operation}: rate limited", status=429, platform=NAME)
    return RetryableError(f"x {operation}: rate limited for {wait:.0f} s", status=429,
                          platform=NAME, retry_after=wait)


def _refused(exc: tweepy.HTTPException, operation: str) -> PlatformError:
    status = exc.response.status_code
    problem = _problem(exc.response)
    names = _problem_names(problem)
    message = f"x {operation}: {status} {_detail(exc, problem)}".rstrip()
    if _is_usage_cap(problem):
        return RetryableError(f"x {operation}: the app's usage cap is reached "
                              f"({_detail(exc, problem)})", status=status, platform=NAME)
    if status == 403:
        if names & ACCESS_LEVEL_PROBLEMS:
            text = SEARCH_NOT_SUPPORTED if operation == "search" else \
                f"x {operation}: not available at this X API access level"
            return NotSupported(text, status=status, platform=NAME)
        if operation in WRITES and not names & CREDENTIAL_PROBLEMS:
            return FatalPlatformError(message, status=status, platform=NAME)
        return AuthError(message, status=status, platform=NAME)
    if status == 401:
        return AuthError(message, status=status, platform=NAME)
    return error_for_status(status, message, platform=NAME,
                            retry_after=retry_after(exc.response.headers))


def _problem(response: Any) -> dict[str, Any]:
    """X's error body: an RFC 7807 problem (``title``, ``detail``, ``type``, ``reason``) or
    ``{"errors": [...]}``; {} when it is not JSON."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _problem_names(problem: dict[str, Any]) -> set[str]:
    """``reason`` and the last segment of ``type``, of the body and of each of its ``errors``
    (X sends the client-forbidden problem either way)."""
    names: set[str] = set()
    errors = problem.get("errors")
    for item in [problem, *(errors if isinstance(errors, list) else [])]:
        if isinstance(item, dict):
            names.add(str(item.get("reason") or ""))
            names.add(str(item.get("type") or "").rstrip("/").rsplit("/", 1)[-1])
            names.add(str(item.get("title") or ""))
    return names - {""}


def _detail(exc: tweepy.HTTPException, problem: dict[str, Any]) -> str:
    return str(problem.get("detail") or "; ".join(map(str, exc.api_messages))
               or problem.get("title") or exc.response.reason or "")


def _is_usage_cap(problem: dict[str, Any]) -> bool:
    """The app's monthly cap or spend cap (429, lately also 403): no wait of ours ends it."""
    return bool(_problem_names(problem) & USAGE_CAP_PROBLEMS)
