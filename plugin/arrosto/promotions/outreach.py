"""A promotion's outreach: the owner's preview and approval, the outbox that sends, the owner's
own queue, and following people — every message through the one send path
(:mod:`arrosto.outbox.send`: claim before sending, reconcile before retrying).

Nothing goes out before :func:`approve_promotion`. Approval turns the automated groups into
messages — one per Outreach row, idempotency key ``outreach:<promotion>:<network>:<person>`` —
a reply to a watcher's consent post (or a direct message where they wrote to the shop first) and
one reply to an engaged person's post to the shop; plus one public announcement per connected
account. The ``owner`` group stays a queue of drafts the owner sends one at a time, as a person
(:func:`owner_queue`, :func:`send_by_owner`), at most ``owner_daily_cap`` a day.

The outbox (:func:`send_outreach`, every minute) sends approved messages, at most ``per_minute``
per account (the networks count writes per account: X and Bluesky limit, and flag, bursts), retries
failures with exponential backoff (1, 2, 4 … minutes, at most an hour, ``MAX_ATTEMPTS`` tries),
reconciles a send a crashed worker left ``sending``, and keeps each Outreach's state in step with
its message (queued → sent / failed / skipped).

Per-shop settings, ``Shop.settings["promotions"]``: ``days`` (90), ``cooldown_days`` (14),
``owner_daily_cap`` (10), ``per_minute`` (5).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import jobs
from ..db import Database
from ..errors import ConfigError, FatalPlatformError
from ..models import (
    Follow,
    Message,
    Outreach,
    Post,
    Product,
    Promotion,
    Shop,
    SocialAccount,
    Watcher,
    utcnow,
)
from ..outbox.send import (
    STALE_SENDING,
    NotAllowed,
    approve,
    mark_sent_by_hand,
    reply_channel,
    send_message,
    sending_account,
)
from .audience import Audience, build_audience, product_ids
from .messages import announcement, compose

log = logging.getLogger(__name__)

SETTINGS = {"days": 90, "cooldown_days": 14, "owner_daily_cap": 10, "per_minute": 5}
MAX_ATTEMPTS = 8
MAX_BACKOFF = dt.timedelta(hours=1)
OUTBOX_KINDS = ("outreach", "announcement", "owner_manual", "opt_out_confirmation")
# the message's state → the outreach's
MIRROR = {"draft": "queued", "approved": "queued", "sending": "queued", "sent": "sent",
          "failed": "failed", "cancelled": "skipped"}


def promotion_settings(shop: Shop) -> dict[str, int]:
    """The shop's promotion settings over the defaults (each a positive whole number)."""
    own = (shop.settings or {}).get("promotions") or {}
    values = dict(SETTINGS)
    for key, default in SETTINGS.items():
        try:
            value = int(own.get(key, default))
        except (TypeError, ValueError):
            raise ConfigError(f"promotion setting {key}: {own.get(key)!r} is not a number") \
                from None
        values[key] = value if value >= 0 else default
    return values


# --- preview and approval -------------------------------------------------------------------------

@dataclasses.dataclass
class Preview:
    """What the owner sees before approving: each group with its drafts, the announcement."""

    audience: Audience
    outreach: dict[str, list[Outreach]]  # watcher | engaged | owner → rows with drafts
    announcements: dict[str, str]  # network → text
    problems: list[str]


def prepare(s: Session, promotion: Promotion, now: dt.datetime) -> Preview:
    """Build (or refresh) the audience and draft every proposed row that has no draft."""
    shop = s.get(Shop, promotion.shop_id)
    options = promotion_settings(shop)
    audience = build_audience(s, promotion, now, days=options["days"],
                              cooldown_days=options["cooldown_days"])
    s.flush()
    products = {p.id: p for p in s.scalars(select(Product).where(
        Product.id.in_(product_ids(s, promotion))))}
    problems: list[str] = []
    asked_back = {p.key for group in (audience.engaged, audience.owner) for p in group
                  if p.restock_request}
    groups: dict[str, list[Outreach]] = {"watcher": [], "engaged": [], "owner": []}
    rows = s.scalars(select(Outreach).where(Outreach.promotion_id == promotion.id)
                     .order_by(Outreach.id))
    for row in rows:
        if row.state == "proposed" and not row.draft:
            product = _product_for(s, row, products)
            if product is None:
                continue
            text = compose(shop, promotion, product, audience=row.audience, network=row.network,
                           lang=row.lang, handle=row.handle,
                           invite=(row.network, row.person_id) in asked_back)
            row.draft = text.text
            problems += [f"@{row.handle}: {p}" for p in text.problems]
        groups.setdefault(row.audience, []).append(row)
    announcements = {}
    first = next(iter(products.values()), None)
    if first is not None:
        for network in _networks(s):
            text = announcement(shop, promotion, first, network)
            announcements[network] = text.text
            problems += [f"announcement on {network}: {p}" for p in text.problems]
    return Preview(audience, groups, announcements, problems)


def _product_for(s: Session, row: Outreach, products: dict[int, Product]) -> Product | None:
    """The product the person talked about (or asked about), else the promotion's first."""
    if row.post_id:
        from ..models import PostProduct

        for product_id in s.scalars(select(PostProduct.product_id)
                                    .where(PostProduct.post_id == row.post_id)):
            if product_id in products:
                return products[product_id]
        watched = s.scalar(select(Watcher.product_id).where(
            Watcher.consent_post_id == row.post_id, Watcher.product_id.in_(list(products))))
        if watched in products:
            return products[watched]
    return next(iter(products.values()), None)


def _networks(s: Session) -> list[str]:
    return sorted(set(s.scalars(select(SocialAccount.network).where(
        SocialAccount.active.is_(True), SocialAccount.network != "archive"))))


def edit_draft(s: Session, outreach: Outreach, text: str) -> Outreach:
    """The owner edits one person's draft before approving (or before sending it themselves)."""
    if outreach.state != "proposed":
        raise NotAllowed(f"this outreach is already {outreach.state}")
    text = " ".join(text.split())
    if not text:
        raise NotAllowed("the message is empty")
    outreach.draft = text
    return outreach


def approve_promotion(s: Session, promotion: Promotion, now: dt.datetime, *,
                      announcement_texts: dict[str, str] | None = None) -> list[int]:
    """The owner approves: the automated groups (watchers, engaged) become approved messages
    for the outbox, one per person; one announcement per account. The ``owner`` group stays
    proposed, for :func:`owner_queue`. Returns the approved messages' ids."""
    if promotion.state in ("cancelled", "expired", "done"):
        raise NotAllowed(f"this promotion is {promotion.state}")
    if promotion.ends_at is not None and promotion.ends_at <= now:
        raise NotAllowed("this promotion has already ended")
    preview = prepare(s, promotion, now)
    approved: list[int] = []
    for row in preview.outreach["watcher"] + preview.outreach["engaged"]:
        if row.state != "proposed":
            continue
        message_id = _automated_message(s, promotion, row, now)
        if message_id is not None:
            approved.append(message_id)
    approved += _announcements(s, promotion, preview, announcement_texts or {}, now)
    promotion.state, promotion.approved_at = "approved", now
    log.info("promotion %d approved: %d messages queued", promotion.id, len(approved))
    return approved


def outreach_key(row: Outreach) -> str:
    return f"outreach:{row.promotion_id}:{row.network}:{row.person_id}"


def _automated_message(s: Session, promotion: Promotion, row: Outreach, now: dt.datetime
                       ) -> int | None:
    """One automated message for a watcher or engaged person: a reply to their consent post /
    their post to the shop, or a direct message where they wrote to the shop privately."""
    post = s.get(Post, row.post_id) if row.post_id else None
    if post is None:
        row.state = "skipped"
        log.info("outreach %d skipped: no post of theirs to answer", row.id)
        return None
    account = sending_account(s, post)
    message = Message(
        kind="outreach", network=row.network,
        social_account_id=account.id if account is not None else None,
        channel=reply_channel(post),
        in_reply_to_post_id=post.id, recipient_id=row.person_id, recipient_handle=row.handle,
        audience_basis=row.audience, automated=True, text=row.draft,
        idempotency_key=outreach_key(row))
    try:
        with s.begin_nested():
            s.add(message)
    except IntegrityError:  # approved twice at once: the first one's message stands
        return None
    row.message_id = message.id
    try:
        approve(s, message, now=now)
    except NotAllowed as exc:
        message.state, message.last_error = "cancelled", str(exc)
        row.state = "skipped"
        log.info("outreach %d not sent automatically: %s", row.id, exc)
        return None
    row.state = "queued"
    return message.id


def _announcements(s: Session, promotion: Promotion, preview: Preview, texts: dict[str, str],
                   now: dt.datetime) -> list[int]:
    approved = []
    for network, default in preview.announcements.items():
        account = s.scalar(select(SocialAccount).where(
            SocialAccount.network == network, SocialAccount.active.is_(True))
            .order_by(SocialAccount.id).limit(1))
        key = f"announcement:{promotion.id}:{network}"
        if account is None or s.scalar(select(Message.id).where(
                Message.idempotency_key == key)):
            continue
        message = Message(kind="announcement", network=network, social_account_id=account.id,
                          channel="public", automated=False, text=texts.get(network) or default,
                          idempotency_key=key)
        s.add(message)
        s.flush()
        try:
            approve(s, message, now=now)
        except NotAllowed as exc:
            message.last_error = str(exc)  # stays a draft: the owner fixes the text
            continue
        promotion.announcement_message_id = promotion.announcement_message_id or message.id
        approved.append(message.id)
    return approved


# --- the owner's own queue ------------------------------------------------------------------------

def local_day_start(shop: Shop, now: dt.datetime) -> dt.datetime:
    try:
        zone = ZoneInfo(shop.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = now.astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


def owner_sent_today(s: Session, shop: Shop, now: dt.datetime) -> int:
    """Messages the owner sent (or approved for sending) as a person today, shop time."""
    return s.scalar(select(func.count(Message.id)).where(
        Message.kind == "owner_manual", Message.state.in_(("approved", "sending", "sent")),
        Message.approved_at >= local_day_start(shop, now))) or 0


def owner_queue(s: Session, promotion: Promotion, now: dt.datetime) -> list[Outreach]:
    """Today's short list for the owner: the ``owner`` group's drafts, most recent talkers
    first, as many as the daily cap still allows — nothing before approval."""
    if promotion.state not in ("approved", "sending", "done"):
        return []
    shop = s.get(Shop, promotion.shop_id)
    left = promotion_settings(shop)["owner_daily_cap"] - owner_sent_today(s, shop, now)
    if left <= 0:
        return []
    return list(s.scalars(
        select(Outreach).outerjoin(Post, Post.id == Outreach.post_id)
        .where(Outreach.promotion_id == promotion.id, Outreach.audience == "owner",
               Outreach.state == "proposed")
        .order_by(Post.created_at.desc(), Outreach.id).limit(left)))


def _owner_message(s: Session, outreach_id: int, text: str | None, now: dt.datetime
                   ) -> tuple[Message, Outreach]:
    row = s.get(Outreach, outreach_id)
    if row is None:
        raise NotAllowed("no such outreach")
    promotion = s.get(Promotion, row.promotion_id)
    if promotion.state not in ("approved", "sending", "done"):
        raise NotAllowed("nothing goes out before the promotion is approved")
    if row.audience != "owner" or row.state != "proposed":
        raise NotAllowed(f"this person is not in your queue (they are {row.audience}, "
                         f"{row.state})")
    shop = s.get(Shop, row.shop_id)
    if owner_sent_today(s, shop, now) >= promotion_settings(shop)["owner_daily_cap"]:
        raise NotAllowed("today's messages are done: the rest wait for tomorrow")
    post = s.get(Post, row.post_id) if row.post_id else None
    account = sending_account(s, post) if post is not None else None
    message = Message(kind="owner_manual", network=row.network,
                      social_account_id=account.id if account is not None else None,
                      channel="public", in_reply_to_post_id=post.id if post else None,
                      recipient_id=row.person_id, recipient_handle=row.handle,
                      audience_basis=None, automated=False, text=row.draft,
                      idempotency_key=outreach_key(row))
    s.add(message)
    s.flush()
    approve(s, message, text=text, now=now)
    row.message_id, row.state = message.id, "queued"
    return message, row


def send_by_owner(db: Database, settings: Any, outreach_id: int, *, shop_id: int,
                  text: str | None = None, network: Any = None,
                  now: dt.datetime | None = None) -> str:
    """The owner sends one drafted reply, as a person (``automated=False``), through the send
    path. Returns the message's state (sent, approved: the outbox retries, failed)."""
    now = now or utcnow()
    with db.transaction(shop_id) as s:
        message, _row = _owner_message(s, outreach_id, text, now)
        message_id = message.id
    state = send_message(db, settings, message_id, network=network, now=now)
    with db.transaction(shop_id) as s:
        _mirror(s, s.get(Outreach, outreach_id))
    return state


def owner_sent_by_hand(s: Session, outreach_id: int, now: dt.datetime,
                       text: str | None = None) -> Outreach:
    """The owner wrote to them from the network's own app: recorded, counted in the cap."""
    message, row = _owner_message(s, outreach_id, text, now)
    mark_sent_by_hand(s, message, now)
    row.state = "owner_sent"
    return row


# --- the outbox ----------------------------------------------------------------------------------

def backoff(attempts: int) -> dt.timedelta:
    """The wait after ``attempts`` tries: 1, 2, 4 … minutes, at most an hour."""
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _mirror(s: Session, row: Outreach | None) -> None:
    if row is None or row.message_id is None:
        return
    message = s.get(Message, row.message_id)
    if message is None:
        return
    state = MIRROR.get(message.state)
    if state == "sent" and message.kind == "owner_manual":
        state = "owner_sent"
    if state and row.state != state:
        row.state = state


def _due(s: Session, now: dt.datetime) -> list[Message]:
    """Messages for the outbox: approved and past their backoff, or left ``sending`` by a
    worker that stopped (their outcome is reconciled by the send path)."""
    rows = s.scalars(select(Message).where(
        Message.kind.in_(OUTBOX_KINDS),
        or_(Message.state == "approved",
            (Message.state == "sending") & (Message.attempt_started_at < now - STALE_SENDING)))
        .order_by(Message.id))
    return [m for m in rows if m.state == "sending" or m.attempt_started_at is None
            or m.attempt_started_at <= now - backoff(m.attempts)]


@dataclasses.dataclass
class OutboxResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    waiting: int = 0  # left for the next minute by the rate limit


def send_outreach(db: Database, settings: Any, *, now: dt.datetime | None = None,
                  network_factory: Callable[[SocialAccount], Any] | None = None
                  ) -> OutboxResult:
    """One pass of the outbox over every shop. One account's failure never stops another's."""
    now = now or utcnow()
    result = OutboxResult()
    with db.transaction(all_shops=True) as s:
        shops = list(s.scalars(select(Message.shop_id).where(
            Message.kind.in_(OUTBOX_KINDS), Message.state.in_(("approved", "sending")))
            .distinct()))
    for shop_id in shops:
        try:
            _send_shop(db, settings, shop_id, now, network_factory, result)
        except Exception:  # noqa: BLE001 - one shop's trouble never stops the others
            log.exception("outbox of shop %d failed", shop_id)
    return result


def _send_shop(db: Database, settings: Any, shop_id: int, now: dt.datetime,
               network_factory: Callable[[SocialAccount], Any] | None,
               result: OutboxResult) -> None:
    with db.transaction(shop_id) as s:
        shop = s.get(Shop, shop_id)
        per_minute = promotion_settings(shop)["per_minute"]
        due = _due(s, now)
        plan: dict[int | None, list[int]] = {}
        for message in due:
            if message.kind in ("outreach", "announcement") and _expired(s, message, now):
                message.state = "cancelled"
                message.last_error = "the promotion ended before it could be sent"
                result.skipped += 1
                continue
            if message.attempts >= MAX_ATTEMPTS and message.state == "approved":
                message.state = "failed"
                message.last_error = f"not sent after {message.attempts} attempts: " \
                    f"{message.last_error or 'no reason given'}"
                result.failed += 1
                continue
            plan.setdefault(message.social_account_id, []).append(message.id)
        accounts = {a.id: a for a in s.scalars(select(SocialAccount).where(
            SocialAccount.id.in_([k for k in plan if k is not None])))}
        budget = {}
        for account_id in plan:
            recent = s.scalar(select(func.count(Message.id)).where(
                Message.social_account_id == account_id, Message.kind.in_(OUTBOX_KINDS),
                Message.attempt_started_at > now - dt.timedelta(minutes=1))) or 0
            budget[account_id] = max(per_minute - recent, 0)
        for account in accounts.values():
            s.expunge(account)
    for account_id, message_ids in plan.items():
        network = None
        if account_id is not None and network_factory is not None and budget[account_id]:
            network = network_factory(accounts[account_id])
        for message_id in message_ids:
            if account_id is not None and budget[account_id] <= 0:
                result.waiting += 1
                continue
            budget[account_id] = budget.get(account_id, 1) - 1
            try:
                state = send_message(db, settings, message_id, network=network, now=now)
            except FatalPlatformError as exc:  # the network object could not be made
                log.warning("outbox: message %d: %s", message_id, exc)
                state = "failed"
            result.sent += state == "sent"
            result.retrying += state == "approved"
            result.failed += state == "failed"
            result.skipped += state == "cancelled"
    with db.transaction(shop_id) as s:
        sync_states(s, now)


def _expired(s: Session, message: Message, now: dt.datetime) -> bool:
    promotion_id = s.scalar(select(Outreach.promotion_id).where(
        Outreach.message_id == message.id))
    if promotion_id is None and message.kind == "announcement":
        promotion_id = int(message.idempotency_key.split(":")[1])
    promotion = s.get(Promotion, promotion_id) if promotion_id else None
    return bool(promotion and promotion.ends_at is not None and promotion.ends_at <= now)


def sync_states(s: Session, now: dt.datetime) -> None:
    """Outreach states follow their messages; a promotion whose automated messages are all
    settled is done; an opt-out whose confirmation went out is confirmed."""
    from ..models import OptOut

    for row in s.scalars(select(Outreach).where(Outreach.state == "queued")):
        _mirror(s, row)
    for promotion in s.scalars(select(Promotion).where(
            Promotion.state.in_(("approved", "sending")))):
        pending = s.scalar(select(func.count(Message.id)).where(
            Message.state.in_(("approved", "sending")),
            or_(Message.id.in_(select(Outreach.message_id).where(
                Outreach.promotion_id == promotion.id, Outreach.audience != "owner")),
                Message.idempotency_key.like(f"announcement:{promotion.id}:%"))))
        started = s.scalar(select(func.count(Outreach.id)).where(
            Outreach.promotion_id == promotion.id, Outreach.state.in_(("sent", "failed"))))
        if pending == 0:
            promotion.state = "done"
        elif started:
            promotion.state = "sending"
    for opt_out in s.scalars(select(OptOut).where(OptOut.confirmed_at.is_(None))):
        sent_at = s.scalar(select(Message.sent_at).where(
            Message.idempotency_key == f"opt_out:{opt_out.network}:{opt_out.person_id}",
            Message.state == "sent"))
        if sent_at is not None:
            opt_out.confirmed_at = sent_at


@jobs.job()
def send_outreach_job() -> None:
    result = send_outreach(jobs.database(), jobs.app().config["ARROSTO"])
    if result.sent or result.failed or result.retrying:
        log.info("outbox: %s", result)


# --- following, one person at a time --------------------------------------------------------------

def follow_person(db: Database, settings: Any, shop_id: int, network_name: str, person_id: str,
                  *, handle: str | None = None, product_id: int | None = None,
                  network: Any = None, now: dt.datetime | None = None) -> bool:
    """The owner's click: follow ONE person from the shop's account on that network. Returns
    False when they were already followed (nothing is called)."""
    now = now or utcnow()
    with db.transaction(shop_id) as s:
        if s.scalar(select(Follow.id).where(Follow.network == network_name,
                                            Follow.person_id == person_id)):
            return False
        account = s.scalar(select(SocialAccount).where(
            SocialAccount.network == network_name, SocialAccount.active.is_(True))
            .order_by(SocialAccount.id).limit(1))
        if account is None:
            raise NotAllowed(f"no {network_name} account is connected")
        if handle is None:
            handle = s.scalar(select(Post.author_handle).where(
                Post.network == network_name, Post.author_id == person_id).limit(1)) or person_id
        s.expunge(account)
    if network is None:
        from ..social.accounts import network_for

        network = network_for(db, settings, account)
    network.follow(person_id)
    with db.transaction(shop_id) as s:
        try:
            with s.begin_nested():
                s.add(Follow(network=network_name, person_id=person_id, handle=handle,
                             social_account_id=account.id, product_id=product_id,
                             followed_at=now))
        except IntegrityError:
            pass
    log.info("shop %d followed %s person %s", shop_id, network_name, person_id)
    return True

