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
import os
import random
import re
import threading
import time
import types
import typing
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import BigInteger, Integer, delete, select, update

from .. import events, jobs
from ..db import Database
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
from .base import (
    CustomerData,
    FulfillmentData,
    LineData,
    OrderData,
    ProductData,
    VariantData,
    WebhookMeta,
    WebhookParseError,
)
from .handlers import dispatch

log = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(minutes=5)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


@dataclass
class Stored:
    delivery_id: int | None
    duplicate: bool


def store_delivery(db: Database, platform: str, meta: WebhookMeta, headers: dict[str, str],
                   body: bytes, shop_id: int | None) -> Stored:
    """Persist a verified delivery once; a repeat of the same delivery id is a duplicate
    (``INSERT … ON CONFLICT DO NOTHING`` on the unique platform + delivery id). Returns only
    once the row is committed."""
    params = {"platform": platform, "delivery_id": meta.delivery_id[:255],
              "topic": meta.topic[:100], "shop_domain": meta.shop_domain, "headers": headers,
              "body": body, "shop_id": shop_id, "state": "received", "attempts": 0,
              "received_at": utcnow()}
    new_id = _writer(db).store(params)
    return Stored(new_id, new_id is None)


class GroupCommit:
    """Concurrent requests of one process share one multi-row INSERT and one commit: the first
    request to find no write in progress writes everything queued, the others wait for it.
    Each caller still returns only after its own row is committed (persist, then acknowledge).
    Only the writing request touches the database, on the process's own connection."""

    MAX_BATCH = 64
    LINGER = 0.002  # longest a leader waits for requests already being verified to join

    def __init__(self, db: Database):
        self.db = db
        self.insert = _RawInsert(db.engine)
        self.lock = threading.Lock()
        self.joined = threading.Condition(self.lock)
        self.queue: list[_Slot] = []
        self.writing = False
        self.expected = 0  # requests inside ``arriving()`` that have not queued their row yet
        self.local = threading.local()

    @contextlib.contextmanager
    def arriving(self):
        """Wrap a request that will probably store a delivery: a leader about to write waits
        (at most ``LINGER``) for it to join the batch, so concurrent requests share one commit
        instead of queueing behind each other's."""
        with self.lock:
            self.expected += 1
        self.local.expected = True
        try:
            yield
        finally:
            if self.local.expected:  # left without storing (refused, ping, error)
                self.local.expected = False
                with self.lock:
                    self.expected -= 1
                    self.joined.notify_all()

    def store(self, params: dict) -> int | None:
        done = getattr(self.local, "done", None)
        if done is None:  # one event per thread, reused: a thread waits on one row at a time
            done = self.local.done = threading.Event()
        done.clear()
        slot = _Slot(params, done)
        with self.lock:
            if getattr(self.local, "expected", False):
                self.local.expected = False
                self.expected -= 1
            self.queue.append(slot)
            self.joined.notify_all()
            lead = not self.writing
            if lead:
                self.writing = True
        if not lead:
            done.wait()
            if slot.error is not None:
                raise slot.error
            return slot.result
        try:
            while self._lead():
                pass
        except BaseException:
            with self.lock:
                self.writing = False
            raise
        if slot.error is not None:
            raise slot.error
        return slot.result

    def _lead(self) -> bool:
        """Write one batch, after waiting at most ``LINGER`` for requests already on their
        way. False when nothing was left to write."""
        with self.lock:
            deadline = time.monotonic() + self.LINGER
            while self.expected > 0 and len(self.queue) < self.MAX_BATCH:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.joined.wait(left)
            batch, self.queue = self.queue[:self.MAX_BATCH], self.queue[self.MAX_BATCH:]
            if not batch:
                self.writing = False
                return False
        self._write(batch)
        return True

    def _write(self, batch: list[_Slot]) -> None:
        try:
            rows = self.insert.run([slot.params for slot in batch])
            inserted = {(platform, delivery_id): row_id for row_id, platform, delivery_id in rows}
            for slot in batch:  # a repeat within the batch: the first one holds the row
                key = (slot.params["platform"], slot.params["delivery_id"])
                slot.result = inserted.pop(key, None)
        except Exception as exc:  # noqa: BLE001 - every waiting request learns it failed
            for slot in batch:
                slot.error = exc
        finally:
            for slot in batch:
                slot.done.set()

    def close(self) -> None:
        with self.lock:
            self.insert.dispose()


class _Slot:
    __slots__ = ("params", "done", "result", "error")

    def __init__(self, params: dict, done: threading.Event):
        self.params = params
        self.done = done
        self.result: int | None = None
        self.error: Exception | None = None


_writers_lock = threading.Lock()


def receiving(db: Database):
    """Context for a webhook request: lets concurrent deliveries share one commit."""
    return _writer(db).arriving()


def _writer(db: Database) -> GroupCommit:
    with _writers_lock:
        if getattr(db, "group_commit", None) is None:
            db.group_commit = GroupCommit(db)
        return db.group_commit


class _RawInsert:
    """The receiver's one write: a multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING`` on a
    connection of its own, with SQLAlchemy's own bind processors for each column type (JSON,
    bytes, UTC times), so the stored row is exactly what the ORM writes and reads back —
    without the ORM's per-statement machinery, the pool's checkout and reset, or a separate
    BEGIN and COMMIT on the hot path. ``tests/shops/test_deliveries.py`` compares a row stored
    this way with the ORM's.

    The connection comes from the engine (so it has the same settings: SQLite's pragmas, the
    PostgreSQL schema) and is then detached from the pool: the process's writer owns it. On
    PostgreSQL it is in autocommit, so the one statement is its own transaction and one round
    trip; on SQLite the write is ``BEGIN IMMEDIATE`` … ``COMMIT``. A connection lost (database
    restarted) is dropped after failing that one write, and the next write opens a new one.
    A process started by ``fork`` opens its own instead of sharing its parent's."""

    COLUMNS = ("platform", "delivery_id", "topic", "shop_domain", "headers", "body", "shop_id",
               "state", "attempts", "received_at")

    def __init__(self, engine):
        self.engine = engine
        dialect = engine.dialect
        table = WebhookDelivery.__table__
        self.processors = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect)
                           for c in self.COLUMNS]
        self.mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self.head = (f"INSERT INTO {table.name} ({', '.join(self.COLUMNS)}) VALUES ")
        self.tail = " ON CONFLICT (platform, delivery_id) DO NOTHING " \
                    "RETURNING id, platform, delivery_id"
        # psycopg sends the body as binary: as text, bytea doubles in size as hex digits
        marks = ["%b" if c == "body" and self.mark == "%s" and dialect.driver == "psycopg"
                 else self.mark for c in self.COLUMNS]
        self.row = "(" + ", ".join(marks) + ")"
        self.sql: dict[int, str] = {}
        self.sqlite = dialect.name == "sqlite"
        # binary COPY (see copy()): psycopg's, on the table's own column types
        self.can_copy = dialect.name == "postgresql" and dialect.driver == "psycopg"
        self.copy_sql = (f"COPY {table.name} ({', '.join(self.COLUMNS)}) "
                         "FROM STDIN (FORMAT BINARY)")
        self.copy_types: list[int] | None = None
        self.errors = dialect.loaded_dbapi.Error
        self.conn = None  # SQLAlchemy's detached connection proxy
        self.pid = 0
        self.inherited: list = []  # a parent process's connection: never used, never closed
        database = engine.url.database if self.sqlite else None
        self.turn_path = (database + ".receivers" if database and database != ":memory:"
                          and not database.startswith("file:") else None)
        self.turn_fd: int | None = None  # this process's descriptor of that file, for flock
        self.turn_pid = 0

    def connection(self):
        """The driver connection this process writes on, opened on first use."""
        if self.conn is not None and self.pid != os.getpid():
            self.inherited.append(self.conn)  # closing it here would close the parent's
            self.conn = None
        if self.conn is None:
            proxy = self.engine.raw_connection()  # connect events: pragmas, search_path
            proxy.detach()
            driver = proxy.dbapi_connection
            if self.sqlite:
                driver.isolation_level = None  # our own BEGIN IMMEDIATE … COMMIT
                driver.execute("PRAGMA busy_timeout=0")  # see _run_sqlite
            else:
                driver.autocommit = True
            self.conn, self.pid = proxy, os.getpid()
        return self.conn.dbapi_connection

    def close(self) -> None:
        """Drop the connection (a new one is opened on the next write)."""
        if self.conn is not None and self.pid == os.getpid():
            with contextlib.suppress(Exception):
                self.conn.close()
        self.conn = None

    def dispose(self) -> None:
        """Close the connection and the turn's file: the database is being closed."""
        self.close()
        if self.turn_fd is not None and self.turn_pid == os.getpid():
            os.close(self.turn_fd)
        self.turn_fd, self.turn_pid = None, 0

    # SQLite has one writer at a time across processes, and its own busy handler sleeps in
    # steps of 1 to 100 ms when the write lock is taken: with two web workers that sleep,
    # not the write, set the receiver's pace. So the receivers of all processes (and their
    # spools) take turns on an flock beside the database: a waiting process sleeps in the
    # kernel and wakes the moment the other is done (its batch is formed before it waits,
    # which measured faster than letting the rows that arrive meanwhile join it). SQLite's
    # own lock is asked for without waiting: another writer (a job) holds it for well under
    # a millisecond, so the receiver retries within a few hundred microseconds instead, up to
    # the same 30 s limit.
    SQLITE_LIMIT = 30.0

    @contextlib.contextmanager
    def turn(self):
        """This process's turn to write, among all the receivers of this SQLite database."""
        if self.turn_path is None:
            yield
            return
        import fcntl

        if self.turn_pid != os.getpid():  # opened once per process: a forked child's own
            self.turn_fd = os.open(self.turn_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                                   0o600)
            self.turn_pid = os.getpid()
        fd = self.turn_fd
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _run_sqlite(self, conn, sql: str, values: list) -> list[tuple]:
        import sqlite3

        cur = conn.cursor()
        try:
            deadline = time.monotonic() + self.SQLITE_LIMIT
            while True:
                try:
                    cur.execute("BEGIN IMMEDIATE")
                    break
                except sqlite3.OperationalError as exc:
                    if ("locked" not in str(exc) and "busy" not in str(exc)
                            or time.monotonic() > deadline):
                        raise
                    time.sleep(random.uniform(0.0001, 0.0005))
            try:
                cur.execute(sql, values)
                result = [tuple(r) for r in cur.fetchall()]
                cur.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    cur.execute("ROLLBACK")
                raise
            return result
        finally:
            cur.close()

    def statement(self, n: int) -> str:
        sql = self.sql.get(n)
        if sql is None:
            sql = self.sql[n] = self.head + ", ".join([self.row] * n) + self.tail
        return sql

    def values(self, params: dict) -> list:
        """One row's values as the driver takes them (SQLAlchemy's bind processors)."""
        return [process(value) if process is not None and value is not None else value
                for value, process in zip(map(params.__getitem__, self.COLUMNS),
                                          self.processors, strict=True)]

    def run(self, rows: list[dict]) -> list[tuple]:
        values = []
        for params in rows:
            values.extend(self.values(params))
        conn = self.connection()
        try:
            if self.sqlite:
                with self.turn():
                    return self._run_sqlite(conn, self.statement(len(rows)), values)
            with conn.cursor() as cur:  # autocommit: committed when execute returns
                cur.execute(self.statement(len(rows)), values)
                return [tuple(r) for r in cur.fetchall()]
        except self.errors as exc:
            self._lost(exc, conn)
            raise

    def copy(self, rows: list[dict]) -> None:
        """Store rows with one binary ``COPY`` (PostgreSQL with psycopg, see ``can_copy``): no
        statement to parse on either side, no text to escape. Measured per row, in batches of
        50: 0.13 ms of the database's CPU instead of an INSERT's 0.19, and 0.09 ms of this
        process's instead of 0.13. All or nothing: a delivery id already
        in the table (a repeat) or a shop erased meanwhile refuses the whole batch with an
        IntegrityError, and :meth:`run` then stores what it can."""
        conn = self.connection()
        try:
            with conn.cursor() as cur:  # autocommit: COPY is its own transaction
                if self.copy_types is None:
                    cur.execute("SELECT attname, atttypid FROM pg_attribute "
                                "WHERE attrelid = %s::regclass AND attnum > 0",
                                [WebhookDelivery.__tablename__])
                    oids = dict(cur.fetchall())
                    self.copy_types = [oids[c] for c in self.COLUMNS]
                with cur.copy(self.copy_sql) as copy:
                    copy.set_types(self.copy_types)
                    for params in rows:
                        copy.write_row(self.values(params))
        except self.errors as exc:
            self._lost(exc, conn)
            raise

    def _lost(self, exc: Exception, conn) -> None:
        # as the engine's pool would: a connection lost (database restarted) is dropped, so
        # the next write (the platform's retry of this delivery) gets a fresh one
        if self.engine.dialect.is_disconnect(exc, conn, None):
            self.close()


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
         batch: int = 100, spool: Path | None = None) -> None:
    """The worker's loop over the deliveries table, which is the durable queue the receiver
    writes to: every stored, unprocessed delivery is processed, oldest first. Several workers
    may pump at once; each delivery's claim lets one of them apply it. With a ``spool``
    directory, the spool files of web workers that are gone are moved into the table first."""
    from .spool import adopt_orphans

    while not stop.is_set():
        if spool is not None:
            try:
                adopt_orphans(db, spool)
            except Exception:  # noqa: BLE001 - the files stay; processing goes on meanwhile
                log.warning("delivery pump cannot adopt spool files; retrying", exc_info=True)
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
