"""Connecting a WooCommerce store from its admin (wc-auth), end to end: the owner's browser, the
store's unsigned key callback, the keys checked against the store, webhooks created, first sync."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from sqlalchemy import func, select

from arrosto.models import AuthState, Order, Product, Shop, WebhookDelivery
from arrosto.shops.woocommerce import TOPICS

from ..shops.woocommerce_store import STORE, IssuedKeys, catalog, load, serve_store
from .forms import post_form

CALLBACK = load("_authentication.md__wc-auth-callback.json")
CLI_KEY, CLI_SECRET = "ck_" + "1" * 40, "cs_" + "2" * 40


@pytest.fixture
def store():
    """The store behind the transport: index, currency, products, customers, orders, webhooks,
    its REST API answering the keys it issued (the docs' callback example's, and the CLI's)."""
    keys = IssuedKeys()
    keys.issue(CALLBACK["consumer_key"], CALLBACK["consumer_secret"])
    keys.issue(CLI_KEY, CLI_SECRET)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        hooks = serve_store(rsps, keys, products=catalog(255))
        yield rsps, hooks, keys


def connect(client):
    """The owner types the store address; Arrosto sends the browser to the store's wc-auth."""
    res = post_form(client, "/connect/woocommerce", {"store_url": "shop.example.com"})
    assert res.status_code == 302
    target = urlsplit(res.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{STORE}/wc-auth/v1/authorize"
    return {k: v[0] for k, v in parse_qs(target.query).items()}


def key_callback(client, nonce, **overrides):
    body = {**load("_authentication.md__wc-auth-callback.json"), "user_id": nonce, **overrides}
    return client.post("/auth/woocommerce/callback", data=json.dumps(body),
                       content_type="application/json")


def test_full_connect_round_trip(client, db, store):
    rsps, hooks, _keys = store
    query = connect(client)
    assert query["scope"] == "read_write" and query["app_name"] == "Arrosto"
    assert query["callback_url"] == "http://localhost/auth/woocommerce/callback"
    nonce = query["user_id"]
    assert len(nonce) >= 32

    res = key_callback(client, nonce)
    assert res.status_code == 200  # anything else makes WooCommerce delete the key

    with db.transaction() as s:
        shop = s.scalar(select(Shop).where(Shop.platform == "woocommerce"))
        assert shop.status == "active", shop.status_reason
        assert shop.domain == "shop.example.com" and shop.store_url == STORE
        assert shop.name == "Torrefazione Esempio & Figli" and shop.timezone == "Europe/Rome"
        callback = load("_authentication.md__wc-auth-callback.json")
        assert shop.api_key == callback["consumer_key"]
        raw = s.connection().exec_driver_sql(
            "SELECT api_key, api_secret FROM shops WHERE id = ?" if db.url.startswith("sqlite")
            else "SELECT api_key, api_secret FROM shops WHERE id = %s", (shop.id,)).one()
        assert callback["consumer_key"] not in raw[0] and callback["consumer_secret"] not in raw[1]
        shop_id, secret = shop.id, shop.webhook_secret
    # webhooks: one per topic, to this shop's own receiver URL, signed with its own secret
    assert sorted(h["topic"] for h in hooks.posts) == sorted(TOPICS)
    assert {h["delivery_url"] for h in hooks.posts} == {
        f"http://localhost/webhooks/woocommerce/{shop_id}"}
    assert {h["secret"] for h in hooks.posts} == {secret}
    # first sync: the whole recorded catalog over three pages, and the orders
    with db.transaction(shop_id) as s:
        assert s.scalar(select(func.count(Product.id))) == 255
        assert s.scalar(select(func.count(Order.id))) == len(
            load("_orders.md__02_list-all-orders.json"))
    product_pages = [c for c in rsps.calls if urlsplit(c.request.url).path.endswith("/products")
                     and "per_page=100" in c.request.url]
    assert len(product_pages) == 3

    # the owner's browser comes back and is signed in
    res = client.get(f"/connect/woocommerce/return?success=1&user_id=1&nonce={nonce}")
    assert res.status_code == 302 and res.headers["Location"].endswith("/admin/")
    assert client.get("/admin/").status_code == 200


def test_callback_with_an_unknown_nonce_stores_nothing(client, db, store):
    res = key_callback(client, "not-a-nonce-we-sent")
    assert res.status_code == 400  # WooCommerce deletes the key
    with db.transaction() as s:
        assert s.scalar(select(func.count(Shop.id))) == 0


def test_callback_nonce_works_once(client, db, store):
    nonce = connect(client)["user_id"]
    assert key_callback(client, nonce).status_code == 200
    assert key_callback(client, nonce, consumer_key="ck_" + "f" * 40).status_code == 400
    with db.transaction() as s:
        assert s.scalar(select(func.count(Shop.id))) == 1
        state = s.scalar(select(AuthState))
        assert state.keys_received_at is not None and state.verified_at is not None
        assert state.consumer_key is None  # the keys moved to the shop
        assert state.used_at is None  # used up by the browser's return, not the callback
    assert client.get(f"/connect/woocommerce/return?nonce={nonce}").status_code == 302
    with db.transaction() as s:
        assert s.scalar(select(AuthState.used_at)) is not None


def test_keys_refused_by_the_store_are_not_connected(client, db, store):
    """Keys the store did not issue (here: it revoked them before the check) connect nothing:
    no shop, the keys dropped, the browser told why and not signed in."""
    _rsps, hooks, keys = store
    keys.revoke(CALLBACK["consumer_key"])
    nonce = connect(client)["user_id"]
    assert key_callback(client, nonce).status_code == 200
    with db.transaction() as s:
        assert s.scalar(select(func.count(Shop.id))) == 0
        state = s.scalar(select(AuthState))
        assert state.consumer_key is None and "Consumer key is invalid" in state.refused_reason
    assert hooks.posts == []
    res = client.get(f"/connect/woocommerce/return?nonce={nonce}")
    assert res.status_code == 403 and b"did not confirm the API keys" in res.data
    assert client.get("/admin/").status_code == 401


def test_garbage_callback_is_refused(client, db):
    res = client.post("/auth/woocommerce/callback", data="not json",
                      content_type="application/json")
    assert res.status_code == 400


def test_bad_store_address_shows_the_form_again(client):
    res = post_form(client, "/connect/woocommerce", {"store_url": "ftp://nope"})
    assert res.status_code == 400 and b"store_url" in res.data


def test_the_connect_form_refuses_a_post_without_its_csrf_token(client, db):
    res = client.post("/connect/woocommerce", data={"store_url": "shop.example.com"})
    assert res.status_code == 400 and b"expired" in res.data
    assert "Location" not in res.headers


def test_a_signed_delivery_for_the_connected_store(client, db, store):
    import base64
    import hashlib
    import hmac

    nonce = connect(client)["user_id"]
    key_callback(client, nonce)
    with db.transaction() as s:
        shop = s.scalar(select(Shop))
    body = json.dumps(load("_orders.md__01_retrieve-an-order.json")).encode()
    sig = base64.b64encode(hmac.new(shop.webhook_secret.encode(), body,
                                    hashlib.sha256).digest()).decode()
    headers = {"X-WC-Webhook-Signature": sig, "X-WC-Webhook-Topic": "order.updated",
               "X-WC-Webhook-Delivery-ID": "77", "X-WC-Webhook-Source": f"{STORE}/",
               "X-WC-Webhook-Resource": "order", "X-WC-Webhook-Event": "updated",
               "X-WC-Webhook-ID": "300"}
    for _ in range(3):
        res = client.post(f"/webhooks/woocommerce/{shop.id}", data=body, headers=headers,
                          content_type="application/json")
        assert res.status_code == 200
    with db.transaction() as s:
        deliveries = s.scalars(select(WebhookDelivery)).all()
    assert len(deliveries) == 1 and deliveries[0].state == "processed"
    bad = {**headers, "X-WC-Webhook-Signature": base64.b64encode(b"x" * 32).decode()}
    assert client.post(f"/webhooks/woocommerce/{shop.id}", data=body, headers=bad,
                       content_type="application/json").status_code == 401


def test_cli_shop_add_woocommerce(runner, db, store, monkeypatch):
    from arrosto.cli import cli

    app = runner.app
    monkeypatch.setattr("arrosto.cli.Context.app", lambda self: app)
    res = runner.invoke(cli, ["shop", "add", "woocommerce", "--url", "shop.example.com",
                              "--key", CLI_KEY, "--secret", CLI_SECRET])
    assert res.exit_code == 0, res.output
    assert "connected: Torrefazione Esempio & Figli (shop.example.com)" in res.output
    with db.transaction() as s:
        shop_id = s.scalar(select(Shop.id))
    with db.transaction(shop_id) as s:
        assert s.scalar(select(func.count(Product.id))) == 255


def test_cli_checks_the_keys_on_the_store_before_storing_them(runner, db, store, monkeypatch):
    from arrosto.cli import cli

    app = runner.app
    monkeypatch.setattr("arrosto.cli.Context.app", lambda self: app)
    res = runner.invoke(cli, ["shop", "add", "woocommerce", "--url", "shop.example.com",
                              "--key", "ck_" + "9" * 40, "--secret", "cs_" + "9" * 40])
    assert res.exit_code != 0 and "refused these API keys" in str(res.exception)
    with db.transaction() as s:
        assert s.scalar(select(func.count(Shop.id))) == 0


def test_the_connect_page_lets_its_form_redirect_to_the_store(client):
    """Browsers apply the page's form-action to the redirect the form's answer makes: the
    store's wc-auth screen is on another https origin."""
    csp = client.get("/connect/woocommerce").headers["Content-Security-Policy"]
    assert "form-action 'self' https:" in csp
    assert "form-action 'self';" in client.get("/admin/").headers["Content-Security-Policy"] + ";"
