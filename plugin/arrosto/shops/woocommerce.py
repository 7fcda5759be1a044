"""WooCommerce connector: the REST API ``wc/v3`` through the official ``woocommerce`` client.

Follows the WooCommerce REST API docs, https://woocommerce.github.io/woocommerce-rest-api-docs/ —
#products, #product-variations, #orders, #customers, #coupons, #webhooks, #pagination,
#authentication and its "Auto generating API keys using our Application Authentication
Endpoint" (wc-auth, ``/wc-auth/v1/authorize``) — and, where the docs
are silent, the WooCommerce source they document (``WC_REST_CRUD_Controller`` collection
parameters; ``WC_Webhook`` delivery headers and ping).

Quirks handled here, so that nothing else has to know them:

* ``woocommerce`` 3.0 returns raw ``requests`` responses and raises nothing: every status is
  checked here and mapped through :func:`arrosto.errors.error_for_status`.
* It calls ``requests.request`` (a new session per call), so no adapter can be mounted on it:
  :class:`_Client` keeps the SDK's URL building, auth and OAuth, and sends through one session
  whose adapter retries connection errors and 5xx with urllib3 ``Retry``. 429 is not retried
  there: it becomes ``RetryableError(retry_after=...)`` for the job layer to wait on. That
  session is :func:`arrosto.outbound.session`: the store's address is the owner's to choose, so
  it (and every redirect) must resolve to a public address.
* Paging is ``page=N`` with ``per_page=100``; ``X-WP-TotalPages`` says whether there is more.
  Lists are read in ``orderby=id&order=asc``: the documented ``orderby`` options of products and
  orders do not include ``modified``, and id order keeps page boundaries stable while the shop
  keeps selling (an item modified mid-sync would jump pages in ``modified`` order and be skipped).
* Incremental reads use ``modified_after`` + ``dates_are_gmt=true`` (products, orders, coupons;
  ``WC_REST_CRUD_Controller``), starting :data:`INCREMENTAL_OVERLAP` before the bookmark: the
  store's clock is not ours and WordPress compares whole seconds, exclusively. ``customers`` has
  no such filter, so it is read whole and filtered here on ``date_modified_gmt``.
* A webhook's delivery id (``X-WC-Webhook-Delivery-ID``) is ``wp_hash(webhook id . unix
  second)``: two events of one webhook in the same second (a bulk edit) share it. The id we
  store is that header plus a digest of the body, so they are not taken for duplicates.
"""
from __future__ import annotations

import base64
import datetime as dt
import email.utils
import functools
import hashlib
import hmac
import html
import json
import logging
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode, urlsplit

import requests
import woocommerce
from requests.auth import HTTPBasicAuth
from urllib3.util.retry import Retry

from .. import events, outbound
from ..errors import (
    ConfigError,
    FatalPlatformError,
    InvalidSignature,
    PlatformError,
    RetryableError,
    error_for_status,
)
from ..events import CustomerData, LineData, OrderData, ProductData, VariantData
from .base import Page, ShopInfo, ShopPlatform, WebhookMeta, WebhookParseError

if TYPE_CHECKING:
    from ..models import Shop

log = logging.getLogger(__name__)

API_VERSION = "wc/v3"
USER_AGENT = f"Arrosto (WooCommerce-Python-REST-API/{woocommerce.api.__version__})"
PER_PAGE = 100  # the API's maximum
INCREMENTAL_OVERLAP = dt.timedelta(minutes=5)
MAX_PAGES = 1000  # guards the inner loops (variations, webhooks) from a server ignoring page=
RETRY_STATUSES = (500, 502, 503, 504)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

# Webhook topics Arrosto subscribes to (docs: #webhooks, "Topics").
TOPICS: tuple[str, ...] = (
    "product.created", "product.updated", "product.deleted",
    "order.created", "order.updated",
    "coupon.created", "coupon.updated",
    "customer.updated",
)
SIGNATURE_HEADER = "X-WC-Webhook-Signature"
TOPIC_HEADER = "X-WC-Webhook-Topic"
DELIVERY_HEADER = "X-WC-Webhook-Delivery-ID"
SOURCE_HEADER = "X-WC-Webhook-Source"
PING_BODY = re.compile(rb"webhook_id=\d+")

# The order meta WooCommerce's Order Attribution (8.5+) writes: the landing page, and UTM tags.
LANDING_META = "_wc_order_attribution_session_entry"
UTM_META = ("source", "medium", "campaign", "content", "term")

# WooCommerce order status -> (financial_status, fulfillment_status), in the words Order uses.
ORDER_STATUS: dict[str, tuple[str, str | None]] = {
    "pending": ("pending", None),  # awaiting payment
    "on-hold": ("pending", None),  # awaiting a bank transfer or a manual check
    "processing": ("paid", None),
    "completed": ("paid", "fulfilled"),
    "cancelled": ("voided", None),
    "refunded": ("refunded", None),
    "failed": ("failed", None),
}
PRODUCT_STATUS = {"publish": "active", "private": "archived", "trash": "archived"}

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


# --- the client --------------------------------------------------------------------------------

class _Client(woocommerce.API):
    """The SDK's client, sending through one ``requests.Session`` (with our retrying adapter).

    ``woocommerce.API`` sends with ``requests.request`` and takes no session; this overrides its
    private request method only, keeping its URL building, basic auth and OAuth 1.0a signing.
    """

    def __init__(self, *, session: requests.Session, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session = session

    def _API__request(self, method: str, endpoint: str, data: Any,
                      params: dict[str, Any] | None = None, **kwargs: Any) -> requests.Response:
        params = dict(params or {})
        url = self._API__get_url(endpoint)
        auth = None
        headers = {"user-agent": self.user_agent, "accept": "application/json"}
        if self.is_ssl and not self.query_string_auth:
            auth = HTTPBasicAuth(self.consumer_key, self.consumer_secret)
        elif self.is_ssl:
            params.update(consumer_key=self.consumer_key, consumer_secret=self.consumer_secret)
        else:  # plain http (ARROSTO_ALLOW_LOOPBACK_HOSTS only): a signed query; the SDK would
            # repeat the params
            url = self._API__get_oauth_url(f"{url}?{urlencode(params)}", method)
            params = {}
        body = None
        if data is not None:
            body = json.dumps(data, ensure_ascii=False).encode("utf-8")
            headers["content-type"] = "application/json;charset=utf-8"
        return self.session.request(method, url, params=params, data=body, headers=headers,
                                    auth=auth, timeout=self.timeout, verify=self.verify_ssl,
                                    **kwargs)


class WooCommerceShop(ShopPlatform):
    """One WooCommerce store, through its REST API keys (``api_key``/``api_secret``)."""

    name: ClassVar[str] = "woocommerce"
    resources: ClassVar[tuple[str, ...]] = ("products", "customers", "orders")
    # endpoint, and whether it takes modified_after (customers does not)
    lists: ClassVar[dict[str, tuple[str, bool]]] = {
        "products": ("products", True), "customers": ("customers", False),
        "orders": ("orders", True), "coupons": ("coupons", True)}
    timeout: ClassVar[float] = 30.0
    retries: ClassVar[int] = 3
    backoff_factor: ClassVar[float] = 0.5  # tests set 0

    def __init__(self, shop: Shop):
        super().__init__(shop)
        self._api: _Client | None = None

    # the client ----------------------------------------------------------------------------------
    @classmethod
    def retry(cls) -> Retry:
        """Connection errors and 5xx, a few times with backoff; Retry-After is left to the jobs
        (urllib3 would sleep for as long as the header says)."""
        return Retry(total=cls.retries, connect=cls.retries, read=cls.retries,
                     status=cls.retries, other=0, backoff_factor=cls.backoff_factor,
                     status_forcelist=RETRY_STATUSES,
                     allowed_methods=Retry.DEFAULT_ALLOWED_METHODS,
                     respect_retry_after_header=False, raise_on_status=False)

    @property
    def api(self) -> _Client:
        if self._api is None:
            shop = self.shop
            missing = [n for n in ("store_url", "api_key", "api_secret") if not getattr(shop, n)]
            if missing:
                raise ConfigError(f"WooCommerce shop {shop.domain}: no {', '.join(missing)}; "
                                  "connect the store again from its admin (wc-auth)")
            try:
                url = normalize_store_url(shop.store_url)
            except InvalidStoreURL as exc:
                error = outbound.InternalAddress if isinstance(exc, InternalStoreURL) \
                    else ConfigError
                raise error(f"WooCommerce shop {shop.domain}: {exc}") from None
            session = outbound.session(retries=self.retry())
            self._api = _Client(url=url, consumer_key=shop.api_key,
                                consumer_secret=shop.api_secret, version=API_VERSION,
                                timeout=self.timeout, user_agent=USER_AGENT, session=session)
        return self._api

    def _call(self, method: str, endpoint: str, *, params: dict[str, Any] | None = None,
              data: Any = None) -> requests.Response:
        api, query = self.api, dict(params or {})
        if method == "GET":
            send = functools.partial(api.get, endpoint, params=query)
        elif method in ("POST", "PUT"):
            send = functools.partial(api.post if method == "POST" else api.put, endpoint, data,
                                     params=query)
        else:
            raise ValueError(f"unsupported method {method}")
        return self._checked(f"{method} {endpoint}", send)

    def _checked(self, what: str, send: Callable[[], requests.Response]) -> requests.Response:
        # Exceptions are re-raised without their text or cause: it can hold the request URL,
        # and over http or query-string auth that URL carries the keys.
        try:
            resp = send()
        except outbound.RefusedAddress as exc:
            raise outbound.InternalAddress(f"WooCommerce {what}: {exc}") from None
        except requests.Timeout:
            raise RetryableError(f"WooCommerce {what}: timed out", platform=self.name) from None
        except requests.exceptions.SSLError:
            raise FatalPlatformError(f"WooCommerce {what}: the store's HTTPS certificate was "
                                     "refused", platform=self.name) from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise RetryableError(f"WooCommerce {what}: cannot connect ({type(exc).__name__})",
                                 platform=self.name) from None
        except requests.RequestException as exc:
            raise FatalPlatformError(f"WooCommerce {what}: {type(exc).__name__}",
                                     platform=self.name) from None
        if not 200 <= resp.status_code < 300:
            raise error_for_status(
                resp.status_code,
                self._scrub(f"WooCommerce {what} answered {resp.status_code}: {_describe(resp)}"),
                platform=self.name, retry_after=_retry_after(resp))
        return resp

    def _scrub(self, message: str) -> str:
        """Our keys out of a message built from what the store said (a plugin may echo them)."""
        for secret in (self.shop.api_key, self.shop.api_secret, self.shop.webhook_secret):
            if secret:
                message = message.replace(secret, "[hidden]")
        return message

    def _json(self, resp: requests.Response, what: str, expect: type) -> Any:
        try:
            body = resp.json()
        except ValueError:
            raise PlatformError(
                f"WooCommerce {what}: the answer is not JSON (Content-Type "
                f"{resp.headers.get('Content-Type', 'missing')}); check the store URL, and that "
                "no security plugin or cache blocks /wp-json/", status=resp.status_code,
                platform=self.name) from None
        if not isinstance(body, expect):
            raise PlatformError(f"WooCommerce {what}: expected a JSON "
                                f"{'list' if expect is list else 'object'}, got "
                                f"{type(body).__name__}", status=resp.status_code,
                                platform=self.name)
        return body

    def _page(self, endpoint: str, page: int, params: dict[str, Any]
              ) -> tuple[list[dict[str, Any]], bool]:
        """One page of a list and whether another follows (``X-WP-TotalPages``)."""
        resp = self._call("GET", endpoint, params={"per_page": PER_PAGE, "page": page, **params})
        rows = self._json(resp, f"GET {endpoint}", list)
        bad = next((type(r).__name__ for r in rows if not isinstance(r, dict)), None)
        if bad:
            raise PlatformError(f"WooCommerce GET {endpoint}: a list item is a {bad}, not an "
                                "object", platform=self.name)
        total = resp.headers.get("X-WP-TotalPages")
        try:
            more = page < int(total) if total is not None else len(rows) >= PER_PAGE
        except ValueError:
            more = len(rows) >= PER_PAGE
        return rows, more

    def _all(self, endpoint: str, params: dict[str, Any] | None = None
             ) -> Iterator[dict[str, Any]]:
        for page in range(1, MAX_PAGES + 1):
            rows, more = self._page(endpoint, page, dict(params or {}))
            yield from rows
            if not more:
                return
        raise PlatformError(f"WooCommerce GET {endpoint}: more than {MAX_PAGES} pages",
                            platform=self.name)

    # what the store is ---------------------------------------------------------------------------
    def check_credentials(self) -> None:
        """A cheap authenticated read; ``AuthError`` when the store refuses the keys."""
        self._json(self._call("GET", "products", params={"per_page": 1, "_fields": "id"}),
                   "GET products", list)

    def check_write_access(self) -> None:
        """A write that changes nothing (an empty webhooks batch); ``AuthError`` for a read-only
        key: WooCommerce checks a key's permission for the method before any route runs."""
        self._call("POST", "webhooks/batch", data={})

    def shop_info(self) -> ShopInfo:
        """Name and time zone from the WordPress REST index, currency from WooCommerce.

        The REST API exposes the site language only in the slow ``system_status`` report, so the
        language stays the default and the owner sets it in Arrosto.
        """
        api = self.api
        store = api.url
        index: dict[str, Any] = {}
        try:
            resp = self._checked("GET /wp-json/", functools.partial(
                api.session.get, f"{store}/wp-json/", timeout=self.timeout,
                headers={"accept": "application/json", "user-agent": USER_AGENT}))
            index = self._json(resp, "GET /wp-json/", dict)
        except RetryableError:
            raise
        except PlatformError as exc:  # the index may be closed to visitors: not worth failing
            log.info("woocommerce shop %s: no WordPress index (%s); using defaults",
                     self.shop.id, type(exc).__name__)
        currency = self._json(self._call("GET", "data/currencies/current"),
                              "GET data/currencies/current", dict)
        return ShopInfo(
            name=html.unescape(str(index.get("name") or "")) or self.shop.domain,
            currency=str(currency.get("code") or "EUR").upper(),
            timezone=_timezone(index), store_url=store)

    # sync ----------------------------------------------------------------------------------------
    def fetch(self, resource: str, *, updated_since: dt.datetime | None,
              cursor: str | None) -> Page:
        """Page ``cursor`` (a page number, "1" when None) of ``resource`` changed since
        ``updated_since``; ``coupons`` gives ``events.DiscountChanged`` records."""
        try:
            endpoint, incremental = self.lists[resource]
        except KeyError:
            raise ConfigError(f"WooCommerce has no resource {resource!r}; known: "
                              f"{', '.join(self.lists)}") from None
        page = _page_number(cursor)
        params: dict[str, Any] = {"orderby": "id", "order": "asc"}
        since = updated_since - INCREMENTAL_OVERLAP if updated_since is not None else None
        if since is not None and incremental:
            params.update(modified_after=_wc_time(since), dates_are_gmt="true")
        rows, more = self._page(endpoint, page, params)
        if since is not None and not incremental:
            rows = [r for r in rows if _changed_since(r, since)]
        items = [self._record(resource, row) for row in rows]
        log.debug("woocommerce shop %s: %s page %d, %d items", self.shop.id, resource, page,
                  len(items))
        return Page(items, str(page + 1) if more else None)

    def fetch_coupons(self, updated_since: dt.datetime | None = None
                      ) -> list[events.DiscountChanged]:
        """Every coupon changed since ``updated_since`` (all pages)."""
        out: list[events.DiscountChanged] = []
        cursor: str | None = None
        while True:
            page = self.fetch("coupons", updated_since=updated_since, cursor=cursor)
            out.extend(page.items)
            if page.next_cursor is None:
                return out
            cursor = page.next_cursor

    def read_discounts(self, updated_since: dt.datetime | None = None
                       ) -> list[events.DiscountChanged]:
        return self.fetch_coupons(updated_since)

    def fetch_discount(self, external_id: str) -> events.DiscountChanged | None:
        """One coupon (docs: #retrieve-a-coupon); None when it was deleted."""
        try:
            resp = self._call("GET", f"coupons/{int(external_id)}")
        except PlatformError as exc:
            if exc.status == 404:
                return None
            raise
        return self._record("coupons", self._json(resp, "GET coupons", dict))

    def collection_products(self, collection_external_id: str) -> list[str]:
        """The products of a category (docs: #list-all-products, ``category``)."""
        return [str(row["id"]) for row in self._all("products", {
            "category": int(collection_external_id), "_fields": "id", "orderby": "id",
            "order": "asc"})]

    def _record(self, resource: str, row: dict[str, Any]) -> Any:
        try:
            if resource == "products":
                variations = (list(self._all(f"products/{int(row['id'])}/variations",
                                             {"orderby": "id", "order": "asc"}))
                              if row.get("type") == "variable" else None)
                return product_data(row, variations)
            if resource == "customers":
                return customer_data(row)
            if resource == "orders":
                return order_data(row)
            return discount_changed(row, self.shop.currency)
        except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation) as exc:
            raise PlatformError(f"WooCommerce {resource} {row.get('id')!r}: cannot be read "
                                f"({type(exc).__name__}: {exc})", platform=self.name) from None

    # webhooks ------------------------------------------------------------------------------------
    def delivery_url(self, public_url: str) -> str:
        """Per shop: the receiver finds the shop's own webhook secret by the id in the path."""
        return f"{public_url}/webhooks/{self.name}/{self.shop.id}"

    def register_webhooks(self, delivery_url: str) -> list[str]:
        """Subscribe ``delivery_url`` to :data:`TOPICS`, skipping topics it already has (so a
        re-run creates nothing); returns the topics created now. A secret generated here is set
        on ``self.shop``: the caller commits it."""
        secret, generated = self._webhook_secret()
        ours = self._our_webhooks(delivery_url)
        if generated:
            self._reset_secrets(ours, secret)
        have = {w.get("topic") for w in ours}
        created = [t for t in TOPICS if t not in have]
        for topic in created:
            self._create_webhook(topic, delivery_url, secret)
        return created

    def repair_webhooks(self, delivery_url: str) -> list[str]:
        """Re-enable the subscriptions WooCommerce disabled (5 failed deliveries in a row) or an
        admin paused, and re-create missing ones; returns the topics fixed."""
        secret, generated = self._webhook_secret()
        ours = self._our_webhooks(delivery_url)
        if generated:
            self._reset_secrets(ours, secret)
        fixed = []
        for topic in TOPICS:
            hooks = [w for w in ours if w.get("topic") == topic]
            if any(w.get("status") == "active" for w in hooks):
                continue
            if hooks:
                self._call("PUT", f"webhooks/{int(hooks[0]['id'])}", data={"status": "active"})
                log.info("woocommerce shop %s: webhook %s re-enabled (was %s)", self.shop.id,
                         topic, hooks[0].get("status"))
            else:
                self._create_webhook(topic, delivery_url, secret)
            fixed.append(topic)
        return fixed

    def _webhook_secret(self) -> tuple[str, bool]:
        if self.shop.webhook_secret:
            return self.shop.webhook_secret, False
        self.shop.webhook_secret = secrets.token_urlsafe(32)
        return self.shop.webhook_secret, True

    def _our_webhooks(self, delivery_url: str) -> list[dict[str, Any]]:
        target = delivery_url.rstrip("/")
        return [w for w in self._all("webhooks")
                if str(w.get("delivery_url") or "").rstrip("/") == target]

    def _reset_secrets(self, hooks: list[dict[str, Any]], secret: str) -> None:
        # Made with a secret we no longer hold: their deliveries would all be refused.
        for hook in hooks:
            self._call("PUT", f"webhooks/{int(hook['id'])}", data={"secret": secret})

    def _create_webhook(self, topic: str, delivery_url: str, secret: str) -> None:
        resp = self._call("POST", "webhooks", data={
            "name": f"Arrosto {topic}", "topic": topic, "delivery_url": delivery_url,
            "secret": secret})
        made = self._json(resp, "POST webhooks", dict)
        log.info("woocommerce shop %s: webhook %s created (id %s)", self.shop.id, topic,
                 made.get("id"))

    @classmethod
    def webhook_secrets(cls, settings: Any, shop: Shop | None) -> list[str]:
        return [shop.webhook_secret] if shop is not None and shop.webhook_secret else []

    @classmethod
    def is_ping(cls, headers: Any, body: bytes) -> bool:
        """WooCommerce's unsigned ``webhook_id=<id>`` POST when a webhook is created."""
        return (_header(headers, SIGNATURE_HEADER) is None
                and PING_BODY.fullmatch(body.strip()) is not None)

    @classmethod
    def verify_webhook(cls, headers: Any, body: bytes, secrets: list[str]) -> WebhookMeta:
        """``X-WC-Webhook-Signature`` is base64(HMAC-SHA256(secret, raw body))."""
        signature = _header(headers, SIGNATURE_HEADER)
        if not signature:
            raise InvalidSignature(f"no {SIGNATURE_HEADER} header")
        given = signature.strip().encode("utf-8")
        if not any(hmac.compare_digest(_sign(body, secret), given) for secret in secrets
                   if secret):
            raise InvalidSignature(f"{SIGNATURE_HEADER} does not match the body")
        topic, delivery = _header(headers, TOPIC_HEADER), _header(headers, DELIVERY_HEADER)
        if not topic or not delivery:
            raise InvalidSignature(f"no {TOPIC_HEADER} or {DELIVERY_HEADER} header")
        source = _header(headers, SOURCE_HEADER)
        return WebhookMeta(
            delivery_id=f"{delivery.strip()}:{hashlib.sha256(body).hexdigest()[:16]}",
            topic=topic.strip(),
            shop_domain=(urlsplit(source.strip()).hostname or None) if source else None)

    @classmethod
    def parse_webhook(cls, topic: str, payload: Any) -> list[Any]:
        """A delivery's body is the resource's REST representation (``{"id": N}`` for
        ``*.deleted``). Unknown topics, and topics we do not act on, give no events."""
        resource, _, event = topic.partition(".")
        if resource not in ("product", "order", "coupon", "customer"):
            return []
        if not isinstance(payload, dict) or not _is_id(payload.get("id")):
            raise WebhookParseError(f"{topic}: the body is not a {resource} with an id")
        try:
            if resource == "product":
                if event == "deleted":
                    return [events.ProductDeleted(external_id=str(payload["id"]))]
                if payload.get("type") == "variation":
                    # product.created/updated also fire for a variation, with its own body
                    # (parent_id set): not a product of its own. The parent's next sync has it.
                    log.info("woocommerce: %s for variation %s of product %s left to the sync",
                             topic, payload.get("id"), payload.get("parent_id"))
                    return []
                if event in ("created", "updated", "restored"):
                    return [events.ProductChanged(product_data(payload, None))]
            elif resource == "order" and event in ("created", "updated", "restored"):
                return [events.OrderChanged(order_data(payload))]
            elif resource == "coupon":
                if event == "deleted":
                    return [events.DiscountChanged(
                        external_id=str(payload["id"]), title=str(payload.get("code") or ""),
                        code=payload.get("code") or None, active=False)]
                if event in ("created", "updated", "restored"):
                    return [discount_changed(payload, None)]
            elif resource == "customer" and event in ("created", "updated"):
                return [events.CustomerChanged(customer_data(payload))]
        except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation) as exc:
            raise WebhookParseError(f"{topic} {payload.get('id')!r}: {type(exc).__name__}: "
                                    f"{exc}") from None
        return []


# --- payloads -> records -----------------------------------------------------------------------

def product_data(p: dict[str, Any], variations: list[dict[str, Any]] | None) -> ProductData:
    """A product; ``variations`` are the variable product's ``products/<id>/variations``.

    A simple product is its own single variant (product and variation ids share WordPress's post
    ids, so they never collide). Without ``variations`` (a webhook body lists only their ids) a
    variable product's variants carry the ids and the product-level price, which WooCommerce sets
    to the lowest variation price; the next sync fills in each variant.
    """
    complete = True
    if p.get("type") == "variable":
        if variations is not None:
            variants = [_variant(v) for v in variations]
        else:
            price, _ = _prices(p)
            variants = [VariantData(external_id=str(int(vid)), price=price)
                        for vid in p.get("variations") or []]
            complete = False
    else:
        variants = [_variant(p, title="")]
    categories = [html.unescape(c["name"]) for c in p.get("categories") or [] if c.get("name")]
    brands = [html.unescape(b["name"]) for b in p.get("brands") or []
              if isinstance(b, dict) and b.get("name")]
    return ProductData(
        external_id=str(p["id"]), title=html.unescape(str(p.get("name") or "")),
        handle=p.get("slug") or None, vendor=brands[0] if brands else None,
        product_type=categories[0] if categories else None,
        tags=[html.unescape(t["name"]) for t in p.get("tags") or [] if t.get("name")],
        description=_text(p.get("description")) or _text(p.get("short_description")),
        status=PRODUCT_STATUS.get(str(p.get("status")), "draft"),
        url=p.get("permalink") or None, updated_at=_gmt(p.get("date_modified_gmt")),
        variants=variants, variants_complete=complete, in_stock=_in_stock(p))


def _in_stock(p: dict[str, Any]) -> bool | None:
    """``stock_status`` (docs: instock, outofstock, onbackorder), set with or without stock
    management; a variable product's is its variations' best."""
    status = p.get("stock_status")
    return None if not status else status == "instock"


def _variant(v: dict[str, Any], title: str | None = None) -> VariantData:
    price, compare_at = _prices(v)
    if title is None:
        options = [str(a.get("option")) for a in v.get("attributes") or [] if a.get("option")]
        title = " / ".join(options) or html.unescape(str(v.get("name") or ""))
    stock = v.get("stock_quantity")
    return VariantData(external_id=str(v["id"]), title=html.unescape(title),
                       sku=v.get("sku") or None, price=price, compare_at_price=compare_at,
                       inventory_quantity=int(stock) if stock is not None else None)


def _prices(p: dict[str, Any]) -> tuple[Decimal | None, Decimal | None]:
    """(price, compare_at): the current price, and the regular price while on sale."""
    regular, sale = _money(p.get("regular_price")), _money(p.get("sale_price"))
    on_sale = bool(p.get("on_sale"))
    price = _money(p.get("price"))
    if price is None:
        price = sale if on_sale and sale is not None else regular
    compare_at = regular if on_sale and regular is not None and regular != price else None
    return price, compare_at


def customer_data(c: dict[str, Any]) -> CustomerData:
    billing = c.get("billing") or {}
    return CustomerData(
        external_id=str(c["id"]), email=c.get("email") or billing.get("email") or None,
        first_name=c.get("first_name") or billing.get("first_name") or None,
        last_name=c.get("last_name") or billing.get("last_name") or None,
        phone=billing.get("phone") or None, city=billing.get("city") or None,
        postcode=billing.get("postcode") or None, updated_at=_gmt(c.get("date_modified_gmt")))


def order_data(o: dict[str, Any]) -> OrderData:
    """An order. ``number`` is WooCommerce's order number (a plugin may make it "WC-1001": then
    only the name carries it); the shipping address falls back to billing when it is empty (a
    virtual order); ``landing_site`` comes from the Order Attribution meta."""
    status = str(o.get("status") or "")
    financial, fulfillment = ORDER_STATUS.get(status, (status or None, None))
    number = str(o.get("number") or o["id"])
    created = _gmt(o.get("date_created_gmt")) or _gmt(o.get("date_modified_gmt"))
    if created is None:
        raise ValueError("the order has no date_created_gmt")
    updated = _gmt(o.get("date_modified_gmt"))
    billing = o.get("billing") or {}
    shipping = o.get("shipping") or {}
    if not any(shipping.get(k) for k in ("address_1", "city", "postcode")):
        shipping = billing
    customer_id = o.get("customer_id")
    return OrderData(
        external_id=str(o["id"]), name=f"#{number}", created_at=created,
        number=int(number) if number.isdigit() else None,
        customer_external_id=str(customer_id) if customer_id else None,
        email=billing.get("email") or None,
        shipping_name=" ".join(p for p in (shipping.get("first_name"), shipping.get("last_name"))
                               if p) or None,
        shipping_postcode=shipping.get("postcode") or None,
        shipping_city=shipping.get("city") or None,
        financial_status=financial, fulfillment_status=fulfillment,
        cancelled_at=(updated or created) if status == "cancelled" else None,
        total_price=_money(o.get("total")) or Decimal("0"),
        currency=str(o.get("currency") or "EUR").upper(),
        discount_codes=[c["code"] for c in o.get("coupon_lines") or [] if c.get("code")],
        landing_site=_landing_site(o.get("meta_data") or []), updated_at=updated,
        lines=[_line(li) for li in o.get("line_items") or []])


def _line(li: dict[str, Any]) -> LineData:
    variant_title = None
    if li.get("variation_id"):
        values = [html.unescape(str(m.get("display_value") or m.get("value")))
                  for m in li.get("meta_data") or []
                  if isinstance(m, dict) and not str(m.get("key", "")).startswith("_")
                  and isinstance(m.get("display_value") or m.get("value"), str | int | float)]
        variant_title = " / ".join(values) or None
    product_id = li.get("product_id")
    return LineData(
        title=html.unescape(str(li.get("name") or "")), quantity=int(li.get("quantity") or 1),
        price=_money(li.get("price")) or Decimal("0"),
        external_product_id=str(product_id) if product_id else None,
        variant_title=variant_title, sku=li.get("sku") or None)


def _landing_site(meta: list[Any]) -> str | None:
    values = {m.get("key"): m.get("value") for m in meta if isinstance(m, dict)}
    entry = str(values.get(LANDING_META) or "")
    utm = [(f"utm_{k}", str(values[f"_wc_order_attribution_utm_{k}"])) for k in UTM_META
           if values.get(f"_wc_order_attribution_utm_{k}")]
    if utm and "utm_" not in entry:  # attribution keeps the tags apart: put them back on the URL
        entry += ("&" if "?" in entry else "?") + urlencode(utm)
    return entry or None


def discount_changed(c: dict[str, Any], currency: str | None) -> events.DiscountChanged:
    """A coupon. ``value`` is "10%" or "5.00 EUR" (just "5.00" when the currency is unknown, as
    in a webhook, which carries none); collections are the coupon's product categories."""
    amount = _money(c.get("amount")) or Decimal("0")
    kind = str(c.get("discount_type") or "")
    if kind.startswith("percent"):
        value = f"{_plain(amount)}%"
    elif amount == 0 and c.get("free_shipping"):
        value = "free shipping"
    else:
        value = f"{amount:.2f}" + (f" {currency}" if currency else "")
    ends_at = _gmt(c.get("date_expires_gmt"))
    limit, used = c.get("usage_limit"), c.get("usage_count") or 0
    active = (str(c.get("status") or "publish") == "publish"
              and (ends_at is None or ends_at > dt.datetime.now(dt.UTC))
              and (limit is None or int(used) < int(limit)))
    products = [str(i) for i in c.get("product_ids") or []]
    categories = [str(i) for i in c.get("product_categories") or []]
    code = str(c.get("code") or "")
    return events.DiscountChanged(
        external_id=str(c["id"]), title=html.unescape(code), code=code or None, value=value,
        starts_at=_gmt(c.get("date_created_gmt")), ends_at=ends_at,
        product_external_ids=products, collection_external_ids=categories,
        applies_to_all=not products and not categories, active=active, amount=amount,
        excluded_product_external_ids=[str(i) for i in c.get("excluded_product_ids") or []],
        excluded_collection_external_ids=[str(i) for i in
                                          c.get("excluded_product_categories") or []])


# --- small helpers -----------------------------------------------------------------------------

def _is_id(value: Any) -> bool:
    """WordPress post and user ids: positive integers (a string of digits in some plugins)."""
    if isinstance(value, bool):
        return False
    return (isinstance(value, int) and value > 0) or (isinstance(value, str) and value.isdigit()
                                                      and int(value) > 0)


def _money(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    return Decimal(str(value))


def _plain(amount: Decimal) -> str:
    """10.00 -> "10", 12.50 -> "12.5"."""
    return format(amount.normalize(), "f")


def _gmt(value: Any) -> dt.datetime | None:
    """WooCommerce's ``*_gmt`` fields ("2017-03-22T19:28:02", no offset) as aware UTC."""
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _wc_time(value: dt.datetime) -> str:
    """A UTC time as the API's ``modified_after`` takes it (with ``dates_are_gmt=true``)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: pass timezone-aware UTC times")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _changed_since(row: dict[str, Any], since: dt.datetime) -> bool:
    try:
        modified = _gmt(row.get("date_modified_gmt"))
    except ValueError:
        return True
    return modified is None or modified > since


def _page_number(cursor: str | None) -> int:
    if cursor is None:
        return 1
    if not str(cursor).isdigit() or int(cursor) < 1:
        raise ConfigError(f"WooCommerce sync cursor {cursor!r} is not a page number")
    return int(cursor)


def _describe(resp: requests.Response) -> str:
    """WooCommerce's ``{"code", "message"}`` error, or the reason phrase."""
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("message"):
        return html.unescape(f"{body.get('code') or 'error'}: {body['message']}")[:300]
    return resp.reason or "no details"


def _retry_after(resp: requests.Response) -> float | None:
    value = resp.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _timezone(index: Mapping[str, Any]) -> str:
    """WordPress's ``timezone_string``, or its whole-hour ``gmt_offset`` as an Etc/ zone."""
    name = index.get("timezone_string")
    if name:
        return str(name)
    try:
        offset = float(index.get("gmt_offset") or 0)
    except (TypeError, ValueError):
        return "UTC"
    if offset == 0 or not offset.is_integer():
        return "UTC"
    return f"Etc/GMT{-int(offset):+d}"  # POSIX sign: Etc/GMT-2 is two hours east


def _header(headers: Any, name: str) -> str | None:
    """A header from werkzeug ``Headers`` (case-insensitive) or a plain dict (any case)."""
    if headers is None:
        return None
    value = headers.get(name)
    if value is None and isinstance(headers, Mapping):
        wanted = name.lower()
        value = next((v for k, v in headers.items() if str(k).lower() == wanted), None)
    return None if value is None else str(value)


def _sign(body: bytes, secret: str) -> bytes:
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest())


class _TextOnly(HTMLParser):
    BLOCKS = frozenset({"p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
                        "tr", "td", "th", "table", "blockquote"})
    SKIPPED = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def _text(value: Any) -> str | None:
    """Plain text of WooCommerce's HTML descriptions."""
    if not value:
        return None
    parser = _TextOnly()
    parser.feed(str(value))
    parser.close()
    return " ".join("".join(parser.parts).split()) or None
