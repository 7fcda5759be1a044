"""What each domain event does to the shop's data. Later parts (listening, promotions) add their
own handlers with :func:`on`; every handler is idempotent and runs inside the delivery's
transaction, so a delivery's effects and its "processed" mark commit together or not at all."""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import events, privacy
from ..access import end_shop_sessions
from ..listening.keywords import refresh_keywords
from ..models import Product, Shop, utcnow
from ..promotions import triggers
from .sync import upsert_customers, upsert_orders, upsert_products

log = logging.getLogger(__name__)

Handler = Callable[[Session, Shop, object, str], None]
HANDLERS: dict[type, list[Handler]] = defaultdict(list)


def on(event_type: type) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        if fn not in HANDLERS[event_type]:
            HANDLERS[event_type].append(fn)
        return fn
    return register


def dispatch(s: Session, shop: Shop, event: object, key: str) -> None:
    """Run every handler of ``event``; ``key`` identifies the delivery (for idempotent rows)."""
    handlers = HANDLERS.get(type(event), [])
    if not handlers:
        log.info("no handler for %s", type(event).__name__)
    for handler in handlers:
        handler(s, shop, event, key)


@on(events.ProductChanged)
def product_changed(s: Session, shop: Shop, event: events.ProductChanged, key: str) -> None:
    upsert_products(s, [event.product])
    refresh_keywords(s, shop)


@on(events.ProductDeleted)
def product_deleted(s: Session, shop: Shop, event: events.ProductDeleted, key: str) -> None:
    product = s.scalar(select(Product).where(Product.external_id == event.external_id))
    if product is not None and product.deleted_at is None:
        product.deleted_at = utcnow()
        refresh_keywords(s, shop)


@on(events.OrderChanged)
def order_changed(s: Session, shop: Shop, event: events.OrderChanged, key: str) -> None:
    upsert_orders(s, [event.order])
    privacy.keep_no_copy(s, key, customer=event.order.customer_external_id,
                         order=event.order.external_id, email=event.order.email)


@on(events.CustomerChanged)
def customer_changed(s: Session, shop: Shop, event: events.CustomerChanged, key: str) -> None:
    upsert_customers(s, [event.customer])
    privacy.keep_no_copy(s, key, customer=event.customer.external_id, email=event.customer.email)


@on(events.DiscountChanged)
def discount_changed(s: Session, shop: Shop, event: events.DiscountChanged, key: str) -> None:
    triggers.discount_changed(s, shop, event)


@on(events.CustomerDataRequest)
def data_request(s: Session, shop: Shop, event: events.CustomerDataRequest, key: str) -> None:
    privacy.export_customer(s, event.request_id or key, event.customer_external_id, event.email,
                            event.order_external_ids)


@on(events.CustomerRedact)
def customer_redact(s: Session, shop: Shop, event: events.CustomerRedact, key: str) -> None:
    privacy.redact_customer(s, event.customer_external_id, event.email, event.order_external_ids)


@on(events.AppUninstalled)
def app_uninstalled(s: Session, shop: Shop, event: events.AppUninstalled, key: str) -> None:
    privacy.uninstall(shop)
    end_shop_sessions(s, shop.id)  # a reinstall signs nobody in with an old cookie
