"""The shop platforms' rows of the conformance test (``tests/test_conformance.py``)."""
from __future__ import annotations

from arrosto.shops.shopify import ShopifyShop
from arrosto.shops.woocommerce import WooCommerceShop

from ..conformance import Answer, Case, Row
from ..factories import make_shop

SHOPIFY_SHOP = {"data": {"shop": {
    "name": "Caffè Rossi", "currencyCode": "EUR", "ianaTimezone": "Europe/Rome",
    "primaryDomain": {"host": "caffe.example", "url": "https://caffe.example"}}}}


def shopify(case: Case, domain: str = "caffe-rossi.myshopify.com") -> ShopifyShop:
    from arrosto.models import Shop

    shop_id = make_shop(case.db, domain, access_token="shpat_conformance")
    with case.db.transaction() as s:
        shop = s.get(Shop, shop_id)
    return ShopifyShop(shop, db=case.db, settings=case.settings, sleep=case.sleep,
                       max_wait=case.max_wait)


def woocommerce(case: Case, store_url: str = "https://caffe.example",
                api_secret: str | None = "cs_conformance") -> WooCommerceShop:
    from arrosto.models import Shop

    shop_id = make_shop(case.db, "caffe.example", platform="woocommerce", store_url=store_url,
                        api_key="ck_conformance", api_secret=api_secret)
    with case.db.transaction() as s:
        shop = s.get(Shop, shop_id)
    return WooCommerceShop(shop, sleep=case.sleep, max_wait=case.max_wait)


ROWS = [
    Row(name="shopify", build=shopify, call=lambda c: c.shop_info(), ok=Answer(body=SHOPIFY_SHOP),
        bad_config=lambda case: shopify(case, domain="caffe-rossi.example.com")),
    Row(name="woocommerce", build=woocommerce,
        call=lambda c: c.fetch("products", updated_since=None, cursor=None),
        ok=Answer(body=[], headers={"X-WP-TotalPages": "1"}),
        bad_config=lambda case: woocommerce(case, api_secret=None).check_credentials(),
        unauthorized=Answer(401, body={"code": "woocommerce_rest_cannot_view",
                                       "message": "Sorry, you cannot list resources.",
                                       "data": {"status": 401}})),
]
