"""The shop's social accounts: connecting them (the admin and the CLI call the same functions),
keeping X's expiring user tokens fresh, and building the network object for a stored account.
No web code here.

Credentials are stored encrypted (``SocialAccount.credentials``, JSON); nothing here logs them.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ..db import Database
from ..errors import AuthError, ConfigError
from ..models import Shop, SocialAccount, utcnow
from . import network_class
from .base import SocialNetwork, read_credentials

if TYPE_CHECKING:
    from .x import XUserAuth

log = logging.getLogger(__name__)

# refresh an X user token this long before it expires: a listening run or a send started just
# before the end of its two hours must not fail halfway
X_REFRESH_MARGIN = dt.timedelta(minutes=5)
# someone is waiting on a page or a prompt while an account is connected: a rate limit longer
# than this is reported ("try again later"), not slept through
CONNECT_MAX_WAIT = 5.0


def credentials_json(values: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in values.items() if v})


def save_account(db: Database, shop_id: int, network: str, handle: str,
                 credentials: dict[str, Any], **fields: Any) -> int:
    """Store (or reconnect) one of the shop's accounts with new credentials: active again, its
    last problem and what the old credentials could not do (``capabilities``) forgotten, its
    handle added to the shop's handles (the listening brand terms). Returns the account's id."""
    handle = handle.strip().lstrip("@")
    if not handle:
        raise ConfigError(f"{network} account: no handle")
    with db.transaction(shop_id) as s:
        account = s.scalar(select(SocialAccount).where(SocialAccount.network == network,
                                                       SocialAccount.handle == handle))
        if account is None:
            account = SocialAccount(network=network, handle=handle)
            s.add(account)
        account.credentials = credentials_json(credentials)
        account.active, account.last_error, account.capabilities = True, None, {}
        for key, value in fields.items():
            setattr(account, key, value)
        s.flush()
        shop = s.get(Shop, shop_id)
        handles = dict((shop.settings or {}).get("handles", {}))
        handles.setdefault(network, handle)
        shop.settings = {**(shop.settings or {}), "handles": handles}
        account_id = account.id
    log.info("shop %d: %s account %d connected", shop_id, network, account_id)
    return account_id


# --- connecting, one network at a time ------------------------------------------------------------

def connect_x(db: Database, shop_id: int, tokens: Any, **options: Any) -> tuple[int, str]:
    """Store the account whose OAuth 2.0 user tokens (:class:`arrosto.social.x.UserTokens`) the
    owner just granted: who it is comes from ``GET /2/users/me``. Returns (id, handle)."""
    from .x import XNetwork

    probe = SocialAccount(network="x", handle="", credentials=credentials_json(
        tokens.credentials()))
    XNetwork(probe, **{"max_wait": CONNECT_MAX_WAIT, **options}).shop_user_id()
    account_id = save_account(db, shop_id, "x", probe.handle, tokens.credentials(),
                              external_id=probe.external_id, display_name=probe.display_name)
    return account_id, probe.handle


def connect_bluesky(db: Database, shop_id: int, handle: str, app_password: str,
                    **options: Any) -> tuple[int, str]:
    """Log in with the app password (atproto ``Client.login``) and store the account with the
    session it made, so the first run does not log in again (logins are rate limited).
    A refused password is an :class:`AuthError`. Returns (id, handle as Bluesky spells it)."""
    from .bluesky import BlueskyNetwork

    handle = handle.strip().lstrip("@")
    credentials = {"handle": handle, "app_password": app_password}
    probe = SocialAccount(network="bluesky", handle=handle,
                          credentials=credentials_json(credentials))
    handle = BlueskyNetwork(probe, **{"max_wait": CONNECT_MAX_WAIT, **options}).log_in()
    account_id = save_account(db, shop_id, "bluesky", handle, credentials,
                              session_string=probe.session_string,
                              external_id=probe.external_id)
    return account_id, handle


def connect_mastodon(db: Database, shop_id: int, instance_url: str,
                     credentials: dict[str, Any], **options: Any) -> tuple[int, str]:
    """Store the Mastodon account an access token belongs to (``verify_credentials``), with
    the app registered on its instance (``client_id``, ``client_secret``) when there is one.
    Returns (id, ``user@instance``)."""
    from .mastodon import MastodonNetwork, normalize_instance_url

    instance = normalize_instance_url(instance_url)
    probe = SocialAccount(network="mastodon", handle="", instance_url=instance,
                          credentials=credentials_json(credentials))
    handle = MastodonNetwork(probe, **{"max_wait": CONNECT_MAX_WAIT, **options}).verify_account()
    account_id = save_account(db, shop_id, "mastodon", handle, credentials,
                              instance_url=instance, external_id=probe.external_id,
                              display_name=probe.display_name)
    return account_id, handle


# --- the network object of a stored account -------------------------------------------------------

def network_for(db: Database, settings: Any, account: SocialAccount, **options: Any
                ) -> SocialNetwork:
    """The network bound to a stored account. An X account connected from the admin has a
    two-hour user token: it is refreshed first when it expires soon (``account.credentials``
    then holds the new one)."""
    if account.network == "x":
        account.credentials = fresh_x_credentials(db, settings, account)
    return network_class(account.network)(account, **options)


def fresh_x_credentials(db: Database, settings: Any, account: SocialAccount,
                        now: dt.datetime | None = None) -> str | None:
    """The X account's credentials JSON, its OAuth 2.0 user token refreshed when it expires
    within ``X_REFRESH_MARGIN`` (credentials without ``refresh_token`` and ``expires_at``, from
    the CLI, are returned as they are).

    X's refresh token rotates: the one used stops working, so two refreshes at once would lose
    the account. One happens, as for Shopify's tokens (:func:`arrosto.shops.shopify.
    refresh_access_token`): the refresher holds the account's row (``SELECT … FOR UPDATE`` on
    PostgreSQL, the write lock of ``BEGIN IMMEDIATE`` on SQLite) while it asks X, and whoever
    waited reads the new token instead of refreshing again. A refusal pauses the account with a
    problem the admin shows, drops the dead refresh token (no second attempt) and raises
    :class:`AuthError`; an outage raises :class:`RetryableError` and changes nothing.
    """
    now = now or utcnow()
    with db.transaction(account.shop_id) as s:
        stored = s.scalar(select(SocialAccount.credentials)
                          .where(SocialAccount.id == account.id))
    if _usable(stored, now):
        return stored
    refused: AuthError | None = None
    with db.transaction(account.shop_id) as s:
        row = _locked_account(s, account.id)
        if _usable(row.credentials, now):  # refreshed by another worker while we waited
            return row.credentials
        creds = read_credentials(row, f"x account @{row.handle}")
        if not creds.get("refresh_token"):
            refused = AuthError(f"x account @{row.handle}: the access token expired and there "
                                "is no refresh token", platform="x")
        else:
            try:
                tokens = x_user_auth(settings).refresh(creds["refresh_token"], now=now)
            except AuthError as exc:
                refused = exc
            else:
                row.credentials = credentials_json({**creds, **tokens.credentials()})
                log.info("x account %d: user token refreshed", row.id)
                return row.credentials
        message = (f"X no longer accepts Arrosto's access to @{row.handle}: connect the "
                   f"account again from the Accounts page. ({refused})")[:1000]
        creds.pop("refresh_token", None)
        row.credentials = credentials_json(creds)
        row.active, row.last_error, row.last_error_at = False, message, now
    log.warning("x account %d paused: %s", account.id, refused)
    raise AuthError(message, status=refused.status, platform="x") from refused


def x_user_auth(settings: Any, redirect_uri: str | None = None, *,
                scopes: tuple[str, ...] | None = None) -> XUserAuth:
    """The X app's OAuth 2.0 client (``ARROSTO_X_CLIENT_ID`` and ``_SECRET``): with the
    admin's callback address and the scopes Arrosto asks for to connect an account, or with
    neither to refresh a token."""
    from .x import USER_SCOPES, XUserAuth

    if not settings.x_client_id:
        raise ConfigError("ARROSTO_X_CLIENT_ID is missing: set it to the X app's OAuth 2.0 "
                          "Client ID (developer portal, Keys and tokens)")
    secret = settings.x_client_secret.get_secret_value() if settings.x_client_secret else None
    if redirect_uri is not None and scopes is None:
        scopes = USER_SCOPES
    return XUserAuth(settings.x_client_id, secret, redirect_uri, scopes=scopes)


def _usable(credentials: str | None, now: dt.datetime) -> bool:
    """Whether stored X credentials can be used as they are: no expiry known (an app bearer
    token, OAuth 1.0a keys, a token given to the CLI), or not expiring within the margin."""
    try:
        creds = json.loads(credentials or "{}")
    except ValueError:
        return True  # XNetwork reports it
    expires = creds.get("expires_at") if isinstance(creds, dict) else None
    if not expires:
        return True
    try:
        expires_at = dt.datetime.fromisoformat(expires)
    except (TypeError, ValueError):
        return False
    return expires_at - now > X_REFRESH_MARGIN


def _locked_account(s, account_id: int) -> SocialAccount:
    if s.get_bind().dialect.name == "sqlite":
        s.connection().exec_driver_sql("BEGIN IMMEDIATE")
    row = s.scalar(select(SocialAccount).where(SocialAccount.id == account_id)
                   .with_for_update().execution_options(populate_existing=True))
    if row is None:
        raise AuthError(f"social account {account_id} does not exist", platform="x")
    return row
