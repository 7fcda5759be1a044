"""Privacy: a customer's data export, erasure of a customer, erasure of a shop, uninstall.

Erasing a customer removes their personal data from customers and orders, and deletes what ties
them to social networks: their verified identities, the posts those handles wrote, the cases and
messages about those posts. Orders keep only what the shop's books need (number, totals, items).
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, selectinload

from .models import (
    Case,
    Customer,
    DataExport,
    Follow,
    Message,
    OptOut,
    Order,
    OrderLink,
    Outreach,
    Post,
    Shop,
    SocialIdentity,
    Watcher,
    WebhookDelivery,
    utcnow,
)

log = logging.getLogger(__name__)


def find_customers(s: Session, external_id: str | None, email: str | None,
                   order_external_ids: Iterable[str] = ()) -> list[Customer]:
    conditions = []
    if external_id:
        conditions.append(Customer.external_id == str(external_id))
    if email:
        conditions.append(Customer.email == email)
    order_ids = [str(o) for o in order_external_ids]
    if order_ids:
        conditions.append(Customer.id.in_(select(Order.customer_id).where(
            Order.external_id.in_(order_ids))))
    if not conditions:
        return []
    return list(s.scalars(select(Customer).where(or_(*conditions))))


def _handles(s: Session, customer_ids: list[int]) -> list[SocialIdentity]:
    return list(s.scalars(select(SocialIdentity).where(
        SocialIdentity.customer_id.in_(customer_ids))))


def _by_identities(identities: list[SocialIdentity]):
    """Posts written by any of these identities (handles are stored lower case)."""
    return or_(func.lower(Post.author_handle).in_({i.handle.lower() for i in identities}),
               Post.author_id.in_({i.author_id for i in identities if i.author_id}))


def export_customer(s: Session, request_key: str, external_id: str | None, email: str | None,
                    order_external_ids: Iterable[str] = ()) -> DataExport:
    """Gather everything held on the customer into a DataExport row (idempotent per request)."""
    existing = s.scalar(select(DataExport).where(DataExport.request_key == request_key))
    if existing is not None:
        return existing
    customers = find_customers(s, external_id, email, order_external_ids)
    ids = [c.id for c in customers]
    orders = list(s.scalars(select(Order).where(or_(
        Order.customer_id.in_(ids), Order.external_id.in_([str(o) for o in order_external_ids]),
        *([Order.email == email] if email else []))).options(
        selectinload(Order.lines), selectinload(Order.fulfillments))))
    identities = _handles(s, ids)
    posts = list(s.scalars(select(Post).where(_by_identities(identities))))
    data = {
        "customers": [{"id": c.external_id, "email": c.email, "first_name": c.first_name,
                       "last_name": c.last_name, "phone": c.phone, "city": c.city,
                       "postcode": c.postcode} for c in customers],
        "orders": [{"id": o.external_id, "name": o.name, "created_at": o.created_at.isoformat(),
                    "email": o.email, "shipping_name": o.shipping_name,
                    "shipping_postcode": o.shipping_postcode, "shipping_city": o.shipping_city,
                    "total": str(o.total_price), "currency": o.currency,
                    "items": [{"title": li.title, "quantity": li.quantity} for li in o.lines],
                    "tracking": [f.tracking_number for f in o.fulfillments if f.tracking_number]}
                   for o in orders],
        "social_identities": [{"network": i.network, "handle": i.handle,
                               "verified_by": i.verified_by} for i in identities],
        "posts": [{"network": p.network, "url": p.url, "text": p.text,
                   "created_at": p.created_at.isoformat()} for p in posts],
    }
    export = DataExport(request_key=request_key,
                        customer_external_id=str(external_id) if external_id else None,
                        data=data)
    s.add(export)
    s.flush()
    return export


def redact_customer(s: Session, external_id: str | None, email: str | None,
                    order_external_ids: Iterable[str] = ()) -> int:
    """Erase the customer's personal data; returns how many customer records were erased."""
    order_external_ids = [str(o) for o in order_external_ids]
    customers = find_customers(s, external_id, email, order_external_ids)
    ids = [c.id for c in customers]
    emails = {e for e in [email, *(c.email for c in customers)] if e}
    identities = _handles(s, ids)
    handles = {i.handle.lower() for i in identities}
    author_ids = {i.author_id for i in identities if i.author_id}
    post_filter = _by_identities(identities)
    case_filter = or_(func.lower(Case.author_handle).in_(handles), Case.author_id.in_(author_ids),
                      Case.customer_id.in_(ids))
    person_ids = author_ids | handles
    case_ids = list(s.scalars(select(Case.id).where(case_filter)))
    s.execute(delete(Message).where(or_(Message.case_id.in_(case_ids),
                                        Message.recipient_id.in_(person_ids),
                                        Message.recipient_handle.in_(handles))))
    s.execute(delete(OrderLink).where(OrderLink.case_id.in_(case_ids)))
    s.execute(delete(Post).where(or_(post_filter, Post.case_id.in_(case_ids))))
    s.execute(delete(Case).where(Case.id.in_(case_ids)))
    for model in (Outreach, Watcher, Follow):
        s.execute(delete(model).where(or_(model.person_id.in_(person_ids),
                                          func.lower(model.handle).in_(handles))))
    # an opt-out is kept (we must go on honouring it) but without the handle
    for opt in s.scalars(select(OptOut).where(OptOut.person_id.in_(person_ids))):
        opt.handle = None
    s.execute(delete(SocialIdentity).where(SocialIdentity.customer_id.in_(ids)))
    order_filter = [Order.customer_id.in_(ids), Order.external_id.in_(order_external_ids)]
    if emails:
        order_filter.append(Order.email.in_(emails))
    for order in s.scalars(select(Order).where(or_(*order_filter)).options(
            selectinload(Order.fulfillments))):
        order.email = order.shipping_name = order.shipping_postcode = order.shipping_city = None
        order.landing_site = None
        for f in order.fulfillments:
            f.tracking_number = f.tracking_url = None
    now = utcnow()
    for c in customers:
        c.email = c.first_name = c.last_name = c.phone = c.city = c.postcode = None
        c.redacted_at = now
    drop_exports(s, {e.lower() for e in emails}, {c.external_id for c in customers})
    _erase_raw_deliveries(s, [*emails, *(c.external_id for c in customers)])
    log.info("customer data erased: %d customer records, %d identities", len(customers),
             len(identities))
    return len(customers)


def drop_exports(s: Session, emails: set[str], external_ids: set[str]) -> int:
    """Delete the exports made for an erased customer; returns how many. An export of guest
    orders names no customer id: it is found by the e-mail in it."""
    dropped = 0
    for row in s.scalars(select(DataExport)):
        people = (row.data or {}).get("customers") or []
        orders = (row.data or {}).get("orders") or []
        if row.customer_external_id in external_ids or \
                any(str(c.get("id")) in external_ids or (c.get("email") or "").lower() in emails
                    for c in people) or \
                any((o.get("email") or "").lower() in emails for o in orders):
            s.delete(row)
            dropped += 1
    return dropped


def _erase_raw_deliveries(s: Session, needles: list[str]) -> None:
    """Stored webhook bodies that mention the customer lose their body (the row stays, so the
    delivery is still known and never processed twice)."""
    shop_id = s.info.get("shop_id")
    needles = [n for n in needles if n and len(n) >= 3]
    if shop_id is None or not needles:
        return
    rows = s.scalars(select(WebhookDelivery).where(WebhookDelivery.shop_id == shop_id,
                                                   WebhookDelivery.state != "received"))
    for delivery in rows:
        body = delivery.body.decode("utf-8", "replace")
        if any(n in body for n in needles):
            delivery.body = b""
            delivery.headers = {}
            delivery.error = (delivery.error or "") + " [body erased: customer data request]"


def uninstall(shop: Shop) -> None:
    """Forget the credentials and deactivate the shop at once (its data waits for shop/redact)."""
    shop.access_token = shop.refresh_token = None
    shop.api_key = shop.api_secret = None
    shop.access_token_expires_at = shop.refresh_token_expires_at = None
    shop.status = "uninstalled"
    shop.status_reason = "The app was uninstalled from the shop."
    shop.uninstalled_at = utcnow()
