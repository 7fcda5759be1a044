"""What the daily digest says: :func:`build_digest` reads one shop's tables and returns plain data
(no Flask, no HTML), substance first: what waits for an answer, then what people say per product,
promotions, the X read budget and suggested actions.

"What works / what does not" per product reads each post's intent, sentiment, signals and
aspects (:func:`verdict`): praise, purchase intent, restock requests and resolved thank-yous are
never quoted as what does not work, and each side counts the aspects people named (delivery,
packaging, quality...).

The digest of local date D covers the whole local day before it (D-1, compared with D-2); the
waiting complaints and questions are as of the moment it is built.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..listening.pipeline import month_key, monthly_read_budget
from ..models import (
    Case,
    Conversion,
    Message,
    OptOut,
    Order,
    Outreach,
    Post,
    PostProduct,
    Product,
    Promotion,
    Shop,
    SocialAccount,
    Watcher,
    utcnow,
)
from ..support.sla import sla_hours

log = logging.getLogger(__name__)

DEFAULT_HOUR = 8
LANGUAGES = ("it", "en")
QUIET_CHOICES = ("short", "none")  # a quiet day: a short mail, or no mail
CASES_SHOWN = 5
QUESTIONS_SHOWN = 3
TOP_PRODUCTS = 5
QUOTES_EACH = 2
QUOTE_DAYS = 7  # quotes come from the last week: one day is often too few posts
QUOTE_CHARS = 140
CHART_DAYS = 14
BUDGET_WARNING = 0.8
PROMOTION_KINDS = ("outreach", "announcement")
LIVE_PROMOTIONS = ("pending_approval", "approved", "sending")
OPINION_INTENTS = ("praise", "complaint")
POLARITY = 0.5  # |P(pos) - P(neg)| from which an unlabelled post's score reads as a polarity
# what a post is about (listening/signals.py), in the order the digest lists a tie
ASPECTS = ("quality", "delivery", "packaging", "price", "payment", "fit", "service")


@dataclass(frozen=True)
class DigestSettings:
    hour: int
    language: str
    quiet: str


def digest_settings(shop: Shop) -> DigestSettings:
    """The shop's digest settings (``shop.settings``), with defaults for anything missing or bad."""
    raw = shop.settings or {}
    try:
        hour = int(raw.get("digest_hour", DEFAULT_HOUR))
    except (TypeError, ValueError):
        hour = DEFAULT_HOUR
    if not 0 <= hour <= 23:
        hour = DEFAULT_HOUR
    language = raw.get("digest_language") or shop.language or "en"
    language = language[:2].lower() if language[:2].lower() in LANGUAGES else "en"
    quiet = raw.get("digest_quiet", "short")
    return DigestSettings(hour, language, quiet if quiet in QUIET_CHOICES else "short")


def shop_zone(shop: Shop) -> ZoneInfo:
    try:
        return ZoneInfo(shop.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("shop %s: unknown time zone %r, using UTC", shop.id, shop.timezone)
        return ZoneInfo("UTC")


def local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant a local date starts."""
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)


def shorten(text: str, limit: int = QUOTE_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def build_digest(s: Session, shop: Shop, day: dt.date, *, public_url: str,
                 settings: Any = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """The digest of ``shop`` for local date ``day`` as plain data; ``s`` is the shop's session."""
    now = now or utcnow()
    zone = shop_zone(shop)
    prefs = digest_settings(shop)
    start, end = local_midnight(day - dt.timedelta(days=1), zone), local_midnight(day, zone)
    before = local_midnight(day - dt.timedelta(days=2), zone)
    base = public_url.rstrip("/")

    complaints, n_complaints = _waiting(s, shop, "complaint", now, base)
    questions, n_questions = _waiting(s, shop, "question", now, base, QUESTIONS_SHOWN)
    products = _products(s, start, end, before, base)
    promotions = _promotions(s, start, end, base)
    budget = _x_budget(s, settings, now)
    chart = _chart(s, day, zone)
    digest: dict[str, Any] = {
        "shop": {"id": shop.id, "name": shop.name or shop.domain, "timezone": str(zone.key),
                 "currency": shop.currency},
        "language": prefs.language,
        "quiet_setting": prefs.quiet,
        "date": day.isoformat(),
        "period": {"start": start.isoformat(), "end": end.isoformat(),
                   "day": (day - dt.timedelta(days=1)).isoformat()},
        "generated_at": now.isoformat(),
        "admin_url": f"{base}/admin/",
        "complaints": complaints,
        "complaints_total": n_complaints,
        "complaints_overdue": sum(1 for c in complaints if c["overdue"]),
        "questions": questions,
        "questions_total": n_questions,
        "products": products["top"],
        "mentions_total": products["total"],
        "mentions_previous": products["previous"],
        "promotions": promotions,
        "x_budget": budget,
        "chart": chart,
    }
    digest["actions"] = _actions(digest, base)
    digest["quiet"] = not (n_complaints or n_questions or products["total"]
                           or promotions["activity"])
    return digest


# --- sections -----------------------------------------------------------------------------------

def _waiting(s: Session, shop: Shop, intent: str, now: dt.datetime, base: str,
             shown: int = CASES_SHOWN) -> tuple[list[dict[str, Any]], int]:
    """Open cases of one intent nobody has answered yet, oldest first."""
    waiting = (Case.intent == intent, Case.state == "open")
    total = s.scalar(select(func.count(Case.id)).where(*waiting)) or 0
    if not total:
        return [], 0
    rows = s.execute(select(Case, Order.name).outerjoin(Order, Order.id == Case.order_id)
                     .where(*waiting).order_by(Case.opened_at, Case.id).limit(shown)).all()
    ids = [case.id for case, _ in rows]
    last_text: dict[int, str] = {}
    # sorted here: an ORDER BY created_at would lead SQLite to the shop's whole time index
    # instead of the case_id one
    for case_id, text, _ in sorted(s.execute(
            select(Post.case_id, Post.text, Post.created_at)
            .where(Post.case_id.in_(ids), Post.is_own.is_(False))), key=lambda r: r[2]):
        last_text[case_id] = text  # the newest wins
    limit = dt.timedelta(hours=sla_hours(shop))
    out = []
    for case, order_name in rows:
        age = now - case.opened_at
        out.append({
            "id": case.id, "network": case.network, "handle": case.author_handle,
            "name": case.author_name, "opened_at": case.opened_at.isoformat(),
            "age_hours": max(int(age.total_seconds() // 3600), 0),
            "order": order_name,
            "overdue": case.sla_flagged_at is not None or (
                case.first_response_at is None and age >= limit),
            "text": shorten(last_text.get(case.id, "")),
            "url": f"{base}/admin/cases/{case.id}",
        })
    return out, total


def _products(s: Session, start: dt.datetime, end: dt.datetime, before: dt.datetime, base: str
              ) -> dict[str, Any]:
    counted = (select(PostProduct.product_id, func.count(PostProduct.id))
               .join(Post, Post.id == PostProduct.post_id).where(Post.is_own.is_(False))
               .group_by(PostProduct.product_id))
    # from the day's posts (their time index) to their products: one day is a small slice
    today = dict(s.execute(counted.where(Post.created_at >= start, Post.created_at < end)).all())
    previous = dict(s.execute(counted.where(Post.created_at >= before,
                                            Post.created_at < start)).all())
    quote_start = end - dt.timedelta(days=QUOTE_DAYS)
    quotes: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: {"works": [], "fails": []})
    aspects: dict[int, dict[str, Counter[str]]] = defaultdict(
        lambda: {"works": Counter(), "fails": Counter()})
    top_ids = [pid for pid, _ in sorted(today.items(), key=lambda kv: (-kv[1], kv[0]))
               [:TOP_PRODUCTS]]
    if top_ids:
        rows = s.execute(
            select(PostProduct.product_id, Post.id, Post.intent, Post.sentiment,
                   Post.sentiment_label, Post.signals, Post.aspects, Post.text,
                   Post.author_handle, Post.network, Post.url)
            .join(Post, Post.id == PostProduct.post_id)
            .where(PostProduct.product_id.in_(top_ids), Post.is_own.is_(False),
                   Post.intent.in_(OPINION_INTENTS),
                   PostProduct.post_created_at >= quote_start, PostProduct.post_created_at < end)
            .order_by(PostProduct.post_created_at.desc()).limit(50 * len(top_ids)))
        for (pid, post_id, intent, score, label, signals, about, text, handle, network,
             url) in rows:
            side = verdict(intent, label or polarity(score), signals)
            if side is None:
                continue
            about = [a for a in (about or []) if a in ASPECTS]
            aspects[pid][side].update(about)
            bucket = quotes[pid][side]
            if len(bucket) < QUOTES_EACH:
                bucket.append({"post_id": post_id, "text": shorten(text), "handle": handle,
                               "network": network, "url": url or "", "aspects": about})
    titles = dict(s.execute(select(Product.id, Product.title)
                            .where(Product.id.in_(top_ids))).all()) if top_ids else {}
    complaints_today: Counter[int] = Counter()
    if top_ids:
        complaints_today.update(dict(s.execute(
            select(PostProduct.product_id, func.count(PostProduct.id))
            .join(Post, Post.id == PostProduct.post_id)
            .where(PostProduct.product_id.in_(top_ids), Post.intent == "complaint",
                   Post.is_own.is_(False), Post.created_at >= start, Post.created_at < end,
                   PostProduct.post_created_at >= start, PostProduct.post_created_at < end)
            .group_by(PostProduct.product_id)).all()))
    top = [{
        "id": pid, "title": titles.get(pid, f"#{pid}"), "mentions": today[pid],
        "previous": previous.get(pid, 0), "change": today[pid] - previous.get(pid, 0),
        "complaints": complaints_today.get(pid, 0),
        "works": quotes[pid]["works"], "fails": quotes[pid]["fails"],
        "works_aspects": _ranked(aspects[pid]["works"]),
        "fails_aspects": _ranked(aspects[pid]["fails"]),
        "url": f"{base}/admin/products/{pid}",
    } for pid in top_ids]
    return {"top": top, "total": sum(today.values()), "previous": sum(previous.values())}


def verdict(intent: str | None, sentiment_label: str | None, signals: Any) -> str | None:
    """Which side of "what works / what does not" a post is quoted on, or None.

    Only an opinion is quoted: a restock request or a purchase intent is neither side (it asks
    for the product); a complaint the author says is resolved is not a failure any more; and
    where the model's sentiment contradicts its intent (a "complaint" read as positive without
    sarcasm, "praise" read as negative or sarcastic) the post is left out rather than misquoted.
    """
    signals = set(signals or ())
    if signals & {"restock_request", "resolved"} and intent != "praise":
        return None
    if intent == "complaint":
        positive = sentiment_label == "positive" and "sarcasm" not in signals
        return None if positive else "fails"
    if intent == "praise":
        doubtful = sentiment_label == "negative" or "sarcasm" in signals
        return None if doubtful else "works"
    return None


def polarity(score: float | None) -> str | None:
    """A label for posts classified before the sentiment head stored one (its score alone)."""
    if score is None:
        return None
    return "positive" if score >= POLARITY else "negative" if score <= -POLARITY else "neutral"


def _ranked(counts: Counter[str]) -> list[dict[str, Any]]:
    """Aspects most named first (ties in the fixed order of ``ASPECTS``)."""
    return [{"aspect": a, "count": counts[a]}
            for a in sorted(counts, key=lambda a: (-counts[a], ASPECTS.index(a)))]


def _promotions(s: Session, start: dt.datetime, end: dt.datetime, base: str) -> dict[str, Any]:
    in_day = (Message.sent_at >= start, Message.sent_at < end)
    sent = s.scalar(select(func.count(Message.id)).where(
        Message.kind.in_(PROMOTION_KINDS), Message.state == "sent", *in_day)) or 0
    ours = select(Message.external_id).where(Message.kind.in_(PROMOTION_KINDS),
                                             Message.state == "sent",
                                             Message.external_id.is_not(None))
    replies = s.scalar(select(func.count(Post.id)).where(
        Post.created_at >= start, Post.created_at < end, Post.is_own.is_(False),
        Post.reply_to_id.in_(ours))) or 0
    opt_outs = s.scalar(select(func.count(OptOut.id)).where(
        OptOut.created_at >= start, OptOut.created_at < end)) or 0
    watchers = s.scalar(select(func.count(Watcher.id)).where(
        Watcher.consented_at >= start, Watcher.consented_at < end)) or 0
    conversions, revenue = s.execute(select(func.count(Conversion.id),
                                            func.coalesce(func.sum(Conversion.revenue), 0))
                                     .where(Conversion.created_at >= start,
                                            Conversion.created_at < end)).one()
    live = s.scalars(select(Promotion).where(
        (Promotion.state.in_(LIVE_PROMOTIONS))
        | (Promotion.ends_at >= start - dt.timedelta(days=7)))
        .order_by(Promotion.created_at.desc()).limit(10)).all()
    ids = [p.id for p in live]
    reached = dict(s.execute(select(Outreach.promotion_id, func.count(Outreach.id))
                             .where(Outreach.promotion_id.in_(ids),
                                    Outreach.state.in_(("sent", "owner_sent")))
                             .group_by(Outreach.promotion_id)).all()) if ids else {}
    won = {pid: (n, total) for pid, n, total in s.execute(
        select(Conversion.promotion_id, func.count(Conversion.id),
               func.coalesce(func.sum(Conversion.revenue), 0))
        .where(Conversion.promotion_id.in_(ids)).group_by(Conversion.promotion_id))} \
        if ids else {}
    items = [{"id": p.id, "title": p.title, "state": p.state, "code": p.code, "value": p.value,
              "reached": reached.get(p.id, 0), "conversions": won.get(p.id, (0, 0))[0],
              "revenue": f"{won.get(p.id, (0, 0))[1]:.2f}"} for p in live]
    return {"sent": sent, "replies": replies, "opt_outs": opt_outs, "new_watchers": watchers,
            "conversions": int(conversions or 0), "revenue": f"{revenue or 0:.2f}",
            "items": items,
            "pending": [i for i in items if i["state"] == "pending_approval"],
            "activity": bool(sent or replies or opt_outs or watchers or conversions
                             or any(i["state"] == "pending_approval" for i in items))}


def _x_budget(s: Session, settings: Any, now: dt.datetime) -> list[dict[str, Any]]:
    out = []
    for account in s.scalars(select(SocialAccount).where(SocialAccount.network == "x",
                                                         SocialAccount.active.is_(True))
                             .order_by(SocialAccount.id)):
        budget = monthly_read_budget(settings, account)
        used = account.reads_used if account.read_budget_month == month_key(now) else 0
        out.append({"handle": account.handle, "used": used or 0, "budget": budget,
                    "share": (used or 0) / budget if budget else 0.0})
    return out


def _chart(s: Session, day: dt.date, zone: ZoneInfo) -> list[dict[str, Any]]:
    """Mentions and complaints per local day, the 14 days before ``day``."""
    days = [day - dt.timedelta(days=n) for n in range(CHART_DAYS, 0, -1)]
    mentions: Counter[dt.date] = Counter()
    complaints: Counter[dt.date] = Counter()
    rows = s.execute(select(Post.created_at, Post.intent).where(
        Post.created_at >= local_midnight(days[0], zone),
        Post.created_at < local_midnight(day, zone), Post.is_own.is_(False)))
    for created_at, intent in rows:
        local = created_at.astimezone(zone).date()
        mentions[local] += 1
        if intent == "complaint":
            complaints[local] += 1
    return [{"date": d.isoformat(), "mentions": mentions[d], "complaints": complaints[d]}
            for d in days]


def _actions(d: dict[str, Any], base: str) -> list[dict[str, Any]]:
    """What to do next, most urgent first; each with a link into the admin."""
    actions = []
    for case in [c for c in d["complaints"] if c["overdue"]][:3]:
        actions.append({"kind": "answer_complaint", "handle": case["handle"],
                        "hours": case["age_hours"], "url": case["url"]})
    if d["complaints_total"] > len(actions):
        actions.append({"kind": "open_inbox", "count": d["complaints_total"],
                        "url": f"{base}/admin/inbox"})
    if d["questions_total"]:
        actions.append({"kind": "answer_questions", "count": d["questions_total"],
                        "url": f"{base}/admin/inbox"})
    for product in d["products"]:
        if product["complaints"] and product["fails"]:
            actions.append({"kind": "check_product", "title": product["title"],
                            "count": product["complaints"], "url": product["url"]})
    for promotion in d["promotions"]["pending"]:
        actions.append({"kind": "approve_promotion", "title": promotion["title"],
                        "url": f"{base}/admin/promotions/{promotion['id']}"})
    for account in d["x_budget"]:
        if account["budget"] and account["share"] >= BUDGET_WARNING:
            actions.append({"kind": "x_budget", "handle": account["handle"],
                            "percent": round(account["share"] * 100),
                            "url": f"{base}/admin/accounts"})
    return actions
