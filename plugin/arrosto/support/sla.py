"""Response-time promise: complaints unanswered after N hours (default 4, per shop
``settings["sla_hours"]``) are flagged; the admin's inbox and the digest list them first."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from .. import jobs
from ..db import Database
from ..models import Case, Shop, utcnow

log = logging.getLogger(__name__)

DEFAULT_HOURS = 4
MAX_HOURS = 24 * 14  # the longest response-time promise an owner may set


def sla_hours(shop: Shop) -> float:
    try:
        hours = float((shop.settings or {}).get("sla_hours", DEFAULT_HOURS))
    except (TypeError, ValueError):
        return DEFAULT_HOURS
    return hours if hours > 0 else DEFAULT_HOURS


def parse_hours(text: str) -> float | int | None:
    """The owner's response-time promise as typed ("4", "1,5"): hours, whole when they are,
    or None when it is not a number of hours from just above 0 to MAX_HOURS."""
    try:
        hours = float(str(text).strip().replace(",", "."))
    except ValueError:
        return None
    if not 0 < hours <= MAX_HOURS:  # NaN fails this too
        return None
    return int(hours) if hours.is_integer() else hours


def hours_text(hours: float) -> str:
    return str(int(hours)) if float(hours).is_integer() else str(hours)


def flag_overdue(db: Database, shop_id: int, now: dt.datetime | None = None) -> list[int]:
    """Flag this shop's open complaints with no response after the shop's SLA; returns the
    newly flagged case ids (a case is flagged once; a reply clears the flag)."""
    now = now or utcnow()
    with db.transaction(shop_id) as s:
        shop = s.get(Shop, shop_id)
        limit = now - dt.timedelta(hours=sla_hours(shop))
        cases = s.scalars(select(Case).where(
            Case.intent == "complaint", Case.state == "open", Case.first_response_at.is_(None),
            Case.sla_flagged_at.is_(None), Case.opened_at <= limit)).all()
        for case in cases:
            case.sla_flagged_at = now
        return [case.id for case in cases]


def overdue_cases(s, now: dt.datetime | None = None) -> list[Case]:
    """The signed-in shop's flagged complaints still unanswered, oldest first."""
    return list(s.scalars(select(Case).where(Case.sla_flagged_at.is_not(None),
                                             Case.first_response_at.is_(None),
                                             Case.state == "open")
                          .order_by(Case.opened_at)))


@jobs.job()
def flag_overdue_job() -> None:
    db = jobs.database()
    with db.transaction() as s:
        shop_ids = s.scalars(select(Shop.id).where(Shop.status == "active")).all()
    for shop_id in shop_ids:
        flagged = flag_overdue(db, shop_id)
        if flagged:
            log.info("shop %d: %d complaints past the response-time promise", shop_id,
                     len(flagged))
