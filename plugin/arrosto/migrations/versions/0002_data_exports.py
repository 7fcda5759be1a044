"""data exports

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:30:15.330414
"""
from alembic import op
import sqlalchemy as sa
import arrosto.models
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('data_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_key', sa.String(length=255), nullable=False),
    sa.Column('customer_external_id', sa.String(length=100), nullable=True),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('downloaded_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_data_exports_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_exports')),
    sa.UniqueConstraint('shop_id', 'request_key', name=op.f('uq_data_exports_shop_id_request_key'))
    )
    with op.batch_alter_table('data_exports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_exports_shop_id'), ['shop_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('data_exports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_exports_shop_id'))

    op.drop_table('data_exports')

