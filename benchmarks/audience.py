"""Building a promotion's audience over 1,000,000 stored posts, through the database.

A synthetic shop (fixed seed): 2,000 products, 1,000,000 posts over a year on X, Bluesky and
Mastodon from 200,000 authors (a few write a lot: feeds and bots), 30 % of them matched to a
product (popular products much more often), 8 % addressed to the shop, the usual mix of intents;
5,000 open complaint cases, 2,000 opt-outs, 30,000 messages sent in the last two months,
3,000 watchers and a previous promotion's 10,000 outreach rows. The posts are bulk-inserted
(``COPY`` on PostgreSQL, ``executemany`` on SQLite) and the tables analysed, as a live database
would be. The promotion covers ten products, from the most talked about to rarely mentioned ones.

Timed: ``build_audience`` with its Outreach rows written and committed (``seconds``), then built
again (``rebuild_seconds``: nothing new to add). The baseline, in the same run on the same
database: ``SELECT COUNT(*) FROM posts WHERE shop_id = ?`` (best of three), ``ratio`` =
``seconds`` / baseline seconds.

Keys: ``seconds``, ``posts``, ``rebuild_seconds``, ``count_seconds``, ``ratio``, ``window_posts``
(matched posts of the promotion's products in the 90 days), ``watchers``, ``engaged``, ``owner``,
``excluded``, ``database``. Goal: ``seconds`` under 2 on SQLite and on PostgreSQL.

    python benchmarks/audience.py [--posts N]
    ARROSTO_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        python benchmarks/audience.py
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugin"))

from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402

from arrosto.app import create_app  # noqa: E402
from arrosto.models import (  # noqa: E402
    Case,
    Message,
    OptOut,
    Outreach,
    PostProduct,
    Product,
    Promotion,
    PromotionProduct,
    Shop,
    Watcher,
)
from arrosto.promotions.audience import build_audience  # noqa: E402

SEED = 20261124
NOW = dt.datetime(2026, 11, 24, 10, tzinfo=dt.UTC)
PRODUCTS = 2_000
AUTHORS = 200_000
NETWORKS = (("x", 0.5), ("bluesky", 0.3), ("mastodon", 0.2))
INTENTS = (("praise", 0.25), ("question", 0.15), ("purchase_intent", 0.05), ("other", 0.35),
           ("complaint", 0.10), (None, 0.10))
PROMOTED_RANKS = (0, 3, 7, 15, 40, 90, 200, 500, 900, 1500)
POST_COLUMNS = ("id", "shop_id", "network", "external_id", "author_id", "author_handle", "text",
                "lang", "created_at", "thread_id", "metrics", "source", "addresses_shop",
                "is_own", "intent", "fetched_at")
LINK_COLUMNS = ("shop_id", "post_id", "product_id", "terms", "post_created_at")


def open_database(tmp: str):
    url = os.environ.get("ARROSTO_DATABASE_URL") or f"sqlite:///{tmp}/audience.db"
    settings = {"instance_path": tmp, "secret_key": "x" * 32, "database_url": url,
                "log_level": "WARNING"}
    schema = None
    if url.startswith("postgresql"):
        schema = f"bench_audience_{uuid.uuid4().hex[:8]}"
        settings["database_schema"] = schema
    app = create_app(settings)
    db = app.extensions["arrosto.db"]
    db.upgrade()
    return db, url, schema


def drop_schema(url: str, schema: str | None) -> None:
    if schema:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


def pick(rng: random.Random, table) -> str | None:
    r, total = rng.random(), 0.0
    for value, weight in table:
        total += weight
        if r < total:
            return value
    return table[-1][0]


def handle_of(index: int, network: str) -> str:
    name = f"caffe_deals{index}" if index % 97 == 0 else \
        f"espressobot{index}" if index % 89 == 0 else f"user{index}"
    return {"x": name, "bluesky": f"{name}.bsky.social",
            "mastodon": f"{name}@social.example"}[network]


def generate(rng: random.Random, shop_id: int, count: int):
    """Rows for ``posts`` and ``post_products`` (as tuples, datetimes naive UTC), and a sample
    of posts addressed to the shop (for watchers)."""
    posts, links, addressed = [], [], []
    now = NOW.replace(tzinfo=None)
    for n in range(1, count + 1):
        author = min(int(AUTHORS * rng.random() ** 3), AUTHORS - 1)
        network = pick(rng, NETWORKS)
        created = now - dt.timedelta(seconds=rng.random() * 365 * 86400)
        own = author == 0
        handle = "brace_caffe" if own else handle_of(author, network)
        to_shop = not own and rng.random() < 0.08
        intent = pick(rng, INTENTS)
        posts.append((n, shop_id, network, f"{network}-{n}", f"a{author}", handle,
                      f"post {n} about coffee", "it" if rng.random() < 0.7 else "en", created,
                      f"{network}-{n}", "{}", "mention" if to_shop else "search", to_shop, own,
                      intent, created))
        if rng.random() < 0.3:
            product = min(int(PRODUCTS * rng.random() ** 2.5), PRODUCTS - 1) + 1
            links.append((shop_id, n, product, '["miscela"]', created))
            if to_shop and product - 1 in PROMOTED_RANKS and n % 2 and len(addressed) < 3_000:
                addressed.append((n, network, f"a{author}", handle, product))
    return posts, links, addressed


def bulk_insert(db, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    with db.engine.begin() as conn:
        raw = conn.connection.driver_connection
        if db.engine.dialect.name == "postgresql":
            with raw.cursor() as cur, cur.copy(
                    f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            fmt = "%Y-%m-%d %H:%M:%S.%f"
            marks = ", ".join("?" for _ in columns)
            cur = raw.cursor()
            cur.execute("PRAGMA cache_size = -262144")  # 256 MB while loading; not timed
            cur.execute("PRAGMA synchronous = OFF")
            cur.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                ([v.strftime(fmt) if isinstance(v, dt.datetime) else v for v in row]
                 for row in rows))
            cur.close()


def populate(db, rng: random.Random, count: int) -> tuple[int, int]:
    with db.transaction() as s:
        shop = Shop(platform="demo", domain="bench.example", name="Bench",
                    settings={"handles": {"x": "brace_caffe"}})
        s.add(shop)
        s.flush()
        shop_id = shop.id
    with db.transaction(shop_id) as s:
        s.execute(insert(Product), [
            {"shop_id": shop_id, "external_id": f"p{i}", "title": f"Miscela {i}",
             "tags": [], "status": "active", "synced_at": NOW} for i in range(1, PRODUCTS + 1)])
    posts, links, addressed = generate(rng, shop_id, count)
    bulk_insert(db, "posts", POST_COLUMNS, posts)
    bulk_insert(db, "post_products", LINK_COLUMNS, links)
    del posts, links
    with db.transaction(shop_id) as s:
        authors = [f"a{rng.randrange(1, AUTHORS)}" for _ in range(40_000)]
        s.execute(insert(Case), [
            {"shop_id": shop_id, "network": pick(rng, NETWORKS), "author_id": a,
             "author_handle": a, "thread_key": f"t{i}", "intent": "complaint", "state": "open",
             "addresses_shop": False, "opened_at": NOW, "last_message_at": NOW}
            for i, a in enumerate(authors[:5_000])])
        s.execute(insert(OptOut), [
            {"shop_id": shop_id, "network": pick(rng, NETWORKS), "person_id": a,
             "created_at": NOW} for a in dict.fromkeys(authors[5_000:7_000])])
        s.execute(insert(Message), [
            {"shop_id": shop_id, "kind": "reply", "network": pick(rng, NETWORKS),
             "recipient_id": a, "text": "Grazie!", "state": "sent", "channel": "public",
             "automated": False, "attempts": 1, "idempotency_key": f"m{i}",
             "sent_at": NOW - dt.timedelta(days=rng.random() * 60), "created_at": NOW}
            for i, a in enumerate(authors[7_000:37_000])])
        previous = Promotion(source="manual", external_id="earlier", title="Earlier",
                             state="done")
        promotion = Promotion(source="shopify_discount", external_id="bench", title="Bench",
                              code="BENCH20", value="20%", ends_at=NOW + dt.timedelta(days=7))
        s.add_all([previous, promotion])
        s.flush()
        earlier = {(pick(rng, NETWORKS), f"a{rng.randrange(1, AUTHORS)}") for _ in range(10_000)}
        s.execute(insert(Outreach), [
            {"shop_id": shop_id, "promotion_id": previous.id, "network": network,
             "person_id": person, "handle": "h", "audience": "owner", "draft": "",
             "state": "sent", "created_at": NOW - dt.timedelta(days=5)}
            for network, person in earlier])
        s.add_all(PromotionProduct(promotion_id=promotion.id, product_id=rank + 1)
                  for rank in PROMOTED_RANKS)
        seen = set()
        for post_id, network, author, handle, product in addressed:
            if (product, network, author) in seen:
                continue
            seen.add((product, network, author))
            s.add(Watcher(product_id=product, network=network, person_id=author, handle=handle,
                          consent_post_id=post_id, source="mention", consented_at=NOW))
        promotion_id = promotion.id
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return shop_id, promotion_id


def timed_build(db, shop_id: int, promotion_id: int):
    started = time.perf_counter()
    with db.transaction(shop_id) as s:
        audience = build_audience(s, s.get(Promotion, promotion_id), NOW)
    return audience, time.perf_counter() - started


def count_posts(db, shop_id: int) -> float:
    best = None
    for _ in range(3):
        started = time.perf_counter()
        with db.engine.connect() as conn:
            conn.execute(text("SELECT COUNT(*) FROM posts WHERE shop_id = :s"),
                         {"s": shop_id}).scalar()
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db, url, schema = open_database(tmp)
        try:
            started = time.perf_counter()
            shop_id, promotion_id = populate(db, random.Random(args.seed), args.posts)
            load_seconds = time.perf_counter() - started
            count_seconds = count_posts(db, shop_id)
            audience, seconds = timed_build(db, shop_id, promotion_id)
            again, rebuild_seconds = timed_build(db, shop_id, promotion_id)
            with db.transaction(shop_id) as s:
                stored = s.scalar(select(func.count(Outreach.id)).where(
                    Outreach.promotion_id == promotion_id))
                window = s.scalar(select(func.count(PostProduct.id)).where(
                    PostProduct.product_id.in_([r + 1 for r in PROMOTED_RANKS]),
                    PostProduct.post_created_at >= NOW - dt.timedelta(days=90)))
            assert again.added == 0 and stored == audience.added
            emit({
                "seconds": round(seconds, 3), "posts": args.posts,
                "rebuild_seconds": round(rebuild_seconds, 3),
                "count_seconds": round(count_seconds, 4),
                "ratio": round(seconds / count_seconds, 2),
                "window_posts": window, "watchers": len(audience.watchers),
                "engaged": len(audience.engaged), "owner": len(audience.owner),
                "excluded": sum(len(v) for v in audience.excluded.values()),
                "outreach_rows": stored, "load_seconds": round(load_seconds, 1),
                "database": db.engine.dialect.name,
            })
        finally:
            db.dispose()
            drop_schema(url, schema)


if __name__ == "__main__":
    main()
