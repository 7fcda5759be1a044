"""Web surfaces: one blueprint a module (admin, connect, inbox, replies, corrections, promotions,
owner, install, webhooks, api, verify, digest, health), set up by :func:`init_app`."""
from __future__ import annotations

from flask import Flask, g, has_request_context, jsonify, render_template, request, session
from flask_babel import Babel, get_locale
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from .base import csrf

babel = Babel()
LANGUAGES = ("en", "it")


def select_locale() -> str:
    """The owner's choice (``?lang=`` remembered in the session), else the shop's language,
    else the browser's. Outside a request (jobs, the CLI, tests): English."""
    if not has_request_context():
        return "en"
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        if request.path.startswith("/admin"):
            session["lang"] = chosen
        return chosen
    remembered = session.get("lang")
    if remembered in LANGUAGES:
        return remembered
    shop = g.get("shop")
    language = (getattr(shop, "language", None) or "")[:2]
    if language in LANGUAGES:
        return language
    return request.accept_languages.best_match(LANGUAGES) or "en"


class RowId(IntegerConverter):
    """``<int:…>`` in every route: at most the largest id a table holds, so a longer number is a
    404 from the router instead of an overflow in the database driver (a 500)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    from . import (
        admin,
        connect,
        digest,
        embedded,
        health,
        inbox,
        install,
        replies,
        verify,
        webhooks,
    )

    app.url_map.converters["int"] = RowId  # before any blueprint adds its rules
    # every form posts a CSRF token; machine-to-machine endpoints (webhooks, the wc-auth
    # callback) are signed or nonce-bound instead and are exempted where they are defined
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # bound to the session instead
    app.config.setdefault("WTF_CSRF_SSL_STRICT", False)  # Referer is stripped inside Shopify
    # checked by check_csrf below: a request signed by a Shopify session token needs no token
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    csrf.init_app(app)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "web/translations")
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = lambda: str(get_locale() or "en")
    from ..links import http_url
    app.jinja_env.filters["http_url"] = http_url  # the only way a stored URL becomes a link
    csrf.exempt(webhooks.bp)
    from . import api
    csrf.exempt(api.bp)  # bearer tokens, never the cookie session
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(connect.bp)
    app.register_blueprint(inbox.bp)
    app.register_blueprint(replies.bp)
    from . import corrections
    app.register_blueprint(corrections.bp)
    from . import promotions
    app.register_blueprint(promotions.bp)
    from . import owner
    app.register_blueprint(owner.bp)
    app.register_blueprint(install.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(verify.bp)
    app.register_blueprint(digest.bp)
    proxies = app.config["ARROSTO"].trusted_proxies
    if proxies:
        # the client address of the verification page's per-address limit, behind the proxy
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies)

    @app.before_request
    def check_csrf():
        if request.method not in app.config["WTF_CSRF_METHODS"] or \
                request.path.startswith(("/webhooks/", "/api/")):
            return  # signed deliveries, bearer tokens: nothing ambient to forge
        if embedded.claims() is None:
            csrf.protect(apply_exemptions=True)

    @app.teardown_appcontext
    def close_session(_exc) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # only the Shopify admin of the shop that opened us may frame the app
        shop = g.get("frame_shop") or session.get("frame_shop")
        ancestors = f"https://{shop} https://admin.shopify.com" if shop else "'none'"
        # App Bridge, the one script not shipped with Arrosto, only inside the Shopify admin
        scripts = "'self' https://cdn.shopify.com" if g.get("embedded") else "'self'"
        response.headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src {scripts}; "
            f"frame-ancestors {ancestors}; base-uri 'none'; "
            f"form-action 'self'{g.get('form_action_extra', '')}")
        return response

    for code, title in ((400, "Bad request"), (403, "Forbidden"), (404, "Not found"),
                        (405, "Method not allowed"), (413, "Request too large"),
                        (500, "Something went wrong")):
        app.register_error_handler(code, _error_page(code, title))

    @app.errorhandler(CSRFError)
    def csrf_refused(exc):
        if request.path.startswith("/api/"):
            return jsonify(error="csrf token missing or invalid"), 400
        return render_template("error.html", code=400, title="This form has expired",
                               detail="Reload the page and try again."), 400


def _error_page(code: int, title: str):
    def handler(exc):
        # a 405 names the methods that are allowed (the exception's Allow header)
        headers = [(k, v) for k, v in getattr(exc, "get_headers", lambda: [])()
                   if k.lower() == "allow"]
        if request.path.startswith(("/api/", "/webhooks/")) or request.accept_mimetypes.best \
                == "application/json":
            return jsonify(error=title.lower()), code, headers
        return render_template("error.html", code=code, title=title), code, headers
    return handler
