"""When each shop's digest goes out: once per local date, at or after the shop's hour.

An hourly job looks at every active shop with recipients; a shop whose local time (``zoneinfo``,
so DST changes are the library's business) has reached its digest hour is due for today's local
date. "Reached" rather than "equal": hours missed while the service was down are caught up at the
next run, once, and a day whose hour does not exist (the spring DST jump) still gets its digest.
Only today's date is ever due, so a long outage sends one digest, not one per day missed.

The :class:`~arrosto.models.DigestRun` row, unique per shop and local date, is the final guard:
:func:`arrosto.digest.send.claim_run` claims it by inserting it, and re-claims it with a
compare-and-swap only when a try failed (after a backoff) or when a worker died holding it.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import exists, select

from .. import jobs
from ..db import Database
from ..models import DigestRecipient, DigestRun, Shop, utcnow
from .content import digest_settings, shop_zone
from .send import send_digest

log = logging.getLogger(__name__)

def local_due_date(shop: Shop, now: dt.datetime) -> dt.date | None:
    """Today's local date if the shop's digest hour has come, else None."""
    local = now.astimezone(shop_zone(shop))
    return local.date() if local.hour >= digest_settings(shop).hour else None


def due_shops(db: Database, now: dt.datetime | None = None) -> list[tuple[int, dt.date]]:
    """(shop id, local date) of every shop whose digest for today has not been sent or given
    up on; runs in progress or waiting for their retry are left to ``claim_run``."""
    now = now or utcnow()
    with db.transaction(all_shops=True) as s:
        shops = s.scalars(select(Shop).where(
            Shop.status == "active",
            exists().where(DigestRecipient.shop_id == Shop.id,
                           DigestRecipient.unsubscribed_at.is_(None)))
            .order_by(Shop.id)).all()
        due = [(shop.id, day) for shop in shops if (day := local_due_date(shop, now))]
        if not due:
            return []
        done = set(s.execute(select(DigestRun.shop_id, DigestRun.local_date).where(
            DigestRun.shop_id.in_([shop_id for shop_id, _ in due]),
            DigestRun.state.in_(("sent", "skipped")))).all())
    return [(shop_id, day) for shop_id, day in due if (shop_id, day) not in done]


def run_due(db: Database, settings, now: dt.datetime | None = None, **send_options
            ) -> dict[int, str]:
    """Send every due digest; one shop's failure never stops the others."""
    results = {}
    for shop_id, day in due_shops(db, now):
        try:
            results[shop_id] = send_digest(db, settings, shop_id, day, now=now,
                                           **send_options).state
        except Exception:  # noqa: BLE001 - record and go on with the next shop
            log.exception("shop %d: digest of %s failed", shop_id, day)
            results[shop_id] = "error"
    return results


@jobs.job()
def send_due_digests_job() -> None:
    app = jobs.app()
    results = run_due(jobs.database(), app.config["ARROSTO"])
    if results:
        log.info("digests: %s", ", ".join(f"shop {k}: {v}" for k, v in results.items()))
