"""Shop jobs: the first sync after an install, re-syncs, and reading a discount a webhook named."""
from __future__ import annotations

import logging

from .. import jobs
from .sync import refresh_discount, sync_shop

log = logging.getLogger(__name__)


@jobs.job(retries=3, retry_delay=60)
def sync_shop_job(shop_id: int) -> None:
    """Sync one shop's catalog, customers and orders (idempotent; resumes from bookmarks)."""
    results = sync_shop(jobs.database(), shop_id)
    log.info("shop %d synced: %s", shop_id,
             ", ".join(f"{r.resource} {r.items}" for r in results))


@jobs.job(retries=3, retry_delay=60)
def refresh_discount_job(shop_id: int, external_id: str) -> None:
    """Read one discount's details once the delivery that named it has committed."""
    refresh_discount(jobs.database(), shop_id, external_id)
