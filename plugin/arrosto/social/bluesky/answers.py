"""What Bluesky answers, as Arrosto's errors: XRPC errors (``{"error", "message"}``), rate limits
(docs.bsky.app "Rate Limits": ``ratelimit-*`` headers), and the answers that mean the stored
session is no longer accepted (the network then logs in again, once)."""
from __future__ import annotations

import httpx
from atproto_client.exceptions import (
    BadRequestError,
    LoginRequiredError,
    NetworkError,
    RateLimitExceededError,
    RequestErrorBase,
    UnauthorizedError,
)
from atproto_client.models.common import XrpcError
from atproto_core.exceptions import AtProtocolError
from atproto_server.exceptions import InvalidTokenError

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

NAME = "bluesky"
# 400 errors of an access or refresh token the server no longer accepts (re-login once)
SESSION_ERRORS = frozenset({"ExpiredToken", "InvalidToken"})


def error_for(exc: BaseException, what: str, now: float) -> ArrostoError | None:
    """Arrosto's error for what the SDK raised during ``what``; None for a refused session
    (see :func:`session_refused`) and for anything not the SDK's."""
    if isinstance(exc, RateLimitExceededError):
        return RetryableError(f"bluesky: {what} rate limited ({exc.policy or 'no policy'})",
                              status=429, platform=NAME, retry_after=_wait(exc, now))
    if session_refused(exc):
        return None
    if isinstance(exc, outbound.RefusedAddress):
        return outbound.InternalAddress(f"bluesky: {what}: {exc}")
    if isinstance(exc, AtProtocolError | httpx.TransportError):
        return _error(exc, what)
    return None


def login_error_for(exc: BaseException, handle: str, now: float) -> ArrostoError | None:
    """As :func:`error_for`, for createSession: a refusal there is the app password's."""
    if isinstance(exc, UnauthorizedError | BadRequestError):
        # 401 AuthenticationRequired (wrong app password), 400 AccountTakedown, ...
        return AuthError(f"bluesky: {handle} could not log in: {reason(exc)}",
                         status=status(exc), platform=NAME)
    return error_for(exc, "createSession", now)


def session_refused(exc: BaseException) -> bool:
    """No session, a stored token that is not a JWT, or the server refusing the session."""
    if isinstance(exc, LoginRequiredError | InvalidTokenError):
        return True
    if not isinstance(exc, RequestErrorBase) or exc.response is None:
        return False
    if exc.response.status_code == 401:
        return True
    content = exc.response.content
    return (exc.response.status_code == 400 and isinstance(content, XrpcError)
            and content.error in SESSION_ERRORS)


def status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    return response.status_code if response is not None else None


def reason(exc: BaseException) -> str:
    """The server's error name and message (never a request, so never a secret)."""
    response = getattr(exc, "response", None)
    content = response.content if response is not None else None
    if isinstance(content, XrpcError):
        return f"{content.error}: {content.message}" if content.message else content.error
    if response is not None:
        return f"HTTP {response.status_code}"
    return type(exc).__name__


def _wait(exc: RateLimitExceededError, now: float) -> float | None:
    """Seconds until ``ratelimit-reset`` (epoch seconds), else what Retry-After says."""
    headers = exc.response.headers if exc.response is not None else None
    reset = headers.get("ratelimit-reset") if headers is not None else None
    if reset is not None:
        try:
            return max(float(reset) - now, 0.0)
        except ValueError:
            pass
    return retry_after(headers)


def _error(exc: BaseException, what: str) -> PlatformError:
    response = getattr(exc, "response", None)
    if response is not None:
        return error_for_status(response.status_code, f"bluesky: {what}: {reason(exc)}",
                                platform=NAME, retry_after=retry_after(response.headers))
    if isinstance(exc, NetworkError | httpx.TransportError):
        return RetryableError(f"bluesky: {what}: {type(exc).__name__}", platform=NAME)
    return FatalPlatformError(f"bluesky: {what}: unexpected answer ({exc})", platform=NAME)
