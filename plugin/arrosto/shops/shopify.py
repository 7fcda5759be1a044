"""Shopify: the GraphQL Admin API connector, its access tokens, session tokens and webhooks.

API version: ``ARROSTO_SHOPIFY_API_VERSION`` (default 2025-10), registered with ShopifyAPI, whose
own list stops at 2024-10, and used for every call. Queries are in :mod:`.shopify_queries`,
validated against the 2025-01 schema. Follows these shopify.dev pages:

- GraphQL Admin API and its cost-based rate limits:
  https://shopify.dev/docs/api/admin-graphql, https://shopify.dev/docs/api/usage/limits,
  https://shopify.dev/docs/api/usage/pagination-graphql
- Token exchange (embedded apps):
  https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/token-exchange
- Expiring offline tokens and their refresh:
  https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/offline-access-tokens
- Authorization code grant:
  https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant
- Session tokens: https://shopify.dev/docs/apps/build/authentication-authorization/session-tokens
- Webhooks over HTTPS and their HMAC: https://shopify.dev/docs/apps/build/webhooks/subscribe/https
- Mandatory compliance webhooks: https://shopify.dev/docs/apps/build/compliance/privacy-law-compliance

ShopifyAPI keeps its session in class-level (and thread-local) state; :func:`_activated` sets it
for one call and restores what was there in a ``finally``. Its ``GraphQL.execute`` has no timeout
and prints error bodies to stdout, so :class:`_AdminGraphQL` sends the same request with a timeout.
"""
from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode, urlsplit

import jwt
import requests
import shopify
from sqlalchemy import select
from urllib3.util.retry import Retry

from .. import events, outbound
from ..errors import (
    AuthError,
    ConfigError,
    FatalPlatformError,
    InvalidSignature,
    RetryableError,
    error_for_status,
)
from ..events import CustomerData, FulfillmentData, LineData, OrderData, ProductData, VariantData
from ..models import Shop, utcnow
from . import shopify_queries as q
from .base import Page, ShopInfo, ShopPlatform, WebhookMeta, WebhookParseError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..db import Database
    from ..settings import Settings

log = logging.getLogger(__name__)

PLATFORM = "shopify"
TOKEN_HEADER = "X-Shopify-Access-Token"
REFRESH_MARGIN = dt.timedelta(minutes=5)  # refresh expiring tokens this long before they expire
SINCE_OVERLAP = dt.timedelta(minutes=5)  # read a little before the bookmark: clocks differ
GRAPHQL_TIMEOUT = 30.0
TOKEN_TIMEOUT = (5.0, 15.0)
SESSION_TOKEN_LEEWAY = 10  # seconds; App Bridge's clock and ours differ a little
OAUTH_MAX_AGE = dt.timedelta(minutes=10)
OAUTH_MAX_SKEW = dt.timedelta(minutes=1)
DEFAULT_THROTTLE_WAIT = 2.0

TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
OFFLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token"

# 5xx and dropped connections are retried by urllib3 (the first retry at once, then backing off);
# a refresh retried after a lost answer is safe: Shopify keeps the used refresh token valid until
# its replacement is first used.
TOKEN_RETRY = Retry(total=2, connect=2, read=1, status=2, backoff_factor=0.5,
                    status_forcelist=(500, 502, 503, 504), allowed_methods=frozenset({"POST"}),
                    raise_on_status=False, respect_retry_after_header=True)

WEBHOOK_TOPICS: tuple[str, ...] = (
    "PRODUCTS_CREATE", "PRODUCTS_UPDATE", "PRODUCTS_DELETE",
    "ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CANCELLED",
    "CUSTOMERS_UPDATE", "DISCOUNTS_CREATE", "DISCOUNTS_UPDATE", "DISCOUNTS_DELETE",
    "APP_UNINSTALLED",
)

_SHOP_DOMAIN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com")
_OPERATION = re.compile(r"\b(?:query|mutation)\s+(\w+)")

# GraphQL's displayFulfillmentStatus in the REST words webhooks use (None = unfulfilled)
_FULFILLMENT_STATUS = {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial",
                       "RESTOCKED": "restocked"}


# --- API version and ShopifyAPI's session ----------------------------------------------------

def api_version(settings: Settings) -> str:
    """Register the configured API version with ShopifyAPI (it knows up to 2024-10) and name it."""
    name = settings.shopify_api_version
    if name not in shopify.ApiVersion.versions:
        shopify.ApiVersion.define_version(shopify.Release(name))
    return name


class _Session(shopify.Session):
    """A ``shopify.Session`` whose site may live elsewhere than https://{shop} (the tests' fake)."""

    def __init__(self, domain: str, version: str, token: str, base_url: str | None = None):
        super().__init__(domain, version, token)
        self._base_url = base_url

    @property
    def site(self) -> str:
        if self._base_url:
            return self.version.api_path(self._base_url)
        return super().site


@contextlib.contextmanager
def _activated(session: shopify.Session) -> Iterator[None]:
    """ShopifyAPI's session for one call; whatever was active before is restored, even on error."""
    resource = shopify.ShopifyResource
    saved = (resource.site, resource.url, resource.version, resource.headers.get(TOKEN_HEADER))
    resource.activate_session(session)
    try:
        yield
    finally:
        site, url, version, token = saved
        if site is None:
            resource.clear_session()
        else:
            resource.site, resource.url, resource.version = site, url, version
            if token is None:
                resource.headers.pop(TOKEN_HEADER, None)
            else:
                resource.headers[TOKEN_HEADER] = token


class _AdminGraphQL(shopify.GraphQL):
    """ShopifyAPI's GraphQL client (endpoint, headers from the active session) with a timeout."""

    def execute(self, query: str, variables: dict | None = None,
                operation_name: str | None = None, *, timeout: float = GRAPHQL_TIMEOUT) -> str:
        headers = self.merge_headers({"Accept": "application/json",
                                      "Content-Type": "application/json"}, self.headers)
        data = {"query": query, "variables": variables, "operationName": operation_name}
        request = urllib.request.Request(self.endpoint, json.dumps(data).encode("utf-8"), headers)
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read().decode("utf-8")


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
    the wait the bucket asks for, if that is short enough.
    """

    name: ClassVar[str] = PLATFORM
    resources: ClassVar[tuple[str, ...]] = ("products", "customers", "orders")
    app_wide_webhook_secret: ClassVar[bool] = True  # signed with the app's client secret

    def __init__(self, shop: Shop, *, db: Database | None = None,
                 settings: Settings | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, base_url: str | None = None,
                 max_wait: float = 30.0, timeout: float = GRAPHQL_TIMEOUT):
        super().__init__(shop)
        if not valid_shop_domain(shop.domain):
            raise ConfigError(f"shop {shop.id}: {shop.domain!r} is not a myshopify.com domain")
        self._db = db
        self._settings = settings
        self.sleep = sleep
        self.clock = clock
        self.base_url = (base_url or f"https://{shop.domain}").rstrip("/")
        self.max_wait = max_wait
        self.timeout = timeout
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
        self._token, self._token_good_until = _current_token(self.db, self.shop.id,
                                                             self.settings, now)
        return self._token

    # GraphQL -----------------------------------------------------------------------------------
    def graphql(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run one document and return its ``data``; errors become our error types."""
        found = _OPERATION.search(document)
        operation = found.group(1) if found else "anonymous"
        waited = False
        while True:
            self._wait_for_bucket(operation)
            try:
                return self._send(document, variables, operation)
            except RetryableError as exc:
                short = exc.retry_after is not None and exc.retry_after <= self.max_wait
                if exc.status != 429 or waited or not short:
                    raise
                log.info("shop %s throttled on %s; waiting %.1fs", self.shop.id, operation,
                         exc.retry_after)
                self.sleep(exc.retry_after)
                waited = True

    def _wait_for_bucket(self, operation: str) -> None:
        needed = self._costs.get(operation)
        if self._bucket is None or needed is None:
            return
        missing = needed - self._bucket.available_at(self.clock())
        if missing <= 0.5:  # half a point: milliseconds at any plan's restore rate
            return
        wait = missing / max(self._bucket.restore_rate, 1.0)
        if wait > self.max_wait:
            raise RetryableError(f"Shopify cost bucket of shop {self.shop.id} is low",
                                 retry_after=wait, status=429, platform=PLATFORM)
        self.sleep(wait)

    def _send(self, document: str, variables: dict[str, Any] | None,
              operation: str) -> dict[str, Any]:
        session = _Session(self.shop.domain, api_version(self.settings),
                           self.valid_access_token(), base_url=self.base_url)
        try:
            with _activated(session):
                body = _AdminGraphQL().execute(document, variables, operation,
                                               timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            retry_after = _retry_after_header(exc.headers)
            if exc.code == 429 and retry_after is None:
                retry_after = self._bucket_wait(None)
            raise error_for_status(exc.code, f"Shopify answered HTTP {exc.code} to {operation}",
                                   platform=PLATFORM, retry_after=retry_after) from None
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, resets
            raise RetryableError(f"Shopify cannot be reached ({type(exc).__name__})",
                                 platform=PLATFORM) from None
        try:
            payload = json.loads(body)
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
        if not isinstance(payload, dict):
            raise WebhookParseError(f"{topic}: the body is a {type(payload).__name__}, "
                                    "not a JSON object")
        parse = _WEBHOOK_PARSERS.get(topic.strip().lower())
        if parse is None:
            return []
        try:
            return parse(payload)
        except WebhookParseError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation) as exc:
            raise WebhookParseError(f"{topic}: unexpected body ({type(exc).__name__}: "
                                    f"{exc})") from None


# --- GraphQL nodes to our records --------------------------------------------------------------

def product_from_node(node: dict[str, Any]) -> ProductData:
    return ProductData(
        external_id=gid_number(node["id"]), title=node["title"], handle=node.get("handle"),
        vendor=node.get("vendor") or None, product_type=node.get("productType") or None,
        tags=list(node.get("tags") or []), description=html_text(node.get("descriptionHtml")),
        status=(node.get("status") or "ACTIVE").lower(), url=node.get("onlineStoreUrl"),
        updated_at=parse_time(node.get("updatedAt")),
        variants=[VariantData(
            external_id=gid_number(v["id"]), title=v.get("title") or "", sku=v.get("sku") or None,
            price=_money(v.get("price")), compare_at_price=_money(v.get("compareAtPrice")),
            inventory_quantity=v.get("inventoryQuantity"))
            for v in node["variants"]["nodes"]])


def customer_from_node(node: dict[str, Any]) -> CustomerData:
    address = node.get("defaultAddress") or {}
    consent = node.get("emailMarketingConsent") or {}
    return CustomerData(
        external_id=gid_number(node["id"]), email=node.get("email") or None,
        first_name=node.get("firstName"), last_name=node.get("lastName"),
        phone=node.get("phone"), city=address.get("city"), postcode=address.get("zip"),
        accepts_marketing=consent.get("marketingState") == "SUBSCRIBED",
        updated_at=parse_time(node.get("updatedAt")))


def order_from_node(node: dict[str, Any]) -> OrderData:
    ship = node.get("shippingAddress") or {}
    money = node["totalPriceSet"]["shopMoney"]
    visit = (node.get("customerJourneySummary") or {}).get("lastVisit") or {}
    customer = node.get("customer")
    return OrderData(
        external_id=gid_number(node["id"]), name=node["name"], number=order_number(node["name"]),
        created_at=_required_time(node["createdAt"]), updated_at=parse_time(node.get("updatedAt")),
        customer_external_id=gid_number(customer["id"]) if customer else None,
        email=node.get("email") or None, shipping_name=ship.get("name"),
        shipping_postcode=ship.get("zip"), shipping_city=ship.get("city"),
        financial_status=_lower(node.get("displayFinancialStatus")),
        fulfillment_status=_FULFILLMENT_STATUS.get(node.get("displayFulfillmentStatus") or ""),
        cancelled_at=parse_time(node.get("cancelledAt")),
        cancel_reason=_lower(node.get("cancelReason")),
        total_price=_money(money["amount"]) or Decimal("0"),
        currency=money.get("currencyCode") or node.get("currencyCode") or "EUR",
        discount_codes=list(node.get("discountCodes") or []),
        landing_site=visit.get("landingPage"),
        lines=[LineData(
            title=li["title"], quantity=li.get("quantity", 1),
            price=_money(li["originalUnitPriceSet"]["shopMoney"]["amount"]) or Decimal("0"),
            external_product_id=gid_number(li["product"]["id"]) if li.get("product") else None,
            variant_title=li.get("variantTitle"), sku=li.get("sku") or None)
            for li in node["lineItems"]["nodes"]],
        fulfillments=[_fulfillment_from_node(f) for f in node.get("fulfillments") or []])


def _fulfillment_from_node(node: dict[str, Any]) -> FulfillmentData:
    tracking = (node.get("trackingInfo") or [{}])[0] or {}
    return FulfillmentData(
        external_id=gid_number(node["id"]), status=_lower(node.get("status")),
        shipment_status=_lower(node.get("displayStatus")), tracking_company=tracking.get("company"),
        tracking_number=tracking.get("number"), tracking_url=tracking.get("url"),
        created_at=parse_time(node.get("createdAt")))


_DISCOUNT_SIZES = {"products": q.DISCOUNT_PRODUCTS_FIRST, "variants": q.DISCOUNT_VARIANTS_FIRST,
                   "collections": q.DISCOUNT_COLLECTIONS_FIRST}
_ONE_DISCOUNT_SIZES = {"products": q.DISCOUNT_ONE_PRODUCTS_FIRST,
                       "variants": q.DISCOUNT_ONE_VARIANTS_FIRST,
                       "collections": q.DISCOUNT_ONE_COLLECTIONS_FIRST}


def discount_from_node(node: dict[str, Any]) -> events.DiscountChanged:
    """A discount node (code or automatic; its id kept whole, since it names the kind)."""
    discount = node.get("discount") or {}
    codes = (discount.get("codes") or {}).get("nodes") or []
    gets = discount.get("customerGets") or {}
    value, amount = _discount_value(gets.get("value") or {}, discount.get("__typename", ""))
    items = gets.get("items") or {}
    products = [gid_number(p["id"]) for p in (items.get("products") or {}).get("nodes") or []]
    products += [gid_number(v["product"]["id"])  # a discount on some variants: their products
                 for v in (items.get("productVariants") or {}).get("nodes") or []]
    return events.DiscountChanged(
        external_id=node["id"], title=discount.get("title") or "",
        code=codes[0]["code"] if codes else None, value=value, amount=amount,
        starts_at=parse_time(discount.get("startsAt")), ends_at=parse_time(discount.get("endsAt")),
        product_external_ids=list(dict.fromkeys(products)),
        collection_external_ids=[gid_number(c["id"]) for c in
                                 (items.get("collections") or {}).get("nodes") or []],
        applies_to_all=bool(items.get("allItems")),
        active=discount.get("status") == "ACTIVE")


def _discount_value(value: dict[str, Any], typename: str) -> tuple[str | None, Decimal | None]:
    """("10%", 10) for a percentage, ("5.00 EUR", 5.00) for an amount off."""
    if value.get("percentage") is not None:
        percent = (Decimal(str(value["percentage"])) * 100).normalize()
        return f"{percent:f}%", percent
    if value.get("amount"):
        money = value["amount"]
        return f"{money['amount']} {money['currencyCode']}", _money(money["amount"])
    if "FreeShipping" in typename:
        return "free shipping", None
    return None, None


def _discount_gid(external_id: str) -> str:
    if external_id.startswith("gid://"):
        return external_id
    if external_id.isdigit():  # a bare number: code discounts are the usual kind
        return f"gid://shopify/DiscountCodeNode/{external_id}"
    raise ValueError(f"not a Shopify discount id: {external_id!r}")


# --- webhook bodies (REST-shaped) to our records ----------------------------------------------

def product_from_rest(p: dict[str, Any]) -> ProductData:
    return ProductData(
        external_id=rest_id(p["id"]), title=_required_str(p, "title"), handle=p.get("handle"),
        vendor=p.get("vendor") or None, product_type=p.get("product_type") or None,
        tags=_rest_tags(p.get("tags")), description=html_text(p.get("body_html")),
        status=(p.get("status") or "active").lower(), url=None,
        updated_at=parse_time(p.get("updated_at")),
        variants=[VariantData(
            external_id=rest_id(v["id"]), title=v.get("title") or "", sku=v.get("sku") or None,
            price=_money(v.get("price")), compare_at_price=_money(v.get("compare_at_price")),
            inventory_quantity=v.get("inventory_quantity"))
            for v in p.get("variants") or []])


def customer_from_rest(c: dict[str, Any]) -> CustomerData:
    address = c.get("default_address") or {}
    consent = c.get("email_marketing_consent") or {}
    return CustomerData(
        external_id=rest_id(c["id"]), email=c.get("email") or None,
        first_name=c.get("first_name"), last_name=c.get("last_name"), phone=c.get("phone"),
        city=address.get("city"), postcode=address.get("zip"),
        accepts_marketing=bool(c.get("accepts_marketing")) or consent.get("state") == "subscribed",
        updated_at=parse_time(c.get("updated_at")))


def order_from_rest(o: dict[str, Any]) -> OrderData:
    ship = o.get("shipping_address") or {}
    customer = o.get("customer") or {}
    name = _required_str(o, "name")
    return OrderData(
        external_id=rest_id(o["id"]), name=name,
        number=int(o["order_number"]) if o.get("order_number") else order_number(name),
        created_at=_required_time(o["created_at"]), updated_at=parse_time(o.get("updated_at")),
        customer_external_id=rest_id(customer["id"]) if customer.get("id") else None,
        email=o.get("email") or None, shipping_name=ship.get("name"),
        shipping_postcode=ship.get("zip"), shipping_city=ship.get("city"),
        financial_status=o.get("financial_status"), fulfillment_status=o.get("fulfillment_status"),
        cancelled_at=parse_time(o.get("cancelled_at")), cancel_reason=o.get("cancel_reason"),
        total_price=_money(o.get("total_price")) or Decimal("0"),
        currency=o.get("currency") or "EUR",
        discount_codes=[d["code"] for d in o.get("discount_codes") or [] if d.get("code")],
        landing_site=o.get("landing_site"),
        lines=[LineData(
            title=li["title"], quantity=int(li.get("quantity", 1)),
            price=_money(li.get("price")) or Decimal("0"),
            external_product_id=rest_id(li["product_id"]) if li.get("product_id") else None,
            variant_title=li.get("variant_title"), sku=li.get("sku") or None)
            for li in o.get("line_items") or []],
        fulfillments=[FulfillmentData(
            external_id=rest_id(f["id"]), status=f.get("status"),
            shipment_status=f.get("shipment_status"), tracking_company=f.get("tracking_company"),
            tracking_number=f.get("tracking_number"), tracking_url=f.get("tracking_url"),
            created_at=parse_time(f.get("created_at"))) for f in o.get("fulfillments") or []])


def _discount_from_webhook(p: dict[str, Any]) -> list[Any]:
    """discounts/create, /update and /delete name the discount only (id, title, status, times):
    ``details=False`` has its details read with :meth:`ShopifyShop.fetch_discount`."""
    gid = p.get("admin_graphql_api_id")
    if not isinstance(gid, str) or not gid.startswith("gid://"):
        raise WebhookParseError("discount webhook without an admin_graphql_api_id")
    return [events.DiscountChanged(external_id=gid, title=str(p.get("title") or ""),
                                   active=str(p.get("status") or "").upper() == "ACTIVE",
                                   details=False)]


def _data_request(p: dict[str, Any]) -> list[Any]:
    customer = _dict(p.get("customer"))
    return [events.CustomerDataRequest(
        customer_external_id=_optional_id(customer.get("id")), email=customer.get("email"),
        order_external_ids=[rest_id(i) for i in p.get("orders_requested") or []],
        request_id=_optional_id(_dict(p.get("data_request")).get("id")))]


def _customer_redact(p: dict[str, Any]) -> list[Any]:
    customer = _dict(p.get("customer"))
    return [events.CustomerRedact(
        customer_external_id=_optional_id(customer.get("id")), email=customer.get("email"),
        order_external_ids=[rest_id(i) for i in p.get("orders_to_redact") or []])]


_WEBHOOK_PARSERS: dict[str, Callable[[dict[str, Any]], list[Any]]] = {
    "products/create": lambda p: [events.ProductChanged(product_from_rest(p))],
    "products/update": lambda p: [events.ProductChanged(product_from_rest(p))],
    "products/delete": lambda p: [events.ProductDeleted(rest_id(p["id"]))],
    "orders/create": lambda p: [events.OrderChanged(order_from_rest(p))],
    "orders/updated": lambda p: [events.OrderChanged(order_from_rest(p))],
    "orders/cancelled": lambda p: [events.OrderChanged(order_from_rest(p))],
    "customers/create": lambda p: [events.CustomerChanged(customer_from_rest(p))],
    "customers/update": lambda p: [events.CustomerChanged(customer_from_rest(p))],
    "discounts/create": _discount_from_webhook,
    "discounts/update": _discount_from_webhook,
    "discounts/delete": _discount_from_webhook,
    "customers/data_request": _data_request,
    "customers/redact": _customer_redact,
    "shop/redact": lambda p: [events.ShopRedact()],
    "app/uninstalled": lambda p: [events.AppUninstalled()],
}


# --- small conversions ------------------------------------------------------------------------

def gid_number(gid: str) -> str:
    """``gid://shopify/Product/123`` → ``"123"``: the id webhooks (REST-shaped) use too."""
    text = str(gid)
    if not text.startswith("gid://"):
        return text
    return text.rsplit("/", 1)[-1].split("?", 1)[0]


def rest_id(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise WebhookParseError(f"not a Shopify id: {value!r}")
    return str(int(value))


def _optional_id(value: Any) -> str | None:
    return None if value in (None, "") else rest_id(value)


def order_number(name: str) -> int | None:
    """The number in an order name ("#1001", "EU1001-B" → 1001): its longest run of digits."""
    runs = re.findall(r"\d+", name or "")
    return int(max(runs, key=len)) if runs else None


def parse_time(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _required_time(value: Any) -> dt.datetime:
    parsed = parse_time(value)
    if parsed is None:
        raise ValueError("missing time")
    return parsed


def _required_str(record: dict[str, Any], key: str) -> str:
    value = record[key]
    if not isinstance(value, str):
        raise ValueError(f"{key} is not a string")
    return value


def _money(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _lower(value: str | None) -> str | None:
    return value.lower() if value else None


def _dict(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"expected an object, got {type(value).__name__}")
    return value


def _rest_tags(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(t).strip() for t in value if str(t).strip()]
    return [t.strip() for t in str(value or "").split(",") if t.strip()]


def _since_filter(since: dt.datetime | None) -> str | None:
    if since is None:
        return None
    moment = (since - SINCE_OVERLAP).astimezone(dt.UTC).replace(microsecond=0)
    return f"updated_at:>'{moment.isoformat().replace('+00:00', 'Z')}'"


def _retry_after_header(headers: Any) -> float | None:
    try:
        value = headers.get("Retry-After") if headers is not None else None
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(html: str | None) -> str | None:
    """Plain text of a product description, the same from GraphQL's descriptionHtml and a
    webhook's body_html."""
    if not html:
        return None
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split()) or None


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


def _webhook_digest(secret: str, body: bytes) -> bytes:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())


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


def _http() -> requests.Session:
    # the host is a checked *.myshopify.com name; the guard costs nothing and keeps one rule
    return outbound.session(retries=TOKEN_RETRY)


def _token_request(shop_domain: str, body: dict[str, str], now: dt.datetime | None,
                   what: str) -> TokenSet:
    if not valid_shop_domain(shop_domain):
        raise InvalidSignature(f"{shop_domain!r} is not a myshopify.com shop domain")
    try:
        with _http() as http:
            response = http.post(f"https://{shop_domain}/admin/oauth/access_token", json=body,
                                 headers={"Accept": "application/json"}, timeout=TOKEN_TIMEOUT)
    except requests.RequestException as exc:
        raise RetryableError(f"Shopify's token endpoint for {shop_domain} cannot be reached "
                             f"({type(exc).__name__})", platform=PLATFORM) from None
    status = response.status_code
    if status != 200:
        reason = _oauth_reason(response)
        message = f"Shopify refused the {what} for {shop_domain} (HTTP {status}{reason})"
        if 400 <= status < 500 and status not in (408, 429):
            raise AuthError(message, status=status, platform=PLATFORM)
        raise error_for_status(status, message, platform=PLATFORM,
                               retry_after=_retry_after_header(response.headers))
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
    return _current_token(db, shop_id, settings, now or utcnow())[0]


def _current_token(db: Database, shop_id: int, settings: Settings,
                   now: dt.datetime) -> tuple[str, dt.datetime | None]:
    """(token, time until which it needs no refresh, None for a token that never expires)."""
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
                }, now, "token refresh")
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



def _header_getter(headers: Any):
    """Something with a case-insensitive ``get``: werkzeug's request headers already are one
    (not copied on the webhook hot path); a plain mapping is lower-cased."""
    if hasattr(headers, "getlist"):
        return headers
    return {str(k).lower(): str(v) for k, v in headers.items()}
