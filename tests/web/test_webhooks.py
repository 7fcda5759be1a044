"""The one webhook receive path (the Flask view ``webhooks.receive``), as production runs it (a
worker processes deliveries, not the request): verify the raw body, store, answer; answers,
duplicates, refusals, sizes, and a delivery answered 200 only once it is committed."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select

from arrosto import jobs
from arrosto.models import Shop, WebhookDelivery

from ..factories import make_shop

SECRET = "receive-app-secret-0123456789"
DOMAIN = "receive.myshopify.com"
BODY = json.dumps({"id": 820982911946154508, "name": "#1001"}).encode()


@pytest.fixture
def app(make_app):
    app = make_app(jobs_immediate=False, shopify_api_key="k", shopify_api_secret=SECRET)
    yield app
    jobs.huey.immediate = True


@pytest.fixture
def dispatched(monkeypatch):
    """The requests Flask dispatched to a view: every delivery takes the one path."""
    calls = []
    original = Flask.full_dispatch_request

    def counted(self):
        calls.append(1)
        return original(self)

    monkeypatch.setattr(Flask, "full_dispatch_request", counted)
    return calls


def signed(body: bytes = BODY, delivery: str = "d-1", secret: str = SECRET,
           topic: str = "orders/create") -> dict[str, str]:
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {"X-Shopify-Hmac-Sha256": digest, "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": DOMAIN, "X-Shopify-Webhook-Id": delivery,
            "X-Shopify-API-Version": "2025-10", "Content-Type": "application/json"}


def stored(db) -> list[WebhookDelivery]:
    with db.transaction(all_shops=True) as s:
        return list(s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_a_delivery_is_stored_once_and_left_for_the_worker(app, db, dispatched):
    shop = make_shop(db, DOMAIN)
    client = app.test_client()
    first = client.post("/webhooks/shopify", data=BODY, headers=signed())
    again = client.post("/webhooks/shopify", data=BODY, headers=signed())
    assert (first.status_code, first.json) == (200, {"status": "accepted"})
    assert (again.status_code, again.json) == (200, {"status": "duplicate"})
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in first.headers
    [row] = stored(db)
    assert (row.delivery_id, row.topic, row.shop_id, row.state) == (
        "d-1", "orders/create", shop, "received")
    assert bytes(row.body) == BODY and row.headers["X-Shopify-Webhook-Id"] == "d-1"
    assert dispatched == [1, 1]  # both through the Flask view


@pytest.mark.parametrize("topic", ["orders/create", "customers/redact"])
def test_the_answer_comes_only_once_the_delivery_is_committed(app, db, settings, topic,
                                                              monkeypatch):
    """At the moment the 200 is sent, another connection (another process) sees the row: an
    order as a privacy request, nothing kept anywhere else in between."""
    from arrosto.web import webhooks

    make_shop(db, DOMAIN)
    engine = create_engine(db.engine.url)
    seen = []
    original = webhooks._answer

    def answering(body, status=200):
        with engine.connect() as other:
            if settings.get("database_schema"):
                other.exec_driver_sql(f'SET search_path TO "{settings["database_schema"]}"')
            seen.append(other.scalar(select(func.count()).select_from(WebhookDelivery)
                                     .where(WebhookDelivery.delivery_id == "c-1")))
        return original(body, status)

    monkeypatch.setattr(webhooks, "_answer", answering)
    try:
        res = app.test_client().post("/webhooks/shopify", data=BODY,
                                     headers=signed(delivery="c-1", topic=topic))
    finally:
        engine.dispose()
    assert (res.status_code, res.json) == (200, {"status": "accepted"})
    assert seen == [1]


def test_refusals_store_nothing(app, db, dispatched):
    make_shop(db, DOMAIN)
    client = app.test_client()
    forged = client.post("/webhooks/shopify", data=BODY,
                         headers=signed(secret="not-the-app-secret-0123456789"))
    assert (forged.status_code, forged.json) == (401, {"error": "invalid signature"})
    tampered = client.post("/webhooks/shopify", data=BODY + b" ", headers=signed())
    assert (tampered.status_code, tampered.json) == (401, {"error": "invalid signature"})
    unsigned = {k: v for k, v in signed().items() if k != "X-Shopify-Hmac-Sha256"}
    assert client.post("/webhooks/shopify", data=BODY, headers=unsigned).status_code == 401
    unknown = client.post("/webhooks/woocommerce/999", data=BODY, headers=signed())
    assert (unknown.status_code, unknown.json) == (401, {"error": "invalid signature"})
    assert dispatched == [1, 1, 1, 1] and stored(db) == []


@pytest.mark.parametrize("how", ["unknown platform", "demo platform", "too large", "GET",
                                 "huge shop id"])
def test_anything_unusual_is_refused_before_anything_is_stored(app, db, how):
    make_shop(db, DOMAIN)
    client = app.test_client()
    if how == "unknown platform":
        res = client.post("/webhooks/magento", data=BODY, headers=signed())
        assert res.status_code == 404
    elif how == "demo platform":
        res = client.post("/webhooks/demo", data=BODY, headers=signed())
        assert res.status_code == 404
    elif how == "too large":
        big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
        res = client.post("/webhooks/shopify", data=big, headers=signed(big))
        assert (res.status_code, res.json) == (413, {"error": "request too large"})
    elif how == "GET":
        assert client.get("/webhooks/shopify").status_code == 405
    else:
        res = client.post("/webhooks/woocommerce/99999999999", data=BODY, headers=signed())
        assert res.status_code == 404
    assert stored(db) == []


def test_a_failure_to_store_is_a_500_and_the_retry_is_stored(app, db, monkeypatch):
    """The database refuses the write: 500 (nothing acknowledged), and the platform's retry of
    the same delivery is stored once."""
    from arrosto.web import webhooks

    make_shop(db, DOMAIN)

    def down(*args, **kwargs):
        raise OSError("database down")

    monkeypatch.setattr(webhooks, "store_delivery", down)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answered as in production, not raised
    res = app.test_client().post("/webhooks/shopify", data=BODY, headers=signed())
    assert res.status_code == 500 and res.json == {"error": "something went wrong"}
    monkeypatch.undo()
    retry = app.test_client().post("/webhooks/shopify", data=BODY, headers=signed())
    assert (retry.status_code, retry.json) == (200, {"status": "accepted"})
    assert [r.delivery_id for r in stored(db)] == ["d-1"]


def test_a_shop_erased_while_its_id_is_cached_still_keeps_the_delivery(app, db):
    """The receiver caches shop ids by domain for a few seconds: a delivery for a shop erased
    meanwhile is kept without its shop (the foreign key refuses the stale id), not lost."""
    shop = make_shop(db, DOMAIN)
    client = app.test_client()
    first = client.post("/webhooks/shopify", data=BODY, headers=signed(delivery="e-1"))
    assert first.status_code == 200
    assert [(r.delivery_id, r.shop_id) for r in stored(db)] == [("e-1", shop)]
    with db.transaction() as s:  # the shop is erased (with its deliveries), its id still cached
        s.delete(s.get(Shop, shop))
    res = client.post("/webhooks/shopify", data=BODY, headers=signed(delivery="e-2"))
    assert (res.status_code, res.json) == (200, {"status": "accepted"})
    assert [(r.delivery_id, r.shop_id) for r in stored(db)] == [("e-2", None)]


def test_only_the_platforms_headers_and_a_few_others_are_stored(app, db):
    make_shop(db, DOMAIN)
    extra = {"User-Agent": "Shopify-Captain-Hook", "Accept": "*/*",
             "X-Forwarded-For": "1.2.3.4", "Cookie": "session=abc", "User-Agent-Extra": "no"}
    res = app.test_client().post("/webhooks/shopify", data=BODY, headers={**signed(), **extra})
    assert res.status_code == 200
    [row] = stored(db)
    assert set(row.headers) == {"X-Shopify-Hmac-Sha256", "X-Shopify-Topic",
                                "X-Shopify-Shop-Domain", "X-Shopify-Webhook-Id",
                                "X-Shopify-Api-Version", "Content-Type", "User-Agent"}


def test_with_jobs_in_the_request_the_delivery_is_processed_before_the_answer(make_app, db):
    """Tests and the demo have no worker: the same view processes the stored delivery."""
    app = make_app(shopify_api_key="k", shopify_api_secret=SECRET)
    make_shop(db, DOMAIN)
    res = app.test_client().post("/webhooks/shopify", data=BODY, headers=signed())
    assert (res.status_code, res.json) == (200, {"status": "accepted"})
    [row] = stored(db)
    assert row.state in ("processed", "failed") and row.attempts == 1
