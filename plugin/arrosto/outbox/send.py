"""Sending messages (support replies, promotion messages, opt-out confirmations), within the
networks' rules; every public one through the never-public check (:mod:`.public`).

The rule the code enforces, not a setting: a message goes out automatically only to someone who
addressed the shop first (``audience_basis="engaged"``: a mention, a reply, a direct message)
or opted in (``"watcher"``, promotions), as their own posts bear out (:mod:`.basis`), once per
interaction (the idempotency key names the post answered). Anything else waits in ``draft`` for
the owner, who approves it (and may edit it) one at a time; when a support reply is approved
automatically is the owner's rule, in :mod:`arrosto.support.send`.

The outbox: a message is claimed (``approved`` → ``sending``, attempt recorded) in its own
commit before the network is called, and the outcome recorded after. A worker that died in
between leaves ``sending`` with a start time; the next attempt first asks the network whether
the text was posted (``find_sent``; Mastodon also dedupes on the Idempotency-Key) so a reply is
never posted twice. Retryable failures (rate limits, 5xx) go back to ``approved`` and the job
retries with backoff; others (refused, not allowed, auth) are ``failed`` with the reason shown.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from .. import jobs
from ..db import Database
from ..errors import ConfigError, FatalPlatformError, RetryableError
from ..models import Case, Customer, Message, OptOut, Order, Post, SocialAccount, utcnow
from ..social import network_class
from ..social.base import PostData
from .basis import basis_problem
from .public import PersonalDataInPublic, check_public, private_data

log = logging.getLogger(__name__)

STALE_SENDING = dt.timedelta(minutes=10)


class NotAllowed(Exception):
    """This message may not be sent (the rules, an opt-out, the never-public check)."""


# --- who answers, and how ------------------------------------------------------------------------

def sending_account(s: Session, post: Post) -> SocialAccount | None:
    """The shop's account that answers: the one that found the post, else any active one on
    the same network (imported posts have none: the owner answers by hand)."""
    if post.social_account_id is not None:
        account = s.get(SocialAccount, post.social_account_id)
        if account is not None and account.network != "archive":
            return account
    return s.scalar(select(SocialAccount).where(SocialAccount.network == post.network,
                                                SocialAccount.active.is_(True))
                    .order_by(SocialAccount.id).limit(1))


def reply_channel(post: Post) -> str:
    """How an automated message answers ``post``: "dm" for a private message on a network whose
    direct messages live apart from posts (its ``capabilities.private_inbox``), else "public"
    (a reply; on Mastodon a reply to a direct post stays direct)."""
    if post.source != "dm":
        return "public"
    try:
        private_inbox = network_class(post.network).capabilities.private_inbox
    except ConfigError:
        return "public"
    return "dm" if private_inbox else "public"


# --- the gate -------------------------------------------------------------------------------------

def check_sendable(s: Session, message: Message) -> None:
    """The last gate before the network, for every message: raise NotAllowed."""
    if message.automated and message.audience_basis not in ("engaged", "watcher"):
        raise NotAllowed("automated messages go only to people who addressed the shop first "
                         "or opted in; the owner sends this one by hand")
    if message.automated:
        # the basis is checked against what the person did, not taken from the row
        problem = basis_problem(s, message)
        if problem:
            raise NotAllowed(problem)
    # the one message an opt-out allows: its confirmation, once (its idempotency key)
    if message.recipient_id and message.kind != "opt_out_confirmation" and s.scalar(
            select(OptOut.id).where(OptOut.network == message.network,
                                    OptOut.person_id == message.recipient_id)):
        raise NotAllowed("this person opted out of messages from the shop")
    if message.kind == "announcement" and re.search(r"(?<![\w/])@\w", message.text):
        raise NotAllowed("an announcement mentions nobody: take the @ out")
    if message.channel == "public":
        case = s.get(Case, message.case_id) if message.case_id else None
        order = s.get(Order, case.order_id) if case and case.order_id else None
        customer = s.get(Customer, case.customer_id) if case and case.customer_id else None
        allowed = [u for u in _urls(message.text) if "/verify/" in u or "/products/" in u]
        try:
            check_public(message.text, private_data(customer=customer, order=order),
                         allowed=allowed)
        except PersonalDataInPublic as exc:
            raise NotAllowed(str(exc)) from exc


def _urls(text: str) -> list[str]:
    return [w for w in text.split() if w.startswith(("http://", "https://"))]


# --- the owner's approval -------------------------------------------------------------------------

def approve(s: Session, message: Message, *, text: str | None = None,
            now: dt.datetime | None = None) -> Message:
    """The owner approves a draft (edited or not). Raises NotAllowed if it may not go out;
    the caller queues :func:`send_message_job` after committing."""
    if message.state not in ("draft", "failed"):
        raise NotAllowed(f"this message is already {message.state}")
    if text is not None:
        message.text = " ".join(text.split()) if message.channel == "public" else text.strip()
    if not message.text:
        raise NotAllowed("the message is empty")
    check_sendable(s, message)
    message.state, message.approved_at, message.last_error = "approved", now or utcnow(), None
    return message


def queue_sends(message_ids: list[int]) -> None:
    for message_id in message_ids:
        send_message_job(message_id)


# --- sending --------------------------------------------------------------------------------------

@jobs.job(retries=5, retry_delay=60)
def send_message_job(message_id: int) -> None:
    state = send_message(jobs.database(), jobs.app().config["ARROSTO"], message_id)
    if state == "approved":  # retryable failure: let the queue retry with its delay
        raise RetryableError(f"message {message_id} not sent yet; retrying")


def send_message(db: Database, settings: Any, message_id: int, *, network: Any = None,
                 now: dt.datetime | None = None) -> str:
    """Send one approved message; returns its state afterwards (sent, approved: will retry,
    failed, cancelled, or the state it was found in when there was nothing to do)."""
    now = now or utcnow()
    with db.transaction(all_shops=True) as s:
        row = s.execute(select(Message.shop_id, Message.state, Message.attempt_started_at)
                        .where(Message.id == message_id)).first()
    if row is None:
        return "missing"
    shop_id = row.shop_id
    with db.transaction(shop_id) as s:  # claim it: one sender, recorded before the network
        claimed = s.execute(update(Message).where(
            Message.id == message_id,
            or_(Message.state == "approved",
                (Message.state == "sending") & (Message.attempt_started_at < now - STALE_SENDING)))
            .values(state="sending", attempt_started_at=now, attempts=Message.attempts + 1)
            .execution_options(synchronize_session=False)).rowcount
        if not claimed:
            return row.state
        message = s.get(Message, message_id)
        previous_attempt = row.attempt_started_at if row.state == "sending" else None
        try:
            check_sendable(s, message)
        except NotAllowed as exc:
            message.state, message.last_error = ("cancelled" if "opted out" in str(exc)
                                                 else "failed"), str(exc)
            return message.state
        post = s.get(Post, message.in_reply_to_post_id) if message.in_reply_to_post_id else None
        account = s.get(SocialAccount, message.social_account_id) \
            if message.social_account_id else None
        text, channel, key = message.text, message.channel, message.idempotency_key
        recipient = message.recipient_id
        target = _post_data(post) if post is not None else None
    try:
        if account is None:
            raise FatalPlatformError("no connected account on this network can send it: "
                                     "send it yourself and mark it sent", platform=None)
        if network is None:
            from ..social.accounts import network_for

            network = network_for(db, settings, account)
        sent = None
        if previous_attempt is not None:  # an earlier attempt's outcome is unknown
            sent = network.find_sent(text, previous_attempt - dt.timedelta(minutes=1))
        if sent is None:
            if channel == "dm":
                sent = network.direct_message(recipient, text, idempotency_key=key)
            elif target is not None:
                sent = network.reply(target, text, idempotency_key=key)
            else:
                sent = network.publish(text, idempotency_key=key)
    except RetryableError as exc:
        _record(db, shop_id, message_id, "approved", error=f"will retry: {exc}")
        return "approved"
    except Exception as exc:  # noqa: BLE001 - refused, not allowed, bad credentials: shown
        log.warning("message %s not sent: %s", message_id, exc)
        _record(db, shop_id, message_id, "failed", error=str(exc) or type(exc).__name__)
        return "failed"
    _record(db, shop_id, message_id, "sent", external_id=sent.external_id, now=now)
    log.info("message %s sent on %s as %s", message_id, account.network, sent.external_id)
    return "sent"


STUCK_AFTER = dt.timedelta(minutes=15)


@jobs.job()
def requeue_stuck_job() -> None:
    """The outbox's safety net: a message approved while the queue was down (or whose job ran
    out of retries), or claimed by a worker that died, is queued again. Sending is idempotent
    (claim, then reconcile with the network), so queueing twice sends once."""
    db = jobs.database()
    limit = utcnow() - STUCK_AFTER
    with db.transaction(all_shops=True) as s:
        stuck = s.scalars(select(Message.id).where(or_(
            (Message.state == "approved") & (Message.approved_at < limit) &
            or_(Message.attempt_started_at.is_(None), Message.attempt_started_at < limit),
            (Message.state == "sending") & (Message.attempt_started_at < utcnow() -
                                                STALE_SENDING)))
            .order_by(Message.id).limit(500)).all()
    if stuck:
        log.info("outbox: %d messages queued again", len(stuck))
    queue_sends(list(stuck))


def _post_data(post: Post) -> PostData:
    return PostData(network=post.network, external_id=post.external_id, author_id=post.author_id,
                    author_handle=post.author_handle, text=post.text, created_at=post.created_at,
                    author_name=post.author_name, lang=post.lang, url=post.url,
                    reply_to_id=post.reply_to_id, thread_id=post.thread_id,
                    addresses_shop=post.addresses_shop, is_dm=post.source == "dm")


def _record(db: Database, shop_id: int, message_id: int, state: str, *, error: str | None = None,
            external_id: str | None = None, now: dt.datetime | None = None) -> None:
    with db.transaction(shop_id) as s:
        message = s.get(Message, message_id)
        message.state, message.last_error = state, error
        if state != "sent":
            return
        message.external_id, message.sent_at = external_id, now or utcnow()
        mark_answered(s, message, message.sent_at)


def mark_answered(s: Session, message: Message, at: dt.datetime) -> None:
    """A reply went out: the case's first response, and it now waits for the customer."""
    if message.case_id is None:
        return
    case = s.get(Case, message.case_id)
    if case is None:
        return
    case.first_response_at = case.first_response_at or at
    if case.state == "open":
        case.state = "waiting"
    case.sla_flagged_at = None


def mark_sent_by_hand(s: Session, message: Message, now: dt.datetime | None = None) -> None:
    """The owner sent it themselves (no account connected, or as a person)."""
    message.state, message.sent_at, message.last_error = "sent", now or utcnow(), None
    message.automated = False
    mark_answered(s, message, message.sent_at)
