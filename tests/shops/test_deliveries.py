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
    """The receiver's connection died (database restart): it fails one write, is dropped, and
    the platform's retry of the same delivery is stored on a fresh connection."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("an embedded SQLite database has no server connection to lose")
    import psycopg

    meta = WebhookMeta(delivery_id="lost-1", topic="orders/create", shop_domain="a.myshopify.com")
    store_delivery(db, "shopify", WebhookMeta("warm", "orders/create", None), {}, b"{}", None)
    pid = db.group_commit.insert.connection().info.backend_pid  # the receiver's own connection
    with psycopg.connect(db.engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(Exception):  # noqa: B017 - the one write that meets the dead connection
        store_delivery(db, "shopify", meta, {}, b"{}", None)
    again = store_delivery(db, "shopify", meta, {}, b"{}", None)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).where(WebhookDelivery.delivery_id == "lost-1")) == 1
    assert again.delivery_id is not None and not again.duplicate


def test_the_receiver_writes_on_its_own_connection_and_opens_one_per_process(db, monkeypatch):
    """The writer's connection is its own (not the pool's), committed after every write, and a
    process forked after it was opened (a gunicorn worker) opens another instead of sharing it."""
    from arrosto.shops import deliveries

    meta = WebhookMeta(delivery_id="own-1", topic="orders/create", shop_domain=None)
    store_delivery(db, "shopify", meta, {}, b"{}", None)
    writer = db.group_commit.insert
    first = writer.connection()
    assert db.engine.pool.checkedout() == 0  # nothing borrowed from the pool and kept
    with db.engine.connect() as other:  # another connection sees the row: it is committed
        assert other.scalar(select(func.count()).where(
            WebhookDelivery.delivery_id == "own-1")) == 1
    assert writer.connection() is first
    child = writer.pid + 1
    monkeypatch.setattr(deliveries.os, "getpid", lambda: child)
    store_delivery(db, "shopify", WebhookMeta("own-2", "orders/create", None), {}, b"{}", None)
    assert writer.connection() is not first and writer.inherited[-1].dbapi_connection is first
    monkeypatch.undo()
    db.dispose()  # closes the writer's connection with the engine's
    assert writer.conn is None


def test_a_failed_write_rolls_back_and_the_connection_stays_usable(db):
    """An error in the INSERT (here a shop id that does not exist) leaves no transaction open:
    the next delivery is stored on the same connection."""
    from arrosto.shops import deliveries  # noqa: F401 - the driver's own error is raised

    bad = WebhookMeta(delivery_id="fk-1", topic="orders/create", shop_domain=None)
    with pytest.raises(Exception) as raised:  # noqa: B017 - the driver's IntegrityError
        store_delivery(db, "shopify", bad, {}, b"{}", 987654)
    assert isinstance(raised.value, db.engine.dialect.loaded_dbapi.IntegrityError)
    good = store_delivery(db, "shopify", WebhookMeta("fk-2", "orders/create", None), {}, b"{}",
                          None)
    assert good.delivery_id is not None
    with db.transaction() as s:
        assert s.scalars(select(WebhookDelivery.delivery_id)).all() == ["fk-2"]


def test_receivers_of_several_processes_take_turns_on_sqlite(db):
    """Another process's receiver holding the turn (an flock beside the database file) makes
    this one wait in the kernel, not fail or poll; it writes the moment the turn is free."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL takes concurrent writers itself")
    import fcntl
    import os
    import threading

    store_delivery(db, "shopify", WebhookMeta("turn-0", "orders/create", None), {}, b"{}", None)
    path = db.group_commit.insert.turn_path
    other = os.open(path, os.O_RDWR)  # another open file: another process, as far as flock goes
    fcntl.flock(other, fcntl.LOCK_EX)
    done = threading.Event()

    def store():
        store_delivery(db, "shopify", WebhookMeta("turn-1", "orders/create", None), {}, b"{}",
                       None)
        done.set()

    waiting = threading.Thread(target=store)
    waiting.start()
    assert not done.wait(0.3)  # waits for its turn
    fcntl.flock(other, fcntl.LOCK_UN)
    os.close(other)
    assert done.wait(5)
    waiting.join()
    with db.transaction() as s:
        assert set(s.scalars(select(WebhookDelivery.delivery_id))) == {"turn-0", "turn-1"}
