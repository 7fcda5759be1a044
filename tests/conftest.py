"""Shared fixtures: ``settings``, ``app``, ``db``, ``client``, ``runner``, ``demo_shop``.

SQLite by default (a migrated template copied per test; ``demo_shop``: a copy of a database
with the demo roastery loaded, built once per run). With ``ARROSTO_DATABASE_URL`` set to
PostgreSQL, each run migrates its own schema (dropped at the end) and tables are emptied after
each test, so retried or parallel runs never collide. With ``ARROSTO_REDIS_URL`` the job queue
uses a name of its own per run.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from arrosto import outbound
from arrosto.app import create_app
from arrosto.db import Database
from arrosto.demo import DemoResult, load_demo
from arrosto.models import Base

DATABASE_URL = os.environ.get("ARROSTO_DATABASE_URL") or None
REDIS_URL = os.environ.get("ARROSTO_REDIS_URL") or None
RUN_ID = f"t{os.getpid()}_{uuid.uuid4().hex[:8]}"
SECRET = "test-secret-key-0123456789abcdef"
ON_POSTGRES = bool(DATABASE_URL and DATABASE_URL.startswith("postgresql"))


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """A migrated database: a SQLite file to copy, or a PostgreSQL schema of this run."""
    if ON_POSTGRES:
        schema = f"arrosto_{RUN_ID}"
        db = Database(DATABASE_URL, schema=schema)
        db.upgrade()
        db.dispose()
        yield {"database_url": DATABASE_URL, "database_schema": schema}
        engine = create_engine(DATABASE_URL)
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "arrosto.db"
        db = Database(f"sqlite:///{path}")
        db.upgrade()
        db.dispose()
        yield {"template": path}


def _base_settings(instance_path: Path) -> dict:
    values = {"testing": True, "secret_key": SECRET, "instance_path": instance_path,
              "jobs_immediate": True, "jobs_queue_name": f"arrosto_{RUN_ID}",
              "public_url": "http://localhost", "log_level": "WARNING"}
    if REDIS_URL:
        values["redis_url"] = REDIS_URL
    return values


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory, database_template) -> dict | None:
    """On SQLite, a migrated database with the demo roastery loaded through the real sync and
    import (``arrosto.demo.load_demo``), once per run; ``None`` on PostgreSQL, where each test
    that asks for ``demo_shop`` loads the demo itself."""
    if ON_POSTGRES:
        return None
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "arrosto.db"
    shutil.copy(database_template["template"], path)
    app = create_app({**_base_settings(folder / "instance"), "database_url": f"sqlite:///{path}"})
    result = load_demo(app.extensions["arrosto.db"], folder / "instance")
    app.extensions["arrosto.db"].dispose()
    return {"template": path, "result": result}


@pytest.fixture
def settings(request, tmp_path, database_template) -> dict:
    """Overrides for create_app: a fresh database and instance folder for every test (with the
    demo loaded when the test asks for ``demo_shop``)."""
    values = _base_settings(tmp_path / "instance")
    if ON_POSTGRES:
        values["database_url"] = database_template["database_url"]
        values["database_schema"] = database_template["database_schema"]
    else:
        template = database_template["template"]
        if "demo_shop" in request.fixturenames:
            template = request.getfixturevalue("demo_template")["template"]
        path = tmp_path / "arrosto.db"
        shutil.copy(template, path)
        values["database_url"] = f"sqlite:///{path}"
    return values


@pytest.fixture
def demo_shop(request, settings, tmp_path) -> DemoResult:
    """The demo roastery in this test's database, as ``load_demo`` left it: on SQLite the
    database was copied from ``demo_template`` (no loading per test); on PostgreSQL it is
    loaded now. Any app the test builds (``app``, ``db``, ``make_app``) sees it."""
    template = request.getfixturevalue("demo_template")
    if template is not None:
        return template["result"]
    return load_demo(request.getfixturevalue("db"), tmp_path)


@pytest.fixture(autouse=True)
def _outbound_rule_of_production():
    """Every test starts with production's rule for outbound requests (arrosto.outbound): no
    loopback, no plain http; an app built with ``allow_loopback_hosts`` or the
    ``allow_loopback`` fixture changes it for that test."""
    outbound.configure(allow_loopback=False)


@pytest.fixture
def allow_loopback(settings):
    """ARROSTO_ALLOW_LOOPBACK_HOSTS for this test: for the apps it builds and for connectors
    used without one (fakes served on 127.0.0.1, cassettes recorded at localhost)."""
    settings["allow_loopback_hosts"] = True
    outbound.configure(allow_loopback=True)


@pytest.fixture
def make_app(settings):
    """Build apps on this test's database (more than one for key-rotation tests); cleans up."""
    apps = []

    def make(**overrides):
        app = create_app({**settings, **overrides})
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["arrosto.db"].dispose()
    if ON_POSTGRES and apps:
        from arrosto import crypto

        crypto.configure([settings["secret_key"]])
        db = Database(settings["database_url"], schema=settings["database_schema"])
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        db.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def db(app) -> Database:
    return app.extensions["arrosto.db"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def env_for_subprocess(settings) -> dict[str, str]:
    """Environment for running ``arrosto`` in a child process against the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARROSTO_")}
    for key, value in settings.items():
        if key in ("testing", "jobs_immediate"):
            continue
        env[f"ARROSTO_{key.upper()}"] = str(value)
    env["ARROSTO_ENV_FILE"] = "/nonexistent.env"
    return env


def pytest_report_header(config) -> str:
    return (f"arrosto: database {'PostgreSQL' if ON_POSTGRES else 'SQLite'}, "
            f"queue {'Redis' if REDIS_URL else 'SQLite/memory'}")


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
