"""Shopify's OAuth: shop domains, signed install requests, App Bridge session tokens, and the
offline access tokens (exchange, expiry and their once-only refresh).

Follows these shopify.dev pages:

- Token exchange (embedded apps):
  https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/token-exchange
- Expiring offline tokens and their refresh:
  https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/offline-access-tokens
- Authorization code grant:
  https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant
- Session tokens: https://shopify.dev/docs/apps/build/authentication-authorization/session-tokens

The query HMAC escapes keys and values as ShopifyAPI's ``Session.calculate_hmac`` does (the tests
compare the two); ShopifyAPI itself is not used at run time: its session is class-global state.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import jwt
import requests
from sqlalchemy import select
from urllib3.util.retry import Retry

from .. import http
from ..errors import AuthError, ConfigError, FatalPlatformError, InvalidSignature
from ..models import Shop, utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..db import Database
    from ..settings import Settings

log = logging.getLogger(__name__)

PLATFORM = "shopify"
REFRESH_MARGIN = dt.timedelta(minutes=5)  # refresh expiring tokens this long before they expire
TOKEN_TIMEOUT = (5.0, 15.0)
SESSION_TOKEN_LEEWAY = 10  # seconds; App Bridge's clock and ours differ a little
OAUTH_MAX_AGE = dt.timedelta(minutes=10)
OAUTH_MAX_SKEW = dt.timedelta(minutes=1)

TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
OFFLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token"

# 5xx and dropped connections are retried by urllib3 (the first retry at once, then backing off);
# a refresh retried after a lost answer is safe: Shopify keeps the used refresh token valid until
# its replacement is first used. Retry-After is not slept on here (one wait rule: arrosto.http).
TOKEN_RETRY = Retry(total=2, connect=2, read=1, status=2, backoff_factor=0.5,
                    status_forcelist=(500, 502, 503, 504), allowed_methods=frozenset({"POST"}),
                    raise_on_status=False, respect_retry_after_header=False)

_SHOP_DOMAIN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com")


# --- OAuth: shop domains, query HMAC, install URL ------------------------------------------------

def valid_shop_domain(host: Any) -> bool:
    """``name.myshopify.com`` and nothing else (no scheme, port, path or trailing host)."""
    return isinstance(host, str) and _SHOP_DOMAIN.fullmatch(host) is not None


def _query_message(args: Mapping[str, Any]) -> str:
    """Shopify's signed string: params but hmac/signature, sorted, ``k=v`` joined by ``&``
    (delimiters inside keys and values escaped as ShopifyAPI does)."""
    pairs = []
    for key, value in args.items():
        if key in ("hmac", "signature"):
            continue
        if key.endswith("[]"):
            key = key[:-2]
            value = json.dumps([str(v) for v in (value if isinstance(value, list) else [value])])
        k = str(key).replace("%", "%25").replace("=", "%3D")
        v = str(value).replace("%", "%25")
        pairs.append(f"{k}={v}".replace("&", "%26"))
    return "&".join(sorted(pairs))


def query_hmac(args: Mapping[str, Any], secret: str) -> str:
    return hmac.new(secret.encode(), _query_message(args).encode(), hashlib.sha256).hexdigest()


def verify_query_hmac(args: Mapping[str, Any], secrets: Iterable[str]) -> bool:
    """True when ``hmac`` is the hex HMAC-SHA256 of the other params with any app secret."""
    given = args.get("hmac")
    if not isinstance(given, str) or not given:
        return False
    given_bytes = given.lower().encode("utf-8", "replace")
    return any(hmac.compare_digest(query_hmac(args, s).encode(), given_bytes)
               for s in secrets if s)


def timestamp_is_recent(ts: Any, now: dt.datetime | None = None,
                        max_age: dt.timedelta = OAUTH_MAX_AGE) -> bool:
    """A signed request's ``timestamp`` (Unix seconds) is no older than ``max_age`` and not from
    the future (beyond a minute of clock skew)."""
    try:
        moment = dt.datetime.fromtimestamp(int(str(ts)), dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return False
    now = now or utcnow()
    return now - max_age <= moment <= now + OAUTH_MAX_SKEW


def authorize_url(shop: str, settings: Settings, redirect_uri: str, state: str) -> str:
    """Where to send the merchant to approve the app (an offline token: no grant_options[])."""
    if not valid_shop_domain(shop):
        raise InvalidSignature(f"{shop!r} is not a myshopify.com shop domain")
    api_key, _ = _client_credentials(settings)
    query = urlencode({"client_id": api_key, "scope": settings.shopify_scopes,
                       "redirect_uri": redirect_uri, "state": state})
    return f"https://{shop}/admin/oauth/authorize?{query}"


# --- session tokens (embedded admin) ------------------------------------------------------------

@dataclass(frozen=True)
class SessionClaims:
    """What a verified App Bridge session token says."""

    shop_domain: str
    user_id: str
    session_id: str | None
    token_id: str | None
    expires_at: dt.datetime


def verify_session_token(token: str, settings: Settings,
                         now: dt.datetime | None = None) -> SessionClaims:
    """Check an App Bridge session token: HS256 with an app secret (the old one too during a
    rotation), our API key as audience, exp/nbf with 10 s leeway, iss and dest on the same shop."""
    api_key, _ = _client_credentials(settings)
    claims = None
    for secret in settings.shopify_secrets():
        try:
            claims = jwt.decode(
                token, secret, algorithms=["HS256"], audience=api_key,
                options={"require": ["exp", "nbf", "iss", "dest", "aud", "sub"],
                         "verify_exp": False, "verify_nbf": False, "verify_iat": False})
            break
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError as exc:
            raise InvalidSignature(f"session token refused: {exc}") from None
    if claims is None:
        raise InvalidSignature("session token refused: not signed with an app secret")
    moment = (now or utcnow()).timestamp()
    exp, nbf = _numeric_date(claims, "exp"), _numeric_date(claims, "nbf")
    if moment > exp + SESSION_TOKEN_LEEWAY:
        raise InvalidSignature("session token refused: it has expired")
    if moment < nbf - SESSION_TOKEN_LEEWAY:
        raise InvalidSignature("session token refused: it is not valid yet")
    iss_host = _token_host(claims, "iss", "/admin")
    dest_host = _token_host(claims, "dest", "")
    if iss_host != dest_host:
        raise InvalidSignature("session token refused: iss and dest name different shops")
    if not valid_shop_domain(dest_host):
        raise InvalidSignature("session token refused: dest is not a myshopify.com shop")
    return SessionClaims(shop_domain=dest_host.lower(), user_id=_text_claim(claims, "sub"),
                         session_id=_text_claim(claims, "sid", required=False),
                         token_id=_text_claim(claims, "jti", required=False),
                         expires_at=dt.datetime.fromtimestamp(exp, dt.UTC))


#: the latest NumericDate a datetime can hold (9999-12-31T23:59:59Z)
_LAST_NUMERIC_DATE = 253402300799


def _numeric_date(claims: Mapping[str, Any], name: str) -> float:
    """A NumericDate claim (RFC 7519: a JSON number of seconds): a finite number a datetime
    can hold. Strings, booleans, lists, NaN, Infinity (``1e309`` parses as one) and integers
    too large for a float are refused, never passed on to date arithmetic."""
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or \
            not 0 <= value <= _LAST_NUMERIC_DATE:  # NaN fails this comparison too
        raise InvalidSignature(f"session token refused: {name} is not a time")
    return float(value)


def _text_claim(claims: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > 255:
        raise InvalidSignature(f"session token refused: {name} is not a string")
    return value


def _token_host(claims: Mapping[str, Any], name: str, path: str) -> str:
    url = claims[name]
    if not isinstance(url, str) or len(url) > 300:
        raise InvalidSignature(f"session token refused: {name} is not a URL")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:  # an unbalanced [ in the host
        raise InvalidSignature(f"session token refused: {name} is not a URL") from None
    if parts.scheme != "https" or parts.netloc.lower() != host or parts.path.rstrip("/") != path:
        raise InvalidSignature(f"session token refused: {url!r} is not https://SHOP{path}")
    return host


# --- access tokens ----------------------------------------------------------------------------

@dataclass(frozen=True)
class TokenSet:
    """What Shopify's token endpoint answers. The tokens never appear in ``repr``."""

    access_token: str = field(repr=False)
    scope: str | None = None
    expires_at: dt.datetime | None = None
    refresh_token: str | None = field(default=None, repr=False)
    refresh_token_expires_at: dt.datetime | None = None


def _client_credentials(settings: Settings) -> tuple[str, str]:
    secrets = settings.shopify_secrets()
    if not settings.shopify_api_key:
        raise ConfigError("ARROSTO_SHOPIFY_API_KEY is missing: set it to the app's Client ID")
    if not secrets:
        raise ConfigError("ARROSTO_SHOPIFY_API_SECRET is missing: set it to the app's "
                          "Client secret")
    return settings.shopify_api_key, secrets[0]


def token_session() -> requests.Session:
    """A session for token requests: the host is a checked *.myshopify.com name; the SSRF guard
    costs nothing and keeps one rule. A connector mounts the same retries on its own session."""
    return http.session(retries=TOKEN_RETRY)


def _token_request(shop_domain: str, body: dict[str, str], now: dt.datetime | None,
                   what: str, session: requests.Session | None = None) -> TokenSet:
    if not valid_shop_domain(shop_domain):
        raise InvalidSignature(f"{shop_domain!r} is not a myshopify.com shop domain")
    url = f"https://{shop_domain}/admin/oauth/access_token"
    try:
        if session is not None:
            response = session.post(url, json=body, headers={"Accept": "application/json"},
                                    timeout=TOKEN_TIMEOUT)
        else:
            with token_session() as one_off:
                response = one_off.post(url, json=body, headers={"Accept": "application/json"},
                                        timeout=TOKEN_TIMEOUT)
    except requests.RequestException as exc:
        raise http.transport_error(exc, platform=PLATFORM,
                                   what=f"token endpoint for {shop_domain}") from None
    status = response.status_code
    if status != 200:
        reason = _oauth_reason(response)
        message = f"Shopify refused the {what} for {shop_domain} (HTTP {status}{reason})"
        if 400 <= status < 500 and status not in (408, 429):
            raise AuthError(message, status=status, platform=PLATFORM)
        raise http.error_for_response(response, message, platform=PLATFORM)
    try:
        data = response.json()
        access_token = data["access_token"]
    except (ValueError, KeyError, TypeError):
        raise FatalPlatformError(f"Shopify's {what} answer for {shop_domain} has no access "
                                 "token", platform=PLATFORM) from None
    now = now or utcnow()
    return TokenSet(
        access_token=access_token, scope=data.get("scope"),
        expires_at=now + dt.timedelta(seconds=int(data["expires_in"]))
        if data.get("expires_in") else None,
        refresh_token=data.get("refresh_token"),
        refresh_token_expires_at=now + dt.timedelta(seconds=int(data["refresh_token_expires_in"]))
        if data.get("refresh_token_expires_in") else None)


def _oauth_reason(response: requests.Response) -> str:
    """The OAuth error code and description (never anything we sent)."""
    try:
        data = response.json()
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    parts = [str(data[k])[:200] for k in ("error", "error_description", "errors") if data.get(k)]
    return f": {' - '.join(parts)}" if parts else ""


def exchange_session_token(shop_domain: str, session_token: str, settings: Settings,
                           expiring: bool = True, now: dt.datetime | None = None) -> TokenSet:
    """Token exchange: an App Bridge session token (verify it first) for an offline token."""
    api_key, secret = _client_credentials(settings)
    return _token_request(shop_domain, {
        "client_id": api_key, "client_secret": secret, "grant_type": TOKEN_EXCHANGE_GRANT,
        "subject_token": session_token, "subject_token_type": ID_TOKEN_TYPE,
        "requested_token_type": OFFLINE_TOKEN_TYPE, "expiring": "1" if expiring else "0",
    }, now, "token exchange")


def exchange_code(shop_domain: str, code: str, settings: Settings,
                  now: dt.datetime | None = None) -> TokenSet:
    """Authorization code grant: the ``code`` of a verified OAuth callback for an offline token."""
    api_key, secret = _client_credentials(settings)
    body = {"client_id": api_key, "client_secret": secret, "code": code}
    if settings.shopify_expiring_tokens:
        body["expiring"] = "1"
    return _token_request(shop_domain, body, now, "authorization code")


def store_tokens(shop: Shop, tokens: TokenSet) -> None:
    """Keep a new token set on the shop (encrypted by the columns) and mark it connected."""
    shop.access_token = tokens.access_token
    shop.access_token_expires_at = tokens.expires_at
    shop.refresh_token = tokens.refresh_token
    shop.refresh_token_expires_at = tokens.refresh_token_expires_at
    if tokens.scope is not None:
        shop.scopes = tokens.scope
    shop.token_version = (shop.token_version or 0) + 1
    shop.status, shop.status_reason = "active", None


def refresh_access_token(db: Database, shop_id: int, settings: Settings,
                         now: dt.datetime | None = None) -> str:
    """The shop's access token, refreshed when it expires within REFRESH_MARGIN.

    The refresh token rotates on every use, so two refreshes at once would lock the shop out.
    One happens: the refresher holds the shop row (``SELECT … FOR UPDATE`` on PostgreSQL; on
    SQLite, which has no row locks, the database write lock of ``BEGIN IMMEDIATE``) while it
    calls Shopify, and whoever waited on it reads the new token instead of refreshing again; the
    new tokens are written with ``token_version`` bumped. A refusal marks the shop
    ``needs_reauth`` and raises AuthError.
    """
    return current_token(db, shop_id, settings, now or utcnow())[0]


def current_token(db: Database, shop_id: int, settings: Settings, now: dt.datetime,
                  session: requests.Session | None = None) -> tuple[str, dt.datetime | None]:
    """(token, time until which it needs no refresh, None for a token that never expires);
    a refresh goes through ``session`` (the connector's) when given."""
    with db.transaction() as s:
        usable = _usable_token(s.get(Shop, shop_id), now)
    if usable:
        return usable
    refused: AuthError | None = None
    with db.transaction() as s:
        shop = _locked_shop(s, shop_id)
        usable = _usable_token(shop, now)
        if usable:  # refreshed by another worker while we waited for the lock
            return usable
        if not shop.refresh_token or (shop.refresh_token_expires_at is not None
                                      and shop.refresh_token_expires_at <= now):
            refused = AuthError(f"shop {shop_id}: the access token expired and there is no "
                                "valid refresh token", platform=PLATFORM)
        else:
            api_key, secret = _client_credentials(settings)
            try:
                tokens = _token_request(shop.domain, {
                    "client_id": api_key, "client_secret": secret,
                    "grant_type": "refresh_token", "refresh_token": shop.refresh_token,
                }, now, "token refresh", session)
            except AuthError as exc:
                refused = exc
            else:
                store_tokens(shop, tokens)
                log.info("shop %d: access token refreshed (version %d)", shop_id,
                         shop.token_version)
                return _usable_token(shop, now) or (tokens.access_token, now)
        shop.status = "needs_reauth"
        shop.status_reason = ("Shopify no longer accepts Arrosto's access for this store: open "
                              "Arrosto from the Shopify admin to reconnect it. "
                              f"({refused})")[:1000]
    assert refused is not None
    log.warning("shop %d needs to be reconnected: %s", shop_id, refused)
    raise refused


def _locked_shop(s: Session, shop_id: int) -> Shop:
    if s.get_bind().dialect.name == "sqlite":
        s.connection().exec_driver_sql("BEGIN IMMEDIATE")
    shop = s.scalar(select(Shop).where(Shop.id == shop_id).with_for_update()
                    .execution_options(populate_existing=True))
    if shop is None:
        raise AuthError(f"shop {shop_id} does not exist", platform=PLATFORM)
    return shop


def _usable_token(shop: Shop | None, now: dt.datetime) -> tuple[str, dt.datetime | None] | None:
    if shop is None:
        raise AuthError("no such shop", platform=PLATFORM)
    if shop.status in ("needs_reauth", "uninstalled"):
        raise AuthError(f"shop {shop.id} must be reconnected ({shop.status})", platform=PLATFORM)
    if not shop.access_token:
        raise AuthError(f"shop {shop.id} has no access token", platform=PLATFORM)
    expires = shop.access_token_expires_at
    if expires is None:
        return shop.access_token, None
    if expires - now > REFRESH_MARGIN:
        return shop.access_token, expires - REFRESH_MARGIN
    return None
