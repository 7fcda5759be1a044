"""The orders, customers and identities of one shop that linking ranks, held in memory.

Built once per batch from the whole shop (:meth:`LinkIndex.build`, a few column-only queries),
from records in memory (:meth:`LinkIndex.from_rows`), or for one case by indexed queries
(:func:`.lookup.index_for_case`). Domain code: no Flask here.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import gc
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import case as case_when
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import Customer, Fulfillment, Order, OrderLine, Product, Shop, SocialIdentity
from .names import (
    COMMON_FIRST_NAMES,
    NICK_TO_NAMES,
    NameGuess,
    collapse,
    first_name_keys,
    first_variants,
    folded,
    handle_key,
    last_name_keys,
    name_tokens,
    word_set,
)
from .signals import order_name_key

FIRST_ONLY_CAP = 60  # first-name-only namesakes scored one by one (the most recent
# buyers); the others count as background mass


@dataclass(slots=True)
class OrderFacts:
    """What linking needs of one order (times as epoch seconds)."""

    id: int
    number: int | None
    name: str
    person: int
    customer_id: int | None
    email: str | None
    created: float
    fulfillment_status: str | None
    financial_status: str | None
    cancelled: float | None
    shipment: str | None = None
    shipped: float | None = None
    items: list[int] = field(default_factory=list)  # product ids; -n for a title without one


@dataclass(slots=True)
class Person:
    """A customer, or the guest orders sharing one e-mail."""

    customer_id: int | None
    display: str
    first: str  # folded, tokens joined with spaces
    last: str
    emails: set[str]
    orders: list[int] = field(default_factory=list)  # order indexes, newest first


@dataclass(frozen=True)
class Identity:
    customer_id: int
    verified_by: str


_GENERIC_TITLE_WORDS = word_set("""
miscela caffe coffee grani chicchi beans macinato ground capsule capsules cialde pods compatibili
compatible nespresso tazza tazzina cup mug kit box cofanetto confezione pack sacchetto bag
regalo gift single origin monorigine blend decaffeinato decaf espresso moka filtro filter
per con the and del della di da in il la lo le gli una uno set ricambio ricambi edizione edition
biologico bio organic natural naturale washed lavato
""")
#: everyday words that are also product names: they name the product only next to another word
#: of its title ("a casa" is not "Macinato Espresso Casa")
_COMMON_WORDS = word_set("""
casa home notte night mattino morning giorno sera rosa nonna classica classico classic
tradizione centrale crema dolce forte gran grande nero nera oro aurora scirocco vento sole
mare luna festa natale christmas inox timer
""")


class LinkIndex:
    """Orders, customers and identities of one shop, held in memory for linking a batch.

    Orders by number and by name, persons by folded first and last name and by e-mail,
    identities by (network, handle) and (network, author id), and product titles by their
    distinctive words. Fill it with :meth:`build` (the whole shop), :func:`.lookup.index_for_case`
    (what one case needs, by indexed queries) or :meth:`from_rows` (records already in memory).
    """

    def __init__(self) -> None:
        self.orders: list[OrderFacts] = []
        self.persons: list[Person] = []
        self.by_number: dict[int, list[int]] = defaultdict(list)
        self.by_name: dict[str, int] = {}
        self.name_prefixes: set[str] = set()
        self.by_customer: dict[int, int] = {}
        self.by_email: dict[str, set[int]] = defaultdict(set)
        # name keys (squashed) -> persons with orders; by_first newest buyer first
        self.by_first: dict[str, list[int]] = {}
        self.by_full: dict[tuple[str, str], list[int]] = {}
        self.by_first_initial: dict[tuple[str, str], list[int]] = {}
        self.by_initial_last: dict[tuple[str, str], list[int]] = {}
        self.first_keys: list[str] = []
        self.last_keys: list[str] = []
        self.first_vocab: set[str] = set(COMMON_FIRST_NAMES) | set(NICK_TO_NAMES)
        self.last_vocab: set[str] = set()
        self._fuzzy: dict[tuple[str, str], list[str]] = {}
        self.first_counts: dict[str, int] = {}  # persons with orders per first-name key
        self.count_hints: dict[str, int] = {}
        self.identities: dict[tuple[str, str], Identity] = {}
        self.identities_by_author: dict[tuple[str, str], Identity] = {}
        self.products: dict[int, str] = {}
        # distinctive title word -> {item: other words of its title}; a common word ("casa",
        # "notte") names the item only next to another word of its title
        self.term_items: dict[str, dict[int, frozenset[str]]] = {}
        self.brand_words: set[str] = set()  # the shop's own name: names no product
        self.order_index: dict[int, int] = {}
        self._guests: dict[str, int] = {}
        self._titles: dict[str, int] = {}
        self._item_titles: dict[int, str] = {}
        self._last_prefixes: dict[str, list[str]] = {}
        self.population = 0  # persons in the whole shop (more than are loaded, for one case)
        self.built_seconds = 0.0

    def __len__(self) -> int:
        return len(self.orders)

    # filling -------------------------------------------------------------------------------------
    def add_customer(self, customer_id: int, first_name: str | None, last_name: str | None,
                     email: str | None) -> int:
        if customer_id in self.by_customer:
            return self.by_customer[customer_id]
        display = f"{first_name} {last_name}" if first_name and last_name else \
            (first_name or last_name or "")
        person = Person(customer_id, display, folded(first_name or ""),
                        folded(last_name or ""), {email.lower()} if email else set())
        return self._add_person(person)

    def _add_person(self, person: Person) -> int:
        idx = len(self.persons)
        self.persons.append(person)
        if person.customer_id is not None:
            self.by_customer[person.customer_id] = idx
        for email in person.emails:
            self.by_email[email].add(idx)
        return idx

    def _guest(self, email: str | None, shipping_name: str | None, order_id: int) -> int:
        key = (email or "").lower() or f"order:{order_id}"
        if key in self._guests:
            return self._guests[key]
        tokens = (shipping_name or "").split()
        first, last = (tokens[0], " ".join(tokens[1:])) if len(tokens) > 1 else \
            ((tokens[0] if tokens else ""), "")
        person = Person(None, shipping_name or email or "", folded(first), folded(last),
                        {email.lower()} if email else set())
        idx = self._guests[key] = self._add_person(person)
        return idx

    def add_order(self, order_id: int, number: int | None, name: str | None,
                  customer_id: int | None, email: str | None, shipping_name: str | None,
                  created_at: dt.datetime | float, fulfillment_status: str | None,
                  financial_status: str | None, cancelled_at: dt.datetime | float | None
                  ) -> None:
        """``created_at`` and ``cancelled_at``: aware datetimes or epoch seconds."""
        if order_id in self.order_index:
            return
        person = self.by_customer.get(customer_id) if customer_id is not None else None
        if person is None:
            person = self._guest(email, shipping_name, order_id)
        if email:
            email = email.lower()
            info = self.persons[person]
            if email not in info.emails:  # a customer's order placed with another address
                info.emails.add(email)
                self.by_email[email].add(person)
        idx = len(self.orders)
        self.orders.append(OrderFacts(order_id, number, name or "", person, customer_id, email,
                                      to_epoch(created_at), fulfillment_status, financial_status,
                                      to_epoch(cancelled_at)))
        self.order_index[order_id] = idx
        if number is not None:
            self.by_number[number].append(idx)
        if name and not (name[0] == "#" and name[1:] == str(number)):  # "#1001" is its number
            key = order_name_key(name)
            if key != str(number):
                self.by_name[key] = idx
                prefix = re.match(r"[a-z]+", key)
                if prefix and len(prefix.group(0)) <= 4:
                    self.name_prefixes.add(prefix.group(0))
        self.persons[person].orders.append(idx)

    def add_product(self, product_id: int, title: str) -> None:
        self.products[product_id] = title
        self._item_titles[product_id] = title

    def add_line(self, order_id: int, product_id: int | None, title: str | None) -> None:
        """A line of an order: its product, or its title when it has none (a deleted
        product); lines without a product share an id (negative) per title."""
        idx = self.order_index.get(order_id)
        if idx is None:
            return
        if product_id is not None:
            item = product_id
            if title and product_id not in self._item_titles:
                self._item_titles[product_id] = title
        elif title:
            item = self._titles.get(title, 0)
            if not item:
                item = self._titles[title] = -(len(self._titles) + 1)
                self._item_titles[item] = title
        else:
            return
        items = self.orders[idx].items
        if item not in items:
            items.append(item)

    def add_fulfillment(self, order_id: int, shipment_status: str | None,
                        created_at: dt.datetime | float | None) -> None:
        idx = self.order_index.get(order_id)
        if idx is None:
            return
        order = self.orders[idx]
        # the latest fulfilment's shipment status tells where the parcel is; the first, when
        # it left
        if shipment_status:
            order.shipment = shipment_status
        ts = to_epoch(created_at)
        if ts is not None:
            order.shipped = ts if order.shipped is None else min(order.shipped, ts)

    def add_brand(self, terms: Iterable[str]) -> None:
        """The shop's name and brand terms ("Brace", "Torrefazione Brace"): a post that says
        them names the shop, not the products whose titles carry them."""
        for term in terms:
            self.brand_words.update(t for t in name_tokens(term or "") if len(t) >= 3)

    def add_identity(self, network: str, handle: str, author_id: str | None, customer_id: int,
                     verified_by: str) -> None:
        identity = Identity(customer_id, verified_by)
        self.identities[(network, handle_key(handle))] = identity
        if author_id:
            self.identities_by_author[(network, author_id)] = identity

    def finish(self) -> LinkIndex:
        """Sort each person's orders newest first; index names and product words."""
        orders = self.orders
        for person in self.persons:
            person.orders.sort(key=lambda i: orders[i].created, reverse=True)
        self.index_names()
        counts: dict[str, int] = defaultdict(int)
        words: dict[int, tuple[set[str], frozenset[str]]] = {}
        for item, title in self._item_titles.items():
            every = frozenset(t for t in name_tokens(title) if len(t) >= 3)
            tokens = {t for t in every if len(t) >= 4
                      and t not in _GENERIC_TITLE_WORDS and t not in self.brand_words}
            words[item] = (tokens, every)
            for t in tokens:
                counts[t] += 1
        terms: dict[str, dict[int, frozenset[str]]] = defaultdict(dict)
        for item, (tokens, every) in words.items():
            for t in tokens:
                if counts[t] <= 3:  # a word in many titles names none of them
                    terms[t][item] = (every - {t}) if t in _COMMON_WORDS else frozenset()
        self.term_items = dict(terms)
        self.population = max(self.population, len(self.persons))
        return self

    def index_names(self, newest: Mapping[int, float] | None = None) -> None:
        """Name keys of the persons who have orders (``newest``: person -> newest order time,
        when the orders are not loaded yet)."""
        by_first: dict[str, list[int]] = defaultdict(list)
        by_full: dict[tuple[str, str], list[int]] = defaultdict(list)
        by_first_initial: dict[tuple[str, str], list[int]] = defaultdict(list)
        by_initial_last: dict[tuple[str, str], list[int]] = defaultdict(list)
        if newest is None:
            newest = {i: self.orders[p.orders[0]].created
                      for i, p in enumerate(self.persons) if p.orders}
        for idx, person in enumerate(self.persons):
            if idx not in newest or not person.first:
                continue  # nobody to link to, or no name to match
            firsts = first_name_keys(person.first)
            lasts = last_name_keys(person.last) if person.last else ()
            for fk in firsts:
                by_first[fk].append(idx)
                for lk in lasts:
                    by_full[(fk, lk)].append(idx)
                if person.last:
                    by_first_initial[(fk, person.last[0])].append(idx)
            for lk in lasts:
                by_initial_last[(person.first[0], lk)].append(idx)
            parts = person.first.split()
            self.first_vocab.update(parts)
            self.first_vocab.add("".join(parts))
            if person.last:
                parts = person.last.split()
                self.last_vocab.add("".join(parts))
                self.last_vocab.add(parts[-1])
        for persons in by_first.values():
            persons.sort(key=newest.__getitem__, reverse=True)
        self.first_counts = {k: max(len(v), self.count_hints.get(k, 0))
                             for k, v in by_first.items()}
        self.by_first, self.by_full = dict(by_first), dict(by_full)
        self.by_first_initial, self.by_initial_last = dict(by_first_initial), dict(by_initial_last)
        self.first_keys = sorted(by_first)
        self.last_keys = sorted({lk for _, lk in by_full} | {lk for _, lk in by_initial_last})
        prefixes: dict[str, list[str]] = defaultdict(list)
        for key in self.last_keys:
            prefixes[key[:4]].append(key)
        self._last_prefixes = dict(prefixes)
        self._fuzzy.clear()

    def similar_firsts(self, key: str) -> list[str]:
        """First-name keys within a typo of ``key`` (cached per batch)."""
        found = self._fuzzy.get(("f", key))
        if found is None:
            found = [k for k, _, _ in process.extract(key, self.first_keys, scorer=fuzz.ratio,
                                                      score_cutoff=88, limit=None)]
            self._fuzzy[("f", key)] = found
        return found

    def similar_lasts(self, key: str) -> list[str]:
        """Surname keys close to ``key`` (look-alikes, typos) or starting with it (handles
        cut at 15 characters), cached per batch."""
        found = self._fuzzy.get(("l", key))
        if found is None:
            found = [k for k, _, _ in process.extract(key, self.last_keys, scorer=fuzz.ratio,
                                                      score_cutoff=70, limit=None)]
            if len(key) >= 4:
                found += [k for k in self._last_prefixes.get(key[:4], ())
                          if k.startswith(key) and k not in found]
            self._fuzzy[("l", key)] = found
        return found

    def item_title(self, item: int) -> str:
        return self._item_titles.get(item, "")

    # builders ------------------------------------------------------------------------------------
    @classmethod
    def build(cls, s: Session) -> LinkIndex:
        """The whole shop of the session's scope, with column-only queries."""
        started = time.perf_counter()
        index = cls()
        with no_gc():
            index.load(s, customers=None, orders=None)
        index.built_seconds = time.perf_counter() - started
        return index

    @classmethod
    def from_rows(cls, *, customers: Iterable[Mapping[str, Any]],
                  orders: Iterable[Mapping[str, Any]],
                  products: Iterable[Mapping[str, Any]] = (),
                  identities: Iterable[Mapping[str, Any]] = (),
                  brand_terms: Iterable[str] = ()) -> LinkIndex:
        """Records in memory (dicts with the models' column names; orders carry ``lines`` and
        ``fulfillments``), e.g. a synthetic shop."""
        started = time.perf_counter()
        index = cls()
        index.add_brand(brand_terms)
        with no_gc():
            index._fill(products, customers, orders, identities)
        index.built_seconds = time.perf_counter() - started
        return index

    def _fill(self, products: Iterable[Mapping[str, Any]],
              customers: Iterable[Mapping[str, Any]], orders: Iterable[Mapping[str, Any]],
              identities: Iterable[Mapping[str, Any]]) -> None:
        index = self
        for p in products:
            index.add_product(p["id"], p["title"])
        for c in customers:
            index.add_customer(c["id"], c.get("first_name"), c.get("last_name"), c.get("email"))
        for o in orders:
            index.add_order(o["id"], o.get("number"), o.get("name"), o.get("customer_id"),
                            o.get("email"), o.get("shipping_name"), o["created_at"],
                            o.get("fulfillment_status"), o.get("financial_status"),
                            o.get("cancelled_at"))
            for line in o.get("lines", ()):
                index.add_line(o["id"], line.get("product_id"), line["title"])
            for f in o.get("fulfillments", ()):
                index.add_fulfillment(o["id"], f.get("shipment_status"), f.get("created_at"))
        for i in identities:
            index.add_identity(i["network"], i["handle"], i.get("author_id"), i["customer_id"],
                               i["verified_by"])
        index.finish()

    def load(self, s: Session, *, customers: Any, orders: Any,
             identities: Iterable[Any] | None = None) -> None:
        """Load rows: ``customers``/``orders`` None for all of them, a SQL condition for some,
        ``customers`` False for none (already loaded)."""
        epoch = epoch_sql(s)
        shop = s.get(Shop, s.info["shop_id"]) if s.info.get("shop_id") else None
        if shop is not None:
            self.add_brand([shop.name, *(shop.brand_terms or [])])
        for row in s.execute(select(Product.id, Product.title)):
            self.add_product(row.id, row.title)
        if customers is not False and (customers is not None or orders is None):
            stmt = select(Customer.id, Customer.first_name, Customer.last_name, Customer.email)
            if customers is not None:
                stmt = stmt.where(customers)
            for row in s.execute(stmt):
                self.add_customer(*row)
        order_ids: list[int] | None = None
        if orders is not None or customers is None:
            stmt = select(*order_columns(epoch))
            if orders is not None:
                stmt = stmt.where(orders)
            rows = s.execute(stmt).all()
            order_ids = [r[0] for r in rows] if orders is not None else None
            add = self.add_order
            for r in rows:
                add(*r)
        if order_ids is None or order_ids:
            for chunk in chunks(order_ids):
                # a line's title only matters when it has no product
                lines = select(OrderLine.order_id, OrderLine.product_id,
                               case_when((OrderLine.product_id.is_(None), OrderLine.title)))
                fulfilments = select(Fulfillment.order_id, Fulfillment.shipment_status,
                                     epoch(Fulfillment.created_at)).order_by(Fulfillment.id)
                if chunk is not None:
                    lines = lines.where(OrderLine.order_id.in_(chunk))
                    fulfilments = fulfilments.where(Fulfillment.order_id.in_(chunk))
                add_line, add_fulfillment = self.add_line, self.add_fulfillment
                for r in s.execute(lines).all():
                    add_line(*r)
                for r in s.execute(fulfilments).all():
                    add_fulfillment(*r)
        if identities is None:
            identities = s.execute(select(*IDENTITY_COLUMNS))
        self.load_identities(identities)
        self.finish()

    def load_identities(self, rows: Iterable[Any]) -> None:
        for r in rows:
            self.add_identity(r.network, r.handle, r.author_id, r.customer_id, r.verified_by)


def order_columns(epoch: Callable[[Any], Any]) -> tuple[Any, ...]:
    """The columns of an order that :meth:`LinkIndex.add_order` takes, in its order (``epoch``:
    :func:`epoch_sql` of the session)."""
    return (Order.id, Order.number, Order.name, Order.customer_id, Order.email,
            Order.shipping_name, epoch(Order.created_at), Order.fulfillment_status,
            Order.financial_status, epoch(Order.cancelled_at))


#: the columns of a SocialIdentity that :meth:`LinkIndex.load_identities` reads
IDENTITY_COLUMNS = (SocialIdentity.network, SocialIdentity.handle, SocialIdentity.author_id,
                    SocialIdentity.customer_id, SocialIdentity.verified_by)


def to_epoch(value: dt.datetime | float | None) -> float | None:
    if value is None or isinstance(value, float):
        return value
    if isinstance(value, dt.datetime):
        return value.timestamp()
    return float(value)  # Decimal from PostgreSQL's extract()


def epoch_sql(s: Session) -> Callable[[Any], Any]:
    """Seconds since 1970 of a UTC column, computed by the database (parsing 100,000 datetimes
    in Python costs more than the whole query)."""
    dialect = s.get_bind().dialect.name
    if dialect == "sqlite":
        return lambda col: (func.julianday(col) - 2440587.5) * 86400.0
    if dialect == "postgresql":
        return lambda col: func.extract("epoch", col)
    return lambda col: col


def chunks(ids: list[int] | None, size: int = 900) -> Iterator[list[int] | None]:
    if ids is None:
        yield None
        return
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while loading: the index allocates hundreds of
    thousands of objects and no cycles, and each collection would rescan them all."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def persons_for_guess(index: LinkIndex, guess: NameGuess) -> tuple[list[int], int]:
    """Persons a guess can be, and how many first-name-only namesakes were left out."""
    first_keys: set[str] = set()
    if len(guess.first) > 1:
        whole = guess.first.replace(" ", "")
        first_keys = {collapse(v.replace(" ", "")) for v in first_variants(whole)}
        if " " in guess.first:
            first_keys |= {collapse(p) for p in guess.first.split()}
        first_keys.update(index.similar_firsts(collapse(whole)))
    if not guess.last:
        pool = list(dict.fromkeys(p for k in first_keys for p in index.by_first.get(k, ())))
        total = max(len(pool), sum(index.first_counts.get(k, 0) for k in first_keys))
        return pool[:FIRST_ONLY_CAP], max(total - FIRST_ONLY_CAP, 0)
    if len(guess.last) == 1:
        if len(guess.first) == 1:
            return [], 0
        found = (p for k in first_keys for p in index.by_first_initial.get((k, guess.last), ()))
        return list(dict.fromkeys(found)), 0
    last_keys = index.similar_lasts(collapse(guess.last.replace(" ", "")))
    if len(guess.first) == 1:
        found = (p for k in last_keys for p in index.by_initial_last.get((guess.first, k), ()))
    else:
        found = (p for f in first_keys for k in last_keys
                 for p in index.by_full.get((f, k), ()))
    return list(dict.fromkeys(found)), 0

