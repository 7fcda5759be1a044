"""Connecting the shop's social accounts from the admin: each through the network's own
sign-in (X and Mastodon: OAuth, Bluesky: an app password), under ``/admin/accounts/``.

The OAuth ``state`` is an :class:`~arrosto.models.AuthState`, used once, bound to the shop and to
this browser; the flow's secrets (X's PKCE verifier, the client secret of the app registered on a
Mastodon instance) wait for the callback in the signed session, encrypted with the app's keys.
The flows start with a link or end in a page with a link, never in a redirect answering a form:
the ``form-action 'self'`` policy would stop a form's redirect to another site. A refusal shows
the accounts page (:func:`.admin.accounts_page`) with the reason.
"""
from __future__ import annotations

import json
import secrets
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext

from .. import crypto
from ..errors import ArrostoError, AuthError, ConfigError, PlatformError
from ..outbound import InternalAddress
from ..social import accounts as social_accounts
from .admin import accounts_page, shop_required
from .base import current_db
from .install import new_state, use_state

bp = Blueprint("connect", __name__, url_prefix="/admin")
FLOW_KEY = "social_flow"


def _settings():
    return current_app.config["ARROSTO"]


def _redirect_uri(endpoint: str) -> str:
    return f"{_settings().public_url}{url_for(endpoint)}"


def _start_flow(network: str, **secret) -> str:
    """A new OAuth state for this shop and browser; ``secret`` waits for the callback in the
    session, encrypted."""
    nonce = new_state(f"social-{network}", f"shop:{g.shop.id}")
    session[FLOW_KEY] = crypto.encrypt(json.dumps({"network": network, "nonce": nonce,
                                                   **secret}))
    return nonce


def _finish_flow(network: str) -> dict | None:
    """The flow the callback's ``state`` belongs to, used up; None when it is unknown, used,
    expired, another shop's or another browser's."""
    sealed = session.pop(FLOW_KEY, None)
    nonce = request.args.get("state", "")
    if use_state(f"social-{network}", nonce, f"shop:{g.shop.id}") is None or not sealed:
        return None
    try:
        flow = json.loads(crypto.decrypt(sealed))
    except (ConfigError, ValueError):
        return None
    if flow.get("network") != network or not secrets.compare_digest(
            str(flow.get("nonce", "")), nonce):
        return None
    return flow


def _flow_refused():
    return accounts_page(gettext("This authorisation was already used, has expired, or was "
                                  "started in another browser. Please connect the account "
                                  "again."), 403)


def _connected(network: str, handle: str):
    flash(gettext("%(network)s account @%(handle)s connected: Arrosto listens to it from the "
                  "next run.", network=network, handle=handle), "ok")
    return redirect(url_for("admin.accounts"))


# X: OAuth 2.0 Authorization Code Flow with PKCE (tweepy's OAuth2UserHandler)

def _x_auth():
    return social_accounts.x_user_auth(_settings(), _redirect_uri("connect.x_callback"))


@bp.get("/accounts/x/connect")
@shop_required
def x_connect():
    if not _settings().x_client_id:
        return accounts_page(gettext("Connecting X needs the X app's OAuth 2.0 client id and "
                                      "secret: set ARROSTO_X_CLIENT_ID and "
                                      "ARROSTO_X_CLIENT_SECRET."), 400)
    verifier = secrets.token_urlsafe(96)[:128]
    nonce = _start_flow("x", code_verifier=verifier)
    return redirect(_x_auth().authorization_url_for(nonce, verifier))


@bp.get("/accounts/x/callback")
@shop_required
def x_callback():
    if request.args.get("error"):
        session.pop(FLOW_KEY, None)
        return accounts_page(gettext("X did not connect the account: the authorisation was "
                                      "not given."), 400)
    flow = _finish_flow("x")
    if flow is None:
        return _flow_refused()
    try:
        tokens = _x_auth().exchange(request.args.get("code", ""), flow["code_verifier"])
        _account_id, handle = social_accounts.connect_x(current_db(), g.shop.id, tokens)
    except AuthError as exc:
        return accounts_page(gettext("%(network)s refused to connect the account "
                                      "(%(reason)s).", network="X", reason=exc), 403)
    except PlatformError as exc:
        return accounts_page(gettext("%(network)s could not be reached, please try again "
                                      "(%(reason)s).", network="X", reason=exc), 503)
    return _connected("X", handle)


# Bluesky: handle and app password, checked by logging in

@bp.post("/accounts/bluesky")
@shop_required
def bluesky_connect():
    handle = request.form.get("handle", "").strip()
    password = request.form.get("app_password", "").strip()
    if not handle or not password:
        return accounts_page(gettext("Give the account's handle and an app password."), 400,
                              bluesky_handle=handle)
    try:
        _account_id, handle = social_accounts.connect_bluesky(current_db(), g.shop.id, handle,
                                                              password)
    except AuthError as exc:
        return accounts_page(gettext("Bluesky refused this handle and app password "
                                      "(%(reason)s).", reason=exc), 400, bluesky_handle=handle)
    except PlatformError as exc:
        return accounts_page(gettext("%(network)s could not be reached, please try again "
                                      "(%(reason)s).", network="Bluesky", reason=exc), 503,
                              bluesky_handle=handle)
    except ArrostoError as exc:
        return accounts_page(str(exc), 400, bluesky_handle=handle)
    return _connected("Bluesky", handle)


# Mastodon: Arrosto registered on the owner's instance, then OAuth there

@bp.post("/accounts/mastodon")
@shop_required
def mastodon_connect():
    from ..social import mastodon

    given = request.form.get("instance", "").strip()
    try:
        instance = mastodon.normalize_instance_url(given)
        if instance.startswith("http://") and not (current_app.debug or current_app.testing):
            raise ConfigError("use its https:// address")
        redirect_uri = _redirect_uri("connect.mastodon_callback")
        client_id, client_secret = mastodon.register_app(instance, redirect_uri,
                                                         website=_settings().public_url)
        nonce = _start_flow("mastodon", instance=instance, client_id=client_id,
                            client_secret=client_secret)
        url = mastodon.authorization_url(instance, client_id, client_secret, redirect_uri, nonce)
    except InternalAddress:  # SSRF guard (arrosto.outbound)
        return accounts_page(gettext(
            "Arrosto connects only to instances on the public internet, and this address leads "
            "to this server or a private network. Give your instance's public https:// "
            "address."), 400, instance=given)
    except ConfigError as exc:
        return accounts_page(gettext("That is not an instance's address (%(reason)s).",
                                      reason=exc), 400, instance=given)
    except PlatformError as exc:
        return accounts_page(gettext("%(instance)s did not let Arrosto register (%(reason)s).",
                                      instance=given, reason=exc), 502, instance=given)
    return render_template("admin/authorise.html", url=url,
                           where=urlsplit(instance).netloc)


@bp.get("/accounts/mastodon/callback")
@shop_required
def mastodon_callback():
    from ..social import mastodon

    if request.args.get("error"):
        session.pop(FLOW_KEY, None)
        return accounts_page(gettext("Mastodon did not connect the account: the authorisation "
                                      "was not given."), 400)
    flow = _finish_flow("mastodon")
    if flow is None:
        return _flow_refused()
    instance, client_id, client_secret = flow["instance"], flow["client_id"], \
        flow["client_secret"]
    try:
        token = mastodon.exchange_code(instance, client_id, client_secret,
                                       request.args.get("code", ""),
                                       _redirect_uri("connect.mastodon_callback"))
        _account_id, handle = social_accounts.connect_mastodon(
            current_db(), g.shop.id, instance,
            {"client_id": client_id, "client_secret": client_secret, "access_token": token})
    except AuthError as exc:
        return accounts_page(gettext("The instance refused to connect the account "
                                      "(%(reason)s).", reason=exc), 403)
    except PlatformError as exc:
        return accounts_page(gettext("The instance could not be reached, please try again "
                                      "(%(reason)s).", reason=exc), 503)
    return _connected("Mastodon", handle)
