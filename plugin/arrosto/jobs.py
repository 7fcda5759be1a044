"""Background jobs with Huey: SqliteHuey in the instance folder by default, RedisHuey with
``ARROSTO_REDIS_URL``, inline with ``ARROSTO_JOBS_IMMEDIATE`` (tests, demo).

Jobs take ids, never objects, and are idempotent (a database uniqueness constraint is the final
guard). Periodic jobs are declared once, as data, in :data:`SCHEDULE`: a one-minute ``tick`` claims
each due entry with a compare-and-swap on ``schedule_runs``, so any number of workers run it once.
"""
from __future__ import annotations

import datetime as dt
import functools
import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from huey import Huey, crontab
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import event as sa_event
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .errors import ConfigError, ServiceUnavailable
from .models import ScheduleRun, utcnow

if TYPE_CHECKING:
    from flask import Flask

    from .db import Database
    from .settings import Settings

log = logging.getLogger(__name__)

huey = Huey("arrosto", storage_class=MemoryStorage, results=False, utc=True)
_app: Flask | None = None


# Every module that declares jobs, imported at start so a worker knows every task by name.
JOB_MODULES = (
    "arrosto.shops.jobs",
    "arrosto.shops.install",
    "arrosto.shops.deliveries",
    "arrosto.shops.reconcile",
    "arrosto.listening.pipeline",
    "arrosto.outbox.send",
    "arrosto.support.sla",
    "arrosto.promotions.outreach",
    "arrosto.digest.schedule",
)


def init_app(app: Flask) -> None:
    global _app
    for module in JOB_MODULES:
        importlib.import_module(module)
    settings: Settings = app.config["ARROSTO"]
    huey.immediate = settings.jobs_immediate
    if not settings.jobs_immediate:
        huey.storage = _storage(settings)
    _app = app


def _storage(settings: Settings):
    name = settings.jobs_queue_name
    if settings.redis_url:
        return RedisStorage(name, url=settings.redis_url)
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    return SqliteStorage(name, filename=str(settings.instance_path / "jobs.db"))


def check_queue() -> None:
    """Raise ServiceUnavailable if the queue's backend does not answer."""
    storage = huey.storage
    try:
        if isinstance(storage, RedisStorage):
            storage.conn.ping()
        else:
            storage.queue_size()
    except Exception as exc:  # noqa: BLE001 - any client error means "not reachable"
        target = "ARROSTO_REDIS_URL" if isinstance(storage, RedisStorage) else "job queue"
        raise ServiceUnavailable(
            f"{target}: the job queue does not answer ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200]})") from None


def app() -> Flask:
    """The Flask app this process runs jobs for (set by create_app)."""
    if _app is None:
        raise ConfigError("no Arrosto app configured in this process (call create_app first)")
    return _app


def database() -> Database:
    return app().extensions["arrosto.db"]


def job(**task_options) -> Callable:
    """Declare a background job; it runs inside the app context of this process."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def run(*args, **kwargs):
            from flask import has_app_context

            if has_app_context():
                return fn(*args, **kwargs)
            with app().app_context():
                return fn(*args, **kwargs)

        return huey.task(name=fn.__name__, **task_options)(run)

    return decorate


# --- the schedule -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Periodic:
    """A periodic job: ``target`` is "module:function" (a job), ``every`` reads the interval."""

    name: str
    target: str
    every: Callable[[Settings], dt.timedelta]


SCHEDULE: list[Periodic] = [
    Periodic("webhooks.pending", "arrosto.shops.deliveries:process_pending_job",
             lambda s: dt.timedelta(minutes=5)),
    Periodic("shops.reconcile", "arrosto.shops.reconcile:reconcile_all_job",
             lambda s: dt.timedelta(minutes=s.reconcile_interval_minutes)),
    Periodic("shops.discounts", "arrosto.shops.reconcile:refresh_all_discounts_job",
             lambda s: dt.timedelta(minutes=s.reconcile_interval_minutes)),
    Periodic("listening", "arrosto.listening.pipeline:listen_all_job",
             lambda s: dt.timedelta(minutes=s.listen_interval_minutes)),
    Periodic("support.sla", "arrosto.support.sla:flag_overdue_job",
             lambda s: dt.timedelta(minutes=15)),
    Periodic("outbox.requeue", "arrosto.outbox.send:requeue_stuck_job",
             lambda s: dt.timedelta(minutes=5)),
    Periodic("promotions.outbox", "arrosto.promotions.outreach:send_outreach_job",
             lambda s: dt.timedelta(minutes=1)),
    # old auth states (and wc-auth keys a store never confirmed), expired admin sessions
    Periodic("sign-ins.prune", "arrosto.shops.install:prune_job",
             lambda s: dt.timedelta(hours=6)),
    # each shop's digest goes out once per local date (digest/schedule.py)
    Periodic("digest", "arrosto.digest.schedule:send_due_digests_job",
             lambda s: dt.timedelta(hours=1)),
]


def claim(db: Database, name: str, interval: dt.timedelta, now: dt.datetime | None = None) -> bool:
    """True for exactly one caller per interval, however many workers ask at once."""
    now = now or utcnow()
    with db.transaction() as session:
        result = session.execute(
            update(ScheduleRun)
            .where(ScheduleRun.name == name, ScheduleRun.last_run_at <= now - interval)
            .values(last_run_at=now))
        if result.rowcount == 1:
            return True
    try:
        with db.transaction() as session:
            session.execute(insert(ScheduleRun).values(name=name, last_run_at=now))
        return True
    except IntegrityError:
        return False


def run_due(db: Database, settings: Settings, now: dt.datetime | None = None) -> list[str]:
    """Enqueue every periodic job that is due; returns the names enqueued."""
    started = []
    for entry in SCHEDULE:
        if claim(db, entry.name, entry.every(settings), now):
            module, func = entry.target.split(":")
            getattr(importlib.import_module(module), func)()
            started.append(entry.name)
    return started


@huey.periodic_task(crontab(minute="*"), name="arrosto.tick")
def tick() -> None:
    with app().app_context():
        names = run_due(database(), app().config["ARROSTO"])
        if names:
            log.info("periodic jobs started: %s", ", ".join(names))


# --- after the commit ---------------------------------------------------------------------------

_PENDING = "arrosto.after_commit"


def after_commit(s: Session, job: Callable[..., Any], *args: Any) -> None:
    """Enqueue ``job(*args)`` once ``s`` has committed (nothing if it rolls back): the job may
    call a platform's API and write in a transaction of its own. How an event handler, which
    runs inside its caller's transaction, starts slow work."""
    pending = s.info.setdefault(_PENDING, [])
    if (job, args) not in pending:
        pending.append((job, args))


@sa_event.listens_for(Session, "after_commit")
def _enqueue_pending(session: Session) -> None:
    for job, args in session.info.pop(_PENDING, []):
        try:
            job(*args)
        except Exception:  # noqa: BLE001 - committed already; the periodic jobs catch up
            log.exception("could not enqueue %s%r", getattr(job, "name", job), args)


@sa_event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
