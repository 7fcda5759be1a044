"""Promotions: offers and their products, outreach, watchers, opt-outs, follows and conversions."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, ShopOwned, Timestamps, utcnow

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
