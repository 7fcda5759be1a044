"""Installing Arrosto on a shop: Shopify (embedded token exchange, or the authorization-code
grant) and WooCommerce (wc-auth). Each path ends in :func:`arrosto.shops.install.connected`:
credentials stored encrypted, webhooks registered, first sync started as a job.
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets
from urllib.parse import urlencode

from flask import (
    Blueprint,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from sqlalchemy import select, update

from ..crypto import token_digest
from ..errors import ArrostoError, AuthError, InvalidSignature, PlatformError
from ..models import AuthState, utcnow
from ..shops import install as shop_install
from ..shops import shopify_auth, woocommerce_auth
from . import embedded, sessions
from .base import csrf, current_db

log = logging.getLogger(__name__)
bp = Blueprint("install", __name__)

STATE_TTL = dt.timedelta(minutes=10)


def _settings():
    return current_app.config["ARROSTO"]


def _browser_binding() -> str:
    """A random value kept in this browser's signed session: binds a state nonce to it."""
    if "install_binding" not in session:
        session["install_binding"] = secrets.token_urlsafe(24)
    return token_digest(session["install_binding"])


def new_state(platform: str, shop_domain: str) -> str:
    nonce = secrets.token_urlsafe(32)
    with current_db().transaction() as s:
        s.add(AuthState(platform=platform, nonce=nonce, shop_domain=shop_domain,
                        browser_digest=_browser_binding()))
    return nonce


def use_state(platform: str, nonce: str | None, shop_domain: str | None = None
               ) -> AuthState | None:
    """The pending state for ``nonce``, used up at once (compare-and-swap); None if unknown,
    used, expired, for another shop or another browser."""
    if not nonce or not shop_install.NONCE.fullmatch(nonce):  # never one of ours
        return None
    now = utcnow()
    with current_db().transaction() as s:
        state = s.scalar(select(AuthState).where(AuthState.nonce == nonce,
                                                 AuthState.platform == platform))
        if state is None or state.used_at is not None or state.created_at < now - STATE_TTL:
            return None
        if shop_domain is not None and state.shop_domain != shop_domain:
            return None
        if not secrets.compare_digest(state.browser_digest or "", _browser_binding()):
            return None
        taken = s.execute(update(AuthState).where(AuthState.id == state.id,
                                                  AuthState.used_at.is_(None))
                          .values(used_at=now)).rowcount
        return state if taken == 1 else None


def _refuse(message: str, status: int = 400, *, stored: bool = False):
    log.warning("install refused: %s", message)
    return render_template("install/refused.html", message=message, stored=stored), status


def _sign_in(shop_id: int):
    sessions.sign_in(shop_id)  # a new session (the install binding goes with the old one)
    return redirect(url_for("admin.dashboard"))


# --- Shopify: embedded app, token exchange ----------------------------------------------------

@bp.get("/shopify")
def shopify_app():
    """The app URL Shopify opens in its admin, with a session token (``id_token``)."""
    settings = _settings()
    token = embedded.session_token()  # ?id_token=… as Shopify opens us, or Bearer
    if not token:
        return _refuse(gettext("Open Arrosto from your Shopify admin (Apps → Arrosto)."), 401)
    try:
        claims = shopify_auth.verify_session_token(token, settings)
    except InvalidSignature as exc:
        return _refuse(gettext("The Shopify session could not be verified (%(reason)s).",
                               reason=exc), 401)
    try:
        shop_id = shop_install.ensure_shopify_install(current_db(), settings,
                                                      claims.shop_domain, token)
    except AuthError as exc:
        return _refuse(gettext("Shopify refused to give Arrosto access (%(reason)s).",
                               reason=exc), 403)
    except PlatformError as exc:
        return _refuse(gettext("%(network)s could not be reached, please try again "
                               "(%(reason)s).", network="Shopify", reason=exc), 503)
    _sign_in(shop_id)  # the cookie serves a browser that allows it; the token serves all
    session["frame_shop"] = claims.shop_domain
    # on into the admin, which checks the session token again on this and every request
    args = request.args.to_dict(flat=True)
    args.setdefault("id_token", token)
    args["embedded"] = "1"
    return redirect(url_for("admin.dashboard", **args))


# --- Shopify: authorization-code grant ----------------------------------------------------------

def _verified_shopify_query() -> str:
    """The shop of a request Shopify signed: HMAC, fresh timestamp and a valid shop host."""
    settings = _settings()
    args = request.args.to_dict(flat=True)
    shop = args.get("shop", "").lower()
    if not shopify_auth.valid_shop_domain(shop):
        raise InvalidSignature("not a valid shop address")
    if not shopify_auth.verify_query_hmac(args, settings.shopify_secrets()):
        raise InvalidSignature("the request's signature does not match")
    if not shopify_auth.timestamp_is_recent(args.get("timestamp", ""), utcnow()):
        raise InvalidSignature("the request is too old")
    return shop


@bp.get("/install/shopify")
def shopify_install():
    try:
        shop = _verified_shopify_query()
    except InvalidSignature as exc:
        return _refuse(gettext("This install link is not valid: %(reason)s.", reason=exc), 401)
    state = new_state("shopify", shop)
    redirect_uri = f"{_settings().public_url}{url_for('install.shopify_callback')}"
    return redirect(shopify_auth.authorize_url(shop, _settings(), redirect_uri, state))


@bp.get("/auth/shopify/callback")
def shopify_callback():
    try:
        shop = _verified_shopify_query()
    except InvalidSignature as exc:
        return _refuse(gettext("This authorisation is not valid: %(reason)s.", reason=exc),
                       401)
    if use_state("shopify", request.args.get("state"), shop) is None:
        return _refuse(gettext("This authorisation was already used, has expired, or was "
                               "started in another browser. Please install again from your "
                               "Shopify admin."), 403)
    code = request.args.get("code", "")
    try:
        tokens = shopify_auth.exchange_code(shop, code, _settings())
    except AuthError as exc:
        return _refuse(gettext("Shopify refused the authorisation (%(reason)s).", reason=exc),
                       403)
    except PlatformError as exc:
        return _refuse(gettext("%(network)s could not be reached, please try again "
                               "(%(reason)s).", network="Shopify", reason=exc), 503)
    shop_id = shop_install.save_shopify_tokens(current_db(), shop, tokens)
    shop_install.connected(current_db(), _settings(), shop_id)
    return _sign_in(shop_id)


# --- WooCommerce: wc-auth -------------------------------------------------------------------------

@bp.route("/connect/woocommerce", methods=["GET", "POST"])
def woocommerce_connect():
    # the form's answer is a redirect to the owner's store (its wc-auth screen): browsers
    # apply form-action to that redirect, so this page allows any https target
    g.form_action_extra = " https:" if not current_app.debug else " https: http:"
    if request.method == "GET":
        return render_template("install/woocommerce.html", error=None, store_url="")
    store_url = request.form.get("store_url", "").strip()
    if store_url and "://" not in store_url:
        store_url = f"https://{store_url}"  # owners type "shop.example.com"
    app_name = "Arrosto"
    try:
        normalised = woocommerce_auth.normalize_store_url(store_url)
    except woocommerce_auth.InternalStoreURL:  # SSRF guard (arrosto.outbound)
        return render_template("install/woocommerce.html", error=gettext(
            "Arrosto connects only to stores on the public internet, and this address leads to "
            "this server or a private network. Give your store's public https:// address."),
            store_url=store_url), 400
    except (ValueError, ArrostoError) as exc:
        return render_template("install/woocommerce.html", error=str(exc),
                               store_url=store_url), 400
    nonce = new_state("woocommerce", normalised)
    public = _settings().public_url
    target = woocommerce_auth.authorize_url(
        normalised, app_name=app_name, nonce=nonce,
        return_url=f"{public}{url_for('install.woocommerce_return')}?"
                   f"{urlencode({'nonce': nonce})}",
        callback_url=f"{public}{url_for('install.woocommerce_callback')}")
    return redirect(target)


@bp.post("/auth/woocommerce/callback")
@csrf.exempt  # server to server: bound to our own pending nonce, not to a browser session
def woocommerce_callback():
    """WooCommerce posts the new API keys here, unsigned: anyone who saw the nonce can post.
    So the keys only wait, encrypted, on the nonce's auth state (one callback per nonce, within
    :data:`STATE_TTL`); a job checks them on the store before any shop changes.

    Answering anything but 200 makes WooCommerce delete the key, which is what we want for a
    callback we did not ask for."""
    try:
        keys = woocommerce_auth.parse_auth_callback(request.get_data(cache=False))
    except ArrostoError as exc:
        log.warning("wc-auth callback refused: %s", exc)
        return jsonify(error="not a WooCommerce key callback"), 400
    state_id = shop_install.receive_woocommerce_keys(current_db(), keys, STATE_TTL)
    if state_id is None:
        return jsonify(error="unknown or expired connection attempt"), 400
    shop_install.verify_woocommerce_keys_job(state_id)
    return jsonify(status="ok"), 200


@bp.get("/connect/woocommerce/return")
def woocommerce_return():
    """Where the owner's browser lands after approving (or refusing) on the store: signed in
    once the store has confirmed the keys, if it is the browser that started the connection."""
    if request.args.get("success") == "0":
        return _refuse(gettext("The connection was not approved on the store. You can try "
                               "again."), 200)
    found = shop_install.shop_for_nonce(current_db(), request.args.get("nonce", ""),
                                        _browser_binding(), STATE_TTL)
    if found.status == "refused":
        return _refuse(gettext("The store did not confirm the API keys (%(reason)s). Nothing "
                               "was changed; you can try again.", reason=found.reason), 403)
    if found.status == "expired":
        return _refuse(gettext("This connection attempt has expired. Please connect the store "
                               "again."), 403)
    if found.status == "late":
        return _refuse(gettext("The store is connected, but this page came back too late to "
                               "sign you in. Connect the store again to sign in."), 403,
                       stored=True)
    if found.shop_id is None:
        return render_template("install/woocommerce_wait.html"), 202
    return _sign_in(found.shop_id)


