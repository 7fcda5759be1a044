"""Storing posts, deduplicated on (shop, network, id): fetching or importing twice adds nothing."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Post, Shop
from ..social.base import PostData

BATCH = 500


@dataclass
class IngestResult:
    new: int = 0
    duplicates: int = 0
    new_ids: list[int] | None = None


def shop_handles(shop: Shop) -> set[str]:
    handles = shop.settings.get("handles", {}) if shop.settings else {}
    out = set()
    for h in handles.values():
        h = h.lower().lstrip("@")
        out.add(h)
        out.add(h.split("@")[0])  # mastodon user without instance
    return {h for h in out if h}


def mentions_any(text: str, handles: set[str]) -> bool:
    if not handles:
        return False
    # "@user@instance" must name the shop's account exactly; a bare "@user" matches its user part
    found = {m.lower().rstrip(".") for m in re.findall(r"@([\w.\-]+(?:@[\w.\-]+)?)", text)}
    return bool(found & handles)


def store_posts(session: Session, shop: Shop, posts: Iterable[PostData], *, source: str,
                social_account_id: int | None = None) -> IngestResult:
    """Insert the posts not seen before; returns counts and the new rows' ids."""
    handles = shop_handles(shop)
    result = IngestResult(new_ids=[])
    batch: list[PostData] = []

    def flush() -> None:
        keys = {(p.network, p.external_id) for p in batch}
        known = set(session.execute(
            select(Post.network, Post.external_id).where(
                Post.external_id.in_([k[1] for k in keys]))).all())
        rows = []
        for p in batch:
            key = (p.network, p.external_id)
            if key in known:
                result.duplicates += 1
                continue
            known.add(key)
            own = p.author_handle.lower().lstrip("@") in handles
            rows.append(Post(
                network=p.network, external_id=p.external_id, author_id=p.author_id,
                author_handle=p.author_handle, author_name=p.author_name, text=p.text,
                lang=p.lang, created_at=p.created_at, url=p.url, reply_to_id=p.reply_to_id,
                thread_id=p.thread_id or p.reply_to_id or p.external_id, metrics=p.metrics,
                source=source, social_account_id=social_account_id, is_own=own,
                addresses_shop=not own and (p.addresses_shop or mentions_any(p.text, handles))))
        session.add_all(rows)
        session.flush()
        result.new += len(rows)
        result.new_ids.extend(r.id for r in rows)
        batch.clear()

    for post in posts:
        batch.append(post)
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    return result
