"""Hostile requests, one table row per attack: forged signatures, replayed deliveries, oversized
bodies, wrong content types, broken JSON, path traversal in ids, SQL and template injection in
what the owner can set and in what a social post carries. Every row says what must happen:
refused with a 4xx, or neutralised (escaped in HTML, stored and shown literally, not evaluated)."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from arrosto.listening.ingest import store_posts
from arrosto.listening.pipeline import process_new_posts
from arrosto.listening.vocabulary import normalize
from arrosto.models import (
    Case,
    Message,
    Order,
    Post,
    Product,
    ProductKeyword,
    Shop,
    SocialAccount,
    WebhookDelivery,
    utcnow,
)
from arrosto.social.base import PostData

from ..web.forms import csrf_token
from ..web.test_admin import sign_in

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SHOPIFY_SECRET = "hostile-shopify-secret"
WOO_SECRET = "hostile-woo-secret"
DOMAIN = "hostile-roastery.myshopify.com"
WOO_STORE = "https://hostile-roastery.example"
MAX_BODY = 8192
ORDER = json.loads((FIXTURES / "shopify/rest/order.json").read_text())["order"]
ORDER_BODY = json.dumps(ORDER).encode()

SQL = "'; DROP TABLE products; --"
SQL_OR = "1' OR '1'='1"
TEMPLATE = "{{ 7*7 }}"
RAW_CONFIG = "{% raw %}{{ config }}{% endraw %}"
SCRIPT = "<script>alert(1)</script>"
INJECTIONS = {"sql": SQL, "sql-or": SQL_OR, "template": TEMPLATE, "raw-config": RAW_CONFIG,
              "script": SCRIPT}


@pytest.fixture
def world(make_app):
    """A Shopify and a WooCommerce shop, a signed-in admin of the Shopify one, one product."""
    app = make_app(shopify_api_key="hostile-key", shopify_api_secret=SHOPIFY_SECRET,
                   max_body_bytes=MAX_BODY)
    db = app.extensions["arrosto.db"]
    with db.transaction() as s:
        shop = Shop(platform="shopify", domain=DOMAIN, name="Torrefazione Brace",
                    language="en", access_token="shpat_" + "a" * 32)
        woo = Shop(platform="woocommerce", domain="hostile-roastery.example",
                   store_url=WOO_STORE, webhook_secret=WOO_SECRET, name="Woo")
        other = Shop(platform="woocommerce", domain="other.example",
                     store_url="https://other.example", webhook_secret="other-secret",
                     name="Other")
        s.add_all([shop, woo, other])
        s.flush()
        ids = {"shop": shop.id, "woo": woo.id, "other": other.id}
    with db.transaction(ids["shop"]) as s:
        product = Product(external_id="p-oro", title="Miscela Oro", price=Decimal("14.50"))
        s.add(product)
        s.flush()
        ids["product"] = product.id
    client = app.test_client()
    sign_in(client, db, ids["shop"])

    class World:
        pass

    w = World()
    w.app, w.db, w.client, w.ids = app, db, client, ids
    w.anonymous = app.test_client()
    return w


def _count(db, model) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model))


def shopify_headers(body: bytes, *, secret: str = SHOPIFY_SECRET, delivery: str = "d-1",
                    topic: str = "orders/create", **extra) -> dict[str, str]:
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return {"X-Shopify-Hmac-Sha256": digest.decode(), "X-Shopify-Topic": topic,
            "X-Shopify-Webhook-Id": delivery, "X-Shopify-Shop-Domain": DOMAIN,
            "Content-Type": "application/json", **extra}


def woo_headers(body: bytes, *, secret: str = WOO_SECRET, delivery: str = "w-1",
                topic: str = "order.created", **extra) -> dict[str, str]:
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return {"X-WC-Webhook-Signature": digest.decode(), "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Delivery-ID": delivery, "X-WC-Webhook-Source": f"{WOO_STORE}/",
            "Content-Type": "application/json", **extra}


WOO_ORDER = (FIXTURES / "woocommerce/_orders.md__01_retrieve-an-order.json").read_bytes()


# --- webhooks: signatures, replays, sizes, content types, broken JSON ----------------------------

def _post_shopify(w, body=ORDER_BODY, **kw):
    headers = kw.pop("headers", None) or shopify_headers(body, **kw)
    return w.client.post("/webhooks/shopify", data=body, headers=headers)


def _post_woo(w, body=WOO_ORDER, shop="woo", **kw):
    headers = kw.pop("headers", None) or woo_headers(body, **kw)
    return w.anonymous.post(f"/webhooks/woocommerce/{w.ids[shop]}", data=body, headers=headers)


def _without(headers: dict, name: str) -> dict:
    return {k: v for k, v in headers.items() if k != name}


def _tampered(w):
    headers = shopify_headers(ORDER_BODY)
    return w.client.post("/webhooks/shopify", headers=headers,
                         data=ORDER_BODY.replace(b'"total_price": "', b'"total_price": "1'))


def _replayed(w):
    first = _post_shopify(w, delivery="replay-1")
    assert first.json["status"] == "accepted"
    return _post_shopify(w, delivery="replay-1")


def _replayed_woo(w):
    assert _post_woo(w, delivery="wreplay").json["status"] == "accepted"
    return _post_woo(w, delivery="wreplay")


def _oversized(w):
    body = json.dumps({**ORDER, "note": "x" * (MAX_BODY * 2)}).encode()
    return _post_shopify(w, body=body)


def _oversized_unsigned(w):
    return w.client.post("/webhooks/woocommerce/1", data=b"{" + b" " * (MAX_BODY * 4) + b"}",
                         headers={"Content-Type": "application/json"})


# (id, send, status, answer, deliveries stored, orders stored, why)
WEBHOOK_ATTACKS = [
    ("forged-shopify-secret", lambda w: _post_shopify(w, secret="not-the-app-secret"),
     401, "invalid signature", 0, 0, "refused: signed with another secret"),
    ("shopify-no-signature", lambda w: _post_shopify(
        w, headers=_without(shopify_headers(ORDER_BODY), "X-Shopify-Hmac-Sha256")),
     401, "invalid signature", 0, 0, "refused: unsigned"),
    ("shopify-signature-garbage", lambda w: _post_shopify(
        w, headers={**shopify_headers(ORDER_BODY), "X-Shopify-Hmac-Sha256": "ÿ" * 44}),
     401, "invalid signature", 0, 0, "refused: not even base64"),
    ("shopify-tampered-body", _tampered, 401, "invalid signature", 0, 0,
     "refused: the signature is for another body"),
    ("shopify-no-delivery-id", lambda w: _post_shopify(
        w, headers=_without(shopify_headers(ORDER_BODY), "X-Shopify-Webhook-Id")),
     401, "invalid signature", 0, 0, "refused: a delivery without an id cannot be deduplicated"),
    ("forged-woo-secret", lambda w: _post_woo(w, secret="guessed"),
     401, "invalid signature", 0, 0, "refused: signed with another secret"),
    ("woo-signed-for-another-shop", lambda w: _post_woo(w, shop="other"),
     401, "invalid signature", 0, 0, "refused: shop A's secret does not open shop B's URL"),
    ("woo-unknown-shop", lambda w: w.anonymous.post(
        "/webhooks/woocommerce/999999", data=WOO_ORDER, headers=woo_headers(WOO_ORDER)),
     401, "invalid signature", 0, 0,
     "refused as a bad signature is: the answer does not say which shop ids exist"),
    ("unknown-platform", lambda w: w.anonymous.post("/webhooks/magento", data=ORDER_BODY,
                                                      headers=shopify_headers(ORDER_BODY)),
     404, None, 0, 0, "refused: no such receiver"),
    ("demo-platform", lambda w: w.anonymous.post("/webhooks/demo", data=ORDER_BODY,
                                                   headers=shopify_headers(ORDER_BODY)),
     404, None, 0, 0, "refused: the demo platform takes no webhooks"),
    ("replayed-shopify-delivery", _replayed, 200, "duplicate", 1, 1,
     "neutralised: acknowledged, stored and applied once"),
    ("replayed-woo-delivery", _replayed_woo, 200, "duplicate", 1, 1,
     "neutralised: acknowledged, stored and applied once"),
    ("oversized-signed-body", _oversized, 413, "request too large", 0, 0,
     "refused before the body is read"),
    ("oversized-unsigned-body", _oversized_unsigned, 413, "request too large", 0, 0,
     "refused before the body is read"),
    ("get-instead-of-post", lambda w: w.anonymous.get("/webhooks/shopify"),
     405, "method not allowed", 0, 0, "refused: receivers only take POST"),
    ("form-content-type-unsigned", lambda w: w.anonymous.post(
        "/webhooks/shopify", data={"id": "1"}), 401, "invalid signature", 0, 0,
     "refused: a form post is not signed"),
    ("multipart-unsigned", lambda w: w.anonymous.post(
        "/webhooks/shopify", data={"file": (__import__("io").BytesIO(b"{}"), "x.json")},
        content_type="multipart/form-data"), 401, "invalid signature", 0, 0,
     "refused: unsigned upload"),
    ("signed-json-as-text-plain", lambda w: _post_shopify(
        w, headers={**shopify_headers(ORDER_BODY), "Content-Type": "text/plain"}),
     200, "accepted", 1, 1,
     "neutralised: the signature is checked on the raw bytes whatever the content type, "
     "so an authentic delivery is applied once, as with application/json"),
    ("signed-form-encoded-body", lambda w: _post_shopify(
        w, body=b"id=1&total_price=0", headers={
            **shopify_headers(b"id=1&total_price=0"),
            "Content-Type": "application/x-www-form-urlencoded"}),
     200, "accepted", 1, 0, "neutralised: stored as failed (not JSON), nothing applied"),
    ("signed-broken-json", lambda w: _post_shopify(w, body=ORDER_BODY[:-20]),
     200, "accepted", 1, 0, "neutralised: stored as failed with the reason, nothing applied"),
    ("signed-json-array", lambda w: _post_shopify(w, body=b"[1, 2, 3]"),
     200, "accepted", 1, 0, "neutralised: stored as failed, nothing applied"),
    ("signed-nan-total", lambda w: _post_shopify(
        w, body=ORDER_BODY.replace(b'"total_price": "', b'"total_price": NaN, "x": "')),
     200, "accepted", 1, 0, "neutralised: NaN is not an amount: failed, nothing applied"),
    ("signed-invalid-utf8", lambda w: _post_shopify(w, body=b'{"id": "\xff\xfe"}'),
     200, "accepted", 1, 0, "neutralised: not UTF-8: failed, nothing applied"),
    ("signed-sql-in-order-name", lambda w: _post_shopify(
        w, body=json.dumps({**ORDER, "name": SQL[:60]}).encode()),
     200, "accepted", 1, 1, "neutralised: stored literally, tables intact"),
]


@pytest.mark.parametrize(("send", "status", "answer", "stored", "orders", "why"),
                         [row[1:] for row in WEBHOOK_ATTACKS],
                         ids=[row[0] for row in WEBHOOK_ATTACKS])
def test_webhook_attack(world, send, status, answer, stored, orders, why):
    res = send(world)
    assert res.status_code == status, f"{why}: got {res.status_code} {res.data[:200]!r}"
    if answer is not None:
        assert (res.json.get("status") or res.json.get("error")) == answer, why
    with world.db.transaction() as s:
        rows = s.scalars(select(WebhookDelivery)).all()
        assert len(rows) == stored, why
        assert all(r.state in ("processed", "failed") for r in rows), why
        if orders == 0:
            assert all(r.state == "failed" and r.error for r in rows), why
    assert _count(world.db, Order) == orders, why
    if "tables intact" in why:
        with world.db.transaction(world.ids["shop"]) as s:
            assert s.scalar(select(Order.name)) == SQL[:60]
    assert _count(world.db, Product) == 1  # nothing dropped


# --- path traversal in ids -----------------------------------------------------------------------

TRAVERSALS = ["../", "..%2F", "%2e%2e/", "%2e%2e%2f", "..%252f", "%2F", "..\\", "%00",
              "1%2F..%2F2", "99999999999999999999999", "-1"]
ROUTES = [  # (id, method, template, signed in)
    ("webhook-platform", "POST", "/webhooks/{x}shopify", False),
    ("webhook-shop-id", "POST", "/webhooks/woocommerce/{x}1", False),
    ("install-shop", "GET", "/install/shopify?shop={x}evil.example", False),
    ("shopify-callback", "GET", "/auth/shopify/callback?shop={x}a.myshopify.com&code=1&state=1",
     False),
    ("admin-product", "GET", "/admin/products/{x}1", True),
    ("admin-order", "GET", "/admin/orders/{x}1", True),
    ("admin-case", "GET", "/admin/cases/{x}1", True),
    ("admin-keyword", "POST", "/admin/products/{x}1/keywords", True),
    ("verify-token", "GET", "/verify/{x}token", False),
    ("verify-token-post", "POST", "/verify/{x}token", False),
    ("unsubscribe-token", "GET", "/digest/unsubscribe/{x}token", False),
    ("unsubscribe-one-click", "POST", "/digest/unsubscribe/{x}token", False),
]


@pytest.mark.parametrize("traversal", TRAVERSALS)
@pytest.mark.parametrize(("method", "template", "signed_in"), [r[1:] for r in ROUTES],
                         ids=[r[0] for r in ROUTES])
def test_path_traversal_in_ids_is_refused(world, method, template, signed_in, traversal):
    """Refused with a 4xx (404 for anything that is not one of the shop's own ids); never a
    500, never another page, nothing stored."""
    client = world.client if signed_in else world.anonymous
    url = template.format(x=traversal)
    res = client.open(url, method=method, data=b"{}",
                      headers={"Content-Type": "application/json"})
    if res.status_code == 308:  # werkzeug's merge_slashes: "//" to "/" on the same route
        target = res.location.split("://", 1)[-1].split("/", 1)[-1]
        assert "/" + target == url.replace("%2F", "/").replace("//", "/"), res.location
        assert ".." not in target
    else:
        assert 400 <= res.status_code < 500, f"{method} {url}: {res.status_code}"
    assert _count(world.db, WebhookDelivery) == 0


@pytest.mark.parametrize("traversal", TRAVERSALS)
def test_a_traversal_as_the_woocommerce_nonce_signs_nobody_in(world, traversal):
    """Neutralised: an unknown nonce gets the page that waits for the store's callback (202),
    the same as a real one whose callback has not come yet; nobody is signed in."""
    res = world.anonymous.get(f"/connect/woocommerce/return?nonce={traversal}")
    assert res.status_code == 202
    assert world.anonymous.get("/admin/").status_code == 401


# --- injection in what the owner sets ------------------------------------------------------------

def shown_escaped(page: str, payload: str) -> None:
    """The payload is in the HTML as text: escaped where it has markup, never as markup."""
    assert str(escape(payload)) in page, f"{payload!r} is not shown literally"
    if "<" in payload:
        assert payload not in page, f"{payload!r} is in the page as markup"


def _form(w, page: str, url: str, data: dict):
    return w.client.post(url, data={**data, "csrf_token": csrf_token(w.client, page)})


def _keyword(w, payload):
    page = f"/admin/products/{w.ids['product']}"
    res = _form(w, page, f"{page}/keywords", {"term": payload, "needs_context": "no"})
    assert res.status_code == 302
    with w.db.transaction(w.ids["shop"]) as s:
        terms = set(s.scalars(select(ProductKeyword.term)))
    html = w.client.get(page).get_data(as_text=True)
    normal = normalize(payload)  # keywords are matched on folded words: what is stored
    assert terms == {normal}, terms
    shown_escaped(html, normal)
    return "stored as its folded words, shown escaped"


def _reply_template(w, payload):
    res = _form(w, "/admin/settings/replies", "/admin/settings/replies/templates",
                {"key": "en/question_general.public", "text": f"Hi! {payload}"})
    with w.db.transaction() as s:
        saved = (s.get(Shop, w.ids["shop"]).settings or {}).get("reply_templates", {})
    if res.status_code == 400:
        assert not saved, "a refused template must not be saved"
        return "refused (400)"
    assert res.status_code == 302 and saved["en/question_general.public"] == f"Hi! {payload}"
    html = w.client.get("/admin/settings/replies").get_data(as_text=True)
    shown_escaped(html, f"Hi! {payload}")
    return "stored literally, shown escaped"


def _faq(w, payload):
    res = _form(w, "/admin/settings", "/admin/settings/faq",
                {"keywords": "roast, tostatura", "en": f"We roast daily {payload}"})
    assert res.status_code == 302
    html = w.client.get("/admin/settings").get_data(as_text=True)
    shown_escaped(html, f"We roast daily {payload}")
    draft = _question_draft(w, "How often do you roast your beans?")
    assert f"We roast daily {payload}" in draft, "the FAQ answer is put in the reply as text"
    return "stored literally, shown escaped, put in drafts as text (not evaluated)"


def _question_draft(w, text: str) -> str:
    case_id = _ingest(w, text, handle="luca", name="Luca")
    with w.db.transaction(w.ids["shop"]) as s:
        messages = s.scalars(select(Message).where(Message.case_id == case_id)).all()
        assert messages, "no draft for the question"
        return " ".join(m.text for m in messages)


def _support_email(w, payload):
    res = _form(w, "/admin/settings/replies", "/admin/settings/replies",
                {"sla_hours": "4", "support_email": f"help{payload}@brace.example"})
    with w.db.transaction() as s:
        saved = (s.get(Shop, w.ids["shop"]).settings or {}).get("support_email")
    if res.status_code == 400:
        assert saved is None
        return "refused (400)"
    assert res.status_code == 302 and saved == f"help{payload}@brace.example"
    shown_escaped(w.client.get("/admin/settings/replies").get_data(as_text=True), saved)
    return "stored literally, shown escaped"


def _digest_recipient(w, payload):
    address = f"owner{payload}@brace.example"
    res = _form(w, "/admin/digest", "/admin/digest",
                {"recipients": address, "hour": "8", "language": "en", "quiet": "skip"})
    from arrosto.models import DigestRecipient

    with w.db.transaction(w.ids["shop"]) as s:
        saved = s.scalars(select(DigestRecipient.email)).all()
    if res.status_code == 400:
        assert saved == []
        return "refused (400)"
    assert res.status_code == 302, res.status_code
    assert saved == [address.lower()]
    shown_escaped(w.client.get("/admin/digest").get_data(as_text=True), address.lower())
    return "stored literally, shown escaped"


def _digest_hour(w, payload):
    res = _form(w, "/admin/digest", "/admin/digest",
                {"recipients": "", "hour": payload, "language": "en", "quiet": "skip"})
    assert res.status_code == 400
    return "refused (400)"


def _account_handle(w, payload):
    with w.db.transaction(w.ids["shop"]) as s:
        s.add(SocialAccount(network="mastodon", handle=f"brace{payload}@mastodon.example",
                            instance_url="https://mastodon.example",
                            display_name=f"Brace {payload}"))
    html = w.client.get("/admin/accounts").get_data(as_text=True)
    shown_escaped(html, f"brace{payload}@mastodon.example")
    return "shown escaped"


OWNER_FIELDS = {"keyword": _keyword, "reply-template": _reply_template, "faq-answer": _faq,
                "support-email": _support_email, "digest-recipient": _digest_recipient,
                "digest-hour": _digest_hour, "account-handle": _account_handle}

# what each owner field does with every injection: refused (4xx) or neutralised, and how
OWNER_OUTCOMES = {
    "keyword": "stored as its folded words, shown escaped",
    "reply-template": "stored literally, shown escaped",  # evaluated only in the sandbox
    "faq-answer": "stored literally, shown escaped, put in drafts as text (not evaluated)",
    "support-email": "refused (400)",  # not an e-mail address
    "digest-recipient": "refused (400)",
    "digest-hour": "refused (400)",  # not a number from 0 to 23
    "account-handle": "shown escaped",
}
OWNER_EXCEPTIONS: dict[tuple[str, str], str] = {}  # none: every field refuses or neutralises


@pytest.mark.parametrize("payload", list(INJECTIONS))
@pytest.mark.parametrize("field", list(OWNER_FIELDS))
def test_owner_field_injection(world, field, payload):
    outcome = OWNER_FIELDS[field](world, INJECTIONS[payload])
    assert outcome == OWNER_EXCEPTIONS.get((field, payload), OWNER_OUTCOMES[field])
    assert _count(world.db, Product) == 1  # the SQL was data, nothing dropped


def test_a_template_that_reaches_for_the_config_is_refused(world):
    """The reply templates are Jinja in a sandbox: reaching for the app's config, globals or
    Python internals is refused (400) and nothing is saved; 7*7 evaluates to 49 there by
    design, in a reply the owner approves."""
    for attack in ("{{ config }}", "{{ config.SECRET_KEY }}", "{{ self.__init__.__globals__ }}",
                   "{{ ''.__class__.__mro__[1].__subclasses__() }}",
                   "{{ cycler.__init__.__globals__.os }}", "{{ lipsum.__globals__ }}",
                   "{% for x in range(10**9) %}{% endfor %}"):
        assert _reply_template(world, attack) == "refused (400)", attack
    page = _form(world, "/admin/settings/replies", "/admin/settings/replies/preview",
                 {"key": "en/question_general.public", "text": "Sum: {{ 7*7 }}"})
    assert "Sum: 49" in page.get_data(as_text=True)


# --- injection in what a social post carries -----------------------------------------------------

def _ingest(w, text: str, *, handle: str, name: str, intent_hint: str = "") -> int:
    """A post through the real pipeline (match, classify, case, drafts); returns its case."""
    shop_id = w.ids["shop"]
    post = PostData(network="mastodon", external_id=f"p{abs(hash((text, handle)))}",
                    author_id=f"a{abs(hash(handle))}", author_handle=handle, author_name=name,
                    text=text, created_at=utcnow() - dt.timedelta(minutes=5), lang="en",
                    addresses_shop=True)
    with w.db.transaction(shop_id) as s:
        result = store_posts(s, s.get(Shop, shop_id), [post], source="mention")
    process_new_posts(w.db, shop_id, result.new_ids, settings=w.app.config["ARROSTO"])
    with w.db.transaction(shop_id) as s:
        case_id = s.scalar(select(Post.case_id).where(Post.id == result.new_ids[0]))
    assert case_id is not None, f"no case for {text!r}"
    return case_id


POST_FIELDS = ["text", "author_handle", "author_name"]


@pytest.mark.parametrize("payload", list(INJECTIONS))
@pytest.mark.parametrize("field", POST_FIELDS)
def test_social_post_injection_is_neutralised(world, field, payload):
    """Stored literally; escaped in the inbox, the case page, the posts page and the digest
    preview; never evaluated in drafts."""
    value = INJECTIONS[payload]
    text = "My order never arrived, really disappointed, where is my parcel?"
    fields = {"text": text, "handle": "giulia_o", "name": "Giulia O."}
    key = {"text": "text", "author_handle": "handle", "author_name": "name"}[field]
    fields[key] = f"{fields[key]} {value}" if field != "author_handle" else f"giulia{value}"
    case_id = _ingest(world, fields["text"], handle=fields["handle"], name=fields["name"])
    shown = fields[key]
    with world.db.transaction(world.ids["shop"]) as s:
        stored = s.scalar(select(getattr(Post, field)).where(Post.case_id == case_id))
        assert stored == shown, "stored literally"
        drafts = [m.text for m in s.scalars(select(Message).where(Message.case_id == case_id))]
        case = s.get(Case, case_id)
    assert drafts, "the complaint got its drafts"
    for draft in drafts:
        assert not re.search(r"(?<![\w.-])49(?![\w.-])", draft), "7*7 was evaluated"
        assert "config" not in draft.lower() and "<script" not in draft
    pages = {"inbox": "/admin/inbox", "case": f"/admin/cases/{case_id}"}
    if field == "text":
        pages["posts"] = "/admin/posts"
    for name, url in pages.items():
        res = world.client.get(url)
        assert res.status_code == 200, name
        html = res.get_data(as_text=True)
        if name == "inbox" and field == "text":
            continue  # the inbox lists authors, not whole posts
        shown_escaped(html, shown)
    digest = world.client.get("/admin/digest/preview").get_data(as_text=True)
    assert SCRIPT not in digest and "SECRET_KEY" not in digest
    assert case.author_handle == (fields["handle"])
