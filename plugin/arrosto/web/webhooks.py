"""Webhook receivers: verify the signature on the raw body, store, answer 200, process in a job.

Nothing is parsed before the signature holds; a bad or missing one is a 401 with nothing stored.
Platforms retry deliveries with the same id (Shopify: 8 times over 4 hours), so storing is
idempotent and acknowledging never waits on processing.
"""
from __future__ import annotations

import logging

from cachetools import TTLCache
from flask import Blueprint, Response, abort, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import jobs
from ..errors import InvalidSignature
from ..models import Shop
from ..shops import PLATFORMS
from ..shops.deliveries import process_delivery, receiving, store_delivery
from . import current_db

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

KEPT_HEADERS = ("Content-Type", "User-Agent")


# the receiver's answers, built once: a storm of deliveries should not pay for jsonify each time
ACCEPTED = b'{"status":"accepted"}\n'
DUPLICATE = b'{"status":"duplicate"}\n'
OK = b'{"status":"ok"}\n'


def _answer(body: bytes, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="application/json")


@bp.post("/<platform>")
@bp.post("/<platform>/<int:shop_id>")
def receive(platform: str, shop_id: int | None = None):
    cls = PLATFORMS.get(platform)
    if cls is None or platform == "demo":
        abort(404)
    db = current_db()
    with receiving(db):  # concurrent deliveries of this process share one commit
        return _receive(db, cls, platform, shop_id)


def _receive(db, cls, platform: str, shop_id: int | None):
    body = request.get_data(cache=False)  # over MAX_CONTENT_LENGTH: 413 before this returns
    shop = None
    if shop_id is not None:
        with db.transaction() as s:
            shop = s.get(Shop, shop_id)
        if shop is None or shop.platform != platform:
            return jsonify(error="unknown shop"), 404
    if cls.is_ping(request.headers, body):
        return _answer(OK)
    secrets = cls.webhook_secrets(current_app.config["ARROSTO"], shop)
    try:
        if not secrets:
            raise InvalidSignature("no webhook secret configured")
        meta = cls.verify_webhook(request.headers, body, secrets)
    except InvalidSignature as exc:
        log.warning("%s webhook refused: %s", platform, exc)
        return jsonify(error="invalid signature"), 401
    shop_id = shop.id if shop else (
        _shop_id(db, platform, meta.shop_domain.lower()) if meta.shop_domain else None)
    headers = {k: v for k, v in request.headers.items()
               if k in KEPT_HEADERS or k.lower().startswith(("x-shopify-", "x-wc-webhook-"))}
    try:
        stored = store_delivery(db, platform, meta, headers, body, shop_id)
    except IntegrityError:  # the cached shop was erased meanwhile: keep the delivery anyway
        _shop_ids().clear()
        stored = store_delivery(db, platform, meta, headers, body, None)
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


def _shop_ids() -> TTLCache:
    return current_app.extensions.setdefault("arrosto.shop_ids", TTLCache(maxsize=10_000,
                                                                          ttl=30))


def _shop_id(db, platform: str, domain: str) -> int | None:
    """The shop's id by its domain, cached briefly (a storm of deliveries is for few shops)."""
    cache = _shop_ids()
    key = (platform, domain)
    if key not in cache:
        with db.transaction() as s:
            cache[key] = s.scalar(select(Shop.id).where(Shop.platform == platform,
                                                        Shop.domain == domain))
    return cache[key]
