"""After a shop owner says yes: store the credentials (encrypted), then a job fetches the shop's
details, registers webhooks and runs the first sync. No web code here."""
from __future__ import annotations

import logging
import re
import secrets
from typing import Any

from sqlalchemy import select

from .. import jobs
from ..crypto import token_digest
from ..db import Database
from ..errors import ArrostoError, AuthError
from ..models import AuthState, Shop, utcnow
from . import platform_for
from .sync import sync_shop

log = logging.getLogger(__name__)


def _upsert_shop(db: Database, platform: str, domain: str, **fields: Any) -> int:
    with db.transaction() as s:
        shop = s.scalar(select(Shop).where(Shop.platform == platform, Shop.domain == domain))
        if shop is None:
            shop = Shop(platform=platform, domain=domain, name=domain)
            s.add(shop)
        for key, value in fields.items():
            setattr(shop, key, value)
        shop.token_version = (shop.token_version or 0) + 1
        shop.uninstalled_at = None
        s.flush()
        return shop.id


def save_shopify_tokens(db: Database, domain: str, tokens: Any) -> int:
    from .shopify import TokenSet, store_tokens

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
    from . import shopify

    with db.transaction() as s:
        shop = s.scalar(select(Shop).where(Shop.platform == "shopify", Shop.domain == domain))
        if shop is not None and shop.status == "active" and shop.access_token:
            return shop.id
    tokens = shopify.exchange_session_token(domain, session_token, settings,
                                            expiring=settings.shopify_expiring_tokens)
    shop_id = save_shopify_tokens(db, domain, tokens)
    connected(db, settings, shop_id)
    return shop_id


def save_woocommerce_keys(db: Database, store_url: str, keys: Any) -> int:
    from .woocommerce import store_domain

    domain = store_domain(store_url)
    return _upsert_shop(
        db, "woocommerce", domain, store_url=store_url, status="pending",
        status_reason="Checking the keys with the store…", api_key=keys.consumer_key,
        api_secret=keys.consumer_secret,
        settings={"wc_auth_nonce": token_digest(str(keys.user_id)),
                  "wc_key_id": keys.key_id, "wc_key_permissions": keys.key_permissions})


NONCE = re.compile(r"[A-Za-z0-9_-]{1,128}")  # what ``secrets.token_urlsafe`` makes


def shop_for_nonce(db: Database, nonce: str, browser_digest: str) -> int | None:
    """The WooCommerce shop connected by this browser's attempt, once the keys arrived."""
    if not NONCE.fullmatch(nonce or ""):  # never ours (and NUL is an error on PostgreSQL)
        return None
    with db.transaction() as s:
        state = s.scalar(select(AuthState).where(AuthState.nonce == nonce,
                                                 AuthState.platform == "woocommerce"))
        if state is None or state.browser_digest != browser_digest:
            return None
        for shop in s.scalars(select(Shop).where(Shop.platform == "woocommerce")):
            if (shop.settings or {}).get("wc_auth_nonce") == token_digest(nonce) \
                    and shop.status in ("active", "pending"):
                return shop.id
    return None


def connected(db: Database, settings: Any, shop_id: int) -> None:
    """Credentials are stored: finish the install in the background."""
    after_install_job(shop_id)


@jobs.job(retries=3, retry_delay=60)
def verify_woocommerce_job(shop_id: int) -> None:
    db = jobs.database()
    if check_woocommerce_keys(db, shop_id):
        connected(db, jobs.app().config["ARROSTO"], shop_id)


def check_woocommerce_keys(db: Database, shop_id: int) -> bool:
    """WooCommerce's callback is unsigned: the keys count only once they work on the store."""
    with db.transaction() as s:
        shop = s.get(Shop, shop_id)
        platform = platform_for(shop)
    try:
        platform.check_credentials()
    except AuthError as exc:
        with db.transaction() as s:
            shop = s.get(Shop, shop_id)
            shop.status = "needs_reauth"
            shop.status_reason = f"The store refused the API keys: {exc}"
        return False
    with db.transaction() as s:
        shop = s.get(Shop, shop_id)
        shop.status, shop.status_reason = "active", None
    return True


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
        merged.update({"webhooks": topics, "webhooks_error": problem,
                       "installed_sync_started_at": utcnow().isoformat()})
        shop.settings = merged
    sync_shop(db, shop_id)
