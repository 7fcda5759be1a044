"""The events seam: the factory registers each package's handlers once, the shops' first, and
the upserts tell what changed through events instead of calling the domains."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from arrosto import events, privacy
from arrosto.events import OrderData, ProductData, VariantData
from arrosto.listening import handlers as listening_handlers
from arrosto.promotions import handlers as promotion_handlers
from arrosto.shops import handlers as shop_handlers
from arrosto.shops.sync import upsert_orders, upsert_products
from arrosto.support import handlers as support_handlers

from .factories import make_shop

T0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def test_the_factory_registers_every_handler_once_the_shops_first(app, make_app):
    expected = {
        events.ProductChanged: [shop_handlers.product_changed],
        events.ProductDeleted: [shop_handlers.product_deleted],
        events.OrderChanged: [shop_handlers.order_changed, privacy.order_stored],
        events.CustomerChanged: [shop_handlers.customer_changed, privacy.customer_stored],
        events.DiscountChanged: [promotion_handlers.on_discount_changed],
        events.CustomerDataRequest: [privacy.data_request],
        events.CustomerRedact: [privacy.customer_redact],
        events.AppUninstalled: [privacy.app_uninstalled],
        events.CatalogChanged: [listening_handlers.on_catalog_changed],
        events.OfferChanged: [promotion_handlers.on_offer_changed],
        events.OrdersStored: [promotion_handlers.on_orders_stored],
        events.DiscountRead: [promotion_handlers.on_discount_read],
        events.PostsRead: [support_handlers.on_posts_read],
    }
    make_app()  # a second app in the same process adds nothing
    for kind, handlers in expected.items():
        assert events.HANDLERS[kind] == handlers, kind.__name__


@pytest.fixture
def told(monkeypatch) -> list:
    """What the upserts emit, instead of what the domains would do with it."""
    seen: list = []
    for kind in (events.OfferChanged, events.OrdersStored, events.CatalogChanged):
        monkeypatch.setitem(events.HANDLERS, kind,
                            [lambda s, shop, event, key: seen.append((event, key))])
    return seen


def product(price: str, compare_at: str | None = None) -> ProductData:
    return ProductData("p-1", "Miscela Oro", variants=[VariantData(
        "v-1", price=Decimal(price), compare_at_price=Decimal(compare_at) if compare_at else None,
        inventory_quantity=5)])


def test_a_stored_product_whose_offer_changes_emits_offer_changed(db, told):
    shop = make_shop(db, "a.myshopify.com")
    with db.transaction(shop) as s:
        upsert_products(s, [product("20.00")])  # new: not news
        upsert_products(s, [product("20.00")], key="shopify:1")  # the same offer: nothing
    assert told == []
    with db.transaction(shop) as s:
        upsert_products(s, [product("15.00", "20.00")], key="shopify:2")
        [(event, key)] = told
        assert (event.product.external_id, key) == ("p-1", "shopify:2")
        assert event.before.prices == {"v-1": (Decimal("20.00"), None)}
        assert event.after.prices == {"v-1": (Decimal("15.00"), Decimal("20.00"))}
        assert event.before.in_stock is event.after.in_stock is True


def test_stored_orders_are_told_once_per_upsert(db, told):
    shop = make_shop(db, "a.myshopify.com")
    orders = [OrderData(external_id=f"o-{n}", name=f"#{n}", created_at=T0) for n in (1, 2)]
    with db.transaction(shop) as s:
        upsert_orders(s, orders, key="sync:orders")
        [(event, key)] = told
        assert ([o.external_id for o in event.orders], key) == (["o-1", "o-2"], "sync:orders")

