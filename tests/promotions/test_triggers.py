"""Triggers: each shop event, from its recorded or documented payload through the real webhook
receiver (or the real sync), becomes one promotion awaiting approval, with the right products,
value and dates; repeated deliveries change nothing, an update updates it, an expired, disabled
or deleted discount closes it. Nothing is ever sent from here.

Shopify answers through the loopback fake, which executes each GraphQL document against the
2025-01 Admin schema; WooCommerce's REST API is answered by ``responses`` with the docs' own
examples (fixtures named in ``tests/fixtures/*/SOURCES.md``).
"""
from __future__ import annotations

import copy
import datetime as dt

import pytest
import responses
from graphql import parse, validate
from sqlalchemy import select

from arrosto import jobs
from arrosto.models import Product, Promotion, Shop, SyncBookmark, WebhookDelivery, utcnow
from arrosto.promotions.triggers import create_manual_promotion
from arrosto.shops import platform_for
from arrosto.shops import shopify_queries as q
from arrosto.shops.reconcile import refresh_all_discounts_job
from arrosto.shops.sync import refresh_discounts, sync_resource

from ..shops.shopify_fake import (
    admin_schema,
    code_discount_node,
    collection_node,
    connection,
    product_node,
)
from ..shops.woocommerce_store import API, SIMPLE, VARIABLE, serve_list
from . import shop_events
from .shop_events import (
    nothing_sent,
    post_shopify,
    post_woo,
    product_ids_of,
    promotions,
    rest_body,
    shopify_fixture,
    woo_fixture,
)

app, fake, store = shop_events.app, shop_events.fake, shop_events.store
shopify_shop, woo_shop = shop_events.shopify_shop, shop_events.woo_shop

NOW = utcnow().replace(microsecond=0)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def wc_gmt(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def sync_products(db, shop_id: int):
    with db.transaction() as s:
        platform = platform_for(s.get(Shop, shop_id))
    return sync_resource(db, shop_id, platform, "products")


@pytest.fixture
def catalog(db, fake, shopify_shop):
    """Ten products synced from the fake (variant 0 of each already has a compare-at price)."""
    fake.products = [product_node(i) for i in range(1, 11)]
    sync_products(db, shopify_shop)


# --- Shopify discounts ----------------------------------------------------------------------------

def discount(gid: str, **kw) -> dict:
    """The fake's discount node for a webhook's ``admin_graphql_api_id``."""
    kw.setdefault("starts_at", iso(NOW - dt.timedelta(hours=1)))
    kw.setdefault("ends_at", iso(NOW + dt.timedelta(days=14)))
    return {**code_discount_node(10, **kw), "id": gid}


def test_the_first_sync_of_a_catalog_already_on_sale_makes_no_promotion(db, catalog,
                                                                         shopify_shop):
    assert promotions(db, shopify_shop) == []
    with db.transaction(shopify_shop) as s:
        assert s.scalar(select(Product).where(Product.external_id == "1001")).in_stock is True


def test_a_shopify_discount_webhook_becomes_one_promotion(client, db, fake, catalog,
                                                          shopify_shop):
    created = shopify_fixture("webhooks/discounts_create.json")
    gid = created["admin_graphql_api_id"]
    fake.discounts = [discount(gid, products=[4], variants=[700])]  # 700: a variant of 1007

    statuses = [post_shopify(client, "discounts/create", created, webhook_id="wh-create")
                for _ in range(3)]

    assert statuses == ["accepted", "duplicate", "duplicate"]
    [promotion] = promotions(db, shopify_shop)
    assert (promotion.source, promotion.external_id, promotion.state) == (
        "shopify_discount", gid, "pending_approval")
    assert (promotion.title, promotion.code, promotion.value) == ("Estate 10", "ESTATE10", "10%")
    assert (promotion.starts_at, promotion.ends_at) == (NOW - dt.timedelta(hours=1),
                                                        NOW + dt.timedelta(days=14))
    assert product_ids_of(db, shopify_shop, promotion.id) == ["1004", "1007"]
    [read] = fake.calls("ArrostoDiscount")  # once: the repeats were never processed
    assert read.body["query"] == q.DISCOUNT and read.variables["id"] == gid
    assert validate(admin_schema(), parse(read.body["query"])) == []
    assert nothing_sent(db, shopify_shop)


def test_a_discount_update_updates_the_same_promotion(client, db, fake, catalog, shopify_shop):
    created = shopify_fixture("webhooks/discounts_create.json")
    gid = created["admin_graphql_api_id"]
    fake.discounts = [discount(gid, products=[4, 7])]
    post_shopify(client, "discounts/create", created)
    [before] = promotions(db, shopify_shop)

    later = NOW + dt.timedelta(days=30)
    fake.discounts = [discount(gid, products=[4], percentage=0.2, ends_at=iso(later),
                               title="Estate 20")]
    updated = {**created, "title": "Estate 20", "updated_at": iso(NOW)}
    for _ in range(3):  # Shopify sends several discounts/update for one save: distinct ids
        assert post_shopify(client, "discounts/update", updated) == "accepted"

    [after] = promotions(db, shopify_shop)
    assert after.id == before.id
    assert (after.title, after.value, after.ends_at, after.state) == (
        "Estate 20", "20%", later, "pending_approval")
    assert product_ids_of(db, shopify_shop, after.id) == ["1004"]


def test_an_automatic_discount_on_a_collection_reads_the_collections_products(
        client, db, fake, catalog, shopify_shop):
    gid = "gid://shopify/DiscountAutomaticNode/77"
    fake.collections = [collection_node(5, [2, 3, 9])]
    fake.discounts = [discount(gid, automatic=True, collections=[5], percentage=None,
                               title="Autunno")]
    body = {**shopify_fixture("webhooks/discounts_create.json"), "admin_graphql_api_id": gid,
            "title": "Autunno"}

    post_shopify(client, "discounts/create", body)

    [promotion] = promotions(db, shopify_shop)
    assert (promotion.code, promotion.value, promotion.title) == (None, "5.00 EUR", "Autunno")
    assert product_ids_of(db, shopify_shop, promotion.id) == ["1002", "1003", "1009"]
    [read] = fake.calls("ArrostoCollectionProducts")
    assert read.variables["id"] == "gid://shopify/Collection/5"
    assert validate(admin_schema(), parse(read.body["query"])) == []


def test_a_large_collection_is_read_page_by_page(db, fake, shopify_shop):
    fake.collections = [collection_node(5, list(range(1, 301)))]
    with db.transaction() as s:
        platform = platform_for(s.get(Shop, shopify_shop))
    assert platform.collection_products("5") == [str(1000 + i) for i in range(1, 301)]
    assert [c.variables.get("after") is not None
            for c in fake.calls("ArrostoCollectionProducts")] == [False, True]
    assert platform.collection_products("gid://shopify/Collection/404") == []


def test_a_discount_on_everything_covers_the_active_catalog(client, db, fake, catalog,
                                                            shopify_shop):
    gid = "gid://shopify/DiscountCodeNode/88"
    fake.discounts = [discount(gid)]
    post_shopify(client, "discounts/create",
                 {**shopify_fixture("webhooks/discounts_create.json"),
                  "admin_graphql_api_id": gid})
    [promotion] = promotions(db, shopify_shop)
    assert len(product_ids_of(db, shopify_shop, promotion.id)) == 10


def test_a_scheduled_discount_is_prepared(client, db, fake, catalog, shopify_shop):
    created = shopify_fixture("webhooks/discounts_create.json")
    starts = NOW + dt.timedelta(days=3)
    fake.discounts = [discount(created["admin_graphql_api_id"], products=[1], status="SCHEDULED",
                               starts_at=iso(starts))]
    post_shopify(client, "discounts/create", {**created, "status": "SCHEDULED"})
    [promotion] = promotions(db, shopify_shop)
    assert (promotion.state, promotion.starts_at) == ("pending_approval", starts)


def test_expired_and_deleted_discounts_close_promotions_not_yet_sent(client, db, fake, catalog,
                                                                     shopify_shop):
    body = shopify_fixture("webhooks/discounts_create.json")
    ids = [f"gid://shopify/DiscountCodeNode/{n}" for n in (1, 2, 3)]
    fake.discounts = [discount(gid, products=[n]) for n, gid in enumerate(ids, 1)]
    for gid in ids:
        post_shopify(client, "discounts/create", {**body, "admin_graphql_api_id": gid})
    expiring, deleted, sent = promotions(db, shopify_shop)
    with db.transaction(shopify_shop) as s:
        s.get(Promotion, sent.id).state = "done"

    ended = NOW - dt.timedelta(minutes=5)
    fake.discounts = [discount(ids[0], products=[1], status="EXPIRED", ends_at=iso(ended)),
                      discount(ids[2], products=[3], status="EXPIRED", ends_at=iso(ended))]
    for gid in (ids[0], ids[2]):
        post_shopify(client, "discounts/update",
                     {**body, "admin_graphql_api_id": gid, "status": "EXPIRED"})
    post_shopify(client, "discounts/delete", {"admin_graphql_api_id": ids[1],
                                              "deleted_at": iso(NOW)})

    states = {p.external_id: (p.state, p.ends_at) for p in promotions(db, shopify_shop)}
    planned = NOW + dt.timedelta(days=14)
    assert states == {ids[0]: ("expired", ended), ids[1]: ("cancelled", planned),
                      ids[2]: ("done", planned)}


def test_a_discount_already_expired_when_first_seen_makes_no_promotion(client, db, fake,
                                                                       catalog, shopify_shop):
    body = shopify_fixture("webhooks/discounts_create.json")
    fake.discounts = [discount(body["admin_graphql_api_id"], status="EXPIRED",
                               ends_at=iso(NOW - dt.timedelta(days=1)))]
    post_shopify(client, "discounts/update", {**body, "status": "EXPIRED"})
    assert promotions(db, shopify_shop) == []


def test_shopify_down_after_the_webhook_is_caught_up_by_the_periodic_reread(
        client, db, fake, catalog, shopify_shop):
    assert refresh_discounts(db, shopify_shop) == 0  # the first run notes the time only
    body = shopify_fixture("webhooks/discounts_create.json")
    fake.discounts = [discount(body["admin_graphql_api_id"], products=[2])]
    fake.script(503, {"errors": "Service Unavailable"})

    post_shopify(client, "discounts/create", body)

    with db.transaction() as s:  # the delivery is done with; reading the details failed
        assert s.scalar(select(WebhookDelivery.state)) == "processed"
    assert promotions(db, shopify_shop) == []
    assert refresh_discounts(db, shopify_shop) == 1
    [promotion] = promotions(db, shopify_shop)
    assert (promotion.code, product_ids_of(db, shopify_shop, promotion.id)) == (
        "ESTATE10", ["1002"])
    assert fake.calls("ArrostoDiscounts")[-1].variables["query"].startswith("updated_at:>'")
    with db.transaction(shopify_shop) as s:
        mark = s.scalar(select(SyncBookmark).where(SyncBookmark.resource == "discounts"))
        assert mark.last_error is None and mark.items_synced == 1


# --- Shopify products: price drop and back in stock ---------------------------------------------

def test_a_price_drop_from_product_webhooks(client, db, shopify_shop):
    product = rest_body("product")  # four variants at 199.00, no compare-at price
    post_shopify(client, "products/create", product)
    assert promotions(db, shopify_shop) == []

    dropped = copy.deepcopy(product)
    dropped["variants"][1].update(price="149.00", compare_at_price="199.00")
    statuses = [post_shopify(client, "products/update", dropped, webhook_id="wh-drop")
                for _ in range(3)]
    post_shopify(client, "products/update", dropped)  # same content, another delivery

    assert statuses == ["accepted", "duplicate", "duplicate"]
    [promotion] = promotions(db, shopify_shop)
    assert (promotion.source, promotion.title, promotion.value, promotion.state) == (
        "price_drop", "IPod Nano - 8GB on sale", "199.00 → 149.00 EUR", "pending_approval")
    assert promotion.external_id.startswith("632910392:")
    assert product_ids_of(db, shopify_shop, promotion.id) == ["632910392"]

    lower = copy.deepcopy(dropped)
    lower["variants"][1]["price"] = "129.00"
    post_shopify(client, "products/update", lower)
    [promotion] = promotions(db, shopify_shop)  # the same one, better news
    assert promotion.value == "199.00 → 129.00 EUR"

    post_shopify(client, "products/update", product)  # the sale is over before it was sent
    [promotion] = promotions(db, shopify_shop)
    assert promotion.state == "expired"
    assert nothing_sent(db, shopify_shop)


def test_back_in_stock_from_product_webhooks(client, db, shopify_shop):
    sold_out = rest_body("product")
    for variant in sold_out["variants"]:
        variant["inventory_quantity"] = 0
    post_shopify(client, "products/create", sold_out)
    restocked = copy.deepcopy(sold_out)
    restocked["variants"][2]["inventory_quantity"] = 12

    post_shopify(client, "products/update", restocked)
    post_shopify(client, "products/update", restocked)

    [promotion] = promotions(db, shopify_shop)
    assert (promotion.source, promotion.title, promotion.value) == (
        "back_in_stock", "IPod Nano - 8GB is back in stock", None)
    assert product_ids_of(db, shopify_shop, promotion.id) == ["632910392"]
    post_shopify(client, "products/update", sold_out)  # sold out again before it was sent
    assert promotions(db, shopify_shop)[0].state == "cancelled"


def test_a_sync_finds_price_drops_and_restocks(db, fake, catalog, shopify_shop):
    now = utcnow()  # after the catalog's sync: the next one asks for what changed since
    changed = iso(now + dt.timedelta(minutes=1))
    cheaper, on_sale, empty = fake.products[2], fake.products[4], fake.products[5]
    cheaper["updatedAt"] = on_sale["updatedAt"] = empty["updatedAt"] = changed
    cheaper["variants"] = lambda *a, **k: _variants(3, [("9.90", "15.00"), ("12.50", None)])
    on_sale["variants"] = lambda *a, **k: _variants(5, [("12.50", "15.00"), ("11.00", "14.00")])
    empty["variants"] = lambda *a, **k: _variants(6, [("12.50", "15.00"), ("12.50", None)],
                                                  stock=0)
    sync_products(db, shopify_shop)
    drops = promotions(db, shopify_shop)
    assert [(p.source, p.value) for p in drops] == [("price_drop", "15.00 → 9.90 EUR"),
                                                    ("price_drop", "14.00 → 11.00 EUR")]
    assert [product_ids_of(db, shopify_shop, p.id) for p in drops] == [["1003"], ["1005"]]

    empty["updatedAt"] = iso(now + dt.timedelta(minutes=2))
    empty["variants"] = lambda *a, **k: _variants(6, [("12.50", "15.00"), ("12.50", None)],
                                                  stock=4)
    sync_products(db, shopify_shop)
    restock = promotions(db, shopify_shop)[-1]
    assert (restock.source, product_ids_of(db, shopify_shop, restock.id)) == (
        "back_in_stock", ["1006"])
    sync_products(db, shopify_shop)  # nothing changed since: nothing new
    assert len(promotions(db, shopify_shop)) == 3


def _variants(product: int, prices: list[tuple[str, str | None]], stock: int = 10) -> dict:
    nodes = [{"id": f"gid://shopify/ProductVariant/{product * 100 + n}", "title": f"{n}",
              "sku": f"MIS-{product}-{n}", "price": price, "compareAtPrice": compare_at,
              "inventoryQuantity": stock} for n, (price, compare_at) in enumerate(prices)]
    return connection(nodes, 10, None)


# --- WooCommerce coupons ----------------------------------------------------------------------

@pytest.fixture
def woo_catalog(client, woo_shop):
    """The docs' simple product (794) and variable product (799), by product.created."""
    post_woo(client, woo_shop, "product.created", woo_fixture(SIMPLE))
    post_woo(client, woo_shop, "product.created", woo_fixture(VARIABLE))


def coupon(**changes) -> dict:
    """The docs' "Create a coupon" answer (719, "10off", 10 percent, everything)."""
    return {**woo_fixture("_coupons.md__00_create-a-coupon.json"), **changes}


def test_a_woocommerce_coupon_becomes_one_promotion(client, db, woo_shop, woo_catalog):
    body = woo_fixture("_coupons.md__00_create-a-coupon.json")
    statuses = [post_woo(client, woo_shop, "coupon.created", body, delivery_id="d-719")
                for _ in range(3)]

    assert statuses == ["accepted", "duplicate", "duplicate"]
    [promotion] = promotions(db, woo_shop)
    assert (promotion.source, promotion.external_id, promotion.code, promotion.value) == (
        "wc_coupon", "719", "10off", "10%")
    assert (promotion.state, promotion.starts_at, promotion.ends_at) == (
        "pending_approval", dt.datetime(2017, 3, 21, 18, 23, tzinfo=dt.UTC), None)
    assert product_ids_of(db, woo_shop, promotion.id) == ["794", "799"]  # no product_ids: all

    post_woo(client, woo_shop, "coupon.updated",
             woo_fixture("_coupons.md__03_update-a-coupon.json"))
    [updated] = promotions(db, woo_shop)
    assert (updated.id, updated.value) == (promotion.id, "5%")
    assert nothing_sent(db, woo_shop)


def test_a_coupon_for_some_products_with_an_expiry(client, db, woo_shop, woo_catalog):
    expires = NOW + dt.timedelta(days=10)
    post_woo(client, woo_shop, "coupon.created", coupon(
        id=720, code="estate", discount_type="fixed_product", amount="3.00",
        product_ids=[794], date_expires=wc_gmt(expires), date_expires_gmt=wc_gmt(expires)))
    post_woo(client, woo_shop, "coupon.created", coupon(
        id=721, code="tutto", excluded_product_ids=[799]))
    some, excluded = promotions(db, woo_shop)
    assert (some.code, some.value, some.ends_at) == ("estate", "3.00 EUR", expires)
    assert product_ids_of(db, woo_shop, some.id) == ["794"]
    assert product_ids_of(db, woo_shop, excluded.id) == ["794"]


def test_a_coupon_on_a_category_reads_the_categorys_products(client, db, woo_shop, woo_catalog,
                                                             store):
    body = coupon(id=722, code="caffe", product_categories=[15])
    store.add(responses.GET, f"{API}/coupons/722", json=body)
    products = store.add(responses.GET, f"{API}/products", json=[{"id": 799}],
                         headers={"X-WP-TotalPages": "1", "X-WP-Total": "1"})

    post_woo(client, woo_shop, "coupon.created", body)

    [promotion] = promotions(db, woo_shop)
    assert product_ids_of(db, woo_shop, promotion.id) == ["799"]
    assert products.call_count == 1
    assert "category=15" in products.calls[0].request.url


def test_expired_and_deleted_coupons_close_their_promotions(client, db, woo_shop, woo_catalog):
    post_woo(client, woo_shop, "coupon.created", coupon())
    post_woo(client, woo_shop, "coupon.created", coupon(id=723, code="altro"))
    past = NOW - dt.timedelta(hours=2)
    post_woo(client, woo_shop, "coupon.updated", coupon(date_expires=wc_gmt(past),
                                                        date_expires_gmt=wc_gmt(past)))
    post_woo(client, woo_shop, "coupon.deleted", {"id": 723})
    assert [(p.external_id, p.state) for p in promotions(db, woo_shop)] == [
        ("719", "expired"), ("723", "cancelled")]


def test_the_periodic_reread_catches_a_coupon_whose_webhook_never_came(db, woo_shop,
                                                                       woo_catalog, store):
    assert any(p.target.endswith(":refresh_all_discounts_job") for p in jobs.SCHEDULE)
    body = coupon(date_modified_gmt=wc_gmt(utcnow() + dt.timedelta(minutes=1)))
    listing = serve_list(store, "coupons", [body])
    store.add(responses.GET, f"{API}/coupons/719", json=body)

    refresh_all_discounts_job()  # the first look notes the time: nothing listed yet
    assert listing.queries == [] and promotions(db, woo_shop) == []
    refresh_all_discounts_job()

    [promotion] = promotions(db, woo_shop)
    assert (promotion.source, promotion.code, promotion.value) == ("wc_coupon", "10off", "10%")
    assert listing.queries[0]["modified_after"] and listing.queries[0]["dates_are_gmt"] == "true"


# --- WooCommerce products: on sale and back in stock ---------------------------------------------

def test_a_woocommerce_product_going_on_sale(client, db, woo_shop):
    product = woo_fixture(SIMPLE)  # "Premium Quality" at 21.99, not on sale
    post_woo(client, woo_shop, "product.created", product)
    on_sale = {**product, "price": "17.99", "sale_price": "17.99", "on_sale": True}
    statuses = [post_woo(client, woo_shop, "product.updated", on_sale, delivery_id="d-sale")
                for _ in range(3)]
    post_woo(client, woo_shop, "product.updated", {**on_sale, "date_modified_gmt": wc_gmt(NOW)})

    assert statuses == ["accepted", "duplicate", "duplicate"]
    [promotion] = promotions(db, woo_shop)
    assert (promotion.source, promotion.title, promotion.value) == (
        "wc_sale", "Premium Quality on sale", "21.99 → 17.99 EUR")
    assert product_ids_of(db, woo_shop, promotion.id) == ["794"]

    post_woo(client, woo_shop, "product.updated",  # the sale ended, a minute later
             {**product, "date_modified_gmt": wc_gmt(NOW + dt.timedelta(minutes=1))})
    assert promotions(db, woo_shop)[0].state == "expired"


def test_a_woocommerce_product_back_in_stock(client, db, woo_shop):
    product = woo_fixture(SIMPLE)  # no stock management: only stock_status says it
    post_woo(client, woo_shop, "product.created", {**product, "stock_status": "outofstock"})
    post_woo(client, woo_shop, "product.updated", product)
    [promotion] = promotions(db, woo_shop)
    assert (promotion.source, promotion.title) == ("back_in_stock",
                                                   "Premium Quality is back in stock")
    assert product_ids_of(db, woo_shop, promotion.id) == ["794"]


# --- by hand ------------------------------------------------------------------------------------

def test_a_promotion_created_by_hand(db, catalog, shopify_shop):
    ends = NOW + dt.timedelta(days=7)
    with db.transaction(shopify_shop) as s:
        ids = list(s.scalars(select(Product.id).order_by(Product.id).limit(2)))
        promotion = create_manual_promotion(s, title="  Black Friday ", product_ids=ids,
                                            code="BF25", value="25%", ends_at=ends)
    [stored] = promotions(db, shopify_shop)
    assert stored.id == promotion.id
    assert (stored.source, stored.title, stored.code, stored.value, stored.ends_at,
            stored.state) == ("manual", "Black Friday", "BF25", "25%", ends, "pending_approval")
    assert product_ids_of(db, shopify_shop, stored.id) == ["1001", "1002"]


@pytest.mark.parametrize(("changes", "message"), [
    ({"title": " "}, "title"),
    ({"product_ids": []}, "at least one product"),
    ({"product_ids": [999999]}, "no such products"),
    ({"ends_at": NOW - dt.timedelta(days=1)}, "past"),
    ({"ends_at": dt.datetime(2030, 1, 1)}, "timezone"),
])
def test_a_promotion_by_hand_refuses_bad_input(db, catalog, shopify_shop, changes, message):
    with db.transaction(shopify_shop) as s:
        ids = list(s.scalars(select(Product.id).limit(1)))
        kwargs = {"title": "Saldi", "product_ids": ids, **changes}
        with pytest.raises(ValueError, match=message):
            create_manual_promotion(s, **kwargs)
    assert promotions(db, shopify_shop) == []


def test_another_shops_products_cannot_be_promoted(db, catalog, shopify_shop, woo_shop):
    with db.transaction(shopify_shop) as s:
        ids = list(s.scalars(select(Product.id)))
    with db.transaction(woo_shop) as s, pytest.raises(ValueError, match="no such products"):
        create_manual_promotion(s, title="Saldi", product_ids=ids[:1])
