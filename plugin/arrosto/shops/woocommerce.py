"""WooCommerce connector: the REST API ``wc/v3`` through the official ``woocommerce`` client.

Follows the WooCommerce REST API docs, https://woocommerce.github.io/woocommerce-rest-api-docs/ —
#products, #product-variations, #orders, #customers, #coupons, #webhooks, #pagination,
#authentication — and, where the docs
are silent, the WooCommerce source they document (``WC_REST_CRUD_Controller`` collection
parameters; ``WC_Webhook`` delivery headers and ping).

Quirks handled here, so that nothing else has to know them:

* ``woocommerce`` 3.0 returns raw ``requests`` responses and raises nothing: every status is
  checked here and mapped through :mod:`arrosto.http` (one mapping for every connector).
* It calls ``requests.request`` (a new session per call), so no adapter can be mounted on it:
  :class:`_Client` keeps the SDK's URL building, auth and OAuth, and sends through one session
  whose adapter retries connection errors and 5xx with urllib3 ``Retry``. 429 is not retried
  there: it becomes ``RetryableError(retry_after=...)``, waited out by the connector's
  :class:`arrosto.http.WaitPolicy` when short, else left to the job layer. That session is
  guarded (:func:`arrosto.http.session`, :mod:`arrosto.outbound`): the store's address is the
  owner's to choose, so it (and every redirect) must resolve to a public address.
* Paging is ``page=N`` with ``per_page=100``; ``X-WP-TotalPages`` says whether there is more.
  Lists are read in ``orderby=id&order=asc``: the documented ``orderby`` options of products and
  orders do not include ``modified``, and id order keeps page boundaries stable while the shop
  keeps selling (an item modified mid-sync would jump pages in ``modified`` order and be skipped).
* Incremental reads use ``modified_after`` + ``dates_are_gmt=true`` (products, orders, coupons;
  ``WC_REST_CRUD_Controller``), starting :data:`INCREMENTAL_OVERLAP` before the bookmark: the
  store's clock is not ours and WordPress compares whole seconds, exclusively. ``customers`` has
  no such filter, so it is read whole and filtered here on ``date_modified_gmt``.
* Connecting a store (its URL, wc-auth keys) is :mod:`.woocommerce_auth`; payloads become
  records in :mod:`.woocommerce_records`.
* A webhook's delivery id (``X-WC-Webhook-Delivery-ID``) is ``wp_hash(webhook id . unix
  second)``: two events of one webhook in the same second (a bulk edit) share it. The id we
  store is that header plus a digest of the body, so they are not taken for duplicates.
"""
from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import html
import json
import logging
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from decimal import InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode, urlsplit

import requests
import woocommerce
from requests.auth import HTTPBasicAuth
from urllib3.util.retry import Retry

from .. import events, http, outbound
from ..errors import (
    ConfigError,
    InvalidSignature,
    PlatformError,
    RetryableError,
)
from .base import Page, ShopInfo, ShopPlatform, WebhookMeta
from .woocommerce_auth import InternalStoreURL, InvalidStoreURL, normalize_store_url
from .woocommerce_records import (
    customer_data,
    discount_changed,
    gmt_time,
    order_data,
    parse_webhook,
    product_data,
)

if TYPE_CHECKING:
    from ..models import Shop

log = logging.getLogger(__name__)

API_VERSION = "wc/v3"
USER_AGENT = f"Arrosto (WooCommerce-Python-REST-API/{woocommerce.api.__version__})"
PER_PAGE = 100  # the API's maximum
INCREMENTAL_OVERLAP = dt.timedelta(minutes=5)
MAX_PAGES = 1000  # guards the inner loops (variations, webhooks) from a server ignoring page=

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

    def __init__(self, shop: Shop, *, sleep: Callable[[float], None] | None = None,
                 max_wait: float = 30.0):
        super().__init__(shop)
        self._api: _Client | None = None
        self.waits = http.WaitPolicy.sleeping_with(sleep, max_wait=max_wait, max_waits=1)

    # the client ----------------------------------------------------------------------------------
    @classmethod
    def retry(cls) -> Retry:
        """Connection errors and 5xx, a few times with backoff; Retry-After is
        ``self.waits``'s (urllib3 would sleep for as long as the header says)."""
        return http.retry(cls.retries, backoff=cls.backoff_factor)

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
            session = http.session(retries=self.retry())
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
        """``send()``, its failures as our errors; a rate limit is waited out by ``self.waits``."""
        return self.waits.run(functools.partial(self._answer, what, send))

    def _answer(self, what: str, send: Callable[[], requests.Response]) -> requests.Response:
        # Exceptions are re-raised without their text or cause: it can hold the request URL,
        # and over http or query-string auth that URL carries the keys.
        try:
            resp = send()
        except requests.RequestException as exc:
            raise http.transport_error(exc, platform=self.name, what=what) from None
        if not 200 <= resp.status_code < 300:
            error = http.error_for_response(resp, self._scrub(
                f"WooCommerce {what} answered {resp.status_code}: {_describe(resp)}"),
                platform=self.name)
            raise error
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
        return parse_webhook(topic, payload)


def _wc_time(value: dt.datetime) -> str:
    """A UTC time as the API's ``modified_after`` takes it (with ``dates_are_gmt=true``)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: pass timezone-aware UTC times")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _changed_since(row: dict[str, Any], since: dt.datetime) -> bool:
    try:
        modified = gmt_time(row.get("date_modified_gmt"))
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
