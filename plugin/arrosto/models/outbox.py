"""The outbox: every message Arrosto sends (replies, direct messages, offers, digests)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, ShopOwned, utcnow

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
