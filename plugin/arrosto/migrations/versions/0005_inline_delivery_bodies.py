"""webhook delivery bodies stored inline on PostgreSQL

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 12:40:00

A webhook body is a few kilobytes of JSON. With PostgreSQL's default ``toast_tuple_target``
(about 2 kB) every delivery's body was compressed and moved to the TOAST table as the receiver
stored it, which cost the database server about a quarter of its CPU per delivery
(benchmarks/webhooks.py). Rows up to a page now stay inline and uncompressed; larger ones are
compressed and moved out of line as before. SQLite has no such setting.
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE webhook_deliveries SET (toast_tuple_target = 8160)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE webhook_deliveries RESET (toast_tuple_target)")
