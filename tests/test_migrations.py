"""Migrations go up from empty and back down to base, and match the models."""
from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from arrosto.db import Database
from arrosto.models import Base

from .conftest import DATABASE_URL, ON_POSTGRES


def fresh_database(tmp_path):
    if ON_POSTGRES:
        schema = f"arrosto_mig_{uuid.uuid4().hex[:8]}"
        return Database(DATABASE_URL, schema=schema), schema
    return Database(f"sqlite:///{tmp_path / 'mig.db'}"), None


def drop_schema(schema):
    if schema:
        engine = create_engine(DATABASE_URL)
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


def test_upgrade_from_empty_then_downgrade_to_base(tmp_path):
    db, schema = fresh_database(tmp_path)
    try:
        db.upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        assert db.current_revision() is not None
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        db.downgrade("base")
        assert db.current_revision() is None
        assert set(inspect(db.engine).get_table_names()) - {"alembic_version"} == set()
        db.upgrade()  # and up again
        assert set(Base.metadata.tables) <= set(inspect(db.engine).get_table_names())
    finally:
        db.dispose()
        drop_schema(schema)


def test_delivery_bodies_stay_inline_on_postgresql(tmp_path):
    """0005: PostgreSQL keeps a webhook body of a few kilobytes inline and uncompressed (the
    receiver's insert no longer compresses it into the TOAST table); down again resets it."""
    if not ON_POSTGRES:
        pytest.skip("SQLite has no TOAST: the revision does nothing there")
    db, schema = fresh_database(tmp_path)

    def options():
        with db.engine.connect() as conn:
            return conn.scalar(text(
                "SELECT reloptions FROM pg_class WHERE oid = 'webhook_deliveries'::regclass"))

    try:
        db.upgrade()
        assert options() == ["toast_tuple_target=8160"]
        db.downgrade("0004")
        assert options() is None
    finally:
        db.dispose()
        drop_schema(schema)
