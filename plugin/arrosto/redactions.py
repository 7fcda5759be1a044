"""What stays erased: the ledger of customers erased on request, which every store of a customer
or an order asks first.

A :class:`~arrosto.models.Redaction` row per customer id, order id and e-mail digest is kept
when a customer is erased (:mod:`arrosto.privacy`); :func:`redacted` is what the sync and webhook
upserts (:mod:`arrosto.shops.sync`) ask before they store a customer or an order, so a later
``orders/updated``, ``customers/update`` or reconciliation against a store that still holds the
data stores the record without the personal data. Below the shops and the domains: it knows only
the models.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Customer, Order, Redaction, utcnow


def email_digest(email: str) -> str:
    """How an erased e-mail is remembered: its SHA-256, the address itself never."""
    return hashlib.sha256(f"arrosto.redaction:{email.strip().lower()}".encode()).hexdigest()


def remember(s: Session, *, customers: Iterable[str] = (), orders: Iterable[str] = (),
             emails: Iterable[str] = ()) -> None:
    """Record the keys of an erased customer (idempotent: each key once per shop)."""
    wanted = {("customer", str(c)) for c in customers if c} | \
        {("order", str(o)) for o in orders if o} | \
        {("email", email_digest(e)) for e in emails if e and e.strip()}
    if not wanted:
        return
    known = {(r.kind, r.ref) for r in s.scalars(select(Redaction).where(
        Redaction.ref.in_({ref for _, ref in wanted})))}
    s.add_all(Redaction(kind=kind, ref=ref) for kind, ref in sorted(wanted - known))
    s.flush()


@dataclasses.dataclass
class Redacted:
    """The erased keys among those asked about."""

    customers: set[str]
    orders: set[str]
    emails: set[str]  # digests

    def any(self, *, customer: str | None = None, order: str | None = None,
            email: str | None = None) -> bool:
        return bool((customer and str(customer) in self.customers)
                    or (order and str(order) in self.orders)
                    or (email and email.strip() and email_digest(email) in self.emails))


def redacted(s: Session, *, customers: Iterable[str | None] = (),
             orders: Iterable[str | None] = (), emails: Iterable[str | None] = ()) -> Redacted:
    """Which of these customer ids, order ids and e-mail addresses belong to an erased
    customer (one query)."""
    refs = {str(c) for c in customers if c} | {str(o) for o in orders if o} | \
        {email_digest(e) for e in emails if e and e.strip()}
    found = Redacted(set(), set(), set())
    if refs:
        for kind, ref in s.execute(select(Redaction.kind, Redaction.ref).where(
                Redaction.ref.in_(refs))):
            {"customer": found.customers, "order": found.orders,
             "email": found.emails}[kind].add(ref)
    return found


def erase_customer(customer: Customer, now: dt.datetime | None = None) -> None:
    customer.email = customer.first_name = customer.last_name = None
    customer.phone = customer.city = customer.postcode = None
    customer.accepts_marketing = False
    customer.redacted_at = customer.redacted_at or now or utcnow()


def erase_order(order: Order) -> None:
    """An order stays for the shop's books, without who placed it and where it went."""
    order.email = order.shipping_name = order.shipping_postcode = order.shipping_city = None
    order.landing_site = None
    for f in order.fulfillments:
        f.tracking_number = f.tracking_url = None
