"""The database: engine, sessions, the shop scope and migrations.

Shop data is read through a session that knows its shop: ``shop_session(shop_id)`` adds
``shop_id = ?`` to every query on a :class:`~arrosto.models.ShopOwned` table and stamps new rows;
``all_shops_session()`` is the explicit, greppable exception for jobs that span shops. A session
with neither refuses to query shop tables, so forgetting the shop filter raises instead of leaking.
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria

from .errors import ServiceUnavailable, UnscopedQuery
from .models import Base, ShopOwned

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


class Database:
    """One per app: the engine and the session factory."""

    def __init__(self, url: str, *, schema: str | None = None, echo: bool = False):
        self.url = url
        self.schema = schema
        kwargs: dict = {"echo": echo, "future": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        else:
            # no pre-ping round trip per checkout: a connection lost in a database restart is
            # detected on use, the pool invalidated, and the caller retries (jobs, webhooks)
            kwargs.update(pool_size=5, max_overflow=10, pool_recycle=3600)
        self.engine: Engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        if schema:
            event.listen(self.engine, "connect", _search_path(schema))
        self._factory = sessionmaker(self.engine, expire_on_commit=False)

    # sessions ------------------------------------------------------------------------------------
    def session(self) -> Session:
        """A session for tables that belong to no shop (shops, deliveries, auth states)."""
        return self._factory()

    def shop_session(self, shop_id: int) -> Session:
        if not isinstance(shop_id, int):
            raise TypeError(f"shop_id must be an int, not {type(shop_id).__name__}")
        return self._factory(info={"shop_id": shop_id})

    def all_shops_session(self) -> Session:
        return self._factory(info={"all_shops": True})

    @contextlib.contextmanager
    def transaction(self, shop_id: int | None = None, *, all_shops: bool = False
                    ) -> Iterator[Session]:
        """``with db.transaction(shop_id) as s:`` commits on success, rolls back on error."""
        if all_shops:
            session = self.all_shops_session()
        elif shop_id is not None:
            session = self.shop_session(shop_id)
        else:
            session = self.session()
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    # schema --------------------------------------------------------------------------------------
    def ping(self) -> None:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any driver error means "not reachable"
            raise ServiceUnavailable(
                f"ARROSTO_DATABASE_URL: cannot connect to the database at "
                f"{self.engine.url.render_as_string(hide_password=True)} "
                f"({type(exc).__name__}: {str(exc).splitlines()[0][:200]})") from None

    def alembic_config(self):
        from alembic.config import Config  # imported on use: web and worker never need it

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["engine"] = self.engine
        return cfg

    def upgrade(self, revision: str = "head") -> None:
        if self.schema:
            with self.engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
        from alembic import command

        command.upgrade(self.alembic_config(), revision)

    def downgrade(self, revision: str = "base") -> None:
        from alembic import command

        command.downgrade(self.alembic_config(), revision)

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _search_path(schema: str):
    def on_connect(dbapi_conn, _record) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f'SET search_path TO "{schema}"')
        cur.close()
        dbapi_conn.commit()
    return on_connect


def _is_shop_owned(mapper) -> bool:
    return issubclass(mapper.class_, ShopOwned)


@event.listens_for(Session, "do_orm_execute")
def _scope_to_shop(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    info = state.session.info
    if info.get("all_shops") or state.execution_options.get("all_shops"):
        return
    shop_id = info.get("shop_id")
    if shop_id is None:
        touched = [m.class_.__name__ for m in state.all_mappers if _is_shop_owned(m)]
        if touched:
            raise UnscopedQuery(
                f"query on {', '.join(sorted(set(touched)))} without a shop: use "
                "db.shop_session(shop_id) (or all_shops_session() in cross-shop jobs)")
        return
    state.statement = state.statement.options(
        with_loader_criteria(ShopOwned, lambda cls: cls.shop_id == shop_id, include_aliases=True))


@event.listens_for(Session, "before_flush")
def _stamp_shop(session: Session, _ctx, _instances) -> None:
    shop_id = session.info.get("shop_id")
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, ShopOwned):
            continue
        if shop_id is None:
            # cross-shop jobs may write rows that name their shop; a bare session may not
            if not session.info.get("all_shops") or obj.shop_id is None:
                raise UnscopedQuery(
                    f"writing a {type(obj).__name__} without a shop scope: use "
                    "db.shop_session(shop_id)")
        elif obj.shop_id is None:
            obj.shop_id = shop_id
        elif obj.shop_id != shop_id:
            raise UnscopedQuery(
                f"a {type(obj).__name__} of shop {obj.shop_id} written in shop {shop_id}'s session")


def metadata():
    return Base.metadata


def dialect_insert(dialect_name: str):
    """The dialect's ``insert`` (PostgreSQL's or SQLite's), for ``ON CONFLICT`` clauses."""
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert if dialect_name == "postgresql" else sqlite.insert
