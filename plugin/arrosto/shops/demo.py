"""The demo shop: a platform whose "API" is the data files shipped in ``arrosto/demo/data``.

It goes through the same sync path as Shopify and WooCommerce. Dates in the files are absolute;
they are shifted by ``shop.settings["demo_shift_seconds"]`` (fixed when the demo shop is created)
so that the data looks recent and stays stable across runs.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
from decimal import Decimal
from importlib import resources
from typing import Any, ClassVar

from ..events import CustomerData, FulfillmentData, LineData, OrderData, ProductData, VariantData
from .base import Page, ShopInfo, ShopPlatform

PAGE_SIZE = 100


@functools.cache
def data_file(name: str) -> Any:
    text = resources.files("arrosto.demo").joinpath("data", name).read_text(encoding="utf-8")
    if name.endswith(".jsonl"):
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return json.loads(text)


def demo_shift(now: dt.datetime | None = None) -> float:
    """Seconds to add to the files' dates so that their reference time becomes ``now``."""
    ref = dt.datetime.fromisoformat(data_file("shop.json")["reference_time"])
    return ((now or dt.datetime.now(dt.UTC)) - ref).total_seconds()


class DemoShop(ShopPlatform):
    name: ClassVar[str] = "demo"

    def _time(self, value: str | None) -> dt.datetime | None:
        if not value:
            return None
        shift = float(self.shop.settings.get("demo_shift_seconds", 0))
        return dt.datetime.fromisoformat(value).astimezone(dt.UTC) + dt.timedelta(seconds=shift)

    def shop_info(self) -> ShopInfo:
        info = data_file("shop.json")
        return ShopInfo(name=info["name"], currency=info["currency"], timezone=info["timezone"],
                        language=info["language"], store_url=f"https://{info['domain']}")

    def fetch(self, resource: str, *, updated_since: dt.datetime | None,
              cursor: str | None) -> Page:
        convert = {"products": self._product, "customers": self._customer,
                   "orders": self._order}[resource]
        records = [convert(r) for r in data_file(f"{resource}.json")]
        if updated_since is not None:
            records = [r for r in records if r.updated_at is None or r.updated_at > updated_since]
        start = int(cursor or 0)
        end = start + PAGE_SIZE
        return Page(records[start:end], str(end) if end < len(records) else None)

    def _product(self, p: dict) -> ProductData:
        store = data_file("shop.json")["domain"]
        return ProductData(
            external_id=str(p["id"]), title=p["title"], handle=p.get("handle"),
            vendor=p.get("vendor"), product_type=p.get("product_type"), tags=p.get("tags", []),
            description=p.get("description"), status=p.get("status", "active"),
            url=f"https://{store}/products/{p.get('handle')}",
            updated_at=self._time(p.get("updated_at")),
            variants=[VariantData(
                external_id=str(v["id"]), title=v.get("title", ""), sku=v.get("sku"),
                price=_money(v.get("price")), compare_at_price=_money(v.get("compare_at_price")),
                inventory_quantity=v.get("inventory_quantity")) for v in p.get("variants", [])])

    def _customer(self, c: dict) -> CustomerData:
        return CustomerData(
            external_id=str(c["id"]), email=c.get("email"), first_name=c.get("first_name"),
            last_name=c.get("last_name"), phone=c.get("phone"), city=c.get("city"),
            postcode=c.get("postcode"), accepts_marketing=bool(c.get("accepts_marketing")),
            handles=dict(c.get("handles") or {}))

    def _order(self, o: dict) -> OrderData:
        ship = o.get("shipping_address") or {}
        return OrderData(
            external_id=str(o["id"]), name=o["name"], number=o.get("number"),
            created_at=self._time(o["created_at"]), updated_at=self._time(o.get("updated_at")),
            customer_external_id=str(o["customer_id"]) if o.get("customer_id") else None,
            email=o.get("email"), shipping_name=ship.get("name"),
            shipping_postcode=ship.get("zip"), shipping_city=ship.get("city"),
            financial_status=o.get("financial_status"),
            fulfillment_status=o.get("fulfillment_status"),
            cancelled_at=self._time(o.get("cancelled_at")), cancel_reason=o.get("cancel_reason"),
            total_price=_money(o.get("total_price")) or Decimal("0"),
            currency=o.get("currency", "EUR"),
            discount_codes=[d["code"] for d in o.get("discount_codes", [])],
            landing_site=o.get("landing_site"),
            lines=[LineData(
                title=li["title"], quantity=li.get("quantity", 1),
                price=_money(li.get("price")) or Decimal("0"),
                external_product_id=str(li["product_id"]) if li.get("product_id") else None,
                variant_title=li.get("variant_title"), sku=li.get("sku"))
                for li in o.get("line_items", [])],
            fulfillments=[FulfillmentData(
                external_id=str(f["id"]), status=f.get("status"),
                shipment_status=f.get("shipment_status"),
                tracking_company=f.get("tracking_company"),
                tracking_number=f.get("tracking_number"), tracking_url=f.get("tracking_url"),
                created_at=self._time(f.get("created_at"))) for f in o.get("fulfillments", [])])


def _money(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))
