"""admin sessions on the server; wc-auth keys pending on their auth state

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 10:00:00

``admin_sessions``: a standalone admin sign-in is a row (only the digest of the cookie's random
id), so logout, "sign out everywhere", a WooCommerce key replacement and an uninstall end it on
the server. ``auth_states`` gains the keys a wc-auth callback posted, encrypted, kept there until
a job has verified them on the store; only then do they reach a shop. Existing cookie sessions
carry no id and sign in again.
"""
from alembic import op
import sqlalchemy as sa
import arrosto.models

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('admin_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('expires_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_admin_sessions_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_sessions')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_admin_sessions_token_digest'))
    )
    with op.batch_alter_table('admin_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_sessions_shop_id'), ['shop_id'], unique=False)

    with op.batch_alter_table('auth_states', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('consumer_key', arrosto.models.EncryptedText(), nullable=True))
        batch_op.add_column(sa.Column('consumer_secret', arrosto.models.EncryptedText(), nullable=True))
        batch_op.add_column(sa.Column('key_permissions', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('keys_received_at', arrosto.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('verified_at', arrosto.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('refused_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('connected_shop_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_auth_states_connected_shop_id_shops'), 'shops', ['connected_shop_id'], ['id'], ondelete='CASCADE')


def downgrade() -> None:
    with op.batch_alter_table('auth_states', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_auth_states_connected_shop_id_shops'), type_='foreignkey')
        batch_op.drop_column('connected_shop_id')
        batch_op.drop_column('refused_reason')
        batch_op.drop_column('verified_at')
        batch_op.drop_column('keys_received_at')
        batch_op.drop_column('key_permissions')
        batch_op.drop_column('consumer_secret')
        batch_op.drop_column('consumer_key')
        batch_op.drop_column('key_id')

    with op.batch_alter_table('admin_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admin_sessions_shop_id'))

    op.drop_table('admin_sessions')
