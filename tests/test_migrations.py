"""Migrations go up from empty and back down to base, and match the models."""
from __future__ import annotations

import uuid

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
