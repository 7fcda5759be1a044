"""Storing deliveries: concurrent requests share commits, and every unique delivery is stored
exactly once however often and however concurrently it arrives."""
from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

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
