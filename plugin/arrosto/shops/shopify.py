"""Shopify: the GraphQL Admin API connector, one ``requests.Session`` per shop.

API version: ``ARROSTO_SHOPIFY_API_VERSION`` (default 2025-10), used for every call. Queries are
in :mod:`.shopify_queries`, validated against the 2025-01 schema; payloads become records in
:mod:`.shopify_records`; tokens and OAuth are :mod:`.shopify_auth`. Follows these shopify.dev
pages:

- GraphQL Admin API and its cost-based rate limits:
  https://shopify.dev/docs/api/admin-graphql, https://shopify.dev/docs/api/usage/limits,
  https://shopify.dev/docs/api/usage/pagination-graphql
- Webhooks over HTTPS and their HMAC: https://shopify.dev/docs/apps/build/webhooks/subscribe/https

GraphQL is one POST per document, sent through the shop's session (:func:`arrosto.http.session`):
ShopifyAPI's client would keep the shop in class-global state, speak urllib without a timeout and
print error bodies. The same session refreshes the shop's token (its own retries mounted on the
token endpoint). Rate limits wait through :class:`arrosto.http.WaitPolicy`.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import requests
from urllib3.util.retry import Retry

from .. import __version__, events, http, outbound
from ..errors import (
    AuthError,
    ConfigError,
    FatalPlatformError,
    InvalidSignature,
    RetryableError,
)
from ..events import OrderData, ProductData
from ..models import Shop, utcnow
from . import shopify_queries as q
from .base import Page, ShopInfo, ShopPlatform, WebhookMeta
from .shopify_auth import PLATFORM, TOKEN_RETRY, current_token, valid_shop_domain
from .shopify_records import (
    customer_from_node,
    discount_from_node,
    gid_number,
    order_from_node,
    parse_webhook,
    product_from_node,
    rest_id,
)

if TYPE_CHECKING:
    from ..db import Database
    from ..settings import Settings

log = logging.getLogger(__name__)

TOKEN_HEADER = "X-Shopify-Access-Token"
USER_AGENT = f"Arrosto/{__version__}"
SINCE_OVERLAP = dt.timedelta(minutes=5)  # read a little before the bookmark: clocks differ
GRAPHQL_TIMEOUT = 30.0
DEFAULT_THROTTLE_WAIT = 2.0
# connections that failed to open are retried; a read error or a 5xx is not (a mutation may have
# run): the job retries
GRAPHQL_RETRY = Retry(total=2, connect=2, read=0, status=0, other=0, backoff_factor=0.5,
                      respect_retry_after_header=False, raise_on_status=False)

WEBHOOK_TOPICS: tuple[str, ...] = (
    "PRODUCTS_CREATE", "PRODUCTS_UPDATE", "PRODUCTS_DELETE",
    "ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CANCELLED",
    "CUSTOMERS_UPDATE", "DISCOUNTS_CREATE", "DISCOUNTS_UPDATE", "DISCOUNTS_DELETE",
    "APP_UNINSTALLED",
)

_OPERATION = re.compile(r"\b(?:query|mutation)\s+(\w+)")

_DISCOUNT_SIZES = {"products": q.DISCOUNT_PRODUCTS_FIRST, "variants": q.DISCOUNT_VARIANTS_FIRST,
                   "collections": q.DISCOUNT_COLLECTIONS_FIRST}
_ONE_DISCOUNT_SIZES = {"products": q.DISCOUNT_ONE_PRODUCTS_FIRST,
                       "variants": q.DISCOUNT_ONE_VARIANTS_FIRST,
                       "collections": q.DISCOUNT_ONE_COLLECTIONS_FIRST}


@dataclass
class _Bucket:
    """The shop's cost bucket as Shopify last reported it."""

    available: float
    maximum: float
    restore_rate: float
    at: float

    def available_at(self, when: float) -> float:
        return min(self.maximum, self.available + self.restore_rate * max(0.0, when - self.at))


# --- the connector ---------------------------------------------------------------------------

class ShopifyShop(ShopPlatform):
    """One Shopify store through the GraphQL Admin API.

    ``db`` and ``settings`` default to the running app's; ``sleep`` and ``clock`` are injected so
    tests wait for nothing; ``base_url`` replaces https://{shop} (tests point it at a fake).
    Before a query the cost bucket is checked: a wait of up to ``max_wait`` seconds is slept
    through, a longer one raises RetryableError. A THROTTLED answer or a 429 is retried once after
    the wait Retry-After or the bucket asks for, if that is short enough (``self.waits``).
    """

    name: ClassVar[str] = PLATFORM
    resources: ClassVar[tuple[str, ...]] = ("products", "customers", "orders")
    app_wide_webhook_secret: ClassVar[bool] = True  # signed with the app's client secret

    def __init__(self, shop: Shop, *, db: Database | None = None,
                 settings: Settings | None = None, sleep: Callable[[float], None] | None = None,
                 clock: Callable[[], float] = time.monotonic, base_url: str | None = None,
                 max_wait: float = 30.0, timeout: float = GRAPHQL_TIMEOUT):
        super().__init__(shop)
        if not valid_shop_domain(shop.domain):
            raise ConfigError(f"shop {shop.id}: {shop.domain!r} is not a myshopify.com domain")
        self._db = db
        self._settings = settings
        self.waits = http.WaitPolicy.sleeping_with(sleep, max_wait=max_wait, max_waits=1)
        self.clock = clock
        self.base_url = (base_url or f"https://{shop.domain}").rstrip("/")
        self.timeout = timeout
        # GraphQL goes to the shop's checked *.myshopify.com name (or the tests' fake), not to a
        # host someone else chose; the token endpoint keeps the SSRF guard it always had
        self.http = http.session(guarded=False, retries=GRAPHQL_RETRY)
        self.http.mount(f"https://{shop.domain}/admin/oauth/",
                        outbound.adapter(https=True, retries=TOKEN_RETRY))
        self.http.headers["User-Agent"] = USER_AGENT
        self._bucket: _Bucket | None = None
        self._costs: dict[str, float] = {}  # operation -> its last requested cost
        self._token: str | None = None
        self._token_good_until: dt.datetime | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            from .. import jobs

            self._db = jobs.database()
        return self._db

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from .. import jobs

            self._settings = jobs.app().config["ARROSTO"]
        return self._settings

    # tokens ------------------------------------------------------------------------------------
    def valid_access_token(self, now: dt.datetime | None = None) -> str:
        """The shop's access token, refreshed first when it expires within REFRESH_MARGIN."""
        now = now or utcnow()
        if self._token and (self._token_good_until is None or now < self._token_good_until):
            return self._token
        self._token, self._token_good_until = current_token(self.db, self.shop.id,
                                                            self.settings, now, self.http)
        return self._token

    # GraphQL -----------------------------------------------------------------------------------
    def graphql(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run one document and return its ``data``; errors become our error types."""
        found = _OPERATION.search(document)
        operation = found.group(1) if found else "anonymous"

        def attempt() -> dict[str, Any]:
            self._wait_for_bucket(operation)
            return self._send(document, variables, operation)

        return self.waits.run(attempt)

    def _wait_for_bucket(self, operation: str) -> None:
        needed = self._costs.get(operation)
        if self._bucket is None or needed is None:
            return
        missing = needed - self._bucket.available_at(self.clock())
        if missing <= 0.5:  # half a point: milliseconds at any plan's restore rate
            return
        wait = missing / max(self._bucket.restore_rate, 1.0)
        self.waits.pause(wait, RetryableError(f"Shopify cost bucket of shop {self.shop.id} is low",
                                              retry_after=wait, status=429, platform=PLATFORM))

    def _send(self, document: str, variables: dict[str, Any] | None,
              operation: str) -> dict[str, Any]:
        url = f"{self.base_url}/admin/api/{self.settings.shopify_api_version}/graphql.json"
        headers = {TOKEN_HEADER: self.valid_access_token(), "Accept": "application/json"}
        try:
            response = self.http.post(url, json={"query": document, "variables": variables,
                                                 "operationName": operation},
                                      headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise http.transport_error(exc, platform=PLATFORM, what=operation) from None
        if response.status_code >= 400:
            error = http.error_for_response(
                response, f"Shopify answered HTTP {response.status_code} to {operation}",
                platform=PLATFORM)
            if isinstance(error, RetryableError) and error.status == 429 \
                    and error.retry_after is None:
                error.retry_after = self._bucket_wait(None)
            raise error
        try:
            payload = response.json()
            if not isinstance(payload, dict):
                raise ValueError("not an object")
        except ValueError:
            raise RetryableError(f"Shopify answered {operation} with something other than JSON",
                                 platform=PLATFORM) from None
        cost = (payload.get("extensions") or {}).get("cost") or {}
        self._note_cost(operation, cost)
        errors = payload.get("errors")
        if errors:
            raise self._graphql_error(operation, errors, cost)
        data = payload.get("data")
        if not isinstance(data, dict):
            raise FatalPlatformError(f"Shopify answered {operation} without data",
                                     platform=PLATFORM)
        return data

    def _note_cost(self, operation: str, cost: dict[str, Any]) -> None:
        if cost.get("requestedQueryCost") is not None:
            self._costs[operation] = float(cost["requestedQueryCost"])
        status = cost.get("throttleStatus")
        if status:
            self._bucket = _Bucket(float(status["currentlyAvailable"]),
                                   float(status["maximumAvailable"]),
                                   float(status["restoreRate"]), self.clock())

    def _bucket_wait(self, requested: float | None) -> float:
        """Seconds until the bucket holds ``requested`` points (or the last known need)."""
        if self._bucket is None:
            return DEFAULT_THROTTLE_WAIT
        needed = requested if requested is not None else max(self._costs.values(), default=0.0)
        missing = needed - self._bucket.available_at(self.clock())
        return max(1.0, missing / max(self._bucket.restore_rate, 1.0))

    def _graphql_error(self, operation: str, errors: Any, cost: dict[str, Any]) -> Exception:
        items = errors if isinstance(errors, list) else [{"message": str(errors)}]
        codes = {str((e.get("extensions") or {}).get("code", "")) for e in items
                 if isinstance(e, dict)}
        messages = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e)
                             for e in items)[:500]
        if "THROTTLED" in codes or messages.lower().startswith("throttled"):
            requested = cost.get("requestedQueryCost")
            wait = self._bucket_wait(float(requested) if requested is not None else None)
            return RetryableError(f"Shopify throttled {operation}", retry_after=wait,
                                  status=429, platform=PLATFORM)
        if "ACCESS_DENIED" in codes:
            return AuthError(f"Shopify denied {operation} (missing scope?): {messages}",
                             status=403, platform=PLATFORM)
        if codes & {"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"}:
            return RetryableError(f"Shopify failed on {operation}: {messages}",
                                  platform=PLATFORM)
        return FatalPlatformError(f"Shopify refused {operation}: {messages}", platform=PLATFORM)

    def _page(self, document: str, root: str,
              variables: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
        connection = self.graphql(document, variables)[root]
        info = connection["pageInfo"]
        return connection["nodes"], info["endCursor"] if info["hasNextPage"] else None

    def _rest_of(self, document: str, root: str, field_name: str, gid: str, after: str,
                 page_size: int) -> list[dict[str, Any]]:
        """The nodes of a nested connection past the first page (a product's many variants)."""
        nodes: list[dict[str, Any]] = []
        cursor: str | None = after
        while cursor:
            owner = self.graphql(document, {"id": gid, "first": page_size,
                                            "after": cursor})[root]
            if owner is None:  # deleted meanwhile
                break
            connection = owner[field_name]
            nodes.extend(connection["nodes"])
            info = connection["pageInfo"]
            cursor = info["endCursor"] if info["hasNextPage"] else None
        return nodes

    # ShopPlatform ------------------------------------------------------------------------------
    def shop_info(self) -> ShopInfo:
        shop = self.graphql(q.SHOP)["shop"]
        return ShopInfo(name=shop["name"], currency=shop["currencyCode"],
                        timezone=shop["ianaTimezone"], store_url=shop["primaryDomain"]["url"])

    def fetch(self, resource: str, *, updated_since: dt.datetime | None,
              cursor: str | None) -> Page:
        search = _since_filter(updated_since)
        if resource == "products":
            nodes, next_cursor = self._page(q.PRODUCTS, "products", {
                "first": q.PRODUCTS_PAGE, "after": cursor, "query": search,
                "variants": q.VARIANTS_FIRST})
            return Page([self._product(n) for n in nodes], next_cursor)
        if resource == "customers":
            nodes, next_cursor = self._page(q.CUSTOMERS, "customers", {
                "first": q.CUSTOMERS_PAGE, "after": cursor, "query": search})
            return Page([customer_from_node(n) for n in nodes], next_cursor)
        if resource == "orders":
            nodes, next_cursor = self._page(q.ORDERS, "orders", {
                "first": q.ORDERS_PAGE, "after": cursor, "query": search,
                "lines": q.LINE_ITEMS_FIRST, "fulfillments": q.FULFILLMENTS_FIRST,
                "tracking": q.TRACKING_FIRST})
            return Page([self._order(n) for n in nodes], next_cursor)
        raise ValueError(f"shopify has no resource {resource!r}; it syncs "
                         f"{', '.join(self.resources)}")

    def _product(self, node: dict[str, Any]) -> ProductData:
        variants = node["variants"]
        if variants["pageInfo"]["hasNextPage"]:
            extra = self._rest_of(q.PRODUCT_VARIANTS, "product", "variants", node["id"],
                                  variants["pageInfo"]["endCursor"], q.VARIANTS_PAGE)
            node = {**node, "variants": {**variants, "nodes": variants["nodes"] + extra}}
        return product_from_node(node)

    def _order(self, node: dict[str, Any]) -> OrderData:
        lines = node["lineItems"]
        if lines["pageInfo"]["hasNextPage"]:
            extra = self._rest_of(q.ORDER_LINE_ITEMS, "order", "lineItems", node["id"],
                                  lines["pageInfo"]["endCursor"], q.LINE_ITEMS_PAGE)
            node = {**node, "lineItems": {**lines, "nodes": lines["nodes"] + extra}}
        return order_from_node(node)

    # discounts ---------------------------------------------------------------------------------
    def read_discounts(self, updated_since: dt.datetime | None = None
                       ) -> list[events.DiscountChanged]:
        """Every code and automatic discount (changed since ``updated_since``)."""
        found: list[events.DiscountChanged] = []
        cursor: str | None = None
        while True:
            nodes, cursor = self._page(q.DISCOUNTS, "discountNodes", {
                "first": q.DISCOUNTS_PAGE, "after": cursor,
                "query": _since_filter(updated_since), **_DISCOUNT_SIZES})
            found.extend(discount_from_node(n) for n in nodes)
            if cursor is None:
                return found

    def fetch_discount(self, external_id: str) -> events.DiscountChanged | None:
        """One discount's details (a discounts/* webhook only carries its id and title)."""
        node = self.graphql(q.DISCOUNT, {"id": _discount_gid(external_id),
                                         **_ONE_DISCOUNT_SIZES})["discountNode"]
        return discount_from_node(node) if node else None

    def collection_products(self, collection_external_id: str) -> list[str]:
        """The ids of every product in a collection a discount applies to."""
        gid = (collection_external_id if collection_external_id.startswith("gid://")
               else f"gid://shopify/Collection/{rest_id(collection_external_id)}")
        first = self.graphql(q.COLLECTION_PRODUCTS, {"id": gid,
                                                     "first": q.COLLECTION_PRODUCTS_PAGE})
        collection = first["collection"]
        if collection is None:  # deleted meanwhile
            return []
        products = collection["products"]
        nodes = list(products["nodes"])
        if products["pageInfo"]["hasNextPage"]:
            nodes += self._rest_of(q.COLLECTION_PRODUCTS, "collection", "products", gid,
                                   products["pageInfo"]["endCursor"],
                                   q.COLLECTION_PRODUCTS_PAGE)
        return [gid_number(n["id"]) for n in nodes]

    # webhooks ----------------------------------------------------------------------------------
    def webhook_subscriptions(self) -> list[tuple[str, str | None]]:
        """(topic, callback URL) of every subscription this app holds on the shop."""
        found: list[tuple[str, str | None]] = []
        cursor: str | None = None
        while True:
            nodes, cursor = self._page(q.WEBHOOK_SUBSCRIPTIONS, "webhookSubscriptions",
                                       {"first": q.WEBHOOKS_PAGE, "after": cursor})
            found.extend((n["topic"], (n.get("endpoint") or {}).get("callbackUrl"))
                         for n in nodes)
            if cursor is None:
                return found

    def register_webhooks(self, delivery_url: str) -> list[str]:
        """Subscribe ``delivery_url`` to every topic not yet subscribed there; returns the topics
        created now (so a re-run creates nothing and returns [])."""
        existing = set(self.webhook_subscriptions())
        created = []
        for topic in WEBHOOK_TOPICS:
            if (topic, delivery_url) in existing:
                continue
            result = self.graphql(q.WEBHOOK_SUBSCRIPTION_CREATE, {
                "topic": topic,
                "webhookSubscription": {"callbackUrl": delivery_url, "format": "JSON"},
            })["webhookSubscriptionCreate"]
            problems = [e.get("message", "") for e in result.get("userErrors") or []]
            if any("taken" in p.lower() for p in problems):
                continue  # created by a concurrent run since we listed them
            if problems or not result.get("webhookSubscription"):
                raise FatalPlatformError(f"Shopify refused the {topic} webhook: "
                                         f"{'; '.join(problems) or 'no subscription returned'}",
                                         platform=PLATFORM)
            created.append(topic)
        if created:
            log.info("shop %s: webhooks subscribed: %s", self.shop.id, ", ".join(created))
        return created

    def repair_webhooks(self, delivery_url: str) -> list[str]:
        """Re-create the subscriptions Shopify dropped (it removes them after failed deliveries)."""
        return self.register_webhooks(delivery_url)

    @classmethod
    def webhook_secrets(cls, settings: Any, shop: Shop | None) -> list[str]:
        return settings.shopify_secrets()

    @classmethod
    def verify_webhook(cls, headers: Any, body: bytes, secrets: list[str]) -> WebhookMeta:
        """Base64 HMAC-SHA256 of the raw body in X-Shopify-Hmac-Sha256, with any app secret."""
        lower = _header_getter(headers)
        given = lower.get("x-shopify-hmac-sha256", "").strip()
        if not given:
            raise InvalidSignature("Shopify webhook without an X-Shopify-Hmac-Sha256 header")
        given_bytes = given.encode("utf-8", "replace")
        if not any(hmac.compare_digest(_webhook_digest(secret, body), given_bytes)
                   for secret in secrets):
            raise InvalidSignature("Shopify webhook signature does not match any app secret")
        topic = lower.get("x-shopify-topic", "").strip()
        delivery_id = (lower.get("x-shopify-webhook-id") or lower.get("x-shopify-event-id")
                       or "").strip()
        if not topic or not delivery_id:
            raise InvalidSignature("Shopify webhook without X-Shopify-Topic or "
                                   "X-Shopify-Webhook-Id header")
        shop_domain = lower.get("x-shopify-shop-domain", "").strip().lower() or None
        return WebhookMeta(delivery_id=delivery_id, topic=topic, shop_domain=shop_domain)

    @classmethod
    def parse_webhook(cls, topic: str, payload: Any) -> list[Any]:
        return parse_webhook(topic, payload)


def _discount_gid(external_id: str) -> str:
    if external_id.startswith("gid://"):
        return external_id
    if external_id.isdigit():  # a bare number: code discounts are the usual kind
        return f"gid://shopify/DiscountCodeNode/{external_id}"
    raise ValueError(f"not a Shopify discount id: {external_id!r}")


def _since_filter(since: dt.datetime | None) -> str | None:
    if since is None:
        return None
    moment = (since - SINCE_OVERLAP).astimezone(dt.UTC).replace(microsecond=0)
    return f"updated_at:>'{moment.isoformat().replace('+00:00', 'Z')}'"


def _webhook_digest(secret: str, body: bytes) -> bytes:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())



def _header_getter(headers: Any):
    """Something with a case-insensitive ``get``: werkzeug's request headers already are one
    (not copied on the webhook hot path); a plain mapping is lower-cased."""
    if hasattr(headers, "getlist"):
        return headers
    return {str(k).lower(): str(v) for k, v in headers.items()}
