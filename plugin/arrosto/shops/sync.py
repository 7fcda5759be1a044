"""Incremental catalog and order sync, the same for every platform, and the upserts that
webhooks share with it.

One bookmark per shop and resource (Meltano's rule: never set past the moment the sync started):
``run_started_at`` is fixed when a run begins, the page cursor is saved after every page, and only
a finished run moves ``updated_since`` — so an interrupted sync resumes from its last page.

What the stored rows change is told through :mod:`arrosto.events`, never by calling a domain:
the upserts emit :class:`~arrosto.events.OfferChanged` (a product's prices or stock) and
:class:`~arrosto.events.OrdersStored`, a finished products run
:class:`~arrosto.events.CatalogChanged`, the discounts stream
:class:`~arrosto.events.DiscountRead`. An erased customer stays erased: the upserts ask
:mod:`arrosto.redactions` before storing a customer or an order.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import events
from ..db import Database
from ..errors import ArrostoError
from ..events import CustomerData, Offer, OrderData, ProductData
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
from ..redactions import erase_customer, erase_order, redacted, remember
from . import platform_for
from .base import ShopPlatform

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
            UPSERT[resource](s, page.items, key=f"sync:{resource}")
            mark = s.scalar(select(SyncBookmark).where(SyncBookmark.resource == resource))
            mark.cursor = page.next_cursor
            mark.items_synced += len(page.items)
            mark.last_error = None
            if page.next_cursor is None:
                mark.updated_since = mark.run_started_at
                mark.finished_at = utcnow()
                if resource == "products":  # once per run: its handlers read the whole catalog
                    events.dispatch(s, s.get(Shop, shop_id), events.CatalogChanged(),
                                    f"sync:{resource}")
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


# --- discounts -----------------------------------------------------------------------------------
# A stream of its own: platforms list discounts whole (no pages to resume), and each changed one
# is read again with its collections' products before promotions decide anything.

DISCOUNTS_BOOKMARK = "discounts"


def refresh_discount(db: Database, shop_id: int, external_id: str) -> None:
    """Read one discount from the platform (and its collections' products) and emit
    :class:`~arrosto.events.DiscountRead`; a discount that no longer exists is read as
    inactive (its promotion closes)."""
    with db.transaction() as s:
        shop = s.get(Shop, shop_id)
        if shop is None or shop.status != "active":
            return
        platform = platform_for(shop)
    found = platform.fetch_discount(external_id)
    discount = found or events.DiscountChanged(external_id=external_id, title="", active=False)
    collections = {cid: platform.collection_products(cid)
                   for cid in {*discount.collection_external_ids,
                               *discount.excluded_collection_external_ids}}
    with db.transaction(shop_id) as s:
        events.dispatch(s, s.get(Shop, shop_id), events.DiscountRead(discount, collections),
                        f"discount:{external_id}")


def refresh_discounts(db: Database, shop_id: int) -> int:
    """Re-read the discounts changed since the last run (webhooks that never arrived); returns
    how many were read. The first run only notes the time: discounts that were already there
    when Arrosto was installed are not news. Errors are logged, not raised into other shops'."""
    started = utcnow()
    with db.transaction(shop_id) as s:
        mark = s.scalar(select(SyncBookmark).where(SyncBookmark.resource == DISCOUNTS_BOOKMARK))
        if mark is None:
            s.add(SyncBookmark(resource=DISCOUNTS_BOOKMARK, updated_since=started,
                               run_started_at=started, finished_at=started))
            return 0
        since = mark.updated_since
    with db.transaction() as s:
        platform = platform_for(s.get(Shop, shop_id))
    applied = 0
    try:
        for changed in platform.read_discounts(since):
            refresh_discount(db, shop_id, changed.external_id)
            applied += 1
    except ArrostoError as exc:
        log.warning("shop %d: discounts not re-read: %s", shop_id, exc)
        with db.transaction(shop_id) as s:
            mark = s.scalar(select(SyncBookmark).where(
                SyncBookmark.resource == DISCOUNTS_BOOKMARK))
            mark.last_error = str(exc)[:2000]
        return applied
    with db.transaction(shop_id) as s:
        mark = s.scalar(select(SyncBookmark).where(SyncBookmark.resource == DISCOUNTS_BOOKMARK))
        mark.updated_since, mark.finished_at, mark.last_error = started, utcnow(), None
        mark.run_started_at, mark.items_synced = started, applied
    return applied


def _existing(s: Session, model, ids: Iterable[str], *options):
    rows = s.scalars(select(model).where(model.external_id.in_(list(ids))).options(*options))
    return {row.external_id: row for row in rows}


def _older(stored: dt.datetime | None, incoming: dt.datetime | None) -> bool:
    """True when a record is an older version than the one stored. Webhooks arrive out of
    order and retried ones late (Shopify: "use the updated_at timestamp", WooCommerce: the
    ``date_modified_gmt``): an older version must not overwrite a newer one."""
    return stored is not None and incoming is not None and incoming < stored


def offer_of(product: Product) -> Offer:
    in_stock = product.in_stock
    if in_stock is None and product.inventory_quantity is not None:  # stored before 0004
        in_stock = product.inventory_quantity > 0
    return Offer({v.external_id: (v.price, v.compare_at_price) for v in product.variants},
                 in_stock)


def _shop(s: Session) -> Shop:
    return s.get(Shop, s.info["shop_id"])


def upsert_products(s: Session, records: list[ProductData], *, key: str = "sync") -> list[Product]:
    """Store products; a stored product whose prices or stock change emits
    :class:`~arrosto.events.OfferChanged` with its offer before and after (a sale or a restock
    becomes a promotion). ``key`` names what brought the records (a delivery, a sync)."""
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
    for product in out:
        if product.external_id in before:
            after = offer_of(product)
            if after != before[product.external_id]:
                events.dispatch(s, _shop(s), events.OfferChanged(
                    product, before[product.external_id], after), key)
    return out


def upsert_customers(s: Session, records: list[CustomerData], *, key: str = "sync"
                     ) -> list[Customer]:
    """Store customers; one erased on request (by this id, or by the e-mail of an erased
    customer under another id) is stored without personal data, and its handles are not
    recorded: a redaction is final, whatever the platform still holds."""
    existing = _existing(s, Customer, (r.external_id for r in records))
    gone = redacted(s, customers=(r.external_id for r in records),
                    emails=(r.email for r in records))
    out, erased = [], set()
    for r in records:
        customer = existing.get(r.external_id) or Customer(external_id=r.external_id)
        if customer.id is None:
            s.add(customer)
        if customer.redacted_at is not None or gone.any(customer=r.external_id, email=r.email):
            if customer.redacted_at is None:  # a new id for the same person: erased too
                erase_customer(customer)
                remember(s, customers=[r.external_id])
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


def upsert_orders(s: Session, records: list[OrderData], *, key: str = "sync") -> list[Order]:
    """Store orders (an erased customer's without their data); emits
    :class:`~arrosto.events.OrdersStored` (promotions attribute them)."""
    existing = _existing(s, Order, (r.external_id for r in records),
                         selectinload(Order.lines), selectinload(Order.fulfillments))
    linked = list(s.scalars(select(Customer).where(
        Customer.external_id.in_({r.customer_external_id for r in records
                                  if r.customer_external_id}))))
    customers = {c.external_id: c.id for c in linked}
    gone = redacted(s, customers=(r.customer_external_id for r in records),
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
            erase_order(order)
            remember(s, orders=[r.external_id])
        out.append(order)
    s.flush()
    if out:
        events.dispatch(s, _shop(s), events.OrdersStored(out), key)
    return out


UPSERT = {"products": upsert_products, "customers": upsert_customers, "orders": upsert_orders}
