"""Connecting a Mastodon account: Arrosto's app registered on the owner's instance
(methods/apps) and the OAuth code flow there (methods/oauth); every instance is its own OAuth
provider, so each gets its own app."""
from __future__ import annotations

from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonError,
    MastodonIllegalArgumentError,
    MastodonNetworkError,
)

from ...errors import AuthError, FatalPlatformError, RetryableError
from .answers import NETWORK, answer_error, error_for, refused
from .instance import DEFAULT_TIMEOUT, USER_AGENT, Transport, client, normalize_instance_url

SCOPES = ["read", "write", "follow"]


def register_app(instance_url: str, redirect_uri: str, app_name: str = "Arrosto", *,
                 website: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> tuple[str, str]:
    """Register Arrosto on one instance (``POST /api/v1/apps``); returns (client_id,
    client_secret), to keep per instance."""
    base = normalize_instance_url(instance_url)
    transport = Transport()
    try:
        client_id, client_secret = Mastodon.create_app(
            app_name, scopes=SCOPES, redirect_uris=redirect_uri, website=website,
            api_base_url=base, request_timeout=timeout, session=transport.session,
            user_agent=USER_AGENT)
    except (MastodonError, KeyError, TypeError) as exc:
        refusal = refused("app registration", exc)
        if refusal is not None:
            raise refusal from None
        raise answer_error("app registration", transport.last) from exc
    if transport.last is not None and not transport.last.ok:
        raise answer_error("app registration", transport.last)
    return str(client_id), str(client_secret)


def authorization_url(instance_url: str, client_id: str, client_secret: str, redirect_uri: str,
                      state: str, *, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Where to send the owner to grant access: the instance's authorization endpoint (from its
    ``/.well-known/oauth-authorization-server`` when published, else ``/oauth/authorize``)."""
    base = normalize_instance_url(instance_url)
    transport = Transport()
    api = client(base, transport, timeout, client_id=client_id, client_secret=client_secret)
    try:
        return api.auth_request_url(redirect_uris=redirect_uri, scopes=SCOPES, state=state,
                                       allow_http=base.startswith("http://"))
    except MastodonError as exc:
        raise error_for("authorization URL", exc) from exc


def exchange_code(instance_url: str, client_id: str, client_secret: str, code: str,
                  redirect_uri: str, *, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Trade the code of the OAuth callback for the account's access token."""
    base = normalize_instance_url(instance_url)
    transport = Transport()
    api = client(base, transport, timeout, client_id=client_id, client_secret=client_secret)
    try:
        return str(api.log_in(code=code, redirect_uri=redirect_uri, scopes=SCOPES,
                                 allow_http=base.startswith("http://")))
    except MastodonIllegalArgumentError as exc:
        # log_in wraps every failure of the token request; its answer tells which it was
        refusal = refused("code exchange", exc)
        if refusal is not None:
            raise refusal from None
        token_answer = transport.last
        if token_answer is not None and token_answer.request.method == "POST":
            raise answer_error("code exchange", token_answer, refused_is_auth=True) from exc
        if isinstance(exc.__context__, MastodonNetworkError):
            raise RetryableError("mastodon code exchange: no answer from the instance",
                                 platform=NETWORK) from exc
        raise FatalPlatformError(f"mastodon code exchange: {exc}", platform=NETWORK) from exc
    except MastodonAPIError as exc:  # granted fewer scopes than asked
        raise AuthError(f"mastodon code exchange: {exc.args[0]}", platform=NETWORK) from exc
    except MastodonError as exc:
        raise error_for("code exchange", exc) from exc

