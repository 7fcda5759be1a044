"""Writing a synthetic shop to the database through the models, so that the real database path
can be measured too."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import insert, text

from arrosto.db import Database
from arrosto.models import (
    Customer,
    Fulfillment,
    Order,
    OrderLine,
    Post,
    Product,
    Shop,
    SocialIdentity,
)

from .model import SyntheticComplaint, SyntheticShop

# --- writing a synthetic shop to the database -----------------------------------------------------

def write_shop(db: Database, shop: SyntheticShop, *, domain: str | None = None,
               batch: int = 5000) -> int:
    """Store the shop's catalog, customers, orders and identities through the models (bulk
    inserts in a shop-scoped session); returns the new shop's id. Row ids are the synthetic
    ones, so the ground truth holds in the database."""
    with db.transaction() as s:
        row = Shop(platform="demo", domain=domain or f"synthetic-{shop.seed}.example",
                   name=shop.name, brand_terms=list(shop.brand_terms))
        s.add(row)
        s.flush()
        shop_id = row.id
    with db.transaction(shop_id) as s:
        _bulk(s, Product, [{"id": p["id"], "shop_id": shop_id, "external_id": f"p{p['id']}",
                            "title": p["title"], "tags": [], "price": Decimal("9.90")}
                           for p in shop.products], batch)
        _bulk(s, Customer, [{"id": c["id"], "shop_id": shop_id, "external_id": c["external_id"],
                             "email": c["email"], "first_name": c["first_name"],
                             "last_name": c["last_name"], "postcode": c["postcode"],
                             "accepts_marketing": False} for c in shop.customers], batch)
        _bulk(s, Order, [{
            "id": o["id"], "shop_id": shop_id, "external_id": o["external_id"],
            "number": o["number"], "name": o["name"], "customer_id": o["customer_id"],
            "email": o["email"], "shipping_name": o["shipping_name"],
            "financial_status": o["financial_status"],
            "fulfillment_status": o["fulfillment_status"], "cancelled_at": o["cancelled_at"],
            "total_price": Decimal("19.90"), "currency": "EUR", "discount_codes": [],
            "created_at": o["created_at"]} for o in shop.orders], batch)
        _bulk(s, OrderLine, [{"shop_id": shop_id, "order_id": o["id"],
                              "product_id": li["product_id"], "title": li["title"],
                              "quantity": li["quantity"], "price": Decimal("9.90")}
                             for o in shop.orders for li in o["lines"]], batch)
        _bulk(s, Fulfillment, [{"shop_id": shop_id, "order_id": o["id"],
                                "external_id": f["external_id"], "status": f["status"],
                                "shipment_status": f["shipment_status"],
                                "created_at": f["created_at"]}
                               for o in shop.orders for f in o["fulfillments"]], batch)
        _bulk(s, SocialIdentity, [{"shop_id": shop_id, "customer_id": i["customer_id"],
                                   "network": i["network"], "handle": i["handle"],
                                   "author_id": i["author_id"], "verified_by": i["verified_by"],
                                   "verified_at": shop.now} for i in shop.identities], batch)
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            for table in ("products", "customers", "orders"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
    return shop_id


def _bulk(s: Any, model: type, rows: list[dict[str, Any]], batch: int) -> None:
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        if chunk:
            s.execute(insert(model), chunk)


def write_complaints(db: Database, shop_id: int, shop: SyntheticShop
                     ) -> dict[int, SyntheticComplaint]:
    """Store the complaints as posts and open their cases through :mod:`support.cases`;
    returns case id -> complaint (with its ground truth)."""
    from arrosto.support.cases import add_to_case

    out: dict[int, SyntheticComplaint] = {}
    with db.transaction(shop_id) as s:
        for complaint in shop.complaints:
            case = None
            root = complaint.posts[0].external_id
            for post in complaint.posts:
                row = Post(network=complaint.network, external_id=post.external_id,
                           author_id=complaint.author_id, author_handle=complaint.author_handle,
                           author_name=post.author_name, text=post.text, lang=complaint.lang,
                           created_at=post.created_at, source=post.source, intent="complaint",
                           thread_id=root, addresses_shop=True)
                s.add(row)
                s.flush()
                case = add_to_case(s, row, case)
            if case is not None:
                out[case.id] = complaint
    return out
