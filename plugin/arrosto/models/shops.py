"""Shops and their accounts, the catalog, customers and orders (the data synced from a shop's
platform)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, EncryptedText, ShopOwned, Timestamps, utcnow

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
