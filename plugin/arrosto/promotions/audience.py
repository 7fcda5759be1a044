"""Who hears about a promotion, in three groups the rules decide — not a setting:

- ``watcher``: people who asked to be told about one of the promotion's products (a
  :class:`~arrosto.models.Watcher` not revoked). Contacted automatically, once per promotion.
- ``engaged``: authors of posts about the products in the last N days (default 90) whose intent
  was praise, question, purchase intent or other — never a complaint — and who addressed the shop
  first (a mention, a reply to it, a message: ``Post.addresses_shop``). One automated reply to
  their post.
- ``owner``: everyone else who discussed the products. Never contacted automatically: the owner
  gets a short list, a drafted reply each, and sends them one at a time as a person.

Left out of every group: anyone with an open complaint case (or a complaint about these products
in the window) — except a restock request: a post with the ``restock_request`` signal ("avvisatemi
quando torna", "any chance of a restock?") asks for the product and is never counted as a
complaint, nor as dislike, even when the classifier called it one or it opened a complaint case;
its author stays in the engaged group when they wrote to the shop (else the owner's), with
``Person.restock_request`` set so their message invites them to become a watcher —, anyone
opted out, anyone contacted in the last ``cooldown_days`` (default 14: any message sent to them,
or another promotion's outreach queued or sent), the shop's own accounts, and accounts that look
like brands or bots (:func:`brand_or_bot`).

The groups are stored as :class:`~arrosto.models.Outreach` rows (state ``proposed``), one per
promotion and person (the database's uniqueness constraint): building again adds only new people,
raises a proposed row to a stronger basis (owner → engaged → watcher) and skips proposed rows of
people excluded since.

Fast on large shops: the posts come from the ``post_products`` index on (shop, product, time),
and every exclusion is one indexed query per few hundred people (``benchmarks/audience.py``).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import re
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import String, and_, any_, bindparam, func, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from ..listening.ingest import shop_handles
from ..models import (
    Case,
    Follow,
    Message,
    OptOut,
    Outreach,
    Post,
    PostProduct,
    Promotion,
    PromotionProduct,
    Shop,
    SocialAccount,
    Watcher,
)

log = logging.getLogger(__name__)

ENGAGED_INTENTS = ("praise", "question", "purchase_intent", "other")
POSITIVE_INTENTS = ("praise", "purchase_intent")
STRENGTH = {"owner": 0, "engaged": 1, "watcher": 2}
DISLIKED = -0.3  # a post this negative about the product: not someone to tell of its sale
CHUNK = 2000  # people per IN (...) list

# --- brands and bots: the documented heuristics ---------------------------------------------------
# a handle or display name word that is, or ends in, "bot" ("caffebot", "bot_offerte")
BOT_WORD = re.compile(r"bot$")
# inside a handle word: accounts that broadcast offers or news rather than a person talking
BROADCAST_PARTS = ("news", "deals", "offerte", "sconti", "coupon", "promo", "shop", "official",
                   "ufficiale", "giveaway", "notizie", "volantino")
# as a whole word of the handle or the name
BROADCAST_WORDS = frozenset({"store", "feed", "rss", "deal", "sale", "saldi", "outlet", "magazine",
                             "media", "brand", "srl", "spa", "ltd", "inc", "gmbh", "team"})
TRADEMARKS = ("®", "™")
# stored posts a week above which an author is a feed, not a person: listening stores only posts
# that name the shop or its products, and no person writes about them ten times a day
BOT_POSTS_PER_WEEK = 70


@dataclasses.dataclass
class Person:
    network: str
    person_id: str
    handle: str
    audience: str  # watcher | engaged | owner
    post_id: int | None = None  # the post to answer (consent post, their post to the shop)
    lang: str | None = None
    product_id: int | None = None
    last_post_at: dt.datetime | None = None
    name: str | None = None
    restock_request: bool = False  # asked for the product back: invite them to watch it

    @property
    def key(self) -> tuple[str, str]:
        return (self.network, self.person_id)


@dataclasses.dataclass
class Audience:
    watchers: list[Person]
    engaged: list[Person]
    owner: list[Person]
    excluded: dict[str, list[Person]]  # reason → people (for the owner's preview)
    added: int = 0  # Outreach rows this build created

    def groups(self) -> dict[str, list[Person]]:
        return {"watcher": self.watchers, "engaged": self.engaged, "owner": self.owner}


_MASTODON_USER = re.compile(r"^@?([^@]+)@.+$")
_BSKY_SUFFIX = re.compile(r"\.bsky\.social$")
_LETTER_DIGIT = re.compile(r"([a-z])(\d)|(\d)([a-z])")
_SEPARATORS = re.compile(r"[^a-z0-9à-ÿ]+")


def _words(value: str | None) -> list[str]:
    value = _BSKY_SUFFIX.sub("", _MASTODON_USER.sub(r"\1", (value or "").lower()))
    return [w for w in _SEPARATORS.split(_LETTER_DIGIT.sub(r"\1\3 \2\4", value)) if w]


@functools.lru_cache(maxsize=65536)
def brand_or_bot(handle: str | None, name: str | None = None) -> str | None:
    """Why a handle or name looks like a brand's or a bot's account, or None."""
    if any(mark in (name or "") for mark in TRADEMARKS):
        return "a trademark in the name"
    handle_words, name_words = _words(handle), _words(name)
    for word in handle_words + name_words:
        if BOT_WORD.search(word):
            return f"'{word}' looks like a bot"
        if word in BROADCAST_WORDS:
            return f"'{word}' looks like a brand or a feed"
    for word in handle_words:
        part = next((p for p in BROADCAST_PARTS if p in word), None)
        if part:
            return f"'{part}' in the handle looks like a brand or a feed"
    return None


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def own_handles(s: Session, shop: Shop) -> set[str]:
    handles = set(shop_handles(shop))
    for handle in s.scalars(select(SocialAccount.handle)):
        handle = handle.lower().lstrip("@")
        handles.update({handle, handle.split("@")[0]})
    return {h for h in handles if h}


# --- exclusions, in bulk --------------------------------------------------------------------------
# ``people``: (network, person id) pairs; each rule is one indexed query per network (and, on
# SQLite, per ``CHUNK`` people).

People = Iterable[tuple[str, str]]


def opted_out(s: Session, people: People) -> set[tuple[str, str]]:
    return _pairs(s, people, OptOut.network, OptOut.person_id, select(
        OptOut.network, OptOut.person_id))


def open_complaints(s: Session, people: People) -> set[tuple[str, str]]:
    return _pairs(s, people, Case.network, Case.author_id, select(Case.network, Case.author_id)
                  .where(Case.intent == "complaint", Case.state != "resolved"))


def _real_complaints(s: Session, found: set[tuple[str, str]], requesters: set[tuple[str, str]]
                     ) -> set[tuple[str, str]]:
    """``found`` (people with an open complaint case) less the restock requesters whose open
    complaint cases hold nothing but restock requests (a case the old classifier opened)."""
    asked = found & requesters
    if not asked:
        return found
    rows = s.execute(select(Case.network, Case.author_id, Post.intent, Post.signals)
                     .join(Post, Post.case_id == Case.id)
                     .where(Case.intent == "complaint", Case.state != "resolved",
                            Post.is_own.is_(False),
                            Case.author_id.in_([person for _, person in asked])))
    grieved = {(network, person) for network, person, intent, signals in rows
               if intent == "complaint" and "restock_request" not in (signals or ())}
    return (found - asked) | (asked & grieved)


def contacted_since(s: Session, people: People, since: dt.datetime, *,
                    except_promotion: int | None = None) -> set[tuple[str, str]]:
    """People sent any message since ``since`` (or approved to be sent), or with another
    promotion's outreach queued or sent since then (the frequency cap)."""
    found = _pairs(s, people, Message.network, Message.recipient_id,
                   select(Message.network, Message.recipient_id).where(or_(
                       Message.state.in_(("sent", "sending")) & (Message.sent_at >= since),
                       Message.state.in_(("approved", "sending"))
                       & (Message.approved_at >= since))))
    outreach = select(Outreach.network, Outreach.person_id).where(
        Outreach.state.in_(("queued", "sent", "owner_sent")), Outreach.created_at >= since)
    if except_promotion is not None:
        outreach = outreach.where(Outreach.promotion_id != except_promotion)
    return found | _pairs(s, people, Outreach.network, Outreach.person_id, outreach)


def prolific(s: Session, people: People, now: dt.datetime,
             per_week: int = BOT_POSTS_PER_WEEK) -> set[tuple[str, str]]:
    """Authors with more than ``per_week`` stored posts in the last seven days."""
    query = select(Post.network, Post.author_id).where(
        Post.created_at >= now - dt.timedelta(days=7)).group_by(
        Post.network, Post.author_id).having(func.count() > per_week)
    return _pairs(s, people, Post.network, Post.author_id, query)


def _pairs(s: Session, people: People, network_col, person_col, query) -> set[tuple[str, str]]:
    by_network: dict[str, list[str]] = {}
    for network, person in people:
        by_network.setdefault(network, []).append(person)
    found: set[tuple[str, str]] = set()
    postgres = s.get_bind().dialect.name == "postgresql"
    for network, persons in by_network.items():
        # PostgreSQL takes the whole list as one array parameter; elsewhere, IN lists in chunks
        chunks = [persons] if postgres else _chunks(persons)
        for chunk in chunks:
            match = person_col == any_(bindparam("people", chunk, type_=ARRAY(String))) \
                if postgres else person_col.in_(chunk)
            found.update((n, p) for n, p in s.execute(query.where(network_col == network,
                                                                  match)))
    return found


# --- the audience ---------------------------------------------------------------------------------

def product_ids(s: Session, promotion: Promotion) -> list[int]:
    return list(s.scalars(select(PromotionProduct.product_id)
                          .where(PromotionProduct.promotion_id == promotion.id)))


def build_audience(s: Session, promotion: Promotion, now: dt.datetime, *, days: int = 90,
                   cooldown_days: int = 14, store: bool = True) -> Audience:
    """The promotion's three groups, and (``store``) their Outreach rows, idempotently."""
    shop = s.get(Shop, promotion.shop_id)
    products = product_ids(s, promotion)
    since = now - dt.timedelta(days=days)
    people: dict[tuple[str, str], Person] = {}
    excluded: dict[str, list[Person]] = {}
    complained: set[tuple[str, str]] = set()
    own: set[tuple[str, str]] = set()
    disliked: set[tuple[str, str]] = set()
    requesters: set[tuple[str, str]] = set()  # asked for the product back

    # watchers first: their consent is the strongest basis
    if products:
        rows = s.execute(
            select(Watcher.network, Watcher.person_id, Watcher.handle, Watcher.consent_post_id,
                   Watcher.product_id, Watcher.consented_at, Post.lang)
            .outerjoin(Post, Post.id == Watcher.consent_post_id)
            .where(Watcher.product_id.in_(products), Watcher.revoked_at.is_(None),
                   Watcher.network != "web")
            .order_by(Watcher.consented_at.desc()))
        for network, person_id, handle, post_id, product_id, at, lang in rows:
            people.setdefault((network, person_id), Person(
                network, person_id, handle, "watcher", post_id, lang, product_id, at))

    # the authors of the window's posts about the products, newest first
    if products:
        rows = s.execute(
            select(Post.network, Post.author_id, Post.author_handle, Post.author_name, Post.id,
                   Post.lang, Post.intent, Post.addresses_shop, Post.is_own,
                   PostProduct.post_created_at, PostProduct.product_id, Post.sentiment,
                   Post.signals)
            .join(Post, Post.id == PostProduct.post_id)
            .where(PostProduct.product_id.in_(products), PostProduct.post_created_at >= since,
                   PostProduct.post_created_at <= now)
            .order_by(PostProduct.post_created_at.desc(), Post.id.desc()))
        for (network, author, handle, name, post_id, lang, intent, addressed, is_own, at,
             product_id, sentiment, signals) in rows:
            key = (network, author)
            if "restock_request" in (signals or ()) and not is_own:
                intent = "question" if intent == "complaint" else intent  # a request, not a grief
                requesters.add(key)
            elif sentiment is not None and sentiment <= DISLIKED and \
                    intent not in POSITIVE_INTENTS:
                disliked.add(key)  # "flat and bitter" is no opening for "it's on sale"
            if is_own or intent == "complaint":
                (own if is_own else complained).add(key)
                people.setdefault(key, Person(network, author, handle, "owner", post_id, lang,
                                              product_id, at, name))  # shown as excluded
                continue
            person = people.get(key)
            if person is None:
                people[key] = Person(network, author, handle, "engaged" if addressed else "owner",
                                     post_id, lang, product_id, at, name)
            elif person.audience == "owner" and addressed:
                # the newest post that addressed the shop is the one an automated reply answers
                person.audience, person.post_id, person.lang = "engaged", post_id, lang
                person.product_id = product_id
            elif person.name is None:
                person.name = name

    for key in requesters:
        people[key].restock_request = True
    keys = list(people)
    own_names = own_handles(s, shop)
    reasons: list[tuple[str, set[tuple[str, str]]]] = [
        ("the shop's own account", own | {k for k in keys
                                          if people[k].handle.lower().lstrip("@") in own_names
                                          or people[k].handle.lower().lstrip("@").split("@")[0]
                                          in own_names}),
        ("opted out", opted_out(s, keys)),
        ("complained", complained | _real_complaints(s, open_complaints(s, keys), requesters)),
        # a watcher asked to be told, whatever they said of it before
        ("said they did not like it", {k for k in disliked
                                       if k in people and people[k].audience != "watcher"}),
        ("contacted lately", contacted_since(s, keys,
                                             now - dt.timedelta(days=cooldown_days),
                                             except_promotion=promotion.id)),
        ("looks like a bot (posts too often)", prolific(s, keys, now)),
    ]
    dropped: set[tuple[str, str]] = set()
    for reason, found in reasons:
        for key in found:
            if key in people and key not in dropped:
                dropped.add(key)
                excluded.setdefault(reason, []).append(people[key])
    for key in keys:
        if key in dropped:
            continue
        person = people[key]
        # a watcher asked in person: a brand-like name does not undo their consent
        why = None if person.audience == "watcher" else brand_or_bot(person.handle, person.name)
        if why:
            dropped.add(key)
            excluded.setdefault(f"looks like a brand or a bot ({why})", []).append(person)
    audience = Audience([], [], [], excluded)
    groups = audience.groups()
    for key in keys:
        if key not in dropped:
            groups[people[key].audience].append(people[key])
    if store:
        audience.added = store_outreach(s, promotion, audience, dropped, now)
    log.info("promotion %d: audience %d watchers, %d engaged, %d for the owner, %d excluded, "
             "%d new", promotion.id, len(audience.watchers), len(audience.engaged),
             len(audience.owner), len(dropped), audience.added)
    return audience


def store_outreach(s: Session, promotion: Promotion, audience: Audience,
                   dropped: set[tuple[str, str]], now: dt.datetime) -> int:
    """One Outreach row per person (new ones only); proposed rows follow the audience."""
    existing = {(o.network, o.person_id): o for o in s.scalars(
        select(Outreach).where(Outreach.promotion_id == promotion.id))}
    rows = []
    for group in audience.groups().values():
        for person in group:
            row = existing.get(person.key)
            if row is None:
                rows.append({"shop_id": promotion.shop_id, "promotion_id": promotion.id,
                             "network": person.network, "person_id": person.person_id,
                             "handle": person.handle, "audience": person.audience,
                             "post_id": person.post_id, "lang": person.lang, "draft": "",
                             "state": "proposed", "created_at": now})
            elif row.state == "proposed" and \
                    STRENGTH[person.audience] > STRENGTH.get(row.audience, 0):
                row.audience, row.post_id, row.lang, row.draft = (
                    person.audience, person.post_id, person.lang, "")
    for key in dropped:
        row = existing.get(key)
        if row is not None and row.state == "proposed":
            row.state = "skipped"
    for chunk in _chunks(rows, 5000):
        _insert_new(s, chunk)
    return len(rows)


def _insert_new(s: Session, rows: list[dict[str, Any]]) -> None:
    """Insert, leaving out rows another worker inserted meanwhile (the unique constraint).
    PostgreSQL gets one statement of arrays (``unnest``): thousands of rows in one round trip."""
    connection = s.connection()
    if connection.dialect.name == "postgresql":
        columns = ("network", "person_id", "handle", "audience", "post_id", "lang")
        arrays = {c: [r[c] for r in rows] for c in columns}
        first = rows[0]
        connection.execute(text(
            "INSERT INTO outreach (shop_id, promotion_id, network, person_id, handle, audience, "
            "post_id, lang, draft, state, created_at) "
            "SELECT :shop_id, :promotion_id, t.network, t.person_id, t.handle, t.audience, "
            "t.post_id, t.lang, '', 'proposed', :created_at FROM unnest("
            "CAST(:network AS text[]), CAST(:person_id AS text[]), CAST(:handle AS text[]), "
            "CAST(:audience AS text[]), CAST(:post_id AS integer[]), CAST(:lang AS text[])) "
            "AS t(network, person_id, handle, audience, post_id, lang) "
            "ON CONFLICT (promotion_id, network, person_id) DO NOTHING"),
            {"shop_id": first["shop_id"], "promotion_id": first["promotion_id"],
             "created_at": first["created_at"].astimezone(dt.UTC).replace(tzinfo=None),
             **arrays})
        return
    from sqlalchemy.dialects.sqlite import insert

    statement = insert(Outreach.__table__).on_conflict_do_nothing(
        index_elements=["promotion_id", "network", "person_id"])
    connection.execute(statement, rows)  # Core: the rows name their shop themselves


# --- people worth following --------------------------------------------------------------------

@dataclasses.dataclass
class FollowCandidate:
    network: str
    person_id: str
    handle: str
    posts: int  # positive posts about the product in the window
    last_post_at: dt.datetime
    post_id: int  # their newest positive post, for the owner to read first


def people_to_follow(s: Session, product_id: int, limit: int = 20, *,
                     now: dt.datetime | None = None, days: int = 90) -> list[FollowCandidate]:
    """Frequent positive authors about the product (praise or purchase intent, or a positive
    sentiment), most posts first: not yet followed, not the shop, not brands or bots, not opted
    out, no open complaint. The owner follows each one by their own click
    (:func:`arrosto.promotions.outreach.follow_person`)."""
    from ..models import utcnow

    now = now or utcnow()
    since = now - dt.timedelta(days=days)
    positive = or_(Post.intent.in_(POSITIVE_INTENTS),
                   and_(Post.intent != "complaint", Post.sentiment > 0.3))
    rows = s.execute(
        select(Post.network, Post.author_id, func.max(Post.author_handle),
               func.max(Post.author_name), func.count(), func.max(Post.created_at),
               func.max(Post.id))
        .join(PostProduct, PostProduct.post_id == Post.id)
        .where(PostProduct.product_id == product_id, PostProduct.post_created_at >= since,
               Post.is_own.is_(False), positive)
        .group_by(Post.network, Post.author_id)
        .order_by(func.count().desc(), func.max(Post.created_at).desc())
        .limit(limit * 4 + 20))
    found = [FollowCandidate(network, author, handle, count, last, post_id)
             for network, author, handle, name, count, last, post_id in rows
             if brand_or_bot(handle, name) is None]
    keys = [(c.network, c.person_id) for c in found]
    shop = s.get(Shop, s.info["shop_id"]) if s.info.get("shop_id") else None
    own = own_handles(s, shop) if shop is not None else set()
    followed = _pairs(s, keys, Follow.network, Follow.person_id,
                      select(Follow.network, Follow.person_id))
    skip = followed | opted_out(s, keys) | open_complaints(s, keys) | prolific(s, keys, now)
    return [c for c in found if (c.network, c.person_id) not in skip
            and c.handle.lower().lstrip("@") not in own][:limit]
