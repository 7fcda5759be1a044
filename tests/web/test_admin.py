"""The admin panel: one-time sign-in links, pages scoped to the signed-in shop."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from arrosto.access import create_login_token
from arrosto.models import LoginToken, Order

from ..factories import make_shop, populate_shop


def sign_in(client, db, shop_id, lang: str | None = "en"):
    """Signed in as the shop's owner; the pages in ``lang`` as the language switch sets it
    (English, which the tests read, even for an Italian shop), or the default with None."""
    token = create_login_token(db, shop_id)
    res = client.get(f"/admin/login/{token}")
    assert res.status_code == 302
    if lang:
        with client.session_transaction() as browser:
            browser["lang"] = lang
    return token


def test_signed_out_admin_asks_to_sign_in(client):
    res = client.get("/admin/")
    assert res.status_code == 401
    assert b"arrosto login --shop" in res.data


def test_login_link_works_once(client, db):
    shop = make_shop(db, "a.myshopify.com")
    token = sign_in(client, db, shop)
    assert client.get("/admin/").status_code == 200
    other = client.application.test_client()
    assert other.get(f"/admin/login/{token}").status_code == 403


def test_expired_link_is_refused(client, db):
    shop = make_shop(db, "a.myshopify.com")
    token = create_login_token(db, shop)
    with db.transaction(shop) as s:
        s.execute(update(LoginToken).values(
            expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
    assert client.get(f"/admin/login/{token}").status_code == 403
    assert client.get("/admin/").status_code == 401


def test_pages_show_only_the_signed_in_shop(client, db):
    a = make_shop(db, "a.myshopify.com")
    b = make_shop(db, "b.myshopify.com")
    populate_shop(db, a, "A")
    populate_shop(db, b, "B")
    sign_in(client, db, a)
    products = client.get("/admin/products").get_data(as_text=True)
    assert "Miscela A" in products and "Miscela B" not in products
    orders = client.get("/admin/orders").get_data(as_text=True)
    assert "#A" in orders and "#B" not in orders
    with db.transaction(b) as s:
        b_order = s.scalar(select(Order.id))
    assert client.get(f"/admin/orders/{b_order}").status_code == 404
    posts = client.get("/admin/posts").get_data(as_text=True)
    assert "where is my order A" in posts and "order B" not in posts


def test_security_headers(client):
    res = client.get("/healthz")
    assert "frame-ancestors 'none'" in res.headers["Content-Security-Policy"]
    assert res.headers["X-Content-Type-Options"] == "nosniff"


def test_uninstalled_shop_is_signed_out(client, db):
    from arrosto.models import Shop

    shop = make_shop(db, "a.myshopify.com")
    sign_in(client, db, shop)
    with db.transaction() as s:
        s.get(Shop, shop).status = "uninstalled"
    assert client.get("/admin/").status_code == 401
