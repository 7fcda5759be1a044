"""Building one shop's daily digest with 1,000,000 posts and 100,000 orders stored.

A synthetic shop (fixed seed) in Europe/Rome: 2,000 products, 100,000 orders, 1,000,000 posts
over a year (30 % matched to a product, popular products much more often, the usual mix of
intents), 5,000 complaint and question cases (with their posts; half linked to an order),
20,000 messages of promotions sent in the last two months, replies to some of them, opt-outs,
watchers and conversions, an X account with its read budget. Loaded in bulk (``COPY`` on PostgreSQL,
``executemany`` on SQLite) and analysed, as a live database would be.

Timed (``seconds``, best of three after one warm-up): ``build_digest`` and rendering it —
HTML with the CSS inlined, the plain text and the PNG chart — for the shop's local date. The
baseline, in the same run: ``SELECT COUNT(*) FROM posts WHERE shop_id = ?``; ``ratio`` =
``seconds`` / baseline.

Keys: ``seconds``, ``posts``, ``orders``, ``count_seconds``, ``ratio``, ``mentions`` (the day's
matched mentions), ``complaints_waiting``, ``html_bytes``, ``database``. Goal: ``seconds`` under 1
on SQLite and on PostgreSQL.

    python benchmarks/digest.py [--posts N] [--orders N]
    ARROSTO_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        python benchmarks/digest.py
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
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugin"))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from arrosto.app import create_app  # noqa: E402
from arrosto.digest.content import build_digest  # noqa: E402
from arrosto.digest.render import chart_png, render_html, render_text  # noqa: E402
from arrosto.models import (  # noqa: E402
    Case,
    Conversion,
    Message,
    OptOut,
    Product,
    Promotion,
    Shop,
    SocialAccount,
    Watcher,
)

SEED = 20261123
NOW = dt.datetime(2026, 11, 23, 7, 5, tzinfo=dt.UTC)  # 08:05 in Rome
DAY = dt.date(2026, 11, 23)
PRODUCTS = 2_000
AUTHORS = 200_000
NETWORKS = (("x", 0.5), ("bluesky", 0.3), ("mastodon", 0.2))
INTENTS = (("praise", 0.25), ("question", 0.15), ("purchase_intent", 0.05), ("other", 0.35),
           ("complaint", 0.10), (None, 0.10))
POST_COLUMNS = ("id", "shop_id", "network", "external_id", "author_id", "author_handle", "text",
                "lang", "created_at", "reply_to_id", "case_id", "metrics", "source",
                "addresses_shop", "is_own", "intent", "fetched_at")
LINK_COLUMNS = ("shop_id", "post_id", "product_id", "terms", "post_created_at")
ORDER_COLUMNS = ("id", "shop_id", "external_id", "number", "name", "email", "created_at",
                 "total_price", "currency", "discount_codes", "synced_at")


def open_database(tmp: str):
    url = os.environ.get("ARROSTO_DATABASE_URL") or f"sqlite:///{tmp}/digest.db"
    settings = {"instance_path": tmp, "secret_key": "x" * 32, "database_url": url,
                "log_level": "WARNING", "public_url": "https://arrosto.example"}
    schema = None
    if url.startswith("postgresql"):
        schema = f"bench_digest_{uuid.uuid4().hex[:8]}"
        settings["database_schema"] = schema
    app = create_app(settings)
    db = app.extensions["arrosto.db"]
    db.upgrade()
    return app, db, url, schema


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


def bulk_insert(db, table: str, columns: tuple[str, ...], rows) -> None:
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


def populate(db, rng: random.Random, n_posts: int, n_orders: int) -> int:
    now = NOW.replace(tzinfo=None)
    with db.transaction() as s:
        shop = Shop(platform="demo", domain="bench.example", name="Torrefazione Bench",
                    timezone="Europe/Rome", language="it", settings={"digest_hour": 8})
        s.add(shop)
        s.flush()
        shop_id = shop.id
    with db.transaction(shop_id) as s:
        s.execute(insert(Product), [
            {"shop_id": shop_id, "external_id": f"p{i}", "title": f"Miscela {i}",
             "tags": [], "status": "active", "synced_at": NOW} for i in range(1, PRODUCTS + 1)])
    bulk_insert(db, "orders", ORDER_COLUMNS, (
        (i, shop_id, f"o{i}", 1000 + i, f"#{1000 + i}", f"c{i}@example.com",
         now - dt.timedelta(seconds=rng.random() * 365 * 86400), "24.90", "EUR", "[]", now)
        for i in range(1, n_orders + 1)))
    with db.transaction(shop_id) as s:
        s.execute(insert(Case), [
            {"shop_id": shop_id, "network": pick(rng, NETWORKS), "author_id": f"a{i}",
             "author_handle": f"user{i}", "thread_key": f"t{i}",
             "intent": "complaint" if i % 3 else "question",
             "state": "open" if i % 4 else "resolved", "addresses_shop": True,
             "order_id": rng.randrange(1, n_orders + 1) if i % 2 else None,
             "opened_at": NOW - dt.timedelta(hours=rng.random() * 24 * 60),
             "last_message_at": NOW} for i in range(1, 5_001)])
    posts, links = [], []
    replies_to = [f"x-promo-{i}" for i in range(0, 20_000, 10)]
    for n in range(1, n_posts + 1):
        author = min(int(AUTHORS * rng.random() ** 3), AUTHORS - 1)
        network = pick(rng, NETWORKS)
        created = now - dt.timedelta(seconds=rng.random() * 365 * 86400)
        own = author == 0
        reply = rng.choice(replies_to) if rng.random() < 0.002 else None
        posts.append((n, shop_id, network, f"{network}-{n}", f"a{author}", f"user{author}",
                      f"post {n}: la miscela è buona, crema perfetta", "it", created, reply,
                      (n - 1) % 5_000 + 1 if n <= 7_500 else None,  # the cases' posts
                      "{}", "search", False, own, pick(rng, INTENTS), created))
        if rng.random() < 0.3:
            product = min(int(PRODUCTS * rng.random() ** 2.5), PRODUCTS - 1) + 1
            links.append((shop_id, n, product, '["miscela"]', created))
    bulk_insert(db, "posts", POST_COLUMNS, posts)
    bulk_insert(db, "post_products", LINK_COLUMNS, links)
    del posts, links
    with db.transaction(shop_id) as s:
        promotion = Promotion(source="shopify_discount", external_id="bench", title="Bench",
                              code="BENCH20", value="20%", state="sending",
                              ends_at=NOW + dt.timedelta(days=7))
        s.add(promotion)
        s.add(SocialAccount(network="x", handle="bench", read_budget_month="2026-11",
                            reads_used=7_300))
        s.flush()
        s.execute(insert(Message), [
            {"shop_id": shop_id, "kind": "outreach", "network": "x", "recipient_id": f"a{i}",
             "text": "Sconto!", "state": "sent", "channel": "dm", "automated": True,
             "attempts": 1, "idempotency_key": f"m{i}", "external_id": f"x-promo-{i}",
             "sent_at": NOW - dt.timedelta(days=rng.random() * 60), "created_at": NOW}
            for i in range(20_000)])
        s.execute(insert(OptOut), [
            {"shop_id": shop_id, "network": "x", "person_id": f"o{i}",
             "created_at": NOW - dt.timedelta(days=rng.random() * 60)} for i in range(2_000)])
        s.execute(insert(Watcher), [
            {"shop_id": shop_id, "product_id": rng.randrange(1, PRODUCTS + 1), "network": "x",
             "person_id": f"w{i}", "handle": f"w{i}", "source": "reply",
             "consented_at": NOW - dt.timedelta(days=rng.random() * 60)} for i in range(3_000)])
        s.execute(insert(Conversion), [
            {"shop_id": shop_id, "promotion_id": promotion.id, "order_id": i,
             "revenue": Decimal("24.90"), "matched_by": "code",
             "created_at": NOW - dt.timedelta(days=rng.random() * 30)}
            for i in range(1, 1_001)])
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return shop_id


def build_and_render(app, db, shop_id: int) -> tuple[dict, str, float]:
    started = time.perf_counter()
    with db.transaction(shop_id) as s:
        digest = build_digest(s, s.get(Shop, shop_id), DAY, public_url="https://arrosto.example",
                              settings=app.config["ARROSTO"], now=NOW)
    html = render_html(digest, unsubscribe_url="https://arrosto.example/digest/unsubscribe/t",
                       chart_src="cid:digest-chart")
    render_text(digest)
    chart_png(digest["chart"])
    return digest, html, time.perf_counter() - started


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
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        app, db, url, schema = open_database(tmp)
        try:
            started = time.perf_counter()
            shop_id = populate(db, random.Random(args.seed), args.posts, args.orders)
            load_seconds = time.perf_counter() - started
            count_seconds = count_posts(db, shop_id)
            build_and_render(app, db, shop_id)  # warm-up: templates compiled, caches filled
            runs = [build_and_render(app, db, shop_id) for _ in range(3)]
            digest, html, seconds = min(runs, key=lambda r: r[2])
            emit({
                "seconds": round(seconds, 3), "posts": args.posts, "orders": args.orders,
                "count_seconds": round(count_seconds, 4),
                "ratio": round(seconds / count_seconds, 2),
                "mentions": digest["mentions_total"],
                "complaints_waiting": digest["complaints_total"],
                "html_bytes": len(html.encode()), "load_seconds": round(load_seconds, 1),
                "database": db.engine.dialect.name,
            })
        finally:
            db.dispose()
            drop_schema(url, schema)


if __name__ == "__main__":
    main()
