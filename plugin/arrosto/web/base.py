"""What the blueprints share: the CSRF extension, the app's database, the registered networks.

A leaf module: the blueprints import it, never the package (whose :func:`~arrosto.web.init_app`
imports them), so the web package has no import cycle.
"""
from __future__ import annotations

from flask import current_app
from flask_wtf.csrf import CSRFProtect

from ..db import Database
from ..social import NETWORKS

csrf = CSRFProtect()


def current_db() -> Database:
    return current_app.extensions["arrosto.db"]


def networks() -> tuple[str, ...]:
    """The social networks of the registry (:data:`arrosto.social.NETWORKS`), in its order: a
    page lists or offers only networks that are registered."""
    return tuple(NETWORKS)
