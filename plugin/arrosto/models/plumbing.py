"""Platform plumbing: webhook deliveries, digest runs and recipients, logins, API tokens, OAuth
states, admin sessions, schedule runs and data exports."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, EncryptedText, ShopOwned, utcnow

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
