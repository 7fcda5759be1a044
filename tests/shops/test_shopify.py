"""Contract tests of the Shopify connector.

GraphQL goes over real HTTP, through the shop's session, to a loopback fake (``shopify_fake``)
that executes each document against Shopify's 2025-01 schema; the token endpoint is answered with
``responses``. Webhook bodies are the recorded fixtures of ``fixtures/shopify``. What every
connector does (401, 429 with Retry-After, 5xx, timeouts, bad config) is
``tests/test_conformance.py``'s; this file keeps Shopify's own behaviour.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import jwt
import pytest
import responses
import shopify
from graphql import TypeInfo, TypeInfoVisitor, Visitor, parse, validate, visit
from sqlalchemy import func, select, text
from urllib3.util.retry import Retry

from arrosto import crypto, events
from arrosto.errors import AuthError, FatalPlatformError, InvalidSignature, RetryableError
from arrosto.models import Order, Product, Shop, SyncBookmark
from arrosto.shops import PLATFORMS, platform_for, register
from arrosto.shops import shopify as sm
from arrosto.shops import shopify_auth as auth
from arrosto.shops import shopify_queries as q
from arrosto.shops import shopify_records as records
from arrosto.shops.base import WebhookParseError
from arrosto.shops.shopify import ShopifyShop
from arrosto.shops.sync import sync_resource

from ..factories import make_shop
from .shopify_fake import (
    FakeShopify,
    admin_schema,
    code_discount_node,
    customer_node,
    money_bag,
    order_node,
    paged,
    product_node,
    requested_cost,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "shopify"
API_KEY = "arrosto-client-id"
SECRET = "current-app-secret-0123456789abcdef"
OLD_SECRET = "previous-app-secret-0123456789abcdef"
DOMAIN = "caffe-rossi.myshopify.com"
TOKEN_URL = f"https://{DOMAIN}/admin/oauth/access_token"
NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# --- fixtures ----------------------------------------------------------------------------------

@pytest.fixture
def app(make_app):
    """The app with a Shopify app configured (and an old secret, as during a rotation)."""
    register(ShopifyShop)
    return make_app(shopify_api_key=API_KEY, shopify_api_secret=SECRET,
                    shopify_api_secret_old=OLD_SECRET)


@pytest.fixture
def cfg(app):
    return app.config["ARROSTO"]


@pytest.fixture
def fake():
    with FakeShopify() as running:
        yield running


@pytest.fixture
def shop_id(db, fake) -> int:
    return make_shop(db, DOMAIN, access_token=fake.token)


class FakeTime:
    """Injected into the connector: sleeping records the wait and moves the clock on."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def timer() -> FakeTime:
    return FakeTime()


@pytest.fixture
def waits(timer) -> list[float]:
    return timer.waits


def connect(db, cfg, fake, shop_id, timer, **kw) -> ShopifyShop:
    with db.transaction() as s:
        shop = s.get(Shop, shop_id)
    return ShopifyShop(shop, db=db, settings=cfg, base_url=fake.url, sleep=timer.sleep,
                       clock=timer.clock, **kw)


@pytest.fixture
def platform(db, cfg, fake, shop_id, timer) -> ShopifyShop:
    return connect(db, cfg, fake, shop_id, timer)


@pytest.fixture
def no_backoff(monkeypatch):
    monkeypatch.setattr(auth, "TOKEN_RETRY", Retry(
        total=2, connect=2, read=1, status=2, backoff_factor=0,
        status_forcelist=(500, 502, 503, 504), allowed_methods=frozenset({"POST"}),
        raise_on_status=False))


# --- the documents ---------------------------------------------------------------------------

PAGE_VARIABLES = {
    "ArrostoProducts": {"first": q.PRODUCTS_PAGE, "variants": q.VARIANTS_FIRST},
    "ArrostoProductVariants": {"id": "gid://shopify/Product/1", "first": q.VARIANTS_PAGE},
    "ArrostoCustomers": {"first": q.CUSTOMERS_PAGE},
    "ArrostoOrders": {"first": q.ORDERS_PAGE, "lines": q.LINE_ITEMS_FIRST,
                      "fulfillments": q.FULFILLMENTS_FIRST, "tracking": q.TRACKING_FIRST},
    "ArrostoOrderLineItems": {"id": "gid://shopify/Order/1", "first": q.LINE_ITEMS_PAGE},
    "ArrostoShop": {},
    "ArrostoDiscounts": {"first": q.DISCOUNTS_PAGE, "products": q.DISCOUNT_PRODUCTS_FIRST,
                         "variants": q.DISCOUNT_VARIANTS_FIRST,
                         "collections": q.DISCOUNT_COLLECTIONS_FIRST},
    "ArrostoDiscount": {"id": "gid://shopify/DiscountCodeNode/1",
                        "products": q.DISCOUNT_ONE_PRODUCTS_FIRST,
                        "variants": q.DISCOUNT_ONE_VARIANTS_FIRST,
                        "collections": q.DISCOUNT_ONE_COLLECTIONS_FIRST},
    "ArrostoCollectionProducts": {"id": "gid://shopify/Collection/1",
                                  "first": q.COLLECTION_PRODUCTS_PAGE},
    "ArrostoWebhookSubscriptions": {"first": q.WEBHOOKS_PAGE},
    "ArrostoWebhookSubscriptionCreate": {
        "topic": "PRODUCTS_CREATE",
        "webhookSubscription": {"callbackUrl": "https://a.example/webhooks/shopify",
                                "format": "JSON"}},
}


@pytest.mark.parametrize("name", sorted(q.DOCUMENTS))
def test_every_document_validates_against_the_2025_01_schema(name):
    document = parse(q.DOCUMENTS[name])
    assert [e.message for e in validate(admin_schema(), document)] == []
    assert document.definitions[0].name.value == name


@pytest.mark.parametrize("name", sorted(q.DOCUMENTS))
def test_every_document_stays_under_the_single_query_cost_limit(name):
    cost = requested_cost(admin_schema(), q.DOCUMENTS[name], PAGE_VARIABLES[name], name)
    assert 0 < cost <= 1000


def test_only_known_deprecated_fields_are_used():
    """2025-01 deprecates ``Customer.email`` and ``Customer.emailMarketingConsent`` in favour of
    ``Customer.defaultEmailAddress`` (added in 2025-04, so not in this schema), and 2025-10
    deprecates ``WebhookSubscriptionInput.callbackUrl`` and ``WebhookSubscription.endpoint`` in
    favour of ``uri``. They are still served; any other deprecated field must not creep in."""
    schema = admin_schema()
    used: set[str] = set()

    class Deprecated(Visitor):
        def enter_field(self, node, *_):
            parent, definition = type_info.get_parent_type(), type_info.get_field_def()
            if definition is not None and definition.deprecation_reason:
                used.add(f"{parent.name}.{node.name.value}")

    for document in q.DOCUMENTS.values():
        type_info = TypeInfo(schema)
        visit(parse(document), TypeInfoVisitor(type_info, Deprecated()))
    assert used == {"Customer.email", "Customer.emailMarketingConsent"}
    assert schema.get_type("WebhookSubscription").fields["callbackUrl"].deprecation_reason


def test_webhook_topics_exist_in_the_schema_enum():
    topics = admin_schema().get_type("WebhookSubscriptionTopic").values
    assert set(sm.WEBHOOK_TOPICS) <= set(topics)


# --- API version and the shop's session ------------------------------------------------------

def test_the_configured_api_version_is_used(platform, fake, cfg):
    assert cfg.shopify_api_version > "2024-10"  # newer than ShopifyAPI 12.7 knows
    info = platform.shop_info()
    assert (info.name, info.currency, info.timezone, info.store_url) == (
        "Caffè Rossi", "EUR", "Europe/Rome", "https://caffe.example")
    [call] = fake.requests
    assert call.path == f"/admin/api/{cfg.shopify_api_version}/graphql.json"
    assert call.headers["X-Shopify-Access-Token"] == fake.token
    assert call.headers["User-Agent"].startswith("Arrosto/")


def test_each_shop_sends_its_own_token_through_its_own_session(db, cfg, fake, shop_id, timer):
    ours = connect(db, cfg, fake, shop_id, timer)
    other = connect(db, cfg, fake, make_shop(db, "altro.myshopify.com",
                                              access_token="shpat_another_shop"), timer)
    assert ours.http is not other.http
    ours.shop_info()
    with pytest.raises(AuthError):  # the fake knows only our token
        other.shop_info()
    ours.shop_info()
    assert [r.headers["X-Shopify-Access-Token"] for r in fake.requests] == [
        fake.token, "shpat_another_shop", fake.token]


# --- sync --------------------------------------------------------------------------------------

def test_first_sync_of_260_products_over_three_pages(platform, fake, db, shop_id):
    fake.products = [product_node(i, variants=9 if i % 50 == 0 else 2) for i in range(260)]
    result = sync_resource(db, shop_id, platform, "products")
    assert (result.items, result.pages, result.resumed) == (260, 3, False)
    pages = fake.calls("ArrostoProducts")
    assert [p.variables["after"] is None for p in pages] == [True, False, False]
    assert all(p.variables["first"] == q.PRODUCTS_PAGE for p in pages)
    # six products have more variants than a page carries: read by the follow-up query
    assert len(fake.calls("ArrostoProductVariants")) == 6
    with db.transaction(shop_id) as s:
        assert s.scalar(select(func.count(Product.id))) == 260
        big = s.scalar(select(Product).where(Product.external_id == "1050"))
        assert len(big.variants) == 9
        assert big.title == "Miscela 50" and big.description == "Tostatura media n. 50"
        assert big.tags == ["espresso", "arabica"] and big.status == "active"
        assert big.price == Decimal("12.50") and big.url.endswith("/miscela-50")
        mark = s.scalar(select(SyncBookmark).where(SyncBookmark.resource == "products"))
        assert mark.cursor is None and mark.updated_since is not None


def test_interrupted_sync_resumes_from_its_bookmark(platform, fake, db, shop_id):
    fake.products = [product_node(i) for i in range(260)]
    fake.script(503, {"errors": "Service Unavailable"}, after=1)  # page 1 fine, page 2 fails
    with pytest.raises(RetryableError):
        sync_resource(db, shop_id, platform, "products")
    first_page = fake.calls("ArrostoProducts")[0]
    with db.transaction(shop_id) as s:
        mark = s.scalar(select(SyncBookmark).where(SyncBookmark.resource == "products"))
        assert mark.cursor is not None and mark.items_synced == 100
        assert mark.updated_since is None  # only a finished run moves it
        assert s.scalar(select(func.count(Product.id))) == 100
        cursor = mark.cursor
    assert first_page.variables["after"] is None
    fake.requests.clear()
    resumed = sync_resource(db, shop_id, platform, "products")
    assert (resumed.resumed, resumed.items, resumed.pages) == (True, 160, 2)
    assert fake.calls("ArrostoProducts")[0].variables["after"] == cursor
    with db.transaction(shop_id) as s:
        assert s.scalar(select(func.count(Product.id))) == 260


def test_max_pages_stops_and_the_next_run_resumes(platform, fake, db, shop_id):
    fake.products = [product_node(i) for i in range(250)]
    stopped = sync_resource(db, shop_id, platform, "products", max_pages=1)
    assert (stopped.items, stopped.pages) == (100, 1)
    rest = sync_resource(db, shop_id, platform, "products")
    assert (rest.resumed, rest.items, rest.pages) == (True, 150, 2)


def test_incremental_sync_asks_only_for_changes(platform, fake, db, shop_id):
    fake.products = [product_node(i) for i in range(3)]
    sync_resource(db, shop_id, platform, "products")
    changed = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)).isoformat()
    fake.products[1] = product_node(1, updated_at=changed, status="DRAFT")
    fake.requests.clear()
    again = sync_resource(db, shop_id, platform, "products")
    assert (again.items, again.pages) == (1, 1)
    [call] = fake.calls("ArrostoProducts")
    assert call.variables["query"].startswith("updated_at:>'")
    with db.transaction(shop_id) as s:
        assert s.scalar(select(Product.status).where(Product.external_id == "1001")) == "draft"


def test_customers_page(platform, fake):
    fake.customers = [customer_node(0, updated_at="2025-06-01T11:58:00Z"),  # in the overlap
                      customer_node(1, updated_at="2025-06-02T08:00:00Z", subscribed=False),
                      customer_node(2)]  # unchanged since 2024
    page = platform.fetch("customers", updated_since=NOW, cursor=None)
    assert page.next_cursor is None
    first, second = page.items
    assert (first.external_id, first.email, first.city, first.postcode) == (
        "7000", "cliente0@example.com", "Torino", "10121")
    assert first.accepts_marketing is True and second.accepts_marketing is False
    assert fake.calls("ArrostoCustomers")[0].variables["query"] == \
        "updated_at:>'2025-06-01T11:55:00Z'"  # five minutes of overlap before the bookmark


def test_orders_sync_reads_every_line_of_long_orders(platform, fake, db, shop_id):
    fake.products = [product_node(1)]
    fake.customers = [customer_node(3)]
    fake.orders = [order_node(i, lines=12 if i == 3 else 2) for i in range(20)]
    for resource in ("products", "customers", "orders"):
        sync_resource(db, shop_id, platform, resource)
    assert len(fake.calls("ArrostoOrders")) == 2  # 15 a page
    assert len(fake.calls("ArrostoOrderLineItems")) == 1
    with db.transaction(shop_id) as s:
        order = s.scalar(select(Order).where(Order.external_id == "5003"))
        assert (order.name, order.number, order.total_price, order.currency) == (
            "#1003", 1003, Decimal("24.50"), "EUR")
        assert len(order.lines) == 12 and order.lines[0].product_id is not None
        assert order.customer_id is not None
        assert order.financial_status == "paid" and order.fulfillment_status == "fulfilled"
        assert order.discount_codes == ["ESTATE10"]
        assert "utm_source=bluesky" in order.landing_site
        [shipped] = order.fulfillments
        assert (shipped.tracking_company, shipped.tracking_number, shipped.shipment_status) == (
            "BRT", "BRT000003", "in_transit")


def test_graphql_and_webhook_agree_on_a_product(platform, fake):
    """Built from the recorded REST product: GraphQL (through the schema) and the webhook body
    must give the same record."""
    rest = fixture("rest/product.json")["product"]
    fake.products = [{
        "id": f"gid://shopify/Product/{rest['id']}", "title": rest["title"],
        "handle": rest["handle"], "vendor": rest["vendor"] or "",
        "productType": rest["product_type"], "tags": [t.strip() for t in rest["tags"].split(",")],
        "descriptionHtml": rest["body_html"], "status": "ACTIVE", "onlineStoreUrl": None,
        "updatedAt": rest["updated_at"],
        "variants": paged([{
            "id": f"gid://shopify/ProductVariant/{v['id']}", "title": v["title"], "sku": v["sku"],
            "price": v["price"], "compareAtPrice": v["compare_at_price"],
            "inventoryQuantity": v["inventory_quantity"]} for v in rest["variants"]])}]
    [from_graphql] = platform.fetch("products", updated_since=None, cursor=None).items
    assert from_graphql == records.product_from_rest(rest)
    assert from_graphql.external_id == "632910392"
    assert from_graphql.description.startswith("It's the small iPod with one very big idea")


def test_graphql_and_webhook_agree_on_an_order(platform, fake):
    rest = fixture("rest/order.json")["order"]
    ship = rest["shipping_address"]
    fake.orders = [{
        "id": f"gid://shopify/Order/{rest['id']}", "name": rest["name"], "email": rest["email"],
        "createdAt": rest["created_at"], "updatedAt": rest["updated_at"], "cancelledAt": None,
        "cancelReason": None, "displayFinancialStatus": rest["financial_status"].upper(),
        "displayFulfillmentStatus": "UNFULFILLED", "currencyCode": rest["currency"],
        "discountCodes": [d["code"] for d in rest["discount_codes"]],
        "customer": {"id": f"gid://shopify/Customer/{rest['customer']['id']}"},
        "totalPriceSet": money_bag(rest["total_price"], rest["currency"]),
        "shippingAddress": {"name": ship["name"], "zip": ship["zip"], "city": ship["city"]},
        "customerJourneySummary": {"lastVisit": {"landingPage": rest["landing_site"]}},
        "lineItems": paged([{
            "title": li["title"], "quantity": li["quantity"], "sku": li["sku"],
            "variantTitle": li["variant_title"], "originalUnitPriceSet": money_bag(li["price"]),
            "product": {"id": f"gid://shopify/Product/{li['product_id']}"}}
            for li in rest["line_items"]]),
        "fulfillments": lambda _info, first=None: [{
            "id": f"gid://shopify/Fulfillment/{f['id']}", "status": f["status"].upper(),
            "displayStatus": None, "createdAt": f["created_at"],
            "trackingInfo": lambda _i, first=None, f=f: [{
                "company": f["tracking_company"], "number": f["tracking_number"],
                "url": f["tracking_url"]}]} for f in rest["fulfillments"]]}]
    [from_graphql] = platform.fetch("orders", updated_since=None, cursor=None).items
    from_webhook = records.order_from_rest(rest)
    assert from_graphql == from_webhook
    assert (from_webhook.number, from_webhook.customer_external_id) == (1001, "207119551")
    assert from_webhook.fulfillments[0].tracking_number == "1Z2345"


def test_graphql_and_webhook_agree_on_a_customer(platform, fake):
    rest = fixture("rest/customer.json")["customer"]
    address = rest["default_address"]
    fake.customers = [{
        "id": f"gid://shopify/Customer/{rest['id']}", "email": rest["email"],
        "firstName": rest["first_name"], "lastName": rest["last_name"], "phone": None,
        "updatedAt": rest["updated_at"],
        "defaultAddress": {"city": address["city"], "zip": address["zip"]},
        "emailMarketingConsent": {"marketingState": "NOT_SUBSCRIBED"}}]
    [from_graphql] = platform.fetch("customers", updated_since=None, cursor=None).items
    assert from_graphql == records.customer_from_rest(rest)


def test_an_unknown_resource_is_refused(platform):
    with pytest.raises(ValueError, match="no resource 'coupons'"):
        platform.fetch("coupons", updated_since=None, cursor=None)


# --- cost, throttling and HTTP errors ------------------------------------------------------------

def test_throttled_query_waits_what_the_bucket_says_then_succeeds(platform, fake, waits):
    fake.products = [product_node(i) for i in range(3)]
    fake.throttle_next = 1
    page = platform.fetch("products", updated_since=None, cursor=None)
    assert len(page.items) == 3
    cost = requested_cost(admin_schema(), q.PRODUCTS, PAGE_VARIABLES["ArrostoProducts"])
    # (requested cost - points left) / restore rate
    assert waits == [pytest.approx((cost - fake.throttled_available) / fake.restore_rate)]
    assert len(fake.calls("ArrostoProducts")) == 2


def test_throttled_with_a_long_wait_raises_retryable(db, cfg, fake, shop_id, timer,
                                                     waits):
    platform = connect(db, cfg, fake, shop_id, timer, max_wait=1.0)
    fake.throttle_next = 1
    with pytest.raises(RetryableError) as caught:
        platform.fetch("products", updated_since=None, cursor=None)
    assert caught.value.status == 429
    assert caught.value.retry_after == pytest.approx((902 - 100) / 100)
    assert waits == []


def test_a_low_bucket_is_waited_for_before_the_next_page(platform, fake, waits):
    fake.products = [product_node(i) for i in range(150)]
    fake.available = 1000.0  # after page 1 (902 points) Shopify reports 98 left
    first = platform.fetch("products", updated_since=None, cursor=None)
    assert waits == []
    platform.fetch("products", updated_since=None, cursor=first.next_cursor)
    assert waits == [pytest.approx((902 - 98) / 100)]


def test_a_5xx_is_not_retried_inline_a_mutation_may_have_run(platform, fake, waits):
    fake.script(500, {"errors": "Internal Server Error"})
    with pytest.raises(RetryableError) as caught:
        platform.fetch("orders", updated_since=None, cursor=None)
    assert caught.value.status == 500
    assert len(fake.requests) == 1 and waits == []


def test_access_denied_is_an_auth_error(platform, fake):
    fake.script(200, {"data": None, "errors": [{
        "message": "Access denied for customers field.",
        "extensions": {"code": "ACCESS_DENIED"}}]})
    with pytest.raises(AuthError, match="missing scope"):
        platform.fetch("customers", updated_since=None, cursor=None)


# --- discounts ---------------------------------------------------------------------------------

def test_read_discounts(platform, fake):
    fake.discounts = [code_discount_node(1, percentage=0.1, products=[4, 7]),
                      code_discount_node(2, percentage=None)]
    ten, five = platform.read_discounts()
    assert (ten.external_id, ten.title, ten.code, ten.value, ten.amount, ten.active) == (
        "gid://shopify/DiscountCodeNode/1", "Estate 1", "ESTATE1", "10%", Decimal("10"), True)
    assert ten.product_external_ids == ["1004", "1007"] and ten.applies_to_all is False
    assert ten.starts_at == dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    assert (five.value, five.amount, five.applies_to_all) == ("5.00 EUR", Decimal("5.00"), True)


def test_a_discount_webhook_is_completed_by_fetch_discount(platform, fake):
    payload = fixture("webhooks/discounts_create.json")
    [event] = ShopifyShop.parse_webhook("discounts/create", payload)
    assert event == events.DiscountChanged(
        external_id="gid://shopify/DiscountCodeNode/1057371209", title="ESTATE10", active=True,
        details=False)
    fake.discounts = [{**code_discount_node(10), "id": event.external_id}]
    details = platform.fetch_discount(event.external_id)
    assert (details.code, details.value) == ("ESTATE10", "10%")
    assert fake.calls("ArrostoDiscount")[0].variables["id"] == event.external_id
    assert platform.fetch_discount("gid://shopify/DiscountCodeNode/404") is None


# --- webhook subscriptions -------------------------------------------------------------------

def test_register_webhooks_sends_the_exact_mutation_and_is_idempotent(platform, fake):
    url = "https://arrosto.example/webhooks/shopify"
    fake.subscribe("APP_UNINSTALLED", url)  # from the app's TOML already
    created = platform.register_webhooks(url)
    assert created == [t for t in sm.WEBHOOK_TOPICS if t != "APP_UNINSTALLED"]
    mutations = fake.calls("ArrostoWebhookSubscriptionCreate")
    assert [m.body["query"] for m in mutations] == [q.WEBHOOK_SUBSCRIPTION_CREATE] * 10
    assert mutations[0].variables == {
        "topic": "PRODUCTS_CREATE",
        "webhookSubscription": {"callbackUrl": url, "format": "JSON"}}
    assert {(s["topic"], s["endpoint"]["callbackUrl"]) for s in fake.subscriptions} == {
        (t, url) for t in sm.WEBHOOK_TOPICS}
    fake.requests.clear()
    assert platform.register_webhooks(url) == []
    assert [r.operation for r in fake.requests] == ["ArrostoWebhookSubscriptions"]


def test_repair_webhooks_recreates_only_the_dropped_ones(platform, fake):
    url = "https://arrosto.example/webhooks/shopify"
    platform.register_webhooks(url)
    fake.subscriptions = [s for s in fake.subscriptions if s["topic"] != "ORDERS_UPDATED"]
    assert platform.repair_webhooks(url) == ["ORDERS_UPDATED"]


def test_a_refused_subscription_is_a_fatal_error(platform, fake):
    fake.script(200, {"data": {"webhookSubscriptions": {
        "nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}}})
    fake.script(200, {"data": {"webhookSubscriptionCreate": {
        "webhookSubscription": None,
        "userErrors": [{"field": ["callbackUrl"], "message": "Address is invalid"}]}}})
    with pytest.raises(FatalPlatformError, match="Address is invalid"):
        platform.register_webhooks("http://localhost/webhooks/shopify")


# --- access tokens -----------------------------------------------------------------------------

def token_answer(access: str = "shpat_new_access", refresh: str = "shprt_new_refresh") -> dict:
    return {"access_token": access, "scope": "read_products,read_orders", "expires_in": 3600,
            "refresh_token": refresh, "refresh_token_expires_in": 7776000}


@responses.activate
def test_token_exchange_and_the_stored_token_is_encrypted(db, cfg):
    responses.post(TOKEN_URL, json=token_answer())
    tokens = auth.exchange_session_token(DOMAIN, "session.jwt.token", cfg, now=NOW)
    [call] = responses.calls
    assert json.loads(call.request.body) == {
        "client_id": API_KEY, "client_secret": SECRET,
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token": "session.jwt.token",
        "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
        "requested_token_type": "urn:shopify:params:oauth:token-type:offline-access-token",
        "expiring": "1"}
    assert tokens.expires_at == NOW + dt.timedelta(hours=1)
    assert tokens.refresh_token_expires_at == NOW + dt.timedelta(days=90)
    assert "shpat_new_access" not in repr(tokens) and "shprt" not in repr(tokens)
    shop_id = make_shop(db, DOMAIN)
    with db.transaction() as s:
        auth.store_tokens(s.get(Shop, shop_id), tokens)
    with db.transaction() as s:
        raw_access, raw_refresh, version = s.execute(text(
            "SELECT access_token, refresh_token, token_version FROM shops WHERE id = :id"),
            {"id": shop_id}).one()
        assert "shpat_new_access" not in raw_access and "shprt_new_refresh" not in raw_refresh
        assert crypto.decrypt(raw_access) == "shpat_new_access"
        shop = s.get(Shop, shop_id)
        assert (shop.access_token, shop.scopes, version) == (
            "shpat_new_access", "read_products,read_orders", 1)


@responses.activate
def test_token_exchange_refused_by_the_shop_is_an_auth_error(cfg):
    responses.post(TOKEN_URL, status=400, json={
        "error": "invalid_subject_token",
        "error_description": "Token exchange failed: the session token has expired."})
    with pytest.raises(AuthError, match="invalid_subject_token") as caught:
        auth.exchange_session_token(DOMAIN, "expired.jwt", cfg)
    assert caught.value.status == 400
    assert "expired.jwt" not in str(caught.value) and SECRET not in str(caught.value)


@responses.activate
def test_the_token_endpoint_5xx_is_retried_by_urllib3(cfg, no_backoff):
    responses.post(TOKEN_URL, status=502)
    responses.post(TOKEN_URL, json=token_answer())
    assert auth.exchange_code(DOMAIN, "code-123", cfg).access_token == "shpat_new_access"
    assert len(responses.calls) == 2
    assert json.loads(responses.calls[1].request.body) == {
        "client_id": API_KEY, "client_secret": SECRET, "code": "code-123", "expiring": "1"}


@responses.activate
def test_the_token_endpoint_failing_throughout_is_retryable(cfg, no_backoff):
    responses.post(TOKEN_URL, status=503)
    with pytest.raises(RetryableError) as caught:
        auth.exchange_code(DOMAIN, "code-123", cfg)
    assert caught.value.status == 503 and len(responses.calls) == 3


def test_a_token_request_for_a_foreign_host_is_refused(cfg):
    with pytest.raises(InvalidSignature):
        auth.exchange_code("evil.com", "code", cfg)


def expiring_shop(db, **kw) -> int:
    return make_shop(db, DOMAIN, access_token="shpat_old_access",
                     access_token_expires_at=NOW + dt.timedelta(minutes=2),
                     refresh_token="shprt_old_refresh",
                     refresh_token_expires_at=NOW + dt.timedelta(days=30), token_version=4, **kw)


def test_a_fresh_expiring_token_is_not_refreshed(db, cfg):
    shop_id = make_shop(db, DOMAIN, access_token="shpat_fresh",
                        access_token_expires_at=NOW + dt.timedelta(minutes=30),
                        refresh_token="shprt_x")
    with responses.RequestsMock() as mocked:
        assert auth.refresh_access_token(db, shop_id, cfg, now=NOW) == "shpat_fresh"
        assert len(mocked.calls) == 0


def test_refresh_happens_exactly_once_when_eight_threads_ask(db, cfg):
    shop_id = expiring_shop(db)
    start = threading.Barrier(8)
    got: list[str] = []
    failed: list[BaseException] = []

    def slow_shopify(request):
        time.sleep(0.3)  # Shopify taking its time: the others must wait, not refresh too
        return 200, {}, json.dumps(token_answer())

    def worker():
        try:
            start.wait()
            got.append(auth.refresh_access_token(db, shop_id, cfg, now=NOW))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failed.append(exc)

    with responses.RequestsMock() as mocked:
        mocked.add_callback(responses.POST, TOKEN_URL, callback=slow_shopify)
        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert failed == []
        assert len(mocked.calls) == 1
        assert json.loads(mocked.calls[0].request.body) == {
            "client_id": API_KEY, "client_secret": SECRET, "grant_type": "refresh_token",
            "refresh_token": "shprt_old_refresh"}
    assert got == ["shpat_new_access"] * 8
    with db.transaction() as s:
        shop = s.get(Shop, shop_id)
        assert (shop.refresh_token, shop.token_version) == ("shprt_new_refresh", 5)
        assert shop.access_token_expires_at == NOW + dt.timedelta(hours=1)


def test_a_refused_refresh_marks_the_shop_needs_reauth(db, cfg):
    shop_id = expiring_shop(db)
    with responses.RequestsMock() as mocked:
        mocked.post(TOKEN_URL, status=400, json={"error": "invalid_grant",
                                                 "error_description": "Token has been revoked"})
        with pytest.raises(AuthError, match="invalid_grant"):
            auth.refresh_access_token(db, shop_id, cfg, now=NOW)
        with pytest.raises(AuthError, match="reconnected"):  # and no second attempt
            auth.refresh_access_token(db, shop_id, cfg, now=NOW)
        assert len(mocked.calls) == 1
    with db.transaction() as s:
        shop = s.get(Shop, shop_id)
        assert shop.status == "needs_reauth"
        assert "reconnect" in shop.status_reason and "shprt" not in shop.status_reason


def test_the_connector_refreshes_an_expiring_token_before_querying(db, cfg, fake, timer):
    shop_id = make_shop(db, DOMAIN, access_token="shpat_expired",
                        access_token_expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1),
                        refresh_token="shprt_old_refresh")
    platform = connect(db, cfg, fake, shop_id, timer)
    with responses.RequestsMock() as mocked:
        mocked.add_passthru(fake.url)  # GraphQL goes to the fake, the token request is mocked
        mocked.post(TOKEN_URL, json=token_answer(access=fake.token))
        platform.shop_info()
        platform.shop_info()
        assert len(mocked.calls) == 1
    assert {r.headers["X-Shopify-Access-Token"] for r in fake.requests} == {fake.token}


# --- session tokens ----------------------------------------------------------------------------

def session_token(secret: str = SECRET, **changes: Any) -> str:
    now = int(NOW.timestamp())
    claims = {"iss": f"https://{DOMAIN}/admin", "dest": f"https://{DOMAIN}", "aud": API_KEY,
              "sub": "42", "exp": now + 60, "nbf": now - 5, "iat": now - 5,
              "jti": "f8912129-1af6-4cad-9ca3-76b0f7621087",
              "sid": "aaea182f2732d44c23057c0fea584021"}
    claims.update(changes)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, "HS256")


def test_a_valid_session_token_is_accepted(cfg):
    claims = auth.verify_session_token(session_token(), cfg, now=NOW)
    assert (claims.shop_domain, claims.user_id, claims.session_id) == (
        DOMAIN, "42", "aaea182f2732d44c23057c0fea584021")


def test_the_old_secret_is_accepted_during_a_rotation(cfg):
    assert auth.verify_session_token(session_token(OLD_SECRET), cfg, now=NOW).shop_domain == DOMAIN


def test_ten_seconds_of_clock_skew_are_forgiven(cfg):
    late = NOW + dt.timedelta(seconds=65)  # 5 s past exp
    assert auth.verify_session_token(session_token(), cfg, now=late).user_id == "42"


@pytest.mark.parametrize("token, reason", [
    (session_token("someone-elses-secret-0123456789abcdef"), "not signed with an app"),
    (session_token(aud="another-app"), "Audience"),
    (session_token(exp=int(NOW.timestamp()) - 11), "expired"),
    (session_token(nbf=int(NOW.timestamp()) + 30), "not valid yet"),
    (session_token(dest="https://other-shop.myshopify.com"), "different shops"),
    (session_token(iss="https://evil.com/admin", dest="https://evil.com"), "not a myshopify"),
    (session_token(iss="http://caffe-rossi.myshopify.com/admin"), "not https"),
    (session_token(iss=f"https://{DOMAIN}/other"), "not https"),
    (session_token(sub=None), "sub"),
    (jwt.encode({"iss": f"https://{DOMAIN}/admin"}, None, "none"), "alg"),
    ("not-a-jwt", "refused"),
], ids=["wrong-secret", "wrong-aud", "expired", "not-yet", "dest-not-iss", "bad-host",
        "http-iss", "iss-path", "no-sub", "alg-none", "garbage"])
def test_bad_session_tokens_are_refused(cfg, token, reason):
    with pytest.raises(InvalidSignature, match=reason):
        auth.verify_session_token(token, cfg, now=NOW)


# --- OAuth helpers -----------------------------------------------------------------------------

DOC_ARGS = {"code": "0907a61c0c8d55e99db179b68161bc00", "shop": "some-shop.myshopify.com",
            "timestamp": "1337178173",
            "hmac": "4712bf92ffc2917d15a2f5a273e39f0116667419aa4b6ac0b3baaf26fa3c4d20"}


def test_query_hmac_matches_shopifys_documented_example():
    assert auth.verify_query_hmac(DOC_ARGS, ["wrong", "hush"]) is True


@pytest.mark.parametrize("args", [
    {**DOC_ARGS, "shop": "attacker.myshopify.com"},
    {**DOC_ARGS, "hmac": "0" * 64},
    {k: v for k, v in DOC_ARGS.items() if k != "hmac"},
    {**DOC_ARGS, "hmac": ""},
], ids=["tampered", "forged", "missing", "empty"])
def test_query_hmac_refuses(args):
    assert auth.verify_query_hmac(args, ["hush"]) is False


def test_query_hmac_agrees_with_shopifyapi_on_awkward_values(monkeypatch):
    args = {"shop": DOMAIN, "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvY2FmZmU=",
            "state": "a&b=c%d", "timestamp": "1717243200", "signature": "ignored"}
    monkeypatch.setattr(shopify.Session, "secret", "hush")
    expected = shopify.Session.calculate_hmac({k: v for k, v in args.items()
                                               if k != "signature"})
    assert auth.query_hmac(args, "hush") == expected
    assert auth.verify_query_hmac({**args, "hmac": expected}, ["hush"])


def test_timestamps_must_be_recent():
    now = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
    stamp = int(now.timestamp())
    assert auth.timestamp_is_recent(str(stamp - 60), now)
    assert not auth.timestamp_is_recent(str(stamp - 3600), now)
    assert not auth.timestamp_is_recent(str(stamp + 3600), now)
    assert not auth.timestamp_is_recent("yesterday", now)


@pytest.mark.parametrize("host, valid", [
    ("caffe-rossi.myshopify.com", True), ("Caffe1.myshopify.com", True),
    ("evil.com", False), ("x.myshopify.com.evil.com", False), ("-x.myshopify.com", False),
    ("x.myshopify.com/", False), ("https://x.myshopify.com", False), ("x.myshopify.com\n", False),
    ("x.myshopify.com:443", False), ("a.b.myshopify.com", False), ("", False), (None, False),
])
def test_shop_domains(host, valid):
    assert auth.valid_shop_domain(host) is valid


def test_authorize_url_asks_for_an_offline_token(cfg):
    url = auth.authorize_url(DOMAIN, cfg, "https://arrosto.example/auth/shopify/callback", "n0nce")
    assert url == (f"https://{DOMAIN}/admin/oauth/authorize?client_id={API_KEY}"
                   "&scope=read_products%2Cread_orders%2Cread_customers%2Cread_discounts"
                   "&redirect_uri=https%3A%2F%2Farrosto.example%2Fauth%2Fshopify%2Fcallback"
                   "&state=n0nce")
    assert "grant_options" not in url
    with pytest.raises(InvalidSignature):
        auth.authorize_url("evil.com", cfg, "https://arrosto.example/cb", "n0nce")


# --- webhooks ----------------------------------------------------------------------------------

def signed(body: bytes, secret: str = SECRET, **headers: str) -> dict[str, str]:
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {"X-Shopify-Hmac-Sha256": digest, "X-Shopify-Topic": "orders/create",
            "X-Shopify-Shop-Domain": DOMAIN, "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37",
            "X-Shopify-Event-Id": "98880550-7158-44d4", "X-Shopify-API-Version": "2025-10",
            **headers}


BODY = json.dumps(fixture("rest/order.json")["order"]).encode()


def test_a_signed_webhook_is_verified(cfg):
    meta = ShopifyShop.verify_webhook(signed(BODY), BODY, ShopifyShop.webhook_secrets(cfg, None))
    assert (meta.delivery_id, meta.topic, meta.shop_domain) == (
        "b54557e4-bdd9-4b37", "orders/create", DOMAIN)


def test_a_webhook_signed_with_the_old_secret_is_verified(cfg):
    headers = {k.lower(): v for k, v in signed(BODY, OLD_SECRET).items()}
    headers.pop("x-shopify-webhook-id")  # falls back to the event id
    meta = ShopifyShop.verify_webhook(headers, BODY, cfg.shopify_secrets())
    assert meta.delivery_id == "98880550-7158-44d4"


@pytest.mark.parametrize("headers, body", [
    (signed(BODY), BODY + b" "),
    (signed(BODY, "not-our-secret"), BODY),
    ({k: v for k, v in signed(BODY).items() if k != "X-Shopify-Hmac-Sha256"}, BODY),
    ({k: v for k, v in signed(BODY).items() if k != "X-Shopify-Topic"}, BODY),
    ({**signed(BODY), "X-Shopify-Hmac-Sha256": "bm90IGEgZGlnZXN0"}, BODY),
], ids=["body-changed", "forged", "no-hmac-header", "no-topic-header", "wrong-digest"])
def test_bad_webhooks_are_refused(cfg, headers, body):
    with pytest.raises(InvalidSignature):
        ShopifyShop.verify_webhook(headers, body, cfg.shopify_secrets())


def rest_body(name: str) -> dict:
    return next(iter(fixture(f"rest/{name}.json").values()))


def test_product_webhooks():
    for topic in ("products/create", "products/update"):
        [event] = ShopifyShop.parse_webhook(topic, rest_body("product"))
        assert isinstance(event, events.ProductChanged)
        product = event.product
        assert (product.external_id, product.title, product.handle, product.status) == (
            "632910392", "IPod Nano - 8GB", "ipod-nano", "active")
        assert product.tags == ["Emotive", "Flash Memory", "MP3", "Music"]
        assert [v.sku for v in product.variants][:2] == ["IPOD2008PINK", "IPOD2008RED"]
        assert product.variants[0].price == Decimal("199.00")
    assert ShopifyShop.parse_webhook("products/delete", fixture("webhooks/products_delete.json")
                                     ) == [events.ProductDeleted("632910392")]


def test_order_webhooks():
    for topic in ("orders/create", "orders/updated", "orders/cancelled"):
        [event] = ShopifyShop.parse_webhook(topic, rest_body("order"))
        order = event.order
        assert (order.external_id, order.name, order.number, order.email) == (
            "450789469", "#1001", 1001, "bob.norman@hostmail.com")
        assert (order.customer_external_id, order.financial_status, order.fulfillment_status) == (
            "207119551", "authorized", None)
        assert (order.total_price, order.currency, order.discount_codes) == (
            Decimal("409.94"), "USD", ["TENOFF"])
        assert order.landing_site == "http://www.example.com?source=abc"
        assert (order.shipping_name, order.shipping_postcode) == ("Bob Norman", "40202")
        assert [li.external_product_id for li in order.lines] == ["632910392"] * 3
        [shipment] = order.fulfillments
        assert (shipment.status, shipment.tracking_number) == ("failure", "1Z2345")
        assert order.created_at == dt.datetime(2008, 1, 10, 16, 0, tzinfo=dt.UTC)


def test_customer_webhook():
    [event] = ShopifyShop.parse_webhook("customers/update", rest_body("customer"))
    assert (event.customer.external_id, event.customer.email, event.customer.city) == (
        "207119551", "bob.norman@hostmail.com", "Louisville")
    assert event.customer.accepts_marketing is False


def test_privacy_webhooks():
    [request] = ShopifyShop.parse_webhook("customers/data_request",
                                          fixture("webhooks/customers_data_request.json"))
    assert request == events.CustomerDataRequest(
        customer_external_id="191167", email="john@example.com",
        order_external_ids=["299938", "280263", "220458"], request_id="9999")
    [redact] = ShopifyShop.parse_webhook("customers/redact",
                                         fixture("webhooks/customers_redact.json"))
    assert redact == events.CustomerRedact(customer_external_id="191167",
                                           email="john@example.com",
                                           order_external_ids=["299938", "280263", "220458"])
    assert ShopifyShop.parse_webhook("shop/redact", fixture("webhooks/shop_redact.json")) == [
        events.ShopRedact()]
    assert ShopifyShop.parse_webhook("app/uninstalled", rest_body("shop")) == [
        events.AppUninstalled()]


def test_unknown_topics_give_no_events():
    assert ShopifyShop.parse_webhook("collections/create", {"id": 1}) == []


@pytest.mark.parametrize("topic, payload", [
    ("products/update", []),
    ("products/update", {"title": "no id"}),
    ("products/update", {"id": 1, "title": None}),
    ("products/delete", {"id": None}),
    ("orders/create", {"id": 1, "created_at": "2025-01-01T00:00:00Z"}),
    ("orders/create", {"id": "abc", "name": "#1", "created_at": "2025-01-01T00:00:00Z"}),
    ("orders/create", {"id": 1, "name": "#1", "created_at": "yesterday"}),
    ("customers/update", {"email": "x@example.com"}),
    ("discounts/create", {"title": "no id"}),
    ("customers/redact", {"customer": "191167"}),
])
def test_wrong_shapes_are_parse_errors(topic, payload):
    with pytest.raises(WebhookParseError):
        ShopifyShop.parse_webhook(topic, payload)


# --- registry and the whole webhook path ---------------------------------------------------------

def test_registered_by_name(db, shop_id):
    assert PLATFORMS["shopify"] is ShopifyShop
    with db.transaction() as s:
        assert isinstance(platform_for(s.get(Shop, shop_id)), ShopifyShop)


def test_a_product_webhook_end_to_end(client, db, shop_id):
    body = json.dumps(rest_body("product")).encode()
    headers = signed(body, **{"X-Shopify-Topic": "products/update"})
    answer = client.post("/webhooks/shopify", data=body, headers=headers,
                         content_type="application/json")
    assert answer.status_code == 200, answer.get_json()
    assert client.post("/webhooks/shopify", data=body, headers=headers,
                       content_type="application/json").get_json() == {"status": "duplicate"}
    with db.transaction(shop_id) as s:
        product = s.scalar(select(Product).where(Product.external_id == "632910392"))
        assert product.title == "IPod Nano - 8GB" and len(product.variants) == 4
    forged = client.post("/webhooks/shopify", data=body,
                         headers={**headers, "X-Shopify-Hmac-Sha256": "AAAA"},
                         content_type="application/json")
    assert forged.status_code == 401
