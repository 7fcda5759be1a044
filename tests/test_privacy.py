"""Privacy: after erasing a customer, none of their personal data remains anywhere."""
from __future__ import annotations

from sqlalchemy import String, Text, select

from arrosto.models import Base, Customer, DataExport, JSONType, Order, Shop
from arrosto.privacy import export_customer, redact_customer, uninstall

from .factories import make_shop, populate_shop

PII = ["A@example.com", "Ludovica", "h_A", "Via Roma 1", "+39 333 1234567", "20121"]


def add_personal_details(db, shop_id):
    with db.transaction(shop_id) as s:
        customer = s.scalar(select(Customer))
        customer.email = "A@example.com"
        customer.first_name = "Ludovica"
        customer.phone = "+39 333 1234567"
        customer.postcode = "20121"
        customer.city = "Via Roma 1"
        order = s.scalar(select(Order))
        order.email = "A@example.com"
        order.shipping_name = "Ludovica A"
        order.shipping_postcode = "20121"
        return customer.external_id


def text_values(db):
    """Every text-like value in every table, as (table, column, value)."""
    out = []
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            cols = [c.name for c in table.columns
                    if isinstance(c.type, String | Text) or c.type is JSONType
                    or type(c.type).__name__ in ("JSON", "Variant")]
            if not cols:
                continue
            for row in conn.execute(select(*(table.c[c] for c in cols))).mappings():
                out.extend((table.name, col, str(val)) for col, val in row.items()
                           if val is not None)
    return out


def test_customer_redact_leaves_no_personal_data(db):
    a = make_shop(db, "a.myshopify.com")
    b = make_shop(db, "b.myshopify.com")
    populate_shop(db, a, "A")
    populate_shop(db, b, "B")
    external_id = add_personal_details(db, a)
    before = text_values(db)
    assert any("A@example.com" in v for _, _, v in before)
    with db.transaction(a) as s:
        assert redact_customer(s, external_id, "A@example.com") == 1
    leftovers = [(t, c, v) for t, c, v in text_values(db) for needle in PII
                 if needle.lower() in v.lower()]
    assert leftovers == [], leftovers
    # the other shop's customer is untouched
    with db.transaction(b) as s:
        assert s.scalar(select(Customer)).email == "B@example.com"
    # the order stays for the shop's books, without personal data
    with db.transaction(a) as s:
        order = s.scalar(select(Order))
        assert order.name == "#A" and order.email is None and order.shipping_name is None


def test_data_request_gathers_everything_once(db):
    a = make_shop(db, "a.myshopify.com")
    populate_shop(db, a, "A")
    external_id = add_personal_details(db, a)
    with db.transaction(a) as s:
        first = export_customer(s, "req-1", external_id, None)
        data = first.data
    assert data["customers"][0]["email"] == "A@example.com"
    assert data["orders"][0]["name"] == "#A"
    assert data["social_identities"] == [{"network": "x", "handle": "h_A",
                                          "verified_by": "owner"}]
    assert data["posts"][0]["text"] == "where is my order A"
    with db.transaction(a) as s:
        again = export_customer(s, "req-1", external_id, None)
        assert again.id == first.id
        assert s.scalar(select(DataExport.id).where(DataExport.request_key == "req-1")) \
            == first.id


def test_uninstall_forgets_credentials_at_once(db):
    shop_id = make_shop(db, "a.myshopify.com", access_token="shpat_" + "a" * 32,
                        refresh_token="shprt_" + "b" * 32)
    with db.transaction() as s:
        uninstall(s.get(Shop, shop_id))
    with db.transaction() as s:
        shop = s.get(Shop, shop_id)
        assert shop.status == "uninstalled" and shop.access_token is None
        assert shop.refresh_token is None and shop.uninstalled_at is not None
