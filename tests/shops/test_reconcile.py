"""Reconciliation: re-read what changed and repair webhook subscriptions the platform dropped
(WooCommerce disables a webhook after repeated failed deliveries and never retries them)."""
from __future__ import annotations

import json

import responses
from sqlalchemy import func, select

from arrosto.models import Product, Shop
from arrosto.shops.reconcile import active_shops, reconcile_shop
from arrosto.shops.woocommerce import TOPICS

from ..factories import make_shop
from .woocommerce_store import (
    API,
    HOOK_SECRET,
    KEY,
    SECRET,
    STORE,
    WebhookEndpoint,
    catalog,
    load,
    our_hooks,
    serve_list,
    serve_variations,
    variations_for,
)


def test_reconcile_re_enables_webhooks_and_reads_missed_changes(db):
    shop_id = make_shop(db, "shop.example.com", platform="woocommerce", store_url=STORE,
                        api_key=KEY, api_secret=SECRET, webhook_secret=HOOK_SECRET)
    delivery_url = f"https://arrosto.example.com/webhooks/woocommerce/{shop_id}"
    hooks = our_hooks(status={"order.created": "disabled", "product.updated": "paused"},
                      missing=("coupon.updated",))
    for hook in hooks:
        hook["delivery_url"] = delivery_url
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        products = catalog(120)
        serve_list(rsps, "products", products)
        serve_variations(rsps, {p["id"]: variations_for(p["id"]) for p in products
                                if p["type"] == "variable"})
        serve_list(rsps, "customers", load("_customers.md__02_list-all-customers.json"))
        serve_list(rsps, "orders", load("_orders.md__02_list-all-orders.json"))
        endpoint = WebhookEndpoint(hooks).install(rsps)
        fixed = reconcile_shop(db, shop_id, "https://arrosto.example.com")
    assert sorted(fixed) == sorted(["order.created", "product.updated", "coupon.updated"])
    assert {hook_id for hook_id, body in endpoint.puts if body.get("status") == "active"} == {
        h["id"] for h in hooks if h["topic"] in ("order.created", "product.updated")}
    assert [json.loads(json.dumps(p))["topic"] for p in endpoint.posts] == ["coupon.updated"]
    assert set(TOPICS) == {h["topic"] for h in endpoint.hooks}
    with db.transaction(shop_id) as s:
        assert s.scalar(select(func.count(Product.id))) == 120


def test_one_failing_shop_is_recorded_and_others_go_on(db):
    broken = make_shop(db, "broken.example.com", platform="woocommerce", store_url=STORE,
                       api_key=KEY, api_secret=SECRET, webhook_secret=HOOK_SECRET)
    make_shop(db, "gone.example.com", platform="woocommerce", status="uninstalled")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.GET, f"{API}/products", status=401,
                 json={"code": "woocommerce_rest_cannot_view", "message": "no",
                       "data": {"status": 401}})
        assert reconcile_shop(db, broken, "https://arrosto.example.com") == []
    with db.transaction() as s:
        assert "last_reconcile_error" in s.get(Shop, broken).settings
    assert active_shops(db) == [broken]
