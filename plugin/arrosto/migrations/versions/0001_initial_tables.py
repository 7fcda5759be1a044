"""initial tables

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 12:19:45.555854
"""
from alembic import op
import sqlalchemy as sa
import arrosto.models
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('auth_states',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('nonce', sa.String(length=128), nullable=False),
    sa.Column('shop_domain', sa.String(length=255), nullable=False),
    sa.Column('browser_digest', sa.String(length=64), nullable=True),
    sa.Column('created_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('used_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_states')),
    sa.UniqueConstraint('nonce', name=op.f('uq_auth_states_nonce'))
    )
    op.create_table('schedule_runs',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('last_run_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_schedule_runs'))
    )
    op.create_table('shops',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('domain', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('store_url', sa.String(length=500), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('access_token', arrosto.models.EncryptedText(), nullable=True),
    sa.Column('access_token_expires_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('refresh_token', arrosto.models.EncryptedText(), nullable=True),
    sa.Column('refresh_token_expires_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('token_version', sa.Integer(), nullable=False),
    sa.Column('api_key', arrosto.models.EncryptedText(), nullable=True),
    sa.Column('api_secret', arrosto.models.EncryptedText(), nullable=True),
    sa.Column('webhook_secret', arrosto.models.EncryptedText(), nullable=True),
    sa.Column('scopes', sa.Text(), nullable=True),
    sa.Column('brand_terms', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('settings', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('installed_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('uninstalled_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('created_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shops')),
    sa.UniqueConstraint('platform', 'domain', name=op.f('uq_shops_platform_domain'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('last_used_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_api_tokens_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_api_tokens_token_digest'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_shop_id'), ['shop_id'], unique=False)

    op.create_table('customers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('first_name', sa.String(length=255), nullable=True),
    sa.Column('last_name', sa.String(length=255), nullable=True),
    sa.Column('phone', sa.String(length=64), nullable=True),
    sa.Column('city', sa.String(length=255), nullable=True),
    sa.Column('postcode', sa.String(length=32), nullable=True),
    sa.Column('accepts_marketing', sa.Boolean(), nullable=False),
    sa.Column('platform_updated_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('redacted_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_customers_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers')),
    sa.UniqueConstraint('shop_id', 'external_id', name=op.f('uq_customers_shop_id_external_id'))
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index('ix_customers_shop_email', ['shop_id', 'email'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_shop_id'), ['shop_id'], unique=False)

    op.create_table('digest_recipients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('unsubscribed_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_digest_recipients_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_recipients')),
    sa.UniqueConstraint('shop_id', 'email', name=op.f('uq_digest_recipients_shop_id_email'))
    )
    with op.batch_alter_table('digest_recipients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digest_recipients_shop_id'), ['shop_id'], unique=False)

    op.create_table('digest_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('sent_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('message_id', sa.String(length=255), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_digest_runs_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_runs')),
    sa.UniqueConstraint('shop_id', 'local_date', name=op.f('uq_digest_runs_shop_id_local_date'))
    )
    with op.batch_alter_table('digest_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digest_runs_shop_id'), ['shop_id'], unique=False)

    op.create_table('login_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('expires_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('used_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_login_tokens_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_tokens')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_login_tokens_token_digest'))
    )
    with op.batch_alter_table('login_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_tokens_shop_id'), ['shop_id'], unique=False)

    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('handle', sa.String(length=500), nullable=True),
    sa.Column('vendor', sa.String(length=255), nullable=True),
    sa.Column('product_type', sa.String(length=255), nullable=True),
    sa.Column('tags', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=True),
    sa.Column('price', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('compare_at_price', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('inventory_quantity', sa.Integer(), nullable=True),
    sa.Column('platform_updated_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('deleted_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('synced_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_products_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('shop_id', 'external_id', name=op.f('uq_products_shop_id_external_id'))
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_shop_id'), ['shop_id'], unique=False)

    op.create_table('social_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network', sa.String(length=20), nullable=False),
    sa.Column('handle', sa.String(length=255), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('display_name', sa.String(length=255), nullable=True),
    sa.Column('instance_url', sa.String(length=500), nullable=True),
    sa.Column('credentials', arrosto.models.EncryptedText(), nullable=True),
    sa.Column('session_string', arrosto.models.EncryptedText(), nullable=True),
    sa.Column('checkpoints', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('capabilities', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('read_budget_month', sa.String(length=7), nullable=True),
    sa.Column('reads_used', sa.Integer(), nullable=False),
    sa.Column('last_run_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_error_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('created_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_social_accounts_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_social_accounts')),
    sa.UniqueConstraint('shop_id', 'network', 'handle', name=op.f('uq_social_accounts_shop_id_network_handle'))
    )
    with op.batch_alter_table('social_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_social_accounts_shop_id'), ['shop_id'], unique=False)

    op.create_table('sync_bookmarks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource', sa.String(length=40), nullable=False),
    sa.Column('updated_since', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('cursor', sa.Text(), nullable=True),
    sa.Column('run_started_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('finished_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('items_synced', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_sync_bookmarks_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_bookmarks')),
    sa.UniqueConstraint('shop_id', 'resource', name=op.f('uq_sync_bookmarks_shop_id_resource'))
    )
    with op.batch_alter_table('sync_bookmarks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_bookmarks_shop_id'), ['shop_id'], unique=False)

    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=True),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('delivery_id', sa.String(length=255), nullable=False),
    sa.Column('topic', sa.String(length=100), nullable=False),
    sa.Column('shop_domain', sa.String(length=255), nullable=True),
    sa.Column('headers', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('received_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('processed_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_webhook_deliveries_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    sa.UniqueConstraint('platform', 'delivery_id', name=op.f('uq_webhook_deliveries_platform_delivery_id'))
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_shop_id'), ['shop_id'], unique=False)
        batch_op.create_index('ix_webhook_deliveries_state', ['state', 'received_at'], unique=False)

    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=False),
    sa.Column('number', sa.BigInteger(), nullable=True),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('shipping_name', sa.String(length=255), nullable=True),
    sa.Column('shipping_postcode', sa.String(length=32), nullable=True),
    sa.Column('shipping_city', sa.String(length=255), nullable=True),
    sa.Column('financial_status', sa.String(length=40), nullable=True),
    sa.Column('fulfillment_status', sa.String(length=40), nullable=True),
    sa.Column('cancelled_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=100), nullable=True),
    sa.Column('total_price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('discount_codes', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('landing_site', sa.Text(), nullable=True),
    sa.Column('created_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('platform_updated_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('synced_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_orders_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_orders_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('shop_id', 'external_id', name=op.f('uq_orders_shop_id_external_id'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_shop_created', ['shop_id', 'created_at'], unique=False)
        batch_op.create_index('ix_orders_shop_customer', ['shop_id', 'customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_shop_id'), ['shop_id'], unique=False)
        batch_op.create_index('ix_orders_shop_number', ['shop_id', 'number'], unique=False)

    op.create_table('product_keywords',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('term', sa.String(length=255), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('needs_context', sa.Boolean(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_keywords_product_id_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_product_keywords_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_keywords')),
    sa.UniqueConstraint('product_id', 'term', name=op.f('uq_product_keywords_product_id_term'))
    )
    with op.batch_alter_table('product_keywords', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_keywords_shop_id'), ['shop_id'], unique=False)

    op.create_table('product_variants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('sku', sa.String(length=255), nullable=True),
    sa.Column('price', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('compare_at_price', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('inventory_quantity', sa.Integer(), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_variants_product_id_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_product_variants_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_variants')),
    sa.UniqueConstraint('shop_id', 'external_id', name=op.f('uq_product_variants_shop_id_external_id'))
    )
    with op.batch_alter_table('product_variants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_variants_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_variants_shop_id'), ['shop_id'], unique=False)

    op.create_table('social_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('network', sa.String(length=20), nullable=False),
    sa.Column('handle', sa.String(length=255), nullable=False),
    sa.Column('author_id', sa.String(length=255), nullable=True),
    sa.Column('verified_by', sa.String(length=40), nullable=False),
    sa.Column('verified_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_social_identities_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_social_identities_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_social_identities')),
    sa.UniqueConstraint('shop_id', 'network', 'handle', name=op.f('uq_social_identities_shop_id_network_handle'))
    )
    with op.batch_alter_table('social_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_social_identities_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_social_identities_shop_id'), ['shop_id'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network', sa.String(length=20), nullable=False),
    sa.Column('author_id', sa.String(length=255), nullable=False),
    sa.Column('author_handle', sa.String(length=255), nullable=False),
    sa.Column('author_name', sa.String(length=255), nullable=True),
    sa.Column('thread_key', sa.String(length=255), nullable=False),
    sa.Column('intent', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('addresses_shop', sa.Boolean(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('link_confidence', sa.Double(), nullable=True),
    sa.Column('opened_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('last_message_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('first_response_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('resolved_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('sla_flagged_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_cases_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_cases_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_cases_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('shop_id', 'network', 'author_id', 'thread_key', name=op.f('uq_cases_shop_id_network_author_id_thread_key'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_shop_id'), ['shop_id'], unique=False)
        batch_op.create_index('ix_cases_shop_state', ['shop_id', 'state', 'opened_at'], unique=False)

    op.create_table('fulfillments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=True),
    sa.Column('shipment_status', sa.String(length=40), nullable=True),
    sa.Column('tracking_company', sa.String(length=100), nullable=True),
    sa.Column('tracking_number', sa.String(length=100), nullable=True),
    sa.Column('tracking_url', sa.String(length=1000), nullable=True),
    sa.Column('created_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_fulfillments_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_fulfillments_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fulfillments')),
    sa.UniqueConstraint('order_id', 'external_id', name=op.f('uq_fulfillments_order_id_external_id'))
    )
    with op.batch_alter_table('fulfillments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fulfillments_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fulfillments_shop_id'), ['shop_id'], unique=False)

    op.create_table('order_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('external_product_id', sa.String(length=100), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('variant_title', sa.String(length=500), nullable=True),
    sa.Column('sku', sa.String(length=255), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_lines_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_order_lines_product_id_products'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_order_lines_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_lines'))
    )
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_lines_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_lines_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_lines_shop_id'), ['shop_id'], unique=False)

    op.create_table('order_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('confidence', sa.Double(), nullable=False),
    sa.Column('reasons', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_order_links_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_links_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_order_links_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_links')),
    sa.UniqueConstraint('case_id', 'order_id', name=op.f('uq_order_links_case_id_order_id'))
    )
    with op.batch_alter_table('order_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_links_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_links_shop_id'), ['shop_id'], unique=False)

    op.create_table('posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network', sa.String(length=20), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('social_account_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.String(length=255), nullable=False),
    sa.Column('author_handle', sa.String(length=255), nullable=False),
    sa.Column('author_name', sa.String(length=255), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=True),
    sa.Column('created_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=True),
    sa.Column('reply_to_id', sa.String(length=255), nullable=True),
    sa.Column('thread_id', sa.String(length=255), nullable=True),
    sa.Column('metrics', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('addresses_shop', sa.Boolean(), nullable=False),
    sa.Column('is_own', sa.Boolean(), nullable=False),
    sa.Column('intent', sa.String(length=20), nullable=True),
    sa.Column('sentiment', sa.Double(), nullable=True),
    sa.Column('classified_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('fetched_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_posts_case_id_cases'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_posts_shop_id_shops'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['social_account_id'], ['social_accounts.id'], name=op.f('fk_posts_social_account_id_social_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_posts')),
    sa.UniqueConstraint('shop_id', 'network', 'external_id', name=op.f('uq_posts_shop_id_network_external_id'))
    )
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_posts_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_posts_shop_author', ['shop_id', 'network', 'author_id'], unique=False)
        batch_op.create_index('ix_posts_shop_created', ['shop_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_posts_shop_id'), ['shop_id'], unique=False)
        batch_op.create_index('ix_posts_shop_intent_created', ['shop_id', 'intent', 'created_at'], unique=False)

    op.create_table('verification_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('link_nonce', sa.String(length=64), nullable=False),
    sa.Column('client_digest', sa.String(length=64), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('created_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_verification_attempts_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_verification_attempts_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_attempts'))
    )
    with op.batch_alter_table('verification_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verification_attempts_client_digest'), ['client_digest'], unique=False)
        batch_op.create_index(batch_op.f('ix_verification_attempts_shop_id'), ['shop_id'], unique=False)
        batch_op.create_index('ix_verification_case_time', ['case_id', 'created_at'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('network', sa.String(length=20), nullable=False),
    sa.Column('social_account_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('in_reply_to_post_id', sa.Integer(), nullable=True),
    sa.Column('recipient_id', sa.String(length=255), nullable=True),
    sa.Column('recipient_handle', sa.String(length=255), nullable=True),
    sa.Column('audience_basis', sa.String(length=20), nullable=True),
    sa.Column('automated', sa.Boolean(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('attempt_started_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('approved_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('sent_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_messages_case_id_cases'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['in_reply_to_post_id'], ['posts.id'], name=op.f('fk_messages_in_reply_to_post_id_posts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_messages_shop_id_shops'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['social_account_id'], ['social_accounts.id'], name=op.f('fk_messages_social_account_id_social_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_messages_idempotency_key'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_shop_id'), ['shop_id'], unique=False)
        batch_op.create_index('ix_messages_shop_state', ['shop_id', 'state'], unique=False)

    op.create_table('opt_outs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network', sa.String(length=20), nullable=False),
    sa.Column('person_id', sa.String(length=255), nullable=False),
    sa.Column('handle', sa.String(length=255), nullable=True),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('created_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('confirmed_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_opt_outs_post_id_posts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_opt_outs_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opt_outs')),
    sa.UniqueConstraint('shop_id', 'network', 'person_id', name=op.f('uq_opt_outs_shop_id_network_person_id'))
    )
    with op.batch_alter_table('opt_outs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opt_outs_shop_id'), ['shop_id'], unique=False)

    op.create_table('post_products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('terms', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('post_created_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_products_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_post_products_product_id_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_post_products_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_products')),
    sa.UniqueConstraint('post_id', 'product_id', name=op.f('uq_post_products_post_id_product_id'))
    )
    with op.batch_alter_table('post_products', schema=None) as batch_op:
        batch_op.create_index('ix_post_products_product_time', ['shop_id', 'product_id', 'post_created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_post_products_shop_id'), ['shop_id'], unique=False)

    op.create_table('watchers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('network', sa.String(length=20), nullable=False),
    sa.Column('person_id', sa.String(length=255), nullable=False),
    sa.Column('handle', sa.String(length=255), nullable=False),
    sa.Column('consent_post_id', sa.Integer(), nullable=True),
    sa.Column('consent_text', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('consented_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['consent_post_id'], ['posts.id'], name=op.f('fk_watchers_consent_post_id_posts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_watchers_product_id_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_watchers_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watchers')),
    sa.UniqueConstraint('shop_id', 'product_id', 'network', 'person_id', name=op.f('uq_watchers_shop_id_product_id_network_person_id'))
    )
    with op.batch_alter_table('watchers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_watchers_shop_id'), ['shop_id'], unique=False)

    op.create_table('promotions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=30), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('code', sa.String(length=100), nullable=True),
    sa.Column('value', sa.String(length=100), nullable=True),
    sa.Column('starts_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('ends_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('approved_at', arrosto.models.UTCDateTime(), nullable=True),
    sa.Column('announcement_message_id', sa.Integer(), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('created_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['announcement_message_id'], ['messages.id'], name=op.f('fk_promotions_announcement_message_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_promotions_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotions')),
    sa.UniqueConstraint('shop_id', 'source', 'external_id', name=op.f('uq_promotions_shop_id_source_external_id'))
    )
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_promotions_shop_id'), ['shop_id'], unique=False)

    op.create_table('conversions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('promotion_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('revenue', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('matched_by', sa.String(length=20), nullable=False),
    sa.Column('created_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_conversions_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['promotion_id'], ['promotions.id'], name=op.f('fk_conversions_promotion_id_promotions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_conversions_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversions')),
    sa.UniqueConstraint('promotion_id', 'order_id', name=op.f('uq_conversions_promotion_id_order_id'))
    )
    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversions_shop_id'), ['shop_id'], unique=False)

    op.create_table('outreach',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('promotion_id', sa.Integer(), nullable=False),
    sa.Column('network', sa.String(length=20), nullable=False),
    sa.Column('person_id', sa.String(length=255), nullable=False),
    sa.Column('handle', sa.String(length=255), nullable=False),
    sa.Column('audience', sa.String(length=20), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('lang', sa.String(length=8), nullable=True),
    sa.Column('draft', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('created_at', arrosto.models.UTCDateTime(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_outreach_message_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_outreach_post_id_posts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['promotion_id'], ['promotions.id'], name=op.f('fk_outreach_promotion_id_promotions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_outreach_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outreach')),
    sa.UniqueConstraint('promotion_id', 'network', 'person_id', name=op.f('uq_outreach_promotion_id_network_person_id'))
    )
    with op.batch_alter_table('outreach', schema=None) as batch_op:
        batch_op.create_index('ix_outreach_person_time', ['shop_id', 'network', 'person_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outreach_shop_id'), ['shop_id'], unique=False)

    op.create_table('promotion_products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('promotion_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_promotion_products_product_id_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['promotion_id'], ['promotions.id'], name=op.f('fk_promotion_products_promotion_id_promotions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_promotion_products_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotion_products')),
    sa.UniqueConstraint('promotion_id', 'product_id', name=op.f('uq_promotion_products_promotion_id_product_id'))
    )
    with op.batch_alter_table('promotion_products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_promotion_products_shop_id'), ['shop_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('promotion_products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_promotion_products_shop_id'))

    op.drop_table('promotion_products')
    with op.batch_alter_table('outreach', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outreach_shop_id'))
        batch_op.drop_index('ix_outreach_person_time')

    op.drop_table('outreach')
    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversions_shop_id'))

    op.drop_table('conversions')
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_promotions_shop_id'))

    op.drop_table('promotions')
    with op.batch_alter_table('watchers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_watchers_shop_id'))

    op.drop_table('watchers')
    with op.batch_alter_table('post_products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_products_shop_id'))
        batch_op.drop_index('ix_post_products_product_time')

    op.drop_table('post_products')
    with op.batch_alter_table('opt_outs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opt_outs_shop_id'))

    op.drop_table('opt_outs')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_shop_state')
        batch_op.drop_index(batch_op.f('ix_messages_shop_id'))
        batch_op.drop_index(batch_op.f('ix_messages_case_id'))

    op.drop_table('messages')
    with op.batch_alter_table('verification_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_verification_case_time')
        batch_op.drop_index(batch_op.f('ix_verification_attempts_shop_id'))
        batch_op.drop_index(batch_op.f('ix_verification_attempts_client_digest'))

    op.drop_table('verification_attempts')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index('ix_posts_shop_intent_created')
        batch_op.drop_index(batch_op.f('ix_posts_shop_id'))
        batch_op.drop_index('ix_posts_shop_created')
        batch_op.drop_index('ix_posts_shop_author')
        batch_op.drop_index(batch_op.f('ix_posts_case_id'))

    op.drop_table('posts')
    with op.batch_alter_table('order_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_links_shop_id'))
        batch_op.drop_index(batch_op.f('ix_order_links_case_id'))

    op.drop_table('order_links')
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_lines_shop_id'))
        batch_op.drop_index(batch_op.f('ix_order_lines_product_id'))
        batch_op.drop_index(batch_op.f('ix_order_lines_order_id'))

    op.drop_table('order_lines')
    with op.batch_alter_table('fulfillments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fulfillments_shop_id'))
        batch_op.drop_index(batch_op.f('ix_fulfillments_order_id'))

    op.drop_table('fulfillments')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_shop_state')
        batch_op.drop_index(batch_op.f('ix_cases_shop_id'))

    op.drop_table('cases')
    with op.batch_alter_table('social_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_social_identities_shop_id'))
        batch_op.drop_index(batch_op.f('ix_social_identities_customer_id'))

    op.drop_table('social_identities')
    with op.batch_alter_table('product_variants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_variants_shop_id'))
        batch_op.drop_index(batch_op.f('ix_product_variants_product_id'))

    op.drop_table('product_variants')
    with op.batch_alter_table('product_keywords', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_keywords_shop_id'))

    op.drop_table('product_keywords')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_shop_number')
        batch_op.drop_index(batch_op.f('ix_orders_shop_id'))
        batch_op.drop_index('ix_orders_shop_customer')
        batch_op.drop_index('ix_orders_shop_created')

    op.drop_table('orders')
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_deliveries_state')
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_shop_id'))

    op.drop_table('webhook_deliveries')
    with op.batch_alter_table('sync_bookmarks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_bookmarks_shop_id'))

    op.drop_table('sync_bookmarks')
    with op.batch_alter_table('social_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_social_accounts_shop_id'))

    op.drop_table('social_accounts')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_shop_id'))

    op.drop_table('products')
    with op.batch_alter_table('login_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_tokens_shop_id'))

    op.drop_table('login_tokens')
    with op.batch_alter_table('digest_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_digest_runs_shop_id'))

    op.drop_table('digest_runs')
    with op.batch_alter_table('digest_recipients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_digest_recipients_shop_id'))

    op.drop_table('digest_recipients')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_shop_id'))
        batch_op.drop_index('ix_customers_shop_email')

    op.drop_table('customers')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_shop_id'))

    op.drop_table('api_tokens')
    op.drop_table('shops')
    op.drop_table('schedule_runs')
    op.drop_table('auth_states')

