"""Webhook receivers: verify the signature on the raw body, store, answer 200, process in a job.

Nothing is parsed before the signature holds; a bad or missing one is a 401 with nothing stored.
Platforms retry deliveries with the same id (Shopify: 8 times over 4 hours), so storing is
idempotent and acknowledging never waits on processing.
"""
from __future__ import annotations

import logging
import re

from cachetools import TTLCache
from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import EnvironHeaders

from .. import jobs
from ..errors import InvalidSignature
from ..models import Shop, utcnow
from ..shops import PLATFORMS
from ..shops.deliveries import process_delivery, receiving, store_delivery
from ..shops.spool import Spool, spool_for
from . import current_db

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

KEPT_HEADERS = ("Content-Type", "User-Agent")
KEPT_PREFIXES = ("X-Shopify-", "X-WC-Webhook-")


# the receiver's answers, built once: a storm of deliveries should not pay for jsonify each time
ACCEPTED = b'{"status":"accepted"}\n'
DUPLICATE = b'{"status":"duplicate"}\n'
OK = b'{"status":"ok"}\n'
UNKNOWN_SHOP = b'{"error":"unknown shop"}\n'
REFUSED = b'{"error":"invalid signature"}\n'
FAILED = b'{"error":"something went wrong"}\n'


def _answer(body: bytes, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="application/json")


@bp.post("/<platform>")
@bp.post("/<platform>/<int:shop_id>")
def receive(platform: str, shop_id: int | None = None):
    cls = PLATFORMS.get(platform)
    if cls is None or platform == "demo":
        abort(404)
    body = request.get_data(cache=False)  # over MAX_CONTENT_LENGTH: 413 before this returns
    status, answer, stored = handle(current_app, cls, platform, shop_id, request.headers, body)
    if stored is not None and jobs.huey.immediate:  # tests and the demo have no worker
        try:
            process_delivery(current_db(), stored)
        except Exception:  # noqa: BLE001 - stored and recorded: retried later
            log.exception("delivery %s stored, processing failed", stored)
    return _answer(answer, status)


def handle(app, cls, platform: str, shop_id: int | None, headers, body: bytes,
           spool: Spool | None = None) -> tuple[int, bytes, int | None]:
    """One delivery, verified and stored: in the ``spool`` when there is one and it keeps up,
    except the platform's ``store_first_topics``; otherwise in the database before the answer.
    Returns (status, answer, id of the stored delivery if it is new and in the database). The
    same for the Flask route and for :class:`FastPath`."""
    db = app.extensions["arrosto.db"]
    if spool is not None:
        return _receive(app, db, cls, platform, shop_id, headers, body, spool)
    with receiving(db):  # concurrent deliveries of this process share one commit
        return _receive(app, db, cls, platform, shop_id, headers, body)


def _receive(app, db, cls, platform: str, shop_id: int | None, headers, body: bytes,
             spool: Spool | None = None):
    shop = None
    if shop_id is not None:
        with db.transaction() as s:
            shop = s.get(Shop, shop_id)
        if shop is None or shop.platform != platform:
            return 404, UNKNOWN_SHOP, None
    if cls.is_ping(headers, body):
        return 200, OK, None
    secrets = cls.webhook_secrets(app.config["ARROSTO"], shop)
    try:
        if not secrets:
            raise InvalidSignature("no webhook secret configured")
        meta = cls.verify_webhook(headers, body, secrets)
    except InvalidSignature as exc:
        log.warning("%s webhook refused: %s", platform, exc)
        return 401, REFUSED, None
    shop_id = shop.id if shop else (
        _shop_id(app, db, platform, meta.shop_domain.lower()) if meta.shop_domain else None)
    kept = _kept(headers)
    if spool is not None and meta.topic not in cls.store_first_topics and spool.keeping_up():
        # a shop erased meanwhile: the spool thread keeps the delivery without the shop
        stored = spool.append(platform, meta, kept, body, shop_id, utcnow())
        return 200, DUPLICATE if stored.duplicate else ACCEPTED, None
    try:
        stored = store_delivery(db, platform, meta, kept, body, shop_id)
    except (IntegrityError, db.engine.dialect.loaded_dbapi.IntegrityError):
        # the cached shop was erased meanwhile: keep the delivery anyway
        _shop_ids(app).clear()
        stored = store_delivery(db, platform, meta, kept, body, None)
    if stored.duplicate:
        return 200, DUPLICATE, None
    # `arrosto worker` drains the deliveries table (shops.deliveries.pump): the answer never
    # waits on processing, nor on the job queue being up
    return 200, ACCEPTED, stored.delivery_id


_KEPT_PREFIXES = tuple(p.lower() for p in KEPT_PREFIXES)
_KEPT_ENVIRON = tuple("HTTP_" + p.upper().replace("-", "_") for p in KEPT_PREFIXES)
_KEPT_ENVIRON_EXACT = {"HTTP_" + h.upper().replace("-", "_") for h in KEPT_HEADERS
                       if h != "Content-Type"}


def _kept(headers) -> dict[str, str]:
    """The headers stored with a delivery: the platform's own and a few useful ones, named as
    werkzeug names them. Read from the WSGI environ when there is one (every request), which
    is the same as iterating werkzeug's headers without building every other header's name."""
    environ = getattr(headers, "environ", None)
    if environ is None:
        return {k: v for k, v in headers.items()
                if k in KEPT_HEADERS or k.lower().startswith(_KEPT_PREFIXES)}
    kept = {}
    for key, value in environ.items():
        if key.startswith(_KEPT_ENVIRON) or key in _KEPT_ENVIRON_EXACT:
            kept[key[5:].replace("_", "-").title()] = value
        elif key == "CONTENT_TYPE" and value:
            kept["Content-Type"] = value
    return kept


class FastPath:
    """WSGI middleware: a webhook POST goes straight to :func:`handle`, without Flask's
    request context, routing, session, CSRF, locale and response machinery, which cost as much
    CPU per delivery as verifying and storing it. Anything unusual — another method or path, a
    body without a length or over the limit, an unknown platform, jobs run in the request
    (tests, the demo) — goes through Flask, whose answers are the same."""

    PATH = re.compile(r"/webhooks/([a-z]{1,20})(?:/([0-9]{1,10}))?")
    STATUS = {200: "200 OK", 401: "401 UNAUTHORIZED", 404: "404 NOT FOUND",
              500: "500 INTERNAL SERVER ERROR"}

    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app
        self.limit = app.config.get("MAX_CONTENT_LENGTH") or 0

    def __call__(self, environ, start_response):
        found = self.PATH.fullmatch(environ.get("PATH_INFO", ""))
        length = environ.get("CONTENT_LENGTH", "")
        if (found is None or environ.get("REQUEST_METHOD") != "POST" or jobs.huey.immediate
                or not length.isdigit() or (self.limit and int(length) > self.limit)
                or found[1] == "demo" or found[1] not in PLATFORMS
                or (found[2] and int(found[2]) > 2**31 - 1)):
            return self.wsgi_app(environ, start_response)
        body = environ["wsgi.input"].read(int(length))
        try:
            status, answer, _ = handle(self.app, PLATFORMS[found[1]], found[1],
                                       int(found[2]) if found[2] else None,
                                       EnvironHeaders(environ), body, spool_for(self.app))
        except Exception:  # noqa: BLE001 - as Flask would: logged, 500, the platform retries
            log.exception("webhook %s failed", environ.get("PATH_INFO"))
            status, answer = 500, FAILED
        start_response(self.STATUS[status], [
            ("Content-Type", "application/json"), ("Content-Length", str(len(answer))),
            ("X-Content-Type-Options", "nosniff")])
        return [answer]


def _shop_ids(app) -> TTLCache:
    return app.extensions.setdefault("arrosto.shop_ids", TTLCache(maxsize=10_000, ttl=30))


def _shop_id(app, db, platform: str, domain: str) -> int | None:
    """The shop's id by its domain, cached briefly (a storm of deliveries is for few shops)."""
    cache = _shop_ids(app)
    key = (platform, domain)
    if key not in cache:
        with db.transaction() as s:
            cache[key] = s.scalar(select(Shop.id).where(Shop.platform == platform,
                                                        Shop.domain == domain))
    return cache[key]
