"""The embedded demo: the roastery loads through the real sync and import code, once."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from arrosto.cli import cli
from arrosto.demo import load_demo
from arrosto.digest.content import build_digest, shop_zone
from arrosto.models import Customer, Order, Post, Product, ProductVariant, Shop, SocialIdentity
from arrosto.shops.demo import data_file


def test_demo_data_is_realistic():
    products = data_file("products.json")
    orders = data_file("orders.json")
    posts = data_file("posts.jsonl")
    assert 45 <= len(products) <= 60 and sum(len(p["variants"]) for p in products) > 100
    assert len(orders) == 500 and 250 <= len(data_file("customers.json")) <= 400
    assert 280 <= len(posts) <= 320
    assert {p["lang"] for p in posts} == {"it", "en"}
    assert {p["network"] for p in posts} == {"x", "bluesky", "mastodon"}
    intents = Counter(t["intent"] for t in data_file("posts_truth.json").values())
    assert set(intents) == {"complaint", "question", "praise", "purchase_intent", "other"}


def test_load_demo_twice_adds_nothing(db, tmp_path):
    first = load_demo(db, tmp_path)
    assert first.created and first.posts.new == len(data_file("posts.jsonl"))
    second = load_demo(db, tmp_path)
    assert not second.created and second.posts.new == 0
    assert second.posts.duplicates == first.posts.new
    with db.transaction(first.shop_id) as s:
        assert s.scalar(select(func.count(Product.id))) == len(data_file("products.json"))
        assert s.scalar(select(func.count(ProductVariant.id))) == sum(
            len(p["variants"]) for p in data_file("products.json"))
        assert s.scalar(select(func.count(Order.id))) == 500
        assert s.scalar(select(func.count(Customer.id))) == len(data_file("customers.json"))
        assert s.scalar(select(func.count(Post.id))) == len(data_file("posts.jsonl"))
        # handles on customer records become verified identities
        assert s.scalar(select(func.count(SocialIdentity.id))) == sum(
            len(c["handles"]) for c in data_file("customers.json"))
        # the orders' dates were moved to "now": the newest is at most a day old
        newest = s.scalar(select(func.max(Order.created_at)))
        oldest = s.scalar(select(func.min(Order.created_at)))
        assert (newest - oldest).days <= 91
        mentions = s.scalar(select(func.count(Post.id)).where(Post.addresses_shop))
    assert mentions == sum(1 for p in data_file("posts.jsonl") if p["mentions_shop"])


def test_demo_command_prints_a_login_link(runner, monkeypatch):
    app = runner.app
    monkeypatch.setattr("arrosto.cli.Context.app", lambda self: app)
    res = runner.invoke(cli, ["demo", "--no-serve"])
    assert res.exit_code == 0, res.output
    assert "Demo shop ready: 51 products, 500 orders, 300 posts" in res.output
    digest = next(line.split(": ", 1)[1] for line in res.output.splitlines()
                  if line.startswith("Today's digest of the demo shop: "))
    assert "Torrefazione Brace" in Path(digest).read_text(encoding="utf-8")
    link = next(line.strip() for line in res.output.splitlines() if "/admin/login/" in line)
    client = app.test_client()
    assert client.get(link.replace("http://localhost", "")).status_code == 302
    page = client.get("/admin/orders").get_data(as_text=True)  # the roastery speaks Italian
    assert '<html lang="it">' in page and "#1500" in page and "Ordini <small>(500)</small>" in page
    page = client.get("/admin/orders?lang=en").get_data(as_text=True)
    assert "Orders <small>(500)</small>" in page


@pytest.mark.xfail(strict=True, reason="issue 18 open: the model still reads two demo posts "
                   "(irony: 'has ruined supermarket coffee for me', 'sembra nuova') as complaints")
def test_the_demo_digest_quotes_only_complaints_under_what_does_not_work(app, db, demo_shop):
    """Against the demo's labelled truth: every post quoted under "Cosa non va" is truly a
    complaint — no praise, purchase intent, restock request or resolved thank-you."""
    result = demo_shop
    truth = data_file("posts_truth.json")
    quoted: dict[str, set[tuple[int, str]]] = {"works": set(), "fails": set()}
    with db.transaction(result.shop_id) as s:
        shop = s.get(Shop, result.shop_id)
        today = dt.datetime.now(shop_zone(shop)).date()
        for back in range(0, 60, 3):  # the digests of two months, a quote window every 3 days
            digest = build_digest(s, shop, today - dt.timedelta(days=back),
                                  public_url="https://arrosto.example",
                                  settings=app.config["ARROSTO"])
            for side, found in quoted.items():
                found.update((q["post_id"], q["text"]) for p in digest["products"]
                             for q in p[side])
        external = dict(s.execute(select(Post.id, Post.external_id)).all())
    assert len(quoted["works"]) >= 3 and len(quoted["fails"]) >= 2  # the digests say something
    wrong = [(truth[external[pid]]["intent"], text) for pid, text in quoted["fails"]
             if truth[external[pid]]["intent"] != "complaint"]
    assert wrong == []
    praised_wrongly = [(truth[external[pid]]["intent"], text) for pid, text in quoted["works"]
                       if truth[external[pid]]["intent"] == "complaint"]
    assert praised_wrongly == []


def test_the_demo_fixture_is_the_loaded_demo(db, demo_shop):
    """``demo_shop`` (a copy of a database the run loaded once) holds what ``load_demo`` loads."""
    assert demo_shop.created and demo_shop.posts.new == len(data_file("posts.jsonl"))
    with db.transaction(demo_shop.shop_id) as s:
        assert s.get(Shop, demo_shop.shop_id).name == data_file("shop.json")["name"]
        assert s.scalar(select(func.count(Order.id))) == len(data_file("orders.json"))
        assert s.scalar(select(func.count(Post.id))) == len(data_file("posts.jsonl"))
        assert s.scalar(select(func.count(SocialIdentity.id))) == sum(
            len(c["handles"]) for c in data_file("customers.json"))
