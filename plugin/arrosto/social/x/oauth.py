"""Connecting an X account: OAuth 2.0 user context (Authorization Code Flow with PKCE).

Following fundamentals/authentication/oauth-2-0/user-access-token
and authorization-code: authorize on x.com, tokens from api.x.com/2/oauth2/token (HTTP Basic with
the app's client id and secret: Arrosto is a confidential client). Access tokens last two hours;
``offline.access`` brings a refresh token, which rotates: each refresh answers a new one and the
used one stops working.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
import tweepy
from oauthlib.oauth2 import OAuth2Error
from requests_oauthlib import OAuth2Session

from ...errors import AuthError, FatalPlatformError
from ...http import error_for_response, transport_error
from ..base import oauth_refusal
from .answers import TIMEOUT, TimeoutAdapter

AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
TOKEN_URL = "https://api.x.com/2/oauth2/token"
USER_SCOPES = ("tweet.read", "tweet.write", "users.read", "follows.write", "offline.access",
               "dm.write", "dm.read")


@dataclass(frozen=True)
class UserTokens:
    """What X's token endpoint answered; the tokens never appear in ``repr``."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: dt.datetime | None = None
    scope: str | None = None

    @classmethod
    def from_answer(cls, answer: dict[str, Any], now: dt.datetime,
                    previous_refresh: str | None = None) -> UserTokens:
        expires_in = answer.get("expires_in")
        return cls(access_token=str(answer["access_token"]),
                   refresh_token=str(answer.get("refresh_token") or previous_refresh or "")
                   or None,
                   expires_at=now + dt.timedelta(seconds=int(expires_in))
                   if expires_in not in (None, "") else None,
                   scope=answer.get("scope") if isinstance(answer.get("scope"), str) else
                   " ".join(answer.get("scope") or []) or None)

    def credentials(self) -> dict[str, str]:
        """The account's ``credentials`` JSON (read by :class:`XNetwork` as an OAuth 2.0 user
        token; ``refresh_token`` and ``expires_at`` by the refresh)."""
        values = {"access_token": self.access_token, "refresh_token": self.refresh_token,
                  "expires_at": self.expires_at.isoformat() if self.expires_at else None,
                  "scope": self.scope}
        return {key: value for key, value in values.items() if value}


class XUserAuth(tweepy.OAuth2UserHandler):
    """tweepy's Authorization Code Flow with PKCE (an ``OAuth2Session``), for a web app that
    keeps the flow's state and PKCE verifier server-side between the redirect and the callback:
    tweepy 4.x makes both itself, keeps them on the handler object, and names twitter.com's
    hosts; it has no refresh grant. Every answer of the token endpoint is checked here, so a
    refusal is an :class:`AuthError` and an outage a :class:`RetryableError`."""

    def __init__(self, client_id: str, client_secret: str | None, redirect_uri: str | None = None,
                 *, scopes: tuple[str, ...] | None = USER_SCOPES):
        super().__init__(client_id=client_id, redirect_uri=redirect_uri,
                         scope=list(scopes) if scopes else None, client_secret=client_secret)
        self.mount("https://", TimeoutAdapter())
        self.register_compliance_hook("access_token_response", self._checked("code exchange"))
        self.register_compliance_hook("refresh_token_response", self._checked("token refresh"))

    def __repr__(self) -> str:  # never the client secret
        return f"<XUserAuth {self.client_id}>"

    def authorization_url_for(self, state: str, code_verifier: str) -> str:
        """Where to send the owner: X's consent page for these scopes, with an S256 challenge
        of ``code_verifier`` (43 to 128 characters the caller keeps for :meth:`exchange`)."""
        challenge = self._client.create_code_challenge(code_verifier, "S256")
        url, _state = self.authorization_url(AUTHORIZE_URL, state=state,
                                             code_challenge=challenge,
                                             code_challenge_method="S256")
        return url

    def exchange(self, code: str, code_verifier: str, *, now: dt.datetime | None = None
                 ) -> UserTokens:
        """The callback's ``code`` for the account's tokens (the caller checked ``state``)."""
        try:
            # OAuth2Session's own fetch_token: tweepy's takes only the callback URL, whose
            # state it compares with the one it made itself
            answer = OAuth2Session.fetch_token(
                self, TOKEN_URL, code=code, code_verifier=code_verifier, auth=self.auth,
                include_client_id=True, timeout=TIMEOUT)
        except Warning as changed:  # oauthlib: X granted other scopes than asked; keep them
            answer = getattr(changed, "token", None)
            if answer is None:
                raise
        except requests.RequestException as exc:
            raise transport_error(exc, platform="x", what="code exchange") from exc
        except OAuth2Error as exc:
            raise FatalPlatformError(f"x code exchange: unexpected answer ({exc.error})",
                                     platform="x") from exc
        return UserTokens.from_answer(dict(answer), now or _utcnow())

    def refresh(self, refresh_token: str, *, now: dt.datetime | None = None) -> UserTokens:
        """New tokens for a refresh token (which X then no longer accepts)."""
        try:
            answer = self.refresh_token(TOKEN_URL, refresh_token=refresh_token, auth=self.auth,
                                        timeout=TIMEOUT, client_id=self.client_id)
        except requests.RequestException as exc:
            raise transport_error(exc, platform="x", what="token refresh") from exc
        except OAuth2Error as exc:
            raise FatalPlatformError(f"x token refresh: unexpected answer ({exc.error})",
                                     platform="x") from exc
        return UserTokens.from_answer(dict(answer), now or _utcnow(), refresh_token)

    @staticmethod
    def _checked(what: str) -> Callable[[requests.Response], requests.Response]:
        def check(response: requests.Response) -> requests.Response:
            if response.status_code == 200:
                return response
            message = f"X refused the {what} (HTTP {response.status_code}{_oauth_reason(response)})"
            if response.status_code in (400, 401, 403):
                raise AuthError(message, status=response.status_code, platform="x")
            raise error_for_response(response, message, platform="x")
        return check


def _oauth_reason(response: requests.Response) -> str:
    """The OAuth error code and description X answered (never anything we sent)."""
    parts = oauth_refusal(response)
    return f": {' - '.join(parts)}" if parts else ""


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

