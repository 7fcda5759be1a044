"""Consent and opt-out, read from what people write to the shop (support, promotions and the
listening pipeline alike).

A reply or mention saying "notify me" / "avvisami" / "fammi sapere" — to a shop reply about a
product, or naming a product — records a :class:`~arrosto.models.Watcher` for that product, with
the network, the post that gave consent, its text and time. "stop", "basta", "unsubscribe",
"non scrivermi più", "cancellami" record an :class:`~arrosto.models.OptOut`: the person's watches
are revoked and every proposed or queued outreach to them skipped at once, and one confirmation
reply is queued — once (its idempotency key names the person).

What the person's record then allows is checked at sending by :mod:`.basis`.
"""
from __future__ import annotations

import datetime as dt
import logging
import re

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Message, OptOut, Outreach, Post, PostProduct, Shop, Watcher, utcnow
from ..text import fold
from .render import language, render_owned
from .send import NotAllowed, approve, reply_channel, sending_account

log = logging.getLogger(__name__)

# the word that makes a watcher, as the messages that invite it say it
NOTIFY_WORDS = {"it": "avvisami", "en": "notify me"}

# whole words or phrases, on the folded text (lower case, no accents: "più" is "piu")
NOTIFY_PHRASES = ("notify me", "avvisami", "avvisatemi", "fammi sapere", "fatemi sapere",
                  "let me know when", "tell me when")
STOP_PHRASES = ("non scrivermi piu", "non scrivetemi piu", "non mi scrivete piu",
                "non mi scrivere piu", "unsubscribe", "cancellami", "disiscrivimi",
                "stop messaging me", "stop writing to me", "stop sending")
# alone, or leading a short message ("STOP", "basta grazie", "stop please")
STOP_WORDS = ("stop", "basta")
SHORT = 6  # words: "stop" leading a longer sentence ("stop the press, this coffee...") is not one

_MENTION = re.compile(r"(?<![\w/])@[\w.\-]+(?:@[\w.\-]+)?")
_URL = re.compile(r"https?://\S+")


def _words(text: str) -> list[str]:
    text = _URL.sub(" ", _MENTION.sub(" ", text))
    return re.sub(r"[^\w]+|_", " ", fold(text)).split()


def _has_phrase(words: list[str], phrases: tuple[str, ...]) -> bool:
    padded = f" {' '.join(words)} "
    return any(f" {phrase} " in padded for phrase in phrases)


def is_opt_out(text: str) -> bool:
    words = _words(text)
    if not words:
        return False
    if _has_phrase(words, STOP_PHRASES):
        return True
    if words[0] in STOP_WORDS and len(words) <= SHORT:
        return True
    return len(words) <= 3 and any(w in STOP_WORDS for w in words)


def is_notify_request(text: str) -> bool:
    return not is_opt_out(text) and _has_phrase(_words(text), NOTIFY_PHRASES)


# --- listening hook -------------------------------------------------------------------------------

def handle_consent(s: Session, shop: Shop, post_ids: list[int], now: dt.datetime | None = None
                   ) -> list[int]:
    """Read new posts for consent and opt-outs; returns the ids of approved confirmation
    messages, to queue once the transaction commits. Only posts that address the shop count:
    a "stop" said to someone else is not said to us."""
    if not post_ids:
        return []
    now = now or utcnow()
    posts = s.scalars(select(Post).where(Post.id.in_(post_ids), Post.is_own.is_(False),
                                         Post.addresses_shop.is_(True))
                      .order_by(Post.created_at, Post.id))
    approved: list[int] = []
    for post in posts:
        if is_opt_out(post.text):
            opt_out, _new = record_opt_out(s, network=post.network, person_id=post.author_id,
                                           handle=post.author_handle, post=post, now=now)
            message = queue_confirmation(s, shop, opt_out, post, now)
            if message is not None and message.state == "approved":
                approved.append(message.id)
        elif is_notify_request(post.text):
            for product_id in products_for(s, post):
                record_watcher(s, product_id=product_id, post=post, now=now)
    return approved


def products_for(s: Session, post: Post) -> list[int]:
    """The products a "notify me" is about: those the post names; else those of the shop's
    post or reply it answers; else those of its conversation."""
    named = list(s.scalars(select(PostProduct.product_id).where(PostProduct.post_id == post.id)))
    if named:
        return sorted(set(named))
    if post.reply_to_id:
        answered = s.scalar(select(Post).where(Post.network == post.network,
                                               Post.external_id == post.reply_to_id))
        shop_reply = s.scalar(select(Message).where(Message.network == post.network,
                                                    Message.external_id == post.reply_to_id))
        sources = [p.id for p in (answered,) if p is not None]
        if shop_reply is not None and shop_reply.in_reply_to_post_id:
            sources.append(shop_reply.in_reply_to_post_id)
        if shop_reply is not None and shop_reply.case_id:
            sources += list(s.scalars(select(Post.id).where(Post.case_id == shop_reply.case_id)))
        found = set(s.scalars(select(PostProduct.product_id)
                              .where(PostProduct.post_id.in_(sources)))) if sources else set()
        if found:
            return sorted(found)
    if post.thread_id:
        thread = select(Post.id).where(Post.network == post.network,
                                       Post.thread_id == post.thread_id)
        return sorted(set(s.scalars(select(PostProduct.product_id)
                                    .where(PostProduct.post_id.in_(thread)))))
    return []


def record_watcher(s: Session, *, product_id: int, post: Post, now: dt.datetime) -> Watcher:
    """The person's consent for one product: new, or renewed (a revoked watch is restored by a
    new, explicit request). An opt-out is lifted by it too: they asked again, in writing."""
    query = select(Watcher).where(Watcher.product_id == product_id,
                                  Watcher.network == post.network,
                                  Watcher.person_id == post.author_id)
    consent = {"handle": post.author_handle, "consent_post_id": post.id,
               "consent_text": post.text, "consented_at": post.created_at or now,
               "revoked_at": None,
               "source": "dm" if post.source == "dm" else ("reply" if post.reply_to_id
                                                           else "mention")}
    watcher = s.scalar(query)
    if watcher is None:
        watcher = Watcher(product_id=product_id, network=post.network, person_id=post.author_id,
                          **consent)
        try:
            with s.begin_nested():
                s.add(watcher)
        except IntegrityError:  # recorded by another worker just now
            watcher = s.scalar(query)
    for key, value in consent.items():
        setattr(watcher, key, value)
    opted_out = s.scalar(select(OptOut).where(OptOut.network == post.network,
                                              OptOut.person_id == post.author_id))
    if opted_out is not None and opted_out.created_at <= (post.created_at or now):
        s.delete(opted_out)
    log.info("watcher recorded: product %d, %s person %s", product_id, post.network,
             post.author_id)
    return watcher


def record_opt_out(s: Session, *, network: str, person_id: str, handle: str | None,
                   post: Post | None = None, now: dt.datetime | None = None
                   ) -> tuple[OptOut, bool]:
    """Honour a "stop" at once: the opt-out (kept once), every watch revoked, every proposed or
    queued outreach skipped and its unsent message cancelled. Returns (opt-out, is new)."""
    now = now or utcnow()
    opt_out = s.scalar(select(OptOut).where(OptOut.network == network,
                                            OptOut.person_id == person_id))
    new = opt_out is None
    if new:
        opt_out = OptOut(network=network, person_id=person_id, handle=handle,
                         post_id=post.id if post else None, created_at=now)
        try:
            with s.begin_nested():
                s.add(opt_out)
        except IntegrityError:
            new = False
            opt_out = s.scalar(select(OptOut).where(OptOut.network == network,
                                                    OptOut.person_id == person_id))
    s.execute(update(Watcher).where(Watcher.network == network, Watcher.person_id == person_id,
                                    Watcher.revoked_at.is_(None))
              .values(revoked_at=now).execution_options(synchronize_session="fetch"))
    for outreach in s.scalars(select(Outreach).where(
            Outreach.network == network, Outreach.person_id == person_id,
            Outreach.state.in_(("proposed", "queued")))):
        outreach.state = "skipped"
        if outreach.message_id:
            message = s.get(Message, outreach.message_id)
            if message is not None and message.state in ("draft", "approved", "failed"):
                message.state, message.last_error = "cancelled", "the person opted out"
    if new:
        log.info("opt-out recorded: %s person %s", network, person_id)
    return opt_out, new


def queue_confirmation(s: Session, shop: Shop, opt_out: OptOut, post: Post,
                       now: dt.datetime) -> Message | None:
    """One confirmation reply to the "stop" (automated: they wrote to the shop), never a
    second one for the same person."""
    key = f"opt_out:{opt_out.network}:{opt_out.person_id}"
    if s.scalar(select(Message.id).where(Message.idempotency_key == key)):
        return None
    account = sending_account(s, post)
    text = opt_out_confirmation(shop, post.lang)
    message = Message(kind="opt_out_confirmation", network=post.network,
                      social_account_id=account.id if account is not None else None,
                      channel=reply_channel(post),
                      in_reply_to_post_id=post.id, recipient_id=post.author_id,
                      recipient_handle=post.author_handle, audience_basis="engaged",
                      automated=True, text=text, idempotency_key=key)
    try:
        with s.begin_nested():
            s.add(message)
    except IntegrityError:  # another worker queued it
        return None
    try:
        approve(s, message, now=now)
    except NotAllowed as exc:
        message.last_error = str(exc)
        return message
    opt_out.confirmed_at = opt_out.confirmed_at or now
    return message


# the confirmation's text; the owner's version (``Shop.settings["promotion_templates"]``, same
# keys) wins
OPT_OUT_TEMPLATES = {
    "it/opt_out":
        "Fatto: non ti scriveremo più. Se cambi idea, rispondi «avvisami» a un nostro post.",
    "en/opt_out":
        "Done: we won't write to you again. If you change your mind, reply \"notify me\" to "
        "one of our posts.",
}


def opt_out_confirmation(shop: Shop, lang: str | None) -> str:
    key = f"{language(lang, shop)}/opt_out"
    return render_owned(shop, "promotion_templates", key, OPT_OUT_TEMPLATES[key],
                        {"shop_name": shop.name}, [])
