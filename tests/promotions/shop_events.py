"""The shop side of the promotion tests: Arrosto with a Shopify app whose connector talks to the
loopback fake (``tests/shops/shopify_fake.py``) and a WooCommerce store answered by
``responses``, and signed webhook deliveries posted to the real receivers."""
from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from sqlalchemy import select

from arrosto.models import Message, Outreach, Product, Promotion, PromotionProduct
from arrosto.shops import PLATFORMS, register
from arrosto.shops.shopify import ShopifyShop
from arrosto.shops.woocommerce import WooCommerceShop

from ..factories import make_shop
from ..shops.shopify_fake import FakeShopify
from ..shops.woocommerce_store import HOOK_SECRET, KEY, SECRET, STORE

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
API_KEY = "arrosto-client-id"
APP_SECRET = "current-app-secret-0123456789abcdef"
DOMAIN = "caffe-rossi.myshopify.com"


def shopify_fixture(name: str) -> Any:
    return json.loads((FIXTURES / "shopify" / name).read_text(encoding="utf-8"))


def woo_fixture(name: str) -> Any:
    return json.loads((FIXTURES / "woocommerce" / name).read_text(encoding="utf-8"))


def rest_body(name: str) -> dict[str, Any]:
    """A REST fixture's object, as a webhook carries it (``{"product": {...}}`` → ``{...}``)."""
    return copy.deepcopy(next(iter(shopify_fixture(f"rest/{name}.json").values())))


@pytest.fixture
def fake() -> Iterator[FakeShopify]:
    with FakeShopify() as running:
        yield running


@pytest.fixture
def app(make_app, fake, monkeypatch):
    """Arrosto with a Shopify app configured, its connector pointed at the fake, and the
    WooCommerce connector retrying without waiting."""

    class FakeBackedShopify(ShopifyShop):
        def __init__(self, shop, **kw):
            super().__init__(shop, base_url=fake.url, **kw)

    app = make_app(shopify_api_key=API_KEY, shopify_api_secret=APP_SECRET)
    monkeypatch.setitem(PLATFORMS, "shopify", FakeBackedShopify)  # after the factory fills it
    monkeypatch.setattr(WooCommerceShop, "backoff_factor", 0.0)
    yield app
    register(ShopifyShop)


@pytest.fixture
def shopify_shop(db, fake) -> int:
    return make_shop(db, DOMAIN, access_token=fake.token, currency="EUR")


@pytest.fixture
def woo_shop(db) -> int:
    return make_shop(db, "shop.example.com", platform="woocommerce", store_url=STORE,
                     api_key=KEY, api_secret=SECRET, webhook_secret=HOOK_SECRET,
                     currency="EUR")


@pytest.fixture
def store() -> Iterator[responses.RequestsMock]:
    """The WooCommerce store's REST API; a test adds the answers it needs."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


# --- deliveries -------------------------------------------------------------------------------

def post_shopify(client, topic: str, payload: Any, webhook_id: str | None = None):
    """A delivery as Shopify sends it: base64 HMAC-SHA256 of the raw body with the app secret
    (shopify.dev, "Deliver webhooks through HTTPS")."""
    body = json.dumps(payload).encode()
    digest = base64.b64encode(hmac.new(APP_SECRET.encode(), body, hashlib.sha256).digest())
    headers = {"X-Shopify-Hmac-Sha256": digest.decode(), "X-Shopify-Topic": topic,
               "X-Shopify-Shop-Domain": DOMAIN, "X-Shopify-API-Version": "2025-10",
               "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
               "X-Shopify-Event-Id": str(uuid.uuid4())}
    answer = client.post("/webhooks/shopify", data=body, headers=headers,
                         content_type="application/json")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["status"]


def post_woo(client, shop_id: int, topic: str, payload: Any, delivery_id: str | None = None):
    """A delivery as WooCommerce sends it (docs: #webhooks, "Delivery/payload")."""
    body = json.dumps(payload).encode()
    resource, _, event = topic.partition(".")
    signature = base64.b64encode(hmac.new(HOOK_SECRET.encode(), body, hashlib.sha256).digest())
    headers = {"X-WC-Webhook-Source": f"{STORE}/", "X-WC-Webhook-Topic": topic,
               "X-WC-Webhook-Resource": resource, "X-WC-Webhook-Event": event,
               "X-WC-Webhook-Signature": signature.decode(), "X-WC-Webhook-ID": "142",
               "X-WC-Webhook-Delivery-ID": delivery_id or uuid.uuid4().hex}
    answer = client.post(f"/webhooks/woocommerce/{shop_id}", data=body, headers=headers,
                         content_type="application/json")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["status"]


# --- reading back ----------------------------------------------------------------------------

def promotions(db, shop_id: int) -> list[Promotion]:
    with db.transaction(shop_id) as s:
        return list(s.scalars(select(Promotion).order_by(Promotion.id)))


def product_ids_of(db, shop_id: int, promotion_id: int) -> list[str]:
    """The external ids of a promotion's products."""
    with db.transaction(shop_id) as s:
        return sorted(s.scalars(select(Product.external_id).join(
            PromotionProduct, PromotionProduct.product_id == Product.id).where(
            PromotionProduct.promotion_id == promotion_id)))


def nothing_sent(db, shop_id: int) -> bool:
    """Triggers never send, nor queue anything to send."""
    with db.transaction(shop_id) as s:
        return s.scalar(select(Message.id)) is None and s.scalar(select(Outreach.id)) is None
