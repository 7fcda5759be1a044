"""Web surfaces: one blueprint a module (health, admin; install, webhooks and api as they land)."""
from __future__ import annotations

from flask import Flask, g, jsonify, render_template, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from ..db import Database

csrf = CSRFProtect()


class SessionInterface(SecureCookieSessionInterface):
    """No cookie session for machine endpoints: webhooks never read or set one, and skipping
    the signed-cookie work there is a measurable share of the receiver's time."""

    def open_session(self, app, request):
        if request.path.startswith("/webhooks/"):
            return None  # Flask substitutes a null session, which is never saved
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    from . import admin, digest, health, inbox, install, verify, webhooks

    # every form posts a CSRF token; machine-to-machine endpoints (webhooks, the wc-auth
    # callback) are signed or nonce-bound instead and are exempted where they are defined
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # bound to the session instead
    app.config.setdefault("WTF_CSRF_SSL_STRICT", False)  # Referer is stripped inside Shopify
    app.session_interface = SessionInterface()
    csrf.init_app(app)
    csrf.exempt(webhooks.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(inbox.bp)
    app.register_blueprint(install.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(verify.bp)
    app.register_blueprint(digest.bp)
    proxies = app.config["ARROSTO"].trusted_proxies
    if proxies:
        # the client address of the verification page's per-address limit, behind the proxy
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies)

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
        shop = session.get("frame_shop")
        ancestors = f"https://{shop} https://admin.shopify.com" if shop else "'none'"
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
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
    def handler(_exc):
        if request.path.startswith(("/api/", "/webhooks/")) or request.accept_mimetypes.best \
                == "application/json":
            return jsonify(error=title.lower()), code
        return render_template("error.html", code=code, title=title), code
    return handler


def current_db() -> Database:
    from flask import current_app

    return current_app.extensions["arrosto.db"]
