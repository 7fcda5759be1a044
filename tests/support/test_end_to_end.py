"""End to end on X through the real tweepy client, HTTP answered from recorded payloads:
a complaint mentioning the shop → case → linked order → drafts → the owner's approval → the reply
posted through X's recorded ``POST /2/tweets`` → the case waits for the customer.

The mention is the reply to the shop in ``built_search_recent_expanded.json`` (X API v2 Post and
User objects, the shapes ``GET /2/users/:id/mentions`` returns too), served with ``responses``; the
reply is tweepy's own recorded cassette replayed with vcrpy (tests/fixtures/x/SOURCES.md).
"""
from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import responses
from sqlalchemy import select

from arrosto.listening.keywords import refresh_keywords
from arrosto.listening.pipeline import listen_account
from arrosto.models import (
    Case,
    Customer,
    Message,
    Order,
    OrderLine,
    OrderLink,
    Post,
    Product,
    Shop,
    SocialAccount,
    SocialIdentity,
)
from arrosto.outbox.send import approve, send_message

from ..factories import make_shop
from ..social.test_x import EXPANDED, OAUTH1, SHOP_ID, replay

POSTED_AT = dt.datetime(2022, 10, 8, 9, 12, 30, tzinfo=dt.UTC)  # the recorded mention's time


def shop_with_giulias_order(db) -> tuple[int, int, int]:
    shop_id = make_shop(db, "brace.myshopify.com", name="Torrefazione Brace", language="it",
                        brand_terms=["brace"])
    with db.transaction(shop_id) as s:
        account = SocialAccount(network="x", handle="TweepyDev", external_id=SHOP_ID,
                                credentials=json.dumps(OAUTH1),
                                capabilities={"search_off": "this test reads mentions only"})
        product = Product(external_id="p-oro", title="Miscela Oro", vendor="Brace",
                          price=Decimal("14.50"), url="https://brace.example/products/oro")
        customer = Customer(external_id="c-1", first_name="Giulia", last_name="Orrù",
                            email="giulia.orru@example.it", postcode="09124")
        s.add_all([account, product, customer])
        s.flush()
        # the owner confirmed this handle as Giulia's on an earlier case
        s.add(SocialIdentity(customer_id=customer.id, network="x", handle="giulia_caffe",
                             author_id="1500000000000000001", verified_by="owner"))
        order = Order(external_id="o-1", number=1042, name="#1042", customer_id=customer.id,
                      email=customer.email, shipping_name="Giulia Orrù",
                      shipping_postcode="09124", total_price=Decimal("33.90"),
                      created_at=POSTED_AT - dt.timedelta(days=5), fulfillment_status=None,
                      lines=[OrderLine(title="Miscela Oro", quantity=2, price=Decimal("14.50"),
                                       product_id=product.id)])
        s.add(order)
        s.flush()
        refresh_keywords(s, s.get(Shop, shop_id))  # as a catalog sync does
        return shop_id, account.id, order.id


def test_a_mention_becomes_a_linked_case_and_the_approved_reply_is_posted(app, db):
    settings = app.config["ARROSTO"]
    shop_id, account_id, order_id = shop_with_giulias_order(db)

    # 1. listening: the mention arrives through tweepy, answered from the recorded payload
    with responses.RequestsMock() as rsps:
        rsps.get(re.compile(rf"https://api\.twitter\.com/2/users/{SHOP_ID}/mentions.*"),
                 json=EXPANDED)
        result = listen_account(db, settings, account_id)
    assert result.errors == [] and result.new == 3

    with db.transaction(shop_id) as s:
        post = s.scalar(select(Post).where(Post.external_id == "1578674685342646272"))
        assert post.intent == "complaint" and post.addresses_shop
        case = s.get(Case, post.case_id)
        # 2. the case is linked to Giulia's order by her verified handle (and the product)
        assert (case.state, case.order_id) == ("open", order_id)
        link = s.scalar(select(OrderLink).where(OrderLink.case_id == case.id))
        assert link.status == "auto" and link.confidence >= 0.8
        assert any("handle" in reason for reason in link.reasons)
        # 3. drafts: a public reply without her data, a private one with the order
        drafts = {m.channel: m for m in s.scalars(select(Message).where(
            Message.case_id == case.id))}
        public = drafts["public"]
        assert public.state == "draft"  # approval is the default
        assert not re.search(r"1042|Giulia|Orrù|33[.,]90", public.text)
        assert "#1042" in drafts["dm"].text
        public_id, case_id = public.id, case.id
        # 4. the owner approves (editing a little)
        approve(s, public, text=public.text + " A presto!")

    # 5. sent through X's recorded POST /2/tweets, as a reply to her post
    with replay("test_client_create_and_delete_tweet.yaml") as (tape, sent):
        assert send_message(db, settings, public_id) == "sent"
    assert tape.play_count == 1
    body = json.loads(sent[-1].body)
    assert body["reply"] == {"in_reply_to_tweet_id": "1578674685342646272"}
    assert body["text"].endswith("A presto!") and "1042" not in body["text"]

    # 6. the case waits for the customer; the reply is recorded with X's id
    with db.transaction(shop_id) as s:
        case = s.get(Case, case_id)
        assert case.state == "waiting" and case.first_response_at is not None
        message = s.get(Message, public_id)
        assert (message.state, message.external_id) == ("sent", "1456012973835788293")
        assert message.automated is False
