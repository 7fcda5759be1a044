"""Issue 17 §4: a redaction is final.

After ``customers/redact`` a later ``orders/updated`` for the customer's order put their name,
e-mail and postcode back (only ``upsert_customers`` looked at the redaction), a reconciliation
against a WooCommerce store that still holds the data did the same, and a delivery still waiting
to be processed kept the e-mail. Each way back in is tried here after an erasure, and then every
stored value of every table (webhook bodies included) is searched for the customer's details.
"""
from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path

import pytest
import responses
from sqlalchemy import LargeBinary, select

from arrosto.models import Base, Customer, DataExport, Order, Redaction, WebhookDelivery
from arrosto.privacy import redact_customer
from arrosto.shops.deliveries import process_delivery
from arrosto.shops.reconcile import reconcile_shop
from arrosto.shops.shopify import ShopifyShop
from arrosto.shops.sync import sync_resource

from ..factories import make_shop
from ..shops.shopify_fake import FakeShopify, customer_node, order_node
from ..shops.woocommerce_store import (
    HOOK_SECRET,
    KEY,
    SECRET,
    STORE,
    WebhookEndpoint,
    load,
    our_hooks,
    serve_list,
)

SHOPIFY = Path(__file__).resolve().parent.parent / "fixtures" / "shopify"
DOMAIN = "caffe-rossi.myshopify.com"


def shopify_fixture(name: str) -> dict:
    data = json.loads((SHOPIFY / name).read_text(encoding="utf-8"))
    return next(iter(data.values())) if name.startswith("rest/") else data


ORDER = shopify_fixture("rest/order.json")          # Bob Norman's order 450789469
CUSTOMER = shopify_fixture("rest/customer.json")    # Bob Norman, customer 207119551
BOB = ["bob.norman@hostmail.com", "Bob Norman", "Norman", "40202", "Chestnut Street",
       "555-625-1199"]


def later(payload: dict, stamp: str = "2030-01-01T10:00:00-05:00", **changes) -> dict:
    """The same record as the platform sends it again later (a newer ``updated_at``)."""
    return {**copy.deepcopy(payload), "updated_at": stamp, **changes}


def redact_body(customer_id, email, orders) -> dict:
    body = shopify_fixture("webhooks/customers_redact.json")
    return {**body, "shop_domain": DOMAIN,
            "customer": {**body["customer"], "id": customer_id, "email": email},
            "orders_to_redact": orders}


def store(db, shop_id: int, platform: str, topic: str, payload) -> int:
    """A verified delivery as the receiver stores it, waiting for the worker."""
    with db.transaction() as s:
        row = WebhookDelivery(platform=platform, delivery_id=uuid.uuid4().hex, topic=topic,
                              shop_domain=DOMAIN if platform == "shopify" else None,
                              headers={"Content-Type": "application/json"},
                              body=json.dumps(payload).encode(), shop_id=shop_id)
        s.add(row)
        s.flush()
        return row.id


def deliver(db, shop_id: int, platform: str, topic: str, payload) -> str:
    return process_delivery(db, store(db, shop_id, platform, topic, payload))


def leftovers(db, needles: list[str]) -> list[tuple[str, str, str]]:
    """Every stored value of every table, bytes and JSON included, holding one of ``needles``
    (in any case): (table, column, needle)."""
    found = []
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                for column, value in row.items():
                    if value is None:
                        continue
                    if isinstance(table.c[column].type, LargeBinary):
                        text = bytes(value).decode("utf-8", "replace")
                    elif isinstance(value, dict | list):
                        text = json.dumps(value, ensure_ascii=False)
                    else:
                        text = str(value)
                    found.extend((table.name, column, n) for n in needles
                                 if n.lower() in text.lower())
    return found


def order_row(db, shop_id: int, external_id: str) -> Order:
    with db.transaction(shop_id) as s:
        return s.scalar(select(Order).where(Order.external_id == external_id))


def customer_rows(db, shop_id: int) -> list[Customer]:
    with db.transaction(shop_id) as s:
        return list(s.scalars(select(Customer).order_by(Customer.id)))


@pytest.fixture
def shopify(db) -> int:
    """A Shopify shop that has Bob's order and customer record, and a data export of him."""
    shop_id = make_shop(db, DOMAIN)
    assert deliver(db, shop_id, "shopify", "customers/update", CUSTOMER) == "processed"
    assert deliver(db, shop_id, "shopify", "orders/create", ORDER) == "processed"
    assert deliver(db, shop_id, "shopify", "customers/data_request", {
        "shop_domain": DOMAIN, "customer": {"id": CUSTOMER["id"], "email": CUSTOMER["email"]},
        "orders_requested": [ORDER["id"]], "data_request": {"id": 9001}}) == "processed"
    assert order_row(db, shop_id, str(ORDER["id"])).email == "bob.norman@hostmail.com"
    return shop_id


def redact_bob(db, shop_id: int) -> None:
    assert deliver(db, shop_id, "shopify", "customers/redact", redact_body(
        CUSTOMER["id"], CUSTOMER["email"], [ORDER["id"]])) == "processed"


# --- webhooks after the redaction ---------------------------------------------------------------

def test_orders_updated_after_the_redaction_restores_nothing(db, shopify):
    redact_bob(db, shopify)
    assert leftovers(db, BOB) == []
    again = later(ORDER, financial_status="paid")
    assert deliver(db, shopify, "shopify", "orders/updated", again) == "processed"
    order = order_row(db, shopify, str(ORDER["id"]))
    assert order.financial_status == "paid"  # the order's own news still applies
    assert (order.email, order.shipping_name, order.shipping_postcode, order.shipping_city) == \
        (None, None, None, None)
    assert leftovers(db, BOB) == []


def test_orders_create_under_the_redacted_customer_stores_no_personal_data(db, shopify):
    """Another order of the erased customer (by their id, or as a guest with their e-mail)."""
    redact_bob(db, shopify)
    by_id = later(ORDER, id=450789470, name="#1002", order_number=1002)
    guest = later(ORDER, id=450789471, name="#1003", order_number=1003, customer=None)
    for body in (by_id, guest):
        assert deliver(db, shopify, "shopify", "orders/create", body) == "processed"
    assert order_row(db, shopify, "450789471").total_price == order_row(
        db, shopify, str(ORDER["id"])).total_price
    assert leftovers(db, BOB) == []


def test_customers_update_after_the_redaction_restores_nothing(db, shopify):
    redact_bob(db, shopify)
    assert deliver(db, shopify, "shopify", "customers/update", later(CUSTOMER)) == "processed"
    [bob] = customer_rows(db, shopify)
    assert bob.redacted_at is not None and bob.email is None and bob.last_name is None
    assert leftovers(db, BOB) == []


def test_a_redacted_customer_never_seen_before_is_not_stored_when_they_arrive(db):
    """``customers/redact`` for someone not synced yet, then their records come: the
    redaction is remembered by their id and e-mail, not only on a row that did not exist."""
    shop_id = make_shop(db, DOMAIN)
    redact_bob(db, shop_id)
    assert deliver(db, shop_id, "shopify", "customers/update", CUSTOMER) == "processed"
    assert deliver(db, shop_id, "shopify", "orders/create", ORDER) == "processed"
    # and again under a new customer id with the same e-mail (deleted and signed up again)
    reborn = later(CUSTOMER, id=207119999, email="Bob.Norman@Hostmail.com")
    assert deliver(db, shop_id, "shopify", "customers/update", reborn) == "processed"
    assert [c.redacted_at is not None for c in customer_rows(db, shop_id)] == [True, True]
    assert leftovers(db, BOB) == []


def test_woocommerce_order_and_customer_webhooks_after_an_erasure(db):
    shop_id = make_shop(db, "shop.example.com", platform="woocommerce", store_url=STORE,
                        api_key=KEY, api_secret=SECRET, webhook_secret=HOOK_SECRET)
    order = load("_orders.md__01_retrieve-an-order.json")
    customer = load("_customers.md__01_retrieve-a-customer.json")
    order["customer_id"] = customer["id"]
    assert deliver(db, shop_id, "woocommerce", "customer.created", customer) == "processed"
    assert deliver(db, shop_id, "woocommerce", "order.created", order) == "processed"
    john = ["john.doe@example.com", "Doe", "94103", "969 Market", "(555) 555-5555"]
    assert leftovers(db, john)
    with db.transaction(shop_id) as s:  # the owner erases John (admin → Privacy)
        assert redact_customer(s, str(customer["id"]), "john.doe@example.com") == 1
    assert leftovers(db, john) == []
    newer = "2030-01-01T10:00:00"
    assert deliver(db, shop_id, "woocommerce", "order.updated",
                   {**order, "status": "completed", "date_modified_gmt": newer}) == "processed"
    assert deliver(db, shop_id, "woocommerce", "customer.updated",
                   {**customer, "date_modified_gmt": newer}) == "processed"
    assert order_row(db, shop_id, str(order["id"])).fulfillment_status is not None
    assert leftovers(db, john) == []


# --- sync and reconciliation after the redaction --------------------------------------------------

def test_a_shopify_sync_after_the_redaction_restores_nothing(db, make_app, allow_loopback):
    cfg = make_app(shopify_api_key="arrosto-client-id",
                   shopify_api_secret="current-app-secret-0123456789abcdef").config["ARROSTO"]
    giulia = ["cliente0@example.com", "Bianchi 0", "BRT000000"]  # hers alone (the fake's
    # customers share a city and postcode; those of her order are checked on the row)
    with FakeShopify() as fake:
        shop_id = make_shop(db, DOMAIN, access_token=fake.token)
        with db.transaction() as s:
            from arrosto.models import Shop

            platform = ShopifyShop(s.get(Shop, shop_id), db=db, settings=cfg,
                                   base_url=fake.url, sleep=lambda _: None)
        fake.customers = [customer_node(0), customer_node(1)]
        fake.orders = [order_node(0), order_node(1)]
        for resource in ("customers", "orders"):
            sync_resource(db, shop_id, platform, resource)
        assert leftovers(db, giulia)
        assert deliver(db, shop_id, "shopify", "customers/redact", redact_body(
            7000, "cliente0@example.com", [5000])) == "processed"
        assert leftovers(db, giulia) == []
        # the store still holds her: a later change brings her records back to the sync
        fake.customers = [customer_node(0, updated_at="2030-01-01T10:00:00Z"), customer_node(1)]
        fake.orders = [order_node(0, updated_at="2030-01-01T10:00:00Z"), order_node(1)]
        for resource in ("customers", "orders"):
            assert sync_resource(db, shop_id, platform, resource).items >= 1
    assert leftovers(db, giulia) == []
    hers, theirs = order_row(db, shop_id, "5000"), order_row(db, shop_id, "5001")
    assert (hers.shipping_name, hers.shipping_postcode, hers.shipping_city) == (None, None, None)
    assert (theirs.shipping_name, theirs.shipping_postcode) == ("Giulia Bianchi", "10121")
    with db.transaction(shop_id) as s:  # the other customer is untouched
        assert s.scalar(select(Customer.email).where(Customer.external_id == "7001")) == \
            "cliente1@example.com"


def test_a_woocommerce_reconciliation_after_an_erasure_restores_nothing(db):
    shop_id = make_shop(db, "shop.example.com", platform="woocommerce", store_url=STORE,
                        api_key=KEY, api_secret=SECRET, webhook_secret=HOOK_SECRET)
    customers = load("_customers.md__02_list-all-customers.json")
    orders = load("_orders.md__02_list-all-orders.json")
    joao = ["joao.silva@example.com", "Silva", "12345-000", "Av. Brasil", "(55) 5555-5555"]

    def reconcile():
        hooks = our_hooks()
        for hook in hooks:
            hook["delivery_url"] = f"https://arrosto.example.com/webhooks/woocommerce/{shop_id}"
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            serve_list(rsps, "products", [])
            serve_list(rsps, "customers", customers)
            serve_list(rsps, "orders", orders)
            WebhookEndpoint(hooks).install(rsps)
            reconcile_shop(db, shop_id, "https://arrosto.example.com")

    reconcile()
    assert leftovers(db, joao)
    with db.transaction(shop_id) as s:
        assert redact_customer(s, "26", "joao.silva@example.com") == 1
    assert leftovers(db, joao) == []
    for row in (*customers, *orders):  # the store changed them since: the next run reads them
        row["date_modified_gmt"] = "2030-01-01T10:00:00"
        row["status"] = "completed"
    reconcile()
    assert leftovers(db, joao) == []
    assert order_row(db, shop_id, "723").fulfillment_status == "fulfilled"  # it was re-read
    with db.transaction(shop_id) as s:
        assert s.scalar(select(Customer.email).where(Customer.external_id == "25")) == \
            "john.doe@example.com"
        assert s.scalar(select(Order.total_price).where(Order.external_id == "723")) > 0


# --- what was stored before the redaction ---------------------------------------------------------

def test_a_waiting_delivery_keeps_no_personal_data_and_still_applies(db, shopify):
    """An ``orders/updated`` stored but not yet processed when the redaction runs: after the
    redact job no row of any table holds Bob's e-mail or details; processed later, the
    delivery still brings the order's own news, without him."""
    waiting = store(db, shopify, "shopify", "orders/updated",
                    later(ORDER, financial_status="refunded"))
    failed = store(db, shopify, "shopify", "orders/updated", {"note": CUSTOMER["email"]})
    with db.transaction() as s:
        s.get(WebhookDelivery, failed).error = f"KeyError: 'id' in note {CUSTOMER['email']!r}"
        s.get(WebhookDelivery, failed).state = "failed"
    redact_bob(db, shopify)
    assert leftovers(db, BOB) == []
    with db.transaction(shopify) as s:
        assert s.scalar(select(DataExport)) is None
        assert {r.kind for r in s.scalars(select(Redaction))} >= {"customer", "order", "email"}
    assert process_delivery(db, waiting) == "processed"
    order = order_row(db, shopify, str(ORDER["id"]))
    assert order.financial_status == "refunded" and order.email is None
    assert leftovers(db, BOB) == []


def test_redacting_twice_is_harmless(db, shopify):
    redact_bob(db, shopify)
    redact_bob(db, shopify)
    with db.transaction(shopify) as s:
        keys = [(r.kind, r.ref) for r in s.scalars(select(Redaction))]
    assert len(keys) == len(set(keys))
    assert leftovers(db, BOB) == []
