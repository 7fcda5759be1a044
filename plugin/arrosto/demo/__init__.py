"""The embedded demo: a realistic Italian coffee roastery loaded through the real code paths.

The catalog, customers and orders come through the ``demo`` shop platform and the ordinary sync;
the social posts are written out as an export file and read back by ``arrosto import posts``'s code.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from ..db import Database
from ..listening.imports import ImportSummary, import_file
from ..models import Shop
from ..shops.demo import data_file, demo_shift
from ..shops.sync import SyncResult, sync_shop


@dataclass
class DemoResult:
    shop_id: int
    created: bool
    synced: list[SyncResult]
    posts: ImportSummary


def demo_counts() -> dict[str, int]:
    return {name: len(data_file(f"{name}.json")) for name in ("products", "customers", "orders")}


def ensure_demo_shop(db: Database, now: dt.datetime | None = None) -> tuple[int, bool]:
    info = data_file("shop.json")
    with db.transaction() as s:
        shop = s.scalar(select(Shop).where(Shop.platform == "demo",
                                           Shop.domain == info["domain"]))
        if shop is not None:
            return shop.id, False
        shop = Shop(platform="demo", domain=info["domain"], name=info["name"],
                    store_url=f"https://{info['domain']}", currency=info["currency"],
                    timezone=info["timezone"], language=info["language"],
                    brand_terms=list(info["brand_terms"]),
                    settings={"demo_shift_seconds": demo_shift(now),
                              "handles": dict(info["handles"]), "digest_hour": 8,
                              "support_email": info.get("support_email"),
                              "faq": list(info.get("faq", []))})
        s.add(shop)
        s.flush()
        return shop.id, True


def write_posts_export(shift_seconds: float, path: Path) -> Path:
    """The recorded posts as an export file, with their dates moved to the demo's "now"."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shift = dt.timedelta(seconds=shift_seconds)
    with path.open("w", encoding="utf-8") as out:
        for post in data_file("posts.jsonl"):
            created = dt.datetime.fromisoformat(post["created_at"]) + shift
            out.write(json.dumps({**post, "created_at": created.isoformat()},
                                 ensure_ascii=False) + "\n")
    return path


def load_demo(db: Database, instance_path: Path, *,
              progress: Callable[[str, int], None] | None = None) -> DemoResult:
    shop_id, created = ensure_demo_shop(db)
    synced = sync_shop(db, shop_id, progress=progress)
    with db.transaction() as s:
        shift = s.get(Shop, shop_id).settings["demo_shift_seconds"]
    export = write_posts_export(shift, instance_path / "demo-posts.jsonl")
    posts = import_file(db, shop_id, export, "generic",
                        progress=(lambda n: progress("posts", n)) if progress else None)
    return DemoResult(shop_id, created, synced, posts)


def write_demo_digest(db: Database, settings, shop_id: int, path: Path | None = None) -> Path:
    """Today's digest of the demo shop as an HTML file (the chart included); returns its path."""
    from ..digest.content import build_digest, shop_zone
    from ..digest.render import render_file

    with db.transaction(shop_id) as s:
        shop = s.get(Shop, shop_id)
        day = dt.datetime.now(shop_zone(shop)).date()
        data = build_digest(s, shop, day, public_url=settings.public_url, settings=settings)
    path = path or settings.instance_path / "demo-digest.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_file(data), encoding="utf-8")
    return path.resolve()
