"""After a shop owner says yes: store the credentials (encrypted), then a job fetches the shop's
details, registers webhooks and runs the first sync. No web code here.

WooCommerce's key callback is unsigned, so its keys wait on the auth state as a pending
credential until a job has confirmed them on the store; only then do they create a shop or
replace an existing shop's keys (its settings kept, its admin sessions ended)."""
from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from .. import jobs
from ..access import end_shop_sessions, prune_admin_sessions
from ..db import Database
from ..errors import ArrostoError, AuthError, RetryableError
from ..models import AuthState, Shop, utcnow
from . import platform_for
from .sync import sync_shop

if TYPE_CHECKING:
    from .woocommerce_auth import WooKeys

log = logging.getLogger(__name__)


def save_shopify_tokens(db: Database, domain: str, tokens: Any) -> int:
    from .shopify_auth import TokenSet, store_tokens

    if not isinstance(tokens, TokenSet):  # a custom app's permanent token
        tokens = TokenSet(access_token=tokens.access_token)
    with db.transaction() as s:
        shop = s.scalar(select(Shop).where(Shop.platform == "shopify", Shop.domain == domain))
        if shop is None:
            shop = Shop(platform="shopify", domain=domain, name=domain)
            s.add(shop)
        store_tokens(shop, tokens)
        shop.uninstalled_at = None
        s.flush()
        return shop.id


def ensure_shopify_install(db: Database, settings: Any, domain: str, session_token: str) -> int:
    """The shop's id; on first open (or after an uninstall) exchange the session token for an
    offline access token and start the install job."""
    from . import shopify_auth

    with db.transaction() as s:
        shop = s.scalar(select(Shop).where(Shop.platform == "shopify", Shop.domain == domain))
        if shop is not None and shop.status == "active" and shop.access_token:
            return shop.id
    tokens = shopify_auth.exchange_session_token(domain, session_token, settings,
                                                 expiring=settings.shopify_expiring_tokens)
    shop_id = save_shopify_tokens(db, domain, tokens)
    connected(db, settings, shop_id)
    return shop_id


# --- WooCommerce: wc-auth keys, pending until the store confirms them ----------------------------

NONCE = re.compile(r"[A-Za-z0-9_-]{1,128}")  # what ``secrets.token_urlsafe`` makes
STATE_KEEP = dt.timedelta(days=1)  # auth states older than this are deleted by prune_job


@dataclass(frozen=True)
class WooConnection:
    """Where a browser's wc-auth attempt stands: ``waiting`` (no keys yet, not checked yet, or
    not this browser's attempt), ``refused`` (the store did not confirm the keys), ``expired``
    (no keys came in time), ``late`` (confirmed, but the browser came back too late) or
    ``connected`` to ``shop_id`` (said once: the attempt is then used up)."""

    status: str
    shop_id: int | None = None
    reason: str | None = None


def receive_woocommerce_keys(db: Database, keys: WooKeys, ttl: dt.timedelta) -> int | None:
    """Keep the keys wc-auth posted for our nonce (``keys.user_id``) as a pending credential on
    its auth state, encrypted; the state's id, or None for a nonce that is not ours, is older
    than ``ttl`` or was answered already. No shop changes here: the callback is unsigned."""
    if not NONCE.fullmatch(keys.user_id or ""):  # never ours (and NUL is an error on PostgreSQL)
        return None
    now = utcnow()
    with db.transaction() as s:
        state_id = s.scalar(select(AuthState.id).where(
            AuthState.nonce == keys.user_id, AuthState.platform == "woocommerce",
            AuthState.created_at > now - ttl))
        if state_id is None:
            return None
        taken = s.execute(update(AuthState).where(
            AuthState.id == state_id, AuthState.keys_received_at.is_(None),
            AuthState.used_at.is_(None)).values(
            keys_received_at=now, key_id=keys.key_id, consumer_key=keys.consumer_key,
            consumer_secret=keys.consumer_secret, key_permissions=keys.key_permissions)).rowcount
        return state_id if taken == 1 else None


def check_woocommerce_keys(store_url: str, keys: WooKeys) -> None:
    """Keys count once the store they are for confirms them: with these keys, on that store, a
    read and a write that changes nothing. ``AuthError`` when the store refuses them (unknown,
    revoked, read-only), ``RetryableError`` when it could not be asked."""
    from .woocommerce_auth import WCAUTH_SCOPE, store_domain

    if keys.key_permissions != WCAUTH_SCOPE:
        raise AuthError(f"the keys have {keys.key_permissions!r} access; Arrosto asked for "
                        f"{WCAUTH_SCOPE!r}", platform="woocommerce")
    probe = Shop(platform="woocommerce", domain=store_domain(store_url), store_url=store_url,
                 api_key=keys.consumer_key, api_secret=keys.consumer_secret)  # never stored
    platform = platform_for(probe)
    platform.check_credentials()
    platform.check_write_access()


def save_verified_keys(s: Session, store_url: str, keys: WooKeys) -> int:
    """Keys the store confirmed: a new shop, or the store's existing shop with its keys replaced
    and everything else kept (the settings merged, never replaced). A replacement ends every
    admin session of the shop. ``s`` spans shops (``all_shops=True``)."""
    from .woocommerce_auth import normalize_store_url, store_domain

    domain = store_domain(store_url)
    shop = s.scalar(select(Shop).where(Shop.platform == "woocommerce", Shop.domain == domain))
    wc = {"wc_key_id": keys.key_id, "wc_key_permissions": keys.key_permissions}
    if shop is None:
        shop = Shop(platform="woocommerce", domain=domain, name=domain, store_url=store_url,
                    settings=wc)
        s.add(shop)
        s.flush()
    else:
        if shop.store_url and normalize_store_url(shop.store_url) != store_url:
            # another site on the same host (a WordPress multisite): not this shop's store
            raise AuthError("this shop is connected to the store at another address",
                            platform="woocommerce")
        kept = {k: v for k, v in (shop.settings or {}).items() if k != "wc_auth_nonce"}
        shop.settings = {**kept, **wc}
        shop.store_url = store_url
        ended = end_shop_sessions(s, shop.id)
        log.info("shop %d: WooCommerce keys replaced, %d admin sessions ended", shop.id, ended)
    shop.api_key, shop.api_secret = keys.consumer_key, keys.consumer_secret
    shop.status, shop.status_reason = "active", None
    shop.token_version = (shop.token_version or 0) + 1
    shop.uninstalled_at = None
    s.flush()
    return shop.id


def connect_woocommerce_store(db: Database, store_url: str, keys: WooKeys) -> int:
    """Keys given by hand (the CLI): checked on the store first, then saved."""
    check_woocommerce_keys(store_url, keys)
    with db.transaction(all_shops=True) as s:
        return save_verified_keys(s, store_url, keys)


@jobs.job(retries=3, retry_delay=60)
def verify_woocommerce_keys_job(state_id: int) -> None:
    db = jobs.database()
    shop_id = verify_pending_keys(db, state_id)
    if shop_id is not None:
        connected(db, jobs.app().config["ARROSTO"], shop_id)


def verify_pending_keys(db: Database, state_id: int) -> int | None:
    """Check a pending credential on its store; the shop it was saved to, or None (refused, or
    already handled). The keys leave the auth state either way; a store that could not be
    asked raises ``RetryableError`` and the job tries again."""
    from .woocommerce_auth import WooKeys

    with db.transaction() as s:
        state = s.get(AuthState, state_id)
        if state is None or state.consumer_key is None or state.verified_at is not None:
            return None
        store_url = state.shop_domain
        keys = WooKeys(key_id=state.key_id or 0, user_id=state.nonce,
                       consumer_key=state.consumer_key, consumer_secret=state.consumer_secret,
                       key_permissions=state.key_permissions or "")
    try:
        check_woocommerce_keys(store_url, keys)
        with db.transaction(all_shops=True) as s:
            claimed = s.execute(update(AuthState).where(
                AuthState.id == state_id, AuthState.verified_at.is_(None),
                AuthState.consumer_key.is_not(None)).values(verified_at=utcnow())).rowcount
            if claimed != 1:
                return None  # another run of this job got there first
            shop_id = save_verified_keys(s, store_url, keys)
            s.execute(update(AuthState).where(AuthState.id == state_id).values(
                connected_shop_id=shop_id, consumer_key=None, consumer_secret=None))
    except RetryableError:
        raise
    except ArrostoError as exc:
        log.warning("wc-auth keys for %s refused: %s", store_url, exc)
        with db.transaction() as s:
            s.execute(update(AuthState).where(AuthState.id == state_id).values(
                refused_reason=str(exc)[:500], consumer_key=None, consumer_secret=None))
        return None
    return shop_id


def shop_for_nonce(db: Database, nonce: str, browser_digest: str, ttl: dt.timedelta
                   ) -> WooConnection:
    """Where this browser's attempt ``nonce`` stands. ``connected`` only for the browser that
    started it, once its keys were confirmed by the store, within ``ttl`` of that, for an active
    shop, and only once."""
    waiting = WooConnection("waiting")
    if not NONCE.fullmatch(nonce or ""):
        return waiting
    now = utcnow()
    with db.transaction() as s:
        state = s.scalar(select(AuthState).where(AuthState.nonce == nonce,
                                                 AuthState.platform == "woocommerce"))
        if state is None or state.used_at is not None or not secrets.compare_digest(
                state.browser_digest or "", browser_digest):
            return waiting
        if state.refused_reason:
            return WooConnection("refused", reason=state.refused_reason)
        if state.keys_received_at is None:
            return WooConnection("expired") if state.created_at <= now - ttl else waiting
        if state.verified_at is None or state.connected_shop_id is None:
            return waiting
        if state.verified_at <= now - ttl:
            return WooConnection("late")
        shop = s.get(Shop, state.connected_shop_id)
        if shop is None or shop.status != "active":
            return waiting
        taken = s.execute(update(AuthState).where(AuthState.id == state.id,
                                                  AuthState.used_at.is_(None))
                          .values(used_at=now)).rowcount
        return WooConnection("connected", shop.id) if taken == 1 else waiting


@jobs.job()
def prune_job() -> None:
    """Old auth states (with any keys a store never confirmed) and expired admin sessions."""
    db = jobs.database()
    with db.transaction() as s:
        s.execute(delete(AuthState).where(AuthState.created_at < utcnow() - STATE_KEEP))
    prune_admin_sessions(db)


def connected(db: Database, settings: Any, shop_id: int) -> None:
    """Credentials are stored: finish the install in the background."""
    after_install_job(shop_id)


@jobs.job(retries=3, retry_delay=60)
def after_install_job(shop_id: int) -> None:
    after_install(jobs.database(), jobs.app().config["ARROSTO"], shop_id)


def after_install(db: Database, settings: Any, shop_id: int) -> None:
    """Shop details, webhooks, first sync. Webhook trouble is recorded, not fatal: the
    reconciliation job repairs subscriptions and re-reads what they would have brought."""
    with db.transaction() as s:
        shop = s.get(Shop, shop_id)
        if not shop.webhook_secret:  # used by platforms that sign with a per-shop secret
            shop.webhook_secret = secrets.token_urlsafe(32)
        platform = platform_for(shop)
    info = platform.shop_info()
    topics: list[str] = []
    problem = None
    try:
        topics = platform.register_webhooks(platform.delivery_url(settings.public_url))
    except ArrostoError as exc:
        problem = str(exc)
        log.warning("shop %d: webhooks not registered: %s", shop_id, exc)
    with db.transaction() as s:
        shop = s.get(Shop, shop_id)
        shop.name, shop.currency, shop.timezone = info.name, info.currency, info.timezone
        shop.language = info.language or shop.language
        shop.store_url = shop.store_url or info.store_url
        merged = dict(shop.settings or {})
        # topics created now, added to those a reconnected shop had (its store keeps them)
        known = [t for t in merged.get("webhooks") or [] if isinstance(t, str)]
        merged.update({"webhooks": list(dict.fromkeys([*known, *topics])),
                       "webhooks_error": problem,
                       "installed_sync_started_at": utcnow().isoformat()})
        shop.settings = merged
    sync_shop(db, shop_id)
