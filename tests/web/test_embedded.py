"""The admin inside the Shopify admin: a session token on every request, never a cookie; the
standalone admin's cookie: a tampered one signs out."""
from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from sqlalchemy import select

from arrosto.models import ProductKeyword, Shop

from .forms import csrf_token
from .test_admin import sign_in
from .test_inbox import case_url, support_shop

API_KEY = "arrosto-client-id"
SECRET = "current-app-secret-0123456789abcdef"
A = "caffe-rossi.myshopify.com"
B = "caffe-verdi.myshopify.com"


@pytest.fixture
def app(make_app):
    return make_app(shopify_api_key=API_KEY, shopify_api_secret=SECRET)


def session_token(shop: str = A, secret: str = SECRET, **changes) -> str:
    now = int(time.time())
    claims = {"iss": f"https://{shop}/admin", "dest": f"https://{shop}", "aud": API_KEY,
              "sub": "42", "exp": now + 60, "nbf": now - 5, "iat": now - 5, "jti": "j1",
              "sid": "s1", **changes}
    return jwt.encode(claims, secret, "HS256")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def shops(db):
    return support_shop(db, A), support_shop(db, B, who="b-")


def test_every_request_signed_by_a_session_token_needs_no_cookie(app, shops):
    a, _ = shops
    client = app.test_client(use_cookies=False)
    res = client.get("/admin/inbox", headers=bearer(session_token()))
    assert res.status_code == 200
    assert "My Miscela Oro still has not arrived" in res.get_data(as_text=True)
    assert "Set-Cookie" not in res.headers  # nothing to keep between requests
    csp = res.headers["Content-Security-Policy"]
    assert f"frame-ancestors https://{A} https://admin.shopify.com" in csp
    assert "script-src 'self' https://cdn.shopify.com" in csp  # App Bridge, and only there
    page = client.get(f"/admin/cases/{a.complaint}?embedded=1&id_token={session_token()}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'src="https://cdn.shopify.com/shopifycloud/app-bridge.js"' in body
    assert f'<meta name="shopify-api-key" content="{API_KEY}">' in body


def test_a_shops_token_never_reaches_another_shops_case(app, shops):
    a, b = shops
    client = app.test_client(use_cookies=False)
    assert client.get(case_url(b.complaint), headers=bearer(session_token(A))).status_code == 404
    assert client.get(case_url(a.complaint), headers=bearer(session_token(A))).status_code == 200
    assert client.get(case_url(a.complaint), headers=bearer(session_token(B))).status_code == 404


@pytest.mark.parametrize("token", [
    pytest.param(lambda: session_token(exp=int(time.time()) - 60), id="expired"),
    pytest.param(lambda: session_token(secret="wrong-secret-0123456789abcdef-wrong"),
                 id="wrong secret"),
    pytest.param(lambda: session_token(aud="someone-else"), id="wrong aud"),
    pytest.param(lambda: session_token(dest=f"https://{B}"), id="dest≠iss"),
])
def test_a_bad_token_on_an_xhr_asks_for_a_fresh_one(app, shops, token):
    res = app.test_client(use_cookies=False).get("/admin/inbox", headers=bearer(token()))
    assert res.status_code == 401
    assert res.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    assert "Giulia" not in res.get_data(as_text=True)


def test_a_page_without_a_fresh_token_goes_through_the_bounce_page(app, shops):
    client = app.test_client(use_cookies=False)
    stale = session_token(exp=int(time.time()) - 60)
    res = client.get(f"/admin/inbox?embedded=1&shop={A}&host=YWRtaW4&id_token={stale}")
    assert res.status_code == 302
    target = urlsplit(res.headers["Location"])
    assert target.path == "/admin/session-token-bounce"
    query = parse_qs(target.query)
    reload_to = urlsplit(query["shopify-reload"][0])
    assert reload_to.path == "/admin/inbox"
    assert parse_qs(reload_to.query) == {"embedded": ["1"], "shop": [A], "host": ["YWRtaW4"]}
    assert "id_token" not in query  # the stale token is not passed on
    bounce = client.get(res.headers["Location"])
    assert bounce.status_code == 200
    assert "app-bridge.js" in bounce.get_data(as_text=True)


def test_a_form_signed_by_a_session_token_needs_no_csrf_token_but_a_bad_one_does(app, db,
                                                                                   shops):
    a, _ = shops
    client = app.test_client(use_cookies=False)
    res = client.post(f"/admin/products/{a.oro}/keywords",
                      data={"term": "oro blend", "id_token": session_token()})
    assert res.status_code in (200, 302)
    forged = client.post(f"/admin/products/{a.oro}/keywords",
                         data={"term": "forged", "id_token": session_token(secret="x" * 32)})
    assert forged.status_code == 400  # no valid token: the CSRF check applies, and fails
    with db.transaction(a.shop) as s:
        terms = set(s.scalars(select(ProductKeyword.term)))
    assert "oro blend" in terms and "forged" not in terms


def test_a_token_for_a_shop_not_installed_goes_to_the_token_exchange(app, db):
    client = app.test_client(use_cookies=False)
    token = session_token("nuovo.myshopify.com")
    res = client.get(f"/admin/?embedded=1&id_token={token}")
    assert res.status_code == 302
    target = urlsplit(res.headers["Location"])
    assert target.path == "/shopify" and parse_qs(target.query)["id_token"] == [token]
    with db.transaction(all_shops=True) as s:
        assert s.scalar(select(Shop).where(Shop.domain == "nuovo.myshopify.com")) is None


def test_a_tampered_session_cookie_signs_out(client, db):
    data = support_shop(db, A)
    sign_in(client, db, data.shop)
    assert client.get("/admin/inbox").status_code == 200
    cookie = client.get_cookie("session")
    payload, _, signature = cookie.value.rpartition(".")
    forged = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    client.set_cookie("session", forged)
    res = client.get("/admin/inbox")
    assert res.status_code == 401 and "Sign in to Arrosto" in res.get_data(as_text=True)
    assert "session=;" in res.headers.get("Set-Cookie", "")  # the bad cookie is deleted
    assert client.get("/admin/inbox").status_code == 401


def test_a_form_without_its_csrf_token_is_refused(client, db):
    data = support_shop(db, A)
    sign_in(client, db, data.shop)
    res = client.post(f"/admin/products/{data.oro}/keywords", data={"term": "caffe nero"})
    assert res.status_code == 400
    token = csrf_token(client, f"/admin/products/{data.oro}")
    ok = client.post(f"/admin/products/{data.oro}/keywords",
                     data={"term": "crema oro", "csrf_token": token})
    assert ok.status_code in (200, 302)
    with db.transaction(data.shop) as s:
        terms = set(s.scalars(select(ProductKeyword.term)))
    assert "crema oro" in terms and "caffe nero" not in terms


def test_the_owner_chooses_italian_or_english(client, db):
    data = support_shop(db, A)  # an English-speaking shop
    sign_in(client, db, data.shop)
    assert '<html lang="en">' in client.get("/admin/inbox").get_data(as_text=True)
    assert '<html lang="it">' in client.get("/admin/inbox?lang=it").get_data(as_text=True)
    assert '<html lang="it">' in client.get("/admin/").get_data(as_text=True)  # remembered


def test_the_standalone_session_cookie_is_secure_httponly_and_samesite(make_app, db):
    app = make_app(public_url="https://arrosto.example")
    appdb = app.extensions["arrosto.db"]
    data = support_shop(appdb, A)
    client = app.test_client()
    from arrosto.access import create_login_token

    res = client.get(f"/admin/login/{create_login_token(appdb, data.shop)}",
                     base_url="https://arrosto.example")
    cookie = res.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
