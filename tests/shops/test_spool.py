"""The receiver's spool: what is appended reaches the deliveries table exactly once, whatever
happens to the process that wrote it or to the database meanwhile."""
from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import threading
import time

import pytest
from sqlalchemy import func, select

from arrosto.models import WebhookDelivery, utcnow
from arrosto.shops import deliveries, spool
from arrosto.shops.base import WebhookMeta
from arrosto.shops.spool import Spool, adopt_orphans

HEADERS = {"X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": "é.myshopify.com"}
BODY = '{"note": "caffè ☕", "id": 1}'.encode()


def meta(n: int | str) -> WebhookMeta:
    return WebhookMeta(delivery_id=f"spool-{n}", topic="orders/create",
                       shop_domain="a.myshopify.com")


def rows(db) -> list[WebhookDelivery]:
    with db.transaction() as s:
        return list(s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


@pytest.fixture
def make_spool(db, tmp_path):
    made = []

    def make() -> Spool:
        made.append(Spool(db, tmp_path / "spool"))
        return made[-1]

    yield make
    for one in made:
        one.close()


def test_a_spooled_delivery_is_stored_as_the_receiver_stores_it(db, make_spool):
    """Through the file and back, the row is the one the receiver writes straight to the
    table: JSON headers, the raw body, an aware UTC time, state received."""
    s = make_spool()
    received = utcnow()
    assert not s.append("shopify", meta(1), HEADERS, BODY, None, received).duplicate
    assert s.flush() is None
    [row] = rows(db)
    assert (row.platform, row.delivery_id, row.topic, row.shop_domain) == (
        "shopify", "spool-1", "orders/create", "a.myshopify.com")
    assert row.headers == HEADERS and bytes(row.body) == BODY
    assert row.received_at == received and row.received_at.tzinfo is dt.UTC
    assert (row.state, row.attempts, row.shop_id) == ("received", 0, None)


def test_a_repeat_is_a_duplicate_and_stored_once(db, make_spool):
    s = make_spool()
    first = s.append("shopify", meta(1), HEADERS, BODY, None, utcnow())
    again = s.append("shopify", meta(1), HEADERS, BODY, None, utcnow())
    assert (first.duplicate, again.duplicate) == (False, True)
    other = make_spool()  # another process has not seen it: accepted, and still stored once
    assert not other.append("shopify", meta(1), HEADERS, BODY, None, utcnow()).duplicate
    s.flush()
    other.flush()
    assert [r.delivery_id for r in rows(db)] == ["spool-1"]


def test_the_spool_thread_moves_deliveries_without_being_asked(db, make_spool):
    s = make_spool()
    for n in range(30):
        s.append("shopify", meta(n), HEADERS, BODY, None, utcnow())
    for _ in range(100):
        if len(rows(db)) == 30:
            break
        threading.Event().wait(0.05)
    assert len(rows(db)) == 30


def test_a_database_that_refuses_keeps_the_deliveries_in_the_file(db, make_spool, monkeypatch):
    """The database is down (or locked) while the spool drains: nothing is lost, nothing is
    doubled once it is back."""
    s = make_spool()
    s.stopping.set()  # this test drains by hand
    for n in range(5):
        s.append("shopify", meta(n), HEADERS, BODY, None, utcnow())

    def down(self, batch):
        raise OSError("database down")

    monkeypatch.setattr(deliveries._RawInsert, "run", down)
    monkeypatch.setattr(deliveries._RawInsert, "copy", down)  # PostgreSQL's way in
    with pytest.raises(OSError):
        s.drain()
    monkeypatch.undo()
    assert rows(db) == []
    assert s.drain() == 5
    assert s.drain() == 0
    assert len(rows(db)) == 5


def test_a_dead_processs_file_is_adopted_and_a_live_ones_is_not(db, make_spool, tmp_path):
    """A process killed after answering leaves its file unlocked: the next look moves it into
    the table and deletes it. A live process's file is locked and left alone."""
    dead = make_spool()
    dead.stopping.set()
    for n in range(3):
        dead.append("shopify", meta(n), HEADERS, BODY, None, utcnow())
    os.close(dead.fd)  # what the kernel does to a killed process: the flock goes with it
    dead.fd, dead.pid = None, 0
    live = make_spool()
    live.stopping.set()
    live.append("shopify", meta("live"), HEADERS, BODY, None, utcnow())
    directory = tmp_path / "spool"
    assert adopt_orphans(db, directory) == 3
    assert sorted(r.delivery_id for r in rows(db)) == ["spool-0", "spool-1", "spool-2"]
    assert [p.name for p in directory.iterdir()] == [live.path.name]
    assert adopt_orphans(db, directory) == 0  # and adopting again finds nothing to do
    live.flush()
    assert len(rows(db)) == 4


def test_a_file_cut_short_by_a_crash_is_kept_aside(db, make_spool, tmp_path, caplog):
    """A machine crash can cut the last record of a file short: the whole ones are moved, the
    file is kept as .damaged and the owner is told, not silently dropped."""
    dead = make_spool()
    dead.stopping.set()
    for n in range(2):
        dead.append("shopify", meta(n), HEADERS, BODY, None, utcnow())
    path = dead.path
    with open(path, "ab") as f:
        f.write(spool.encode({"platform": "shopify", "delivery_id": "spool-torn",
                              "topic": "orders/create", "shop_domain": None, "headers": {},
                              "body": BODY, "shop_id": None, "received_at": utcnow()})[:-7])
    os.close(dead.fd)
    dead.fd, dead.pid = None, 0
    with caplog.at_level(logging.ERROR, logger="arrosto.shops.spool"):
        assert adopt_orphans(db, tmp_path / "spool") == 2
    assert sorted(r.delivery_id for r in rows(db)) == ["spool-0", "spool-1"]
    assert path.with_suffix(".damaged").exists() and not path.exists()
    assert "cut short" in caplog.text


def test_a_record_that_fails_its_checksum_stops_the_reading(db):
    good = spool.encode({"platform": "shopify", "delivery_id": "a", "topic": "t",
                         "shop_domain": None, "headers": {}, "body": b"{}", "shop_id": None,
                         "received_at": utcnow()})
    bad = bytearray(good)
    bad[-1] ^= 1
    decoded, used, damage = spool.decode(good + bytes(bad) + good)
    assert [r["delivery_id"] for r in decoded] == ["a"] and used == len(good)
    assert "checksum" in str(damage)


def test_a_drained_file_is_replaced_when_large(db, make_spool, monkeypatch):
    monkeypatch.setattr(spool, "ROTATE_BYTES", 300)
    s = make_spool()
    s.stopping.set()
    for n in range(5):
        s.append("shopify", meta(n), HEADERS, BODY, None, utcnow())
    first = s.path
    s.drain()
    assert s.path != first and not first.exists() and s.path.exists()
    s.append("shopify", meta(9), HEADERS, BODY, None, utcnow())
    s.drain()
    assert len(rows(db)) == 6


def test_a_delivery_for_an_erased_shop_is_kept_without_it(db, make_spool):
    """The foreign key refuses a shop erased between the answer and the move: that row is kept
    without its shop, the others of the batch with theirs."""
    from ..factories import make_shop

    shop = make_shop(db, "a.myshopify.com")
    s = make_spool()
    s.stopping.set()
    s.append("shopify", meta("gone"), HEADERS, BODY, 987654, utcnow())
    s.append("shopify", meta("here"), HEADERS, BODY, shop, utcnow())
    s.drain()
    with db.transaction(all_shops=True) as session:
        found = dict(session.execute(select(WebhookDelivery.delivery_id,
                                            WebhookDelivery.shop_id)).all())
    assert found == {"spool-gone": None, "spool-here": shop}


def test_close_moves_everything_and_removes_the_file(db, make_spool):
    s = make_spool()
    for n in range(4):
        s.append("shopify", meta(n), HEADERS, BODY, None, utcnow())
    path = s.path
    s.close()
    assert len(rows(db)) == 4 and not path.exists()


def test_the_worker_pump_adopts_files_of_stopped_web_workers(db, make_spool, tmp_path):
    dead = make_spool()
    dead.stopping.set()
    dead.append("shopify", meta("pumped"), HEADERS, BODY, None, utcnow())
    os.close(dead.fd)
    dead.fd, dead.pid = None, 0
    stop = threading.Event()
    pump = threading.Thread(target=deliveries.pump, args=(db, stop),
                            kwargs={"spool": tmp_path / "spool", "interval": 0.05})
    pump.start()
    try:
        for _ in range(100):
            with db.transaction() as s:
                state = s.scalar(select(WebhookDelivery.state))
            if state is not None and state != "received":
                break
            stop.wait(0.05)
    finally:
        stop.set()
        pump.join()
    assert state == "failed"  # moved, then processed: it names no shop this test installed
    assert len(rows(db)) == 1


def test_a_locked_file_being_written_is_never_taken(db, tmp_path):
    """Between creating its file and locking it, a process must not lose it to an adopter:
    the file is locked under a temporary name and only then named .spool."""
    directory = tmp_path / "spool"
    s = Spool(db, directory)
    try:
        s.append("shopify", meta(1), HEADERS, BODY, None, utcnow())
        fd = os.open(s.path, os.O_RDWR)
        with pytest.raises(BlockingIOError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.close(fd)
        assert [p.suffix for p in directory.iterdir()] == [".spool"]
    finally:
        s.close()
    with db.transaction() as session:
        assert session.scalar(select(func.count(WebhookDelivery.id))) == 1


def test_a_row_the_database_refuses_is_set_aside_and_the_rest_go_on(db, make_spool,
                                                                     monkeypatch, tmp_path,
                                                                     caplog):
    """A value the database cannot hold (PostgreSQL refuses a NUL in text) must not block the
    spool forever: that row is written to rejected.damaged and logged, the others stored."""
    dbapi = db.engine.dialect.loaded_dbapi
    real = {"run": deliveries._RawInsert.run, "copy": deliveries._RawInsert.copy}

    def picky(way):
        def write(self, batch):
            if any(row["delivery_id"] == "spool-bad" for row in batch):
                raise dbapi.DataError("invalid byte sequence")
            return real[way](self, batch)
        return write

    for way in real:  # COPY (PostgreSQL) and INSERT
        monkeypatch.setattr(deliveries._RawInsert, way, picky(way))
    s = make_spool()
    s.stopping.set()
    for n in ("a", "bad", "b"):
        s.append("shopify", meta(n), HEADERS, BODY, None, utcnow())
    with caplog.at_level(logging.ERROR, logger="arrosto.shops.spool"):
        assert s.drain() == 3
    assert sorted(r.delivery_id for r in rows(db)) == ["spool-a", "spool-b"]
    kept, _, damage = spool.decode((tmp_path / "spool" / "rejected.damaged").read_bytes())
    assert [r["delivery_id"] for r in kept] == ["spool-bad"] and damage is None
    assert "spool-bad" in caplog.text and "DataError" in caplog.text


def test_adoption_starts_where_the_dead_process_had_got_to(db, make_spool, tmp_path):
    """The file notes how far it is in the database: an adopter does not insert again what
    was already moved (and since deleted, say by a shop's erasure)."""
    dead = make_spool()
    dead.stopping.set()
    for n in range(2):
        dead.append("shopify", meta(n), HEADERS, BODY, None, utcnow())
    dead.drain()
    with db.transaction() as s:
        for row in s.scalars(select(WebhookDelivery)):
            s.delete(row)  # erased after they were moved
    dead.append("shopify", meta("late"), HEADERS, BODY, None, utcnow())
    os.close(dead.fd)
    dead.fd = None
    assert adopt_orphans(db, tmp_path / "spool") == 1
    assert [r.delivery_id for r in rows(db)] == ["spool-late"]


def test_a_file_without_our_header_is_kept_aside(db, tmp_path, caplog):
    directory = tmp_path / "spool"
    directory.mkdir()
    (directory / "1-1.spool").write_bytes(b"not a spool file")
    with caplog.at_level(logging.ERROR, logger="arrosto.shops.spool"):
        assert adopt_orphans(db, directory) == 0
    assert [p.name for p in directory.iterdir()] == ["1-1.damaged"]
    assert "no spool header" in caplog.text


def test_a_forked_child_lets_go_of_its_parents_spool(db, make_spool):
    """A child forked after the parent spooled (gunicorn with --preload) neither writes to the
    parent's file nor keeps its lock alive: it opens its own on its first delivery."""
    s = make_spool()
    s.stopping.set()
    s.append("shopify", meta(1), HEADERS, BODY, None, utcnow())
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through its exit code
        os._exit(0 if (s.fd, s.pid, s.size, len(s.recent)) == (None, 0, 0, 0) else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    other = os.open(s.path, os.O_RDWR)
    try:
        with pytest.raises(BlockingIOError):  # still the parent's, locked
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(other)
    s.flush()
    assert [r.delivery_id for r in rows(db)] == ["spool-1"]


def test_a_batch_with_a_repeat_already_stored_still_stores_the_rest(db, make_spool,
                                                                    monkeypatch):
    """On PostgreSQL the spool moves a batch with one binary COPY, which a delivery id already
    in the table (a repeat that reached another worker) refuses whole: the batch is then
    stored with INSERT … ON CONFLICT DO NOTHING, the new deliveries once, the repeat not again.
    On SQLite, the INSERT is the only way."""
    copies, real_copy = [], deliveries._RawInsert.copy

    def counted(self, batch):
        copies.append(len(batch))
        return real_copy(self, batch)

    monkeypatch.setattr(deliveries._RawInsert, "copy", counted)
    first = make_spool()
    first.stopping.set()
    first.append("shopify", meta("seen"), HEADERS, BODY, None, utcnow())
    assert first.drain() == 1
    other = make_spool()  # another worker's spool, which has not seen it
    other.stopping.set()
    for n in ("new-1", "seen", "new-2"):
        other.append("shopify", meta(n), HEADERS, BODY, None, utcnow())
    assert other.drain() == 3
    stored = sorted(r.delivery_id for r in rows(db))
    assert stored == ["spool-new-1", "spool-new-2", "spool-seen"]
    # COPY on PostgreSQL (the second one refused whole), never on SQLite
    assert copies == ([1, 3] if db.engine.dialect.name == "postgresql" else [])


def test_an_unfinished_file_of_a_dead_process_is_deleted(db, make_spool, tmp_path):
    """A process killed while opening its spool file leaves a .new file, which holds no
    delivery (records are appended once it is renamed .spool): the next look deletes it once
    it is a minute old and unlocked, and leaves a fresh or a locked one alone."""
    directory = tmp_path / "spool"
    directory.mkdir()
    old, fresh, locked = (directory / f"{n}.new" for n in ("1-1", "2-2", "3-3"))
    for path in (old, fresh, locked):
        path.write_bytes(spool.MAGIC + spool.DONE.pack(spool.FILE_HEADER))
    an_hour_ago = time.time() - 3600
    for path in (old, locked):
        os.utime(path, (an_hour_ago, an_hour_ago))
    holder = os.open(locked, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)  # its process is alive
    try:
        assert adopt_orphans(db, directory) == 0
    finally:
        os.close(holder)
    assert sorted(p.name for p in directory.iterdir()) == ["2-2.new", "3-3.new"]
