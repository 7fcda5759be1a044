"""A coffee shop on three networks and the people who talked about its Miscela Oro, for the
outreach tests: one of each kind the rules tell apart (watcher, engaged, everyone else, and each
reason to leave someone out), and a network stand-in that records every call."""
from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
from decimal import Decimal

from sqlalchemy import select

from arrosto.models import (
    Case,
    Message,
    OptOut,
    Post,
    PostProduct,
    Product,
    Promotion,
    PromotionProduct,
    Shop,
    SocialAccount,
    Watcher,
)
from arrosto.social.base import Sent

from ..factories import make_shop

NOW = dt.datetime(2026, 11, 24, 10, tzinfo=dt.UTC)
ENDS = dt.datetime(2026, 11, 30, 23, tzinfo=dt.UTC)  # midnight in Rome: the 30th's end
NETWORKS = ("x", "bluesky", "mastodon")
SHOP_HANDLES = {"x": "brace_caffe", "bluesky": "brace.bsky.social",
                "mastodon": "brace@mastodon.example"}
ORO_DESCRIPTION = ("Corpo pieno, acidità bassa e note di nocciola tostata e cacao: la base ideale "
                   "per un espresso rotondo. Conserva i grani nel sacchetto con valvola ben "
                   "richiuso, al buio e fuori dal frigorifero.")
_ids = itertools.count(1)


class Recorder:
    """Stands in for a connected network: records every write, can fail on demand."""

    def __init__(self, name: str = "x", fail: Exception | None = None,
                 already_sent: Sent | None = None):
        self.name = name
        self.calls: list[tuple] = []
        self.fail = fail
        self.already_sent = already_sent
        self.lock = threading.Lock()

    def _call(self, *call):
        with self.lock:
            self.calls.append(call)
            if self.fail is not None:
                raise self.fail
            return Sent(external_id=f"{self.name}-sent-{len(self.calls)}")

    def reply(self, post, text, *, idempotency_key):
        return self._call("reply", post.external_id, text, idempotency_key)

    def direct_message(self, user_id, text, *, idempotency_key):
        return self._call("dm", user_id, text, idempotency_key)

    def publish(self, text, *, idempotency_key):
        return self._call("publish", text, idempotency_key)

    def follow(self, user_id):
        return self._call("follow", user_id)

    def find_sent(self, text, since):
        self.calls.append(("find_sent", text))
        return self.already_sent

    def writes(self) -> list[tuple]:
        return [c for c in self.calls if c[0] in ("reply", "dm", "publish")]


def a_shop(db, *, settings: dict | None = None, domain: str = "brace.myshopify.com") -> int:
    shop_id = make_shop(db, domain, name="Torrefazione Brace", language="it",
                        timezone="Europe/Rome", currency="EUR", brand_terms=["brace"],
                        store_url="https://brace.example",
                        settings={"handles": SHOP_HANDLES, **(settings or {})})
    with db.transaction(shop_id) as s:
        for network, handle in SHOP_HANDLES.items():
            s.add(SocialAccount(network=network, handle=handle,
                                instance_url="https://mastodon.example"
                                if network == "mastodon" else None,
                                credentials=json.dumps({"access_token": "t"})))
        s.add_all([
            Product(external_id="p-oro", title="Miscela Oro", handle="miscela-oro",
                    url="https://brace.example/products/miscela-oro", price=Decimal("14.50"),
                    description=ORO_DESCRIPTION),
            Product(external_id="p-eti", title="Etiopia Yirgacheffe", price=Decimal("12.90"),
                    url="https://brace.example/products/etiopia"),
        ])
    return shop_id


def product_id(db, shop_id: int, external_id: str = "p-oro") -> int:
    with db.transaction(shop_id) as s:
        return s.scalar(select(Product.id).where(Product.external_id == external_id))


def a_promotion(db, shop_id: int, *, code: str | None = "ORO20", value: str | None = "20%",
                source: str = "shopify_discount", ends_at: dt.datetime | None = None,
                products: tuple[str, ...] = ("p-oro",)) -> int:
    with db.transaction(shop_id) as s:
        promotion = Promotion(source=source, external_id=f"d-{next(_ids)}",
                              title="Settimana dell'Oro", code=code, value=value,
                              starts_at=NOW - dt.timedelta(hours=1),
                              ends_at=ends_at or ENDS)
        s.add(promotion)
        s.flush()
        for external_id in products:
            pid = s.scalar(select(Product.id).where(Product.external_id == external_id))
            s.add(PromotionProduct(promotion_id=promotion.id, product_id=pid))
        return promotion.id


def a_post(s, network: str, author: str, text: str, *, intent: str = "praise",
           addresses_shop: bool = False, product: str | None = "p-oro", days_ago: float = 2,
           lang: str = "it", source: str = "search", is_own: bool = False,
           reply_to_id: str | None = None, thread_id: str | None = None,
           name: str | None = None, at: dt.datetime | None = None) -> Post:
    """A stored post by ``author`` (its handle; the id is ``id-<author>``), matched to
    ``product``."""
    created = at or NOW - dt.timedelta(days=days_ago)
    external_id = f"{network}-{next(_ids)}"
    post = Post(network=network, external_id=external_id, author_id=f"id-{author}",
                author_handle=author, author_name=name, text=text, lang=lang,
                created_at=created, source=source, addresses_shop=addresses_shop,
                is_own=is_own, intent=intent, reply_to_id=reply_to_id,
                thread_id=thread_id or reply_to_id or external_id,
                social_account_id=s.scalar(select(SocialAccount.id).where(
                    SocialAccount.network == network)))
    s.add(post)
    s.flush()
    if product:
        pid = s.scalar(select(Product.id).where(Product.external_id == product))
        s.add(PostProduct(post_id=post.id, product_id=pid, terms=["miscela oro"],
                          post_created_at=created))
        s.flush()
    return post


def handle(network: str, who: str) -> str:
    """How ``who`` spells their handle on ``network``."""
    return {"x": who, "bluesky": f"{who}.bsky.social",
            "mastodon": f"{who}@social.example"}[network]


def the_people(db, shop_id: int, network: str = "x") -> dict[str, str]:
    """One person of each kind on ``network``; returns name → person id."""
    h = {who: handle(network, who) for who in (
        "wanda", "edo", "olga", "carl", "otto", "rita", "rosa", "spammy", "old", "moana")}
    with db.transaction(shop_id) as s:
        oro = s.scalar(select(Product.id).where(Product.external_id == "p-oro"))
        # a watcher: asked to be told, replying to the shop
        consent = a_post(s, network, h["wanda"], "avvisami quando è in offerta!",
                         intent="question", addresses_shop=True, source="mention",
                         reply_to_id="shop-reply-1", days_ago=30)
        s.add(Watcher(product_id=oro, network=network, person_id=consent.author_id,
                      handle=consent.author_handle, consent_post_id=consent.id,
                      consent_text=consent.text, source="reply",
                      consented_at=consent.created_at))
        # engaged first: praise mentioning the shop
        a_post(s, network, h["edo"], f"@{SHOP_HANDLES[network]} la Miscela Oro è fantastica",
               addresses_shop=True, source="mention", lang="en")
        # everyone else: talked about it, never to the shop
        a_post(s, network, h["olga"], "la miscela oro di brace, che buona", days_ago=1)
        a_post(s, network, h["moana"], "miscela oro in moka: promossa", intent="other",
               days_ago=3)
        # an open complaint case, even though they praised it too
        a_post(s, network, h["carl"], "ottima la miscela oro", addresses_shop=True,
               source="mention")
        s.add(Case(network=network, author_id=f"id-{h['carl']}", author_handle=h["carl"],
                   thread_key="t-carl", intent="complaint", state="open"))
        # opted out
        a_post(s, network, h["otto"], "miscela oro top", addresses_shop=True, source="mention")
        s.add(OptOut(network=network, person_id=f"id-{h['otto']}", handle=h["otto"]))
        # written to three days ago; and twenty days ago (past the cooldown)
        for who, days in (("rita", 3), ("rosa", 20)):
            a_post(s, network, h[who], "la miscela oro è la mia preferita")
            s.add(Message(kind="reply", network=network, recipient_id=f"id-{h[who]}",
                          recipient_handle=h[who], text="Grazie!", state="sent",
                          sent_at=NOW - dt.timedelta(days=days),
                          idempotency_key=f"old-{network}-{who}"))
        # a feed: 80 stored posts this week
        for n in range(80):
            a_post(s, network, h["spammy"], f"miscela oro offerta {n}", product=None,
                   days_ago=n / 20)
        a_post(s, network, h["spammy"], "miscela oro in offerta", days_ago=1)
        # a brand's account and the shop's own post
        a_post(s, network, handle(network, "caffe_deals"), "miscela oro scontata qui")
        a_post(s, network, handle(network, "torrefazione"), "miscela oro!",
               name="Torrefazione Rossi®")
        a_post(s, network, SHOP_HANDLES[network], "la nostra miscela oro", is_own=True)
        # too long ago
        a_post(s, network, h["old"], "miscela oro buonissima", days_ago=120)
    return {who: f"id-{h[who]}" for who in h}


def shop_of(db, shop_id: int) -> Shop:
    with db.transaction(shop_id) as s:
        shop = s.get(Shop, shop_id)
        s.expunge(shop)
        return shop
