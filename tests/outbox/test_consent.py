"""Consent and opt-out from what people write: "avvisami" records a watcher with the post that
gave consent; "stop" is honoured at once everywhere and confirmed once."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from arrosto.listening.ingest import store_posts
from arrosto.listening.keywords import refresh_keywords
from arrosto.listening.pipeline import process_new_posts
from arrosto.models import Message, OptOut, Outreach, Post, Promotion, Shop, Watcher
from arrosto.outbox.consent import handle_consent, is_notify_request, is_opt_out
from arrosto.outbox.send import send_message
from arrosto.promotions.outreach import approve_promotion, owner_queue, send_outreach
from arrosto.social.base import PostData

from ..promotions.people import NOW, Recorder, a_post, a_promotion, a_shop, product_id, the_people


@pytest.mark.parametrize(("text", "stop", "notify"), [
    ("@brace_caffe STOP", True, False), ("stop", True, False), ("Basta, grazie", True, False),
    ("basta messaggi per favore", True, False), ("unsubscribe me please", True, False),
    ("non scrivermi più", True, False), ("Per favore non scrivermi piu!", True, False),
    ("cancellami dalla lista", True, False), ("ok stop", True, False),
    ("@brace_caffe avvisami!", False, True), ("Notify me when it's back", False, True),
    ("fammi sapere quando torna la miscela oro", False, True),
    ("can't stop drinking this miscela oro, so good honestly", False, False),
    ("basta con il caffè cattivo, la miscela oro è un'altra cosa davvero", False, False),
    ("la miscela oro è buonissima", False, False),
])
def test_what_counts_as_stop_or_notify_me(text, stop, notify):
    assert (is_opt_out(text), is_notify_request(text)) == (stop, notify)


def test_notify_me_through_listening_records_the_consent_post(db, settings, monkeypatch):
    shop_id = a_shop(db)
    with db.transaction(shop_id) as s:
        refresh_keywords(s, s.get(Shop, shop_id))
        question = a_post(s, "x", "ada", "la miscela oro torna disponibile?", intent="question",
                          addresses_shop=True, source="mention", days_ago=1)
        # the shop answered her (its reply invited "avvisami")
        s.add(Message(kind="reply", network="x", recipient_id=question.author_id, state="sent",
                      text="Rispondi «avvisami» e ti avvisiamo.", external_id="1900000000000000",
                      in_reply_to_post_id=question.id, idempotency_key="reply-ada",
                      sent_at=NOW - dt.timedelta(hours=20)))
        stored = store_posts(s, s.get(Shop, shop_id), [PostData(
            network="x", external_id="1900000000000001", author_id="id-ada",
            author_handle="ada", text="@brace_caffe avvisami!", created_at=NOW,
            reply_to_id="1900000000000000", addresses_shop=True)], source="mention")
    sent = Recorder("x")
    monkeypatch.setattr("arrosto.social.accounts.network_for", lambda *a, **k: sent)
    process_new_posts(db, shop_id, stored.new_ids, settings=None)
    with db.transaction(shop_id) as s:
        watcher = s.scalar(select(Watcher))
        consent = s.get(Post, watcher.consent_post_id)
        assert watcher.product_id == product_id(db, shop_id)
        assert (watcher.network, watcher.person_id, watcher.source) == ("x", "id-ada", "reply")
        assert consent.external_id == "1900000000000001"
        assert watcher.consent_text == "@brace_caffe avvisami!"
        assert watcher.consented_at == NOW and watcher.revoked_at is None
    assert sent.writes() == []  # consent is recorded, not answered


def test_naming_a_product_in_a_mention_is_enough(db):
    shop_id = a_shop(db)
    with db.transaction(shop_id) as s:
        post = a_post(s, "mastodon", "ada@social.example",
                      "@brace fammi sapere quando la miscela oro è in offerta",
                      intent="question", addresses_shop=True, source="mention")
        handle_consent(s, s.get(Shop, shop_id), [post.id], NOW)
        watcher = s.scalar(select(Watcher))
        assert (watcher.source, watcher.consent_post_id) == ("mention", post.id)
        # said to someone else, not to the shop: nothing
        other = a_post(s, "x", "bob", "fammi sapere se la miscela oro è buona")
        handle_consent(s, s.get(Shop, shop_id), [other.id], NOW)
        assert s.scalar(select(func.count(Watcher.id))) == 1


def test_stop_is_honoured_at_once_everywhere_and_confirmed_once(db, settings):
    shop_id = a_shop(db)
    who = the_people(db, shop_id)
    promotion_id = a_promotion(db, shop_id)
    with db.transaction(shop_id) as s:
        approve_promotion(s, s.get(Promotion, promotion_id), NOW)
    other = a_promotion(db, shop_id, products=("p-eti",))
    eti = product_id(db, shop_id, "p-eti")
    with db.transaction(shop_id) as s:  # wanda watches the other product too
        s.add(Watcher(product_id=eti, network="x", person_id=who["wanda"], handle="wanda",
                      source="reply"))
        stop = a_post(s, "x", "wanda", "@brace_caffe stop", intent="other", product=None,
                      addresses_shop=True, source="mention", days_ago=0)
        olga_stop = a_post(s, "x", "olga", "@brace_caffe basta", intent="other", product=None,
                           addresses_shop=True, source="mention", days_ago=0)
        approved = handle_consent(s, s.get(Shop, shop_id), [stop.id, olga_stop.id], NOW)
    assert len(approved) == 2
    with db.transaction(shop_id) as s:
        assert {o.person_id for o in s.scalars(select(OptOut))} >= {who["wanda"], who["olga"]}
        assert all(w.revoked_at == NOW for w in s.scalars(
            select(Watcher).where(Watcher.person_id == who["wanda"])))
        rows = {o.person_id: o for o in s.scalars(select(Outreach))}
        assert rows[who["wanda"]].state == rows[who["olga"]].state == "skipped"
        assert s.get(Message, rows[who["wanda"]].message_id).state == "cancelled"
        assert who["olga"] not in [o.person_id for o in owner_queue(
            s, s.get(Promotion, promotion_id), NOW)]
        confirmation = s.scalar(select(Message).where(
            Message.kind == "opt_out_confirmation", Message.recipient_id == who["wanda"]))
        assert (confirmation.in_reply_to_post_id, confirmation.automated) == (stop.id, True)
        assert confirmation.text.startswith("Fatto: non ti scriveremo più.")
    # the confirmation goes out (the one message an opt-out allows), nothing else does
    network = Recorder("x")
    assert send_message(db, settings, confirmation.id, network=network, now=NOW) == "sent"
    send_outreach(db, settings, now=NOW + dt.timedelta(minutes=5),
                  network_factory=lambda account: network)
    to_wanda = [c[-1] for c in network.writes() if c[-1].endswith(who["wanda"])]
    assert to_wanda == [f"opt_out:x:{who['wanda']}"]
    assert any(c[-1].endswith(who["edo"]) for c in network.writes())  # the others go on
    with db.transaction(shop_id) as s:
        assert s.scalar(select(OptOut).where(OptOut.person_id == who["wanda"])).confirmed_at
        # a new promotion leaves them out
        from arrosto.promotions.audience import build_audience

        audience = build_audience(s, s.get(Promotion, other), NOW)
        assert who["wanda"] not in {p.person_id for p in audience.watchers}
        # saying it again does not confirm twice
        again = a_post(s, "x", "wanda", "@brace_caffe STOP!!", intent="other", product=None,
                       addresses_shop=True, source="mention", days_ago=0)
        assert handle_consent(s, s.get(Shop, shop_id), [again.id], NOW) == []
        assert s.scalar(select(func.count(Message.id)).where(
            Message.kind == "opt_out_confirmation", Message.recipient_id == who["wanda"])) == 1


@pytest.mark.parametrize(("network", "call"), [("x", "dm"), ("mastodon", "reply")])
def test_a_private_stop_is_confirmed_privately_as_the_network_allows(db, settings, network,
                                                                     call):
    """X keeps direct messages apart from posts: the confirmation is a direct message. On
    Mastodon a reply to a direct post stays direct: the confirmation is that reply."""
    shop_id = a_shop(db)
    with db.transaction(shop_id) as s:
        stop = a_post(s, network, "ada", "stop", intent="other", product=None,
                      addresses_shop=True, source="dm", days_ago=0)
        approved = handle_consent(s, s.get(Shop, shop_id), [stop.id], NOW)
    assert len(approved) == 1
    recorder = Recorder(network)
    assert send_message(db, settings, approved[0], network=recorder, now=NOW) == "sent"
    assert [c[0] for c in recorder.writes()] == [call]


def test_asking_again_after_stop_is_consent_again(db):
    shop_id = a_shop(db)
    with db.transaction(shop_id) as s:
        stop = a_post(s, "x", "ada", "@brace_caffe stop", intent="other", product=None,
                      addresses_shop=True, source="mention", days_ago=2)
        handle_consent(s, s.get(Shop, shop_id), [stop.id], NOW - dt.timedelta(days=2))
        ask = a_post(s, "x", "ada", "@brace_caffe avvisami per la miscela oro",
                     intent="question", addresses_shop=True, source="mention", days_ago=0)
        handle_consent(s, s.get(Shop, shop_id), [ask.id], NOW)
        assert s.scalar(select(OptOut)) is None
        assert s.scalar(select(Watcher)).consent_post_id == ask.id
