"""The app factory: ``create_app(settings=None)`` builds the Flask app of every surface."""
from __future__ import annotations

from typing import Any

from flask import Flask

from .settings import Settings, load_settings


def create_app(settings: Settings | dict[str, Any] | None = None, *,
               allow_generated_secret: bool = False) -> Flask:
    """The app factory: defaults, then environment, then ``settings`` (test overrides)."""
    from . import crypto, jobs, logs, outbound, privacy, shops, social
    from .crypto import derive_key
    from .db import Database
    from .listening import handlers as listening_handlers
    from .promotions import handlers as promotion_handlers
    from .shops import handlers as shop_handlers
    from .support import handlers as support_handlers
    from .web import init_app as init_web

    if not isinstance(settings, Settings):
        settings = load_settings(settings, allow_generated_secret=allow_generated_secret)
    instance = settings.instance_path.resolve()
    instance.mkdir(parents=True, exist_ok=True)
    settings.instance_path = instance
    # named after the package ("arrosto"), as before the factory had its own module: the root
    # path (templates, static files) and the app's logger name stay the package's
    app = Flask(__package__, instance_path=str(instance), template_folder="web/templates",
                static_folder="web/static")
    keys = settings.secret_keys()
    app.config.update(
        ARROSTO=settings,
        DEBUG=settings.debug,
        TESTING=settings.testing,
        SECRET_KEY=derive_key(keys[0], "flask-session").hex(),
        SECRET_KEY_FALLBACKS=[derive_key(k, "flask-session").hex() for k in keys[1:]],
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"),
    )
    crypto.configure(keys)
    logs.configure(settings.log_level, settings.log_format)
    outbound.configure(allow_loopback=settings.allow_loopback_hosts)
    app.extensions["arrosto.db"] = Database(settings.sqlalchemy_url,
                                            schema=settings.database_schema)
    shops.register_platforms()
    social.register_networks()
    # each package's event handlers, once; the shops' first (rows are stored before the
    # domains react to them)
    for register in (shop_handlers.register, privacy.register, listening_handlers.register,
                     promotion_handlers.register, support_handlers.register):
        register()
    jobs.init_app(app)
    init_web(app)
    return app
