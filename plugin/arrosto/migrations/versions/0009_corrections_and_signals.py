"""signals, aspects and the owner's corrections

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 17:00:00

The classifier now reads more than an intent: ``posts.signals`` (restock request, resolved,
sarcasm), ``posts.aspects`` (delivery, packaging, quality, ...) and ``posts.sentiment_label``.
``post_corrections`` holds what the owner said about a post ("not a complaint", "this is a
question", "already resolved", "not about us") with what it changed, so it can be undone;
``classifier_overlays`` the per-shop adjustment built from them (one row a shop, never
shared). ``cases.resolved_by`` says who closed a case: the owner, the customer ("tutto risolto,
grazie") or a correction.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import arrosto.models

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signals', json, server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('aspects', json, server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('sentiment_label', sa.String(length=10), nullable=True))
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolved_by', sa.String(length=20), nullable=True))

    op.create_table('post_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=20), nullable=False),
    sa.Column('intent', sa.String(length=20), nullable=True),
    sa.Column('before', json, nullable=False),
    sa.Column('corrected_by', sa.String(length=100), nullable=False),
    sa.Column('corrected_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_corrections_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_post_corrections_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_corrections')),
    sa.UniqueConstraint('shop_id', 'post_id', name=op.f('uq_post_corrections_shop_id_post_id'))
    )
    with op.batch_alter_table('post_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_corrections_shop_id'), ['shop_id'], unique=False)

    op.create_table('classifier_overlays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vectors', sa.LargeBinary(), nullable=False),
    sa.Column('labels', json, nullable=False),
    sa.Column('corrections', sa.Integer(), nullable=False),
    sa.Column('built_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_classifier_overlays_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_classifier_overlays')),
    sa.UniqueConstraint('shop_id', name=op.f('uq_classifier_overlays_shop_id'))
    )
    with op.batch_alter_table('classifier_overlays', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_classifier_overlays_shop_id'), ['shop_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('classifier_overlays', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_classifier_overlays_shop_id'))
    op.drop_table('classifier_overlays')
    with op.batch_alter_table('post_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_corrections_shop_id'))
    op.drop_table('post_corrections')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('resolved_by')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('sentiment_label')
        batch_op.drop_column('aspects')
        batch_op.drop_column('signals')
