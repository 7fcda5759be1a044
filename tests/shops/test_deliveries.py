"""Storing deliveries: concurrent requests share commits, and every unique delivery is stored
exactly once however often and however concurrently it arrives."""
from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from arrosto.models import WebhookDelivery
from arrosto.shops.base import WebhookMeta
from arrosto.shops.deliveries import pending_deliveries, store_delivery


def test_concurrent_and_repeated_deliveries_are_stored_once(db):
    ids = [f"delivery-{n % 150}" for n in range(600)]  # each id four times, interleaved

    def store(delivery_id):
        meta = WebhookMeta(delivery_id=delivery_id, topic="orders/create",
                           shop_domain="a.myshopify.com")
        return store_delivery(db, "shopify", meta, {"X-Shopify-Topic": "orders/create"},
                              b'{"id": 1}', None)

    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(store, ids))
    assert sum(not r.duplicate for r in results) == 150
    assert sum(r.duplicate for r in results) == 450
    assert len({r.delivery_id for r in results if not r.duplicate}) == 150
    with db.transaction() as s:
        assert s.scalar(select(func.count(WebhookDelivery.id))) == 150
        assert s.scalar(select(func.count(func.distinct(WebhookDelivery.delivery_id)))) == 150
    assert len(pending_deliveries(db, older_than=dt.timedelta(0))) == 150


def test_the_receivers_raw_insert_stores_what_the_orm_would(db):
    """The hot path writes through the DB-API with SQLAlchemy's bind processors: the row must
    read back through the ORM exactly as one written by the ORM (JSON, bytes, aware UTC)."""
    headers = {"X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": "é.myshopify.com"}
    body = '{"note": "caffè ☕"}'.encode()
    meta = WebhookMeta(delivery_id="raw-1", topic="orders/create", shop_domain="a.myshopify.com")
    stored = store_delivery(db, "shopify", meta, headers, body, None)
    with db.transaction() as s:
        s.add(WebhookDelivery(platform="shopify", delivery_id="orm-1", topic="orders/create",
                              shop_domain="a.myshopify.com", headers=headers, body=body))
    with db.transaction() as s:
        raw = s.get(WebhookDelivery, stored.delivery_id)
        orm = s.scalar(select(WebhookDelivery).where(WebhookDelivery.delivery_id == "orm-1"))
        for row in (raw, orm):
            assert row.headers == headers and bytes(row.body) == body
            assert row.received_at.tzinfo is dt.UTC
            assert abs(row.received_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
            assert (row.state, row.attempts, row.shop_id) == ("received", 0, None)


def test_a_connection_lost_under_the_receiver_is_replaced(db):
    """A pooled connection that died (database restart) fails one write, leaves the pool, and
    the platform's retry of the same delivery is stored on a fresh connection."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("an embedded SQLite database has no server connection to lose")
    import psycopg

    meta = WebhookMeta(delivery_id="lost-1", topic="orders/create", shop_domain="a.myshopify.com")
    store_delivery(db, "shopify", WebhookMeta("warm", "orders/create", None), {}, b"{}", None)
    raw = db.engine.raw_connection()  # the one pooled connection the warm-up used
    cur = raw.cursor()
    cur.execute("SELECT pg_backend_pid()")
    pid = cur.fetchone()[0]
    raw.close()
    with psycopg.connect(db.engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(Exception):  # noqa: B017 - the one write that meets the dead connection
        store_delivery(db, "shopify", meta, {}, b"{}", None)
    again = store_delivery(db, "shopify", meta, {}, b"{}", None)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).where(WebhookDelivery.delivery_id == "lost-1")) == 1
    assert again.delivery_id is not None and not again.duplicate
