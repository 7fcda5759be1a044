"""The rule every automated message is checked against, at approval and before the network.

:func:`basis_problem` is what the send gate (:func:`arrosto.outbox.send.check_sendable`) asks of
every automated message: does the person's own history bear out the reason the row gives
(``engaged``: they addressed the shop in this conversation or wrote to it privately;
``watcher``: they asked to be told (:mod:`.consent`), and the message answers their consent or
their own message)?
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Case, Message, Outreach, Post, PromotionProduct, Watcher


def basis_problem(s: Session, message: Message) -> str | None:
    """Why this automated message may not go to its recipient, or None when their own posts
    bear out its ``audience_basis``."""
    if not message.recipient_id:
        return "an automated message only answers a person; the owner publishes this one"
    target = s.get(Post, message.in_reply_to_post_id) if message.in_reply_to_post_id else None
    if target is not None and (target.network != message.network
                               or target.author_id != message.recipient_id):
        return "an automated reply only answers the recipient's own post"
    if message.channel != "dm" and target is None:
        return "an automated message is a reply to the person's own post"
    if message.audience_basis == "engaged":
        if _engaged(s, message, target):
            return None
        if message.channel == "dm":
            return ("a direct message goes only to someone who wrote to the shop privately "
                    "first: the owner may send this one")
        return ("this person did not address the shop first: the owner may write to them, "
                "one at a time, as a person")
    watched = select(Watcher).where(Watcher.network == message.network,
                                    Watcher.person_id == message.recipient_id,
                                    Watcher.revoked_at.is_(None))
    outreach = s.scalar(select(Outreach).where(Outreach.message_id == message.id)) \
        if message.id is not None else None
    if outreach is not None:
        watched = watched.where(Watcher.product_id.in_(
            select(PromotionProduct.product_id)
            .where(PromotionProduct.promotion_id == outreach.promotion_id)))
    watchers = list(s.scalars(watched))
    if not watchers:
        return "this person did not ask to be told (no consent on record)"
    if message.channel == "dm":
        return None if _wrote_privately(s, message) else \
            "a direct message goes only to someone who wrote to the shop privately first"
    if target.id in {w.consent_post_id for w in watchers} or target.addresses_shop:
        return None
    return "a watcher is answered on their consent post or on a post of theirs to the shop"


def _engaged(s: Session, message: Message, target: Post | None) -> bool:
    if message.channel == "dm":
        return _wrote_privately(s, message)
    if target.addresses_shop:
        return True
    in_conversation = select(Post.id).where(
        Post.network == message.network, Post.author_id == message.recipient_id,
        Post.addresses_shop.is_(True), Post.thread_id == target.thread_id)
    if target.thread_id and s.scalar(in_conversation.limit(1)):
        return True
    if message.case_id:
        case = s.get(Case, message.case_id)
        return bool(case is not None and case.addresses_shop
                    and case.author_id == message.recipient_id)
    return False


def _wrote_privately(s: Session, message: Message) -> bool:
    return bool(s.scalar(select(Post.id).where(
        Post.network == message.network, Post.author_id == message.recipient_id,
        Post.source == "dm", Post.is_own.is_(False)).limit(1)))
