"""Attribution: the orders a promotion brought, and their revenue.

An order counts for a promotion when it used the promotion's code (``discount_codes``, compared
without case, as both platforms do) or when its landing site carries ``utm_source=arrosto`` and
``utm_campaign`` naming the promotion (its id, or :func:`campaign`'s ``<slug>-<id>``). It is
recorded once per promotion and order (a uniqueness constraint), when the order is stored by a
webhook or a sync; a later update of the order (a refund, a cancellation) updates the revenue.
Orders placed well before the promotion existed are not its doing: a shop's long-lived code
("BENVENUTO10") would otherwise credit a new promotion with last year's orders.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..db import dialect_insert
from ..models import Conversion, Order, Promotion, Shop, utcnow

log = logging.getLogger(__name__)

UTM_SOURCE = "arrosto"
# an order up to this long before the promotion was recorded still counts: the discount's
# webhook and the first order using it can arrive in either order
GRACE = dt.timedelta(days=1)
_CAMPAIGN = re.compile(r"(?:[a-z0-9-]*-)?(\d{1,18})")


def campaign(promotion: Promotion) -> str:
    """The ``utm_campaign`` value of the promotion's links: ``<slug of the title>-<id>``. Any
    value ending in ``-<id>`` (or the bare id) is matched, so a renamed promotion's old links
    still count."""
    text = unicodedata.normalize("NFKD", promotion.title or "")
    slug = re.sub(r"[^a-z0-9]+", "-", text.encode("ascii", "ignore").decode().lower())
    slug = slug.strip("-")[:40].strip("-")
    return f"{slug}-{promotion.id}" if slug else str(promotion.id)


def campaign_id(landing_site: str | None) -> int | None:
    """The promotion id in a landing site's ``utm_campaign``, if its ``utm_source`` is ours."""
    if not landing_site:
        return None
    query = urlsplit(landing_site.replace("&amp;", "&")).query
    params = {k.lower(): v for k, v in parse_qs(query).items()}
    if (params.get("utm_source") or [""])[0].strip().lower() != UTM_SOURCE:
        return None
    found = _CAMPAIGN.fullmatch((params.get("utm_campaign") or [""])[0].strip().lower())
    return int(found.group(1)) if found else None


def attribute_orders(s: Session, orders: Iterable[Order]) -> list[Conversion]:
    """Record the conversions of stored orders (``s`` is the shop's session); returns them."""
    orders = [o for o in orders if o.id is not None]
    codes = {o.id: {c.strip().lower() for c in o.discount_codes or []
                    if isinstance(c, str) and c.strip()} for o in orders}
    campaigns = {o.id: campaign_id(o.landing_site) for o in orders}
    all_codes = set().union(*codes.values()) if codes else set()
    ids = {c for c in campaigns.values() if c is not None}
    if not all_codes and not ids:
        return []
    conditions = []
    if all_codes:
        conditions.append(func.lower(Promotion.code).in_(all_codes))
    if ids:
        conditions.append(Promotion.id.in_(ids))
    promotions = s.scalars(select(Promotion).where(or_(*conditions))).all()
    by_code: dict[str, list[Promotion]] = defaultdict(list)
    for promotion in promotions:
        if promotion.code:
            by_code[promotion.code.strip().lower()].append(promotion)
    by_id = {p.id: p for p in promotions}
    out = []
    for order in orders:
        matched: dict[int, str] = {}
        for code in sorted(codes[order.id]):
            for promotion in by_code.get(code, ()):
                matched.setdefault(promotion.id, "code")
        if campaigns[order.id] in by_id:
            matched.setdefault(campaigns[order.id], "utm")
        for promotion_id, how in matched.items():
            if order.created_at < _counts_from(by_id[promotion_id]):
                continue
            out.append(_record(s, by_id[promotion_id], order, how))
    return out


def _counts_from(promotion: Promotion) -> dt.datetime:
    recorded = (promotion.created_at or utcnow()) - GRACE
    if promotion.starts_at is not None and promotion.starts_at > recorded:
        return promotion.starts_at
    return recorded


def _record(s: Session, promotion: Promotion, order: Order, how: str) -> Conversion:
    """One row per promotion and order (``INSERT … ON CONFLICT DO NOTHING``); the revenue
    follows the order's total."""
    conversion = _conversion(s, promotion.id, order.id)
    if conversion is None:
        insert = dialect_insert(s.get_bind().dialect.name)
        s.execute(insert(Conversion).values(
            shop_id=order.shop_id, promotion_id=promotion.id, order_id=order.id,
            revenue=order.total_price, matched_by=how, created_at=utcnow(),
        ).on_conflict_do_nothing(index_elements=["promotion_id", "order_id"]))
        conversion = _conversion(s, promotion.id, order.id)
        log.info("order %s converted for promotion %d (by %s)", order.name, promotion.id, how)
    elif conversion.revenue != order.total_price:
        conversion.revenue = order.total_price
    return conversion


def _conversion(s: Session, promotion_id: int, order_id: int) -> Conversion | None:
    return s.scalar(select(Conversion).where(Conversion.promotion_id == promotion_id,
                                             Conversion.order_id == order_id))


# --- results --------------------------------------------------------------------------------------

@dataclass
class ConvertedOrder:
    order_id: int
    name: str
    created_at: dt.datetime
    revenue: Decimal
    currency: str
    matched_by: str  # code | utm
    cancelled: bool


@dataclass
class PromotionResults:
    """What a promotion brought. Cancelled orders are listed but neither counted nor summed;
    ``revenue`` is in the shop's currency, orders in others are summed apart."""

    promotion_id: int
    conversions: int
    revenue: Decimal
    currency: str
    by_code: int = 0
    by_utm: int = 0
    revenue_by_currency: dict[str, Decimal] = field(default_factory=dict)
    orders: list[ConvertedOrder] = field(default_factory=list)


def promotion_results(s: Session, promotion_id: int) -> PromotionResults:
    """Conversions and revenue of one promotion of the session's shop (LookupError if the shop
    has no such promotion)."""
    promotion = s.scalar(select(Promotion).where(Promotion.id == promotion_id))
    if promotion is None:
        raise LookupError(f"no promotion {promotion_id}")
    shop = s.get(Shop, promotion.shop_id)
    rows = s.execute(select(Conversion, Order).join(Order, Order.id == Conversion.order_id)
                     .where(Conversion.promotion_id == promotion_id)
                     .order_by(Order.created_at, Order.id)).all()
    results = PromotionResults(promotion_id=promotion_id, conversions=0, revenue=Decimal("0"),
                               currency=shop.currency)
    for conversion, order in rows:
        cancelled = order.cancelled_at is not None
        results.orders.append(ConvertedOrder(
            order_id=order.id, name=order.name, created_at=order.created_at,
            revenue=conversion.revenue, currency=order.currency,
            matched_by=conversion.matched_by, cancelled=cancelled))
        if cancelled:
            continue
        results.conversions += 1
        results.by_code += conversion.matched_by == "code"
        results.by_utm += conversion.matched_by == "utm"
        by_currency = results.revenue_by_currency
        by_currency[order.currency] = by_currency.get(order.currency, Decimal("0")) + \
            conversion.revenue
    results.revenue = results.revenue_by_currency.get(shop.currency, Decimal("0"))
    return results
