"""Attribution: an order created with a promotion's code, or landing from one of its links
(``utm_source=arrosto``, ``utm_campaign=<promotion>``), is one conversion with the order's total
as revenue — through the real webhook receivers and the real order sync."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from arrosto.models import Conversion, Order, Product, Promotion, Shop, utcnow
from arrosto.promotions.attribution import (
    attribute_orders,
    campaign,
    campaign_id,
    promotion_results,
)
from arrosto.promotions.triggers import create_manual_promotion
from arrosto.shops import platform_for
from arrosto.shops.sync import sync_resource

from ..shops.shopify_fake import code_discount_node, order_node
from ..shops.woocommerce_store import SIMPLE
from . import shop_events
from .shop_events import (
    post_shopify,
    post_woo,
    promotions,
    rest_body,
    shopify_fixture,
    woo_fixture,
)

app, fake, shopify_shop, woo_shop = (shop_events.app, shop_events.fake, shop_events.shopify_shop,
                                     shop_events.woo_shop)
NOW = utcnow().replace(microsecond=0)


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def conversions(db, shop_id: int) -> list[tuple[int, str, Decimal, str]]:
    """(promotion id, order name, revenue, matched by) of every conversion."""
    with db.transaction(shop_id) as s:
        rows = s.execute(select(Conversion.promotion_id, Order.name, Conversion.revenue,
                                Conversion.matched_by).join(Order, Order.id == Conversion.order_id)
                         .order_by(Conversion.id))
        return [tuple(r) for r in rows]


def manual(db, shop_id: int, code: str | None = None) -> int:
    """A promotion by hand on the shop's first product (one is stored if there is none)."""
    with db.transaction(shop_id) as s:
        product_id = s.scalar(select(Product.id).limit(1))
        if product_id is None:
            product = Product(external_id="1", title="Miscela Oro")
            s.add(product)
            s.flush()
            product_id = product.id
        return create_manual_promotion(s, title="Miscela Oro in offerta", product_ids=[product_id],
                                       code=code).id


def use_currency(db, shop_id: int, currency: str) -> None:
    with db.transaction() as s:
        s.get(Shop, shop_id).currency = currency


def order_body(**changes) -> dict:
    """ShopifyAPI's recorded order (#1001, 409.94 USD, code TENOFF), placed now."""
    return {**rest_body("order"), "created_at": iso(NOW), "updated_at": iso(NOW), **changes}


# --- Shopify --------------------------------------------------------------------------------------

def test_an_order_carrying_the_discount_code_is_a_conversion(client, db, fake, shopify_shop):
    use_currency(db, shopify_shop, "USD")
    created = shopify_fixture("webhooks/discounts_create.json")
    fake.discounts = [{**code_discount_node(10, starts_at=iso(NOW - dt.timedelta(hours=1)),
                                            ends_at=iso(NOW + dt.timedelta(days=7))),
                       "id": created["admin_graphql_api_id"]}]
    post_shopify(client, "discounts/create", created)
    [promotion] = promotions(db, shopify_shop)
    assert promotion.code == "ESTATE10"

    order = order_body(discount_codes=[{"code": "estate10", "amount": "40.99",
                                        "type": "percentage"}])
    statuses = [post_shopify(client, "orders/create", order, webhook_id="wh-order")
                for _ in range(3)]

    assert statuses == ["accepted", "duplicate", "duplicate"]
    assert conversions(db, shopify_shop) == [(promotion.id, "#1001", Decimal("409.94"), "code")]
    with db.transaction(shopify_shop) as s:
        results = promotion_results(s, promotion.id)
    assert (results.conversions, results.revenue, results.currency, results.by_code) == (
        1, Decimal("409.94"), "USD", 1)
    assert [(o.name, o.revenue, o.cancelled) for o in results.orders] == [
        ("#1001", Decimal("409.94"), False)]

    post_shopify(client, "orders/updated", {**order, "total_price": "359.94"})  # a refund
    assert conversions(db, shopify_shop) == [(promotion.id, "#1001", Decimal("359.94"), "code")]

    cancelled = {**order, "total_price": "359.94", "cancelled_at": iso(NOW),
                 "cancel_reason": "customer"}
    post_shopify(client, "orders/cancelled", cancelled)
    with db.transaction(shopify_shop) as s:
        results = promotion_results(s, promotion.id)
    assert (results.conversions, results.revenue) == (0, Decimal("0"))
    assert [o.cancelled for o in results.orders] == [True]


def test_an_order_landing_from_an_arrosto_link_is_a_conversion(client, db, shopify_shop):
    use_currency(db, shopify_shop, "USD")
    promotion_id = manual(db, shopify_shop)
    with db.transaction(shopify_shop) as s:
        tag = campaign(s.get_one(Promotion, promotion_id))
    assert tag == f"miscela-oro-in-offerta-{promotion_id}"

    post_shopify(client, "orders/create", order_body(
        landing_site=f"/products/ipod-nano?utm_source=arrosto&utm_medium=bluesky"
                     f"&utm_campaign={tag}"))
    post_shopify(client, "orders/create", order_body(
        id=450789470, name="#1002", landing_site=f"/?utm_source=newsletter&utm_campaign={tag}"))

    assert conversions(db, shopify_shop) == [(promotion_id, "#1001", Decimal("409.94"), "utm")]
    with db.transaction(shopify_shop) as s:
        results = promotion_results(s, promotion_id)
    assert (results.conversions, results.by_utm, results.revenue) == (1, 1, Decimal("409.94"))


def test_orders_placed_before_the_promotion_do_not_count(client, db, shopify_shop):
    manual(db, shopify_shop, code="TENOFF")
    post_shopify(client, "orders/create", rest_body("order"))  # placed in 2008, code TENOFF
    assert conversions(db, shopify_shop) == []


def test_synced_orders_are_attributed(db, fake, shopify_shop):
    promotion_id = manual(db, shopify_shop, code="estate10")
    with db.transaction(shopify_shop) as s:
        tag = campaign(s.get_one(Promotion, promotion_id))
    by_code, by_link, neither = order_node(1), order_node(2), order_node(3)
    for node in (by_code, by_link, neither):
        node["createdAt"] = iso(NOW)
    by_link["discountCodes"] = neither["discountCodes"] = []
    by_link["customerJourneySummary"] = {"lastVisit": {
        "landingPage": f"https://caffe.example/?utm_source=arrosto&utm_campaign={tag}"}}
    fake.orders = [by_code, by_link, neither]
    with db.transaction() as s:
        platform = platform_for(s.get(Shop, shopify_shop))

    sync_resource(db, shopify_shop, platform, "orders")
    sync_resource(db, shopify_shop, platform, "orders")  # read again: nothing new

    assert conversions(db, shopify_shop) == [
        (promotion_id, "#1001", Decimal("24.50"), "code"),
        (promotion_id, "#1002", Decimal("24.50"), "utm")]


# --- WooCommerce ----------------------------------------------------------------------------------

def test_a_woocommerce_order_with_the_coupon_is_a_conversion(client, db, woo_shop):
    use_currency(db, woo_shop, "USD")
    post_woo(client, woo_shop, "product.created", woo_fixture(SIMPLE))
    post_woo(client, woo_shop, "coupon.created",
             woo_fixture("_coupons.md__00_create-a-coupon.json"))
    [promotion] = promotions(db, woo_shop)
    order = woo_fixture("_orders.md__01_retrieve-an-order.json")  # 727, 29.35 USD
    order.update(date_created_gmt=NOW.strftime("%Y-%m-%dT%H:%M:%S"),
                 coupon_lines=[{"id": 319, "code": "10off", "discount": "2.00",
                                "discount_tax": "0.00", "meta_data": []}])

    for _ in range(3):
        post_woo(client, woo_shop, "order.created", order, delivery_id="d-727")

    linked = {**order, "id": 728, "number": "728", "coupon_lines": [], "meta_data": [
        {"id": 1, "key": "_wc_order_attribution_session_entry",
         "value": "https://shop.example.com/premium-quality/"},
        {"id": 2, "key": "_wc_order_attribution_utm_source", "value": "arrosto"},
        {"id": 3, "key": "_wc_order_attribution_utm_campaign", "value": str(promotion.id)}]}
    post_woo(client, woo_shop, "order.created", linked)

    assert conversions(db, woo_shop) == [(promotion.id, "#727", Decimal("29.35"), "code"),
                                         (promotion.id, "#728", Decimal("29.35"), "utm")]
    with db.transaction(woo_shop) as s:
        results = promotion_results(s, promotion.id)
    assert (results.conversions, results.revenue, results.by_code, results.by_utm) == (
        2, Decimal("58.70"), 1, 1)


# --- the rules --------------------------------------------------------------------------------

@pytest.mark.parametrize(("landing_site", "expected"), [
    ("/?utm_source=arrosto&utm_campaign=42", 42),
    ("https://shop.example/p/x?utm_medium=x&utm_source=Arrosto&utm_campaign=estate-10-42", 42),
    ("/?utm_source=arrosto&amp;utm_campaign=miscela-oro-7", 7),
    ("/?utm_source=arrosto&utm_campaign=estate", None),
    ("/?utm_source=newsletter&utm_campaign=42", None),
    ("/?utm_campaign=42", None),
    ("http://www.example.com?source=abc", None),
    (None, None),
])
def test_campaign_id(landing_site, expected):
    assert campaign_id(landing_site) == expected


def test_results_of_another_shops_promotion_are_not_found(db, shopify_shop, woo_shop):
    promotion_id = manual(db, shopify_shop, code="X")
    with db.transaction(woo_shop) as s, pytest.raises(LookupError):
        promotion_results(s, promotion_id)


def test_a_conversion_is_recorded_once_however_often_the_order_is_seen(db, shopify_shop):
    promotion_id = manual(db, shopify_shop, code="BF25")
    with db.transaction(shopify_shop) as s:
        order = Order(external_id="9", name="#9", created_at=NOW, total_price=Decimal("10.00"),
                      discount_codes=["bf25"])
        s.add(order)
        s.flush()
        for _ in range(3):
            attribute_orders(s, [order])
        assert s.scalar(select(func.count(Conversion.id))) == 1
    assert conversions(db, shopify_shop) == [(promotion_id, "#9", Decimal("10.00"), "code")]
