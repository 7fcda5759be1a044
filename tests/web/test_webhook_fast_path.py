"""Webhook deliveries skip Flask's request machinery when a worker processes them (the
production set-up): same answers and the same stored rows as the Flask route, and anything
unusual still goes through Flask."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from flask import Flask
from sqlalchemy import select

from arrosto import jobs
from arrosto.models import WebhookDelivery

from ..factories import make_shop

SECRET = "fast-path-app-secret-0123456789"
DOMAIN = "fast.myshopify.com"
BODY = json.dumps({"id": 820982911946154508, "name": "#1001"}).encode()


@pytest.fixture(params=["off", "on"])
def app(make_app, request):
    """Both ways of storing: in the database before answering (ARROSTO_WEBHOOK_SPOOL=off), and
    in the spool moved into the database right after (the default)."""
    app = make_app(jobs_immediate=False, shopify_api_key="k", shopify_api_secret=SECRET,
                   webhook_spool=request.param)
    yield app
    jobs.huey.immediate = True


@pytest.fixture
def through_flask(monkeypatch):
    """Counts the requests Flask dispatched."""
    calls = []
    original = Flask.full_dispatch_request

    def counted(self):
        calls.append(1)
        return original(self)

    monkeypatch.setattr(Flask, "full_dispatch_request", counted)
    return calls


def signed(body: bytes = BODY, delivery: str = "d-1", secret: str = SECRET) -> dict[str, str]:
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {"X-Shopify-Hmac-Sha256": digest, "X-Shopify-Topic": "orders/create",
            "X-Shopify-Shop-Domain": DOMAIN, "X-Shopify-Webhook-Id": delivery,
            "X-Shopify-API-Version": "2025-10", "Content-Type": "application/json"}


def stored(app, db) -> list[WebhookDelivery]:
    """The deliveries in the table, once the receiver's spool (if any) has moved them."""
    spool = app.extensions.get("arrosto.spool")
    if spool:
        spool.flush()
    with db.transaction(all_shops=True) as s:
        return list(s.scalars(select(WebhookDelivery)))


def test_a_delivery_is_stored_once_without_flask(app, db, through_flask):
    shop = make_shop(db, DOMAIN)
    client = app.test_client()
    first = client.post("/webhooks/shopify", data=BODY, headers=signed())
    again = client.post("/webhooks/shopify", data=BODY, headers=signed())
    assert (first.status_code, first.json) == (200, {"status": "accepted"})
    assert (again.status_code, again.json) == (200, {"status": "duplicate"})
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    [row] = stored(app, db)
    assert (row.delivery_id, row.topic, row.shop_id, row.state) == (
        "d-1", "orders/create", shop, "received")
    assert bytes(row.body) == BODY and row.headers["X-Shopify-Webhook-Id"] == "d-1"
    assert through_flask == []  # neither request went through Flask


def test_refusals_are_the_same_as_flasks(app, db, through_flask):
    make_shop(db, DOMAIN)
    client = app.test_client()
    forged = client.post("/webhooks/shopify", data=BODY,
                         headers=signed(secret="not-the-app-secret-0123456789"))
    assert (forged.status_code, forged.json) == (401, {"error": "invalid signature"})
    unknown = client.post("/webhooks/woocommerce/999", data=BODY, headers=signed())
    assert (unknown.status_code, unknown.json) == (404, {"error": "unknown shop"})
    assert through_flask == [] and stored(app, db) == []


@pytest.mark.parametrize("how", ["unknown platform", "too large", "GET", "huge shop id"])
def test_anything_unusual_goes_through_flask(app, db, through_flask, how):
    make_shop(db, DOMAIN)
    client = app.test_client()
    if how == "unknown platform":
        res = client.post("/webhooks/magento", data=BODY, headers=signed())
        assert res.status_code == 404
    elif how == "too large":
        big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
        res = client.post("/webhooks/shopify", data=big, headers=signed(big))
        assert res.status_code == 413
    elif how == "GET":
        assert client.get("/webhooks/shopify").status_code == 405
    else:
        res = client.post("/webhooks/woocommerce/99999999999", data=BODY, headers=signed())
        assert res.status_code == 404
    assert through_flask == [1] and stored(app, db) == []


def test_a_failure_to_store_is_a_500_and_the_retry_is_stored(app, db, through_flask,
                                                             monkeypatch):
    """The database (or, spooling, the disk) refuses the write: 500, and the platform's retry
    of the same delivery is stored once."""
    make_shop(db, DOMAIN)
    from arrosto.shops import spool
    from arrosto.web import webhooks

    def down(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if app.config["ARROSTO"].webhook_spool == "on":
        real_write = spool.os.pwrite

        def half(fd, data, offset):  # the disk fills up in the middle of the record
            if len(data) > 100:
                return real_write(fd, data[:len(data) // 2], offset)
            return real_write(fd, data, offset)

        monkeypatch.setattr(spool.os, "pwrite", half)
    else:
        monkeypatch.setattr(webhooks, "store_delivery", down)
    res = app.test_client().post("/webhooks/shopify", data=BODY, headers=signed())
    assert res.status_code == 500 and res.json == {"error": "something went wrong"}
    monkeypatch.undo()
    retry = app.test_client().post("/webhooks/shopify", data=BODY, headers=signed())
    assert (retry.status_code, retry.json) == (200, {"status": "accepted"})
    assert [r.delivery_id for r in stored(app, db)] == ["d-1"]
    if app.config["ARROSTO"].webhook_spool == "on":  # the half record was taken back
        directory = app.extensions["arrosto.spool"].directory
        assert [p.suffix for p in directory.iterdir()] == [".spool"]


def test_a_shop_erased_while_its_id_is_cached_still_keeps_the_delivery(app, db):
    """The receiver caches shop ids by domain for a few seconds: a delivery for a shop erased
    meanwhile is kept without its shop (the foreign key refuses the stale id), not lost."""
    from arrosto.models import Shop

    shop = make_shop(db, DOMAIN)
    client = app.test_client()
    first = client.post("/webhooks/shopify", data=BODY, headers=signed(delivery="e-1"))
    assert first.status_code == 200
    assert [(r.delivery_id, r.shop_id) for r in stored(app, db)] == [("e-1", shop)]
    with db.transaction() as s:  # the shop is erased (with its deliveries), its id still cached
        s.delete(s.get(Shop, shop))
    res = client.post("/webhooks/shopify", data=BODY, headers=signed(delivery="e-2"))
    assert (res.status_code, res.json) == (200, {"status": "accepted"})
    assert [(r.delivery_id, r.shop_id) for r in stored(app, db)] == [("e-2", None)]


@pytest.mark.parametrize("headers", [
    {"X-Shopify-Topic": "orders/create", "User-Agent": "Shopify-Captain-Hook",
     "Content-Type": "application/json", "Accept": "*/*", "X-Forwarded-For": "1.2.3.4"},
    {"x-wc-webhook-source": "https://shop.example/", "X-WC-Webhook-ID": "7",
     "User-Agent-Extra": "no", "X-Shopify-": "edge", "Content-Type": ""},
    {"X-SHOPIFY-HMAC-SHA256": "abc", "x-shopify-webhook-id": "caps"},
])
def test_the_stored_headers_are_werkzeugs_names_of_the_kept_ones(headers):
    """The receiver reads the kept headers straight from the WSGI environ: the same names and
    values as filtering werkzeug's own view of the headers."""
    from werkzeug.datastructures import EnvironHeaders
    from werkzeug.test import EnvironBuilder

    from arrosto.web.webhooks import _kept

    environ = EnvironBuilder(method="POST", headers=headers, data=b"{}").get_environ()
    view = EnvironHeaders(environ)
    assert _kept(view) == _kept(dict(view.items())) and _kept(view)
    assert "Accept" not in _kept(view) and "User-Agent-Extra" not in _kept(view)


def spooled_ids(app) -> list[str]:
    """The delivery ids written to this worker's spool file so far."""
    from arrosto.shops import spool

    s = app.extensions.get("arrosto.spool")
    if not s or s.path is None:
        return []
    records, _, _ = spool.decode(s.path.read_bytes()[spool.FILE_HEADER:])
    return [r["delivery_id"] for r in records]


def test_privacy_requests_are_in_the_database_before_their_answer(app, db):
    """Shopify sends customers/redact (and the other privacy requests, and app/uninstalled)
    once, and no API re-reads them: even when the receiver spools, these are stored in the
    database before the 200, while an order goes through the spool."""
    make_shop(db, DOMAIN)
    client = app.test_client()
    order = client.post("/webhooks/shopify", data=BODY, headers=signed(delivery="o-1"))
    redact = {**signed(delivery="r-1"), "X-Shopify-Topic": "customers/redact"}
    erase = client.post("/webhooks/shopify", data=BODY, headers=redact)
    assert order.status_code == erase.status_code == 200
    with db.transaction(all_shops=True) as s:  # no flush: what the answer waited for
        assert "r-1" in s.scalars(select(WebhookDelivery.delivery_id)).all()
    spooling = app.config["ARROSTO"].webhook_spool == "on"
    assert spooled_ids(app) == (["o-1"] if spooling else [])
    assert sorted(r.delivery_id for r in stored(app, db)) == ["o-1", "r-1"]


def test_a_spool_the_database_does_not_keep_up_with_is_bypassed(make_app, db, monkeypatch):
    """Deliveries waiting in the spool for more than LAG_LIMIT seconds (the database down or
    refusing) stop the spooling: the next delivery is stored in the database before its
    answer, and if the database refuses it too the answer is a 500, so the platform retries
    instead of the web machine's disk holding more and more."""
    import time

    from arrosto.shops import spool as spool_module
    from arrosto.web import webhooks

    app = make_app(jobs_immediate=False, shopify_api_key="k", shopify_api_secret=SECRET,
                   webhook_spool="on")
    try:
        make_shop(db, DOMAIN)
        client = app.test_client()
        assert client.post("/webhooks/shopify", data=BODY, headers=signed(delivery="a")).json \
            == {"status": "accepted"}
        spool = app.extensions["arrosto.spool"]
        spool.stopping.set()  # the spool's thread stops, as if the database hung
        spool.full.set()
        spool.thread.join(timeout=5)
        assert client.post("/webhooks/shopify", data=BODY, headers=signed(delivery="b")).json \
            == {"status": "accepted"}
        assert spool.keeping_up()  # "b" has waited less than LAG_LIMIT
        spool.drained_at = time.monotonic() - spool_module.LAG_LIMIT - 1
        assert not spool.keeping_up()
        res = client.post("/webhooks/shopify", data=BODY, headers=signed(delivery="c"))
        assert (res.status_code, res.json) == (200, {"status": "accepted"})
        with db.transaction(all_shops=True) as s:
            assert sorted(s.scalars(select(WebhookDelivery.delivery_id))) == ["a", "c"]

        def down(*args, **kwargs):
            raise OSError("database down")

        monkeypatch.setattr(webhooks, "store_delivery", down)
        refused = client.post("/webhooks/shopify", data=BODY, headers=signed(delivery="d"))
        assert refused.status_code == 500  # Shopify retries it; nothing more in the spool
        assert spooled_ids(app) == ["a", "b"]
        monkeypatch.undo()
        spool.flush()  # the database is back: "b" moves
        assert spool.keeping_up()
        with db.transaction(all_shops=True) as s:
            assert sorted(s.scalars(select(WebhookDelivery.delivery_id))) == ["a", "b", "c"]
    finally:
        jobs.huey.immediate = True
