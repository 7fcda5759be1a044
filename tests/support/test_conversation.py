"""Conversation state: a later post of the same author in the case's thread, or to the shop,
that says it is sorted ("tutto risolto, grazie", thanks after the shop replied) resolves the case
by the customer; the owner sees it and can reopen it; such a thank-you never opens a new case."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from arrosto.models import Case, Post, Shop, utcnow
from arrosto.support.cases import reopen, resolve, route_posts

from ..factories import make_shop
from ..web.forms import csrf_token
from ..web.test_admin import sign_in


def _shop_with_case(db, *, replied: bool):
    shop_id = make_shop(db, "brace.example", name="Torrefazione Brace", language="en")
    at = utcnow() - dt.timedelta(hours=5)
    with db.transaction(shop_id) as s:
        post = Post(network="x", external_id="t1", author_id="9", author_handle="giulia",
                    text="@brace doppio addebito sull'ordine, mi aiutate?", created_at=at,
                    intent="complaint", addresses_shop=True, lang="it", thread_id="t1")
        s.add(post)
        s.flush()
        [case] = route_posts(s, s.get(Shop, shop_id), [post.id])
        if replied:
            case.state, case.first_response_at = "waiting", at + dt.timedelta(hours=1)
        return shop_id, case.id


def _later(s, external_id: str, text: str, *, intent: str, signals=(), thread="t1",
           hours_ago: float = 1) -> int:
    post = Post(network="x", external_id=external_id, author_id="9", author_handle="giulia",
                text=text, created_at=utcnow() - dt.timedelta(hours=hours_ago), intent=intent,
                signals=list(signals), addresses_shop=True, lang="it", thread_id=thread,
                reply_to_id=thread)
    s.add(post)
    s.flush()
    return post.id


def test_the_resolved_signal_in_the_thread_resolves_the_case_by_the_customer(db):
    shop_id, case_id = _shop_with_case(db, replied=False)
    with db.transaction(shop_id) as s:
        post_id = _later(s, "t1-2", "doppio addebito stornato, tutto risolto 👍",
                         intent="other", signals=["resolved"])
        route_posts(s, s.get(Shop, shop_id), [post_id])
        case = s.get(Case, case_id)
        assert (case.state, case.resolved_by) == ("resolved", "customer")
        assert s.get(Post, post_id).case_id == case_id


def test_thanks_after_the_shops_reply_resolves_the_case(db):
    shop_id, case_id = _shop_with_case(db, replied=True)
    with db.transaction(shop_id) as s:
        post_id = _later(s, "t1-2", "grazie mille, gentilissimi!", intent="praise")
        route_posts(s, s.get(Shop, shop_id), [post_id])
        assert s.get(Case, case_id).resolved_by == "customer"


def test_thanks_before_any_reply_does_not_close_the_case(db):
    shop_id, case_id = _shop_with_case(db, replied=False)
    with db.transaction(shop_id) as s:
        route_posts(s, s.get(Shop, shop_id), [_later(s, "t1-2", "grazie!", intent="praise")])
        assert s.get(Case, case_id).state == "open"


def test_a_thank_you_in_a_new_thread_after_a_reply_is_not_a_new_case(db):
    shop_id, case_id = _shop_with_case(db, replied=True)
    with db.transaction(shop_id) as s:
        post_id = _later(s, "n-1", "@brace sorted now, thanks for the quick help",
                         intent="question", signals=["resolved"], thread="n-1")
        cases = route_posts(s, s.get(Shop, shop_id), [post_id])
        assert cases == []
        assert s.scalar(select(func.count(Case.id))) == 1
        assert s.get(Post, post_id).case_id == case_id
        assert s.get(Case, case_id).resolved_by == "customer"


def test_a_resolved_thank_you_with_no_case_opens_none(db):
    shop_id = make_shop(db, "brace.example")
    with db.transaction(shop_id) as s:
        post_id = _later(s, "n-1", "@brace tutto risolto, grazie", intent="complaint",
                         signals=["resolved"], thread="n-1")
        assert route_posts(s, s.get(Shop, shop_id), [post_id]) == []
        assert s.scalar(select(func.count(Case.id))) == 0


def test_a_new_complaint_after_the_customer_resolved_it_reopens_the_case(db):
    shop_id, case_id = _shop_with_case(db, replied=True)
    with db.transaction(shop_id) as s:
        route_posts(s, s.get(Shop, shop_id), [_later(s, "t1-2", "tutto risolto", intent="other",
                                                     signals=["resolved"], hours_ago=2)])
        route_posts(s, s.get(Shop, shop_id), [_later(s, "t1-3", "no, addebitato di nuovo!",
                                                     intent="complaint", hours_ago=1)])
        case = s.get(Case, case_id)
        assert (case.state, case.resolved_by) == ("open", None)


def test_the_owner_sees_it_and_can_reopen(client, db):
    shop_id, case_id = _shop_with_case(db, replied=True)
    with db.transaction(shop_id) as s:
        route_posts(s, s.get(Shop, shop_id), [_later(s, "t1-2", "tutto risolto", intent="other",
                                                     signals=["resolved"])])
    sign_in(client, db, shop_id)
    page = client.get(f"/admin/cases/{case_id}").get_data(as_text=True)
    assert "the customer says it is sorted" in page and "Reopen" in page
    token = csrf_token(client, f"/admin/cases/{case_id}")
    client.post(f"/admin/cases/{case_id}/reopen", data={"csrf_token": token})
    with db.transaction(shop_id) as s:
        assert (s.get(Case, case_id).state, s.get(Case, case_id).resolved_by) == ("open", None)


def test_the_customers_resolution_is_dated_by_their_post_and_a_reopen_clears_it(db):
    shop_id, case_id = _shop_with_case(db, replied=False)
    with db.transaction(shop_id) as s:
        post_id = _later(s, "t1-2", "tutto risolto 👍", intent="other", signals=["resolved"],
                         hours_ago=3)
        route_posts(s, s.get(Shop, shop_id), [post_id])
        case = s.get(Case, case_id)
        assert case.resolved_at == s.get(Post, post_id).created_at
        reopen(case)
        assert (case.state, case.resolved_at, case.resolved_by) == ("open", None, None)
        resolve(case, "owner")
        assert (case.state, case.resolved_by) == ("resolved", "owner")
        assert case.resolved_at >= utcnow() - dt.timedelta(minutes=5)
        with pytest.raises(ValueError):
            resolve(case, "someone")
