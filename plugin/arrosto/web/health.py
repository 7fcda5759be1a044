"""``/healthz`` (the process is alive) and ``/readyz`` (database and job queue reachable)."""
from __future__ import annotations

from flask import Blueprint, jsonify

from .. import jobs
from ..errors import ServiceUnavailable
from .base import current_db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    checks = {}
    for name, check in (("database", current_db().ping), ("queue", jobs.check_queue)):
        try:
            check()
            checks[name] = "ok"
        except ServiceUnavailable:
            checks[name] = "unavailable"
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "unavailable", checks=checks), \
        200 if ready else 503
