"""Webhook receivers: verify the signature on the raw body, store, answer 200, process in a job.

Nothing is parsed before the signature holds; a bad or missing one is a 401 with nothing stored.
Platforms retry deliveries with the same id (Shopify: 8 times over 4 hours), so storing is
idempotent and acknowledging never waits on processing.
"""
from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, jsonify, request
from sqlalchemy import select

from ..errors import InvalidSignature
from ..models import Shop
from ..shops import PLATFORMS
from ..shops.deliveries import process_delivery_job, store_delivery
from . import current_db

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

KEPT_HEADERS = ("Content-Type", "User-Agent")


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
        if shop is None or shop.platform != platform:
            return jsonify(error="unknown shop"), 404
    if cls.is_ping(request.headers, body):
        return jsonify(status="ok")
    secrets = cls.webhook_secrets(current_app.config["ARROSTO"], shop)
    try:
        if not secrets:
            raise InvalidSignature("no webhook secret configured")
        meta = cls.verify_webhook(request.headers, body, secrets)
    except InvalidSignature as exc:
        log.warning("%s webhook refused: %s", platform, exc)
        return jsonify(error="invalid signature"), 401
    if shop is None and meta.shop_domain:
        with db.transaction() as s:
            shop = s.scalar(select(Shop).where(Shop.platform == platform,
                                               Shop.domain == meta.shop_domain.lower()))
    headers = {k: v for k, v in request.headers.items()
               if k in KEPT_HEADERS or k.lower().startswith(("x-shopify-", "x-wc-webhook-"))}
    stored = store_delivery(db, platform, meta, headers, body, shop.id if shop else None)
    if stored.duplicate:
        return jsonify(status="duplicate")
    try:
        process_delivery_job(stored.delivery_id)
    except Exception:  # noqa: BLE001 - stored already: the pending-deliveries job retries it
        log.exception("delivery %s stored but not queued", stored.delivery_id)
    return jsonify(status="accepted")
