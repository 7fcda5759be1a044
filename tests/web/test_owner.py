"""The owner's pages: the onboarding checklist (and the dashboard's card) following the shop's
real state; privacy — an opt-out added by hand leaves every audience, a customer's data exported
as JSON and erased after a confirmation; settings saved where the code that uses them reads them
(the response-time promise, auto-send, promotion limits, language and time zone, the FAQ in
reply drafts). Bad input is a 400 with the form again, a form without its CSRF token a 400,
another shop's rows a 404."""
from __future__ import annotations

import json
import logging
import re

import pytest
from sqlalchemy import select

from arrosto.models import (
    Case,
    DataExport,
    DigestRecipient,
    Message,
    OptOut,
    Order,
    Promotion,
    Shop,
    SocialAccount,
    SyncBookmark,
    Watcher,
    utcnow,
)
from arrosto.promotions.audience import build_audience
from arrosto.promotions.outreach import promotion_settings
from arrosto.support import send, sla
from arrosto.support.drafts import draft_replies

from ..factories import make_shop, populate_shop
from ..promotions.people import NOW, a_promotion, a_shop, the_people
from ..test_privacy import PII, add_personal_details, text_values
from .forms import csrf_token, post_form
from .test_admin import sign_in
from .test_inbox import _case

STEP = re.compile(r'<li class="(done|todo)">\s*<span class="state">([^<]*)</span>\s*'
                  r'<strong>([^<]*)</strong>')


def steps(html: str) -> dict[str, str]:
    """Step title → its state as shown ("Done", "To do", "Running")."""
    return {title: state for _cls, state, title in STEP.findall(html)}


def shop_row(db, shop_id: int) -> Shop:
    with db.transaction() as s:
        shop = s.get(Shop, shop_id)
        s.expunge(shop)
        return shop


# --- the onboarding checklist ---------------------------------------------------------------------

def test_checklist_follows_the_shops_state(client, db):
    shop_id = make_shop(db, "new.myshopify.com", name="Bottega Nuova")
    sign_in(client, db, shop_id)
    page = client.get("/admin/start").get_data(as_text=True)
    assert steps(page) == {
        "Shop connected": "Done",
        "First sync of products, customers and orders": "To do",
        "Social accounts connected": "To do",
        "Daily digest recipient": "To do",
        "Answers to common questions (FAQ)": "To do"}
    assert "1 of 5 steps done" in page
    assert 'href="/admin/accounts"' in page and 'href="/admin/digest"' in page
    assert 'href="/admin/settings#faq"' in page
    # the dashboard carries the steps still to do
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert "Finish setting up" in dashboard
    assert "Shop connected" not in steps(dashboard)
    assert steps(dashboard)["Daily digest recipient"] == "To do"

    # a sync under way: products finished, customers half done, orders not started
    now = utcnow()
    with db.transaction(shop_id) as s:
        s.add_all([
            SyncBookmark(resource="products", updated_since=now, run_started_at=now,
                         finished_at=now, items_synced=52),
            SyncBookmark(resource="customers", run_started_at=now, cursor="page-2",
                         items_synced=40),
        ])
    page = client.get("/admin/start").get_data(as_text=True)
    assert steps(page)["First sync of products, customers and orders"] == "Running"
    assert "sync running: 40 so far" in page and "not synced yet" in page
    assert "last sync finished" in page  # the products

    # the rest done, one by one, each by the real rows
    with db.transaction(shop_id) as s:
        for mark in s.scalars(select(SyncBookmark)):
            mark.cursor, mark.finished_at = None, utcnow()
        s.add(SyncBookmark(resource="orders", run_started_at=now, finished_at=utcnow(),
                           updated_since=now, items_synced=3))
        s.add(SocialAccount(network="bluesky", handle="bottega.bsky.social"))
        s.add(DigestRecipient(email="owner@bottega.example"))
    page = client.get("/admin/start").get_data(as_text=True)
    assert steps(page)["First sync of products, customers and orders"] == "Done"
    assert steps(page)["Social accounts connected"] == "Done"
    assert "@bottega.bsky.social" in page
    assert steps(page)["Daily digest recipient"] == "Done"
    assert steps(page)["Answers to common questions (FAQ)"] == "To do"
    res = post_form(client, "/admin/settings", {"keywords": "germany", "en": "We ship to the EU."},
                    url="/admin/settings/faq")
    assert res.status_code == 302
    page = client.get("/admin/start").get_data(as_text=True)
    assert set(steps(page).values()) == {"Done"}
    assert "Everything is set up" in page
    assert "Finish setting up" not in client.get("/admin/").get_data(as_text=True)

    # a later re-sync under way does not undo the first one
    with db.transaction(shop_id) as s:
        mark = s.scalar(select(SyncBookmark).where(SyncBookmark.resource == "orders"))
        mark.cursor, mark.run_started_at, mark.items_synced = "page-3", utcnow(), 7
    page = client.get("/admin/start").get_data(as_text=True)
    assert steps(page)["First sync of products, customers and orders"] == "Done"
    assert "sync running: 7 so far" in page

    # an unsubscribed recipient is nobody; a shop that lost its access is not connected
    with db.transaction(shop_id) as s:
        s.scalar(select(DigestRecipient)).unsubscribed_at = utcnow()
    with db.transaction() as s:
        shop = s.get(Shop, shop_id)
        shop.status, shop.status_reason = "needs_reauth", "the access token was revoked"
    page = client.get("/admin/start").get_data(as_text=True)
    assert steps(page)["Daily digest recipient"] == "To do"
    assert steps(page)["Shop connected"] == "To do"
    assert "the access token was revoked" in page
    assert "Finish setting up" in client.get("/admin/").get_data(as_text=True)


# --- privacy: opt-outs ----------------------------------------------------------------------------

def _audience(db, shop_id, promotion_id):
    with db.transaction(shop_id) as s:
        audience = build_audience(s, s.get(Promotion, promotion_id), NOW)
        everyone = {p.person_id for group in (audience.watchers, audience.engaged,
                                              audience.owner) for p in group}
        opted = {p.person_id for p in audience.excluded.get("opted out", [])}
        return everyone, opted


def test_opt_out_added_by_hand_leaves_the_audience(client, db):
    shop_id = a_shop(db)
    who = the_people(db, shop_id, "x")
    promotion = a_promotion(db, shop_id)
    everyone, _ = _audience(db, shop_id, promotion)
    assert {who["olga"], who["wanda"]} <= everyone
    sign_in(client, db, shop_id)

    for handle in ("@Olga", "wanda"):
        res = post_form(client, "/admin/privacy", {"network": "x", "handle": handle},
                        url="/admin/privacy/opt-outs")
        assert res.status_code == 302
    page = client.get("/admin/privacy").get_data(as_text=True)
    assert "@olga" in page and "@wanda" in page and "added by hand" in page
    everyone, opted = _audience(db, shop_id, promotion)
    assert who["olga"] not in everyone and who["wanda"] not in everyone
    assert {who["olga"], who["wanda"]} <= opted
    with db.transaction(shop_id) as s:
        watch = s.scalar(select(Watcher).where(Watcher.person_id == who["wanda"]))
        assert watch.revoked_at is not None  # honoured like a "stop" in a post
        # their proposed outreach is skipped and nothing is sent to them
        assert not s.scalars(select(Message).where(
            Message.recipient_id.in_([who["olga"], who["wanda"]]),
            Message.state.in_(("approved", "sending", "sent")))).all()

    # twice is once
    res = post_form(client, "/admin/privacy", {"network": "x", "handle": "olga"},
                    url="/admin/privacy/opt-outs", follow_redirects=True)
    assert "had already opted out" in res.get_data(as_text=True)
    with db.transaction(shop_id) as s:
        assert len(s.scalars(select(OptOut).where(OptOut.person_id == who["olga"])).all()) == 1
        olga = s.scalar(select(OptOut.id).where(OptOut.person_id == who["olga"]))

    # removed: Olga is in the audience again
    res = post_form(client, "/admin/privacy", {}, url=f"/admin/privacy/opt-outs/{olga}/remove")
    assert res.status_code == 302
    everyone, opted = _audience(db, shop_id, promotion)
    assert who["olga"] in everyone and who["olga"] not in opted

    # someone Arrosto never read, or no network: refused, the form shown again
    res = post_form(client, "/admin/privacy", {"network": "x", "handle": "@nobody_here"},
                    url="/admin/privacy/opt-outs")
    body = res.get_data(as_text=True)
    assert res.status_code == 400
    assert "has read no post by @nobody_here on x" in body and 'value="@nobody_here"' in body
    res = post_form(client, "/admin/privacy", {"network": "myspace", "handle": "olga"},
                    url="/admin/privacy/opt-outs")
    assert res.status_code == 400 and "Choose the network" in res.get_data(as_text=True)


def test_the_privacy_page_offers_the_networks_of_the_registry(client, db, monkeypatch):
    from arrosto import social

    shop_id = a_shop(db)
    sign_in(client, db, shop_id)
    page = client.get("/admin/privacy").get_data(as_text=True)
    assert re.findall(r'<option value="(\w+)"', page) == ["x", "bluesky", "mastodon"]

    monkeypatch.delitem(social.NETWORKS, "mastodon")  # a network no longer registered
    page = client.get("/admin/privacy").get_data(as_text=True)
    assert re.findall(r'<option value="(\w+)"', page) == ["x", "bluesky"]
    res = post_form(client, "/admin/privacy", {"network": "mastodon", "handle": "olga"},
                    url="/admin/privacy/opt-outs")
    assert res.status_code == 400 and "Choose the network" in res.get_data(as_text=True)


def test_another_shops_opt_out_and_export_are_404(client, db):
    a = make_shop(db, "a.myshopify.com")
    b = make_shop(db, "b.myshopify.com")
    populate_shop(db, a, "A")
    populate_shop(db, b, "B")
    with db.transaction(b) as s:
        b_opt_out = s.scalar(select(OptOut.id))
        b_export = s.scalar(select(DataExport.id))
    sign_in(client, db, a)
    res = post_form(client, "/admin/privacy", {},
                    url=f"/admin/privacy/opt-outs/{b_opt_out}/remove")
    assert res.status_code == 404
    assert client.get(f"/admin/privacy/exports/{b_export}.json").status_code == 404
    with db.transaction(b) as s:
        assert s.get(OptOut, b_opt_out) is not None
    # another shop's customer is not found either
    res = post_form(client, "/admin/privacy", {"who": "c-B"}, url="/admin/privacy/export")
    assert res.status_code == 404 and "no customer and no order" in res.get_data(as_text=True)
    res = post_form(client, "/admin/privacy", {"who": "B@example.com"},
                    url="/admin/privacy/erase")
    assert res.status_code == 404


# --- privacy: a customer's data -------------------------------------------------------------------

def test_export_downloads_the_customers_data_as_json(client, db):
    a = make_shop(db, "a.myshopify.com")
    populate_shop(db, a, "A")
    add_personal_details(db, a)
    sign_in(client, db, a)
    for who in ("a@EXAMPLE.com", "c-A"):  # e-mail in any case, or the shop's customer id
        res = post_form(client, "/admin/privacy", {"who": who}, url="/admin/privacy/export")
        assert res.status_code == 302
        download = client.get(res.headers["Location"])
        assert download.status_code == 200
        assert download.mimetype == "application/json"
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert download.headers["Cache-Control"] == "no-store"
        data = json.loads(download.get_data(as_text=True))
        assert [o["name"] for o in data["orders"]] == ["#A"]
        assert data["orders"][0]["shipping_name"] == "Ludovica A"
        assert data["customers"][0]["email"] == "A@example.com"
        assert data["social_identities"][0]["handle"] == "h_A"
    with db.transaction(a) as s:
        made = s.scalars(select(DataExport).where(DataExport.request_key.like("admin:%"))).all()
        assert len(made) == 2 and all(e.downloaded_at for e in made)
    page = client.get("/admin/privacy").get_data(as_text=True)
    assert page.count("/admin/privacy/exports/") == 3  # and the one a webhook asked for
    res = post_form(client, "/admin/privacy", {"who": "nobody@example.com"},
                    url="/admin/privacy/export")
    assert res.status_code == 404
    assert "no customer and no order with “nobody@example.com”" in res.get_data(as_text=True)


def test_erase_asks_first_then_leaves_no_personal_data(client, db, caplog):
    a = make_shop(db, "a.myshopify.com")
    b = make_shop(db, "b.myshopify.com")
    populate_shop(db, a, "A")
    populate_shop(db, b, "B")
    add_personal_details(db, a)
    sign_in(client, db, a)
    post_form(client, "/admin/privacy", {"who": "c-A"}, url="/admin/privacy/export")

    res = post_form(client, "/admin/privacy", {"who": "A@example.com"},
                    url="/admin/privacy/erase")
    page = res.get_data(as_text=True)
    assert res.status_code == 200 and "cannot be undone" in page
    assert "c-A" in page and "h_A" in page
    assert any("Ludovica" in v for _, _, v in text_values(db))  # nothing erased yet

    # not confirmed: asked again
    res = post_form(client, "/admin/privacy", {"who": "A@example.com"},
                    url="/admin/privacy/erase/confirm")
    assert res.status_code == 400 and "Tick the box" in res.get_data(as_text=True)
    assert any("Ludovica" in v for _, _, v in text_values(db))

    with caplog.at_level(logging.INFO, logger="arrosto"):
        res = post_form(client, "/admin/privacy", {"who": "A@example.com", "confirm": "yes"},
                        url="/admin/privacy/erase/confirm")
    assert res.status_code == 302
    leftovers = [(t, c, v) for t, c, v in text_values(db) for needle in PII
                 if needle.lower() in v.lower()]
    assert leftovers == [], leftovers
    with db.transaction(a) as s:
        order = s.scalar(select(Order))
        assert order.name == "#A" and order.email is None  # kept for the books
        assert s.scalars(select(DataExport)).all() == []
    with db.transaction(b) as s:
        assert len(s.scalars(select(DataExport)).all()) == 1  # the other shop's is untouched
    assert any("customer data erased by the owner" in r.getMessage() for r in caplog.records)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert not any(needle.lower() in logged.lower() for needle in PII)


def test_erasing_a_guest_by_email_drops_their_export(client, db):
    a = make_shop(db, "a.myshopify.com")
    with db.transaction(a) as s:
        s.add(Order(external_id="o-guest", name="#2001", number=2001, created_at=utcnow(),
                    email="Guest@Example.com", shipping_name="Gina Ospite",
                    shipping_postcode="09124"))
    sign_in(client, db, a)
    res = post_form(client, "/admin/privacy", {"who": "guest@example.com"},
                    url="/admin/privacy/export")
    data = json.loads(client.get(res.headers["Location"]).get_data(as_text=True))
    assert data["customers"] == [] and data["orders"][0]["shipping_name"] == "Gina Ospite"
    res = post_form(client, "/admin/privacy", {"who": "guest@example.com", "confirm": "yes"},
                    url="/admin/privacy/erase/confirm")
    assert res.status_code == 302
    values = [v for _, _, v in text_values(db)]
    assert not any(n in v for v in values for n in ("Gina", "Guest@Example.com", "09124"))


# --- settings -------------------------------------------------------------------------------------

GOOD = {"auto_question": "on", "promo_days": "60", "promo_cooldown_days": "21",
        "promo_owner_daily_cap": "5", "promo_per_minute": "3", "sla_hours": "2",
        "language": "it", "timezone": "Europe/Rome"}


def test_settings_are_saved_where_the_code_reads_them(client, db):
    shop_id = make_shop(db, "brace.myshopify.com", settings={"digest_hour": 7,
                                                             "support_email": "a@b.example"})
    with db.transaction(shop_id) as s:
        case = _case(s, network="x", author="9", handle="late", thread="t1",
                     intent="complaint", hours_ago=3, text="Still waiting for my beans")
        case_id = case.id
    assert sla.flag_overdue(db, shop_id) == []  # 3 hours: within the default 4
    sign_in(client, db, shop_id)
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'value="4"' in page and "07:00" in page and 'href="/admin/settings/replies"' in page

    res = post_form(client, "/admin/settings", GOOD)
    assert res.status_code == 302
    shop = shop_row(db, shop_id)
    assert sla.sla_hours(shop) == 2
    assert sla.flag_overdue(db, shop_id) == [case_id]  # now past the promise
    assert send.auto_send_rules(shop) == {"complaint": False, "question": True}
    assert promotion_settings(shop) == {"days": 60, "cooldown_days": 21, "owner_daily_cap": 5,
                                        "per_minute": 3}
    assert (shop.language, shop.timezone) == ("it", "Europe/Rome")
    assert shop.settings["digest_hour"] == 7 and shop.settings["support_email"] == "a@b.example"
    # the inbox flags it, and the page shows what was saved
    assert "overdue" in client.get("/admin/inbox").get_data(as_text=True)
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'id="sla_hours" name="sla_hours" inputmode="decimal" value="2"' in page
    assert 'name="auto_question" aria-describedby="auto-help" checked' in page
    assert 'value="Europe/Rome"' in page
    # the reply settings page reads the same rules
    replies = client.get("/admin/settings/replies").get_data(as_text=True)
    assert 'id="auto_question" name="auto_question" aria-describedby="auto-help" checked' \
        in replies


@pytest.mark.parametrize("field, value, message", [
    ("sla_hours", "soon", "between 0 and 336"),
    ("sla_hours", "0", "between 0 and 336"),
    ("promo_days", "0", "a whole number from 1 to 365"),
    ("promo_per_minute", "2.5", "a whole number from 1 to 60"),
    ("language", "fr", "Choose Italian or English"),
    ("timezone", "Mars/Olympus", "“Mars/Olympus” is not a time zone"),
])
def test_bad_settings_are_refused_with_the_form_again(client, db, field, value, message):
    shop_id = make_shop(db, "brace.myshopify.com")
    sign_in(client, db, shop_id)
    res = post_form(client, "/admin/settings", {**GOOD, field: value})
    body = res.get_data(as_text=True)
    assert res.status_code == 400
    assert message in body and 'role="alert"' in body
    assert f'value="{value}"' in body or f'value="{value}" selected' in body \
        or field == "language"
    shop = shop_row(db, shop_id)
    assert shop.settings == {} and shop.language == "en"


def test_faq_entry_answers_a_question_in_its_draft(client, db):
    shop_id = make_shop(db, "brace.myshopify.com")
    sign_in(client, db, shop_id)
    answer = "Yes, we ship across the EU: Germany takes 4-6 working days."
    res = post_form(client, "/admin/settings",
                    {"keywords": "germania, Germany, abroad, germany", "en": answer,
                     "it": "Sì, spediamo in tutta l'Unione europea."}, url="/admin/settings/faq")
    assert res.status_code == 302
    assert shop_row(db, shop_id).settings["faq"] == [
        {"keywords": ["germania", "Germany", "abroad"], "it": "Sì, spediamo in tutta "
         "l'Unione europea.", "en": answer}]
    with db.transaction(shop_id) as s:
        case = _case(s, network="mastodon", author="5", handle="hans@social.example",
                     thread="q1", intent="question", hours_ago=1,
                     text="Do you ship to Germany?")
        drafts = draft_replies(s, case)
        public = next(m for m in drafts if m.channel == "public")
        assert answer in public.text

    # edited: the new answer is the one used
    better = "We ship to Germany in 4-6 working days."
    res = post_form(client, "/admin/settings", {"keywords": "germany", "en": better},
                    url="/admin/settings/faq/0")
    assert res.status_code == 302
    with db.transaction(shop_id) as s:
        case = s.scalar(select(Case))
        drafts = draft_replies(s, case, replace=True)
        assert better in next(m for m in drafts if m.channel == "public").text
    assert shop_row(db, shop_id).settings["faq"][0].get("it") is None

    # bad entries: 400, with what was typed
    res = post_form(client, "/admin/settings", {"keywords": " , ", "en": "Something"},
                    url="/admin/settings/faq")
    assert res.status_code == 400
    body = res.get_data(as_text=True)
    assert "Give at least one keyword" in body and ">Something</textarea>" in body
    res = post_form(client, "/admin/settings", {"keywords": "germany", "en": "", "it": ""},
                    url="/admin/settings/faq/0")
    assert res.status_code == 400 and "Write the answer" in res.get_data(as_text=True)
    res = post_form(client, "/admin/settings", {"keywords": "x", "en": "y"},
                    url="/admin/settings/faq/5")
    assert res.status_code == 404

    res = post_form(client, "/admin/settings", {}, url="/admin/settings/faq/0/remove")
    assert res.status_code == 302
    assert shop_row(db, shop_id).settings["faq"] == []


@pytest.mark.parametrize("url, data", [
    ("/admin/settings", GOOD),
    ("/admin/settings/faq", {"keywords": "a", "en": "b"}),
    ("/admin/privacy/opt-outs", {"network": "x", "handle": "olga"}),
    ("/admin/privacy/export", {"who": "c-A"}),
    ("/admin/privacy/erase/confirm", {"who": "c-A", "confirm": "yes"}),
])
def test_forms_without_their_csrf_token_are_refused(client, db, url, data):
    shop_id = make_shop(db, "a.myshopify.com")
    populate_shop(db, shop_id, "A")
    sign_in(client, db, shop_id)
    csrf_token(client, "/admin/settings")  # a session with a token exists
    res = client.post(url, data=data)
    assert res.status_code == 400 and "This form has expired" in res.get_data(as_text=True)
    with db.transaction(shop_id) as s:
        assert s.get(Shop, shop_id).settings == {}
        assert len(s.scalars(select(DataExport)).all()) == 1


def test_pages_need_a_signed_in_shop(client):
    for url in ("/admin/start", "/admin/privacy", "/admin/settings"):
        assert client.get(url).status_code == 401


def test_nav_links_to_privacy_and_settings(client, db):
    sign_in(client, db, make_shop(db, "a.myshopify.com"))
    page = client.get("/admin/settings").get_data(as_text=True)
    assert '<a href="/admin/privacy">Privacy</a>' in page
    assert '<a href="/admin/settings">Settings</a>' in page
    it = client.get("/admin/settings?lang=it")
    assert it.status_code == 200

