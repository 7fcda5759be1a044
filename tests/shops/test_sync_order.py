"""Deliveries arrive out of order (and retried ones late): an older version of an order,
product or customer never overwrites the newer one stored."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from arrosto.events import CustomerData, OrderData, ProductData
from arrosto.models import Customer, Order, Product
from arrosto.shops.sync import upsert_customers, upsert_orders, upsert_products

from ..factories import make_shop

T0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def test_an_older_order_update_arriving_last_changes_nothing(db):
    shop = make_shop(db, "a.myshopify.com")
    newer = OrderData(external_id="o-1", name="#1001", created_at=T0,
                      fulfillment_status="fulfilled", total_price=Decimal("20"),
                      updated_at=T0 + dt.timedelta(hours=2))
    older = OrderData(external_id="o-1", name="#1001", created_at=T0, fulfillment_status=None,
                      total_price=Decimal("20"), updated_at=T0 + dt.timedelta(hours=1))
    same_again = OrderData(external_id="o-1", name="#1001", created_at=T0,
                           fulfillment_status="fulfilled", financial_status="refunded",
                           total_price=Decimal("20"), updated_at=T0 + dt.timedelta(hours=2))
    with db.transaction(shop) as s:
        upsert_orders(s, [newer])
    with db.transaction(shop) as s:
        upsert_orders(s, [older])
    with db.transaction(shop) as s:
        order = s.scalar(select(Order))
        assert order.fulfillment_status == "fulfilled"
    with db.transaction(shop) as s:
        upsert_orders(s, [same_again])  # the same moment is not older: applied
    with db.transaction(shop) as s:
        assert s.scalar(select(Order.financial_status)) == "refunded"


def test_older_product_and_customer_versions_are_skipped(db):
    shop = make_shop(db, "a.myshopify.com")
    with db.transaction(shop) as s:
        upsert_products(s, [ProductData(external_id="p-1", title="Miscela Oro 2",
                                        updated_at=T0 + dt.timedelta(hours=2))])
        upsert_customers(s, [CustomerData(external_id="c-1", email="new@example.it",
                                          updated_at=T0 + dt.timedelta(hours=2))])
    with db.transaction(shop) as s:
        upsert_products(s, [ProductData(external_id="p-1", title="Miscela Oro",
                                        updated_at=T0)])
        upsert_customers(s, [CustomerData(external_id="c-1", email="old@example.it",
                                          updated_at=T0)])
    with db.transaction(shop) as s:
        assert s.scalar(select(Product.title)) == "Miscela Oro 2"
        assert s.scalar(select(Customer.email)) == "new@example.it"
