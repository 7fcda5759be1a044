"""The admin's promotions pages: the list with each promotion's results, creating one by hand,
the preview in its three groups with who is left out and why, approval (the same outcome as
`arrosto promotions approve`), the owner's queue (send, sent by hand), following one person,
the watchers per product, and the digest's link to a promotion. Every form needs its CSRF token,
every page is the signed-in shop's only.

The people are ``tests/promotions/people.py``'s, whose posts are dated around its ``NOW``: the
pages' clock is set there."""
from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from arrosto import models
from arrosto.cli import cli
from arrosto.digest.content import build_digest
from arrosto.models import (
    Follow,
    Message,
    OptOut,
    Order,
    Outreach,
    Post,
    Promotion,
    Shop,
    Watcher,
)
from arrosto.promotions.attribution import attribute_orders, campaign, promotion_results
from arrosto.promotions.audience import build_audience
from arrosto.promotions.outreach import approve_promotion, send_outreach

from ..promotions.people import (
    NETWORKS,
    NOW,
    Recorder,
    a_post,
    a_promotion,
    a_shop,
    product_id,
    the_people,
)
from .forms import csrf_token, post_form
from .test_admin import sign_in


@pytest.fixture
def at_now(monkeypatch):
    """The pages (and the CLI) at people.py's NOW."""
    monkeypatch.setattr("arrosto.web.promotions.utcnow", lambda: NOW)
    monkeypatch.setattr(models, "utcnow", lambda: NOW)


def people_shop(db, domain: str = "brace.myshopify.com") -> tuple[int, int, dict[str, str]]:
    """The coffee shop, its people on X (each post with its address on X) and a discount
    promotion waiting for approval."""
    shop_id = a_shop(db, domain=domain)
    who = the_people(db, shop_id, "x")
    promotion_id = a_promotion(db, shop_id)
    with db.transaction(shop_id) as s:
        for post in s.scalars(select(Post)):
            post.url = f"https://x.example/{post.author_handle}/status/{post.external_id}"
        for message in s.scalars(select(Message)):  # keys are unique across shops
            message.idempotency_key = f"{domain}:{message.idempotency_key}"
        s.get(Promotion, promotion_id).created_at = NOW - dt.timedelta(hours=1)
    return shop_id, promotion_id, who


def page(client, url: str) -> str:
    res = client.get(url)
    assert res.status_code == 200, (url, res.status_code)
    return html.unescape(res.get_data(as_text=True))


def section(text: str, start: str, end: str = "</section>") -> str:
    """The part of the page from the element with id ``start`` to the end of its section."""
    at = text.index(f'id="{start}"')
    return text[at:text.index(end, at)]


def handles(part: str) -> set[str]:
    return set(re.findall(r"<b>@([^<]+)</b>", part))


def row_of(text: str, promotion_id: int) -> str:
    at = text.index(f'href="/admin/promotions/{promotion_id}"')
    return text[text.rindex("<tr", 0, at):text.index("</tr>", at)]


def cell(row: str, label: str) -> str:
    return re.search(rf'data-label="{label}">(.*?)</td>', row, re.S).group(1).strip()


def networks() -> tuple[dict[str, Recorder], object]:
    recorders = {name: Recorder(name) for name in NETWORKS}
    return recorders, (lambda account: recorders[account.network])


# --- the list -------------------------------------------------------------------------------------

def test_list_shows_each_promotion_with_what_it_brought(client, db, settings, at_now):
    shop_id, promotion_id, who = people_shop(db)
    waiting = a_promotion(db, shop_id, code=None, value=None, source="back_in_stock",
                          products=("p-eti",))
    with db.transaction(shop_id) as s:
        approve_promotion(s, s.get(Promotion, promotion_id), NOW)
    recorders, factory = networks()
    assert send_outreach(db, settings, now=NOW, network_factory=factory).sent == 5
    later = NOW + dt.timedelta(hours=2)
    with db.transaction(shop_id) as s:
        to_edo = s.scalar(select(Message).where(Message.recipient_id == who["edo"],
                                                Message.kind == "outreach"))
        announcement = s.scalar(select(Message).where(
            Message.idempotency_key == f"announcement:{promotion_id}:x"))
        for n, (replied_to, author) in enumerate(((to_edo, "edo"), (to_edo, "edo"),
                                                  (announcement, "nuovo"))):
            a_post(s, "x", author, "grazie, ordinato!", reply_to_id=replied_to.external_id,
                   at=later + dt.timedelta(minutes=n), product=None)
        s.add(OptOut(network="x", person_id=who["wanda"], handle="wanda", created_at=later))
        s.add(OptOut(network="x", person_id=who["olga"], handle="olga", created_at=later))
        orders = [Order(external_id=f"o-{n}", number=n, name=f"#{n}", total_price=total,
                        currency=currency, discount_codes=codes, landing_site=landing,
                        created_at=later, cancelled_at=cancelled)
                  for n, total, currency, codes, landing, cancelled in (
                      (1001, Decimal("29.00"), "EUR", ["oro20"], None, None),
                      (1002, Decimal("14.50"), "EUR", [],
                       f"/products/miscela-oro?utm_source=arrosto&utm_campaign="
                       f"{campaign(s.get(Promotion, promotion_id))}", None),
                      (1003, Decimal("40.00"), "EUR", ["ORO20"], None, later),  # cancelled
                      (1004, Decimal("12.00"), "USD", ["ORO20"], None, None))]
        s.add_all(orders)
        s.flush()
        attribute_orders(s, orders)
        expected = promotion_results(s, promotion_id)
    assert (expected.conversions, expected.revenue) == (3, Decimal("43.50"))

    sign_in(client, db, shop_id)
    text = page(client, "/admin/promotions")
    assert 'href="/admin/promotions"' in text  # the nav's link
    row = row_of(text, promotion_id)
    assert cell(row, "Trigger") == "Shopify discount"
    assert cell(row, "Products") == "Miscela Oro"
    with db.transaction(shop_id) as s:
        assert s.get(Promotion, promotion_id).state == "done"  # every automated message out
    assert re.sub(r"<[^>]+>", "", cell(row, "State")) == "sent"
    # watcher and engaged told; wanda said stop afterwards (olga was never told)
    assert (cell(row, "Reached"), cell(row, "Replies"), cell(row, "Opt-outs")) == ("2", "3", "1")
    assert (cell(row, "Orders"), cell(row, "Revenue")) == ("3", "43.50 EUR")
    other = row_of(text, waiting)
    assert "Back in stock" in other and "Etiopia Yirgacheffe" in other
    assert "waiting for your approval" in other


def test_a_promotion_made_by_hand_waits_for_approval(client, db):
    shop_id = a_shop(db)
    oro, eti = product_id(db, shop_id), product_id(db, shop_id, "p-eti")
    sign_in(client, db, shop_id)
    last_day = (models.utcnow() + dt.timedelta(days=10)).date()
    res = post_form(client, "/admin/promotions",
                    {"title": "Natale in torrefazione", "products": [str(oro), str(eti)],
                     "code": "NATALE", "value": "15%", "ends_on": last_day.isoformat()})
    assert res.status_code == 302
    with db.transaction(shop_id) as s:
        promotion = s.scalar(select(Promotion))
        assert (promotion.title, promotion.source, promotion.state, promotion.code,
                promotion.value) == ("Natale in torrefazione", "manual", "pending_approval",
                                     "NATALE", "15%")
        assert sorted(pp.product_id for pp in promotion.products) == sorted([oro, eti])
        # to the end of the last day in Rome
        assert promotion.ends_at.astimezone(dt.UTC) == dt.datetime.combine(
            last_day, dt.time(23), tzinfo=dt.UTC)
    assert res.headers["Location"].endswith(f"/admin/promotions/{promotion.id}")

    refused = post_form(client, "/admin/promotions", {"title": "Senza prodotti"})
    assert refused.status_code == 400
    assert "choose at least one product" in refused.get_data(as_text=True)
    assert 'value="Senza prodotti"' in refused.get_data(as_text=True)  # the form is kept
    past = post_form(client, "/admin/promotions", {"title": "Ieri", "products": [str(oro)],
                                                   "ends_on": "2020-01-01"})
    assert past.status_code == 400 and "in the past" in past.get_data(as_text=True)
    with db.transaction(shop_id) as s:
        assert len(s.scalars(select(Promotion)).all()) == 1


# --- a promotion's preview ------------------------------------------------------------------------

def test_the_preview_shows_the_three_groups_and_who_is_left_out(client, db, at_now):
    shop_id, promotion_id, who = people_shop(db)
    with db.transaction(shop_id) as s:  # what the rules say, without storing anything
        expected = build_audience(s, s.get(Promotion, promotion_id), NOW, store=False)
    sign_in(client, db, shop_id)
    text = page(client, f"/admin/promotions/{promotion_id}")

    for group, people in expected.groups().items():
        assert handles(section(text, f"g-{group}-h")) == {p.handle for p in people}, group
    assert handles(section(text, "g-watcher-h")) == {"wanda"}
    assert handles(section(text, "g-engaged-h")) == {"edo"}
    assert handles(section(text, "g-owner-h")) == {"olga", "moana", "rosa"}
    watcher = section(text, "g-watcher-h")
    assert "Asked to be told about Miscela Oro on 2026-10-25" in watcher  # shop time
    assert "“avvisami quando è in offerta!”" in watcher
    assert "Wrote to the shop about Miscela Oro" in section(text, "g-engaged-h")
    owner = section(text, "g-owner-h")
    assert "Talked about Miscela Oro on" in owner and "not to the shop" in owner
    assert "https://x.example/olga/status/" in owner  # a link to their post

    left_out = section(text, "excluded-h")
    for reason, people in expected.excluded.items():
        part = left_out[left_out.index(f"<h3>{html.unescape(reason)} "):]
        part = part[:part.index("</ul>")]
        assert handles(part) == {p.handle for p in people}, reason
    assert {"carl", "otto", "rita", "spammy", "caffe_deals", "torrefazione",
            "brace_caffe"} <= handles(left_out)
    assert "<h3>opted out " in left_out and "<h3>contacted lately " in left_out

    # each person's drafted message, and one announcement per connected network
    with db.transaction(shop_id) as s:
        drafts = {o.handle: o.draft for o in s.scalars(select(Outreach).where(
            Outreach.promotion_id == promotion_id, Outreach.state == "proposed"))}
        assert s.scalars(select(Message).where(Message.kind != "reply")).all() == []
        assert s.get(Promotion, promotion_id).state == "pending_approval"
    assert set(drafts) == {"wanda", "edo", "olga", "moana", "rosa"}
    for handle, draft in drafts.items():
        assert draft and draft in text, handle
    approve_form = section(text, "approve-h")
    for network in NETWORKS:
        assert f'name="announcement_{network}"' in approve_form
    assert "con il codice ORO20" in approve_form and "utm_medium=mastodon" in approve_form

    # reloading adds nobody twice
    page(client, f"/admin/promotions/{promotion_id}")
    with db.transaction(shop_id) as s:
        assert len(s.scalars(select(Outreach)).all()) == 5


def test_the_owner_edits_one_draft_before_approving(client, db, at_now):
    shop_id, promotion_id, _who = people_shop(db)
    sign_in(client, db, shop_id)
    detail = f"/admin/promotions/{promotion_id}"
    page(client, detail)
    with db.transaction(shop_id) as s:
        olga = s.scalar(select(Outreach).where(Outreach.handle == "olga"))
    res = post_form(client, detail, {"text": "Ciao Olga,   la Miscela Oro è al 20% con ORO20"},
                    url=f"{detail}/outreach/{olga.id}/draft")
    assert res.status_code == 302
    with db.transaction(shop_id) as s:
        assert s.get(Outreach, olga.id).draft == "Ciao Olga, la Miscela Oro è al 20% con ORO20"


# --- approval -------------------------------------------------------------------------------------

def _approval(db, shop_id: int, promotion_id: int) -> dict:
    """What an approval left, without the ids that differ from shop to shop."""
    with db.transaction(shop_id) as s:
        promotion = s.get(Promotion, promotion_id)

        def plain(value: str | None) -> str | None:
            return value and re.sub(r"utm_campaign=[\w-]+", "utm_campaign=P", value).replace(
                f":{promotion_id}:", ":P:")

        return {
            "state": promotion.state,
            "messages": sorted((m.kind, m.network, m.recipient_handle, m.audience_basis,
                                m.automated, m.state, m.channel, plain(m.idempotency_key),
                                plain(m.text)) for m in s.scalars(select(Message).where(
                                    Message.kind.in_(("outreach", "announcement"))))),
            "outreach": sorted((o.network, o.handle, o.audience, o.state,
                                o.message_id is not None, plain(o.draft))
                               for o in s.scalars(select(Outreach))),
        }


def test_approving_on_the_page_does_what_the_cli_does(app, client, db, runner, at_now,
                                                     monkeypatch):
    monkeypatch.setattr("arrosto.cli.Context.app", lambda self: app)
    web_shop, web_promotion, _ = people_shop(db)
    cli_shop, cli_promotion, _ = people_shop(db, domain="gemella.myshopify.com")

    sign_in(client, db, web_shop)
    detail = f"/admin/promotions/{web_promotion}"
    res = post_form(client, detail, {}, url=f"{detail}/approve")
    assert res.status_code == 302 and res.headers["Location"].endswith(detail)
    done = runner.invoke(cli, ["promotions", "approve", "--shop", str(cli_shop),
                               str(cli_promotion)])
    assert done.exit_code == 0, done.output

    by_page, by_cli = _approval(db, web_shop, web_promotion), _approval(db, cli_shop,
                                                                       cli_promotion)
    assert by_page == by_cli
    assert by_page["state"] == "approved"
    automated = [m for m in by_page["messages"] if m[0] == "outreach"]
    assert sorted((m[2], m[3], m[4], m[5]) for m in automated) == [
        ("edo", "engaged", True, "approved"), ("wanda", "watcher", True, "approved")]
    assert sorted(m[1] for m in by_page["messages"] if m[0] == "announcement") == \
        sorted(NETWORKS)
    assert sorted(o[1] for o in by_page["outreach"] if o[2] == "owner" and o[3] == "proposed") \
        == ["moana", "olga", "rosa"]

    text = page(client, detail)
    assert "5 messages are queued" in text
    results = section(text, "results-h")
    assert "3 people wait in your queue" in results
    assert "approve-h" not in text  # no second approval
    assert "queued: 1" in section(text, "g-watcher-h")
    again = post_form(client, "/admin/promotions", {}, url=f"{detail}/approve")
    assert again.status_code == 302
    assert "Not approved: it is already approved." in page(client, detail)
    assert _approval(db, web_shop, web_promotion) == by_page


def test_the_owner_edits_the_announcement_when_approving(client, db, at_now):
    shop_id, promotion_id, _ = people_shop(db)
    sign_in(client, db, shop_id)
    detail = f"/admin/promotions/{promotion_id}"
    post_form(client, detail, {"announcement_bluesky": "Settimana dell'Oro: -20% con ORO20 "
                                                       "fino al 30 novembre"},
              url=f"{detail}/approve")
    with db.transaction(shop_id) as s:
        texts = {m.network: m.text for m in s.scalars(select(Message).where(
            Message.kind == "announcement"))}
    assert texts["bluesky"] == "Settimana dell'Oro: -20% con ORO20 fino al 30 novembre"
    assert texts["x"] != texts["bluesky"] and "ORO20" in texts["x"]


def test_an_ended_promotion_cannot_be_approved(client, db):
    shop_id, promotion_id, _ = people_shop(db)  # people.py's sale ended before today
    sign_in(client, db, shop_id)
    detail = f"/admin/promotions/{promotion_id}"
    text = page(client, detail)
    assert "This promotion has already ended" in text and "approve-h" not in text
    post_form(client, "/admin/promotions", {}, url=f"{detail}/approve")
    assert "Not approved: this promotion has already ended." in page(client, detail)
    with db.transaction(shop_id) as s:
        assert s.get(Promotion, promotion_id).state == "pending_approval"
        assert s.scalars(select(Message).where(Message.kind != "reply")).all() == []


# --- the owner's queue ----------------------------------------------------------------------------

def test_the_owner_sends_from_the_queue_one_at_a_time(client, db, at_now, monkeypatch):
    shop_id, promotion_id, who = people_shop(db)
    network = Recorder("x")
    monkeypatch.setattr("arrosto.social.accounts.network_for", lambda *a, **k: network)
    sign_in(client, db, shop_id)
    queue = "/admin/promotions/queue"
    assert "Nobody to write to now" in page(client, queue)  # nothing before approval
    detail = f"/admin/promotions/{promotion_id}"
    post_form(client, detail, {}, url=f"{detail}/approve")

    text = page(client, queue)
    with db.transaction(shop_id) as s:
        rows = {o.handle: o for o in s.scalars(select(Outreach).where(
            Outreach.audience == "owner"))}
        olga_post = s.get(Post, rows["olga"].post_id)
    assert set(re.findall(r'<h2 id="o\d+-h">@([^ <]+)', text)) == {"olga", "moana", "rosa"}
    assert text.index("@olga") < text.index("@moana")  # the most recent talkers first
    assert rows["olga"].draft in text and olga_post.url in text
    assert "0 sent today" in text and "At most 10 a day" in text

    res = post_form(client, queue, {"text": "Ciao Olga! La Miscela Oro è al 20% con ORO20 "
                                            "fino al 30/11"},
                    url=f"{queue}/{rows['olga'].id}/send")
    assert res.status_code == 302
    assert network.writes() == [("reply", olga_post.external_id,
                                 "Ciao Olga! La Miscela Oro è al 20% con ORO20 fino al 30/11",
                                 f"outreach:{promotion_id}:x:{who['olga']}")]
    with db.transaction(shop_id) as s:
        olga = s.get(Outreach, rows["olga"].id)
        message = s.get(Message, olga.message_id)
        assert olga.state == "owner_sent"
        assert (message.kind, message.automated, message.state) == ("owner_manual", False, "sent")

    res = post_form(client, queue, {}, url=f"{queue}/{rows['moana'].id}/sent")
    assert res.status_code == 302
    assert len(network.writes()) == 1  # written from the network's own app: no call
    with db.transaction(shop_id) as s:
        assert s.get(Outreach, rows["moana"].id).state == "owner_sent"
    text = page(client, queue)
    assert "Recorded as sent by you to @moana" in text
    assert set(re.findall(r'<h2 id="o\d+-h">@([^ <]+)', text)) == {"rosa"}
    assert "2 sent today" in text
    # sent once: a second click is refused by the domain
    post_form(client, queue, {}, url=f"{queue}/{rows['olga'].id}/send")
    assert "Not sent: this person is not in your queue" in page(client, queue)
    assert len(network.writes()) == 1


def test_the_daily_cap_empties_the_queue(client, db, at_now, monkeypatch):
    shop_id, promotion_id, _ = people_shop(db)
    with db.transaction(shop_id) as s:
        shop = s.get(Shop, shop_id)
        shop.settings = {**shop.settings, "promotions": {"owner_daily_cap": 1}}
        approve_promotion(s, s.get(Promotion, promotion_id), NOW)
    monkeypatch.setattr("arrosto.social.accounts.network_for", lambda *a, **k: Recorder("x"))
    sign_in(client, db, shop_id)
    queue = "/admin/promotions/queue"
    text = page(client, queue)
    assert len(re.findall(r'<h2 id="o\d+-h">', text)) == 1
    first = re.search(r'<h2 id="o(\d+)-h">', text).group(1)
    post_form(client, queue, {}, url=f"{queue}/{first}/send")
    assert "Today’s messages are done" in page(client, queue)


def test_following_one_person_the_list_proposes(client, db, at_now, monkeypatch):
    shop_id, promotion_id, who = people_shop(db)
    with db.transaction(shop_id) as s:
        approve_promotion(s, s.get(Promotion, promotion_id), NOW)
    network = Recorder("x")
    monkeypatch.setattr("arrosto.social.accounts.network_for", lambda *a, **k: network)
    sign_in(client, db, shop_id)
    queue = "/admin/promotions/queue"
    follow = section(page(client, queue), "follow-h")
    assert "@olga" in follow and "@carl" not in follow and "@otto" not in follow
    oro = product_id(db, shop_id)
    res = post_form(client, queue, {"product_id": oro, "network": "x",
                                    "person_id": who["olga"]}, url="/admin/promotions/follow")
    assert res.status_code == 302
    assert network.calls == [("follow", who["olga"])]
    with db.transaction(shop_id) as s:
        assert [(f.handle, f.product_id) for f in s.scalars(select(Follow))] == [("olga", oro)]
    after = page(client, queue)
    assert "You follow @olga on x" in after and "@olga" not in section(after, "follow-h")
    # someone the list does not propose (an open complaint) is never followed
    post_form(client, queue, {"product_id": oro, "network": "x", "person_id": who["carl"]},
              url="/admin/promotions/follow")
    assert "not on the list of people worth following" in page(client, queue)
    assert network.calls == [("follow", who["olga"])]


# --- watchers -------------------------------------------------------------------------------------

def test_watchers_per_product_and_on_the_product_page(client, db):
    shop_id, _promotion_id, _who = people_shop(db)
    oro, eti = product_id(db, shop_id), product_id(db, shop_id, "p-eti")
    with db.transaction(shop_id) as s:
        consent = a_post(s, "bluesky", "lia.bsky.social", "fatemi sapere quando torna!",
                         product="p-eti", intent="question", addresses_shop=True)
        s.add_all([
            Watcher(product_id=eti, network="bluesky", person_id=consent.author_id,
                    handle=consent.author_handle, consent_post_id=consent.id,
                    consent_text=consent.text, source="reply", consented_at=consent.created_at),
            Watcher(product_id=oro, network="mastodon", person_id="m-1",
                    handle="ex@social.example", consent_text="avvisami", source="mention",
                    revoked_at=NOW),  # said stop since
        ])
    sign_in(client, db, shop_id)
    text = page(client, "/admin/promotions/watchers")
    oro_part, eti_part = section(text, f"w-{oro}-h"), section(text, f"w-{eti}-h")
    assert "@wanda" in oro_part and "“avvisami quando è in offerta!”" in oro_part
    assert "@ex@social.example" not in text
    assert "@lia.bsky.social" in eti_part and "Bluesky" in eti_part and "@wanda" not in eti_part
    assert "1 watch ended when the person said stop" in text
    product_page = page(client, f"/admin/products/{oro}")
    watchers = product_page[product_page.index('id="watchers-h"'):
                            product_page.index("Latest posts about it")]
    assert "@wanda" in watchers and "@lia.bsky.social" not in watchers


# --- the digest's link, another shop, CSRF ----------------------------------------------------

def test_the_digest_links_to_the_promotion_to_approve(app, client, db):
    shop_id = a_shop(db)
    promotion_id = a_promotion(db, shop_id, ends_at=models.utcnow() + dt.timedelta(days=5))
    with db.transaction(shop_id) as s:
        shop = s.get(Shop, shop_id)
        data = build_digest(s, shop, models.utcnow().date(), public_url="https://arrosto.example",
                            settings=app.config["ARROSTO"])
    action = next(a for a in data["actions"] if a["kind"] == "approve_promotion")
    assert action["url"] == f"https://arrosto.example/admin/promotions/{promotion_id}"
    sign_in(client, db, shop_id)
    assert "Settimana dell'Oro" in page(client, action["url"].removeprefix(
        "https://arrosto.example"))


def test_another_shops_promotion_is_not_found(client, db, at_now):
    mine, my_promotion, _ = people_shop(db)
    theirs, their_promotion, _ = people_shop(db, domain="altro.myshopify.com")
    with db.transaction(theirs) as s:
        approve_promotion(s, s.get(Promotion, their_promotion), NOW)
        their_row = s.scalar(select(Outreach).where(Outreach.audience == "owner")).id
    sign_in(client, db, mine)
    assert client.get(f"/admin/promotions/{their_promotion}").status_code == 404
    token = csrf_token(client, f"/admin/promotions/{my_promotion}")
    for url in (f"/admin/promotions/{their_promotion}/approve",
                f"/admin/promotions/{their_promotion}/outreach/{their_row}/draft",
                f"/admin/promotions/queue/{their_row}/send",
                f"/admin/promotions/queue/{their_row}/sent"):
        assert client.post(url, data={"csrf_token": token, "text": "x"}).status_code == 404, url
    with db.transaction(theirs) as s:
        assert s.get(Outreach, their_row).state == "proposed"
        assert s.scalars(select(Message).where(Message.kind == "owner_manual")).all() == []


def test_forms_without_their_csrf_token_are_refused(client, db, at_now):
    shop_id, promotion_id, _ = people_shop(db)
    sign_in(client, db, shop_id)
    assert client.post(f"/admin/promotions/{promotion_id}/approve").status_code == 400
    assert client.post("/admin/promotions", data={"title": "x"}).status_code == 400
    assert client.post("/admin/promotions/follow", data={"product_id": 1}).status_code == 400
    with db.transaction(shop_id) as s:
        assert s.get(Promotion, promotion_id).state == "pending_approval"
        assert len(s.scalars(select(Promotion)).all()) == 1


def test_signed_out_owners_see_no_promotion(client, db):
    shop_id, promotion_id, _ = people_shop(db)
    for url in ("/admin/promotions", f"/admin/promotions/{promotion_id}",
                "/admin/promotions/queue", "/admin/promotions/watchers"):
        assert client.get(url).status_code == 401, url
