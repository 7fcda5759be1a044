"""Promotions from the shop's own events: a discount or coupon created or changed, a product
going on sale or back in stock, a promotion the owner makes by hand.

Each becomes one :class:`~arrosto.models.Promotion` in ``pending_approval`` with the products it
is about; nothing is ever sent from here (the owner approves first). A promotion is one row per
shop, source and external id (a uniqueness constraint, the final guard): a repeated webhook, or a
sync reading what a webhook already brought, updates that row. A discount that expires or is
disabled or deleted before its promotion was sent closes it (``expired`` / ``cancelled``); so
does a sale that ends or a product that sells out again.

Discounts come from the delivery handlers (:class:`~arrosto.events.DiscountChanged`). A Shopify
``discounts/*`` webhook only names the discount, and collections (WooCommerce: categories) must be
read to know their products: that reading is done by the shops' discounts stream
(:func:`arrosto.shops.sync.refresh_discount`, in a job once the delivery's transaction has
committed, never inside it: a slow shop would hold the database's write lock), which also re-reads
changed discounts periodically, for webhooks that never arrived (WooCommerce never retries one);
what it read comes back as :class:`~arrosto.events.DiscountRead`.

Sales and restocks come from the product upsert of webhooks and syncs alike
(:func:`arrosto.shops.sync.upsert_products`), which emits :class:`~arrosto.events.OfferChanged`
with each stored product's offer before and after the change. Only products already stored
count: the first sync of a catalog, or a product created already on sale, is not news.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import jobs
from ..db import dialect_insert
from ..events import DiscountChanged, Offer
from ..models import Product, ProductVariant, Promotion, PromotionProduct, Shop, utcnow
from ..shops.jobs import refresh_discount_job

log = logging.getLogger(__name__)

# Promotion.source, per kind of trigger (and per platform where the words differ)
DISCOUNT_SOURCES = {"shopify": "shopify_discount", "woocommerce": "wc_coupon"}
SALE_SOURCES = {"woocommerce": "wc_sale"}
PRICE_DROP = "price_drop"
BACK_IN_STOCK = "back_in_stock"
MANUAL = "manual"

NOT_SENT = ("pending_approval", "approved")  # a trigger may still change or close these
FINISHED = ("done", "cancelled", "expired")  # left alone
_BARE_AMOUNT = re.compile(r"\d+(?:\.\d+)?")


def discount_source(shop: Shop) -> str:
    return DISCOUNT_SOURCES.get(shop.platform, f"{shop.platform}_discount")


def sale_source(shop: Shop) -> str:
    return SALE_SOURCES.get(shop.platform, PRICE_DROP)


# --- discounts and coupons ----------------------------------------------------------------------

def discount_changed(s: Session, shop: Shop, event: DiscountChanged) -> Promotion | None:
    """The delivery handler's part, inside the delivery's transaction: what the event says is
    applied now; what must first be read from the platform (a Shopify webhook's details, the
    products of collections) is read by the shops' ``refresh_discount_job`` after the commit."""
    needs_reading = (not event.details or event.collection_external_ids
                     or event.excluded_collection_external_ids)
    if needs_reading:
        jobs.after_commit(s, refresh_discount_job, shop.id, event.external_id)
    if not event.details:
        return None
    return apply_discount(s, shop, event, None)


def apply_discount(s: Session, shop: Shop, event: DiscountChanged,
                   collections: Mapping[str, list[str]] | None) -> Promotion | None:
    """Create, update or close the discount's promotion. ``collections`` maps the event's
    collection ids to their products' external ids; None when they were not read yet (the
    products found so far are then added to, never taken away)."""
    source = discount_source(shop)
    now = utcnow()
    status = discount_status(event, now)
    promotion = _find(s, source, event.external_id)
    fields = {"title": (event.title or event.code or "Discount")[:500],
              "code": event.code, "value": _with_currency(event.value, shop.currency),
              "starts_at": event.starts_at, "ends_at": event.ends_at}
    if status != "live":
        if promotion is not None and promotion.state not in FINISHED:
            if event.ends_at is not None:
                promotion.ends_at = event.ends_at
            _close(promotion, status)
        return promotion
    unresolved = collections is None and bool(event.collection_external_ids)
    product_ids = _discount_products(s, event, collections or {})
    return _upsert(s, source, event.external_id, fields, product_ids, replace=not unresolved)


def discount_status(event: DiscountChanged, now: dt.datetime) -> str:
    """``live`` (active, or scheduled to start), ``expired`` or ``cancelled``."""
    if event.active:
        return "live"
    if event.ends_at is not None and event.ends_at <= now:
        return "expired"
    if event.starts_at is not None and event.starts_at > now:
        return "live"  # Shopify's SCHEDULED: worth preparing
    return "cancelled"


def _discount_products(s: Session, event: DiscountChanged,
                       collections: Mapping[str, list[str]]) -> set[int]:
    excluded = set(event.excluded_product_external_ids)
    for cid in event.excluded_collection_external_ids:
        excluded.update(collections.get(cid, ()))
    if event.applies_to_all:
        rows = s.execute(select(Product.id, Product.external_id).where(
            Product.deleted_at.is_(None), Product.status == "active"))
        return {pid for pid, external_id in rows if external_id not in excluded}
    wanted = set(event.product_external_ids)
    for cid in event.collection_external_ids:
        wanted.update(collections.get(cid, ()))
    return _product_ids(s, wanted - excluded)


def _product_ids(s: Session, external_ids: Iterable[str]) -> set[int]:
    """Our ids of the products named, by their own id or one of their variants' (a WooCommerce
    coupon may list variations)."""
    wanted = list(set(external_ids))
    if not wanted:
        return set()
    found = set(s.scalars(select(Product.id).where(Product.external_id.in_(wanted),
                                                   Product.deleted_at.is_(None))))
    found.update(s.scalars(select(ProductVariant.product_id).join(Product).where(
        ProductVariant.external_id.in_(wanted), Product.deleted_at.is_(None))))
    return found


# --- sales and restocks -----------------------------------------------------------------------

def _on_sale(price: Decimal | None, compare_at: Decimal | None) -> bool:
    return price is not None and compare_at is not None and compare_at > price


def offer_changed(s: Session, shop: Shop, product: Product, before: Offer,
                  after: Offer) -> Promotion | None:
    """A stored product's offer changed (its offer before and after): newly on sale (a
    variant's compare-at price above its price, newly so or lower still) or back in stock (out
    of stock before, in stock now) makes or updates a promotion; a sale that ended or a product
    sold out again closes the one not sent yet."""
    if product.deleted_at is not None or product.status != "active":
        return None
    dropped = [(price, compare_at) for vid, (price, compare_at) in after.prices.items()
               if vid in before.prices and _on_sale(price, compare_at)
               and _newly_lower(before.prices[vid], price)]
    was_on_sale = any(_on_sale(*p) for p in before.prices.values())
    on_sale = any(_on_sale(*p) for p in after.prices.values())
    made = None
    if dropped:
        price, compare_at = min(dropped)
        value = f"{_money(compare_at)} → {_money(price)} {shop.currency}"
        made = _product_promotion(s, product, sale_source(shop), f"{product.title} on sale",
                                  value)
    elif was_on_sale and not on_sale:
        _close_product_promotions(s, product, sale_source(shop), "expired")
    if before.in_stock is False and after.in_stock is True:
        made = _product_promotion(s, product, BACK_IN_STOCK,
                                  f"{product.title} is back in stock", None)
    elif before.in_stock is True and after.in_stock is False:
        _close_product_promotions(s, product, BACK_IN_STOCK, "cancelled")
    return made


def _newly_lower(before: tuple[Decimal | None, Decimal | None], price: Decimal) -> bool:
    old_price, old_compare_at = before
    return not _on_sale(old_price, old_compare_at) or (old_price is not None and price < old_price)


def _product_promotion(s: Session, product: Product, source: str, title: str,
                       value: str | None) -> Promotion:
    """The product's promotion of this kind not sent yet, updated; else a new one, keyed by
    product and day (a later sale of the same product is a new promotion)."""
    promotion = _open_for_product(s, product, source)
    fields = {"title": title[:500], "value": value}
    if promotion is not None:
        _set_fields(promotion, fields)
        log.info("promotion %d (%s) updated for product %s", promotion.id, source,
                 product.external_id)
        return promotion
    external_id = f"{product.external_id}:{utcnow():%Y-%m-%d}"
    return _upsert(s, source, external_id, {**fields, "starts_at": utcnow()}, {product.id},
                   replace=True)


def _open_for_product(s: Session, product: Product, source: str) -> Promotion | None:
    return s.scalar(select(Promotion).join(
        PromotionProduct, PromotionProduct.promotion_id == Promotion.id).where(
        Promotion.source == source, Promotion.state.in_(NOT_SENT),
        PromotionProduct.product_id == product.id).order_by(Promotion.id.desc()).limit(1))


def _close_product_promotions(s: Session, product: Product, source: str, state: str) -> None:
    promotion = _open_for_product(s, product, source)
    if promotion is not None:
        _close(promotion, state)


# --- by hand ------------------------------------------------------------------------------------

def create_manual_promotion(s: Session, *, title: str, product_ids: Iterable[int],
                            code: str | None = None, value: str | None = None,
                            ends_at: dt.datetime | None = None) -> Promotion:
    """A promotion the owner creates in the admin (``s`` is the shop's session), awaiting their
    approval like any other. ``product_ids`` are our products' ids; ValueError names what is
    wrong with the input."""
    title = (title or "").strip()
    if not title:
        raise ValueError("a promotion needs a title")
    wanted = {int(i) for i in product_ids}
    if not wanted:
        raise ValueError("choose at least one product")
    found = set(s.scalars(select(Product.id).where(Product.id.in_(wanted),
                                                   Product.deleted_at.is_(None))))
    if found != wanted:
        raise ValueError(f"no such products: {sorted(wanted - found)}")
    if ends_at is not None:
        if ends_at.tzinfo is None:
            raise ValueError("ends_at must be timezone-aware")
        if ends_at <= utcnow():
            raise ValueError("ends_at is in the past")
    promotion = Promotion(source=MANUAL, external_id=secrets.token_hex(8), title=title[:500],
                          code=(code or "").strip() or None, value=(value or "").strip() or None,
                          ends_at=ends_at, state="pending_approval",
                          products=[PromotionProduct(product_id=i) for i in sorted(wanted)])
    s.add(promotion)
    s.flush()
    log.info("promotion %d created by hand", promotion.id)
    return promotion


# --- the rows -----------------------------------------------------------------------------------

def _find(s: Session, source: str, external_id: str) -> Promotion | None:
    return s.scalar(select(Promotion).where(Promotion.source == source,
                                            Promotion.external_id == external_id))


def _upsert(s: Session, source: str, external_id: str, fields: dict[str, Any],
            product_ids: set[int], *, replace: bool) -> Promotion:
    """The promotion of (source, external id), created in ``pending_approval`` if new (``INSERT
    … ON CONFLICT DO NOTHING``: two workers at once make one row). A finished one is left as
    it is; the products change only before approval."""
    promotion = _find(s, source, external_id)
    if promotion is None:
        insert = dialect_insert(s.get_bind().dialect.name)
        now = utcnow()
        s.execute(insert(Promotion).values(
            shop_id=s.info["shop_id"], source=source, external_id=external_id,
            title=fields.get("title") or external_id, state="pending_approval",
            created_at=now, updated_at=now).on_conflict_do_nothing(
            index_elements=["shop_id", "source", "external_id"]))
        promotion = _find(s, source, external_id)
        log.info("promotion %d created from %s %s", promotion.id, source, external_id)
    if promotion.state in FINISHED:
        return promotion
    _set_fields(promotion, fields)
    if promotion.state == "pending_approval":
        _set_products(promotion, product_ids, replace=replace)
    s.flush()
    return promotion


def _set_fields(promotion: Promotion, fields: Mapping[str, Any]) -> None:
    for name, value in fields.items():
        if getattr(promotion, name) != value:
            setattr(promotion, name, value)


def _set_products(promotion: Promotion, product_ids: set[int], *, replace: bool) -> None:
    kept = [pp for pp in promotion.products if pp.product_id in product_ids or not replace]
    have = {pp.product_id for pp in kept}
    promotion.products = kept + [PromotionProduct(product_id=i)
                                 for i in sorted(product_ids - have)]


def _close(promotion: Promotion, state: str) -> None:
    if promotion.state in NOT_SENT:
        log.info("promotion %d %s before it was sent", promotion.id, state)
        promotion.state = state


def _with_currency(value: str | None, currency: str) -> str | None:
    """A WooCommerce webhook's coupon says "5.00" (no currency): the shop's is added."""
    if value and _BARE_AMOUNT.fullmatch(value):
        return f"{value} {currency}"
    return value


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"
