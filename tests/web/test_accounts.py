"""The social accounts page: each account's state, pausing, and connecting X (OAuth 2.0 with
PKCE), Bluesky (app password) and Mastodon (per-instance app and OAuth) through the real SDKs,
their HTTP answered by ``responses`` (X, Mastodon) or the Bluesky tests' fake PDS, with recorded
or documented payloads (tests/fixtures/*/SOURCES.md). Every page is the signed-in shop's only."""
from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
import yaml
from atproto_client.request import Request
from sqlalchemy import select, text

from arrosto import crypto
from arrosto.models import AuthState, Shop, SocialAccount, utcnow
from arrosto.social.bluesky import network as bluesky
from arrosto.social.x import TOKEN_URL, USER_SCOPES

from ..factories import make_shop
from ..social.test_bluesky import APP_PASSWORD, SHOP_DID, SHOP_HANDLE, FakeBluesky
from .forms import csrf_token, post_form
from .test_admin import sign_in

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
X_TOKENS = json.loads((FIXTURES / "x" / "built_oauth2_token.json").read_text())
CLIENT_ID, CLIENT_SECRET = "rG9n6402A3dbUJKzXTNX4oWHJ", "x-client-secret-value"
X_CALLBACK = "http://localhost/admin/accounts/x/callback"
MASTODON = "http://localhost:3000"  # where Mastodon.py's cassettes were recorded
MASTODON_CALLBACK = "http://localhost/admin/accounts/mastodon/callback"
MASTODON_APP = {  # an Application as docs.joinmastodon.org/methods/apps shows it
    "id": "563419", "name": "Arrosto", "website": "http://localhost",
    "scopes": ["read", "write", "follow"], "redirect_uri": MASTODON_CALLBACK,
    "redirect_uris": [MASTODON_CALLBACK],
    "client_id": "TWhM-tNSuncnqN7DBJmoyeLnk6K3iJJ71KKXxgL1hPM",
    "client_secret": "ZEaFUFmF0umgBX1qKJDjaU99Q31lDkOU8NutzTOoliw"}
MASTODON_TOKEN = "ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0"


@pytest.fixture
def settings(settings):
    # the Mastodon cassettes were recorded at http://localhost:3000
    return {**settings, "x_client_id": CLIENT_ID, "x_client_secret": CLIENT_SECRET,
            "allow_loopback_hosts": True}


@pytest.fixture
def shops(db) -> tuple[int, int]:
    return make_shop(db, "a.example"), make_shop(db, "b.example")


def add_account(db, shop: int, network: str, handle: str, **fields) -> int:
    with db.transaction(shop) as s:
        account = SocialAccount(network=network, handle=handle, **fields)
        s.add(account)
        s.flush()
        return account.id


def accounts_of(db, shop: int) -> list[SocialAccount]:
    with db.transaction(shop) as s:
        return list(s.scalars(select(SocialAccount).order_by(SocialAccount.id)))


def raw_credentials(db, account_id: int) -> str:
    with db.transaction() as s:
        return s.execute(text("SELECT credentials FROM social_accounts WHERE id = :id"),
                         {"id": account_id}).scalar_one()


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def form_of(call) -> dict[str, str]:
    body = call.request.body
    return {k: v[0] for k, v in parse_qs(body if isinstance(body, str) else body.decode()).items()}


def cassette_answer(path: Path, method: str, url_path: str) -> dict:
    for item in yaml.safe_load(path.read_text())["interactions"]:
        if item["request"]["method"] == method and urlsplit(item["request"]["uri"]).path \
                == url_path:
            return item["response"]
    raise LookupError(url_path)


def x_me_body() -> dict:
    """tweepy's recorded GET /2/users/me (TweepyDev)."""
    answer = cassette_answer(FIXTURES / "x" / "test_client_get_me.yaml", "GET", "/2/users/me")
    return json.loads(gzip.decompress(answer["body"]["string"]))


def serve_mastodon(mock, cassette: str, method: str, path: str) -> None:
    answer = cassette_answer(FIXTURES / "mastodon" / cassette, method, path)
    mock.add(method, MASTODON + path, body=answer["body"]["string"],
             status=answer["status"]["code"], content_type="application/json")


# --- signed out, other shops ----------------------------------------------------------------------

GETS = ["/admin/accounts", "/admin/accounts/x/connect", "/admin/accounts/x/callback?state=s",
        "/admin/accounts/mastodon/callback?state=s", "/admin/products/1"]
POSTS = ["/admin/accounts/1/pause", "/admin/accounts/1/resume", "/admin/accounts/bluesky",
         "/admin/accounts/mastodon", "/admin/products/1/keywords",
         "/admin/products/1/keywords/remove"]


def test_every_route_asks_to_sign_in(client, db, shops):
    add_account(db, shops[0], "x", "shop_a")
    for url in GETS:
        assert client.get(url).status_code == 401, url
    token = csrf_token(client, "/connect/woocommerce")  # a form anyone may open
    for url in POSTS:
        res = client.post(url, data={"csrf_token": token, "handle": "h", "instance": "i",
                                     "term": "t", "app_password": "p"})
        assert res.status_code == 401, url
    assert accounts_of(db, shops[0])[0].active


def test_the_page_shows_each_account_of_this_shop_only(client, db, shops):
    a, b = shops
    month = utcnow().strftime("%Y-%m")
    add_account(db, a, "x", "shop_a", reads_used=1234, read_budget_month=month,
                capabilities={"search_off": "search needs X API Basic access or above"},
                last_run_at=dt.datetime(2026, 11, 23, 8, 15, tzinfo=dt.UTC))
    add_account(db, a, "bluesky", "shop-a.bsky.social", active=False,
                last_error="bluesky: shop-a.bsky.social could not log in: Invalid identifier "
                           "or password", last_error_at=dt.datetime(2026, 11, 23, 8, 0,
                                                                    tzinfo=dt.UTC))
    add_account(db, a, "archive", "archive")  # imported posts: nothing to connect or pause
    add_account(db, b, "mastodon", "shop_b@mastodon.social")
    sign_in(client, db, a)

    page = client.get("/admin/accounts").get_data(as_text=True)

    assert "@shop_a" in page and "@shop-a.bsky.social" in page
    assert "shop_b" not in page and "@archive" not in page
    assert "1234 of 10000 (8766 left)" in page
    assert "search needs X API Basic access or above" in page
    assert "2026-11-23 08:15 UTC" in page
    assert "Invalid identifier or password" in page and "paused" in page
    assert 'href="/admin/accounts"' in client.get("/admin/").get_data(as_text=True)  # nav


def test_pause_and_resume(client, db, shops):
    a, b = shops
    mine = add_account(db, a, "x", "shop_a")
    theirs = add_account(db, b, "x", "shop_b")
    sign_in(client, db, a)

    assert post_form(client, "/admin/accounts", {},
                     f"/admin/accounts/{mine}/pause").status_code == 302
    assert accounts_of(db, a)[0].active is False
    assert "Resume" in client.get("/admin/accounts").get_data(as_text=True)
    post_form(client, "/admin/accounts", {}, f"/admin/accounts/{mine}/resume")
    assert accounts_of(db, a)[0].active is True

    for action in ("pause", "resume"):
        res = post_form(client, "/admin/accounts", {}, f"/admin/accounts/{theirs}/{action}")
        assert res.status_code == 404
    assert accounts_of(db, b)[0].active is True


def test_a_form_without_its_csrf_token_is_refused(client, db, shops):
    mine = add_account(db, shops[0], "x", "shop_a")
    sign_in(client, db, shops[0])
    assert client.post(f"/admin/accounts/{mine}/pause").status_code == 400
    assert accounts_of(db, shops[0])[0].active is True


# --- X --------------------------------------------------------------------------------------------

def start_x(client) -> dict[str, str]:
    res = client.get("/admin/accounts/x/connect")
    assert res.status_code == 302
    target = res.headers["Location"]
    assert target.startswith("https://x.com/i/oauth2/authorize?")
    return query(target)


def test_connect_x_end_to_end(client, db, shops):
    a = shops[0]
    sign_in(client, db, a)
    page = client.get("/admin/accounts").get_data(as_text=True)
    assert 'href="/admin/accounts/x/connect"' in page

    asked = start_x(client)

    assert asked["client_id"] == CLIENT_ID and asked["redirect_uri"] == X_CALLBACK
    assert asked["scope"].split() == list(USER_SCOPES)
    assert asked["response_type"] == "code" and asked["code_challenge_method"] == "S256"
    with db.transaction() as s:
        state = s.scalar(select(AuthState).where(AuthState.nonce == asked["state"]))
        assert (state.platform, state.shop_domain, state.used_at) == ("social-x", f"shop:{a}",
                                                                      None)
    with responses.RequestsMock() as x:
        x.post(TOKEN_URL, json=X_TOKENS["authorization_code"])
        x.get("https://api.twitter.com/2/users/me", json=x_me_body())
        res = client.get(f"/admin/accounts/x/callback?state={asked['state']}&code=VGNibzFWSWRE")
        token_call, me_call = x.calls

    assert res.status_code == 302 and res.headers["Location"].endswith("/admin/accounts")
    sent = form_of(token_call)
    assert (sent["grant_type"], sent["code"], sent["redirect_uri"]) == (
        "authorization_code", "VGNibzFWSWRE", X_CALLBACK)
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(sent["code_verifier"].encode()).digest()).decode().rstrip("=")
    assert challenge == asked["code_challenge"]  # the verifier kept for this flow
    assert me_call.request.headers["Authorization"] == \
        f"Bearer {X_TOKENS['authorization_code']['access_token']}"
    [account] = accounts_of(db, a)
    assert (account.network, account.handle, account.external_id, account.display_name) == (
        "x", "TweepyDev", "1072250532645998596", "Tweepy Testing")
    creds = json.loads(account.credentials)
    assert creds["access_token"] == X_TOKENS["authorization_code"]["access_token"]
    assert creds["refresh_token"] == X_TOKENS["authorization_code"]["refresh_token"]
    assert dt.datetime.fromisoformat(creds["expires_at"]) > utcnow() + dt.timedelta(minutes=110)
    assert creds["access_token"] not in raw_credentials(db, account.id)  # encrypted at rest
    with db.transaction() as s:
        assert s.get(Shop, a).settings["handles"]["x"] == "TweepyDev"
    page = client.get("/admin/accounts").get_data(as_text=True)
    assert "X account @TweepyDev connected" in page
    assert creds["access_token"] not in page and CLIENT_SECRET not in page

    # the same callback again: the state is used up, X is not asked again
    with responses.RequestsMock(assert_all_requests_are_fired=False) as x:
        x.post(TOKEN_URL, json=X_TOKENS["authorization_code"])
        again = client.get(f"/admin/accounts/x/callback?state={asked['state']}&code=VGNi")
        assert len(x.calls) == 0
    assert again.status_code == 403


def test_x_callback_of_another_browser_or_shop_is_refused(app, client, db, shops):
    a, b = shops
    sign_in(client, db, a)
    asked = start_x(client)
    other_browser = app.test_client()
    sign_in(other_browser, db, a)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as x:
        x.post(TOKEN_URL, json=X_TOKENS["authorization_code"])
        res = other_browser.get(f"/admin/accounts/x/callback?state={asked['state']}&code=c")
        assert res.status_code == 403 and len(x.calls) == 0

        asked = start_x(client)  # a fresh flow for shop A, finished as shop B
        with client.session_transaction() as browser:
            flow = {k: browser[k] for k in ("install_binding", "social_flow")}
        sign_in(client, db, b)  # the same browser (its flow kept), now signed in to shop B
        with client.session_transaction() as browser:
            browser.update(flow)
        res = client.get(f"/admin/accounts/x/callback?state={asked['state']}&code=c")
        assert res.status_code == 403 and len(x.calls) == 0
    assert accounts_of(db, a) == [] and accounts_of(db, b) == []


def test_x_refused_authorisation_and_refused_code(client, db, shops):
    sign_in(client, db, shops[0])
    asked = start_x(client)
    res = client.get(f"/admin/accounts/x/callback?error=access_denied&state={asked['state']}")
    assert res.status_code == 400 and "not given" in res.get_data(as_text=True)

    asked = start_x(client)
    with responses.RequestsMock() as x:
        x.post(TOKEN_URL, status=400, json={
            "error": "invalid_request",
            "error_description": "Value passed for the authorization code was invalid."})
        res = client.get(f"/admin/accounts/x/callback?state={asked['state']}&code=old")
    assert res.status_code == 403
    assert "authorization code was invalid" in res.get_data(as_text=True)
    assert accounts_of(db, shops[0]) == []


def test_x_without_an_app_says_what_to_set(make_app, db, shops):
    client = make_app(x_client_id=None, x_client_secret=None).test_client()
    sign_in(client, db, shops[0])
    assert "ARROSTO_X_CLIENT_ID" in client.get("/admin/accounts").get_data(as_text=True)
    res = client.get("/admin/accounts/x/connect")
    assert res.status_code == 400 and "ARROSTO_X_CLIENT_ID" in res.get_data(as_text=True)


# --- Bluesky --------------------------------------------------------------------------------------

@pytest.fixture
def pds(monkeypatch) -> FakeBluesky:
    """The Bluesky tests' fake PDS behind the atproto client the connector makes."""
    fake = FakeBluesky()
    monkeypatch.setattr(bluesky, "Request", lambda transport=None, timeout=30.0: Request(
        transport=fake.transport(), timeout=timeout))
    return fake


def test_connect_bluesky_logs_in_once_and_keeps_the_session(client, db, shops, pds):
    sign_in(client, db, shops[0])

    res = post_form(client, "/admin/accounts", {"handle": f"@{SHOP_HANDLE}",
                                                "app_password": APP_PASSWORD},
                    "/admin/accounts/bluesky")

    assert res.status_code == 302
    [login] = pds.calls("com.atproto.server.createSession")
    assert json.loads(login.content) == {"identifier": SHOP_HANDLE, "password": APP_PASSWORD}
    [account] = accounts_of(db, shops[0])
    assert (account.network, account.handle, account.external_id) == (
        "bluesky", SHOP_HANDLE, SHOP_DID)
    assert account.session_string and SHOP_DID in account.session_string
    assert json.loads(account.credentials) == {"handle": SHOP_HANDLE,
                                               "app_password": APP_PASSWORD}
    assert APP_PASSWORD not in raw_credentials(db, account.id)
    page = client.get("/admin/accounts").get_data(as_text=True)
    assert f"Bluesky account @{SHOP_HANDLE} connected" in page and APP_PASSWORD not in page


def test_a_refused_app_password_stores_nothing(client, db, shops, pds):
    sign_in(client, db, shops[0])
    res = post_form(client, "/admin/accounts", {"handle": SHOP_HANDLE,
                                                "app_password": "wrong-pass-word-xxxx"},
                    "/admin/accounts/bluesky")
    page = res.get_data(as_text=True)
    assert res.status_code == 400 and "Bluesky refused" in page
    assert f'value="{SHOP_HANDLE}"' in page and "wrong-pass-word-xxxx" not in page
    assert accounts_of(db, shops[0]) == []


# --- Mastodon -------------------------------------------------------------------------------------

@pytest.fixture
def instance():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, f"{MASTODON}/api/v1/apps", json=MASTODON_APP)
        serve_mastodon(mock, "test_auth_request_url.yaml", "GET",
                       "/.well-known/oauth-authorization-server")
        serve_mastodon(mock, "test_instance.yaml", "GET", "/api/v1/instance/")
        # a Token as docs.joinmastodon.org/methods/oauth shows it
        mock.add(responses.POST, f"{MASTODON}/oauth/token", json={
            "access_token": MASTODON_TOKEN, "token_type": "Bearer",
            "scope": "read write follow", "created_at": 1764000000})
        serve_mastodon(mock, "test_status_reply.yaml", "GET",
                       "/api/v1/accounts/verify_credentials")
        yield mock


def test_connect_mastodon_end_to_end(client, db, shops, instance):
    a = shops[0]
    sign_in(client, db, a)

    res = post_form(client, "/admin/accounts", {"instance": MASTODON},
                    "/admin/accounts/mastodon")

    assert res.status_code == 200  # a page with the link: a form may not redirect off-site
    [register] = [c for c in instance.calls if c.request.url.endswith("/api/v1/apps")]
    assert form_of(register)["redirect_uris"] == MASTODON_CALLBACK
    page = res.get_data(as_text=True)
    link = page.split('class="button" href="')[1].split('"')[0].replace("&amp;", "&")
    assert link.startswith(f"{MASTODON}/oauth/authorize?")
    asked = query(link)
    assert asked["client_id"] == MASTODON_APP["client_id"]
    assert asked["redirect_uri"] == MASTODON_CALLBACK
    assert MASTODON_APP["client_secret"] not in page

    res = client.get(f"/admin/accounts/mastodon/callback?code=the-code&state={asked['state']}")

    assert res.status_code == 302
    [exchange] = [c for c in instance.calls if c.request.url.endswith("/oauth/token")]
    sent = form_of(exchange)
    assert (sent["code"], sent["redirect_uri"], sent["client_secret"]) == (
        "the-code", MASTODON_CALLBACK, MASTODON_APP["client_secret"])
    [account] = accounts_of(db, a)
    assert (account.network, account.handle, account.instance_url, account.external_id) == (
        "mastodon", "admin@localhost:3000", MASTODON, "117020565693913441")
    assert json.loads(account.credentials) == {
        "client_id": MASTODON_APP["client_id"], "client_secret": MASTODON_APP["client_secret"],
        "access_token": MASTODON_TOKEN}
    raw = raw_credentials(db, account.id)
    assert MASTODON_TOKEN not in raw and MASTODON_TOKEN in crypto.decrypt(raw)
    assert "@admin@localhost:3000 connected" in client.get("/admin/accounts").get_data(
        as_text=True)


def test_mastodon_callback_needs_its_own_state(client, db, shops, instance):
    sign_in(client, db, shops[0])
    post_form(client, "/admin/accounts", {"instance": MASTODON}, "/admin/accounts/mastodon")
    res = client.get("/admin/accounts/mastodon/callback?code=the-code&state=forged")
    assert res.status_code == 403
    assert not [c for c in instance.calls if c.request.url.endswith("/oauth/token")]
    assert accounts_of(db, shops[0]) == []


def test_mastodon_needs_an_instance_address(client, db, shops):
    sign_in(client, db, shops[0])
    with responses.RequestsMock() as nowhere:
        res = post_form(client, "/admin/accounts", {"instance": "not an address at all"},
                        "/admin/accounts/mastodon")
        assert len(nowhere.calls) == 0
    assert res.status_code == 400 and "not an instance" in res.get_data(as_text=True)
