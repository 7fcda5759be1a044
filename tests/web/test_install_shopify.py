"""Installing on Shopify through the real routes, both ways Shopify allows: the embedded admin's
session token exchanged for an offline token, and the authorization-code grant. Each ends with the
token stored encrypted, the exact webhookSubscriptionCreate mutations sent and a first sync of 260
products over three GraphQL pages (the loopback fake of ``tests/shops/shopify_fake.py``). Every
forged or replayed request is refused with nothing stored."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import responses
from sqlalchemy import func, select, text

from arrosto.models import AuthState, Customer, Order, Product, Shop, WebhookDelivery
from arrosto.shops import PLATFORMS, register
from arrosto.shops.shopify import ShopifyShop
from arrosto.shops.shopify_auth import query_hmac

from ..shops.shopify_fake import FakeShopify, customer_node, order_node, product_node
from ..test_privacy import text_values

API_KEY = "arrosto-client-id"
SECRET = "current-app-secret-0123456789abcdef"
DOMAIN = "caffe-rossi.myshopify.com"
TOKEN_URL = f"https://{DOMAIN}/admin/oauth/access_token"
TOPICS = {"PRODUCTS_CREATE", "PRODUCTS_UPDATE", "PRODUCTS_DELETE", "ORDERS_CREATE",
          "ORDERS_UPDATED", "ORDERS_CANCELLED", "CUSTOMERS_UPDATE", "DISCOUNTS_CREATE",
          "DISCOUNTS_UPDATE", "DISCOUNTS_DELETE", "APP_UNINSTALLED"}


@pytest.fixture
def fake():
    with FakeShopify(products=[product_node(i) for i in range(1, 261)],
                     customers=[customer_node(i) for i in range(1, 6)],
                     orders=[order_node(i) for i in range(1, 4)]) as running:
        yield running


@pytest.fixture
def app(make_app, fake, monkeypatch):
    """Arrosto with a Shopify app configured, its Shopify connector pointed at the fake."""

    class FakeBackedShopify(ShopifyShop):
        def __init__(self, shop, **kw):
            super().__init__(shop, base_url=fake.url, **kw)

    app = make_app(shopify_api_key=API_KEY, shopify_api_secret=SECRET)
    monkeypatch.setitem(PLATFORMS, "shopify", FakeBackedShopify)  # after the factory fills it
    yield app
    register(ShopifyShop)


@pytest.fixture
def token_endpoint(fake):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_passthru(fake.url)  # GraphQL goes to the fake, through requests too
        rsps.add(responses.POST, TOKEN_URL, json={
            "access_token": fake.token, "scope": "read_products,read_orders,read_customers",
            "expires_in": 3600, "refresh_token": "shprt_refresh_0123456789abcdef",
            "refresh_token_expires_in": 7776000})
        yield rsps


def session_token(secret: str = SECRET, **changes) -> str:
    now = int(time.time())
    claims = {"iss": f"https://{DOMAIN}/admin", "dest": f"https://{DOMAIN}", "aud": API_KEY,
              "sub": "42", "exp": now + 60, "nbf": now - 5, "iat": now - 5, "jti": "j1",
              "sid": "s1", **changes}
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, "HS256")


def signed_query(secret: str = SECRET, **params) -> str:
    params = {"shop": DOMAIN, "timestamp": str(int(time.time())), "host": "YWRtaW4", **params}
    params = {k: v for k, v in params.items() if v is not None}
    params["hmac"] = query_hmac(params, secret)
    return urlencode(params)


def shop_count(db) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count(Shop.id)))


def assert_installed(db, fake):
    with db.transaction() as s:
        shop = s.scalar(select(Shop).where(Shop.domain == DOMAIN))
        assert shop.status == "active" and shop.access_token == fake.token
        assert shop.refresh_token == "shprt_refresh_0123456789abcdef"
        assert shop.name == "Caffè Rossi" and shop.timezone == "Europe/Rome"
        raw = s.execute(text("SELECT access_token, refresh_token FROM shops")).one()
        assert fake.token not in raw[0] and "shprt_" not in raw[1]
        shop_id = shop.id
    created = fake.calls("webhookSubscriptionCreate") or [
        r for r in fake.requests if "webhookSubscriptionCreate" in r.body.get("query", "")]
    assert {c.variables["topic"] for c in created} == TOPICS
    assert {c.variables["webhookSubscription"]["callbackUrl"] for c in created} == {
        "http://localhost/webhooks/shopify"}
    with db.transaction(shop_id) as s:
        assert s.scalar(select(func.count(Product.id))) == 260
        assert s.scalar(select(func.count(Customer.id))) == 5
        assert s.scalar(select(func.count(Order.id))) == 3
    product_pages = [r for r in fake.requests if "products(" in r.body.get("query", "")]
    assert len(product_pages) >= 3
    return shop_id


# --- embedded admin: token exchange ----------------------------------------------------------

def test_token_exchange_install(client, db, fake, token_endpoint):
    res = client.get(f"/shopify?shop={DOMAIN}&host=YWRtaW4&embedded=1&id_token="
                     f"{session_token()}")
    assert res.status_code == 302
    location = urlsplit(res.headers["Location"])
    assert location.path == "/admin/"
    # on into the admin with the session token: embedded pages never rely on a cookie
    assert parse_qs(location.query)["embedded"] == ["1"] and "id_token" in parse_qs(location.query)
    sent = json.loads(token_endpoint.calls[0].request.body)
    assert sent["grant_type"] == "urn:ietf:params:oauth:grant-type:token-exchange"
    assert sent["subject_token_type"] == "urn:ietf:params:oauth:token-type:id_token"
    assert sent["requested_token_type"] == \
        "urn:shopify:params:oauth:token-type:offline-access-token"
    assert_installed(db, fake)
    page = client.get(f"/admin/?embedded=1&id_token={session_token()}")
    assert page.status_code == 200
    assert f"frame-ancestors https://{DOMAIN} https://admin.shopify.com" in \
        page.headers["Content-Security-Policy"]
    # opening the app again does not exchange again
    client.get(f"/shopify?id_token={session_token()}")
    assert len(token_endpoint.calls) == 1


@pytest.mark.parametrize("token", [
    pytest.param(lambda: session_token(secret="wrong-secret-0123456789abcdef-wrong"),
                 id="wrong secret"),
    pytest.param(lambda: session_token(aud="someone-else"), id="wrong aud"),
    pytest.param(lambda: session_token(exp=int(time.time()) - 60), id="expired"),
    pytest.param(lambda: session_token(dest="https://other-shop.myshopify.com"), id="dest≠iss"),
    pytest.param(lambda: session_token(iss="https://evil.com/admin", dest="https://evil.com"),
                 id="bad host"),
    pytest.param(lambda: "", id="missing"),
])
def test_bad_session_tokens_store_nothing(client, db, fake, token_endpoint, token):
    res = client.get(f"/shopify?id_token={token()}")
    assert res.status_code == 401
    assert shop_count(db) == 0 and len(token_endpoint.calls) == 0


def test_token_exchange_refused_by_the_shop(client, db, fake, token_endpoint):
    token_endpoint.replace(responses.POST, TOKEN_URL, status=400, json={
        "error": "invalid_subject_token", "error_description": "refused"})
    res = client.get(f"/shopify?id_token={session_token()}")
    assert res.status_code == 403
    assert shop_count(db) == 0 and fake.calls("webhookSubscriptionCreate") == []


# --- authorization-code grant ------------------------------------------------------------------

def start_install(client) -> dict[str, str]:
    res = client.get(f"/install/shopify?{signed_query()}")
    assert res.status_code == 302
    target = urlsplit(res.headers["Location"])
    assert (target.netloc, target.path) == (DOMAIN, "/admin/oauth/authorize")
    return {k: v[0] for k, v in parse_qs(target.query).items()}


def test_authorization_code_install(client, db, fake, token_endpoint):
    query = start_install(client)
    assert query["client_id"] == API_KEY and "grant_options[]" not in query
    assert query["redirect_uri"] == "http://localhost/auth/shopify/callback"
    res = client.get(f"/auth/shopify/callback?{signed_query(code='c0de', state=query['state'])}")
    assert res.status_code == 302
    assert res.headers["Location"].endswith("/admin/")  # standalone: the cookie session
    sent = json.loads(token_endpoint.calls[0].request.body)
    assert sent["code"] == "c0de" and sent["client_id"] == API_KEY
    assert_installed(db, fake)


def test_replayed_state_is_refused(client, db, fake, token_endpoint):
    state = start_install(client)["state"]
    ok = client.get(f"/auth/shopify/callback?{signed_query(code='c1', state=state)}")
    assert ok.status_code == 302
    again = client.get(f"/auth/shopify/callback?{signed_query(code='c2', state=state)}")
    assert again.status_code == 403 and len(token_endpoint.calls) == 1


@pytest.mark.parametrize("case", ["missing state", "unknown state", "other browser"])
def test_bad_state_stores_nothing(client, app, db, fake, token_endpoint, case):
    state = start_install(client)["state"]
    asker = client
    if case == "missing state":
        state = None
    elif case == "unknown state":
        state = "x" * 43
    else:
        asker = app.test_client()  # a different browser presents this browser's state
    res = asker.get(f"/auth/shopify/callback?{signed_query(code='c', state=state)}")
    assert res.status_code == 403
    assert shop_count(db) == 0 and len(token_endpoint.calls) == 0


@pytest.mark.parametrize("query", [
    pytest.param(lambda: signed_query(secret="forged-secret-0123456789abcd"), id="forged hmac"),
    pytest.param(lambda: signed_query().split("&hmac=")[0], id="missing hmac"),
    pytest.param(lambda: signed_query(timestamp=str(int(time.time()) - 3600)), id="stale"),
    pytest.param(lambda: signed_query(shop="evil.com"), id="evil.com"),
    pytest.param(lambda: signed_query(shop="x.myshopify.com.evil.com"), id="suffix"),
    pytest.param(lambda: signed_query(shop="-x.myshopify.com"), id="leading hyphen"),
])
@pytest.mark.parametrize("path", ["/install/shopify", "/auth/shopify/callback"])
def test_forged_install_requests_store_nothing(client, db, fake, token_endpoint, query, path):
    with db.transaction() as s:
        states_before = s.scalar(select(func.count(AuthState.id)))
    res = client.get(f"{path}?{query()}")
    assert res.status_code == 401
    with db.transaction() as s:
        assert s.scalar(select(func.count(AuthState.id))) == states_before
    assert shop_count(db) == 0 and len(token_endpoint.calls) == 0


# --- webhooks of an installed shop -------------------------------------------------------------

def deliver(client, topic: str, body: bytes, webhook_id: str, secret: str = SECRET):
    sig = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return client.post("/webhooks/shopify", data=body, content_type="application/json",
                       headers={"X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": sig,
                                "X-Shopify-Shop-Domain": DOMAIN, "X-Shopify-Webhook-Id":
                                webhook_id, "X-Shopify-API-Version": "2025-10",
                                "X-Shopify-Triggered-At": dt.datetime.now(dt.UTC).isoformat()})


def recorded(name: str) -> bytes:
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "fixtures" / "shopify" / name
    data = json.loads(path.read_text())
    return json.dumps(data.get("order") or data.get("customer") or data).encode()


def test_same_webhook_three_times_has_one_effect(client, db, fake, token_endpoint):
    client.get(f"/shopify?id_token={session_token()}")
    body = recorded("rest/order.json")
    answers = [deliver(client, "orders/create", body, "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
               for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json["status"] for a in answers] == ["accepted", "duplicate", "duplicate"]
    with db.transaction() as s:
        shop_id = s.scalar(select(Shop.id))
        assert s.scalar(select(func.count(WebhookDelivery.id))) == 1
    with db.transaction(shop_id) as s:
        order_id = json.loads(body)["id"]
        assert s.scalar(select(func.count(Order.id)).where(
            Order.external_id == str(order_id))) == 1
    assert deliver(client, "orders/create", body, "forged", secret="nope" * 8).status_code \
        == 401


def test_customers_redact_webhook_leaves_no_personal_data(client, db, fake, token_endpoint):
    client.get(f"/shopify?id_token={session_token()}")
    order = json.loads(recorded("rest/order.json"))
    assert deliver(client, "orders/create", json.dumps(order).encode(), "w1").status_code == 200
    customer = order["customer"]
    with db.transaction() as s:
        shop_id = s.scalar(select(Shop.id))
    with db.transaction(shop_id) as s:
        assert s.scalar(select(func.count(Customer.id)).where(
            Customer.external_id == str(customer["id"]))) <= 1
    email = order["email"]
    assert any(email in v for _, _, v in text_values(db))
    redact = json.loads(recorded("webhooks/customers_redact.json"))
    redact.update(shop_domain=DOMAIN, customer={"id": customer["id"], "email": email,
                                                "phone": None}, orders_to_redact=[order["id"]])
    res = deliver(client, "customers/redact", json.dumps(redact).encode(), "w2")
    assert res.status_code == 200
    leftovers = [(t, c) for t, c, v in text_values(db) if email.lower() in v.lower()]
    assert leftovers == []


def test_privacy_webhooks_answer_401_to_a_bad_signature(client, db):
    for topic, name in (("customers/data_request", "customers_data_request.json"),
                        ("customers/redact", "customers_redact.json"),
                        ("shop/redact", "shop_redact.json")):
        body = recorded(f"webhooks/{name}")
        assert deliver(client, topic, body, f"bad-{topic}", secret="x" * 32).status_code == 401
    with db.transaction() as s:
        assert s.scalar(select(func.count(WebhookDelivery.id))) == 0


def test_app_uninstalled_forgets_the_token_at_once(client, db, fake, token_endpoint):
    client.get(f"/shopify?id_token={session_token()}")
    body = json.dumps({"id": 1, "name": "Caffè Rossi", "domain": DOMAIN}).encode()
    assert deliver(client, "app/uninstalled", body, "u1").status_code == 200
    with db.transaction() as s:
        shop = s.scalar(select(Shop))
        assert shop.status == "uninstalled" and shop.access_token is None
    assert client.get("/admin/").status_code == 401
