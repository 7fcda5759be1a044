"""verification page tries counted by conditional updates

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 11:00:00

The "is this your order?" limits were counts of ``verification_attempts`` rows read before the
insert, which concurrent tries all passed on SQLite (30 parallel tries recorded 8 against a limit
of 5). ``cases.verify_tries`` is now taken by one ``UPDATE … WHERE verify_tries < limit`` and
``verification_windows`` holds each address's tries in its current hour, taken by one
conditional upsert. Both start from the attempts already recorded.
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

import arrosto.models

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verify_tries', sa.Integer(), server_default='0',
                                      nullable=False))
    op.create_table('verification_windows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_digest', sa.String(length=64), nullable=False),
    sa.Column('window_start', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_verification_windows_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_windows')),
    sa.UniqueConstraint('shop_id', 'client_digest', name=op.f('uq_verification_windows_shop_id_client_digest'))
    )
    with op.batch_alter_table('verification_windows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verification_windows_shop_id'), ['shop_id'], unique=False)

    op.execute("UPDATE cases SET verify_tries = (SELECT count(*) FROM verification_attempts "
               "WHERE verification_attempts.case_id = cases.id)")
    attempts = sa.table('verification_attempts', sa.column('shop_id', sa.Integer()),
                        sa.column('client_digest', sa.String()),
                        sa.column('created_at', arrosto.models.UTCDateTime()))
    windows = sa.table('verification_windows', sa.column('shop_id', sa.Integer()),
                       sa.column('client_digest', sa.String()),
                       sa.column('window_start', arrosto.models.UTCDateTime()),
                       sa.column('tries', sa.Integer()))
    last_hour = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    op.execute(windows.insert().from_select(
        ['shop_id', 'client_digest', 'window_start', 'tries'],
        sa.select(attempts.c.shop_id, attempts.c.client_digest,
                  sa.func.min(attempts.c.created_at), sa.func.count())
        .where(attempts.c.created_at >= last_hour)
        .group_by(attempts.c.shop_id, attempts.c.client_digest)))


def downgrade() -> None:
    with op.batch_alter_table('verification_windows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verification_windows_shop_id'))

    op.drop_table('verification_windows')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('verify_tries')
