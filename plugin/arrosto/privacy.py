"""Privacy: a customer's data export, erasure of a customer, erasure of a shop, uninstall.

Erasing a customer removes their personal data from customers and orders, and deletes what ties
them to social networks: their verified identities, the posts those handles wrote, the cases and
messages about those posts. Orders keep only what the shop's books need (number, totals, items).
Every stored webhook body that mentions them loses their data, whatever its state, and so do the
exports made of them.

The erasure sticks: the keys of an erased customer go into the ledger of :mod:`arrosto.redactions`,
which the sync and webhook upserts ask before they store a customer or an order. The platform's
privacy events (data request, redact, uninstall) reach this module through the handlers
:func:`register` adds.
"""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, selectinload

from . import events
from .access import end_shop_sessions
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
from .redactions import erase_customer, erase_order, redacted, remember

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
    order_filter = [Order.customer_id.in_(ids), Order.external_id.in_(order_external_ids)]
    if emails:
        order_filter.append(func.lower(Order.email).in_({e.lower() for e in emails}))
    orders = list(s.scalars(select(Order).where(or_(*order_filter)).options(
        selectinload(Order.fulfillments))))
    order_ids = [o.id for o in orders]
    emails |= {o.email for o in orders if o.email}
    case_filter = or_(func.lower(Case.author_handle).in_(handles), Case.author_id.in_(author_ids),
                      Case.customer_id.in_(ids), Case.order_id.in_(order_ids))
    person_ids = author_ids | handles
    case_ids = list(s.scalars(select(Case.id).where(case_filter)))
    s.execute(delete(Message).where(or_(Message.case_id.in_(case_ids),
                                        Message.recipient_id.in_(person_ids),
                                        Message.recipient_handle.in_(handles))))
    # a suggestion of their order for someone else's case names them in its reasons
    s.execute(delete(OrderLink).where(or_(OrderLink.case_id.in_(case_ids),
                                          OrderLink.order_id.in_(order_ids))))
    s.execute(delete(Post).where(or_(post_filter, Post.case_id.in_(case_ids))))
    s.execute(delete(Case).where(Case.id.in_(case_ids)))
    for model in (Outreach, Watcher, Follow):
        s.execute(delete(model).where(or_(model.person_id.in_(person_ids),
                                          func.lower(model.handle).in_(handles))))
    # an opt-out is kept (we must go on honouring it) but without the handle
    for opt in s.scalars(select(OptOut).where(OptOut.person_id.in_(person_ids))):
        opt.handle = None
    s.execute(delete(SocialIdentity).where(SocialIdentity.customer_id.in_(ids)))
    _erase_from_texts(s, emails)
    for order in orders:
        erase_order(order)
    now = utcnow()
    for c in customers:
        erase_customer(c, now)
    customer_refs = {c.external_id for c in customers} | ({str(external_id)} if external_id
                                                          else set())
    order_refs = {o.external_id for o in orders} | set(order_external_ids)
    remember(s, customers=customer_refs, orders=order_refs, emails=emails)
    drop_exports(s, {e.lower() for e in emails}, customer_refs)
    _erase_raw_deliveries(s, emails, customer_refs, order_refs)
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


def _erase_from_texts(s: Session, emails: set[str]) -> None:
    """Messages and posts that quote the e-mail address (a customer who wrote it in public,
    a reply that repeated it) are deleted with it."""
    for email in {e.lower() for e in emails if len(e) >= 3}:
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", email) + "%"
        s.execute(delete(Message).where(func.lower(Message.text).like(pattern, escape="\\")))
        s.execute(delete(Post).where(func.lower(Post.text).like(pattern, escape="\\")))


# --- stored webhook bodies ------------------------------------------------------------------------
# A delivery still waiting (``received``) is processed later, so its body is kept as JSON with the
# customer's details taken out (the order's status, lines and totals still apply); one already
# processed or failed is not read again and loses its body. Neither keeps the e-mail.

PERSONAL_KEYS = frozenset({
    "email", "contact_email", "first_name", "last_name", "phone", "address1", "address2",
    "address_1", "address_2", "city", "zip", "postcode", "company", "latitude", "longitude",
    "browser_ip", "customer_ip_address", "customer_user_agent", "user_agent", "note",
    "customer_note", "username", "avatar_url", "landing_site", "referring_site",
    "tracking_number", "tracking_numbers", "tracking_url", "tracking_urls"})
# within these, every name is a person's (elsewhere "name" is an order's or a product's)
PERSON_PARTS = frozenset({"customer", "billing_address", "shipping_address", "billing",
                          "shipping", "default_address", "addresses"})


def _scrub(value: Any, emails: set[str], person: bool = False) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in PERSONAL_KEYS or (person and key == "name"):
                out[key] = [] if isinstance(item, list) else None
            else:
                out[key] = _scrub(item, emails, person or key in PERSON_PARTS)
        return out
    if isinstance(value, list):
        return [_scrub(item, emails, person) for item in value]
    if isinstance(value, str) and any(e in value.lower() for e in emails):
        return None
    return value


def _about(payload: Any, topic: str, customers: set[str], orders: set[str]) -> bool:
    """Whether a body is about one of these customers or orders, by its ids."""
    if not isinstance(payload, dict):
        return False
    top = str(payload.get("id", ""))
    if (topic.startswith("customer") and top in customers) or \
            (topic.startswith("order") and top in orders):
        return True
    stack: list[Any] = [payload]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if str(item.get("customer_id", "")) in customers:
                return True
            who = item.get("customer")
            if isinstance(who, dict) and str(who.get("id", "")) in customers:
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _erase_raw_deliveries(s: Session, emails: set[str], customers: set[str],
                          orders: set[str]) -> None:
    """Every stored webhook body of this shop that mentions the customer (their e-mail in any
    spelling, their customer id, their orders' ids) loses their data; the row stays, so the
    delivery is still known and never processed twice."""
    shop_id = s.info.get("shop_id")
    needles = {e.strip().lower() for e in emails if e and len(e.strip()) >= 3}
    if shop_id is None or not (needles or customers or orders):
        return
    for delivery in s.scalars(select(WebhookDelivery).where(
            WebhookDelivery.shop_id == shop_id)):
        raw = bytes(delivery.body or b"")
        text = raw.decode("utf-8", "replace")
        try:
            payload = json.loads(text) if text else None
        except ValueError:
            payload = None
        if not (any(n in text.lower() for n in needles)
                or _about(payload, delivery.topic, customers, orders)):
            continue
        note = " [customer data erased on request]"
        if delivery.state == "received" and isinstance(payload, dict | list):
            body = json.dumps(_scrub(payload, needles), ensure_ascii=False).encode()
            if not any(n in body.decode().lower() for n in needles):
                delivery.body = body
                continue
        delivery.body, delivery.headers = b"", {}
        if delivery.state == "received":  # nothing left to process: it ends here, visibly
            delivery.state = "failed"
        delivery.error = _without(delivery.error, needles) + note
    for delivery in s.scalars(select(WebhookDelivery).where(
            WebhookDelivery.shop_id == shop_id, WebhookDelivery.error.is_not(None))):
        if any(n in delivery.error.lower() for n in needles):
            delivery.error = _without(delivery.error, needles)


def keep_no_copy(s: Session, key: str, *, customer: str | None = None,
                 order: str | None = None, email: str | None = None) -> bool:
    """After a delivery about an erased customer was applied (without their data), its body is
    erased too: a redaction leaves no copy, even of what arrives later. ``key`` is the
    delivery's ``platform:delivery_id``; returns whether it was erased."""
    gone = redacted(s, customers=[customer], orders=[order], emails=[email])
    if customer and not gone.customers:
        gone.customers |= set(s.scalars(select(Customer.external_id).where(
            Customer.external_id == str(customer), Customer.redacted_at.is_not(None))))
    if not gone.any(customer=customer, order=order, email=email):
        return False
    platform, _, delivery_id = key.partition(":")
    delivery = s.scalar(select(WebhookDelivery).where(
        WebhookDelivery.platform == platform, WebhookDelivery.delivery_id == delivery_id,
        WebhookDelivery.shop_id == s.info.get("shop_id")))
    if delivery is not None and delivery.body:
        delivery.body, delivery.headers = b"", {}
        delivery.error = (delivery.error or "") + " [customer data erased on request]"
    return True


def _without(text: str | None, needles: set[str]) -> str:
    """``text`` with each needle taken out, in any case."""
    out = text or ""
    for needle in needles:
        out = re.sub(re.escape(needle), "…", out, flags=re.IGNORECASE)
    return out


def uninstall(shop: Shop) -> None:
    """Forget the credentials and deactivate the shop at once (its data waits for shop/redact)."""
    shop.access_token = shop.refresh_token = None
    shop.api_key = shop.api_secret = None
    shop.access_token_expires_at = shop.refresh_token_expires_at = None
    shop.status = "uninstalled"
    shop.status_reason = "The app was uninstalled from the shop."
    shop.uninstalled_at = utcnow()


# --- the platform's privacy events ----------------------------------------------------------------

def data_request(s: Session, shop: Shop, event: events.CustomerDataRequest, key: str) -> None:
    export_customer(s, event.request_id or key, event.customer_external_id, event.email,
                    event.order_external_ids)


def customer_redact(s: Session, shop: Shop, event: events.CustomerRedact, key: str) -> None:
    redact_customer(s, event.customer_external_id, event.email, event.order_external_ids)


def order_stored(s: Session, shop: Shop, event: events.OrderChanged, key: str) -> None:
    keep_no_copy(s, key, customer=event.order.customer_external_id,
                 order=event.order.external_id, email=event.order.email)


def customer_stored(s: Session, shop: Shop, event: events.CustomerChanged, key: str) -> None:
    keep_no_copy(s, key, customer=event.customer.external_id, email=event.customer.email)


def app_uninstalled(s: Session, shop: Shop, event: events.AppUninstalled, key: str) -> None:
    uninstall(shop)
    end_shop_sessions(s, shop.id)  # a reinstall signs nobody in with an old cookie


def register() -> None:
    """Privacy's handlers (after the shops' own: an order or a customer is stored first)."""
    events.on(events.CustomerDataRequest, data_request)
    events.on(events.CustomerRedact, customer_redact)
    events.on(events.OrderChanged, order_stored)
    events.on(events.CustomerChanged, customer_stored)
    events.on(events.AppUninstalled, app_uninstalled)
