"""X's OAuth 2.0 user tokens: the code exchange and the refresh through tweepy's
``OAuth2UserHandler`` (requests-oauthlib), X's token endpoint answered by ``responses`` with the
documented payloads (tests/fixtures/x/SOURCES.md); the refresh happens once however many workers
ask, and a refused one pauses the account with a problem the admin shows."""
from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import responses
import yaml
from sqlalchemy import select, text

from arrosto import crypto
from arrosto.errors import AuthError, RetryableError
from arrosto.listening.pipeline import listen_account
from arrosto.models import SocialAccount
from arrosto.social.accounts import X_REFRESH_MARGIN, fresh_x_credentials, network_for
from arrosto.social.x import TOKEN_URL, UserTokens, XNetwork, XUserAuth

from ..factories import make_shop

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "x"
TOKENS = json.loads((FIXTURES / "built_oauth2_token.json").read_text())
CODE_ANSWER, REFRESH_ANSWER, REFUSED = (TOKENS["authorization_code"], TOKENS["refresh_token"],
                                        TOKENS["refused"])
CLIENT_ID = "rG9n6402A3dbUJKzXTNX4oWHJ"  # the docs' example client id
CLIENT_SECRET = "x-client-secret-value"
OLD_ACCESS, OLD_REFRESH = CODE_ANSWER["access_token"], CODE_ANSWER["refresh_token"]
NEW_ACCESS, NEW_REFRESH = REFRESH_ANSWER["access_token"], REFRESH_ANSWER["refresh_token"]
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
SHOP_ID = "1072250532645998596"  # TweepyDev, as in test_x.py
MENTIONS_URL = f"https://api.twitter.com/2/users/{SHOP_ID}/mentions"


@pytest.fixture
def settings(settings):
    return {**settings, "x_client_id": CLIENT_ID, "x_client_secret": CLIENT_SECRET}


@pytest.fixture
def cfg(app):
    return app.config["ARROSTO"]


def form(call) -> dict[str, str]:
    body = call.request.body
    return {k: v[0] for k, v in parse_qs(body if isinstance(body, str) else body.decode()).items()}


def basic_auth(call) -> tuple[str, str]:
    scheme, _, value = call.request.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    user, _, password = base64.b64decode(value).decode().partition(":")
    return user, password


def x_account(db, *, expires_in: dt.timedelta = dt.timedelta(minutes=2), **creds) -> tuple[
        int, SocialAccount]:
    shop = make_shop(db, "roastery.example")
    values = {"access_token": OLD_ACCESS, "refresh_token": OLD_REFRESH,
              "expires_at": (NOW + expires_in).isoformat(), **creds}
    with db.transaction(shop) as s:
        account = SocialAccount(network="x", handle="TweepyDev", external_id=SHOP_ID,
                                credentials=json.dumps({k: v for k, v in values.items() if v}))
        s.add(account)
        s.flush()
        s.expunge(account)
    return shop, account


def stored(db, shop: int, account_id: int) -> SocialAccount:
    with db.transaction(shop) as s:
        return s.get(SocialAccount, account_id)


# --- the handler ----------------------------------------------------------------------------------

def test_the_authorize_url_and_the_code_exchange_follow_xs_documentation():
    auth = XUserAuth(CLIENT_ID, CLIENT_SECRET, "https://shop.example/admin/accounts/x/callback",
                     scopes=("tweet.read", "users.read", "offline.access"))
    verifier = "v" * 64
    url = auth.authorization_url_for("st4te", verifier)
    base, _, query = url.partition("?")
    params = {k: v[0] for k, v in parse_qs(query).items()}
    assert base == "https://x.com/i/oauth2/authorize"
    expected_challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    assert params == {"response_type": "code", "client_id": CLIENT_ID,
                      "redirect_uri": "https://shop.example/admin/accounts/x/callback",
                      "scope": "tweet.read users.read offline.access", "state": "st4te",
                      "code_challenge": expected_challenge, "code_challenge_method": "S256"}
    answer = {**CODE_ANSWER, "scope": "tweet.read users.read offline.access"}
    with responses.RequestsMock() as mocked:
        mocked.post(TOKEN_URL, json=answer)
        tokens = auth.exchange("VGNibzFWSWREZm01", verifier, now=NOW)
        [call] = mocked.calls
    assert form(call) == {"grant_type": "authorization_code", "code": "VGNibzFWSWREZm01",
                          "redirect_uri": "https://shop.example/admin/accounts/x/callback",
                          "code_verifier": verifier, "client_id": CLIENT_ID}
    assert basic_auth(call) == (CLIENT_ID, CLIENT_SECRET)
    assert call.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert tokens == UserTokens(OLD_ACCESS, OLD_REFRESH, NOW + dt.timedelta(hours=2),
                                "tweet.read users.read offline.access")
    assert OLD_ACCESS not in repr(tokens) and OLD_REFRESH not in repr(tokens)
    assert CLIENT_SECRET not in repr(auth)


def test_other_scopes_than_asked_are_kept_not_refused():
    auth = XUserAuth(CLIENT_ID, CLIENT_SECRET, "https://shop.example/cb")
    with responses.RequestsMock() as mocked:
        mocked.post(TOKEN_URL, json={**CODE_ANSWER, "scope": "tweet.read users.read"})
        tokens = auth.exchange("code", "v" * 64, now=NOW)
    assert tokens.scope == "tweet.read users.read"


@pytest.mark.parametrize(("status", "body", "error"), [
    (400, REFUSED, AuthError), (401, {"error": "unauthorized_client",
                                      "error_description": "Missing valid authorization header"},
                                AuthError),
    (503, "Service Unavailable", RetryableError), (429, {"title": "Too Many Requests"},
                                                    RetryableError)])
def test_token_endpoint_refusals_and_outages(status, body, error):
    auth = XUserAuth(CLIENT_ID, CLIENT_SECRET, scopes=None)
    with responses.RequestsMock() as mocked:
        if isinstance(body, dict):
            mocked.post(TOKEN_URL, status=status, json=body)
        else:
            mocked.post(TOKEN_URL, status=status, body=body)
        with pytest.raises(error) as caught:
            auth.refresh(OLD_REFRESH)
    assert caught.value.status == status
    assert OLD_REFRESH not in str(caught.value) and CLIENT_SECRET not in str(caught.value)
    if status == 400:
        assert "invalid_request" in str(caught.value)


def test_the_refresh_grant_is_xs_step_5():
    with responses.RequestsMock() as mocked:
        mocked.post(TOKEN_URL, json=REFRESH_ANSWER)
        tokens = XUserAuth(CLIENT_ID, CLIENT_SECRET, scopes=None).refresh(OLD_REFRESH, now=NOW)
        [call] = mocked.calls
    assert form(call) == {"grant_type": "refresh_token", "refresh_token": OLD_REFRESH,
                          "client_id": CLIENT_ID}
    assert basic_auth(call) == (CLIENT_ID, CLIENT_SECRET)
    assert (tokens.access_token, tokens.refresh_token) == (NEW_ACCESS, NEW_REFRESH)
    assert tokens.expires_at == NOW + dt.timedelta(hours=2)


# --- the stored account ---------------------------------------------------------------------------

def test_a_token_far_from_expiry_is_not_refreshed(db, cfg):
    shop, account = x_account(db, expires_in=X_REFRESH_MARGIN + dt.timedelta(minutes=1))
    with responses.RequestsMock() as mocked:
        creds = json.loads(fresh_x_credentials(db, cfg, account, now=NOW))
        assert len(mocked.calls) == 0
    assert creds["access_token"] == OLD_ACCESS


def test_credentials_without_expiry_are_used_as_they_are(db, cfg):
    shop, account = x_account(db, expires_at=None, refresh_token=None,
                              bearer_token="AAAA-app-bearer-token")
    with responses.RequestsMock() as mocked:
        assert json.loads(fresh_x_credentials(db, cfg, account, now=NOW))["bearer_token"]
        assert len(mocked.calls) == 0


def test_refresh_happens_exactly_once_when_eight_workers_ask(db, cfg):
    shop, account = x_account(db)
    start = threading.Barrier(8)
    got: list[str] = []
    failed: list[BaseException] = []

    def slow_x(request):
        time.sleep(0.3)  # X taking its time: the others must wait, not refresh too
        return 200, {}, json.dumps(REFRESH_ANSWER)

    def worker():
        try:
            start.wait()
            got.append(json.loads(fresh_x_credentials(db, cfg, account, now=NOW))
                       ["access_token"])
        except BaseException as exc:  # noqa: BLE001 - reported below
            failed.append(exc)

    with responses.RequestsMock() as mocked:
        mocked.add_callback(responses.POST, TOKEN_URL, callback=slow_x)
        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert failed == []
        assert len(mocked.calls) == 1
        assert form(mocked.calls[0])["refresh_token"] == OLD_REFRESH
    assert got == [NEW_ACCESS] * 8
    row = stored(db, shop, account.id)
    creds = json.loads(row.credentials)
    assert (creds["refresh_token"], creds["expires_at"]) == (
        NEW_REFRESH, (NOW + dt.timedelta(hours=2)).isoformat())
    assert row.active and row.last_error is None
    with db.transaction(shop) as s:  # encrypted at rest
        raw = s.execute(text("SELECT credentials FROM social_accounts WHERE id = :id"),
                        {"id": account.id}).scalar_one()
    assert NEW_REFRESH not in raw and NEW_REFRESH in crypto.decrypt(raw)


def test_a_refused_refresh_pauses_the_account_with_a_visible_problem(db, cfg):
    shop, account = x_account(db)
    with responses.RequestsMock() as mocked:
        mocked.post(TOKEN_URL, status=400, json=REFUSED)
        with pytest.raises(AuthError, match="invalid_request"):
            fresh_x_credentials(db, cfg, account, now=NOW)
        with pytest.raises(AuthError, match="no refresh token"):  # and no second attempt
            fresh_x_credentials(db, cfg, account, now=NOW)
        assert len(mocked.calls) == 1
    row = stored(db, shop, account.id)
    assert row.active is False and row.last_error_at == NOW
    assert "connect the account again" in row.last_error
    assert OLD_REFRESH not in row.last_error
    assert "refresh_token" not in json.loads(row.credentials)


def test_an_outage_changes_nothing(db, cfg):
    shop, account = x_account(db)
    before = stored(db, shop, account.id).credentials
    with responses.RequestsMock() as mocked:
        mocked.post(TOKEN_URL, status=503, body="over capacity")
        with pytest.raises(RetryableError):
            fresh_x_credentials(db, cfg, account, now=NOW)
    row = stored(db, shop, account.id)
    assert row.active and row.last_error is None
    assert json.loads(row.credentials) == json.loads(before)


# --- where the connector is built ---------------------------------------------------------------

def recorded_mentions() -> dict:
    cassette = yaml.safe_load((FIXTURES / "test_client_get_users_mentions.yaml").read_text())
    return json.loads(gzip.decompress(cassette["interactions"][0]["response"]["body"]["string"]))


def test_the_connector_is_built_with_a_fresh_token(db, cfg):
    shop, account = x_account(db, expires_in=dt.timedelta(seconds=-30))  # already expired
    with responses.RequestsMock() as mocked:
        mocked.post(TOKEN_URL, json=REFRESH_ANSWER)
        mocked.get(MENTIONS_URL, json=recorded_mentions())
        network = network_for(db, cfg, account)
        assert isinstance(network, XNetwork)
        batch = network.mentions(None, limit=10)
        token_call, mentions_call = mocked.calls
    assert mentions_call.request.headers["Authorization"] == f"Bearer {NEW_ACCESS}"
    assert len(batch.posts) == 10


def test_listening_pauses_an_account_whose_refresh_is_refused(db, cfg):
    shop, account = x_account(db, expires_in=dt.timedelta(seconds=-30))
    with responses.RequestsMock() as mocked:
        mocked.post(TOKEN_URL, status=400, json=REFUSED)
        result = listen_account(db, cfg, account.id)
        assert [c.request.url for c in mocked.calls] == [TOKEN_URL]  # nothing read from X
    assert result.errors and "invalid_request" in result.errors[0]
    row = stored(db, shop, account.id)
    assert row.active is False and row.last_error and row.last_run_at is not None
    with db.transaction(shop) as s:
        assert s.scalar(select(SocialAccount.active).where(SocialAccount.id == account.id)) \
            is False
