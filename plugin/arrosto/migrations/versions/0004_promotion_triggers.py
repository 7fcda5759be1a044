"""promotion triggers: the stock status a back-in-stock trigger compares with

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 11:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('in_stock', sa.Boolean(), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('in_stock')
