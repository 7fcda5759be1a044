"""Issue 17, section 5, the webhook receivers: a URL that names a shop must not outrank what the
delivery itself says, and must not tell which shop ids exist.

- Shopify signs every shop's deliveries with the app's one secret, so a delivery for shop A
  verifies whatever URL it is posted to: re-posted to ``/webhooks/shopify/<shop B>`` it was
  stored (and applied) as shop B's. Its ``X-Shopify-Shop-Domain`` must be the path shop's.
- ``/webhooks/woocommerce/<id>`` answered 404 "unknown shop" for an id without a shop and 401
  for a shop's URL with a bad signature: the answers told which ids are shops. Now both are
  the same 401, after the same HMAC work.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from sqlalchemy import func, select

from arrosto.models import Order, Shop, WebhookDelivery

SHOPIFY_SECRET = "attack-shopify-app-secret-0123"
WOO_SECRET = "attack-woo-secret-0123456789"
SHOP_A, SHOP_B = "roastery-a.myshopify.com", "roastery-b.myshopify.com"
ORDER = json.dumps({"id": 450789469, "name": "#1001", "email": "giulia@example.com",
                    "created_at": "2026-11-20T10:00:00+01:00", "total_price": "19.80",
                    "currency": "EUR", "line_items": []}).encode()


@pytest.fixture
def shops(make_app):
    app = make_app(shopify_api_key="attack-key", shopify_api_secret=SHOPIFY_SECRET)
    db = app.extensions["arrosto.db"]
    with db.transaction() as s:
        rows = {"a": Shop(platform="shopify", domain=SHOP_A, name="A",
                          access_token="shpat_" + "a" * 32),
                "b": Shop(platform="shopify", domain=SHOP_B, name="B",
                          access_token="shpat_" + "b" * 32),
                "woo": Shop(platform="woocommerce", domain="roastery.example",
                            store_url="https://roastery.example", webhook_secret=WOO_SECRET,
                            name="Woo")}
        s.add_all(rows.values())
        s.flush()
        ids = {k: v.id for k, v in rows.items()}
    return app, db, ids


def shopify_headers(body: bytes, domain: str, delivery: str = "a-1") -> dict[str, str]:
    """What Shopify sends for ``domain``: signed with the app's secret, as for every shop."""
    digest = base64.b64encode(hmac.new(SHOPIFY_SECRET.encode(), body, hashlib.sha256).digest())
    return {"X-Shopify-Hmac-Sha256": digest.decode(), "X-Shopify-Topic": "orders/create",
            "X-Shopify-Shop-Domain": domain, "X-Shopify-Webhook-Id": delivery,
            "X-Shopify-API-Version": "2025-10", "Content-Type": "application/json"}


def woo_headers(body: bytes, secret: str, delivery: str = "w-1") -> dict[str, str]:
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return {"X-WC-Webhook-Signature": digest.decode(), "X-WC-Webhook-Topic": "order.created",
            "X-WC-Webhook-Delivery-ID": delivery,
            "X-WC-Webhook-Source": "https://roastery.example/",
            "Content-Type": "application/json"}


def deliveries(db) -> list[tuple[str, int | None]]:
    with db.transaction() as s:
        return [(r.delivery_id, r.shop_id) for r in s.scalars(select(WebhookDelivery))]


def orders_of(db, shop_id: int) -> int:
    with db.transaction(shop_id) as s:
        return s.scalar(select(func.count()).select_from(Order))


def test_a_shopify_delivery_for_shop_a_posted_to_shop_bs_url_is_refused(shops):
    """Attack: a genuinely signed delivery of shop A, re-posted to shop B's URL. Refused like a
    bad signature, nothing stored, nothing applied to B; the same delivery to A's own URL (or to
    the plain receiver) is A's."""
    app, db, ids = shops
    client = app.test_client()
    res = client.post(f"/webhooks/shopify/{ids['b']}", data=ORDER,
                      headers=shopify_headers(ORDER, SHOP_A))
    assert (res.status_code, res.json) == (401, {"error": "invalid signature"})
    assert deliveries(db) == []
    assert orders_of(db, ids["b"]) == 0
    # a delivery that says no shop at all names none either
    anonymous = {k: v for k, v in shopify_headers(ORDER, SHOP_A).items()
                 if k != "X-Shopify-Shop-Domain"}
    assert client.post(f"/webhooks/shopify/{ids['b']}", data=ORDER,
                       headers=anonymous).status_code == 401
    assert deliveries(db) == []

    own = client.post(f"/webhooks/shopify/{ids['a']}", data=ORDER,
                      headers=shopify_headers(ORDER, SHOP_A.upper()))
    assert (own.status_code, own.json) == (200, {"status": "accepted"})
    plain = client.post("/webhooks/shopify", data=ORDER,
                        headers=shopify_headers(ORDER, SHOP_A, delivery="a-2"))
    assert (plain.status_code, plain.json) == (200, {"status": "accepted"})
    assert sorted(deliveries(db)) == [("a-1", ids["a"]), ("a-2", ids["a"])]
    assert orders_of(db, ids["b"]) == 0


def test_woocommerce_unknown_shop_is_answered_as_a_known_shop_with_a_bad_signature(shops,
                                                                                monkeypatch):
    """Attack: probing ``/webhooks/woocommerce/<id>`` for which ids are shops. A known shop's
    URL with a bad signature, an id without a shop and a shop of another platform get the same
    status and the same body, each after one HMAC of the body; nothing is stored."""
    from arrosto.shops import woocommerce

    app, db, ids = shops
    signs = []
    original = woocommerce._sign

    def counted(body, secret):
        signs.append(len(body))
        return original(body, secret)

    monkeypatch.setattr(woocommerce, "_sign", counted)
    client = app.test_client()
    headers = woo_headers(ORDER, "a-guessed-secret")
    answers, work = {}, {}
    for name, shop_id in (("known, bad signature", ids["woo"]), ("no such shop", 987654),
                          ("a Shopify shop", ids["a"])):
        signs.clear()
        res = client.post(f"/webhooks/woocommerce/{shop_id}", data=ORDER, headers=headers)
        answers[name] = (res.status_code, res.get_data(), res.mimetype)
        work[name] = list(signs)
    assert len(set(answers.values())) == 1, answers
    assert answers["no such shop"][0] == 401
    # one HMAC of the body in each case: the time taken does not tell them apart either
    assert work == dict.fromkeys(answers, [len(ORDER)]), work
    # a delivery signed with the real shop's secret does not open an id without a shop
    res = client.post("/webhooks/woocommerce/987654", data=ORDER,
                      headers=woo_headers(ORDER, WOO_SECRET))
    assert (res.status_code, res.get_data()) == answers["known, bad signature"][:2]
    # WooCommerce's unsigned ping when a webhook is created: the same answer for both too
    ping = {"Content-Type": "application/x-www-form-urlencoded"}
    known = client.post(f"/webhooks/woocommerce/{ids['woo']}", data=b"webhook_id=12",
                        headers=ping)
    unknown = client.post("/webhooks/woocommerce/987654", data=b"webhook_id=12", headers=ping)
    assert (known.status_code, known.get_data()) == (unknown.status_code, unknown.get_data())
    assert deliveries(db) == []
