"""Approval, the messages, the outbox (rate limit, backoff, states), the owner's capped queue and
following: nothing before approval, automated messages only to watchers and engaged people."""
from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from arrosto.errors import RetryableError
from arrosto.models import Follow, Message, Outreach, Product, Promotion, Shop
from arrosto.outbox.send import NotAllowed
from arrosto.promotions.messages import compose, offer_text, useful_tip, utm_link
from arrosto.promotions.outreach import (
    approve_promotion,
    backoff,
    edit_draft,
    follow_person,
    owner_queue,
    owner_sent_by_hand,
    prepare,
    send_by_owner,
    send_outreach,
)
from arrosto.social.x import weighted_length

from .people import NETWORKS, NOW, Recorder, a_post, a_promotion, a_shop, the_people


def networks() -> tuple[dict[str, Recorder], object]:
    recorders = {name: Recorder(name) for name in NETWORKS}
    return recorders, (lambda account: recorders[account.network])


def approved_shop(db, network="x", **settings):
    shop_id = a_shop(db, settings={"promotions": settings} if settings else None)
    who = the_people(db, shop_id, network)
    promotion_id = a_promotion(db, shop_id)
    with db.transaction(shop_id) as s:
        approve_promotion(s, s.get(Promotion, promotion_id), NOW)
    return shop_id, promotion_id, who


def rows(db, shop_id):
    with db.transaction(shop_id) as s:
        return {o.person_id: o for o in s.scalars(select(Outreach))}


def messages(db, shop_id):
    with db.transaction(shop_id) as s:
        return list(s.scalars(select(Message).where(Message.kind != "reply")
                              .order_by(Message.id)))


def test_nothing_goes_out_before_approval(db, settings):
    shop_id = a_shop(db)
    the_people(db, shop_id)
    promotion_id = a_promotion(db, shop_id)
    with db.transaction(shop_id) as s:
        preview = prepare(s, s.get(Promotion, promotion_id), NOW)
        assert {k: len(v) for k, v in preview.outreach.items()} == \
            {"watcher": 1, "engaged": 1, "owner": 3}
        assert all(o.draft for group in preview.outreach.values() for o in group)
        assert set(preview.announcements) == set(NETWORKS)
        assert owner_queue(s, s.get(Promotion, promotion_id), NOW) == []
        owner_row = preview.outreach["owner"][0].id
    assert messages(db, shop_id) == []
    recorders, factory = networks()
    assert send_outreach(db, settings, now=NOW, network_factory=factory).sent == 0
    with pytest.raises(NotAllowed, match="before the promotion is approved"):
        send_by_owner(db, settings, owner_row, shop_id=shop_id, network=recorders["x"], now=NOW)
    assert all(r.writes() == [] for r in recorders.values())


@pytest.mark.parametrize("network", NETWORKS)
def test_approval_automates_watchers_and_engaged_only(db, settings, network):
    shop_id, promotion_id, who = approved_shop(db, network)
    by_recipient = {m.recipient_id: m for m in messages(db, shop_id) if m.recipient_id}
    assert set(by_recipient) == {who["wanda"], who["edo"]}
    for person, basis in ((who["wanda"], "watcher"), (who["edo"], "engaged")):
        message = by_recipient[person]
        assert (message.kind, message.automated, message.audience_basis, message.state) == \
            ("outreach", True, basis, "approved")
        assert message.idempotency_key == f"outreach:{promotion_id}:{network}:{person}"
    outreach = rows(db, shop_id)
    assert outreach[who["wanda"]].state == outreach[who["edo"]].state == "queued"
    assert {outreach[who[p]].state for p in ("olga", "moana", "rosa")} == {"proposed"}
    assert all(outreach[who[p]].message_id is None for p in ("olga", "moana", "rosa"))
    # the watcher is answered on the post that gave consent
    with db.transaction(shop_id) as s:
        from arrosto.models import Watcher

        consent = s.scalar(select(Watcher.consent_post_id).where(
            Watcher.person_id == who["wanda"]))
    assert by_recipient[who["wanda"]].in_reply_to_post_id == consent
    # one announcement per account, mentioning nobody, not automated
    announcements = [m for m in messages(db, shop_id) if m.kind == "announcement"]
    assert {m.network for m in announcements} == set(NETWORKS)
    assert all("@" not in m.text and not m.automated and m.recipient_id is None
               for m in announcements)


def test_the_outbox_sends_each_once_rate_limited_and_mirrors_states(db, settings):
    shop_id, promotion_id, who = approved_shop(db, per_minute=1)
    recorders, factory = networks()
    first = send_outreach(db, settings, now=NOW, network_factory=factory)
    # one a minute on each account: X has three waiting (two replies, its announcement)
    assert (first.sent, first.waiting) == (3, 2)
    assert len(recorders["x"].writes()) == 1
    for minute in (1, 2, 3):
        send_outreach(db, settings, now=NOW + dt.timedelta(minutes=minute),
                      network_factory=factory)
    x_writes = recorders["x"].writes()
    assert len(x_writes) == 3
    assert sorted(c[0] for c in x_writes) == ["publish", "reply", "reply"]
    outreach = rows(db, shop_id)
    assert outreach[who["wanda"]].state == outreach[who["edo"]].state == "sent"
    with db.transaction(shop_id) as s:
        assert s.get(Promotion, promotion_id).state == "done"
    assert send_outreach(db, settings, now=NOW + dt.timedelta(minutes=9),
                         network_factory=factory).sent == 0
    assert len(recorders["x"].writes()) == 3


def test_failures_are_retried_with_backoff_and_refusals_shown(db, settings):
    shop_id, _, who = approved_shop(db)
    busy = Recorder("x", fail=RetryableError("429 too many requests", retry_after=60))
    others = {"bluesky": Recorder("bluesky"), "mastodon": Recorder("mastodon")}

    def factory(account):
        return busy if account.network == "x" else others[account.network]

    assert send_outreach(db, settings, now=NOW, network_factory=factory).retrying == 3
    assert backoff(1) == dt.timedelta(minutes=1) and backoff(3) == dt.timedelta(minutes=4)
    assert backoff(20) == dt.timedelta(hours=1)
    # within the backoff nothing is tried again
    send_outreach(db, settings, now=NOW + dt.timedelta(seconds=30), network_factory=factory)
    assert len(busy.writes()) == 3
    busy.fail = None
    result = send_outreach(db, settings, now=NOW + dt.timedelta(minutes=2),
                           network_factory=factory)
    assert result.sent == 3
    assert rows(db, shop_id)[who["edo"]].state == "sent"


def test_a_sale_that_ended_is_not_announced_late(db, settings):
    shop_id = a_shop(db)
    who = the_people(db, shop_id)
    promotion_id = a_promotion(db, shop_id, ends_at=NOW + dt.timedelta(hours=1))
    with db.transaction(shop_id) as s:
        approve_promotion(s, s.get(Promotion, promotion_id), NOW)
    recorders, factory = networks()
    result = send_outreach(db, settings, now=NOW + dt.timedelta(hours=2), network_factory=factory)
    assert result.sent == 0 and result.skipped == 5
    assert rows(db, shop_id)[who["wanda"]].state == "skipped"
    late = a_promotion(db, shop_id, ends_at=NOW + dt.timedelta(hours=1))
    with db.transaction(shop_id) as s, pytest.raises(NotAllowed, match="ended"):
        approve_promotion(s, s.get(Promotion, late), NOW + dt.timedelta(hours=2))


def test_the_owner_group_is_a_capped_queue_sent_by_hand(db, settings):
    shop_id, promotion_id, who = approved_shop(db, owner_daily_cap=2)
    network = Recorder("x")
    with db.transaction(shop_id) as s:
        queue = owner_queue(s, s.get(Promotion, promotion_id), NOW)
    assert [o.person_id for o in queue] == [who["olga"], who["rosa"]]  # most recent first
    edited = "Ciao Olga! La Miscela Oro è al 20% con ORO20 fino a domenica."
    with db.transaction(shop_id) as s:
        edit_draft(s, s.get(Outreach, queue[0].id), edited)
    assert send_by_owner(db, settings, queue[0].id, shop_id=shop_id, network=network,
                         now=NOW) == "sent"
    with db.transaction(shop_id) as s:
        owner_sent_by_hand(s, queue[1].id, NOW)  # written from the phone
        assert owner_queue(s, s.get(Promotion, promotion_id), NOW) == []
        third = s.scalar(select(Outreach.id).where(Outreach.person_id == who["moana"]))
    with pytest.raises(NotAllowed, match="today"):
        send_by_owner(db, settings, third, shop_id=shop_id, network=network, now=NOW)
    assert [c[2] for c in network.writes()] == [edited]
    # the owner's messages are never automated, and have no automated basis
    owners = [m for m in messages(db, shop_id) if m.kind == "owner_manual"]
    assert len(owners) == 2 and not any(m.automated or m.audience_basis for m in owners)
    assert {o.state for p, o in rows(db, shop_id).items()
            if p in (who["olga"], who["rosa"])} == {"owner_sent"}
    # tomorrow (shop time) the queue opens again
    tomorrow = NOW + dt.timedelta(days=1)
    with db.transaction(shop_id) as s:
        assert [o.person_id for o in owner_queue(s, s.get(Promotion, promotion_id),
                                                 tomorrow)] == [who["moana"]]
    assert send_by_owner(db, settings, third, shop_id=shop_id, network=network,
                         now=tomorrow) == "sent"


def test_watchers_and_engaged_are_never_in_the_owners_hands_and_vice_versa(db, settings):
    shop_id, promotion_id, who = approved_shop(db)
    recorders, factory = networks()
    send_outreach(db, settings, now=NOW, network_factory=factory)
    with db.transaction(shop_id) as s:
        watcher_row = s.scalar(select(Outreach.id).where(Outreach.person_id == who["wanda"]))
    with pytest.raises(NotAllowed, match="not in your queue"):
        send_by_owner(db, settings, watcher_row, shop_id=shop_id, network=recorders["x"],
                      now=NOW)
    for message in messages(db, shop_id):
        if message.recipient_id in (who["olga"], who["moana"], who["rosa"]):
            assert not message.automated


# --- the texts ------------------------------------------------------------------------------------

def test_a_message_has_substance_first_utm_code_and_stop_in_their_language(db):
    shop_id, promotion_id, who = approved_shop(db)
    by_recipient = {m.recipient_id: m for m in messages(db, shop_id) if m.recipient_id}
    italian, english = by_recipient[who["wanda"]].text, by_recipient[who["edo"]].text
    assert italian.startswith("Miscela Oro è in offerta: sconto del 20% fino al 30 novembre, "
                              "con il codice ORO20.")
    assert "Conserva i grani nel sacchetto" in italian  # the description's advice
    assert "rispondi STOP" in italian
    assert english.startswith("Thanks for writing to us! Miscela Oro is on sale: 20% off "
                              "until 30 November, with the code ORO20.")
    assert english.endswith("Reply STOP to stop.")
    assert "Conserva" not in english  # an Italian tip is left out of an English message
    link = next(w for w in italian.split() if w.startswith("https://"))
    assert urlsplit(link).path == "/products/miscela-oro"
    assert parse_qs(urlsplit(link).query) == {
        "utm_source": ["arrosto"], "utm_medium": ["x"], "utm_campaign": [str(promotion_id)]}
    assert all(weighted_length(m.text) <= 280 for m in by_recipient.values())


@pytest.mark.parametrize(("network", "limit"), [("x", 280), ("bluesky", 300), ("mastodon", 500)])
def test_every_message_fits_the_network(db, network, limit):
    shop_id = a_shop(db)
    promotion_id = a_promotion(db, shop_id)
    with db.transaction(shop_id) as s:
        shop, promotion = s.get(Shop, shop_id), s.get(Promotion, promotion_id)
        product = s.scalar(select(Product).where(Product.external_id == "p-oro"))
        product.title = "Miscela Oro Riserva Speciale " + "Extra " * 20
        product.url = "https://brace.example/products/miscela-oro-riserva-speciale-extra-250g"
        for audience in ("watcher", "engaged", "owner"):
            text = compose(shop, promotion, product, audience=audience, network=network,
                           lang="it", handle="someone@social.example")
            assert text.length <= limit and not text.problems, text
            assert "ORO20" in text.text and "STOP" in text.text


def test_offers_tips_and_links():
    promotion = Promotion(id=7, title="t", value="12.90 → 9.90", source="price_drop")
    assert offer_text(promotion, "it", "EUR") == "da 12,90 € a 9,90 €"
    assert offer_text(promotion, "en", "EUR") == "from €12.90 to €9.90"
    assert offer_text(Promotion(value="5.00 EUR"), "it", "EUR") == "5,00 € di sconto"
    assert useful_tip("Note di cacao. <p>Ottimo anche in moka: riempi il filtro senza "
                      "pressare.</p>", "it") == "Ottimo anche in moka: riempi il filtro " \
                                                "senza pressare."
    assert useful_tip("Dark roast with cocoa notes. Grind it fine for espresso.", "en") == \
        "Grind it fine for espresso."
    assert useful_tip("Note di cacao e nocciola, corpo pieno.", "it") is None
    assert utm_link("https://s.example/p?variant=1&utm_source=old", "mastodon", 7) == \
        "https://s.example/p?variant=1&utm_source=arrosto&utm_medium=mastodon&utm_campaign=7"


def test_a_restock_says_so_without_a_discount(db):
    shop_id = a_shop(db)
    promotion_id = a_promotion(db, shop_id, code=None, value=None, source="back_in_stock")
    with db.transaction(shop_id) as s:
        shop, promotion = s.get(Shop, shop_id), s.get(Promotion, promotion_id)
        product = s.scalar(select(Product).where(Product.external_id == "p-oro"))
        text = compose(shop, promotion, product, audience="watcher", network="x", lang="en")
    assert text.text.startswith("Miscela Oro is back in stock at €14.50.")


# --- following ------------------------------------------------------------------------------------

def test_following_is_one_click_one_person(db, settings):
    shop_id = a_shop(db)
    with db.transaction(shop_id) as s:
        a_post(s, "bluesky", "fan.bsky.social", "miscela oro, sempre")
    network = Recorder("bluesky")
    assert follow_person(db, settings, shop_id, "bluesky", "id-fan.bsky.social",
                         network=network, now=NOW)
    assert not follow_person(db, settings, shop_id, "bluesky", "id-fan.bsky.social",
                             network=network, now=NOW)
    assert network.calls == [("follow", "id-fan.bsky.social")]
    with db.transaction(shop_id) as s:
        follow = s.scalar(select(Follow))
    assert (follow.handle, follow.network) == ("fan.bsky.social", "bluesky")
