"""The receiver's spool: a verified delivery is appended to a file of this process, then answered;
a thread of the same process moves the spooled deliveries into the deliveries table in batches.

Why: storing each delivery in the database before answering costs a web worker more than the
rest of the request (benchmarks/webhooks.py); one ``write`` to a file costs a few microseconds,
and one statement of a hundred rows costs the database and the worker half as much per row as
one of ten. On PostgreSQL that statement is a binary ``COPY``, which costs about a third less
CPU per row than a multi-row INSERT, in the server and in the worker (psycopg re-parses an
INSERT of more than 50 parameters on every call).

Durability is the database's own on the embedded default: the spool is a file on the same disk
as the SQLite database, written before the answer, and neither is flushed to the disk on every
write (SQLite runs with ``synchronous=NORMAL``). A process that dies leaves its file behind, and
the next process to look (every web worker's spool thread every few seconds, and the delivery
pump of ``arrosto worker``) moves it into the database. With PostgreSQL on another machine, the
web machine's disk may not outlive the process (containers): what the spool holds is bounded.
The receiver stores in the database before answering, as with ``ARROSTO_WEBHOOK_SPOOL=off``,
whatever the platform could never send again (``store_first_topics``: Shopify's privacy
requests), and everything while the spool is not keeping up (``LAG_LIMIT``), so a database that
is down gets the platform's retries rather than a growing file.

Each file is ``<instance>/spool/<pid>-<nanoseconds>.spool``, locked (``flock``) by the process
writing it for as long as it lives; an unlocked file belongs to a process that is gone. The file
starts with a mark and the offset up to which its records are in the database; each record is a
header (payload length, CRC-32 of the payload, time received in microseconds) and the payload:
the delivery's fields as a JSON line, then the raw body. Moving a record into the table
is idempotent on the delivery id, so doing it twice (a crash between the write and forgetting
the record) changes nothing: a COPY that meets a delivery id already stored is refused whole,
and its batch is then stored with ``INSERT … ON CONFLICT DO NOTHING``.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import logging
import os
import struct
import threading
import time
import weakref
import zlib
from collections import OrderedDict
from pathlib import Path

from ..db import Database
from .base import WebhookMeta
from .deliveries import Stored, _RawInsert

log = logging.getLogger(__name__)

HEADER = struct.Struct(">IIQ")  # payload length, CRC-32 of the payload, received at (µs)
MAGIC = b"ARRSPOOL"  # a file starts with it and the offset up to which it is in the database
DONE = struct.Struct(">Q")
FILE_HEADER = len(MAGIC) + DONE.size
ROTATE_BYTES = 16 * 1024 * 1024  # a drained file larger than this is replaced by a new one
BATCH = 100  # rows per COPY or INSERT (the drain holds the GIL while it builds one)
CHUNK = 4 * 1024 * 1024  # bytes of a spool file read at once
GATHER = 0.25  # at most this many seconds, or until BATCH deliveries wait, before moving them
ADOPT_EVERY = 5.0  # seconds between looks for files of processes that are gone
RECENT = 10_000  # delivery ids this process answers "duplicate" to without the database
# seconds the spool may hold deliveries the database has not taken: beyond, the receiver stores
# in the database before answering again (so a database that is down gets the platform's
# retries, not a growing file on a disk that may not outlive the web machine)
LAG_LIMIT = 10.0

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def spool_directory(settings) -> Path | None:
    """Where deliveries are spooled, or None when they are not (``ARROSTO_WEBHOOK_SPOOL=off``)."""
    if settings.webhook_spool == "off":
        return None
    return Path(settings.instance_path) / "spool"


def encode(params: dict) -> bytes:
    """One record: the header, the fields as a JSON line, the raw body."""
    meta = json.dumps([params["platform"], params["delivery_id"], params["topic"],
                       params["shop_domain"], params["headers"], params["shop_id"]],
                      separators=(",", ":"), ensure_ascii=True).encode()
    payload = meta + b"\n" + params["body"]
    received = params["received_at"] - _EPOCH
    micros = (received.days * 86_400 + received.seconds) * 1_000_000 + received.microseconds
    return HEADER.pack(len(payload), zlib.crc32(payload), micros) + payload


class Damaged(Exception):
    """A record whose checksum or fields do not hold: the file was cut short by a crash of the
    machine, or changed by something else."""


def decode(data: bytes) -> tuple[list[dict], int, Damaged | None]:
    """The whole, sound records at the start of ``data``: (rows for the deliveries table, bytes
    they take, the damage that stopped the reading if any). A record not all there yet ends
    the reading without damage."""
    rows, offset, end = [], 0, len(data)
    while offset + HEADER.size <= end:
        length, crc, micros = HEADER.unpack_from(data, offset)
        start = offset + HEADER.size
        if start + length > end:
            break
        payload = data[start:start + length]
        if zlib.crc32(payload) != crc:
            return rows, offset, Damaged(f"the record at byte {offset} fails its checksum")
        meta, _, body = payload.partition(b"\n")
        try:
            platform, delivery_id, topic, shop_domain, headers, shop_id = json.loads(meta)
        except (ValueError, TypeError) as exc:
            return rows, offset, Damaged(f"the record at byte {offset} cannot be read ({exc})")
        rows.append({"platform": platform, "delivery_id": delivery_id, "topic": topic,
                     "shop_domain": shop_domain, "headers": headers, "body": body,
                     "shop_id": shop_id, "state": "received", "attempts": 0,
                     "received_at": _EPOCH + dt.timedelta(microseconds=micros)})
        offset = start + length
    return rows, offset, None


class Spool:
    """This process's spool for one database (see the module's docstring)."""

    def __init__(self, db: Database, directory: Path):
        self.db = db
        self.directory = Path(directory)
        self.insert = _RawInsert(db.engine)  # a connection of its own, used by one drain at once
        self._reset()
        me = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: (spool := me()) and spool._forked())

    def _reset(self) -> None:
        self.lock = threading.Lock()  # appends and switching files
        self.draining = threading.Lock()  # one drain at a time: the thread, flush(), close()
        self.wake = threading.Event()  # a first delivery waits to be moved
        self.full = threading.Event()  # a whole batch does
        self.waiting = 0  # deliveries appended since the last drain began
        self.stopping = threading.Event()
        self.recent: OrderedDict[tuple[str, str], None] = OrderedDict()
        self.fd: int | None = None
        self.path: Path | None = None
        self.pid = 0
        self.size = 0  # bytes written to the current file (all writes are ours, under the lock)
        self.read = 0  # bytes of the current file already in the database
        self.thread: threading.Thread | None = None
        self.last_adopt = 0.0
        self.drained_at = time.monotonic()  # the last time everything spooled was moved

    def _forked(self) -> None:
        """In a child process: nothing of the parent's spool is ours (its file's lock must go
        when the parent goes); the child opens its own on its first delivery."""
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)  # the child's copy; the parent keeps its own and its lock
        self._reset()

    # receiving ----------------------------------------------------------------------------------
    def keeping_up(self) -> bool:
        """Whether the database takes what this process spools: False once deliveries have
        waited in the file for more than ``LAG_LIMIT`` seconds (the database down, or
        refusing): the receiver then stores before answering, as without a spool."""
        return self.size == self.read or time.monotonic() - self.drained_at < LAG_LIMIT

    def append(self, platform: str, meta: WebhookMeta, headers: dict[str, str], body: bytes,
               shop_id: int | None, received_at: dt.datetime) -> Stored:
        """Spool one verified delivery; returns once it is written to the file, whole."""
        key = (platform, meta.delivery_id[:255])
        record = encode({"platform": platform, "delivery_id": key[1], "topic": meta.topic[:100],
                         "shop_domain": meta.shop_domain, "headers": headers, "body": body,
                         "shop_id": shop_id, "received_at": received_at})
        with self.lock:
            if self.fd is None:
                self._start()
            if key in self.recent:
                self.recent.move_to_end(key)
                return Stored(None, True)
            try:
                # one write: a process killed now leaves the record whole or not at all
                written = os.pwrite(self.fd, record, self.size)
                if written != len(record):
                    raise OSError(errno.ENOSPC, "the spool's disk is full")
            except OSError:
                with contextlib.suppress(OSError):
                    os.ftruncate(self.fd, self.size)  # no half record: the platform retries
                raise
            self.size += written
            self.recent[key] = None
            if len(self.recent) > RECENT:
                self.recent.popitem(last=False)
            self.waiting += 1
            if self.waiting == 1:
                self.wake.set()
            elif self.waiting == BATCH:
                self.full.set()
        return Stored(None, False)

    def _start(self) -> None:
        """This process's own file and spool thread."""
        self._open_file()
        self.thread = threading.Thread(target=self._loop, name="webhook-spool", daemon=True)
        self.thread.start()

    def _open_file(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{os.getpid()}-{time.time_ns()}"
        partial = self.directory / f"{name}.new"
        fd = os.open(partial, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # locked before others can see it as a .spool file
            os.pwrite(fd, MAGIC + DONE.pack(FILE_HEADER), 0)
            path = partial.rename(self.directory / f"{name}.spool")
        except BaseException:
            os.close(fd)
            partial.unlink(missing_ok=True)
            raise
        self.fd, self.path, self.pid = fd, path, os.getpid()
        self.size = self.read = FILE_HEADER

    # moving into the database -------------------------------------------------------------------
    def _loop(self) -> None:
        delay = 0.0
        while not self.stopping.is_set():
            if delay:  # the database refused: wait it out, however many deliveries arrive
                self.stopping.wait(delay)
            elif self.wake.wait(timeout=1.0):
                # let the deliveries of the next moments join this batch: one COPY or INSERT
                # of a hundred rows costs the database and this process half as much per row
                # as one of ten (the answers never wait for it: the file holds them)
                self.full.wait(GATHER)
            try:
                self.drain()
                if time.monotonic() - self.last_adopt > ADOPT_EVERY:
                    self.last_adopt = time.monotonic()
                    with self.draining:  # the same connection as drain()
                        adopt_orphans(self.db, self.directory, self.insert)
                delay = 0.0
            except Exception:  # noqa: BLE001 - the records stay in the file: try again later
                delay = min(max(delay * 2, 0.5), 30.0)
                log.warning("webhook spool: cannot move deliveries into the database yet; "
                            "retrying in %.1f s", delay, exc_info=True)

    def drain(self) -> int:
        """Move what this process has spooled into the database; the number of records."""
        with self.draining:
            began = time.monotonic()
            with self.lock:
                self.waiting = 0
                self.wake.clear()
                self.full.clear()
                if self.fd is None:
                    return 0
                end = self.size
            moved, self.read, damage = move_records(self.fd, self.read, end, self.insert,
                                                       self.directory)
            self.drained_at = began  # all spooled before then is in the database (or set aside)
            if damage is not None or self.read > ROTATE_BYTES:
                self._retire(damage)
            return moved

    def _retire(self, damage: Damaged | None) -> None:
        """Go on with a new file. The old one, once all of it is in the database, is deleted;
        a damaged one is kept as .damaged. If moving the rest fails, it is let go of: another
        look (ours included) adopts it from where it was left."""
        with self.lock:
            old_fd, old_path, old_read, old_end = self.fd, self.path, self.read, self.size
            self._open_file()
        try:
            if damage is None:
                _, old_read, damage = move_records(old_fd, old_read, old_end, self.insert,
                                                   self.directory)
            if damage is not None:
                log.error("webhook spool %s: %s; kept as %s", old_path.name, damage,
                          old_path.with_suffix(".damaged").name)
                old_path.rename(old_path.with_suffix(".damaged"))
            else:
                old_path.unlink(missing_ok=True)
        finally:
            os.close(old_fd)

    def flush(self) -> None:
        """Everything spooled so far is in the database when this returns (tests, shutdown)."""
        self.drain()

    def close(self) -> None:
        """Stop the thread, move what is left into the database, let go of the file."""
        self.stopping.set()
        self.wake.set()
        self.full.set()
        if self.thread is not None:
            self.thread.join(timeout=5)
            if self.thread.is_alive():  # stuck on the database: the file is left for others
                log.warning("webhook spool: deliveries left in %s for the next process",
                            self.path)
                return
        try:
            self.drain()
        except Exception:  # noqa: BLE001 - the file stays: the next process moves it
            log.warning("webhook spool: deliveries left in %s for the next process",
                        self.path, exc_info=True)
            return
        with self.lock:
            if self.fd is not None:
                if self.size == self.read:
                    self.path.unlink(missing_ok=True)
                os.close(self.fd)
            self.fd = None
        self.insert.dispose()


def store_rows(insert: _RawInsert, rows: list[dict], directory: Path) -> None:
    """Insert spooled rows in batches. A row whose shop was erased meanwhile (the foreign key
    refuses it) is kept without its shop, as the receiver does; a row the database refuses
    outright (a value it cannot hold) is written to ``rejected.damaged`` beside the spool and
    logged, so that it neither blocks the rows after it nor disappears."""
    dbapi = insert.engine.dialect.loaded_dbapi
    refused = (dbapi.IntegrityError, dbapi.DataError)
    for n in range(0, len(rows), BATCH):
        batch = rows[n:n + BATCH]
        if insert.can_copy:
            try:
                insert.copy(batch)
                continue
            except refused:  # a repeat already in the table, a shop erased: as below
                pass
        try:
            insert.run(batch)
            continue
        except refused:
            pass
        for row in batch:
            try:
                try:
                    insert.run([row])
                except dbapi.IntegrityError:
                    insert.run([{**row, "shop_id": None}])
            except refused as exc:
                with open(directory / "rejected.damaged", "ab") as kept:
                    kept.write(encode(row))
                log.error("webhook spool: the database refuses delivery %r (%s); kept in %s",
                          row["delivery_id"][:80], type(exc).__name__,
                          directory / "rejected.damaged")


def adopt_orphans(db: Database, directory: Path, insert: _RawInsert | None = None) -> int:
    """Move the spool files of processes that are gone into the database, then delete them;
    the number of records moved. A file still locked belongs to a live process: skipped."""
    directory = Path(directory)
    try:
        listed = list(directory.iterdir())
    except FileNotFoundError:
        return 0
    for path in listed:
        if path.suffix == ".new":
            _discard_unfinished(path)
    names = sorted(p for p in listed if p.suffix == ".spool")
    own = insert is None
    insert = insert or _RawInsert(db.engine)
    moved = 0
    try:
        for path in names:
            try:
                moved += _adopt(path, insert, directory)
            except OSError as exc:  # unreadable (permissions) or the disk is full: skip it
                log.warning("webhook spool %s cannot be adopted: %s", path.name, exc)
    finally:
        if own:
            insert.dispose()
    return moved


def _discard_unfinished(path: Path) -> None:
    """Delete a ``.new`` file its process left: one killed while opening its spool file, before
    it was renamed ``.spool``, which holds no delivery (records are appended after the rename).
    Only when it is unlocked and a minute old: a live process locks it right after creating it."""
    try:
        if time.time() - path.stat().st_mtime < 60:
            return
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        path.unlink(missing_ok=True)
    except OSError:  # locked: its process is still opening it
        pass
    finally:
        os.close(fd)


def _adopt(path: Path, insert: _RawInsert, directory: Path) -> int:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return 0  # another process adopted it meanwhile
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return 0  # its process is alive and moves it itself
        if not path.exists():
            return 0  # adopted and deleted while we waited
        start = drained_mark(fd)
        end = os.fstat(fd).st_size
        if start is None:
            count, damage = 0, Damaged("it has no spool header")
        else:
            count, reached, damage = move_records(fd, start, end, insert, directory)
            if damage is None and reached != end:
                damage = Damaged(f"the last {end - reached} bytes are cut short")
        if damage is not None:
            damaged = path.with_suffix(".damaged")
            log.error("webhook spool %s: %s; %d deliveries moved, the rest kept as %s",
                      path.name, damage, count, damaged.name)
            path.rename(damaged)
            return count
        path.unlink(missing_ok=True)
        if count:
            log.info("webhook spool %s: %d deliveries of a stopped process moved into the "
                     "database", path.name, count)
        return count
    finally:
        os.close(fd)


def move_records(fd: int, start: int, end: int, insert: _RawInsert, directory: Path
                 ) -> tuple[int, int, Damaged | None]:
    """Insert the records of a spool file between two offsets, a few megabytes at a time,
    noting in the file's header how far it got: (records moved, offset reached, the damage
    that stopped it if any)."""
    moved = 0
    while start < end:
        head = os.pread(fd, HEADER.size, start)
        need = HEADER.size + HEADER.unpack(head)[0] if len(head) == HEADER.size else 0
        rows, used, damage = decode(os.pread(fd, min(end - start, max(CHUNK, need)), start))
        store_rows(insert, rows, directory)
        moved, start = moved + len(rows), start + used
        if used:
            os.pwrite(fd, DONE.pack(start), len(MAGIC))  # a later reader starts here
        if damage is None and used == 0:
            damage = Damaged(f"the record at byte {start} is cut short")
        if damage is not None:
            return moved, start, damage
    return moved, start, None


def drained_mark(fd: int) -> int | None:
    """Where the records not yet in the database start, from the file's header; None when
    the file has no header of ours."""
    head = os.pread(fd, FILE_HEADER, 0)
    if len(head) < FILE_HEADER or not head.startswith(MAGIC):
        return None
    return max(FILE_HEADER, DONE.unpack_from(head, len(MAGIC))[0])


_spools_lock = threading.Lock()


def spool_for(app) -> Spool | None:
    """The app's spool, when deliveries are spooled (``ARROSTO_WEBHOOK_SPOOL``)."""
    spool = app.extensions.get("arrosto.spool", False)
    if spool is not False:
        return spool
    with _spools_lock:
        spool = app.extensions.get("arrosto.spool", False)
        if spool is False:
            db = app.extensions["arrosto.db"]
            directory = spool_directory(app.config["ARROSTO"])
            spool = Spool(db, directory) if directory else None
            app.extensions["arrosto.spool"] = spool
            if spool is not None:
                import atexit

                atexit.register(_close_quietly, spool)
    return spool


def _close_quietly(spool: Spool) -> None:
    with contextlib.suppress(Exception):
        spool.close()
