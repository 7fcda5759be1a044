"""redactions that stick

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 15:00:00

After ``customers/redact`` a later ``orders/updated``, ``customers/update`` or sync put the
customer's name, e-mail and postcode back: only the customer row remembered the redaction, and
only ``upsert_customers`` looked. ``redactions`` remembers each erased customer by the platform's
customer id, the ids of their orders and a digest of their e-mail, so every later write is
checked. The customers already erased are carried over by their id (their e-mail is gone).
"""
import sqlalchemy as sa
from alembic import op

import arrosto.models

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('redactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('ref', sa.String(length=100), nullable=False),
    sa.Column('redacted_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_redactions_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redactions')),
    sa.UniqueConstraint('shop_id', 'kind', 'ref', name=op.f('uq_redactions_shop_id_kind_ref'))
    )
    with op.batch_alter_table('redactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_redactions_shop_id'), ['shop_id'], unique=False)

    customers = sa.table('customers', sa.column('shop_id', sa.Integer()),
                         sa.column('external_id', sa.String()),
                         sa.column('redacted_at', arrosto.models.UTCDateTime()))
    redactions = sa.table('redactions', sa.column('shop_id', sa.Integer()),
                          sa.column('kind', sa.String()), sa.column('ref', sa.String()),
                          sa.column('redacted_at', arrosto.models.UTCDateTime()))
    op.execute(redactions.insert().from_select(
        ['shop_id', 'kind', 'ref', 'redacted_at'],
        sa.select(customers.c.shop_id, sa.literal('customer'), customers.c.external_id,
                  customers.c.redacted_at).where(customers.c.redacted_at.is_not(None))))


def downgrade() -> None:
    with op.batch_alter_table('redactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_redactions_shop_id'))

    op.drop_table('redactions')
