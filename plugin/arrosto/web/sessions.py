"""The standalone admin's sign-in: Flask's signed cookie carries the shop and a random session id,
and the session is a row of :class:`~arrosto.models.AdminSession` (only the id's digest). Ending
the row (logout, "sign out everywhere", a WooCommerce key replacement, an uninstall) ends the
session for every copy of the cookie. The embedded Shopify admin signs each request with a session
token instead (:mod:`.embedded`)."""
from __future__ import annotations

from flask import current_app, session

from .. import access
from .base import current_db

SESSION_ID = "sid"
KEPT = ("lang",)  # what a sign-in keeps of the browser's session: the chosen language


def sign_in(shop_id: int) -> None:
    """A new session for the shop; this browser's earlier one (of any shop) ends."""
    token = access.start_admin_session(current_db(), shop_id,
                                       current_app.permanent_session_lifetime,
                                       previous=session.get(SESSION_ID))
    kept = {k: session[k] for k in KEPT if k in session}
    session.clear()  # a new CSRF token too
    session.update(kept)
    session["shop_id"], session[SESSION_ID] = shop_id, token
    session.permanent = True


def signed_in_shop() -> int | None:
    """The shop this browser's session belongs to, if the server still holds that session."""
    shop_id, token = session.get("shop_id"), session.get(SESSION_ID)
    if not isinstance(shop_id, int) or not isinstance(token, str):
        return None
    return shop_id if access.admin_session_shop(current_db(), token) == shop_id else None


def current_session_id() -> str | None:
    token = session.get(SESSION_ID)
    return token if isinstance(token, str) else None


def sign_out() -> None:
    """End this browser's session on the server, then forget the cookie."""
    token = current_session_id()
    if token:
        access.end_admin_session(current_db(), token)
    session.clear()
