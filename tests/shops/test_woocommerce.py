"""The WooCommerce connector on the REST API v3 docs' own examples (tests/fixtures/woocommerce),
answered at the transport by ``responses``: real ``woocommerce`` SDK calls, real urllib3 retries,
the real sync, webhook receiver and delivery processing."""
from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import hmac
import logging
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from sqlalchemy import func, select
from werkzeug.datastructures import Headers

from arrosto import events
from arrosto.errors import (
    AuthError,
    ConfigError,
    FatalPlatformError,
    InvalidSignature,
    PlatformError,
    RetryableError,
)
from arrosto.models import (
    Customer,
    Order,
    Product,
    ProductVariant,
    Shop,
    SyncBookmark,
    WebhookDelivery,
)
from arrosto.shops import PLATFORMS, register
from arrosto.shops.base import WebhookParseError
from arrosto.shops.sync import sync_resource
from arrosto.shops.woocommerce import INCREMENTAL_OVERLAP, TOPICS, WooCommerceShop
from arrosto.shops.woocommerce_auth import (
    InvalidAuthCallback,
    InvalidStoreURL,
    WooKeys,
    authorize_url,
    normalize_store_url,
    parse_auth_callback,
    store_domain,
)

from ..factories import make_shop
from .woocommerce_store import (
    API,
    FIXTURES,
    HOOK_SECRET,
    HOOK_URL,
    KEY,
    SECRET,
    SIMPLE,
    STORE,
    VARIABLE,
    VARIATIONS,
    WebhookEndpoint,
    catalog,
    gmt,
    load,
    our_hooks,
    query,
    serve_list,
    serve_variations,
    variations_for,
)

# --- fixtures ------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def woocommerce_registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(WooCommerceShop, "backoff_factor", 0.0)
    before = PLATFORMS.get("woocommerce")
    register(WooCommerceShop)
    yield
    if before is None:
        PLATFORMS.pop("woocommerce", None)
    else:
        PLATFORMS["woocommerce"] = before


@pytest.fixture
def make_woo_shop(db):
    def make(domain: str = "shop.example.com", **kw: Any) -> Shop:
        values = {"platform": "woocommerce", "store_url": STORE, "api_key": KEY,
                  "api_secret": SECRET, "webhook_secret": HOOK_SECRET, "currency": "EUR", **kw}
        shop_id = make_shop(db, domain, **values)
        with db.transaction() as s:
            return s.get(Shop, shop_id)
    return make


@pytest.fixture
def shop(make_woo_shop) -> Shop:
    return make_woo_shop()


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def woo(shop: Shop, slept: list[float]) -> WooCommerceShop:
    return WooCommerceShop(shop, sleep=slept.append)


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def bookmark(db, shop_id: int, resource: str) -> SyncBookmark:
    with db.transaction(shop_id) as s:
        return s.scalar(select(SyncBookmark).where(SyncBookmark.resource == resource))


def count(db, shop_id: int, model: type) -> int:
    with db.transaction(shop_id) as s:
        return s.scalar(select(func.count(model.id)))


# --- sync ----------------------------------------------------------------------------------------

def test_first_sync_reads_every_page_then_only_what_changed(db, shop, woo, rsps):
    products = catalog(255)
    listing = serve_list(rsps, "products", products)
    variable = {p["id"]: variations_for(p["id"]) for p in products if p["type"] == "variable"}
    variation_lists = serve_variations(rsps, variable)

    result = sync_resource(db, shop.id, woo, "products")

    assert (result.items, result.pages, result.resumed) == (255, 3, False)
    assert listing.pages() == ["1", "2", "3"]
    for q in listing.queries:
        assert q["per_page"] == "100" and (q["orderby"], q["order"]) == ("id", "asc")
        assert "modified_after" not in q
    assert len(variable) == 5
    assert all(h.pages() == ["1"] and h.queries[0]["per_page"] == "100"
               for h in variation_lists.values())
    assert count(db, shop.id, Product) == 255
    assert count(db, shop.id, ProductVariant) == 250 + 5 * 3
    first = bookmark(db, shop.id, "products")
    assert first.cursor is None and first.updated_since is not None

    # one product changes in the store: the next run asks only for what changed since the first
    changed = products[42]
    changed.update(name="Premium Quality (new blend)", price="19.50", regular_price="19.50",
                   date_modified_gmt=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    again = sync_resource(db, shop.id, woo, "products")

    assert (again.items, again.pages) == (1, 1)
    q = listing.queries[-1]
    since = first.updated_since - INCREMENTAL_OVERLAP
    assert q["modified_after"] == since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    assert (q["dates_are_gmt"], q["page"], q["per_page"]) == ("true", "1", "100")
    with db.transaction(shop.id) as s:
        row = s.scalar(select(Product).where(Product.external_id == str(changed["id"])))
        assert (row.title, row.price) == ("Premium Quality (new blend)", Decimal("19.50"))


def test_an_interrupted_sync_resumes_from_its_bookmark(db, shop, woo, rsps):
    listing = serve_list(rsps, "products", catalog(255))
    serve_variations(rsps, {p: variations_for(p) for p in (1007, 1057, 1107, 1157, 1207)})

    part = sync_resource(db, shop.id, woo, "products", max_pages=1)
    assert (part.items, part.pages) == (100, 1)
    mark = bookmark(db, shop.id, "products")
    assert mark.cursor == "2" and mark.updated_since is None

    rest = sync_resource(db, shop.id, WooCommerceShop(shop), "products")
    assert (rest.items, rest.pages, rest.resumed) == (155, 2, True)
    assert listing.pages() == ["1", "2", "3"]  # page 1 read once
    assert count(db, shop.id, Product) == 255
    assert bookmark(db, shop.id, "products").cursor is None


def test_a_server_error_after_page_1_is_retried_then_resumed(db, shop, woo, rsps):
    listing = serve_list(rsps, "products", catalog(255))
    serve_variations(rsps, {p: variations_for(p) for p in (1007, 1057, 1107, 1157, 1207)})
    listing.failures["2"] = [500, 502, 503, 500]  # more than the transport's 3 retries

    with pytest.raises(RetryableError) as failed:
        sync_resource(db, shop.id, woo, "products")
    assert failed.value.status == 500 and failed.value.platform == "woocommerce"
    assert listing.pages() == ["1", "2", "2", "2", "2"]  # urllib3 Retry: 1 + 3 retries
    assert bookmark(db, shop.id, "products").cursor == "2"
    assert count(db, shop.id, Product) == 100

    rest = sync_resource(db, shop.id, woo, "products")
    assert rest.resumed and rest.items == 155
    assert listing.pages().count("1") == 1
    assert count(db, shop.id, Product) == 255


def test_variable_products_bring_their_variations(db, shop, woo, rsps):
    product = load(VARIABLE)  # "Ship Your Idea", type variable
    product["variations"] = [800, 801, 802]
    big = copy.deepcopy(product)
    big.update(id=900, name="Ship Your Idea XL", variations=[])
    serve_list(rsps, "products", [product, big])
    many = variations_for(900, count=150)
    lists = serve_variations(rsps, {799: load(VARIATIONS), 900: many})

    page = woo.fetch("products", updated_since=None, cursor=None)

    assert page.next_cursor is None
    ship = page.items[0]
    assert (ship.external_id, ship.title, ship.handle, ship.product_type, ship.status) == (
        "799", "Ship Your Idea", "ship-your-idea-22", "Clothing", "active")
    assert ship.url == "https://example.com/product/ship-your-idea-22/"
    assert ship.updated_at == gmt("2017-03-23T20:03:12")
    assert ship.description.startswith("Pellentesque habitant morbi tristique")
    assert "<p>" not in ship.description
    assert [(v.external_id, v.title, v.sku, v.price, v.compare_at_price, v.inventory_quantity)
            for v in ship.variants] == [
        ("800", "Black / S", "SYI-BLACK-S", Decimal("9.00"), None, 5),
        ("801", "Black / M", "SYI-BLACK-M", Decimal("8.00"), Decimal("10.00"), 2),
        ("802", "Green / S", None, Decimal("9.00"), None, None)]
    assert len(page.items[1].variants) == 150
    assert lists[900].pages() == ["1", "2"]  # variations are paged like every list

    sync_resource(db, shop.id, woo, "products")
    with db.transaction(shop.id) as s:
        row = s.scalar(select(Product).where(Product.external_id == "799"))
        assert (row.price, row.compare_at_price, row.inventory_quantity) == (
            Decimal("8.00"), Decimal("10.00"), 7)


def test_simple_product_from_the_docs(woo, rsps):
    on_sale = load(SIMPLE)
    on_sale.update(id=795, price="18.00", sale_price="18.00", on_sale=True, stock_quantity=4,
                   tags=[{"id": 3, "name": "Caff&egrave; &amp; t&egrave;", "slug": "caffe"}])
    serve_list(rsps, "products", [load(SIMPLE), on_sale])

    plain, sale = woo.fetch("products", updated_since=None, cursor=None).items

    assert (plain.external_id, plain.title, plain.product_type, plain.tags) == (
        "794", "Premium Quality", "Clothing", [])
    assert [(v.external_id, v.title, v.price, v.compare_at_price, v.inventory_quantity)
            for v in plain.variants] == [("794", "", Decimal("21.99"), None, None)]
    assert sale.tags == ["Caffè & tè"]
    assert [(v.price, v.compare_at_price, v.inventory_quantity) for v in sale.variants] == [
        (Decimal("18.00"), Decimal("21.99"), 4)]


def test_orders_from_the_docs(db, shop, woo, rsps):
    serve_list(rsps, "customers", load("_customers.md__02_list-all-customers.json"))
    listing = serve_list(rsps, "orders", load("_orders.md__02_list-all-orders.json"))

    page = woo.fetch("orders", updated_since=None, cursor=None)
    by_id = {o.external_id: o for o in page.items}

    o = by_id["727"]
    assert (o.number, o.name, o.customer_external_id, o.email) == (
        727, "#727", None, "john.doe@example.com")
    assert (o.financial_status, o.fulfillment_status, o.cancelled_at) == ("paid", None, None)
    assert (o.total_price, o.currency) == (Decimal("29.35"), "USD")
    assert (o.shipping_name, o.shipping_postcode, o.shipping_city) == (
        "John Doe", "94103", "San Francisco")
    assert (o.created_at, o.updated_at) == (gmt("2017-03-22T19:28:02"),
                                            gmt("2017-03-22T19:28:08"))
    assert (o.discount_codes, o.landing_site) == ([], None)
    assert [(li.title, li.quantity, li.sku, li.price, li.external_product_id, li.variant_title)
            for li in o.lines] == [
        ("Woo Single #1", 2, None, Decimal("3"), "93", None),
        ("Ship Your Idea – Color: Black, Size: M Test", 1, "Bar3", Decimal("12"), "22",
         "black / M Test")]
    done = by_id["723"]
    assert (done.fulfillment_status, done.customer_external_id) == ("fulfilled", "26")
    assert listing.queries[0] == {"per_page": "100", "page": "1", "orderby": "id",
                                  "order": "asc"}

    sync_resource(db, shop.id, woo, "customers")
    sync_resource(db, shop.id, woo, "orders")
    with db.transaction(shop.id) as s:
        stored = s.scalar(select(Order).where(Order.external_id == "723"))
        customer = s.scalar(select(Customer).where(Customer.external_id == "26"))
        assert stored.customer_id == customer.id and customer.first_name == "João"
        assert s.scalar(select(func.count(Order.id))) == 2


@pytest.mark.parametrize(("status", "financial", "fulfillment", "cancelled"), [
    ("pending", "pending", None, False),
    ("processing", "paid", None, False),
    ("on-hold", "pending", None, False),
    ("completed", "paid", "fulfilled", False),
    ("cancelled", "voided", None, True),
    ("refunded", "refunded", None, False),
    ("failed", "failed", None, False),
])
def test_order_status_mapping(status, financial, fulfillment, cancelled):
    body = load("_orders.md__01_retrieve-an-order.json") | {"status": status}
    [event] = WooCommerceShop.parse_webhook("order.updated", body)
    order = event.order
    assert (order.financial_status, order.fulfillment_status) == (financial, fulfillment)
    assert order.cancelled_at == (gmt("2017-03-22T19:28:08") if cancelled else None)


def test_order_coupons_attribution_and_custom_numbers():
    body = load("_orders.md__01_retrieve-an-order.json")
    body["number"] = "WC-727"
    body["shipping"] = {k: "" for k in body["shipping"]}  # a virtual order: no shipping address
    body["coupon_lines"] = [{"id": 319, "code": "benvenuto10", "discount": "2.00",
                             "discount_tax": "0.00", "meta_data": []}]
    body["meta_data"] += [
        {"id": 1, "key": "_wc_order_attribution_session_entry",
         "value": "https://shop.example.com/caffe/"},
        {"id": 2, "key": "_wc_order_attribution_utm_source", "value": "instagram"},
        {"id": 3, "key": "_wc_order_attribution_utm_campaign", "value": "natale"}]

    [event] = WooCommerceShop.parse_webhook("order.created", body)

    order = event.order
    assert (order.number, order.name, order.discount_codes) == (None, "#WC-727", ["benvenuto10"])
    assert order.landing_site == ("https://shop.example.com/caffe/?utm_source=instagram"
                                  "&utm_campaign=natale")
    assert (order.shipping_name, order.shipping_city) == ("John Doe", "San Francisco")  # billing


def test_customers_have_no_modified_after_so_changes_are_picked_here(db, shop, woo, rsps):
    rows = load("_customers.md__02_list-all-customers.json")
    listing = serve_list(rsps, "customers", rows)

    first = sync_resource(db, shop.id, woo, "customers")
    assert first.items == 2 and "modified_after" not in listing.queries[0]
    with db.transaction(shop.id) as s:
        john = s.scalar(select(Customer).where(Customer.external_id == "25"))
        assert (john.email, john.first_name, john.last_name, john.phone, john.city,
                john.postcode) == ("john.doe@example.com", "John", "Doe", "(555) 555-5555",
                                   "San Francisco", "94103")
        assert john.platform_updated_at == gmt("2017-03-21T19:09:30")

    rows[1].update(first_name="James",
                   date_modified_gmt=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    again = sync_resource(db, shop.id, woo, "customers")

    assert again.items == 1  # only the customer modified since the first run
    assert "modified_after" not in listing.queries[-1]
    with db.transaction(shop.id) as s:
        assert s.scalar(select(Customer.first_name).where(Customer.external_id == "25")) == "James"


def test_coupons_read_as_discount_events(woo, rsps):
    rows = load("_coupons.md__02_list-all-coupons.json")
    fixed = copy.deepcopy(rows[1])
    fixed.update(id=721, code="5euro", amount="5.00", discount_type="fixed_cart",
                 product_ids=[794], date_expires_gmt="2099-01-31T23:00:00")
    listing = serve_list(rsps, "coupons", [*rows, fixed])

    coupons = woo.fetch_coupons()

    assert [(c.external_id, c.code, c.value, c.applies_to_all) for c in coupons] == [
        ("719", "10off", "10%", True), ("720", "free shipping", "free shipping", True),
        ("721", "5euro", "5.00 EUR", False)]
    five = coupons[2]
    assert (five.product_external_ids, five.ends_at, five.amount, five.active) == (
        ["794"], gmt("2099-01-31T23:00:00"), Decimal("5.00"), True)
    assert coupons[0].starts_at == gmt("2017-03-21T18:23:00")
    assert all(isinstance(c, events.DiscountChanged) for c in coupons)

    woo.fetch_coupons(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert listing.queries[-1]["modified_after"] == "2025-12-31T23:55:00"


# --- errors --------------------------------------------------------------------------------------

WC_ERROR = {"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources.",
            "data": {"status": 401}}


# 401, 429 (either Retry-After form), 5xx and timeouts as every connector: tests/test_conformance.py
@pytest.mark.parametrize(("status", "headers", "error", "calls"), [
    (403, {}, AuthError, 1),
    (404, {}, FatalPlatformError, 1),
    (400, {}, FatalPlatformError, 1),
    (500, {}, RetryableError, 4),  # retried by the transport first
    (503, {"Retry-After": "120"}, RetryableError, 4),
    (429, {"Retry-After": "3600"}, RetryableError, 1),  # too long to wait: the job layer waits
])
def test_http_errors_map_to_our_errors(woo, rsps, caplog, status, headers, error, calls):
    caplog.set_level(logging.DEBUG)
    rsps.add(responses.GET, f"{API}/orders", json=WC_ERROR | {"data": {"status": status}},
             status=status, headers=headers)

    with pytest.raises(error) as raised:
        woo.fetch("orders", updated_since=None, cursor=None)

    exc = raised.value
    assert type(exc) is error
    assert (exc.status, exc.platform) == (status, "woocommerce")
    assert "woocommerce_rest_cannot_view: Sorry, you cannot list resources." in str(exc)
    assert len(rsps.calls) == calls
    if "Retry-After" in headers:
        assert exc.retry_after == float(headers["Retry-After"])
    for secret in (KEY, SECRET):
        assert secret not in str(exc) and secret not in caplog.text


def test_error_messages_never_carry_our_keys(woo, rsps):
    rsps.add(responses.GET, f"{API}/orders", status=401, json={
        "code": "woocommerce_rest_authentication_error",
        "message": f"Consumer key {KEY} is invalid (secret {SECRET})."})
    with pytest.raises(AuthError) as raised:
        woo.fetch("orders", updated_since=None, cursor=None)
    assert str(raised.value).endswith("Consumer key [hidden] is invalid (secret [hidden]).")


def test_plain_http_on_localhost_is_signed_like_the_sdk_does(make_woo_shop, rsps,
                                                             allow_loopback):
    local = WooCommerceShop(make_woo_shop(domain="localhost", store_url="http://localhost:8080/"))
    rsps.add(responses.GET, "http://localhost:8080/wp-json/wc/v3/products", json=[],
             headers={"X-WP-TotalPages": "0"})

    assert local.fetch("products", updated_since=None, cursor=None).items == []

    sent = rsps.calls[0].request
    params = parse_qs(urlsplit(sent.url).query)
    assert params["page"] == ["1"] and params["per_page"] == ["100"]  # once, not repeated
    assert params["oauth_consumer_key"] == [KEY] and params["oauth_signature_method"] == [
        "HMAC-SHA256"]
    assert "Authorization" not in sent.headers and SECRET not in sent.url


@pytest.mark.parametrize(("answer", "message"), [
    ({"body": "<html><body>Checking your browser…</body></html>", "content_type": "text/html"},
     "the answer is not JSON (Content-Type text/html"),
    ({"json": {"products": []}}, "expected a JSON list, got dict"),
    ({"json": [1, 2]}, "a list item is a int, not an object"),
    ({"json": [{"id": 1, "date_created_gmt": "yesterday"}]}, "orders 1: cannot be read"),
])
def test_answers_that_are_not_the_json_we_expect(woo, rsps, answer, message):
    rsps.add(responses.GET, f"{API}/orders", status=200, **answer)
    with pytest.raises(PlatformError) as raised:
        woo.fetch("orders", updated_since=None, cursor=None)
    assert not isinstance(raised.value, RetryableError | FatalPlatformError)
    assert message in str(raised.value)


@pytest.mark.parametrize("failure", [requests.ConnectionError("refused"),
                                     requests.Timeout("read timed out")])
def test_network_failures_keep_no_cause_that_could_show_the_keys(woo, rsps, failure):
    rsps.add(responses.GET, f"{API}/products", body=failure)
    with pytest.raises(RetryableError) as raised:
        woo.fetch("products", updated_since=None, cursor=None)
    assert raised.value.status is None and raised.value.__cause__ is None


def test_a_refused_certificate_is_not_retried(woo, rsps):
    rsps.add(responses.GET, f"{API}/products",
             body=requests.exceptions.SSLError("certificate verify failed"))
    with pytest.raises(FatalPlatformError, match="HTTPS certificate was refused"):
        woo.fetch("products", updated_since=None, cursor=None)


@pytest.mark.parametrize(("changes", "message"), [
    ({"api_secret": None}, "no api_secret"),
    ({"api_key": None, "api_secret": None}, "no api_key, api_secret"),
    ({"store_url": "http://shop.example.com"}, "must use https://"),
])
def test_bad_configuration_is_a_config_error(make_woo_shop, changes, message):
    woo = WooCommerceShop(make_woo_shop(**changes))
    with pytest.raises(ConfigError, match=message):
        woo.fetch("products", updated_since=None, cursor=None)
    with pytest.raises(ConfigError, match="no resource 'refunds'"):
        WooCommerceShop(make_woo_shop(domain="other.example.com")).fetch(
            "refunds", updated_since=None, cursor=None)


def test_check_credentials_uses_basic_auth_over_https(woo, rsps):
    rsps.add(responses.GET, f"{API}/products", json=[{"id": 794}])
    assert woo.check_credentials() is None
    sent = rsps.calls[0].request
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(
        f"{KEY}:{SECRET}".encode()).decode()
    assert query(sent) == {"per_page": "1", "_fields": "id"}

    rsps.replace(responses.GET, f"{API}/products", json=WC_ERROR, status=401)
    with pytest.raises(AuthError):
        woo.check_credentials()


def test_shop_info_from_the_wordpress_index_and_currency(woo, rsps):
    rsps.add(responses.GET, f"{STORE}/wp-json/", json=load("built_wp-json-index.json"))
    rsps.add(responses.GET, f"{API}/data/currencies/current",
             json=load("built_data-currencies-current.json"))
    info = woo.shop_info()
    assert (info.name, info.currency, info.timezone, info.store_url) == (
        "Torrefazione Esempio & Figli", "EUR", "Europe/Rome", STORE)

    rsps.replace(responses.GET, f"{STORE}/wp-json/", status=404, json={"code": "rest_no_route"})
    info = woo.shop_info()
    assert (info.name, info.timezone) == ("shop.example.com", "UTC")


# --- connecting: wc-auth -------------------------------------------------------------------------

def test_authorize_url_asks_for_read_write_keys():
    url = authorize_url("https://Shop.Example.com/", app_name="Arrosto", nonce="n0nce-42",
                        return_url="https://arrosto.example.com/install/woocommerce/done",
                        callback_url="https://arrosto.example.com/install/woocommerce/keys")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https", "shop.example.com", "/wc-auth/v1/authorize")
    assert parse_qs(parts.query) == {
        "app_name": ["Arrosto"], "scope": ["read_write"], "user_id": ["n0nce-42"],
        "return_url": ["https://arrosto.example.com/install/woocommerce/done"],
        "callback_url": ["https://arrosto.example.com/install/woocommerce/keys"]}
    assert authorize_url("https://example.com/negozio/", app_name="A", nonce="n",
                         return_url="https://a.example/r", callback_url="https://a.example/c"
                         ).startswith("https://example.com/negozio/wc-auth/v1/authorize?")


@pytest.mark.parametrize(("given", "normal"), [
    ("https://shop.example.com", "https://shop.example.com"),
    ("  https://SHOP.example.com/  ", "https://shop.example.com"),
    ("https://shop.example.com:443/", "https://shop.example.com"),
    ("https://shop.example.com:8443/negozio//", "https://shop.example.com:8443/negozio"),
    ("https://shop.example.com/wp-admin/admin.php", "https://shop.example.com"),
    ("https://example.com/negozio/wp-json/wc/v3", "https://example.com/negozio"),
])
def test_store_urls_are_normalised(given, normal):
    assert normalize_store_url(given) == normal
    assert store_domain(given) == urlsplit(normal).hostname


@pytest.mark.parametrize(("given", "normal"), [
    ("http://localhost:8080/", "http://localhost:8080"),
    ("http://127.0.0.1/", "http://127.0.0.1"),
    ("https://[::1]:8443/", "https://[::1]:8443"),
])
def test_a_store_on_this_machine_only_with_the_development_setting(given, normal,
                                                                    allow_loopback):
    assert normalize_store_url(given) == normal
    assert store_domain(given) == urlsplit(normal).hostname


@pytest.mark.parametrize(("given", "reason"), [
    ("", "empty"),
    ("shop.example.com", "https:// address"),
    ("ftp://shop.example.com", "https:// address"),
    ("https://", "https:// address"),
    ("https://shop .example.com", "https:// address"),
    ("http://shop.example.com", "must use https://"),
    ("http://localhost:8080", "loopback address"),
    ("https://127.0.0.1", "loopback address"),
    ("https://10.0.0.5", "private or reserved address"),
    ("https://owner:hunter2@shop.example.com", "user name or password"),
    ("https://shop.example.com/#shop", "fragment"),
    ("https://shop.example.com/?lang=it", "query"),
    ("https://shop.example.com:99999", "invalid port"),
])
def test_store_urls_we_refuse(given, reason):
    with pytest.raises(InvalidStoreURL, match=re.escape(reason)) as raised:
        authorize_url(given, app_name="Arrosto", nonce="n", return_url="https://a.example/r",
                      callback_url="https://a.example/c")
    assert "hunter2" not in str(raised.value)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"callback_url": "http://arrosto.example.com/keys"}, "callback_url must be https://"),
    ({"callback_url": "/keys"}, "callback_url must be an absolute"),
    ({"return_url": "javascript:alert(1)"}, "return_url must be an absolute"),
    ({"nonce": ""}, "nonce is required"),
    ({"app_name": " "}, "app_name is required"),
])
def test_authorize_url_checks_its_other_arguments(kwargs, message):
    args = {"app_name": "Arrosto", "nonce": "n", "return_url": "https://a.example/r",
            "callback_url": "https://a.example/c"} | kwargs
    with pytest.raises(ValueError, match=re.escape(message)):
        authorize_url(STORE, **args)


def test_auth_callback_from_the_docs():
    keys = parse_auth_callback((FIXTURES / "_authentication.md__wc-auth-callback.json")
                               .read_bytes())
    assert keys == WooKeys(key_id=1, user_id="123", consumer_key="ck_xxxxxxxxxxxxxxxx",
                           consumer_secret="cs_xxxxxxxxxxxxxxxx", key_permissions="read_write")
    assert "ck_" not in repr(keys) and "cs_" not in repr(keys)


@pytest.mark.parametrize(("body", "message"), [
    (b"", "not JSON"),
    (b"consumer_key=ck_1&consumer_secret=cs_1", "not JSON"),
    (b"\xff\xfe{}", "not JSON"),
    (b"[]", "not a JSON object"),
    (b'{"key_id": 1, "user_id": "n"}', "lacks consumer_key, consumer_secret, key_permissions"),
    (b'{"key_id": "one", "user_id": "n", "consumer_key": "ck_1", "consumer_secret": "cs_1",'
     b' "key_permissions": "read_write"}', "key_id is not a number"),
    (b'{"key_id": 1, "user_id": "n", "consumer_key": "abc", "consumer_secret": "cs_1",'
     b' "key_permissions": "read_write"}', "not WooCommerce consumer keys"),
    (b'{"key_id": 1, "user_id": "n", "consumer_key": "ck_1", "consumer_secret": "cs_1",'
     b' "key_permissions": "read"}', "granted 'read' access"),
])
def test_auth_callbacks_we_refuse(body, message):
    with pytest.raises(InvalidAuthCallback, match=re.escape(message)) as raised:
        parse_auth_callback(body)
    assert isinstance(raised.value, InvalidSignature)
    assert "cs_1" not in str(raised.value)


# --- webhooks: registration ----------------------------------------------------------------------

def test_register_webhooks_creates_each_topic_once(woo, rsps):
    others = load("_webhooks.md__02_list-all-webhooks.json")  # another app's subscriptions
    store = WebhookEndpoint(others).install(rsps)

    created = woo.register_webhooks(HOOK_URL)

    assert created == list(TOPICS)
    assert store.posts == [{"name": f"Arrosto {topic}", "topic": topic,
                            "delivery_url": HOOK_URL, "secret": HOOK_SECRET}
                           for topic in TOPICS]
    assert store.puts == []

    again = WooCommerceShop(woo.shop).register_webhooks(HOOK_URL)
    assert again == [] and len(store.posts) == len(TOPICS)  # idempotent
    assert [h["id"] for h in store.hooks[:2]] == [143, 142]  # someone else's: left alone
    listed = [query(c.request) for c in rsps.calls if c.request.method == "GET"]
    assert all((q["per_page"], q["page"]) == ("100", "1") for q in listed)


def test_register_webhooks_makes_a_secret_when_the_shop_has_none(make_woo_shop, rsps):
    shop = make_woo_shop(webhook_secret=None)
    store = WebhookEndpoint(our_hooks(missing=TOPICS[3:])).install(rsps)

    created = WooCommerceShop(shop).register_webhooks(HOOK_URL)

    secret = shop.webhook_secret
    assert secret and len(secret) >= 40  # token_urlsafe(32), set for the caller to commit
    assert created == list(TOPICS[3:])
    assert {p["secret"] for p in store.posts} == {secret}
    # the three made before with a secret we no longer hold are given the new one
    assert store.puts == [(300, {"secret": secret}), (301, {"secret": secret}),
                          (302, {"secret": secret})]
    assert WooCommerceShop.webhook_secrets(None, shop) == [secret]
    assert WooCommerceShop.webhook_secrets(None, None) == []


def test_repair_re_enables_and_re_creates(woo, rsps):
    hooks = our_hooks(status={"order.updated": "disabled", "product.deleted": "paused"},
                      missing=("coupon.updated",))
    store = WebhookEndpoint(hooks).install(rsps)

    fixed = woo.repair_webhooks(HOOK_URL)

    assert fixed == ["product.deleted", "order.updated", "coupon.updated"]
    assert store.puts == [(302, {"status": "active"}), (304, {"status": "active"})]
    assert store.posts == [{"name": "Arrosto coupon.updated", "topic": "coupon.updated",
                            "delivery_url": HOOK_URL, "secret": HOOK_SECRET}]
    assert woo.repair_webhooks(HOOK_URL) == []


# --- webhooks: receiving -------------------------------------------------------------------------

def signed(body: bytes, topic: str, secret: str = HOOK_SECRET, **extra: str) -> dict[str, str]:
    resource, _, event = topic.partition(".")
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return {"X-WC-Webhook-Source": f"{STORE}/", "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource, "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": signature.decode(), "X-WC-Webhook-ID": "142",
            "X-WC-Webhook-Delivery-ID": "1d2f6b1b4f1f45f3b5e0a1a62c0d59a1",
            "Content-Type": "application/json", **extra}


def test_verify_a_signed_delivery():
    body = (FIXTURES / "_orders.md__03_update-an-order.json").read_bytes()
    meta = WooCommerceShop.verify_webhook(Headers(signed(body, "order.updated")), body,
                                          ["old-secret", HOOK_SECRET])
    assert (meta.topic, meta.shop_domain) == ("order.updated", "shop.example.com")
    assert meta.delivery_id.startswith("1d2f6b1b4f1f45f3b5e0a1a62c0d59a1:")

    # WooCommerce's delivery id is wp_hash(webhook id . second): a bulk edit repeats it
    other = body.replace(b'"id": 727', b'"id": 728')
    twin = WooCommerceShop.verify_webhook(signed(other, "order.updated"), other, [HOOK_SECRET])
    assert twin.delivery_id != meta.delivery_id
    lower = {k.lower(): v for k, v in signed(body, "order.updated").items()}
    assert WooCommerceShop.verify_webhook(lower, body, [HOOK_SECRET]) == meta


@pytest.mark.parametrize("tamper", ["body", "secret", "no signature", "no topic",
                                    "no delivery id", "no secrets"])
def test_verify_refuses(tamper):
    body = (FIXTURES / "_orders.md__03_update-an-order.json").read_bytes()
    headers = signed(body, "order.updated",
                     secret="someone-else" if tamper == "secret" else HOOK_SECRET)
    removed = {"no signature": "X-WC-Webhook-Signature", "no topic": "X-WC-Webhook-Topic",
               "no delivery id": "X-WC-Webhook-Delivery-ID"}.get(tamper)
    if removed:
        del headers[removed]
    if tamper == "body":
        body = body.replace(b'"total": "29.35"', b'"total": "0.01"')
    with pytest.raises(InvalidSignature):
        WooCommerceShop.verify_webhook(headers, body, [] if tamper == "no secrets"
                                       else [HOOK_SECRET])


def test_is_ping():
    assert WooCommerceShop.is_ping(Headers({"Content-Type": "application/x-www-form-urlencoded"}),
                                   b"webhook_id=143")
    assert not WooCommerceShop.is_ping(signed(b"webhook_id=143", "order.updated"),
                                       b"webhook_id=143")
    assert not WooCommerceShop.is_ping({}, b"webhook_id=143&x=1")
    assert not WooCommerceShop.is_ping({}, b'{"id": 143}')


@pytest.mark.parametrize(("topic", "body", "check"), [
    ("product.created", SIMPLE,
     lambda e: isinstance(e, events.ProductChanged) and e.product.external_id == "794"
     and e.product.variants[0].price == Decimal("21.99")),
    ("product.updated", "_products.md__04_update-a-product.json",
     lambda e: isinstance(e, events.ProductChanged)
     and e.product.variants[0].price == Decimal("24.54")),
    ("product.restored", SIMPLE,
     lambda e: isinstance(e, events.ProductChanged) and e.product.title == "Premium Quality"),
    ("product.deleted", {"id": 794}, lambda e: e == events.ProductDeleted(external_id="794")),
    ("order.created", "_orders.md__01_retrieve-an-order.json",
     lambda e: isinstance(e, events.OrderChanged) and e.order.financial_status == "paid"
     and e.order.fulfillment_status is None),
    ("order.updated", "_orders.md__03_update-an-order.json",
     lambda e: isinstance(e, events.OrderChanged) and e.order.fulfillment_status == "fulfilled"
     and e.order.updated_at == gmt("2017-03-22T19:30:35")),
    ("coupon.created", "_coupons.md__00_create-a-coupon.json",
     lambda e: isinstance(e, events.DiscountChanged) and (e.code, e.value, e.active)
     == ("10off", "10%", True)),
    ("coupon.updated", "_coupons.md__03_update-a-coupon.json",
     lambda e: isinstance(e, events.DiscountChanged) and e.value == "5%"),
    ("coupon.deleted", {"id": 719},
     lambda e: isinstance(e, events.DiscountChanged) and (e.external_id, e.active)
     == ("719", False)),
    ("customer.updated", "_customers.md__03_update-a-customer.json",
     lambda e: isinstance(e, events.CustomerChanged) and (e.customer.external_id,
     e.customer.first_name, e.customer.updated_at) == ("25", "James",
                                                       gmt("2017-03-21T19:12:28"))),
])
def test_parse_each_topic(topic, body, check):
    payload = load(body) if isinstance(body, str) else body
    [event] = WooCommerceShop.parse_webhook(topic, payload)
    assert check(event), event


def test_parse_a_variable_product_webhook_keeps_its_variation_ids():
    body = load(VARIABLE) | {"variations": [800, 801, 802], "price": "8.00"}
    [event] = WooCommerceShop.parse_webhook("product.updated", body)
    assert [(v.external_id, v.price) for v in event.product.variants] == [
        ("800", Decimal("8.00")), ("801", Decimal("8.00")), ("802", Decimal("8.00"))]


def test_parse_leaves_a_variation_body_to_the_sync():
    # product.updated fires for variations too, with the variation's own body
    body = load(VARIATIONS)[1] | {"type": "variation", "parent_id": 799, "name": "Ship Your Idea"}
    assert WooCommerceShop.parse_webhook("product.updated", body) == []


@pytest.mark.parametrize("payload", [[], "x", None, {"name": "no id"}, {"id": None}])
def test_parse_refuses_bodies_that_are_not_a_resource(payload):
    with pytest.raises(WebhookParseError):
        WooCommerceShop.parse_webhook("product.updated", payload)


def test_parse_refuses_unreadable_fields_and_ignores_unknown_topics():
    order = load("_orders.md__01_retrieve-an-order.json") | {"date_created_gmt": "not a date"}
    with pytest.raises(WebhookParseError, match="order.created 727"):
        WooCommerceShop.parse_webhook("order.created", order)
    assert WooCommerceShop.parse_webhook("action.woocommerce_add_to_cart", {"id": 1}) == []
    assert WooCommerceShop.parse_webhook("order.deleted", {"id": 727}) == []
    assert WooCommerceShop.parse_webhook("subscription.updated", [1]) == []


def test_a_delivery_end_to_end_through_the_receiver(db, client, shop):
    body = (FIXTURES / "_products.md__04_update-a-product.json").read_bytes()
    url = f"/webhooks/woocommerce/{shop.id}"

    ping = client.post(url, data=b"webhook_id=142",
                       content_type="application/x-www-form-urlencoded")
    forged = client.post(url, data=body, headers=signed(body, "product.updated",
                                                        secret="guess"))
    accepted = client.post(url, data=body, headers=signed(body, "product.updated"))

    assert (ping.status_code, ping.get_json()) == (200, {"status": "ok"})
    assert forged.status_code == 401
    assert (accepted.status_code, accepted.get_json()) == (200, {"status": "accepted"})
    with db.transaction() as s:
        [delivery] = s.scalars(select(WebhookDelivery)).all()
        assert (delivery.topic, delivery.shop_id, delivery.state) == (
            "product.updated", shop.id, "processed")
    with db.transaction(shop.id) as s:
        product = s.scalar(select(Product).where(Product.external_id == "794"))
        assert (product.title, product.price) == ("Premium Quality", Decimal("24.54"))
