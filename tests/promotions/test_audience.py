"""The audience: three groups decided by what each person did, the exclusions (complainers,
opt-outs, the frequency cap, the shop itself, brands and bots), stored once per person."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from arrosto.models import Outreach, Post, Promotion, Watcher
from arrosto.promotions.audience import brand_or_bot, build_audience, people_to_follow

from .people import NETWORKS, NOW, a_post, a_promotion, a_shop, handle, product_id, the_people


def build(db, shop_id, promotion_id, **kw):
    with db.transaction(shop_id) as s:
        return build_audience(s, s.get(Promotion, promotion_id), NOW, **kw)


def ids(people) -> set[str]:
    return {p.person_id for p in people}


@pytest.mark.parametrize("network", NETWORKS)
def test_three_groups_and_every_exclusion(db, network):
    shop_id = a_shop(db)
    who = the_people(db, shop_id, network)
    audience = build(db, shop_id, a_promotion(db, shop_id))
    assert ids(audience.watchers) == {who["wanda"]}
    assert ids(audience.engaged) == {who["edo"]}
    assert ids(audience.owner) == {who["olga"], who["moana"], who["rosa"]}
    reasons = {reason.split(" (")[0]: ids(people) for reason, people in audience.excluded.items()}
    assert reasons["complained"] == {who["carl"]}
    assert reasons["opted out"] == {who["otto"]}
    assert reasons["contacted lately"] == {who["rita"]}
    assert reasons["looks like a bot"] == {who["spammy"]}
    assert reasons["the shop's own account"] == {"id-" + {
        "x": "brace_caffe", "bluesky": "brace.bsky.social",
        "mastodon": "brace@mastodon.example"}[network]}
    brands = set().union(*(ids(people) for reason, people in audience.excluded.items()
                           if reason.startswith("looks like a brand")))
    assert brands == {f"id-{handle(network, 'caffe_deals')}",
                      f"id-{handle(network, 'torrefazione')}"}
    everyone = ids(audience.watchers) | ids(audience.engaged) | ids(audience.owner)
    assert who["old"] not in everyone  # outside the 90 days
    # stored: one proposed row per person, in their group
    with db.transaction(shop_id) as s:
        rows = {o.person_id: o for o in s.scalars(select(Outreach))}
    assert {p: o.audience for p, o in rows.items()} == {
        who["wanda"]: "watcher", who["edo"]: "engaged", who["olga"]: "owner",
        who["moana"]: "owner", who["rosa"]: "owner"}
    assert {o.state for o in rows.values()} == {"proposed"}
    assert rows[who["edo"]].lang == "en"  # the reply goes out in the language they wrote in


def test_complaints_about_the_products_exclude_even_without_a_case(db):
    shop_id = a_shop(db)
    with db.transaction(shop_id) as s:
        a_post(s, "x", "grumpy", "miscela oro arrivata rotta", intent="complaint",
               addresses_shop=True, days_ago=10)
        a_post(s, "x", "grumpy", "però il gusto è buono", addresses_shop=True, days_ago=1)
    audience = build(db, shop_id, a_promotion(db, shop_id))
    assert ids(audience.excluded["complained"]) == {"id-grumpy"}
    assert not audience.engaged


def test_someone_who_did_not_like_the_product_is_not_told_of_its_sale(db):
    """"Flat and bitter" is no opening for "it's on sale", unless they asked to be told."""
    shop_id = a_shop(db)
    oro = product_id(db, shop_id)
    with db.transaction(shop_id) as s:
        a_post(s, "x", "critic", "@brace don't get the hype about the miscela oro, flat, bitter",
               intent="other", addresses_shop=True, lang="en").sentiment = -0.6
        a_post(s, "x", "fan", "@brace miscela oro: bitter cocoa, super clean cup",
               intent="praise", addresses_shop=True, lang="en").sentiment = -0.4
        asked = a_post(s, "x", "asker", "meh, but avvisami when the miscela oro is on sale",
                       intent="question", addresses_shop=True)
        asked.sentiment = -0.5
        s.add(Watcher(product_id=oro, network="x", person_id=asked.author_id,
                      handle=asked.author_handle, consent_post_id=asked.id,
                      consent_text=asked.text, source="reply", consented_at=asked.created_at))
    audience = build(db, shop_id, a_promotion(db, shop_id))
    assert ids(audience.excluded["said they did not like it"]) == {"id-critic"}
    assert ids(audience.engaged) == {"id-fan"}  # praise with a "bitter" in it is still praise
    assert ids(audience.watchers) == {"id-asker"}


def test_the_window_and_the_cooldown_are_settings(db):
    shop_id = a_shop(db)
    who = the_people(db, shop_id)
    promotion_id = a_promotion(db, shop_id)
    audience = build(db, shop_id, promotion_id, days=150, cooldown_days=30, store=False)
    assert who["old"] in ids(audience.owner)
    assert who["rosa"] in ids(audience.excluded["contacted lately"])


def test_building_again_adds_only_new_people_and_follows_their_consent(db):
    shop_id = a_shop(db)
    who = the_people(db, shop_id)
    promotion_id = a_promotion(db, shop_id)
    first = build(db, shop_id, promotion_id)
    assert first.added == 5
    assert build(db, shop_id, promotion_id).added == 0
    with db.transaction(shop_id) as s:
        a_post(s, "x", "nina", "miscela oro per colazione", days_ago=0.5)
        # olga now asks to be told: her proposed row becomes a watcher's
        consent = a_post(s, "x", "olga", "@brace_caffe avvisami!", intent="question",
                         addresses_shop=True, source="mention", days_ago=0.2)
        s.add(Watcher(product_id=product_id(db, shop_id), network="x",
                      person_id=consent.author_id, handle="olga",
                      consent_post_id=consent.id, source="mention"))
    again = build(db, shop_id, promotion_id)
    assert again.added == 1
    with db.transaction(shop_id) as s:
        rows = {o.person_id: o for o in s.scalars(select(Outreach))}
        assert s.scalar(select(func.count(Outreach.id))) == 6
    assert rows["id-nina"].audience == "owner"
    assert rows[who["olga"]].audience == "watcher"


def test_someone_excluded_later_is_skipped(db):
    shop_id = a_shop(db)
    who = the_people(db, shop_id)
    promotion_id = a_promotion(db, shop_id)
    build(db, shop_id, promotion_id)
    from arrosto.models import Case

    with db.transaction(shop_id) as s:
        s.add(Case(network="x", author_id=who["olga"], author_handle="olga",
                   thread_key="t-olga", intent="complaint"))
    build(db, shop_id, promotion_id)
    with db.transaction(shop_id) as s:
        row = s.scalar(select(Outreach).where(Outreach.person_id == who["olga"]))
    assert row.state == "skipped"


@pytest.mark.parametrize(("handle_", "name", "looks"), [
    ("caffebot", None, True), ("bot_offerte", None, True), ("espresso.bot.bsky.social", None,
                                                            True),
    ("coffeedeals", None, True), ("news_caffe", None, True), ("brace_official", None, True),
    ("lo_shop_del_caffe", None, True), ("torrefazione", "Torrefazione Rossi®", True),
    ("caffe_store", None, True), ("offertecaffe@mastodon.example", None, True),
    ("giulia_caffe", "Giulia", False),
    ("abbot", "Abbot Kinney", True),  # the price of a simple rule: the owner can add them
    ("botanica_lucia", "Lucia", False), ("roberta", "Roberta Bottega", False),
    ("marco@social.example", "Marco", False), ("ada.bsky.social", None, False),
])
def test_brand_and_bot_heuristics(handle_, name, looks):
    assert (brand_or_bot(handle_, name) is not None) is looks


def test_people_to_follow_are_frequent_positive_authors(db):
    shop_id = a_shop(db)
    the_people(db, shop_id)
    with db.transaction(shop_id) as s:
        for n in range(3):
            a_post(s, "bluesky", "fan.bsky.social", f"miscela oro ancora {n}", days_ago=n + 1)
        a_post(s, "x", "grumpy", "miscela oro pessima", intent="complaint")
        pid = product_id(db, shop_id)
        people = people_to_follow(s, pid, limit=3, now=NOW)
    assert people[0].handle == "fan.bsky.social" and people[0].posts == 3
    handles = {p.handle for p in people}
    assert len(people) == 3
    assert not handles & {"grumpy", "spammy", "caffe_deals", "brace_caffe", "otto", "carl"}



def test_restock_requesters_are_never_complainers_and_are_invited_to_watch(db):
    """"Avvisatemi quando torna" read as a complaint (and even routed to a complaint case by an
    older classifier) does not keep its author from the restock they asked for: they are in the
    engaged group when they wrote to the shop, the owner's otherwise, and their message tells
    them the word that makes them a watcher. A real complaint still excludes."""
    from arrosto.models import Case, Shop
    from arrosto.outbox.consent import handle_consent
    from arrosto.promotions.outreach import prepare

    shop_id = a_shop(db)
    promotion_id = a_promotion(db, shop_id, code=None, value=None, source="back_in_stock")
    with db.transaction(shop_id) as s:
        def post(author, text, intent, signals, addresses_shop, case=False):
            row = a_post(s, "x", author, text, intent=intent, addresses_shop=addresses_shop,
                         source="mention" if addresses_shop else "search", days_ago=3)
            row.signals = signals
            if case:
                opened = Case(network="x", author_id=row.author_id, author_handle=author,
                              thread_key=row.thread_id, intent="complaint",
                              opened_at=row.created_at)
                s.add(opened)
                s.flush()
                row.case_id = opened.id
            return row

        post("ada", "@brace_caffe avvisatemi quando torna la miscela oro", "complaint",
             ["restock_request"], True, case=True)
        post("ben", "any chance of a restock of the miscela oro?", "complaint",
             ["restock_request"], False)
        post("cloe", "@brace_caffe miscela oro arrivata rotta, quando torna disponibile?",
             "complaint", ["restock_request"], True)
        post("cloe", "@brace_caffe e il pacco era distrutto", "complaint", [], True, case=True)
        audience = build_audience(s, s.get(Promotion, promotion_id), NOW)
        assert ids(audience.engaged) == {"id-ada"}
        assert ids(audience.owner) == {"id-ben"}
        assert ids(audience.excluded["complained"]) == {"id-cloe"}
        assert all(p.restock_request for p in audience.engaged + audience.owner)
        preview = prepare(s, s.get(Promotion, promotion_id), NOW)
        drafts = {o.person_id: o.draft for group in preview.outreach.values() for o in group}
        assert "Rispondi «avvisami» e ti avvisiamo anche la prossima volta" in drafts["id-ada"]
        assert "avvisami" in drafts["id-ben"]
        # consent stays explicit: the explicit "avvisatemi" to the shop made a watcher
        handle_consent(s, s.get(Shop, shop_id), [p.id for p in s.scalars(
            select(Post).where(Post.author_handle == "ada"))], NOW)
        assert {w.person_id for w in s.scalars(select(Watcher))} == {"id-ada"}


def test_people_who_did_not_ask_are_not_invited(db):
    from arrosto.promotions.outreach import prepare

    shop_id = a_shop(db)
    promotion_id = a_promotion(db, shop_id, code=None, value=None, source="back_in_stock")
    with db.transaction(shop_id) as s:
        a_post(s, "x", "edo", "@brace_caffe la miscela oro è buonissima", intent="praise",
               addresses_shop=True, source="mention")
        preview = prepare(s, s.get(Promotion, promotion_id), NOW)
        (row,) = preview.outreach["engaged"]
        assert "avvisami" not in row.draft and not build_audience(
            s, s.get(Promotion, promotion_id), NOW, store=False).engaged[0].restock_request
