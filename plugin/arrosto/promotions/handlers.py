"""What promotions do when the shop's data changes: a discount made or changed, a product's
prices or stock changed, orders stored (attributed to the promotions that brought them)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from .. import events
from ..models import Shop
from .attribution import attribute_orders
from .triggers import apply_discount, discount_changed, offer_changed


def on_discount_changed(s: Session, shop: Shop, event: events.DiscountChanged, key: str) -> None:
    discount_changed(s, shop, event)


def on_discount_read(s: Session, shop: Shop, event: events.DiscountRead, key: str) -> None:
    apply_discount(s, shop, event.discount, event.collections)


def on_offer_changed(s: Session, shop: Shop, event: events.OfferChanged, key: str) -> None:
    offer_changed(s, shop, event.product, event.before, event.after)


def on_orders_stored(s: Session, shop: Shop, event: events.OrdersStored, key: str) -> None:
    attribute_orders(s, event.orders)


def register() -> None:
    events.on(events.DiscountChanged, on_discount_changed)
    events.on(events.DiscountRead, on_discount_read)
    events.on(events.OfferChanged, on_offer_changed)
    events.on(events.OrdersStored, on_orders_stored)
