"""Connecting a WooCommerce store: its address (checked, never internal) and the keys its admin
approves through wc-auth, "Auto generating API keys using our Application Authentication
Endpoint" of https://woocommerce.github.io/woocommerce-rest-api-docs/#authentication.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from .. import outbound
from ..errors import InvalidSignature

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
WCAUTH_FIELDS = ("key_id", "user_id", "consumer_key", "consumer_secret", "key_permissions")
WCAUTH_SCOPE = "read_write"


class InvalidStoreURL(ValueError):
    """A store URL we will not send keys to or build wc-auth links for; the message says why."""


class InternalStoreURL(InvalidStoreURL, outbound.InternalAddress):
    """A store URL whose host is this machine or a private network (see :mod:`arrosto.outbound`)."""


class InvalidAuthCallback(InvalidSignature):
    """A wc-auth callback body that is not the documented JSON with read_write keys."""


@dataclass(frozen=True)
class WooKeys:
    """The keys WooCommerce posts to the wc-auth ``callback_url`` (never shown in repr)."""

    key_id: int
    user_id: str  # our nonce, as sent in the authorize URL's user_id
    consumer_key: str = field(repr=False)
    consumer_secret: str = field(repr=False)
    key_permissions: str


# --- connecting from the store's admin (wc-auth) -------------------------------------------------

def normalize_store_url(url: str) -> str:
    """``https://host[:port][/path]`` without a trailing slash.

    A pasted admin or API address (``.../wp-admin/...``, ``.../wp-json/...``) is cut back to the
    site. The URL is never echoed in the error: it may carry a password. A host that is an
    internal address (``localhost``, ``127.0.0.1``, ``10.0.0.5``, ``[::1]``, ``169.254.169.254``)
    is an :class:`InternalStoreURL`; plain http:// and this machine are accepted only with
    ``ARROSTO_ALLOW_LOOPBACK_HOSTS`` (development and tests). Names are checked again, resolved,
    on every request (:mod:`arrosto.outbound`).
    """
    if not isinstance(url, str) or not url.strip():
        raise InvalidStoreURL("the store URL is empty; give its address, e.g. https://shop.example.com")
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme not in ("http", "https") or not host or any(c.isspace() for c in url.strip()):
        raise InvalidStoreURL("the store URL must be an https:// address, e.g. https://shop.example.com")
    if parts.username is not None or parts.password is not None:
        raise InvalidStoreURL("the store URL must not contain a user name or password")
    if parts.fragment or parts.query:
        raise InvalidStoreURL("the store URL must not have a query (?...) or a fragment (#...)")
    try:
        outbound.check_host(host, what="the store URL")
    except outbound.InternalAddress as exc:
        raise InternalStoreURL(str(exc)) from None
    if scheme == "http" and not outbound.loopback_allowed():
        raise InvalidStoreURL("the store URL must use https://: WooCommerce keys are only sent "
                              "over HTTPS")
    try:
        port = parts.port
    except ValueError:
        raise InvalidStoreURL("the store URL has an invalid port") from None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        netloc += f":{port}"
    path = re.split(r"/wp-(?:admin|json)(?:/|$)", parts.path, maxsplit=1)[0].rstrip("/")
    return f"{scheme}://{netloc}{path}"


def store_domain(store_url: str) -> str:
    """The host of a store URL, as ``Shop.domain`` stores it."""
    return urlsplit(normalize_store_url(store_url)).hostname or ""


def authorize_url(store_url: str, *, app_name: str, nonce: str, return_url: str,
                  callback_url: str) -> str:
    """The wc-auth link that asks the store's admin for read_write keys (docs: #authentication).

    ``nonce`` travels as wc-auth's ``user_id`` and comes back in the callback and the return
    redirect; WooCommerce refuses a ``callback_url`` that is not HTTPS.
    """
    store = normalize_store_url(store_url)
    if not app_name or not app_name.strip():
        raise ValueError("app_name is required: the store's admin sees it on the approval page")
    if not nonce or not nonce.strip():
        raise ValueError("nonce is required: it identifies the install when the keys come back")
    _check_url(return_url, "return_url", https_only=False)
    _check_url(callback_url, "callback_url", https_only=True)
    query = urlencode([("app_name", app_name.strip()), ("scope", WCAUTH_SCOPE),
                       ("user_id", nonce), ("return_url", return_url),
                       ("callback_url", callback_url)])
    return f"{store}/wc-auth/v1/authorize?{query}"


def _check_url(url: str, name: str, *, https_only: bool) -> None:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{name} must be an absolute http(s) URL")
    if https_only and parts.scheme != "https" and parts.hostname not in LOCAL_HOSTS:
        raise ValueError(f"{name} must be https://: WooCommerce posts the keys only over HTTPS")


def parse_auth_callback(body: bytes | str) -> WooKeys:
    """The keys from the JSON that wc-auth POSTs to the ``callback_url``.

    Anything but the documented object with ``ck_``/``cs_`` keys and read_write permission is an
    :class:`InvalidAuthCallback`. Checking ``user_id`` against the nonce is the caller's job.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, TypeError):
        raise InvalidAuthCallback("the wc-auth callback body is not JSON") from None
    if not isinstance(data, dict):
        raise InvalidAuthCallback("the wc-auth callback body is not a JSON object")
    missing = [k for k in WCAUTH_FIELDS if data.get(k) in (None, "")]
    if missing:
        raise InvalidAuthCallback(f"the wc-auth callback lacks {', '.join(missing)}")
    key_id = data["key_id"]
    if isinstance(key_id, bool) or not str(key_id).isdigit():
        raise InvalidAuthCallback("the wc-auth callback's key_id is not a number")
    key, secret = data["consumer_key"], data["consumer_secret"]
    if not (isinstance(key, str) and key.startswith("ck_")
            and isinstance(secret, str) and secret.startswith("cs_")):
        raise InvalidAuthCallback("the wc-auth callback's keys are not WooCommerce consumer keys "
                                  "(ck_..., cs_...)")
    permissions = data["key_permissions"]
    if permissions != WCAUTH_SCOPE:
        raise InvalidAuthCallback(f"the store granted {permissions!r} access; Arrosto needs "
                                  f"{WCAUTH_SCOPE!r} (it registers webhooks)")
    return WooKeys(key_id=int(key_id), user_id=str(data["user_id"]), consumer_key=key,
                   consumer_secret=secret, key_permissions=permissions)
