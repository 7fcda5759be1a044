"""What each of the platform's events does to the shop's stored data: products, orders and
customers are upserted (their own events tell the domains what changed), a deleted product is
marked deleted. The domains register their handlers of the same events after these."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import events
from ..models import Product, Shop, utcnow
from .sync import upsert_customers, upsert_orders, upsert_products


def product_changed(s: Session, shop: Shop, event: events.ProductChanged, key: str) -> None:
    upsert_products(s, [event.product], key=key)
    events.dispatch(s, shop, events.CatalogChanged(), key)


def product_deleted(s: Session, shop: Shop, event: events.ProductDeleted, key: str) -> None:
    product = s.scalar(select(Product).where(Product.external_id == event.external_id))
    if product is not None and product.deleted_at is None:
        product.deleted_at = utcnow()
        events.dispatch(s, shop, events.CatalogChanged(), key)


def order_changed(s: Session, shop: Shop, event: events.OrderChanged, key: str) -> None:
    upsert_orders(s, [event.order], key=key)


def customer_changed(s: Session, shop: Shop, event: events.CustomerChanged, key: str) -> None:
    upsert_customers(s, [event.customer], key=key)


def register() -> None:
    """The shops' handlers; registered before every domain's (the rows are stored first)."""
    events.on(events.ProductChanged, product_changed)
    events.on(events.ProductDeleted, product_deleted)
    events.on(events.OrderChanged, order_changed)
    events.on(events.CustomerChanged, customer_changed)
