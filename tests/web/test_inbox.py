"""The support inbox: cases listed and filtered, a case with its thread, order panel, suggestions
and drafts; confirming an order, approving (edited) replies, the never-public refusal, marking
sent by hand, resolving; the reply settings and the template preview. Every form needs its CSRF
token, every page is the signed-in shop's only."""
from __future__ import annotations

import datetime as dt
import html
import json
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from arrosto.models import (
    Case,
    Customer,
    Fulfillment,
    Message,
    Order,
    OrderLine,
    OrderLink,
    Post,
    PostProduct,
    Product,
    Shop,
    SocialAccount,
    SocialIdentity,
    utcnow,
)
from arrosto.support.cases import route_posts
from arrosto.support.drafts import draft_replies
from arrosto.support.sla import flag_overdue
from arrosto.support.templates import DEFAULTS

from ..factories import make_shop
from ..promotions.people import Recorder
from .forms import csrf_token, post_form
from .test_admin import sign_in


def _case(s, *, network, author, handle, thread, intent, hours_ago, text, product=None,
          addresses_shop=True, name=None, **fields):
    at = utcnow() - dt.timedelta(hours=hours_ago)
    case = Case(network=network, author_id=author, author_handle=handle, author_name=name,
                thread_key=thread, intent=intent, lang="en", addresses_shop=addresses_shop,
                opened_at=at, last_message_at=at, **fields)
    s.add(case)
    s.flush()
    post = Post(network=network, external_id=f"{thread}-1", author_id=author,
                author_handle=handle, author_name=name, text=text, created_at=at,
                url=f"https://{network}.example/{handle}/{thread}", case_id=case.id,
                intent=intent, addresses_shop=addresses_shop, lang="en",
                source="mention" if addresses_shop else "search")
    s.add(post)
    s.flush()
    if product is not None:
        s.add(PostProduct(post_id=post.id, product_id=product.id, terms=[product.title],
                          post_created_at=at))
    return case


def support_shop(db, domain: str = "brace.example", who: str = "", account: bool = False):
    """A roastery with Giulia's order on its way, someone else's order, and three open cases
    (an unlinked complaint with two suggestions, a younger complaint, a question) plus a
    resolved earlier case of Giulia's."""
    now = utcnow()
    shop_id = make_shop(db, domain, name="Torrefazione Brace", language="en",
                        settings={"digest_hour": 8})
    with db.transaction(shop_id) as s:
        oro = Product(external_id="p-oro", title="Miscela Oro", price=Decimal("14.50"),
                      url=f"https://{domain}/products/oro")
        kenya = Product(external_id="p-kenya", title="Kenya AA", price=Decimal("11.00"))
        giulia = Customer(external_id="c-1", first_name="Giulia", last_name="Orrù",
                          email="giulia.orru@example.it")
        marco = Customer(external_id="c-2", first_name="Marco", last_name="Rossi",
                         email="marco.rossi@example.it")
        s.add_all([oro, kenya, giulia, marco])
        if account:
            s.add(SocialAccount(network="mastodon", handle="brace@mastodon.example",
                                instance_url="https://mastodon.example",
                                credentials=json.dumps({"access_token": "t"})))
        s.flush()
        order = Order(external_id="o-1", number=1042, name="#1042", customer_id=giulia.id,
                      email=giulia.email, shipping_name="Giulia Orrù",
                      total_price=Decimal("33.90"), created_at=now - dt.timedelta(days=5),
                      fulfillment_status="fulfilled", financial_status="paid",
                      lines=[OrderLine(title="Miscela Oro", quantity=2, price=Decimal("14.50"),
                                       product_id=oro.id)],
                      fulfillments=[Fulfillment(external_id="f-1", tracking_company="BRT",
                                                tracking_number="RR123456785IT",
                                                tracking_url="https://track.example/RR123456785IT",
                                                shipment_status="in_transit")])
        other = Order(external_id="o-2", number=1043, name="#1043", customer_id=marco.id,
                      email=marco.email, shipping_name="Marco Rossi",
                      total_price=Decimal("11.00"), created_at=now - dt.timedelta(days=3),
                      lines=[OrderLine(title="Kenya AA", quantity=1, price=Decimal("11.00"))])
        s.add_all([order, other])
        s.flush()
        complaint = _case(s, network="mastodon", author="109", name="Giulia O.",
                          handle=f"{who}giulia@mastodon.example", thread=f"{who}t1",
                          intent="complaint", hours_ago=6, product=oro,
                          text="My Miscela Oro still has not arrived after five days, really "
                               "disappointed with this shop")
        younger = _case(s, network="x", author="77", handle=f"{who}late_x", thread=f"{who}t2",
                        intent="complaint", hours_ago=2, text="Delivery late again, sigh",
                        addresses_shop=False)
        question = _case(s, network="bluesky", author="did:plc:q",
                         handle=f"{who}luca.bsky.social", thread=f"{who}t3", intent="question",
                         hours_ago=1, product=kenya, text="Is the Kenya AA back in stock?")
        earlier = _case(s, network="mastodon", author="109",
                        handle=f"{who}giulia@mastodon.example", thread=f"{who}t0",
                        intent="question", hours_ago=24 * 40, text="Do you ship to Sardinia?",
                        state="resolved", resolved_at=now - dt.timedelta(days=39),
                        customer_id=giulia.id)
        s.add_all([
            OrderLink(case_id=complaint.id, order_id=order.id, confidence=0.62,
                      reasons=["display name close to the customer's name "
                               "(Giulia Orrù ≈ Giulia O., 86%)",
                               "names Miscela Oro, which this order contains"]),
            OrderLink(case_id=complaint.id, order_id=other.id, confidence=0.12,
                      reasons=["ordered 3 days ago"]),
        ])
        s.flush()
        for case in (complaint, younger, question):
            draft_replies(s, case)
        return SimpleNamespace(shop=shop_id, complaint=complaint.id, younger=younger.id,
                               question=question.id, earlier=earlier.id, order=order.id,
                               other=other.id, oro=oro.id, kenya=kenya.id, giulia=giulia.id)


@pytest.fixture
def brace(client, db):
    data = support_shop(db)
    sign_in(client, db, data.shop)
    return data


def page(client, url: str, status: int = 200) -> str:
    res = client.get(url)
    assert res.status_code == status, res.get_data(as_text=True)[:500]
    return html.unescape(res.get_data(as_text=True))


def drafts_of(db, data, case_id) -> dict[str, Message]:
    with db.transaction(data.shop) as s:
        return {m.channel: m for m in s.scalars(select(Message).where(
            Message.case_id == case_id, Message.kind == "reply",
            Message.state != "superseded"))}


def case_url(case_id: int) -> str:
    return f"/admin/cases/{case_id}"


# --- the inbox ------------------------------------------------------------------------------------

def test_the_inbox_lists_open_cases_oldest_complaint_first(client, brace):
    body = page(client, "/admin/inbox")
    giulia, late, luca = (body.index("@giulia@mastodon.example"), body.index("@late_x"),
                          body.index("@luca.bsky.social"))
    assert giulia < late < luca  # complaints oldest first, then questions
    assert "Do you ship to Sardinia" not in body  # resolved
    assert "My Miscela Oro still has not arrived after five days, really disappointed" in body
    assert "2 suggestions" in body and "draft to approve" in body
    assert "overdue" in body  # 6 hours, past the 4-hour promise
    assert "due in 1 h 5" in body  # the younger complaint: 2 hours of 4 left


def test_the_inbox_filters_by_intent_state_product_and_overdue(client, db, brace):
    body = page(client, "/admin/inbox?intent=question")
    assert "@luca.bsky.social" in body and "@late_x" not in body
    body = page(client, "/admin/inbox?state=resolved")
    assert "Do you ship to Sardinia" in body and "@late_x" not in body
    body = page(client, f"/admin/inbox?product={brace.kenya}")
    assert "@luca.bsky.social" in body and "@giulia" not in body
    assert "No cases here" in page(client, "/admin/inbox?overdue=1")  # not flagged yet
    assert flag_overdue(db, brace.shop) == [brace.complaint]
    body = page(client, "/admin/inbox?overdue=1")
    assert "@giulia@mastodon.example" in body and "@late_x" not in body
    body = page(client, "/admin/inbox?state=all")
    assert "Do you ship to Sardinia" in body and "@luca.bsky.social" in body


def test_nav_and_overview_count_open_cases_and_overdue_complaints(client, db, brace):
    flag_overdue(db, brace.shop)
    body = page(client, "/admin/")
    assert "3 open cases" in " ".join(body.replace("<strong>", "").replace(
        "</strong>", "").split())
    assert "/admin/inbox?overdue=1" in body
    assert "2<span class=\"visually-hidden\"> open complaints" in body
    assert "1</strong> complaint past the response-time promise" in body


# --- a case ---------------------------------------------------------------------------------------

def test_the_case_page_shows_the_thread_suggestions_and_drafts(client, brace):
    body = page(client, case_url(brace.complaint))
    assert "My Miscela Oro still has not arrived" in body
    assert 'href="https://mastodon.example/giulia@mastodon.example/t1"' in body
    assert "Not linked to an order yet" in body
    assert "#1042" in body and "62%" in body and "12%" in body
    assert "display name close to the customer's name (Giulia Orrù ≈ Giulia O., 86%)" in body
    assert "This is the order" in body and "Not this one" in body
    assert "Public reply" in body and "Private message" in body  # Mastodon has DMs
    assert "Approve and send" in body and "I sent it myself" in body
    assert "of 500 characters" in body  # Mastodon's limit
    assert '<label for="text-' in body


def test_confirming_a_suggestion_links_the_order_and_redrafts(client, db, brace):
    before = drafts_of(db, brace, brace.complaint)
    assert "#1042" not in before["dm"].text
    res = post_form(client, case_url(brace.complaint), {},
                    url=f"/admin/cases/{brace.complaint}/orders/{brace.order}/confirm")
    assert res.status_code == 302
    with db.transaction(brace.shop) as s:
        case = s.get(Case, brace.complaint)
        assert (case.order_id, case.customer_id) == (brace.order, brace.giulia)
        link = s.scalar(select(OrderLink).where(OrderLink.case_id == case.id,
                                                OrderLink.order_id == brace.order))
        assert link.status == "confirmed"
        assert s.scalar(select(SocialIdentity.verified_by)) == "owner"
    after = drafts_of(db, brace, brace.complaint)
    assert "#1042" in after["dm"].text and "RR123456785IT" in after["dm"].text
    assert "1042" not in after["public"].text

    body = page(client, case_url(brace.complaint))
    assert "Linked to order #1042" in body
    for fact in ("on its way", "2× Miscela Oro", "BRT RR123456785IT", "33.90 EUR",
                 "Giulia Orrù", "giulia.orru@example.it", "confirmed by the owner"):
        assert fact in body, fact
    assert case_url(brace.earlier) in body  # her earlier case
    assert "Other candidates" in body and "#1043" in body


def test_not_this_one_is_never_suggested_again(client, db, brace):
    res = post_form(client, case_url(brace.complaint), {},
                    url=f"/admin/cases/{brace.complaint}/orders/{brace.other}/reject")
    assert res.status_code == 302
    with db.transaction(brace.shop) as s:
        assert s.scalar(select(OrderLink.status).where(
            OrderLink.order_id == brace.other)) == "rejected"
    body = page(client, case_url(brace.complaint))
    assert "Order #1043 is not this case's" in body
    assert "Not this case's (you said so): #1043" in body
    assert "12%" not in body


def test_linking_another_order_by_its_number(client, db, brace):
    res = post_form(client, case_url(brace.complaint), {"order": "1043"},
                    url=f"/admin/cases/{brace.complaint}/orders")
    assert res.status_code == 302
    with db.transaction(brace.shop) as s:
        assert s.get(Case, brace.complaint).order_id == brace.other
    post_form(client, case_url(brace.question), {"order": "#9999"},
              url=f"/admin/cases/{brace.question}/orders")
    assert "There is no order “#9999” in this shop" in page(client, case_url(brace.question))


def test_approving_an_edited_draft_queues_the_send_and_without_an_account_it_fails(
        client, db, brace):
    public = drafts_of(db, brace, brace.complaint)["public"]
    edited = "Sorry about this! We are checking right now and will write to you privately."
    res = post_form(client, case_url(brace.complaint), {"text": edited},
                    url=f"/admin/cases/{brace.complaint}/messages/{public.id}/approve")
    assert res.status_code == 302
    with db.transaction(brace.shop) as s:
        message = s.get(Message, public.id)
        assert message.text == edited and message.approved_at is not None
        assert message.state == "failed" and "send it yourself" in message.last_error
    body = page(client, case_url(brace.complaint))
    assert "Approved, but not sent" in body and "send it yourself" in body
    assert "Approve and send" in body  # a failed reply can be approved again


def test_an_approved_reply_goes_out_through_the_connected_account(client, db, monkeypatch):
    data = support_shop(db, account=True)
    sign_in(client, db, data.shop)
    network = Recorder()
    monkeypatch.setattr("arrosto.social.accounts.network_for", lambda *a, **k: network)
    public = drafts_of(db, data, data.complaint)["public"]
    edited = "So sorry! We are on it:   we'll write to you privately."
    res = post_form(client, case_url(data.complaint), {"text": edited},
                    url=f"/admin/cases/{data.complaint}/messages/{public.id}/approve")
    assert res.status_code == 302
    normalised = "So sorry! We are on it: we'll write to you privately."
    assert network.calls == [("reply", "t1-1", normalised,
                              public.idempotency_key)]
    with db.transaction(data.shop) as s:
        message = s.get(Message, public.id)
        assert (message.state, message.external_id) == ("sent", "x-sent-1")
        case = s.get(Case, data.complaint)
        assert case.state == "waiting" and case.first_response_at is not None
    body = page(client, case_url(data.complaint))
    assert "Approved and sent" in body and "id x-sent-1 on mastodon" in body
    assert normalised in body


def test_a_public_edit_with_the_order_number_is_refused_and_nothing_is_sent(client, db,
                                                                           monkeypatch):
    data = support_shop(db, account=True)
    sign_in(client, db, data.shop)
    network = Recorder()
    monkeypatch.setattr("arrosto.social.accounts.network_for", lambda *a, **k: network)
    post_form(client, case_url(data.complaint), {},
              url=f"/admin/cases/{data.complaint}/orders/{data.order}/confirm")
    public = drafts_of(db, data, data.complaint)["public"]
    edited = "Hi! Your order #1042 left us on Monday, it should arrive soon."
    res = post_form(client, case_url(data.complaint), {"text": edited},
                    url=f"/admin/cases/{data.complaint}/messages/{public.id}/approve")
    assert res.status_code == 400
    body = html.unescape(res.get_data(as_text=True))
    assert "Not approved:" in body and "order number" in body
    assert f">{edited}</textarea>" in body  # the owner's text is kept
    assert network.calls == []
    with db.transaction(data.shop) as s:
        message = s.get(Message, public.id)
        assert (message.state, message.text) == ("draft", public.text)


def test_i_sent_it_myself(client, db, brace):
    public = drafts_of(db, brace, brace.younger)["public"]
    res = post_form(client, case_url(brace.younger), {"text": "Sorry! Writing to you now."},
                    url=f"/admin/cases/{brace.younger}/messages/{public.id}/sent")
    assert res.status_code == 302
    with db.transaction(brace.shop) as s:
        message = s.get(Message, public.id)
        assert (message.state, message.text, message.automated) == \
            ("sent", "Sorry! Writing to you now.", False)
        case = s.get(Case, brace.younger)
        assert case.state == "waiting" and case.first_response_at is not None
    body = page(client, case_url(brace.younger))
    assert "by you" in body and "Sorry! Writing to you now." in body
    # sent is sent: not again
    post_form(client, case_url(brace.younger), {},
              url=f"/admin/cases/{brace.younger}/messages/{public.id}/sent")
    assert "This message is already sent" in page(client, case_url(brace.younger))


def test_re_draft_writes_the_drafts_again(client, db, brace):
    public = drafts_of(db, brace, brace.question)["public"]
    with db.transaction(brace.shop) as s:
        s.get(Message, public.id).text = "scribbles"
    res = post_form(client, case_url(brace.question), {},
                    url=f"/admin/cases/{brace.question}/redraft")
    assert res.status_code == 302
    assert drafts_of(db, brace, brace.question)["public"].text == public.text
    assert "The drafts were written again" in page(client, case_url(brace.question))


def test_mark_resolved_and_reopen(client, db, brace):
    url = case_url(brace.question)
    assert post_form(client, url, {}, url=f"{url}/resolve").status_code == 302
    with db.transaction(brace.shop) as s:
        case = s.get(Case, brace.question)
        assert case.state == "resolved" and case.resolved_at is not None
    body = page(client, url)
    assert "Case resolved" in body and "Reopen" in body
    assert "@luca.bsky.social" not in page(client, "/admin/inbox")
    assert post_form(client, url, {}, url=f"{url}/reopen").status_code == 302
    with db.transaction(brace.shop) as s:
        case = s.get(Case, brace.question)
        assert case.state == "open" and case.resolved_at is None


def test_a_case_the_customer_resolved_is_labelled_in_the_list_and_can_be_filtered(client, db,
                                                                                   brace):
    with db.transaction(brace.shop) as s:  # Luca's follow-up in the thread: sorted, thanks
        post = Post(network="bluesky", external_id="t3-2", author_id="did:plc:q",
                    author_handle="luca.bsky.social", text="Found it, all sorted, thanks!",
                    created_at=utcnow(), intent="other", signals=["resolved"], lang="en",
                    addresses_shop=True, thread_id="t3", reply_to_id="t3", source="mention")
        s.add(post)
        s.flush()
        route_posts(s, s.get(Shop, brace.shop), [post.id])
        assert s.get(Case, brace.question).resolved_by == "customer"
    url = case_url(brace.complaint)
    assert post_form(client, url, {}, url=f"{url}/resolve").status_code == 302

    rows = page(client, "/admin/inbox?state=resolved").split("<tr")
    [luca] = [r for r in rows if "@luca.bsky.social" in r]
    [giulia] = [r for r in rows if f"/admin/cases/{brace.complaint}" in r]
    [earlier] = [r for r in rows if f"/admin/cases/{brace.earlier}" in r]
    assert "Resolved by the customer" in luca and "Resolved by you" in giulia
    assert "Resolved by" not in earlier and ">resolved</span>" in earlier  # nobody recorded
    customer = page(client, "/admin/inbox?by=customer")
    assert "@luca.bsky.social" in customer and "Resolved by the customer" in customer
    assert "@giulia@mastodon.example" not in customer and "Resolved by you" not in customer
    assert '<option value="customer" selected>by the customer</option>' in customer
    italian = page(client, "/admin/inbox?by=customer&lang=it")
    assert "Risolto dal cliente" in italian and "Resolved by" not in italian
    assert "Risolto da te" in page(client, "/admin/inbox?state=resolved&lang=it")


# --- reply settings -------------------------------------------------------------------------------

SETTINGS = "/admin/settings/replies"


def shop_settings(db, shop_id) -> dict:
    with db.transaction() as s:
        return s.get(Shop, shop_id).settings


def test_reply_settings_are_saved_and_restored(client, db, brace):
    body = page(client, SETTINGS)
    assert "only to people who wrote to the shop first" in body
    assert 'value="4"' in body  # the default promise
    for control in ("auto_complaint", "auto_question", "sla_hours", "support_email"):
        assert f'<label for="{control}"' in body
    res = post_form(client, SETTINGS, {"auto_complaint": "on", "sla_hours": "6",
                                       "support_email": "aiuto@brace.example"})
    assert res.status_code == 302
    assert shop_settings(db, brace.shop) == {
        "digest_hour": 8, "auto_send": {"complaint": True, "question": False}, "sla_hours": 6,
        "support_email": "aiuto@brace.example"}
    body = page(client, SETTINGS)
    assert 'id="auto_complaint" name="auto_complaint" aria-describedby="auto-help" checked' \
        in body and 'value="6"' in body
    res = post_form(client, SETTINGS, {"sla_hours": "0", "support_email": ""})
    assert res.status_code == 400 and "between 0 and" in res.get_data(as_text=True)
    res = post_form(client, SETTINGS, {"sla_hours": "4", "support_email": "not an address"})
    assert res.status_code == 400
    assert post_form(client, SETTINGS, {"sla_hours": "2.5", "support_email": ""}) \
        .status_code == 302
    assert shop_settings(db, brace.shop) == {
        "digest_hour": 8, "auto_send": {"complaint": False, "question": False},
        "sla_hours": 2.5}


def test_an_owners_template_is_saved_used_and_an_empty_one_restores_the_default(client, db,
                                                                                brace):
    key = "en/question_product.public"
    mine = "Thanks! {% if product %}{{ product.title }} is {{ 'here' if product.available " \
           "else 'coming back soon' }}.{% endif %} Love, {{ shop_name }}"
    res = post_form(client, SETTINGS, {"key": key, "text": mine},
                    url=f"{SETTINGS}/templates")
    assert res.status_code == 302
    assert shop_settings(db, brace.shop)["reply_templates"] == {key: mine}
    assert "your version" in page(client, SETTINGS)
    post_form(client, case_url(brace.question), {}, url=f"/admin/cases/{brace.question}/redraft")
    assert drafts_of(db, brace, brace.question)["public"].text == \
        "Thanks! Kenya AA is here. Love, Torrefazione Brace"
    res = post_form(client, SETTINGS, {"key": key, "text": "  "}, url=f"{SETTINGS}/templates")
    assert res.status_code == 302
    assert shop_settings(db, brace.shop)["reply_templates"] == {}
    assert post_form(client, SETTINGS, {"key": "nope", "text": "x"},
                     url=f"{SETTINGS}/templates").status_code == 400


def test_the_preview_shows_a_problem_for_an_order_number_and_it_is_not_saved(client, db,
                                                                            brace):
    key = "en/complaint_in_transit.public"
    text = "Your order #1001 is on its way!"
    res = post_form(client, SETTINGS, {"key": key, "text": text},
                    url=f"{SETTINGS}/preview")
    body = html.unescape(res.get_data(as_text=True))
    assert res.status_code == 200
    assert "Problem:" in body and "order number" in body
    assert f">{text}</textarea>" in body
    res = post_form(client, SETTINGS, {"key": key, "text": text}, url=f"{SETTINGS}/templates")
    assert res.status_code == 400 and "was not saved" in res.get_data(as_text=True)
    assert "reply_templates" not in shop_settings(db, brace.shop)
    # any order number, not only the example's
    res = post_form(client, SETTINGS, {"key": key, "text": "About order #5521: shipped."},
                    url=f"{SETTINGS}/preview")
    assert "looks like an order number (order #5521)" in html.unescape(res.get_data(as_text=True))
    # the order's variables exist only in private messages
    res = post_form(client, SETTINGS, {"key": key, "text": "{{ order_name }} is on its way"},
                    url=f"{SETTINGS}/preview")
    assert "only private messages have it" in res.get_data(as_text=True)
    # a private message may carry the order
    res = post_form(client, SETTINGS, {"key": "en/question_order.private",
                                       "text": "Hi {{ first_name }}, {{ order_name }} is "
                                               "{{ status }}."},
                    url=f"{SETTINGS}/preview")
    body = html.unescape(res.get_data(as_text=True))
    assert "Hi Giulia, #1001 is on its way." in body and "Problem:" not in body


def test_every_default_template_previews_without_a_problem(app):
    from arrosto.web.replies import preview

    shop = SimpleNamespace(name="Torrefazione Brace", currency="EUR", language="it",
                           settings={"support_email": "aiuto@brace.example"})
    for key, template in DEFAULTS.items():
        for shown in preview(shop, key, template):
            assert shown.text and not shown.problems, (key, shown)


# --- security -------------------------------------------------------------------------------------

def posts_of(data, message_id: int) -> list[str]:
    c = data.complaint
    return [f"/admin/cases/{c}/orders/{data.order}/confirm",
            f"/admin/cases/{c}/orders/{data.order}/reject", f"/admin/cases/{c}/orders",
            f"/admin/cases/{c}/messages/{message_id}/approve",
            f"/admin/cases/{c}/messages/{message_id}/sent", f"/admin/cases/{c}/redraft",
            f"/admin/cases/{c}/resolve", f"/admin/cases/{c}/reopen"]


def test_every_form_needs_its_csrf_token(client, db, brace):
    message = drafts_of(db, brace, brace.complaint)["public"]
    for url in posts_of(brace, message.id) + [SETTINGS, f"{SETTINGS}/templates",
                                              f"{SETTINGS}/preview"]:
        res = client.post(url, data={"text": "x", "key": "en/question_general.public",
                                     "sla_hours": "4", "order": "1042"})
        assert res.status_code == 400, url
    assert drafts_of(db, brace, brace.complaint)["public"].state == "draft"


def test_another_shops_cases_are_not_found(client, db, brace):
    other = support_shop(db, "other.example", who="b_")
    theirs = drafts_of(db, other, other.complaint)["public"]
    body = page(client, "/admin/inbox?state=all")
    assert "@b_giulia" not in body and "@giulia@mastodon.example" in body
    page(client, case_url(other.complaint), 404)
    token = csrf_token(client, case_url(brace.complaint))
    for url in posts_of(other, theirs.id):
        assert client.post(url, data={"csrf_token": token, "order": "1042"}).status_code == 404
    # their message under our case, their order among our case's suggestions
    mine = brace.complaint
    for url in (f"/admin/cases/{mine}/messages/{theirs.id}/approve",
                f"/admin/cases/{mine}/orders/{other.order}/confirm"):
        assert client.post(url, data={"csrf_token": token}).status_code == 404
    with db.transaction(other.shop) as s:
        assert s.get(Case, other.complaint).state == "open"
        assert s.get(Message, theirs.id).state == "draft"


def test_signed_out_is_asked_to_sign_in(client, db, brace):
    message = drafts_of(db, brace, brace.complaint)["public"]
    token = csrf_token(client, case_url(brace.complaint))
    with client.session_transaction() as session:
        del session["shop_id"]  # the CSRF token stays valid: only the sign-in is missing
    for url in ("/admin/inbox", case_url(brace.complaint), SETTINGS):
        assert client.get(url).status_code == 401
    for url in posts_of(brace, message.id) + [SETTINGS]:
        assert client.post(url, data={"csrf_token": token}).status_code == 401, url
