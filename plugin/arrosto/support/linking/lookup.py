"""An index for one case: only what the case can point at, found by indexed queries instead
of loading the whole shop (a new complaint is linked as it arrives)."""
from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ...models import Case, Customer, Order, Post, SocialIdentity
from .index import (
    IDENTITY_COLUMNS,
    LinkIndex,
    chunks,
    epoch_sql,
    no_gc,
    order_columns,
    persons_for_guess,
    to_epoch,
)
from .names import name_guesses, name_query_terms
from .signals import extract_signals, order_name_key


def index_for_case(s: Session, case: Case | Any, posts: Sequence[Post | Any]) -> LinkIndex:
    """Only what one case can point at, found by queries instead of loading the shop: orders by
    number and e-mail, customers by e-mail, identities by handle or author id (each an indexed
    lookup); customers and guest orders whose names the author's name or handle can be
    (candidate rows only: a scan of the shop's customers, see the report); then, once the same
    matching as a batch index has picked the persons that matter, their orders, lines and
    fulfilments."""
    started = time.perf_counter()
    index = LinkIndex()
    index.name_prefixes = shop_prefixes(s)
    epoch = epoch_sql(s)
    with no_gc():
        signals = extract_signals(case, posts, index)
        # 1. what identifies, each by its own indexed query: order numbers (prefixed names
        # carry their number too), e-mails (as written and lower case), the handle
        numbers = {m.value for m in signals.numbers if m.value is not None}
        emails = signals.emails | {e.lower() for e in signals.emails}
        found: dict[int, int | None] = {}  # order id -> customer id
        if numbers:
            found.update(s.execute(select(Order.id, Order.customer_id)
                                   .where(Order.number.in_(numbers))).all())
        if emails:
            found.update(s.execute(select(Order.id, Order.customer_id)
                                   .where(Order.email.in_(emails))).all())
        identified = {c for c in found.values() if c is not None}
        identity_rows = list(s.execute(select(*IDENTITY_COLUMNS).where(
            SocialIdentity.network == signals.network,
            SocialIdentity.handle == signals.handle)))
        if not identity_rows and signals.author_id:
            identity_rows = list(s.execute(select(*IDENTITY_COLUMNS).where(
                SocialIdentity.network == signals.network,
                SocialIdentity.author_id == signals.author_id)))
        identified.update(r.customer_id for r in identity_rows)
        if emails:
            identified.update(s.scalars(select(Customer.id)
                                        .where(Customer.email.in_(emails))))
        # 2. customers the name can be: candidate rows, no orders yet
        filters = []
        if identified:
            filters.append(Customer.id.in_(identified))
        firsts, lasts = name_query_terms(signals.author_name, signals.handle)
        if firsts:
            filters.append(func.lower(Customer.first_name).in_(firsts))
        if lasts:
            filters.append(func.lower(Customer.last_name).in_(lasts))
            # diacritics: "orru" is not "orrù" in SQL, but they share a beginning
            filters.append(func.lower(func.substr(Customer.last_name, 1, 3)).in_(
                {t[:3] for t in lasts if len(t) >= 3}))
        if filters:
            for row in s.execute(select(Customer.id, Customer.first_name,
                                        Customer.last_name, Customer.email)
                                 .where(or_(*filters))):
                index.add_customer(*row)
        # guests: orders without a customer whose shipping name fits
        guest_orders: list[int] = []
        patterns = [f"{f} %" for f in firsts] + [f"% {t}" for t in lasts]
        if patterns:
            rows = s.execute(select(*order_columns(epoch)).where(
                Order.customer_id.is_(None),
                or_(*(func.lower(Order.shipping_name).like(p) for p in patterns)))).all()
            for row in rows:
                index.add_order(*row)
            guest_orders = [r[0] for r in rows]
        # 3. which of them the batch matching would pick (newest order first)
        newest: dict[int, float] = {
            i: max(index.orders[o].created for o in p.orders)
            for i, p in enumerate(index.persons) if p.orders}
        for chunk in chunks(list(index.by_customer)):
            for customer_id, ts in s.execute(
                    select(Order.customer_id, func.max(epoch(Order.created_at)))
                    .where(Order.customer_id.in_(chunk)).group_by(Order.customer_id)):
                newest[index.by_customer[customer_id]] = to_epoch(ts) or 0.0
        index.index_names(newest)
        index.count_hints = dict(index.first_counts)
        guesses, _ = name_guesses(signals.author_name, signals.handle, index)
        wanted = {index.by_customer[c] for c in identified if c in index.by_customer}
        for email in signals.emails:
            wanted.update(index.by_email.get(email, ()))
        for guess in guesses:
            wanted.update(persons_for_guess(index, guess)[0])
        keep = [index.persons[p].customer_id for p in wanted]
        order_ids = set(found) | {o for o in guest_orders
                                  if index.orders[index.order_index[o]].person in wanted}
        # 4. their orders, and the orders found by number or e-mail
        order_filter = or_(Order.id.in_(order_ids), Order.customer_id.in_(keep)) \
            if (order_ids or keep) else None
        if order_filter is not None:
            index.load(s, customers=False, orders=order_filter, identities=identity_rows)
        else:
            index.load_identities(identity_rows)
            index.finish()
        # about as many persons as a batch index has: customers, and guests (counted by
        # order, which the (shop, customer) index answers; few guests order twice)
        index.population = (s.scalar(select(func.count(Customer.id))) or 0) + (s.scalar(
            select(func.count(Order.id)).where(Order.customer_id.is_(None))) or 0)
    index.built_seconds = time.perf_counter() - started
    return index


def shop_prefixes(s: Session) -> set[str]:
    """Letter prefixes of the shop's order names ("#BR1001" -> "br"), from its latest order."""
    name = s.scalar(select(Order.name).order_by(Order.id.desc()).limit(1))
    match = re.match(r"[a-z]+", order_name_key(name or ""))
    return {match.group(0)} if match and len(match.group(0)) <= 4 else set()

