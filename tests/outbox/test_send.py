"""The outbox: approval, the networks' rules, opt-outs, retries, a crash between the network and
the record, exactly one sender, first response and SLA flags. (The network here is a recorder of
calls; the end-to-end test sends through the real SDK against recorded responses.)"""
from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from arrosto.errors import FatalPlatformError, RetryableError
from arrosto.models import Case, Message, OptOut, Post, Shop, SocialAccount
from arrosto.outbox.send import NotAllowed, approve, mark_sent_by_hand, send_message
from arrosto.social.base import Sent
from arrosto.support.cases import attend
from arrosto.support.sla import flag_overdue, overdue_cases

from ..factories import make_shop
from ..promotions.people import Recorder

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)


def a_case(db, *, addresses_shop=True, intent="complaint", rules=None, account=True):
    shop_id = make_shop(db, f"send-{addresses_shop}-{intent}",
                        settings={"auto_send": rules or {}})
    with db.transaction(shop_id) as s:
        acc = None
        if account:
            acc = SocialAccount(network="mastodon", handle="brace@mastodon.example",
                                instance_url="https://mastodon.example",
                                credentials=json.dumps({"access_token": "t"}))
            s.add(acc)
            s.flush()
        case = Case(network="mastodon", author_id="109", author_handle="ada@mastodon.example",
                    thread_key="t1", intent=intent, lang="en", addresses_shop=addresses_shop,
                    opened_at=NOW - dt.timedelta(hours=5), last_message_at=NOW)
        s.add(case)
        s.flush()
        s.add(Post(network="mastodon", external_id="m1", author_id="109",
                   author_handle="ada@mastodon.example", text="my order never came, help",
                   created_at=NOW, case_id=case.id, intent=intent, addresses_shop=addresses_shop,
                   social_account_id=acc.id if acc else None,
                   source="mention" if addresses_shop else "search"))
        return shop_id, case.id


def drafts(db, shop_id, case_id):
    with db.transaction(shop_id) as s:
        shop, case = s.get(Shop, shop_id), s.get(Case, case_id)
        approved = attend(s, shop, [case])
        messages = s.scalars(select(Message).where(Message.case_id == case_id)
                             .order_by(Message.id)).all()
        return approved, {m.channel: m.id for m in messages}


def state_of(db, shop_id, message_id):
    with db.transaction(shop_id) as s:
        m = s.get(Message, message_id)
        return m.state, m.last_error, m.attempts


def test_approval_is_the_default(db):
    shop_id, case_id = a_case(db)
    approved, ids = drafts(db, shop_id, case_id)
    assert approved == [] and set(ids) == {"public", "dm"}
    assert state_of(db, shop_id, ids["public"])[0] == "draft"


def test_auto_send_only_to_who_addressed_the_shop_and_when_the_owner_asked(db):
    shop_id, case_id = a_case(db, rules={"complaint": True})
    approved, ids = drafts(db, shop_id, case_id)
    # the public reply to her mention goes automatically; a private message only to someone
    # who wrote to the shop privately first, so this one waits for the owner
    assert approved == [ids["public"]]
    with db.transaction(shop_id) as s:
        public, dm = s.get(Message, ids["public"]), s.get(Message, ids["dm"])
        assert public.automated and public.audience_basis == "engaged"
        assert (dm.state, dm.automated) == ("draft", False) and "first" in dm.last_error
    # found by search, rule on: never automatic
    shop_id, case_id = a_case(db, addresses_shop=False, rules={"complaint": True})
    approved, ids = drafts(db, shop_id, case_id)
    assert approved == []
    with db.transaction(shop_id) as s:
        assert {m.audience_basis for m in s.scalars(select(Message))} == {None}


def test_an_automated_message_to_someone_who_did_not_engage_is_refused_at_sending(db, settings):
    shop_id, case_id = a_case(db, addresses_shop=False)
    _, ids = drafts(db, shop_id, case_id)
    with db.transaction(shop_id) as s:
        m = s.get(Message, ids["public"])
        m.automated, m.state = True, "approved"  # forged past the rule
    network = Recorder()
    assert send_message(db, settings, ids["public"], network=network) == "failed"
    assert network.calls == []
    assert "addressed the shop" in state_of(db, shop_id, ids["public"])[1]


def test_owner_approval_sends_once_and_the_case_waits(db, settings):
    shop_id, case_id = a_case(db, addresses_shop=False)
    _, ids = drafts(db, shop_id, case_id)
    with db.transaction(shop_id) as s:
        approve(s, s.get(Message, ids["public"]), text="Sorry! We're on it: write to us privately.")
    network = Recorder()
    assert send_message(db, settings, ids["public"], network=network, now=NOW) == "sent"
    assert send_message(db, settings, ids["public"], network=network, now=NOW) == "sent"
    assert network.calls == [("reply", "m1", "Sorry! We're on it: write to us privately.",
                              f"reply:{_post_id(db, shop_id)}:public")]
    with db.transaction(shop_id) as s:
        case = s.get(Case, case_id)
        assert (case.state, case.first_response_at) == ("waiting", NOW)
        assert s.get(Message, ids["public"]).external_id == "x-sent-1"


def _post_id(db, shop_id):
    with db.transaction(shop_id) as s:
        return s.scalar(select(Post.id))


def test_an_edit_with_personal_data_cannot_be_approved(db):
    shop_id, case_id = a_case(db)
    _, ids = drafts(db, shop_id, case_id)
    with db.transaction(shop_id) as s:
        from arrosto.models import Customer, Order

        customer = Customer(external_id="c", first_name="Ada", last_name="Lovelace",
                            email="ada@example.com")
        s.add(customer)
        s.flush()
        order = Order(external_id="o", number=1001, name="#1001", customer_id=customer.id,
                      created_at=NOW)
        s.add(order)
        s.flush()
        case = s.get(Case, case_id)
        case.order_id, case.customer_id = order.id, customer.id
    with db.transaction(shop_id) as s, pytest.raises(NotAllowed, match="order number"):
        approve(s, s.get(Message, ids["public"]), text="Ada, order #1001 left today")
    with db.transaction(shop_id) as s:  # the private message may carry it
        approve(s, s.get(Message, ids["dm"]), text="Ada, your order #1001 left today")


def test_an_opt_out_is_honoured_at_once(db, settings):
    shop_id, case_id = a_case(db, rules={"complaint": True})
    approved, ids = drafts(db, shop_id, case_id)
    with db.transaction(shop_id) as s:
        s.add(OptOut(network="mastodon", person_id="109", handle="ada@mastodon.example"))
    network = Recorder()
    assert send_message(db, settings, ids["public"], network=network) == "cancelled"
    assert network.calls == []


def test_a_rate_limit_is_retried_and_a_refusal_is_shown(db, settings):
    shop_id, case_id = a_case(db, rules={"complaint": True})
    _, ids = drafts(db, shop_id, case_id)
    busy = Recorder(fail=RetryableError("429", retry_after=30))
    assert send_message(db, settings, ids["public"], network=busy) == "approved"
    assert state_of(db, shop_id, ids["public"])[2] == 1
    assert send_message(db, settings, ids["public"], network=Recorder()) == "sent"
    with db.transaction(shop_id) as s:  # the owner approves the private message
        approve(s, s.get(Message, ids["dm"]))
    refused = Recorder(fail=FatalPlatformError("403: recipient does not accept DMs"))
    assert send_message(db, settings, ids["dm"], network=refused) == "failed"
    assert "does not accept" in state_of(db, shop_id, ids["dm"])[1]


def test_a_crash_after_the_network_accepted_does_not_post_twice(db, settings):
    shop_id, case_id = a_case(db, rules={"complaint": True})
    _, ids = drafts(db, shop_id, case_id)
    with db.transaction(shop_id) as s:  # a worker claimed it, posted, and died
        m = s.get(Message, ids["public"])
        m.state, m.attempt_started_at = "sending", NOW - dt.timedelta(hours=1)
    network = Recorder(already_sent=Sent(external_id="posted-before-crash"))
    assert send_message(db, settings, ids["public"], network=network, now=NOW) == "sent"
    assert [c[0] for c in network.calls] == ["find_sent"]
    with db.transaction(shop_id) as s:
        assert s.get(Message, ids["public"]).external_id == "posted-before-crash"


def test_a_fresh_claim_is_not_stolen(db, settings):
    shop_id, case_id = a_case(db, rules={"complaint": True})
    _, ids = drafts(db, shop_id, case_id)
    with db.transaction(shop_id) as s:
        m = s.get(Message, ids["public"])
        m.state, m.attempt_started_at = "sending", NOW - dt.timedelta(minutes=1)
    network = Recorder()
    assert send_message(db, settings, ids["public"], network=network, now=NOW) == "sending"
    assert network.calls == []


def test_concurrent_senders_send_once(db, settings):
    shop_id, case_id = a_case(db, rules={"complaint": True})
    _, ids = drafts(db, shop_id, case_id)
    network = Recorder()
    with ThreadPoolExecutor(6) as pool:
        states = list(pool.map(lambda _: send_message(db, settings, ids["public"],
                                                      network=network), range(6)))
    assert len([c for c in network.calls if c[0] == "reply"]) == 1
    assert "sent" in states


def test_no_account_means_the_owner_sends_by_hand(db, settings):
    shop_id, case_id = a_case(db, account=False)
    _, ids = drafts(db, shop_id, case_id)
    with db.transaction(shop_id) as s:
        approve(s, s.get(Message, ids["public"]))
    assert send_message(db, settings, ids["public"]) == "failed"
    assert "send it yourself" in state_of(db, shop_id, ids["public"])[1]
    with db.transaction(shop_id) as s:
        mark_sent_by_hand(s, s.get(Message, ids["public"]), NOW)
    with db.transaction(shop_id) as s:
        assert s.get(Case, case_id).state == "waiting"


def test_unanswered_complaints_are_flagged_after_the_promise(db, settings):
    shop_id, case_id = a_case(db)  # opened five hours before NOW
    assert flag_overdue(db, shop_id, now=NOW - dt.timedelta(hours=2)) == []
    assert flag_overdue(db, shop_id, now=NOW) == [case_id]
    assert flag_overdue(db, shop_id, now=NOW) == []  # once
    with db.transaction(shop_id) as s:
        assert [c.id for c in overdue_cases(s)] == [case_id]
        shop = s.get(Shop, shop_id)
        shop.settings = {**shop.settings, "sla_hours": 8}
    other_shop, other_case = a_case(db, intent="question")
    assert flag_overdue(db, other_shop, now=NOW) == []  # questions are not complaints
    _, ids = drafts(db, shop_id, case_id)
    with db.transaction(shop_id) as s:
        approve(s, s.get(Message, ids["public"]))
    send_message(db, settings, ids["public"], network=Recorder(), now=NOW)
    with db.transaction(shop_id) as s:
        assert overdue_cases(s) == []


def test_an_approved_message_left_behind_is_queued_again(app, db, monkeypatch):
    """Approved while the queue was down: the periodic sweep queues it, once it is old enough."""
    from arrosto.outbox import send as send_module

    shop_id, case_id = a_case(db)
    _, ids = drafts(db, shop_id, case_id)
    with db.transaction(shop_id) as s:
        approve(s, s.get(Message, ids["public"]), now=dt.datetime.now(dt.UTC)
                - dt.timedelta(hours=1))
        approve(s, s.get(Message, ids["dm"]))  # just now: its job may still be on its way
    queued: list[list[int]] = []
    monkeypatch.setattr(send_module, "queue_sends", queued.append)
    with app.app_context():
        send_module.requeue_stuck_job()
    assert queued == [[ids["public"]]]
