"""Listening and support: posts and the products they name, cases, the owner's corrections,
order links and verification."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, ShopOwned, utcnow
from .shops import Order

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
