"""A shop with something to say in its digest, and a fake transport that records messages."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
from decimal import Decimal

from arrosto.models import (
    Case,
    Conversion,
    DigestRecipient,
    Message,
    OptOut,
    Order,
    Outreach,
    Post,
    PostProduct,
    Product,
    Promotion,
    SocialAccount,
    Watcher,
)

from ..factories import make_shop

# the digest of 2026-11-23 (Rome) covers 2026-11-22 local: 2026-11-21 23:00 → 2026-11-22 23:00 UTC
DAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 7, 30, tzinfo=dt.UTC)  # 08:30 in Rome
YESTERDAY = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)
DAY_BEFORE = dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC)


def add_recipients(db, shop_id: int, *addresses: str) -> list[int]:
    with db.transaction(shop_id) as s:
        rows = [DigestRecipient(email=a) for a in addresses]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def busy_shop(db, domain: str = "brace.example", **shop) -> int:
    """Complaints (one old with an order, one new), a question, mentions of two products on the
    day and the day before, praise and complaint quotes, a promotion with results, an X account."""
    shop.setdefault("timezone", "Europe/Rome")
    shop.setdefault("language", "it")
    shop_id = make_shop(db, domain, name="Torrefazione Brace", **shop)
    with db.transaction(shop_id) as s:
        moka = Product(external_id="p1", title="Moka Inox 3 tazze")
        blend = Product(external_id="p2", title="Miscela Vesuvio")
        order = Order(external_id="o1", name="#1042", number=1042, created_at=DAY_BEFORE,
                      total_price=Decimal("24.90"))
        account = SocialAccount(network="x", handle="bracecaffe", read_budget_month="2026-11",
                                reads_used=8500)
        s.add_all([moka, blend, order, account])
        s.flush()
        old = Case(network="x", author_id="u1", author_handle="giulia", thread_key="t1",
                   intent="complaint", order_id=order.id,
                   opened_at=NOW - dt.timedelta(hours=30))
        new = Case(network="bluesky", author_id="u2", author_handle="marco.bsky.social",
                   thread_key="t2", intent="complaint", opened_at=NOW - dt.timedelta(hours=1))
        question = Case(network="x", author_id="u3", author_handle="anna", thread_key="t3",
                        intent="question", opened_at=NOW - dt.timedelta(hours=5))
        answered = Case(network="x", author_id="u4", author_handle="luca", thread_key="t4",
                        intent="complaint", state="waiting", opened_at=NOW - dt.timedelta(hours=50))
        s.add_all([old, new, question, answered])
        s.flush()
        n = 0

        def post(text, when, intent, product=None, case=None, **kw):
            nonlocal n
            n += 1
            row = Post(network=kw.pop("network", "x"), external_id=f"post{n}",
                       author_id=f"a{n}", author_handle=kw.pop("handle", f"person{n}"),
                       text=text, created_at=when, intent=intent,
                       case_id=case.id if case else None, **kw)
            s.add(row)
            s.flush()
            if product is not None:
                s.add(PostProduct(post_id=row.id, product_id=product.id, post_created_at=when))
            return row

        post("La moka ha il manico che balla, ordine #1042. Così non va.", old.opened_at,
             "complaint", moka, old, handle="giulia")
        post("Il caffè è arrivato rotto", new.opened_at, "complaint", None, new,
             network="bluesky", handle="marco.bsky.social")
        post("Spedite in Germania?", question.opened_at, "question", None, question)
        for i in range(3):
            post(f"La Vesuvio in moka è perfetta, crema densa {i}", YESTERDAY, "praise", blend)
        post("La moka perde dalla guarnizione", YESTERDAY, "complaint", moka)
        post("Moka nuova arrivata", YESTERDAY, "other", moka)
        post("Vesuvio ieri", DAY_BEFORE, "other", blend)
        own = post("Nuova moka in offerta!", YESTERDAY, "other", moka, is_own=True)
        promo = Promotion(source="manual", external_id="promo1", title="Sconto moka",
                          code="MOKA10", value="10%", state="sending")
        pending = Promotion(source="price_drop", external_id="promo2", title="Vesuvio −20%",
                            state="pending_approval")
        s.add_all([promo, pending])
        s.flush()
        sent = Message(kind="outreach", network="x", text="C'è lo sconto!", state="sent",
                       idempotency_key="out1", sent_at=YESTERDAY, external_id="x-msg-1",
                       recipient_id="w1")
        s.add(sent)
        s.flush()
        s.add_all([
            Outreach(promotion_id=promo.id, network="x", person_id="w1", handle="w1",
                     audience="watcher", state="sent", message_id=sent.id),
            Watcher(product_id=moka.id, network="x", person_id="w2", handle="w2",
                    source="reply", consented_at=YESTERDAY),
            OptOut(network="x", person_id="w3", created_at=YESTERDAY),
            Conversion(promotion_id=promo.id, order_id=order.id, revenue=Decimal("24.90"),
                       matched_by="code", created_at=YESTERDAY),
        ])
        post("grazie, preso!", YESTERDAY + dt.timedelta(hours=1), "other",
             reply_to_id="x-msg-1")
        assert own.is_own
    return shop_id


class Outbox:
    """A transport that keeps what it is given, as a mail server would."""

    def __init__(self):
        self.messages = []
        self.now = None

    def __call__(self, msg):
        self.messages.append((self.now, email.message_from_bytes(
            msg.as_bytes(), policy=email.policy.default)))

    def to(self, address):
        return [m for _, m in self.messages if m["To"] == address]
