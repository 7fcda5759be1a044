"""Reconciliation: catch what webhooks missed. Each active shop is re-synced from its bookmarks
(so recently updated products and orders are read again) and its webhook subscriptions repaired —
WooCommerce never retries a failed delivery and disables a webhook after repeated failures. The
discounts changed since the last look are read again on their own schedule."""
from __future__ import annotations

import logging

from sqlalchemy import select

from .. import jobs
from ..db import Database
from ..errors import ArrostoError
from ..models import Shop, utcnow
from . import platform_for
from .sync import refresh_discounts, sync_shop

log = logging.getLogger(__name__)


@jobs.job()
def reconcile_all_job() -> None:
    for shop_id in active_shops(jobs.database()):
        reconcile_shop_job(shop_id)


@jobs.job(retries=2, retry_delay=120)
def reconcile_shop_job(shop_id: int) -> None:
    reconcile_shop(jobs.database(), shop_id, jobs.app().config["ARROSTO"].public_url)


@jobs.job()
def refresh_all_discounts_job() -> None:
    for shop_id in active_shops(jobs.database()):
        refresh_discounts_job(shop_id)


@jobs.job(retries=2, retry_delay=120)
def refresh_discounts_job(shop_id: int) -> None:
    refresh_discounts(jobs.database(), shop_id)


def active_shops(db: Database) -> list[int]:
    with db.transaction() as s:
        return list(s.scalars(select(Shop.id).where(Shop.status == "active",
                                                    Shop.platform != "demo")))


def reconcile_shop(db: Database, shop_id: int, public_url: str) -> list[str]:
    """Re-sync and repair one shop; errors are recorded on the shop's bookmarks, not raised
    into other shops' runs (one failing shop never stops the others)."""
    with db.transaction() as s:
        shop = s.get(Shop, shop_id)
        platform = platform_for(shop)
    try:
        sync_shop(db, shop_id)
        fixed = platform.repair_webhooks(platform.delivery_url(public_url))
    except ArrostoError as exc:
        log.warning("reconciling shop %d failed: %s", shop_id, exc)
        with db.transaction() as s:
            shop = s.get(Shop, shop_id)
            settings = dict(shop.settings or {})
            settings["last_reconcile_error"] = {"at": utcnow().isoformat(), "error": str(exc)}
            shop.settings = settings
        return []
    if fixed:
        log.info("shop %d: webhooks repaired: %s", shop_id, ", ".join(fixed))
    return fixed
