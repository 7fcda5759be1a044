"""The listening pipeline: fetch → store (deduplicated) → match → classify → route.

A periodic job runs :func:`listen_account` for every connected account. Each account keeps a
checkpoint per query, so nothing is fetched twice; X bills per post read, so its monthly budget is
spent in priority order — mentions of the shop first, then the brand, then the products — and
never exceeded. One account's failure is recorded on it (and shown to the owner) and never stops
another's.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from .. import events, jobs
from ..db import Database
from ..errors import ArrostoError, AuthError, ConfigError
from ..models import Post, Shop, SocialAccount, utcnow
from ..social.accounts import network_for
from ..social.base import Batch, NotSupported, SocialNetwork
from .ingest import store_posts

log = logging.getLogger(__name__)

LANGUAGES = ["it", "en"]


@dataclass
class ListenResult:
    account_id: int
    fetched: int = 0
    new: int = 0
    reads: int = 0
    queries: int = 0
    skipped_for_budget: int = 0
    errors: list[str] = field(default_factory=list)


def month_key(now: dt.datetime) -> str:
    return now.strftime("%Y-%m")


def budget_left(account: SocialAccount, monthly_budget: int | None, now: dt.datetime
                ) -> int | None:
    """Posts the account may still read this month (None: the network does not bill reads)."""
    if monthly_budget is None:
        return None
    if account.read_budget_month != month_key(now):
        return monthly_budget
    return max(monthly_budget - (account.reads_used or 0), 0)


def spend(account: SocialAccount, reads: int, now: dt.datetime) -> None:
    if account.read_budget_month != month_key(now):
        account.read_budget_month, account.reads_used = month_key(now), 0
    account.reads_used = (account.reads_used or 0) + reads


def _query_key(query: str) -> str:
    return "q:" + hashlib.sha256(query.encode()).hexdigest()[:16]


def planned_queries(network: SocialNetwork, brand_terms: list[str], product_terms: list[str]
                    ) -> list[tuple[str, str]]:
    """(kind, query) in the order the budget is spent: brand first, then products."""
    plan = [("brand", q) for q in network.build_queries(brand_terms, LANGUAGES)] \
        if brand_terms else []
    if product_terms:
        plan += [("products", q) for q in network.build_queries(product_terms, LANGUAGES)]
    return plan


def listen_account(db: Database, settings: Any, account_id: int, *,
                   network_factory: Callable[[SocialAccount], SocialNetwork] | None = None,
                   now: dt.datetime | None = None) -> ListenResult:
    """Fetch what is new for one account, store it and process it. Errors are recorded on the
    account (``last_error``), never raised into the caller's loop over accounts."""
    now = now or utcnow()
    result = ListenResult(account_id)
    with db.transaction(all_shops=True) as s:
        shop_id = s.get(SocialAccount, account_id).shop_id
    with db.transaction(shop_id) as s:
        account = s.get(SocialAccount, account_id)
        shop = s.get(Shop, shop_id)
        brand, products = terms_for_listening(s, shop)
        s.expunge(account)
        s.expunge(shop)
    try:
        network = network_factory(account) if network_factory else \
            network_for(db, settings, account)
        budget = budget_left(account, monthly_read_budget(settings, account), now)
        plan = [("mentions", None)]
        if account.capabilities.get("search_off") is None:
            plan += planned_queries(network, brand, products)
        for _kind, query in plan:
            if budget is not None and budget <= 0:
                result.skipped_for_budget += 1
                continue
            key = "mentions" if query is None else _query_key(query)
            since = account.checkpoints.get(key)
            try:
                batch = network.mentions(since, limit=budget) if query is None else \
                    network.search(query, since, limit=budget)
            except NotSupported as exc:
                if query is None:
                    raise
                account.capabilities = {**account.capabilities, "search_off": str(exc)}
                log.info("account %d: search is off: %s", account_id, exc)
                continue
            result.queries += 1
            if budget is not None:
                budget -= batch.reads
            stored = _store(db, shop_id, account, batch, key,
                            "mention" if query is None else "search", now)
            result.fetched += len(batch.posts)
            result.reads += batch.reads
            result.new += len(stored)
            if stored:
                process_new_posts(db, shop_id, stored, settings)
        _record(db, account_id, account, error=None, now=now)
    except AuthError as exc:
        result.errors.append(f"the network refused the account's credentials: {exc}")
        _record(db, account_id, account, error=result.errors[-1], now=now, active=False)
    except ArrostoError as exc:
        result.errors.append(str(exc))
        _record(db, account_id, account, error=str(exc), now=now)
    return result


def monthly_read_budget(settings: Any, account: SocialAccount) -> int | None:
    if account.network != "x":
        return None
    return int(getattr(settings, "x_monthly_read_budget", 10_000))


def _store(db: Database, shop_id: int, account: SocialAccount, batch: Batch, key: str,
           source: str, now: dt.datetime) -> list[int]:
    """Store a batch and move its checkpoint and the read count in the same transaction."""
    with db.transaction(shop_id) as s:
        shop = s.get(Shop, shop_id)
        stored = store_posts(s, shop, batch.posts, source=source,
                             social_account_id=account.id)
        row = s.get(SocialAccount, account.id)
        if batch.checkpoint:
            row.checkpoints = {**row.checkpoints, key: batch.checkpoint}
        spend(row, batch.reads, now)
        if account.session_string and account.session_string != row.session_string:
            row.session_string = account.session_string  # a network refreshed its session
        account.checkpoints = row.checkpoints
        account.read_budget_month, account.reads_used = row.read_budget_month, row.reads_used
    return stored.new_ids or []


def _record(db: Database, account_id: int, account: SocialAccount, *, error: str | None,
            now: dt.datetime, active: bool = True) -> None:
    with db.transaction(account.shop_id) as s:
        row = s.get(SocialAccount, account_id)
        row.last_run_at = now
        row.last_error = error
        row.last_error_at = now if error else row.last_error_at
        row.capabilities = account.capabilities
        if account.session_string and account.session_string != row.session_string:
            row.session_string = account.session_string
        if account.external_id and not row.external_id:
            row.external_id = account.external_id
        if not active:
            row.active = False
    if error:
        log.warning("listening on account %d failed: %s", account_id, error)


def terms_for_listening(s, shop: Shop) -> tuple[list[str], list[str]]:
    """The brand's terms (and the shop's handles) and the products' specific terms. Terms that
    need context to mean the product are left out of network searches: they would bring mostly
    noise (and cost X reads); matching still uses them on what is fetched."""
    from ..models import Product, ProductKeyword

    brand = sorted({t for t in (shop.brand_terms or []) if t})
    rows = s.execute(select(ProductKeyword.term).join(Product).where(
        ProductKeyword.source != "removed", ProductKeyword.needs_context.is_(False),
        Product.status == "active", Product.deleted_at.is_(None)))
    products = sorted({term for (term,) in rows} - {b.lower() for b in brand})
    return brand, products


def process_new_posts(db: Database, shop_id: int, post_ids: list[int],
                      settings: Any = None) -> None:
    """Match new posts to products, classify them, tell the domains
    (:class:`~arrosto.events.PostsRead`: support routes complaints and questions to cases, links
    those to orders and drafts their replies), record consent and opt-outs; approved automatic
    replies (and opt-out confirmations) are queued once all of it is committed."""
    from ..outbox.consent import handle_consent
    from ..outbox.send import queue_sends
    from .match import match_posts

    if settings is None:
        settings = _current_settings()
    with db.transaction(shop_id) as s:
        shop = s.get(Shop, shop_id)
        match_posts(s, shop, post_ids)
        classify_stored_posts(s, post_ids)
        read = events.PostsRead(post_ids, settings)
        events.dispatch(s, shop, read, f"posts:{shop_id}")
        approved = read.approved + handle_consent(s, shop, post_ids)  # "notify me", "stop"
    queue_sends(approved)


def _current_settings() -> Any:
    """This process's settings when an app is configured (links in drafts need them)."""
    try:
        return jobs.app().config["ARROSTO"]
    except ConfigError:
        return None


def classify_stored_posts(s, post_ids: list[int]) -> None:
    """Language, intent, sentiment, signals and aspects for each post (the model is loaded once
    per process), then the shop's own overlay learnt from its owner's corrections (``s`` is the
    shop's session, so only its corrections count)."""
    from .classify import get_classifier
    from .overlay import adjust

    posts = list(s.scalars(select(Post).where(Post.id.in_(post_ids))))
    if not posts:
        return
    results = get_classifier().classify([p.text for p in posts])
    now = utcnow()
    for post, found in zip(posts, results, strict=True):
        post.intent, post.sentiment = found.intent, found.sentiment
        post.sentiment_label = getattr(found, "sentiment_label", None)
        post.signals = sorted(getattr(found, "signals", None) or ())
        post.aspects = list(getattr(found, "aspects", None) or ())
        post.lang = post.lang or found.lang
        post.classified_at = now
    adjust(s, [p for p in posts if not p.is_own])


# --- jobs -----------------------------------------------------------------------------------------

@jobs.job()
def listen_all_job() -> None:
    for account_id in active_accounts(jobs.database()):
        listen_account_job(account_id)


@jobs.job(retries=2, retry_delay=300)
def listen_account_job(account_id: int) -> None:
    listen_account(jobs.database(), jobs.app().config["ARROSTO"], account_id)


def active_accounts(db: Database) -> list[int]:
    with db.transaction(all_shops=True) as s:
        return list(s.scalars(select(SocialAccount.id).join(Shop).where(
            SocialAccount.active.is_(True), SocialAccount.network != "archive",
            Shop.status == "active")))
