"""The admin embedded in the Shopify admin: a session token on every request, no cookies.

Inside Shopify's admin, Arrosto runs in an iframe on another site, where browsers block or
partition third-party cookies: Shopify asks embedded apps to authenticate every request with an
App Bridge session token instead (a JWT signed with the app secret, one minute long). Arrosto
accepts one

- in ``Authorization: Bearer …`` (htmx requests; App Bridge's own ``fetch`` adds it),
- as ``id_token`` in the query (Shopify adds it when it opens the app; ``arrosto.js`` adds a fresh
  one to every link and GET form), or in the body of a POST form (``arrosto.js`` again).

A document request without a valid token goes to the *bounce page*, which loads App Bridge with
``shopify-reload``: App Bridge fetches a fresh token and reloads the page with it. An XHR with an
invalid token gets 401 with ``X-Shopify-Retry-Invalid-Session-Request: 1`` so the client retries
with a new token. A request that carries a valid session token needs no CSRF token: nothing about
it is ambient, unlike a cookie.
"""
from __future__ import annotations

import logging
from urllib.parse import urlencode

from flask import g, redirect, render_template, request, url_for
from sqlalchemy import select

from ..errors import ArrostoError
from ..models import Shop
from ..shops import shopify_auth

log = logging.getLogger(__name__)
RETRY_HEADER = "X-Shopify-Retry-Invalid-Session-Request"
_UNSET = object()


def session_token() -> str | None:
    """The session token this request carries, if any (not yet verified)."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    token = request.args.get("id_token")
    if token is None and request.method == "POST" and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        token = request.form.get("id_token")
    return token or None


def claims() -> shopify_auth.SessionClaims | None:
    """The verified claims of this request's session token, once a request; None if it has no
    token or the token does not verify."""
    cached = g.get("_session_claims", _UNSET)
    if cached is not _UNSET:
        return cached
    token = session_token()
    verified = None
    if token is not None:
        from flask import current_app

        try:
            verified = shopify_auth.verify_session_token(token, current_app.config["ARROSTO"])
        except ArrostoError as exc:  # InvalidSignature, or Shopify not configured at all
            log.info("session token refused on %s: %s", request.path, exc)
    g._session_claims = verified
    return verified


def embedded_request() -> bool:
    """Shopify opened this page (its query says so) or it carries a session token."""
    return session_token() is not None or request.args.get("embedded") == "1"


def shop_for(s, claims_: shopify_auth.SessionClaims) -> Shop | None:
    return s.scalar(select(Shop).where(Shop.platform == "shopify",
                                       Shop.domain == claims_.shop_domain))


def bounce():
    """Answer a request whose session token is missing or stale: an XHR is told to retry with
    a fresh token, a page goes through the bounce page (as Shopify's own app libraries do)."""
    if request.headers.get("Authorization") or request.headers.get("HX-Request"):
        return render_template("admin/signed_out.html", embedded=True), 401, {RETRY_HEADER: "1"}
    if request.method != "GET":
        return render_template("admin/signed_out.html", embedded=True), 401
    from flask import current_app

    args = [(k, v) for k, v in request.args.items(multi=True) if k != "id_token"]
    public_url = current_app.config["ARROSTO"].public_url.rstrip("/")
    reload_to = public_url + request.path + ("?" + urlencode(args) if args else "")
    return redirect(url_for("admin.session_token_bounce",
                            **{**dict(args), "shopify-reload": reload_to}))


def bounce_page():
    """The page App Bridge loads to fetch a fresh token and reload ``shopify-reload`` with it."""
    g.embedded = True
    return render_template("admin/bounce.html")
