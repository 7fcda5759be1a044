"""The tables. Every row but a ``Shop`` belongs to a shop (:class:`ShopOwned`), and the session
refuses to read those tables without a shop scope (see :mod:`arrosto.db`).

Times are timezone-aware UTC (:class:`UTCDateTime`); secrets are encrypted (:class:`EncryptedText`).
Uniqueness constraints are the final guard of every idempotent job and webhook handler.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from . import crypto


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC; refuses naive input so local times cannot slip in."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware UTC times")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


class EncryptedText(TypeDecorator):
    """A secret encrypted at rest with the app's MultiFernet keyring."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else crypto.encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else crypto.decrypt(value)


JSONType = JSON().with_variant(JSONB(), "postgresql")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
        Decimal: Numeric(12, 2),
    }


class ShopOwned:
    """Mixin for every table whose rows belong to one shop."""

    @declared_attr
    def shop_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)


class Timestamps:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# --- shops and accounts ------------------------------------------------------------------------

class Shop(Timestamps, Base):
    """A connected store: the tenant every other row belongs to."""

    __tablename__ = "shops"
    __table_args__ = (UniqueConstraint("platform", "domain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))  # shopify | woocommerce | demo
    domain: Mapped[str] = mapped_column(String(255))  # x.myshopify.com or the store URL's host
    name: Mapped[str] = mapped_column(String(255), default="")
    store_url: Mapped[str | None] = mapped_column(String(500))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    language: Mapped[str] = mapped_column(String(5), default="en")
    # active | needs_reauth | uninstalled | pending
    status: Mapped[str] = mapped_column(String(20), default="active")
    status_reason: Mapped[str | None] = mapped_column(Text)
    # credentials (encrypted); Shopify's expiring offline tokens rotate with their refresh token
    access_token: Mapped[str | None] = mapped_column(EncryptedText)
    access_token_expires_at: Mapped[dt.datetime | None]
    refresh_token: Mapped[str | None] = mapped_column(EncryptedText)
    refresh_token_expires_at: Mapped[dt.datetime | None]
    token_version: Mapped[int] = mapped_column(Integer, default=0)  # compare-and-swap on refresh
    api_key: Mapped[str | None] = mapped_column(EncryptedText)  # WooCommerce consumer key
    api_secret: Mapped[str | None] = mapped_column(EncryptedText)  # WooCommerce consumer secret
    webhook_secret: Mapped[str | None] = mapped_column(EncryptedText)
    scopes: Mapped[str | None] = mapped_column(Text)
    brand_terms: Mapped[list[Any]] = mapped_column(default=list)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)  # digest hour, approval rules...
    installed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    uninstalled_at: Mapped[dt.datetime | None]

    def __repr__(self) -> str:  # never the credentials
        return f"<Shop {self.id} {self.platform}:{self.domain} {self.status}>"


class SyncBookmark(ShopOwned, Base):
    """Where an incremental sync of one resource got to; never set past the sync's start."""

    __tablename__ = "sync_bookmarks"
    __table_args__ = (UniqueConstraint("shop_id", "resource"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource: Mapped[str] = mapped_column(String(40))
    updated_since: Mapped[dt.datetime | None]  # last fully synced updated_at
    cursor: Mapped[str | None] = mapped_column(Text)  # page cursor of a sync in progress
    run_started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    items_synced: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class SocialAccount(ShopOwned, Timestamps, Base):
    """The shop's own account on a network, with its credentials and listening checkpoints."""

    __tablename__ = "social_accounts"
    __table_args__ = (UniqueConstraint("shop_id", "network", "handle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(String(20))  # x | bluesky | mastodon | archive
    handle: Mapped[str] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(255))
    instance_url: Mapped[str | None] = mapped_column(String(500))  # Mastodon
    credentials: Mapped[str | None] = mapped_column(EncryptedText)  # JSON: tokens, app password
    session_string: Mapped[str | None] = mapped_column(EncryptedText)  # Bluesky session reuse
    checkpoints: Mapped[dict[str, Any]] = mapped_column(default=dict)  # since ids per query kind
    capabilities: Mapped[dict[str, Any]] = mapped_column(default=dict)  # e.g. search off, why
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    read_budget_month: Mapped[str | None] = mapped_column(String(7))  # "2026-11"
    reads_used: Mapped[int] = mapped_column(Integer, default=0)
    last_run_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[dt.datetime | None]


# --- catalog ------------------------------------------------------------------------------------

class Product(ShopOwned, Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("shop_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    handle: Mapped[str | None] = mapped_column(String(500))
    vendor: Mapped[str | None] = mapped_column(String(255))
    product_type: Mapped[str | None] = mapped_column(String(255))
    tags: Mapped[list[Any]] = mapped_column(default=list)
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="active")
    url: Mapped[str | None] = mapped_column(String(1000))
    price: Mapped[Decimal | None]  # lowest variant price
    compare_at_price: Mapped[Decimal | None]
    inventory_quantity: Mapped[int | None] = mapped_column(Integer)
    # the platform's stock status, or any variant's quantity above 0; None: unknown
    in_stock: Mapped[bool | None] = mapped_column(Boolean)
    platform_updated_at: Mapped[dt.datetime | None]
    deleted_at: Mapped[dt.datetime | None]
    synced_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    variants: Mapped[list[ProductVariant]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ProductVariant.id")
    keywords: Mapped[list[ProductKeyword]] = relationship(
        back_populates="product", cascade="all, delete-orphan")


class ProductVariant(ShopOwned, Base):
    __tablename__ = "product_variants"
    __table_args__ = (UniqueConstraint("shop_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"),
                                            index=True)
    external_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500), default="")
    sku: Mapped[str | None] = mapped_column(String(255))
    price: Mapped[Decimal | None]
    compare_at_price: Mapped[Decimal | None]
    inventory_quantity: Mapped[int | None] = mapped_column(Integer)

    product: Mapped[Product] = relationship(back_populates="variants")


class ProductKeyword(ShopOwned, Base):
    """A term that names a product. ``source`` auto terms are rebuilt on sync; the owner's
    additions (``owner``) and removals (``removed``) survive re-syncs."""

    __tablename__ = "product_keywords"
    __table_args__ = (UniqueConstraint("product_id", "term"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    term: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(10), default="auto")  # auto | owner | removed
    needs_context: Mapped[bool] = mapped_column(Boolean, default=False)  # ambiguous alone

    product: Mapped[Product] = relationship(back_populates="keywords")


# --- customers and orders ----------------------------------------------------------------------

class Customer(ShopOwned, Base):
    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("shop_id", "external_id"),
                      Index("ix_customers_shop_email", "shop_id", "email"))

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(320))
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(64))
    city: Mapped[str | None] = mapped_column(String(255))
    postcode: Mapped[str | None] = mapped_column(String(32))
    accepts_marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    platform_updated_at: Mapped[dt.datetime | None]
    redacted_at: Mapped[dt.datetime | None]

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class Redaction(ShopOwned, Base):
    """A customer erased on request, remembered so that nothing arriving later (a webhook, a
    sync, a reconciliation) brings their personal data back. One row per key: the platform's
    customer id, an order id, or the SHA-256 digest of the e-mail (never the address)."""

    __tablename__ = "redactions"
    __table_args__ = (UniqueConstraint("shop_id", "kind", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # customer | order | email
    ref: Mapped[str] = mapped_column(String(100))  # the platform's id, or the e-mail's digest
    redacted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Order(ShopOwned, Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("shop_id", "external_id"),
        Index("ix_orders_shop_number", "shop_id", "number"),
        Index("ix_orders_shop_created", "shop_id", "created_at"),
        Index("ix_orders_shop_customer", "shop_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(100))
    number: Mapped[int | None] = mapped_column(BigInteger)  # 1001, or the WooCommerce id
    name: Mapped[str] = mapped_column(String(64))  # "#1001", "#BR1001"
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    email: Mapped[str | None] = mapped_column(String(320))
    shipping_name: Mapped[str | None] = mapped_column(String(255))
    shipping_postcode: Mapped[str | None] = mapped_column(String(32))
    shipping_city: Mapped[str | None] = mapped_column(String(255))
    financial_status: Mapped[str | None] = mapped_column(String(40))
    fulfillment_status: Mapped[str | None] = mapped_column(String(40))  # None = unfulfilled
    cancelled_at: Mapped[dt.datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(100))
    total_price: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    discount_codes: Mapped[list[Any]] = mapped_column(default=list)  # ["BENVENUTO10"]
    landing_site: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    platform_updated_at: Mapped[dt.datetime | None]
    synced_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer | None] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id")
    fulfillments: Mapped[list[Fulfillment]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="Fulfillment.id")


class OrderLine(ShopOwned, Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"),
                                                   index=True)
    external_product_id: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    variant_title: Mapped[str | None] = mapped_column(String(500))
    sku: Mapped[str | None] = mapped_column(String(255))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    price: Mapped[Decimal] = mapped_column(default=Decimal("0"))

    order: Mapped[Order] = relationship(back_populates="lines")


class Fulfillment(ShopOwned, Base):
    __tablename__ = "fulfillments"
    __table_args__ = (UniqueConstraint("order_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str | None] = mapped_column(String(40))
    shipment_status: Mapped[str | None] = mapped_column(String(40))  # in_transit, delivered...
    tracking_company: Mapped[str | None] = mapped_column(String(100))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    tracking_url: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[dt.datetime | None]

    order: Mapped[Order] = relationship(back_populates="fulfillments")


class SocialIdentity(ShopOwned, Base):
    """A customer's handle on a network, with how we know it is theirs."""

    __tablename__ = "social_identities"
    __table_args__ = (UniqueConstraint("shop_id", "network", "handle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"),
                                             index=True)
    network: Mapped[str] = mapped_column(String(20))
    handle: Mapped[str] = mapped_column(String(255))  # lower case, without @
    author_id: Mapped[str | None] = mapped_column(String(255))
    # customer_record | owner | order_number_and_email | verification_page
    verified_by: Mapped[str] = mapped_column(String(40))
    verified_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --- listening ----------------------------------------------------------------------------------

class Post(ShopOwned, Base):
    """A social post found by listening or imported; unique per shop, network and id."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("shop_id", "network", "external_id"),
        Index("ix_posts_shop_created", "shop_id", "created_at"),
        Index("ix_posts_shop_author", "shop_id", "network", "author_id"),
        Index("ix_posts_shop_intent_created", "shop_id", "intent", "created_at"),
        # an author's recent posts (promotions/audience.py: the post-rate rule for bots)
        Index("ix_posts_author_time", "shop_id", "network", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(255))
    social_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("social_accounts.id", ondelete="SET NULL"))
    author_id: Mapped[str] = mapped_column(String(255))
    author_handle: Mapped[str] = mapped_column(String(255))
    author_name: Mapped[str | None] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[dt.datetime]
    url: Mapped[str | None] = mapped_column(String(1000))
    reply_to_id: Mapped[str | None] = mapped_column(String(255))
    thread_id: Mapped[str | None] = mapped_column(String(255))  # root of the conversation
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source: Mapped[str] = mapped_column(String(20), default="search")  # search|mention|dm|import
    addresses_shop: Mapped[bool] = mapped_column(Boolean, default=False)  # engaged us first
    is_own: Mapped[bool] = mapped_column(Boolean, default=False)  # written by the shop's account
    intent: Mapped[str | None] = mapped_column(String(20))
    sentiment: Mapped[float | None]
    sentiment_label: Mapped[str | None] = mapped_column(String(10))  # negative|neutral|positive
    # restock_request, resolved, sarcasm; delivery, packaging, quality, price, payment, fit...
    signals: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    aspects: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    classified_at: Mapped[dt.datetime | None]
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"),
                                                index=True)
    fetched_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PostProduct(ShopOwned, Base):
    """A post matched to a product, with the matched terms (and its time, for audiences)."""

    __tablename__ = "post_products"
    __table_args__ = (
        UniqueConstraint("post_id", "product_id"),
        Index("ix_post_products_product_time", "shop_id", "product_id", "post_created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    terms: Mapped[list[Any]] = mapped_column(default=list)
    post_created_at: Mapped[dt.datetime]


# --- support ------------------------------------------------------------------------------------

class Case(ShopOwned, Base):
    """A complaint or question thread of one author: open → waiting → resolved (reopened)."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("shop_id", "network", "author_id", "thread_key"),
        Index("ix_cases_shop_state", "shop_id", "state", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(String(20))
    author_id: Mapped[str] = mapped_column(String(255))
    author_handle: Mapped[str] = mapped_column(String(255))
    author_name: Mapped[str | None] = mapped_column(String(255))
    thread_key: Mapped[str] = mapped_column(String(255))
    intent: Mapped[str] = mapped_column(String(20))  # complaint | question
    state: Mapped[str] = mapped_column(String(20), default="open")  # open | waiting | resolved
    addresses_shop: Mapped[bool] = mapped_column(Boolean, default=False)
    lang: Mapped[str | None] = mapped_column(String(8))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id",
                                                               ondelete="SET NULL"))
    link_confidence: Mapped[float | None]
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    first_response_at: Mapped[dt.datetime | None]
    resolved_at: Mapped[dt.datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(20))  # owner | customer | correction
    sla_flagged_at: Mapped[dt.datetime | None]
    # tries on the "is this your order?" page, counted by one conditional UPDATE
    verify_tries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    order: Mapped[Order | None] = relationship()
    posts: Mapped[list[Post]] = relationship(order_by="Post.created_at")


class PostCorrection(ShopOwned, Base):
    """What the owner said about a post ("not a complaint", "this is a question", "already
    resolved", "not about us"), with what it changed (``before``) so it can be undone. One a
    post: a new correction replaces the last."""

    __tablename__ = "post_corrections"
    __table_args__ = (UniqueConstraint("shop_id", "post_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(20))
    intent: Mapped[str | None] = mapped_column(String(20))  # the post's intent after it
    before: Mapped[dict[str, Any]] = mapped_column(default=dict)
    corrected_by: Mapped[str] = mapped_column(String(100), default="owner")
    corrected_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    post: Mapped[Post] = relationship()


class ClassifierOverlay(ShopOwned, Base):
    """One shop's adjustment of the classifier, built from its corrections by a job: the
    corrected posts' embeddings (float16, row-major) and their labels. Never shared."""

    __tablename__ = "classifier_overlays"
    __table_args__ = (UniqueConstraint("shop_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vectors: Mapped[bytes] = mapped_column(LargeBinary)
    labels: Mapped[list[Any]] = mapped_column(default=list)  # [{"label":…, "intent":…}, …]
    corrections: Mapped[int] = mapped_column(Integer, default=0)
    built_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OrderLink(ShopOwned, Base):
    """A candidate order for a case, with its confidence and the reasons, in the owner's words."""

    __tablename__ = "order_links"
    __table_args__ = (UniqueConstraint("case_id", "order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    confidence: Mapped[float]
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    # suggested | auto | confirmed | rejected | verified
    status: Mapped[str] = mapped_column(String(20), default="suggested")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class VerificationAttempt(ShopOwned, Base):
    """One try on the public "is this your order?" page (rate limiting per case and address)."""

    __tablename__ = "verification_attempts"
    __table_args__ = (Index("ix_verification_case_time", "case_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    link_nonce: Mapped[str] = mapped_column(String(64))
    client_digest: Mapped[str] = mapped_column(String(64), index=True)  # hashed address
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class VerificationWindow(ShopOwned, Base):
    """One client address's tries on the "is this your order?" page in its current hour: a
    counter row taken by a single conditional upsert, so concurrent tries cannot pass the
    limit (the address only as its HMAC, like :class:`VerificationAttempt`)."""

    __tablename__ = "verification_windows"
    __table_args__ = (UniqueConstraint("shop_id", "client_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_digest: Mapped[str] = mapped_column(String(64))
    window_start: Mapped[dt.datetime]
    tries: Mapped[int] = mapped_column(Integer, default=0)


# --- outbox: every message Arrosto sends --------------------------------------------------------

class Message(ShopOwned, Base):
    """One outgoing message, recorded before it is sent and reconciled before any retry.

    ``kind``: reply (support), outreach (promotion), announcement, opt_out_confirmation,
    owner_manual (sent by the owner as a person). ``audience_basis`` says why an automated message
    may go to this person (``engaged`` or ``watcher``); the send path refuses anything else.
    """

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        Index("ix_messages_shop_state", "shop_id", "state"),
        # the frequency cap: what was sent to one person lately (promotions/audience.py)
        Index("ix_messages_recipient_sent", "shop_id", "network", "recipient_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    network: Mapped[str] = mapped_column(String(20))
    social_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("social_accounts.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(10), default="public")  # public | dm
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"),
                                                index=True)
    in_reply_to_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"))
    recipient_id: Mapped[str | None] = mapped_column(String(255))
    recipient_handle: Mapped[str | None] = mapped_column(String(255))
    audience_basis: Mapped[str | None] = mapped_column(String(20))  # engaged | watcher | None
    automated: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text)
    # draft | approved | sending | sent | failed | cancelled
    state: Mapped[str] = mapped_column(String(20), default="draft")
    idempotency_key: Mapped[str] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    attempt_started_at: Mapped[dt.datetime | None]
    approved_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    external_id: Mapped[str | None] = mapped_column(String(255))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --- promotions ---------------------------------------------------------------------------------

class Promotion(ShopOwned, Timestamps, Base):
    __tablename__ = "promotions"
    __table_args__ = (UniqueConstraint("shop_id", "source", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # shopify_discount | price_drop | back_in_stock | wc_coupon | wc_sale | manual
    source: Mapped[str] = mapped_column(String(30))
    external_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500))
    code: Mapped[str | None] = mapped_column(String(100))
    value: Mapped[str | None] = mapped_column(String(100))  # "10%", "5.00 EUR", "12.90 → 9.90"
    starts_at: Mapped[dt.datetime | None]
    ends_at: Mapped[dt.datetime | None]
    # pending_approval | approved | sending | done | cancelled | expired
    state: Mapped[str] = mapped_column(String(20), default="pending_approval")
    approved_at: Mapped[dt.datetime | None]
    announcement_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"))

    products: Mapped[list[PromotionProduct]] = relationship(cascade="all, delete-orphan")


class PromotionProduct(ShopOwned, Base):
    __tablename__ = "promotion_products"
    __table_args__ = (UniqueConstraint("promotion_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    promotion_id: Mapped[int] = mapped_column(ForeignKey("promotions.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))


class Outreach(ShopOwned, Base):
    """One person to tell about one promotion: exactly one row per promotion and person."""

    __tablename__ = "outreach"
    __table_args__ = (
        UniqueConstraint("promotion_id", "network", "person_id"),
        Index("ix_outreach_person_time", "shop_id", "network", "person_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    promotion_id: Mapped[int] = mapped_column(ForeignKey("promotions.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[str] = mapped_column(String(255))
    handle: Mapped[str] = mapped_column(String(255))
    audience: Mapped[str] = mapped_column(String(20))  # watcher | engaged | owner
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    lang: Mapped[str | None] = mapped_column(String(8))
    draft: Mapped[str] = mapped_column(Text, default="")
    # proposed | queued | sent | owner_sent | skipped | failed
    state: Mapped[str] = mapped_column(String(20), default="proposed")
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Watcher(ShopOwned, Base):
    """A person who asked to be told about a product's next sale or restock (their consent)."""

    __tablename__ = "watchers"
    __table_args__ = (UniqueConstraint("shop_id", "product_id", "network", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(String(20))  # or "web" for the product page sign-up
    person_id: Mapped[str] = mapped_column(String(255))
    handle: Mapped[str] = mapped_column(String(255))
    consent_post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id",
                                                                   ondelete="SET NULL"))
    consent_text: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20))  # reply | mention | product_page
    consented_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]


class OptOut(ShopOwned, Base):
    """A person who asked not to be written to again: honoured at once, everywhere."""

    __tablename__ = "opt_outs"
    __table_args__ = (UniqueConstraint("shop_id", "network", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[str] = mapped_column(String(255))
    handle: Mapped[str | None] = mapped_column(String(255))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[dt.datetime | None]


class Follow(ShopOwned, Base):
    """A person the shop's account followed, on the owner's click (never in bulk)."""

    __tablename__ = "follows"
    __table_args__ = (UniqueConstraint("shop_id", "network", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[str] = mapped_column(String(255))
    handle: Mapped[str] = mapped_column(String(255))
    social_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("social_accounts.id", ondelete="SET NULL"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    followed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Conversion(ShopOwned, Base):
    __tablename__ = "conversions"
    __table_args__ = (UniqueConstraint("promotion_id", "order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    promotion_id: Mapped[int] = mapped_column(ForeignKey("promotions.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    revenue: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    matched_by: Mapped[str] = mapped_column(String(20))  # code | utm
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --- platform plumbing --------------------------------------------------------------------------

class WebhookDelivery(Base):
    """A verified webhook as received: stored before it is acknowledged, processed by a job.

    ``shop_id`` may be empty when a signed delivery names a shop we do not know (kept, shown)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("platform", "delivery_id"),
                      Index("ix_webhook_deliveries_state", "state", "received_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"),
                                                index=True)
    platform: Mapped[str] = mapped_column(String(20))
    delivery_id: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str] = mapped_column(String(100))
    shop_domain: Mapped[str | None] = mapped_column(String(255))
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(20), default="received")  # received|processed|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[dt.datetime | None]


class DigestRun(ShopOwned, Base):
    """One digest per shop and local date: the row is claimed before sending, marked after."""

    __tablename__ = "digest_runs"
    __table_args__ = (UniqueConstraint("shop_id", "local_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    local_date: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20), default="claimed")  # claimed | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    message_id: Mapped[str | None] = mapped_column(String(255))
    last_error: Mapped[str | None] = mapped_column(Text)


class DigestRecipient(ShopOwned, Base):
    __tablename__ = "digest_recipients"
    __table_args__ = (UniqueConstraint("shop_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    unsubscribed_at: Mapped[dt.datetime | None]


class LoginToken(ShopOwned, Base):
    """A one-time sign-in link for the standalone admin (only its digest is stored)."""

    __tablename__ = "login_tokens"
    __table_args__ = (UniqueConstraint("token_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


class ApiToken(ShopOwned, Base):
    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("token_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]


class AuthState(Base):
    """A pending install: OAuth ``state`` or wc-auth ``user_id`` nonce, used once.

    For wc-auth it also holds the keys the store's (unsigned) callback posted: a pending
    credential, encrypted, that no shop sees until a job has verified it on that store; then
    the keys move to the shop and are cleared here (``connected_shop_id``), or are cleared with
    the store's refusal (``refused_reason``)."""

    __tablename__ = "auth_states"
    __table_args__ = (UniqueConstraint("nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    nonce: Mapped[str] = mapped_column(String(128))
    shop_domain: Mapped[str] = mapped_column(String(255))  # wc-auth: the normalised store URL
    browser_digest: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    used_at: Mapped[dt.datetime | None]
    key_id: Mapped[int | None] = mapped_column(BigInteger)
    consumer_key: Mapped[str | None] = mapped_column(EncryptedText)
    consumer_secret: Mapped[str | None] = mapped_column(EncryptedText)
    key_permissions: Mapped[str | None] = mapped_column(String(20))
    keys_received_at: Mapped[dt.datetime | None]
    verified_at: Mapped[dt.datetime | None]
    refused_reason: Mapped[str | None] = mapped_column(Text)
    connected_shop_id: Mapped[int | None] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"))


class AdminSession(ShopOwned, Base):
    """A signed-in browser of the standalone admin: the cookie carries a random id, only its
    digest is stored. Deleting the row ends the session, whatever copy of the cookie exists."""

    __tablename__ = "admin_sessions"
    __table_args__ = (UniqueConstraint("token_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]


class ScheduleRun(Base):
    """When each periodic job last ran: claimed with compare-and-swap so one worker runs it."""

    __tablename__ = "schedule_runs"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_run_at: Mapped[dt.datetime]


class DataExport(ShopOwned, Base):
    """Everything held on one customer, gathered for the owner on a privacy data request."""

    __tablename__ = "data_exports"
    __table_args__ = (UniqueConstraint("shop_id", "request_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_key: Mapped[str] = mapped_column(String(255))  # the delivery or request id
    customer_external_id: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    downloaded_at: Mapped[dt.datetime | None]
