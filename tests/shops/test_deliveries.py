"""Storing deliveries: every unique delivery is stored exactly once however often and however
concurrently it arrives, committed before ``store_delivery`` returns."""
from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, IntegrityError

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


def test_a_stored_delivery_is_committed_and_reads_back_as_the_orm_writes_it(db):
    """The receiver's one INSERT … ON CONFLICT binds through the columns' types: the row reads
    back exactly as one written by the ORM (JSON, bytes, aware UTC), and another connection sees
    it as soon as ``store_delivery`` returns."""
    headers = {"X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": "é.myshopify.com"}
    body = '{"note": "caffè ☕"}'.encode()
    meta = WebhookMeta(delivery_id="raw-1", topic="orders/create", shop_domain="a.myshopify.com")
    stored = store_delivery(db, "shopify", meta, headers, body, None)
    with db.engine.connect() as other:
        assert other.scalar(select(func.count()).where(
            WebhookDelivery.delivery_id == "raw-1")) == 1
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
    assert db.engine.pool.checkedout() == 0  # the pooled connection went back


def test_a_connection_lost_under_the_receiver_is_replaced(db):
    """The pool's connections died (database restart): one write fails (the platform gets a
    500), and its retry of the same delivery is stored once, on a fresh connection."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("an embedded SQLite database has no server connection to lose")
    import psycopg

    meta = WebhookMeta(delivery_id="lost-1", topic="orders/create", shop_domain="a.myshopify.com")
    store_delivery(db, "shopify", WebhookMeta("warm", "orders/create", None), {}, b"{}", None)
    pooled = [db.engine.raw_connection() for _ in range(db.engine.pool.checkedin())]
    pids = [c.dbapi_connection.info.backend_pid for c in pooled]
    for conn in pooled:
        conn.close()  # back to the pool, still pointing at the backends about to go
    with psycopg.connect(db.engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False), autocommit=True) as other:
        for pid in pids:
            other.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(DBAPIError):  # the one write that meets a dead connection
        store_delivery(db, "shopify", meta, {}, b"{}", None)
    again = store_delivery(db, "shopify", meta, {}, b"{}", None)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).where(WebhookDelivery.delivery_id == "lost-1")) == 1
    assert again.delivery_id is not None and not again.duplicate


def test_a_failed_write_rolls_back_and_the_next_one_is_stored(db):
    """An error in the INSERT (here a shop id that does not exist) leaves nothing behind and
    no transaction open: the next delivery is stored."""
    bad = WebhookMeta(delivery_id="fk-1", topic="orders/create", shop_domain=None)
    with pytest.raises(IntegrityError):
        store_delivery(db, "shopify", bad, {}, b"{}", 987654)
    good = store_delivery(db, "shopify", WebhookMeta("fk-2", "orders/create", None), {}, b"{}",
                          None)
    assert good.delivery_id is not None
    with db.transaction() as s:
        assert s.scalars(select(WebhookDelivery.delivery_id)).all() == ["fk-2"]
    assert db.engine.pool.checkedout() == 0
