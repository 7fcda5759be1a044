"""Webhook receivers: verify the signature on the raw body, store, answer 200, process in a job.

Nothing is parsed before the signature holds; a bad or missing one is a 401 with nothing stored.
Platforms retry deliveries with the same id (Shopify: 8 times over 4 hours), so storing is
idempotent (a uniqueness constraint on the platform's delivery id), and a delivery is answered
200 only once its row is committed; acknowledging never waits on processing.

A URL that names a shop (``/webhooks/<platform>/<id>``) is refused like a bad signature when the
shop does not exist (the same answer after the same kind of work, so the answer does not say
which ids exist), and, for a platform whose secret is the app's and so shared by every shop
(Shopify), when the delivery's own domain is not that shop's.
"""
from __future__ import annotations

import logging
import secrets

from cachetools import TTLCache
from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import jobs
from ..errors import InvalidSignature
from ..models import Shop
from ..shops import PLATFORMS
from ..shops.deliveries import process_delivery, store_delivery
from .base import current_db

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

KEPT_HEADERS = ("Content-Type", "User-Agent")
KEPT_PREFIXES = ("x-shopify-", "x-wc-webhook-")

ACCEPTED = b'{"status":"accepted"}\n'
DUPLICATE = b'{"status":"duplicate"}\n'
OK = b'{"status":"ok"}\n'
REFUSED = b'{"error":"invalid signature"}\n'

# what a delivery is checked against when there is no secret to check it with (a shop that
# does not exist): a random one, which nobody can sign with
_NO_SHOP_SECRET = secrets.token_urlsafe(32)


def _answer(body: bytes, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="application/json")


@bp.post("/<platform>")
@bp.post("/<platform>/<int:shop_id>")
def receive(platform: str, shop_id: int | None = None):
    cls = PLATFORMS.get(platform)
    if cls is None or platform == "demo":
        abort(404)
    body = request.get_data(cache=False)  # over MAX_CONTENT_LENGTH: 413 before this returns
    db = current_db()
    shop = None
    if shop_id is not None:
        with db.transaction() as s:
            shop = s.get(Shop, shop_id)
        if shop is not None and shop.platform != platform:
            shop = None
    if cls.is_ping(request.headers, body):  # answered alike whether the shop exists or not
        return _answer(OK)
    why = None  # a reason to refuse the delivery whatever its signature
    if shop_id is not None and shop is None:
        why, keys = f"no {platform} shop {shop_id}", []
    else:
        keys = cls.webhook_secrets(current_app.config["ARROSTO"], shop)
        if not keys:
            why = "no webhook secret configured"
    try:
        # without a secret, the same HMAC work against one nobody can sign with: an unknown
        # shop's answer takes as long as a known shop's with a bad signature
        meta = cls.verify_webhook(request.headers, body, keys or [_NO_SHOP_SECRET])
        if why:
            raise InvalidSignature(why)
        if shop is not None and cls.app_wide_webhook_secret and \
                (meta.shop_domain or "") != (shop.domain or "").lower():
            # any shop's delivery verifies with the app's secret: its domain says whose it is
            raise InvalidSignature(f"the delivery is for another shop than shop {shop.id}")
    except InvalidSignature as exc:
        log.warning("%s webhook refused: %s", platform, why or exc)
        return _answer(REFUSED, 401)
    if shop is not None:
        shop_id = shop.id
    elif meta.shop_domain:
        shop_id = _shop_id(db, platform, meta.shop_domain.lower())
    kept = _kept(request.headers)
    try:
        stored = store_delivery(db, platform, meta, kept, body, shop_id)
    except IntegrityError:  # the cached shop was erased meanwhile: keep the delivery anyway
        _shop_ids().clear()
        stored = store_delivery(db, platform, meta, kept, body, None)
    if stored.duplicate:
        return _answer(DUPLICATE)
    if jobs.huey.immediate:  # tests and the demo have no worker: process now
        try:
            process_delivery(db, stored.delivery_id)
        except Exception:  # noqa: BLE001 - stored and recorded: retried later
            log.exception("delivery %s stored, processing failed", stored.delivery_id)
    # otherwise `arrosto worker` drains the deliveries table (shops.deliveries.pump): the
    # answer never waits on processing, nor on the job queue being up
    return _answer(ACCEPTED)


def _kept(headers) -> dict[str, str]:
    """The headers stored with a delivery: the platform's own and a few useful ones."""
    return {k: v for k, v in headers.items()
            if k in KEPT_HEADERS or k.lower().startswith(KEPT_PREFIXES)}


def _shop_ids() -> TTLCache:
    return current_app.extensions.setdefault("arrosto.shop_ids",
                                             TTLCache(maxsize=10_000, ttl=30))


def _shop_id(db, platform: str, domain: str) -> int | None:
    """The shop's id by its domain, cached briefly (a storm of deliveries is for few shops)."""
    cache = _shop_ids()
    key = (platform, domain)
    if key not in cache:
        with db.transaction() as s:
            cache[key] = s.scalar(select(Shop.id).where(Shop.platform == platform,
                                                        Shop.domain == domain))
    return cache[key]
