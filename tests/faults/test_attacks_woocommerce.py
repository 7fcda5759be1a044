"""Issue 17, section 1 and the sessions item of section 5: taking over a connected WooCommerce
shop through the unsigned wc-auth callback, and admin sessions that could not be ended.

The store is the ``responses`` fake of tests/shops/woocommerce_store.py, answering only the REST
API keys it issued (:class:`IssuedKeys`), as a real store does. Every attack here succeeded on
commit 549ae26: the callback wrote whatever keys it was given onto the existing shop (and replaced
its settings), the return step signed in whoever held the nonce as soon as the shop was "pending",
and a session was only a signed cookie that no logout, key replacement or uninstall could end.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from sqlalchemy import select, text, update

from arrosto.models import AuthState, Shop
from arrosto.shops import install as shop_install

from ..factories import make_shop
from ..shops.woocommerce_store import STORE, IssuedKeys, serve_store
from ..web.forms import csrf_token, post_form
from ..web.test_admin import sign_in

OWNER_KEY, OWNER_SECRET = "ck_" + "a" * 40, "cs_" + "b" * 40
NEW_KEY, NEW_SECRET = "ck_" + "c" * 40, "cs_" + "d" * 40
EVIL_KEY, EVIL_SECRET = "ck_evil", "cs_evil"
# what the owner set up after connecting; a reconnect must keep all of it
OWNER_SETTINGS = {
    "digest_hour": 7, "digest_language": "it",
    "faq": [{"keywords": ["spedizione"], "it": "Spediamo in 2 giorni."}],
    "reply_templates": {"complaint": {"it": "Ci dispiace, {{ name }}."}},
    "handles": {"x": "torrefazione", "bluesky": "torrefazione.bsky.social"},
}


@pytest.fixture
def keys():
    issued = IssuedKeys()
    issued.issue(OWNER_KEY, OWNER_SECRET)
    return issued


@pytest.fixture
def store(keys):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        hooks = serve_store(rsps, keys)
        yield SimpleNamespace(rsps=rsps, hooks=hooks, keys=keys)


def connect(client, store_url: str = "shop.example.com") -> str:
    """Steps 1 and 2: the connect form's CSRF token, then the store address; the nonce that
    travels to the store as wc-auth's ``user_id``."""
    res = post_form(client, "/connect/woocommerce", {"store_url": store_url})
    assert res.status_code == 302
    return parse_qs(urlsplit(res.headers["Location"]).query)["user_id"][0]


def key_callback(client, nonce: str, key: str, secret: str, *, key_id: int = 1,
                 permissions: str = "read_write"):
    """Step 3: the body wc-auth posts to the callback (anyone can post it)."""
    body = {"key_id": key_id, "user_id": nonce, "consumer_key": key, "consumer_secret": secret,
            "key_permissions": permissions}
    return client.post("/auth/woocommerce/callback", data=json.dumps(body),
                       content_type="application/json")


def back_from_store(client, nonce: str):
    """Step 4: the browser comes back from the store's approval page."""
    return client.get(f"/connect/woocommerce/return?success=1&user_id=1&nonce={nonce}")


def shop_state(db, shop_id: int) -> dict:
    with db.transaction() as s:
        shop = s.get(Shop, shop_id)
        return {"api_key": shop.api_key, "api_secret": shop.api_secret,
                "settings": dict(shop.settings or {}), "status": shop.status,
                "status_reason": shop.status_reason, "store_url": shop.store_url,
                "token_version": shop.token_version, "uninstalled_at": shop.uninstalled_at}


def signed_in(client) -> bool:
    status = client.get("/admin/").status_code
    assert status in (200, 401), status
    return status == 200


def twin(app, client):
    """Another browser holding a copy of ``client``'s cookie."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


@pytest.fixture
def victim(app, db, store):
    """A WooCommerce shop its owner connected through wc-auth (keys the store issued), then set
    up; the owner's browser signed in."""
    owner = app.test_client()
    nonce = connect(owner)
    assert key_callback(owner, nonce, OWNER_KEY, OWNER_SECRET).status_code == 200
    assert back_from_store(owner, nonce).status_code == 302
    assert signed_in(owner)
    with db.transaction() as s:
        shop = s.scalar(select(Shop).where(Shop.platform == "woocommerce"))
        assert shop.status == "active" and shop.api_key == OWNER_KEY
        shop.settings = {**shop.settings, **OWNER_SETTINGS}
        shop_id = shop.id
    before = shop_state(db, shop_id)
    assert before["settings"]["webhooks"]  # the subscriptions the install made
    return SimpleNamespace(shop=shop_id, owner=owner, before=before)


@pytest.fixture
def deferred_jobs(monkeypatch):
    """The key check as a worker runs it, later: the callback's job is only recorded. (The
    name of 549ae26's job too, so the same test runs against it.)"""
    recorded: list = []
    originals = [getattr(shop_install, name) for name in
                 ("verify_woocommerce_keys_job", "verify_woocommerce_job")
                 if hasattr(shop_install, name)]
    for name in ("verify_woocommerce_keys_job", "verify_woocommerce_job"):
        monkeypatch.setattr(shop_install, name, recorded.append, raising=False)

    def run():
        for arg in recorded:
            originals[0](arg)
        recorded.clear()

    return SimpleNamespace(recorded=recorded, run=run)


# --- the four-step takeover -----------------------------------------------------------------------

@pytest.mark.parametrize("worker", ["checks-at-once", "checks-later"])
def test_the_four_step_takeover_of_a_connected_shop_fails(app, db, victim, worker, request):
    """A stranger with a fresh cookie jar: connect form, the victim's store address, the callback
    with the stranger's own keys, the return with the nonce. Nobody is signed in and nothing
    about the victim's shop changes, whether the key check has run yet or not."""
    jobs = request.getfixturevalue("deferred_jobs") if worker == "checks-later" else None
    attacker = app.test_client()
    nonce = connect(attacker)
    key_callback(attacker, nonce, EVIL_KEY, EVIL_SECRET, key_id=99)
    assert shop_state(db, victim.shop) == victim.before  # the callback alone changes nothing
    for browser in (attacker, app.test_client()):  # its own cookie jar, and a fresh one
        res = back_from_store(browser, nonce)
        assert res.status_code != 302, res.headers.get("Location")
        assert not signed_in(browser)
    if jobs:
        jobs.run()
        assert not signed_in(attacker) and back_from_store(attacker, nonce).status_code != 302
    assert not signed_in(attacker)
    assert shop_state(db, victim.shop) == victim.before
    assert signed_in(victim.owner)
    with db.transaction() as s:  # no copy of the stranger's keys is kept either
        assert [st.consumer_key for st in s.scalars(select(AuthState))] == [None, None]


def test_read_only_keys_the_store_issued_replace_nothing(app, db, store, victim):
    """Keys the store really issued, but read-only (a leaked report key, say), posted as
    read_write: the write check on the store refuses them."""
    store.keys.issue("ck_" + "r" * 40, "cs_" + "r" * 40, permissions="read")
    attacker = app.test_client()
    nonce = connect(attacker)
    key_callback(attacker, nonce, "ck_" + "r" * 40, "cs_" + "r" * 40)
    res = back_from_store(attacker, nonce)
    assert res.status_code == 403 and b"write permissions" in res.data
    assert not signed_in(attacker)
    assert shop_state(db, victim.shop) == victim.before
    assert ("POST", "/wp-json/wc/v3/webhooks/batch") in store.keys.refused


def test_keys_of_another_site_on_the_same_host_replace_nothing(app, db, store, victim):
    """A WordPress multisite: another site under the victim's host issues real keys; they are
    for that site, not for the victim's store."""
    other = IssuedKeys()
    other.issue("ck_" + "m" * 40, "cs_" + "m" * 40)
    serve_store(store.rsps, other, store=f"{STORE}/other")
    attacker = app.test_client()
    nonce = connect(attacker, "shop.example.com/other")
    key_callback(attacker, nonce, "ck_" + "m" * 40, "cs_" + "m" * 40)
    assert back_from_store(attacker, nonce).status_code == 403
    assert not signed_in(attacker)
    assert shop_state(db, victim.shop) == victim.before


# --- the owner's reconnect ------------------------------------------------------------------------

def test_a_reconnect_by_the_owner_keeps_the_settings(app, db, store, victim):
    store.keys.issue(NEW_KEY, NEW_SECRET)
    nonce = connect(victim.owner)
    assert key_callback(victim.owner, nonce, NEW_KEY, NEW_SECRET, key_id=2).status_code == 200
    assert back_from_store(victim.owner, nonce).status_code == 302
    assert signed_in(victim.owner)
    after = shop_state(db, victim.shop)
    assert (after["api_key"], after["api_secret"]) == (NEW_KEY, NEW_SECRET)
    assert after["status"] == "active" and after["store_url"] == STORE
    for key in [*OWNER_SETTINGS, "webhooks"]:
        assert after["settings"].get(key) == victim.before["settings"][key], key
    assert after["settings"]["wc_key_id"] == 2


def test_an_existing_session_is_ended_by_a_key_replacement(app, db, store, victim):
    """The keys are replaced once the store confirms the new ones: every session of the shop
    ends (another browser, a copied cookie); the browser that reconnected signs in anew."""
    laptop = app.test_client()
    sign_in(laptop, db, victim.shop)
    copied = twin(app, laptop)
    assert signed_in(laptop) and signed_in(copied)
    store.keys.issue(NEW_KEY, NEW_SECRET)
    nonce = connect(victim.owner)
    key_callback(victim.owner, nonce, NEW_KEY, NEW_SECRET, key_id=2)
    assert not signed_in(laptop) and not signed_in(copied)
    assert back_from_store(victim.owner, nonce).status_code == 302
    assert signed_in(victim.owner)
    assert not signed_in(laptop) and not signed_in(copied)


def test_keys_wait_as_a_pending_credential_until_the_store_confirms_them(app, db, store,
                                                                         deferred_jobs):
    """A new store: after the callback there is no shop at all, only the encrypted keys on the
    auth state; the return waits (202) until the check has run, then signs this browser in."""
    owner = app.test_client()
    nonce = connect(owner)
    assert key_callback(owner, nonce, OWNER_KEY, OWNER_SECRET).status_code == 200
    with db.transaction() as s:
        assert s.scalar(select(Shop)) is None
        raw = s.execute(text("SELECT consumer_key, consumer_secret FROM auth_states")).one()
    assert raw[0] and OWNER_KEY not in raw[0] and OWNER_SECRET not in raw[1]
    assert back_from_store(owner, nonce).status_code == 202
    assert not signed_in(owner)
    deferred_jobs.run()
    with db.transaction() as s:
        shop = s.scalar(select(Shop))
        assert shop.status == "active" and shop.api_key == OWNER_KEY
        assert s.scalar(select(AuthState.consumer_key)) is None
    assert back_from_store(owner, nonce).status_code == 302
    assert signed_in(owner)


def test_a_pending_shop_cannot_be_signed_in_to(app, db):
    shop = make_shop(db, "pending.example", platform="woocommerce", status="pending")
    browser = app.test_client()
    sign_in(browser, db, shop)
    assert not signed_in(browser)


# --- the nonce ------------------------------------------------------------------------------------

def test_the_nonce_is_used_once(app, db, store):
    """One callback per nonce (a second one's keys are never used, even keys the store issued),
    and one sign-in: a copy of the browser's cookie gets nothing from the same return."""
    store.keys.issue(NEW_KEY, NEW_SECRET)
    owner = app.test_client()
    nonce = connect(owner)
    assert key_callback(owner, nonce, OWNER_KEY, OWNER_SECRET).status_code == 200
    assert key_callback(owner, nonce, NEW_KEY, NEW_SECRET).status_code == 400
    copy = twin(app, owner)  # before the return: the same binding to the attempt
    assert back_from_store(owner, nonce).status_code == 302
    assert back_from_store(copy, nonce).status_code != 302
    assert not signed_in(copy)
    with db.transaction() as s:
        assert s.scalar(select(Shop.api_key)) == OWNER_KEY


def test_a_nonce_past_its_time_is_refused_at_the_callback(app, db, store, victim):
    nonce = connect(victim.owner)
    store.keys.issue(NEW_KEY, NEW_SECRET)
    with db.transaction() as s:
        s.execute(update(AuthState).where(AuthState.nonce == nonce).values(
            created_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=11)))
    assert key_callback(victim.owner, nonce, NEW_KEY, NEW_SECRET).status_code == 400
    assert shop_state(db, victim.shop) == victim.before


def test_a_return_past_its_time_signs_nobody_in(app, db, store):
    owner = app.test_client()
    nonce = connect(owner)
    assert key_callback(owner, nonce, OWNER_KEY, OWNER_SECRET).status_code == 200
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)
    times = {c: long_ago for c in ("created_at", "verified_at") if c in AuthState.__table__.c}
    with db.transaction() as s:
        s.execute(update(AuthState).where(AuthState.nonce == nonce).values(**times))
    assert back_from_store(owner, nonce).status_code != 302
    assert not signed_in(owner)


# --- sessions the server can end ------------------------------------------------------------------

def test_logout_makes_a_copied_cookie_useless(app, db):
    shop = make_shop(db, "a.myshopify.com")
    browser = app.test_client()
    sign_in(browser, db, shop)
    copied = twin(app, browser)
    assert signed_in(copied)
    token = csrf_token(browser, "/admin/settings")
    assert browser.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    assert not signed_in(browser)
    assert not signed_in(copied)


def test_sign_out_everywhere_ends_the_other_sessions(app, db):
    shop = make_shop(db, "a.myshopify.com")
    other_shop = make_shop(db, "b.myshopify.com")
    here, laptop, elsewhere = app.test_client(), app.test_client(), app.test_client()
    for browser in (here, laptop):
        sign_in(browser, db, shop)
    sign_in(elsewhere, db, other_shop)
    copied = twin(app, laptop)
    page = here.get("/admin/settings").get_data(as_text=True)
    assert "Sign out everywhere" in page and "2 browsers are signed in" in page
    # a form without its CSRF token does nothing
    assert here.post("/admin/settings/sign-out-everywhere").status_code == 400
    assert signed_in(laptop)
    res = here.post("/admin/settings/sign-out-everywhere",
                    data={"csrf_token": csrf_token(here, "/admin/settings")})
    assert res.status_code == 302
    assert "1 other session ended" in here.get("/admin/settings").get_data(as_text=True)
    assert signed_in(here)
    assert not signed_in(laptop) and not signed_in(copied)
    assert signed_in(elsewhere)  # another shop's sessions are not this owner's to end


def test_uninstall_ends_the_shops_sessions(make_app):
    """After app/uninstalled, a reinstall does not bring an old cookie back to life."""
    secret = "shopify-app-secret-0123456789abcdef"
    app = make_app(shopify_api_key="arrosto-client-id", shopify_api_secret=secret)
    db = app.extensions["arrosto.db"]
    domain = "caffe-rossi.myshopify.com"
    shop = make_shop(db, domain, access_token="shpat_old")
    browser = app.test_client()
    sign_in(browser, db, shop)
    copied = twin(app, browser)
    body = json.dumps({"id": 1, "name": "Caffè Rossi", "domain": domain}).encode()
    sig = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    res = app.test_client().post(
        "/webhooks/shopify", data=body, content_type="application/json",
        headers={"X-Shopify-Topic": "app/uninstalled", "X-Shopify-Hmac-Sha256": sig,
                 "X-Shopify-Shop-Domain": domain, "X-Shopify-Webhook-Id": "u1",
                 "X-Shopify-API-Version": "2025-10",
                 "X-Shopify-Triggered-At": dt.datetime.now(dt.UTC).isoformat()})
    assert res.status_code == 200
    with db.transaction() as s:
        assert s.get(Shop, shop).status == "uninstalled"
    with db.transaction() as s:  # installed again, as a new token exchange does
        row = s.get(Shop, shop)
        row.status, row.access_token, row.uninstalled_at = "active", "shpat_new", None
    assert not signed_in(copied)
    assert not signed_in(browser)
