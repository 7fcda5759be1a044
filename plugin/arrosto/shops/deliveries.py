"""Webhook deliveries: stored by the receiver before it answers, processed here by a job.

Processing is one transaction: claim the row (``received`` → ``processed``), parse, apply every
handler, commit. A crash anywhere rolls all of it back, the row stays ``received`` and a later run
picks it up; a concurrent run's claim waits on the row lock and then finds it taken. So each
unique delivery has its effects exactly once. A body that cannot be parsed is marked ``failed``
with the reason, kept, and shown to the owner: nothing is lost.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import json
import logging
import re
import threading
import types
import typing
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import BigInteger, Integer, bindparam, delete, select, update

from .. import events, jobs
from ..db import Database, dialect_insert
from ..events import (
    CustomerData,
    FulfillmentData,
    LineData,
    OrderData,
    ProductData,
    VariantData,
    dispatch,
)
from ..models import (
    Customer,
    Fulfillment,
    Order,
    OrderLine,
    Product,
    ProductVariant,
    Promotion,
    Shop,
    WebhookDelivery,
    utcnow,
)
from . import PLATFORMS
from .base import WebhookMeta, WebhookParseError

log = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(minutes=5)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


@dataclass
class Stored:
    delivery_id: int | None
    duplicate: bool


def store_delivery(db: Database, platform: str, meta: WebhookMeta, headers: dict[str, str],
                   body: bytes, shop_id: int | None) -> Stored:
    """Persist a verified delivery once, in one statement on the pooled connection; a repeat of
    the same delivery id is a duplicate (``INSERT … ON CONFLICT DO NOTHING`` on the unique
    platform + delivery id). Returns only once the row is committed."""
    params = {"platform": platform, "delivery_id": meta.delivery_id[:255],
              "topic": meta.topic[:100], "shop_domain": meta.shop_domain, "headers": headers,
              "body": body, "shop_id": shop_id, "state": "received", "attempts": 0,
              "received_at": utcnow()}
    dialect = db.engine.dialect.name
    # one statement on a Core connection in autocommit: committed when it returns, in one round
    # trip (no BEGIN / COMMIT around it, no ORM session; the table is not shop-scoped, so no
    # shop filter is skipped). On SQLite the threads of a process take turns here: waiting on
    # SQLite's own lock means its busy handler's sleeps (1, 2, 5, 10, 15, 20, 25 ms...), which
    # made the slowest answers ~85 ms under a burst
    with _SQLITE_WRITES if dialect == "sqlite" else contextlib.nullcontext(), \
            db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        new_id = conn.execute(_insert_statement(dialect), params).scalar()
    return Stored(new_id, new_id is None)


_SQLITE_WRITES = threading.Lock()


@functools.cache
def _insert_statement(dialect: str):
    """Built once per dialect: the receiver only binds values to it."""
    insert = dialect_insert(dialect)
    table = WebhookDelivery.__table__
    columns = ("platform", "delivery_id", "topic", "shop_domain", "headers", "body", "shop_id",
               "state", "attempts", "received_at")
    return (insert(table).values({c: bindparam(c, type_=table.c[c].type) for c in columns})
            .on_conflict_do_nothing(index_elements=["platform", "delivery_id"])
            .returning(table.c.id))


@jobs.job(retries=5, retry_delay=30)
def process_delivery_job(delivery_id: int) -> None:
    process_delivery(jobs.database(), delivery_id)


MAX_ATTEMPTS = 8


def process_delivery(db: Database, delivery_id: int) -> str:
    """Apply one delivery's effects exactly once; returns its final state."""
    try:
        return _process(db, delivery_id)
    except Exception as exc:
        _record_failure(db, delivery_id, exc)
        raise


def _record_failure(db: Database, delivery_id: int, exc: Exception) -> None:
    """The effects rolled back; count the attempt, and give up (visibly) after a few."""
    with db.transaction() as s:
        delivery = s.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.state != "received":
            return
        delivery.attempts += 1
        delivery.error = f"{type(exc).__name__}: {exc}"[:2000]
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.state = "failed"
    log.warning("delivery %d failed (attempt %d): %s", delivery_id, delivery.attempts,
                type(exc).__name__)


def _process(db: Database, delivery_id: int) -> str:
    with db.transaction() as s:
        claimed = s.execute(update(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.state == "received"
        ).values(state="processed", processed_at=utcnow(),
                 attempts=WebhookDelivery.attempts + 1)).rowcount
        if claimed != 1:
            return "skipped"
        delivery = s.get(WebhookDelivery, delivery_id)
        shop = s.get(Shop, delivery.shop_id) if delivery.shop_id else None
        try:
            found = _events(delivery)
        except WebhookParseError as exc:
            delivery.state, delivery.error = "failed", str(exc)[:2000]
            # the reason, kept whole on the row for the owner, may quote the body's values
            # (a customer's details): the log gets it without them
            log.warning("delivery %d (%s) cannot be parsed: %s", delivery_id, delivery.topic,
                        _QUOTED.sub("'…'", str(exc)))
            return "failed"
        if shop is None:
            delivery.state, delivery.error = "failed", "the delivery names no shop we know"
            return "failed"
        s.info["shop_id"] = shop.id  # from here on, the shop's own rows only
        for event in found:
            if isinstance(event, events.ShopRedact):
                s.execute(delete(Shop).where(Shop.id == shop.id))
                log.info("shop %d erased on the platform's request", shop.id)
                return "processed"
            dispatch(s, shop, event, f"{delivery.platform}:{delivery.delivery_id}")
    return "processed"


def _events(delivery: WebhookDelivery) -> list:
    cls = PLATFORMS.get(delivery.platform)
    if cls is None:
        raise WebhookParseError(f"unknown platform {delivery.platform!r}")
    try:
        payload = json.loads(delivery.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookParseError(f"the body is not JSON ({exc})") from None
    found = cls.parse_webhook(delivery.topic, payload)
    for event in found:
        check_fits(event, delivery.topic)
    return found


# --- what a parsed delivery may hold -------------------------------------------------------------
# A signed body is still the platform's (or a plugin's) JSON: a list where a postcode should be,
# an amount of 1e400, a NUL byte, a title longer than its column. The parsers turn payloads
# into our records; this check makes sure each value has the record's type and fits the column
# it is stored in, so such a delivery is ``failed`` with its reason, on SQLite as on
# PostgreSQL, instead of raising in the middle of writing.

_STORED_AS = {ProductData: Product, VariantData: ProductVariant, CustomerData: Customer,
              OrderData: Order, LineData: OrderLine, FulfillmentData: Fulfillment,
              events.DiscountChanged: Promotion}
_INT_LIMITS = {Integer: 2**31, BigInteger: 2**63}
_AMOUNT_LIMIT = Decimal(10) ** 10  # Numeric(12, 2)
_ID_LENGTH = 320  # ids, codes and e-mail addresses that are only looked up, never stored


@functools.cache
def _fields(cls: type) -> list[tuple[str, set[type], type | None, object]]:
    """(name, accepted types, type of list items, column) for each field of a record class."""
    hints = typing.get_type_hints(cls)
    model = _STORED_AS.get(cls)
    out = []
    for f in dataclasses.fields(cls):
        accepted, items = set(), None
        for hint in (typing.get_args(hints[f.name])
                     if isinstance(hints[f.name], types.UnionType) else (hints[f.name],)):
            origin = typing.get_origin(hint)
            if origin is list:
                accepted.add(list)
                items = typing.get_args(hint)[0]
            elif origin is dict:
                accepted.add(dict)
            else:
                accepted.add(hint)
        column = model.__table__.c.get(f.name) if model is not None else None
        out.append((f.name, accepted, items, column))
    return out


def check_fits(record: object, where: str) -> None:
    """Raise WebhookParseError naming the first value of ``record`` that our tables cannot
    hold as it is (wrong type, too long, out of range, NUL or unencodable characters)."""
    if not dataclasses.is_dataclass(record):
        return
    for name, accepted, items, column in _fields(type(record)):
        value = getattr(record, name)
        here = f"{where}: {name}"
        if list in accepted and isinstance(value, list):
            for n, item in enumerate(value):
                if dataclasses.is_dataclass(item):
                    check_fits(item, f"{here}[{n}]")
                else:
                    _check_value(item, {items}, None, f"{here}[{n}]")
        elif dataclasses.is_dataclass(value):
            check_fits(value, here)
        else:
            _check_value(value, accepted, column, here)


def _check_value(value: object, accepted: set, column, where: str) -> None:
    if value is None:
        if type(None) not in accepted:
            raise WebhookParseError(f"{where} is missing")
        return
    kind = type(value)
    if kind not in accepted and not (kind is int and float in accepted):
        raise WebhookParseError(f"{where}: a {kind.__name__} where a "
                                f"{' or '.join(sorted(t.__name__ for t in accepted))} belongs")
    if kind is str:
        if "\x00" in value:
            raise WebhookParseError(f"{where} contains a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise WebhookParseError(f"{where} is not valid Unicode text") from None
        limit = getattr(column.type, "length", None) if column is not None else _ID_LENGTH
        if limit and len(value) > limit:
            raise WebhookParseError(f"{where} is {len(value)} characters long "
                                    f"(at most {limit})")
    elif kind is int:
        limit = _INT_LIMITS.get(type(column.type), 2**63) if column is not None else 2**63
        if not -limit <= value < limit:
            raise WebhookParseError(f"{where}: {value} is out of range")
    elif kind is Decimal and (not value.is_finite() or abs(value) >= _AMOUNT_LIMIT):
        raise WebhookParseError(f"{where}: {value} is not an amount we can store")
    elif kind is dt.datetime and value.tzinfo is None:
        raise WebhookParseError(f"{where}: a time without its zone")


def pump(db: Database, stop: threading.Event, *, interval: float = 0.5,
         batch: int = 100) -> None:
    """The worker's loop over the deliveries table, which is the durable queue the receiver
    writes to: every stored, unprocessed delivery is processed, oldest first. Several workers
    may pump at once; each delivery's claim lets one of them apply it."""
    while not stop.is_set():
        try:
            ids = pending_deliveries(db, older_than=dt.timedelta(0), limit=batch)
            for delivery_id in ids:
                if stop.is_set():
                    return
                try:
                    process_delivery(db, delivery_id)
                except Exception:  # noqa: BLE001 - recorded on the row; the next pass retries
                    log.exception("delivery %d failed", delivery_id)
        except Exception:  # noqa: BLE001 - database restarting: wait and try again
            log.warning("delivery pump cannot read the queue; retrying", exc_info=True)
            ids = []
        if len(ids) < batch:
            stop.wait(interval)


@jobs.job()
def process_pending_job() -> None:
    """Pick up deliveries stored but never processed (queue down, worker killed)."""
    db = jobs.database()
    for delivery_id in pending_deliveries(db):
        process_delivery_job(delivery_id)


def pending_deliveries(db: Database, older_than: dt.timedelta = dt.timedelta(minutes=1),
                       limit: int = 1000) -> list[int]:
    with db.transaction() as s:
        return list(s.scalars(select(WebhookDelivery.id).where(
            WebhookDelivery.state == "received",
            WebhookDelivery.received_at <= utcnow() - older_than
        ).order_by(WebhookDelivery.id).limit(limit)))
