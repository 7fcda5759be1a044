"""Secrets and personal data never reach the logs.

The demo loads, a burst of webhook deliveries arrives (good, forged, broken, replayed), the owner
signs in and a support reply with the order's details is sent, all with logging at DEBUG. Then
every log line is scanned for the tokens and secrets used in the run, the app's secret key, and
the customers' e-mail addresses, names, street addresses, phone numbers and order totals. Two
scans: what the log handler writes (after :mod:`arrosto.logs` masks what slipped through), and
what the code asked to log before any masking — the code must not log these in the first place.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import io
import json
import logging
import re
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from arrosto import logs
from arrosto.access import create_login_token
from arrosto.demo import load_demo
from arrosto.models import Case, Customer, Message, Order, Post, Shop, SocialAccount
from arrosto.outbox.send import approve, send_message
from arrosto.shops.demo import data_file
from arrosto.support.cases import attend

from ..conftest import SECRET
from ..promotions.people import Recorder

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
APP_SECRET = "shpss_0123456789abcdef0123456789abcdef"
ACCESS_TOKEN = "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"
WOO_KEY, WOO_SECRET = "ck_" + "4b" * 20, "cs_" + "5c" * 20
WEBHOOK_SECRET = "whsec-log-scan-0123456789"
MASTODON_TOKEN = "mastodon-access-token-Zk3Q9v7T"
DOMAIN = "log-scan.myshopify.com"

PATTERNS = {  # what a secret or an address looks like, whatever its value
    "e-mail address": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}"),
    "Shopify token": re.compile(r"\bshp(?:at|ca|pa|ss|rt)_[0-9a-fA-F]{16,}"),
    "WooCommerce key": re.compile(r"\b(?:ck|cs)_[0-9a-fA-F]{20,}"),
    "bearer credential": re.compile(r"(?i)\bbearer\s+(?!<redacted>)\S{8,}"),
    "JWT": re.compile(r"\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}"),
}


class RawRecords(logging.Handler):
    """Every record as the code logged it, before the redacting filter rewrites it."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: scan what there is
            text = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.extend(f"{record.name}: {line}" for line in text.splitlines())


@pytest.fixture
def captured(make_app):
    app = make_app(shopify_api_key="log-scan-key", shopify_api_secret=APP_SECRET,
                   log_level="DEBUG")
    logs.configure("DEBUG", "text")
    root = logging.getLogger()
    handler = next(h for h in root.handlers if getattr(h, "_arrosto", False))
    written = io.StringIO()
    handler.setStream(written)
    raw = RawRecords()
    root.handlers.insert(0, raw)  # first: sees each record before the filter masks it
    yield app, written, raw
    root.removeHandler(raw)
    logs.configure("WARNING", "text")


def _shopify(client, body: bytes, topic: str, delivery: str, secret: str = APP_SECRET):
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return client.post("/webhooks/shopify", data=body, headers={
        "X-Shopify-Hmac-Sha256": digest.decode(), "X-Shopify-Topic": topic,
        "X-Shopify-Webhook-Id": delivery, "X-Shopify-Shop-Domain": DOMAIN,
        "Content-Type": "application/json"})


def _woo(client, shop_id: int, body: bytes, topic: str, delivery: str):
    digest = base64.b64encode(hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).digest())
    return client.post(f"/webhooks/woocommerce/{shop_id}", data=body, headers={
        "X-WC-Webhook-Signature": digest.decode(), "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Delivery-ID": delivery, "X-WC-Webhook-Source": "https://woo.example/",
        "Content-Type": "application/json"})


def _webhook_burst(app, client) -> list[dict]:
    """Orders and customers, signed, forged, broken and replayed; returns the payloads."""
    db = app.extensions["arrosto.db"]
    with db.transaction() as s:
        shop = Shop(platform="shopify", domain=DOMAIN, name="Log Scan", access_token=ACCESS_TOKEN)
        woo = Shop(platform="woocommerce", domain="woo.example", store_url="https://woo.example",
                   webhook_secret=WEBHOOK_SECRET, api_key=WOO_KEY, api_secret=WOO_SECRET)
        s.add_all([shop, woo])
        s.flush()
        woo_id = woo.id
    order = json.loads((FIXTURES / "shopify/rest/order.json").read_text())["order"]
    customer = json.loads((FIXTURES / "shopify/rest/customer.json").read_text())["customer"]
    woo_order = json.loads(
        (FIXTURES / "woocommerce/_orders.md__01_retrieve-an-order.json").read_text())
    sent = [order, customer, woo_order]
    for n in range(12):
        body = json.dumps({**order, "id": 450789469 + n, "name": f"#{1001 + n}"}).encode()
        assert _shopify(client, body, "orders/create", f"o-{n}").status_code == 200
        assert _shopify(client, body, "orders/create", f"o-{n}").status_code == 200  # replay
    assert _shopify(client, json.dumps(customer).encode(), "customers/create",
                    "c-1").status_code == 200
    broken = json.dumps({**order, "created_at": "not a date " + order["email"]}).encode()
    assert _shopify(client, broken, "orders/updated", "broken-1").status_code == 200
    bad_type = json.dumps({**order, "email": [order["email"]]}).encode()
    assert _shopify(client, bad_type, "orders/updated", "broken-2").status_code == 200
    assert _shopify(client, b'{"email": "' + order["email"].encode() + b'"',
                    "orders/create", "broken-3").status_code == 200
    assert _shopify(client, json.dumps(order).encode(), "orders/create", "forged",
                    secret="wrong").status_code == 401
    assert _woo(client, woo_id, json.dumps(woo_order).encode(), "order.created",
                "w-1").status_code == 200
    return sent


def _support_send(app) -> dict:
    """A linked complaint, its public reply and the private one with the order, sent."""
    db = app.extensions["arrosto.db"]
    settings = app.config["ARROSTO"]
    now = dt.datetime.now(dt.UTC)
    with db.transaction() as s:
        shop = Shop(platform="shopify", domain="support-scan.myshopify.com", name="Brace",
                    language="en")
        s.add(shop)
        s.flush()
        shop_id = shop.id
    person = {"first_name": "Ottavia", "last_name": "Quercioli",
              "email": "ottavia.quercioli@example.it", "phone": "+39 347 555 0199",
              "total": "87.45", "city": "Castelnuovo di Garfagnana"}
    with db.transaction(shop_id) as s:
        account = SocialAccount(network="mastodon", handle="brace@mastodon.example",
                                instance_url="https://mastodon.example",
                                credentials=json.dumps({"access_token": MASTODON_TOKEN}))
        customer = Customer(external_id="c-ot", first_name=person["first_name"],
                            last_name=person["last_name"], email=person["email"],
                            phone=person["phone"], city=person["city"])
        s.add_all([account, customer])
        s.flush()
        order = Order(external_id="o-ot", name="#7781", number=7781, customer_id=customer.id,
                      email=person["email"], total_price=Decimal(person["total"]),
                      shipping_name=f"{person['first_name']} {person['last_name']}",
                      shipping_city=person["city"], created_at=now - dt.timedelta(days=6))
        s.add(order)
        s.flush()
        case = Case(network="mastodon", author_id="4242", author_handle="ottavia@mastodon.example",
                    thread_key="scan-1", intent="complaint", lang="en", addresses_shop=True,
                    opened_at=now, last_message_at=now, order_id=order.id,
                    customer_id=customer.id)
        s.add(case)
        s.flush()
        s.add(Post(network="mastodon", external_id="scan-post", author_id="4242",
                   author_handle="ottavia@mastodon.example", text="Order 7781 still not here!",
                   created_at=now, case_id=case.id, intent="complaint", addresses_shop=True,
                   social_account_id=account.id, source="mention"))
        s.flush()
        attend(s, s.get(Shop, shop_id), [case])
        messages = s.scalars(select(Message).where(Message.case_id == case.id)).all()
        for m in messages:
            approve(s, m, text=m.text)
        ids = [m.id for m in messages]
    network = Recorder()
    for message_id in ids:
        send_message(db, settings, message_id, network=network, now=now)
    assert network.calls, "the replies were sent"
    return person


def _needles(app, sent_payloads: list[dict], person: dict, login_token: str) -> dict[str, str]:
    """Every value that must never be logged, named."""
    found = {"app secret": APP_SECRET, "Shopify access token": ACCESS_TOKEN,
             "WooCommerce key": WOO_KEY, "WooCommerce secret": WOO_SECRET,
             "webhook secret": WEBHOOK_SECRET, "Mastodon token": MASTODON_TOKEN,
             "secret key": SECRET, "login token": login_token,
             "session key": app.config["SECRET_KEY"]}
    for key, value in person.items():
        found[f"support customer's {key}"] = value
    order, customer, woo = sent_payloads
    address = order.get("shipping_address") or {}
    for label, value in (("order e-mail", order.get("email")),
                         ("order phone", order.get("phone")),
                         ("shipping name", address.get("name")),
                         ("shipping street", address.get("address1")),
                         ("shipping phone", address.get("phone")),
                         ("customer e-mail", customer.get("email")),
                         ("customer phone", customer.get("phone")),
                         ("customer name",
                          f"{customer.get('first_name')} {customer.get('last_name')}"),
                         ("woo e-mail", (woo.get("billing") or {}).get("email")),
                         ("woo street", (woo.get("billing") or {}).get("address_1")),
                         ("woo phone", (woo.get("billing") or {}).get("phone"))):
        if value and len(str(value)) >= 6:
            found[label] = str(value)
    demo_customers = data_file("customers.json")
    for c in demo_customers:
        name = f"{c.get('first_name')} {c.get('last_name')}"
        for label, value in (("demo e-mail", c.get("email")), ("demo phone", c.get("phone")),
                             ("demo name", name)):
            if value and len(value) >= 6:
                found[f"{label} {value}"] = value
    return found


def _scan(lines: list[str], needles: dict[str, str]) -> list[str]:
    hits = []
    for n, line in enumerate(lines, 1):
        lowered = line.lower()
        for label, value in needles.items():
            if value.lower() in lowered:
                hits.append(f"line {n}: {label} in {line[:200]!r}")
        for label, pattern in PATTERNS.items():
            match = pattern.search(line)
            if match:
                hits.append(f"line {n}: {label} {match.group(0)!r} in {line[:200]!r}")
    return hits


def test_no_secret_or_personal_data_in_the_logs(captured, tmp_path):
    app, written, raw = captured
    db = app.extensions["arrosto.db"]
    client = app.test_client()
    demo = load_demo(db, tmp_path)
    token = create_login_token(db, demo.shop_id)
    assert client.get(f"/admin/login/{token}").status_code == 302
    assert client.get("/admin/orders").status_code == 200
    sent = _webhook_burst(app, client)
    person = _support_send(app)

    needles = _needles(app, sent, person, token)
    output = written.getvalue().splitlines()
    # the capture works: the run's own lines are there, from each part that was exercised
    for part in ("arrosto.shops.sync", "arrosto.shops.deliveries", "arrosto.web.webhooks",
                 "arrosto.outbox.send"):
        assert any(line.startswith(part) for line in raw.lines), f"nothing logged by {part}"
        assert any(part in line for line in output), f"{part} is not in the log output"
    hits = _scan(output, needles)
    assert not hits, "in the log output:\n" + "\n".join(hits[:40])
    hits = _scan(raw.lines, needles)
    assert not hits, "logged by the code (masked only by the filter):\n" + "\n".join(hits[:40])


def test_the_scan_finds_what_it_looks_for():
    """The scanner itself: each kind of leak in a line is found and named."""
    needles = {"customer name": "Ottavia Quercioli"}
    lines = ["arrosto.x: synced 3 orders", "arrosto.x: hello ottavia quercioli",
             "arrosto.x: token shpat_0123456789abcdef0123 for a@b.example",
             "arrosto.x: Authorization: Bearer abcdefghijkl", f"arrosto.x: {WOO_KEY}"]
    hits = _scan(lines, needles)
    assert not any(h.startswith("line 1:") for h in hits)
    for n, kind in ((2, "customer name"), (3, "Shopify token"), (3, "e-mail address"),
                    (4, "bearer credential"), (5, "WooCommerce key")):
        assert any(h.startswith(f"line {n}: {kind}") for h in hits), (n, kind, hits)
