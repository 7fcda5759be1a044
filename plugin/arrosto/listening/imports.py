"""``arrosto import posts``: read an export file and store its posts like any fetched post."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..db import Database
from ..models import Shop
from ..social.archive import ImportProblem, read_file
from .ingest import store_posts
from .pipeline import process_new_posts

BATCH = 500


@dataclass
class ImportSummary:
    read: int = 0
    new: int = 0
    duplicates: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    new_ids: list[int] = field(default_factory=list)


def import_file(db: Database, shop_id: int, path: Path, network: str = "generic", *,
                author: str = "archive", progress: Callable[[int], None] | None = None
                ) -> ImportSummary:
    """Store every post of ``path`` not stored before; bad lines are reported, not fatal."""
    summary = ImportSummary()
    batch = []

    def flush() -> None:
        with db.transaction(shop_id) as s:
            shop = s.get(Shop, shop_id)
            result = store_posts(s, shop, batch, source="import")
        summary.new += result.new
        summary.duplicates += result.duplicates
        summary.new_ids.extend(result.new_ids or [])
        if result.new_ids:  # imported posts go through the same processing as fetched ones
            process_new_posts(db, shop_id, result.new_ids)
        if progress:
            progress(len(batch))
        batch.clear()

    for item in read_file(path, network, author=author):
        if isinstance(item, ImportProblem):
            summary.problems.append(item)
            continue
        summary.read += 1
        batch.append(item)
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    return summary
