"""Incremental catalog and order sync, the same for every platform.

One bookmark per shop and resource (Meltano's rule: never set past the moment the sync started):
``run_started_at`` is fixed when a run begins, the page cursor is saved after every page, and only
a finished run moves ``updated_since`` — so an interrupted sync resumes from its last page.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import privacy
from ..db import Database
from ..listening.keywords import refresh_keywords
from ..models import (
    Customer,
    Fulfillment,
    Order,
    OrderLine,
    Product,
    ProductVariant,
    Shop,
    SocialIdentity,
    SyncBookmark,
    utcnow,
)
from ..promotions.attribution import attribute_orders
from ..promotions.triggers import offer_of, offers_changed
from . import platform_for
from .base import CustomerData, OrderData, ProductData, ShopPlatform

log = logging.getLogger(__name__)

Progress = Callable[[str, int], None]


@dataclass
class SyncResult:
    resource: str
    items: int
    pages: int
    resumed: bool


def sync_shop(db: Database, shop_id: int, *, progress: Progress | None = None,
              max_pages: int | None = None) -> list[SyncResult]:
    """Sync every resource of one shop (products first: order lines point at them)."""
    with db.transaction() as s:
        shop = s.get(Shop, shop_id)
        platform = platform_for(shop)
    return [sync_resource(db, shop_id, platform, r, progress=progress, max_pages=max_pages)
            for r in platform.resources]


def sync_resource(db: Database, shop_id: int, platform: ShopPlatform, resource: str, *,
                  progress: Progress | None = None, max_pages: int | None = None) -> SyncResult:
    with db.transaction(shop_id) as s:
        mark = s.scalar(select(SyncBookmark).where(SyncBookmark.resource == resource))
        if mark is None:
            mark = SyncBookmark(resource=resource)
            s.add(mark)
        resumed = mark.cursor is not None
        if not resumed:
            mark.run_started_at = utcnow()
            mark.items_synced = 0
        since, cursor = mark.updated_since, mark.cursor
    pages = items = 0
    while True:
        page = platform.fetch(resource, updated_since=since, cursor=cursor)
        with db.transaction(shop_id) as s:
            UPSERT[resource](s, page.items)
            mark = s.scalar(select(SyncBookmark).where(SyncBookmark.resource == resource))
            mark.cursor = page.next_cursor
            mark.items_synced += len(page.items)
            mark.last_error = None
            if page.next_cursor is None:
                mark.updated_since = mark.run_started_at
                mark.finished_at = utcnow()
                if resource == "products":  # once per run: it reads the whole catalog
                    refresh_keywords(s, s.get(Shop, shop_id))
        pages += 1
        items += len(page.items)
        if progress:
            progress(resource, len(page.items))
        cursor = page.next_cursor
        if cursor is None or (max_pages is not None and pages >= max_pages):
            break
    log.info("synced %s: %d items in %d pages (shop %d%s)", resource, items, pages, shop_id,
             ", resumed" if resumed else "")
    return SyncResult(resource, items, pages, resumed)


def _existing(s: Session, model, ids: Iterable[str], *options):
    rows = s.scalars(select(model).where(model.external_id.in_(list(ids))).options(*options))
    return {row.external_id: row for row in rows}


def _older(stored: dt.datetime | None, incoming: dt.datetime | None) -> bool:
    """True when a record is an older version than the one stored. Webhooks arrive out of
    order and retried ones late (Shopify: "use the updated_at timestamp", WooCommerce: the
    ``date_modified_gmt``): an older version must not overwrite a newer one."""
    return stored is not None and incoming is not None and incoming < stored


def upsert_products(s: Session, records: list[ProductData]) -> list[Product]:
    """Store products; a stored product's price and stock before the change are kept, so that
    a sale or a restock becomes a promotion (:func:`arrosto.promotions.triggers.offers_changed`)."""
    existing = _existing(s, Product, (r.external_id for r in records),
                         selectinload(Product.variants))
    before = {external_id: offer_of(p) for external_id, p in existing.items()}
    out = []
    for r in records:
        product = existing.get(r.external_id) or Product(external_id=r.external_id)
        if product.id is None:
            s.add(product)
        elif _older(product.platform_updated_at, r.updated_at):
            out.append(product)
            continue
        for attr in ("title", "handle", "vendor", "product_type", "tags", "description",
                     "status"):
            setattr(product, attr, getattr(r, attr))
        if r.url is not None:  # webhook bodies may not carry it: keep what a sync stored
            product.url = r.url
        product.platform_updated_at = r.updated_at
        product.deleted_at = None
        by_id = {v.external_id: v for v in product.variants}
        keep = []
        for v in r.variants:
            variant = by_id.get(v.external_id)
            if variant is None or r.variants_complete:
                variant = variant or ProductVariant(external_id=v.external_id)
                for attr in ("title", "sku", "price", "compare_at_price", "inventory_quantity"):
                    setattr(variant, attr, getattr(v, attr))
            keep.append(variant)
        product.variants = keep
        prices = [v.price for v in keep if v.price is not None]
        product.price = min(prices) if prices else None
        cheapest = next((v for v in keep if v.price == product.price), None)
        product.compare_at_price = cheapest.compare_at_price if cheapest else None
        stock = [v.inventory_quantity for v in keep if v.inventory_quantity is not None]
        product.inventory_quantity = sum(stock) if stock else None
        product.in_stock = r.in_stock if r.in_stock is not None else (
            any(q > 0 for q in stock) if stock else None)
        out.append(product)
    s.flush()
    offers_changed(s, [(p, before[p.external_id]) for p in out if p.external_id in before])
    return out


def upsert_customers(s: Session, records: list[CustomerData]) -> list[Customer]:
    """Store customers; one erased on request (by this id, or by the e-mail of an erased
    customer under another id) is stored without personal data, and its handles are not
    recorded: a redaction is final, whatever the platform still holds."""
    existing = _existing(s, Customer, (r.external_id for r in records))
    gone = privacy.redacted(s, customers=(r.external_id for r in records),
                            emails=(r.email for r in records))
    out, erased = [], set()
    for r in records:
        customer = existing.get(r.external_id) or Customer(external_id=r.external_id)
        if customer.id is None:
            s.add(customer)
        if customer.redacted_at is not None or gone.any(customer=r.external_id, email=r.email):
            if customer.redacted_at is None:  # a new id for the same person: erased too
                privacy.erase_customer(customer)
                privacy.remember(s, customers=[r.external_id])
            erased.add(r.external_id)
            out.append(customer)
            continue
        if _older(customer.platform_updated_at, r.updated_at):
            out.append(customer)  # a newer version is stored
            continue
        for attr in ("email", "first_name", "last_name", "phone", "city", "postcode",
                     "accepts_marketing"):
            setattr(customer, attr, getattr(r, attr))
        customer.platform_updated_at = r.updated_at
        out.append(customer)
    s.flush()
    for r, customer in zip(records, out, strict=True):
        if r.external_id in erased:
            continue
        for network, handle in r.handles.items():
            _record_identity(s, customer, network, handle, "customer_record")
    return out


def _record_identity(s: Session, customer: Customer, network: str, handle: str, how: str) -> None:
    handle = handle.lstrip("@").lower()
    found = s.scalar(select(SocialIdentity).where(SocialIdentity.network == network,
                                                  SocialIdentity.handle == handle))
    if found is None:
        s.add(SocialIdentity(customer_id=customer.id, network=network, handle=handle,
                             verified_by=how))


def upsert_orders(s: Session, records: list[OrderData]) -> list[Order]:
    existing = _existing(s, Order, (r.external_id for r in records),
                         selectinload(Order.lines), selectinload(Order.fulfillments))
    linked = list(s.scalars(select(Customer).where(
        Customer.external_id.in_({r.customer_external_id for r in records
                                  if r.customer_external_id}))))
    customers = {c.external_id: c.id for c in linked}
    gone = privacy.redacted(s, customers=(r.customer_external_id for r in records),
                            orders=(r.external_id for r in records),
                            emails=(r.email for r in records))
    gone.customers |= {c.external_id for c in linked if c.redacted_at is not None}
    products = {p.external_id: p.id for p in s.scalars(select(Product).where(
        Product.external_id.in_({li.external_product_id for r in records for li in r.lines
                                 if li.external_product_id})))}
    out = []
    for r in records:
        order = existing.get(r.external_id) or Order(external_id=r.external_id)
        if order.id is None:
            s.add(order)
        elif _older(order.platform_updated_at, r.updated_at):
            out.append(order)
            continue
        for attr in ("name", "number", "email", "shipping_name", "shipping_postcode",
                     "shipping_city", "financial_status", "fulfillment_status", "cancelled_at",
                     "cancel_reason", "total_price", "currency", "discount_codes",
                     "landing_site", "created_at"):
            setattr(order, attr, getattr(r, attr))
        order.platform_updated_at = r.updated_at
        order.customer_id = customers.get(r.customer_external_id)
        order.lines = [OrderLine(
            title=li.title, quantity=li.quantity, price=li.price, sku=li.sku,
            variant_title=li.variant_title, external_product_id=li.external_product_id,
            product_id=products.get(li.external_product_id)) for li in r.lines]
        by_id = {f.external_id: f for f in order.fulfillments}
        fulfillments = []
        for f in r.fulfillments:
            row = by_id.get(f.external_id) or Fulfillment(external_id=f.external_id)
            for attr in ("status", "shipment_status", "tracking_company", "tracking_number",
                         "tracking_url", "created_at"):
                setattr(row, attr, getattr(f, attr))
            fulfillments.append(row)
        order.fulfillments = fulfillments
        if gone.any(customer=r.customer_external_id, order=r.external_id, email=r.email):
            # the customer was erased on request: the order stays for the books, not who
            # placed it (the platform may still hold it, its updates keep coming)
            privacy.erase_order(order)
            privacy.remember(s, orders=[r.external_id])
        out.append(order)
    s.flush()
    attribute_orders(s, out)
    return out


UPSERT = {"products": upsert_products, "customers": upsert_customers, "orders": upsert_orders}
