"""Shopify's payloads as our records: GraphQL nodes (sync) and REST-shaped webhook bodies.

The same product, order or customer read either way gives the same record (the connector's
tests compare them). GraphQL shapes follow the 2025-01 Admin API schema
(:mod:`.shopify_queries`); webhook bodies follow
https://shopify.dev/docs/api/webhooks and the compliance topics of
https://shopify.dev/docs/apps/build/compliance/privacy-law-compliance.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from typing import Any

from .. import events
from ..events import (
    CustomerData,
    FulfillmentData,
    LineData,
    OrderData,
    ProductData,
    VariantData,
)
from .base import WebhookParseError

# GraphQL's displayFulfillmentStatus in the REST words webhooks use (None = unfulfilled)
_FULFILLMENT_STATUS = {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial",
                       "RESTOCKED": "restocked"}


# --- GraphQL nodes to our records --------------------------------------------------------------

def product_from_node(node: dict[str, Any]) -> ProductData:
    return ProductData(
        external_id=gid_number(node["id"]), title=node["title"], handle=node.get("handle"),
        vendor=node.get("vendor") or None, product_type=node.get("productType") or None,
        tags=list(node.get("tags") or []), description=html_text(node.get("descriptionHtml")),
        status=(node.get("status") or "ACTIVE").lower(), url=node.get("onlineStoreUrl"),
        updated_at=parse_time(node.get("updatedAt")),
        variants=[VariantData(
            external_id=gid_number(v["id"]), title=v.get("title") or "", sku=v.get("sku") or None,
            price=_money(v.get("price")), compare_at_price=_money(v.get("compareAtPrice")),
            inventory_quantity=v.get("inventoryQuantity"))
            for v in node["variants"]["nodes"]])


def customer_from_node(node: dict[str, Any]) -> CustomerData:
    address = node.get("defaultAddress") or {}
    consent = node.get("emailMarketingConsent") or {}
    return CustomerData(
        external_id=gid_number(node["id"]), email=node.get("email") or None,
        first_name=node.get("firstName"), last_name=node.get("lastName"),
        phone=node.get("phone"), city=address.get("city"), postcode=address.get("zip"),
        accepts_marketing=consent.get("marketingState") == "SUBSCRIBED",
        updated_at=parse_time(node.get("updatedAt")))


def order_from_node(node: dict[str, Any]) -> OrderData:
    ship = node.get("shippingAddress") or {}
    money = node["totalPriceSet"]["shopMoney"]
    visit = (node.get("customerJourneySummary") or {}).get("lastVisit") or {}
    customer = node.get("customer")
    return OrderData(
        external_id=gid_number(node["id"]), name=node["name"], number=order_number(node["name"]),
        created_at=_required_time(node["createdAt"]), updated_at=parse_time(node.get("updatedAt")),
        customer_external_id=gid_number(customer["id"]) if customer else None,
        email=node.get("email") or None, shipping_name=ship.get("name"),
        shipping_postcode=ship.get("zip"), shipping_city=ship.get("city"),
        financial_status=_lower(node.get("displayFinancialStatus")),
        fulfillment_status=_FULFILLMENT_STATUS.get(node.get("displayFulfillmentStatus") or ""),
        cancelled_at=parse_time(node.get("cancelledAt")),
        cancel_reason=_lower(node.get("cancelReason")),
        total_price=_money(money["amount"]) or Decimal("0"),
        currency=money.get("currencyCode") or node.get("currencyCode") or "EUR",
        discount_codes=list(node.get("discountCodes") or []),
        landing_site=visit.get("landingPage"),
        lines=[LineData(
            title=li["title"], quantity=li.get("quantity", 1),
            price=_money(li["originalUnitPriceSet"]["shopMoney"]["amount"]) or Decimal("0"),
            external_product_id=gid_number(li["product"]["id"]) if li.get("product") else None,
            variant_title=li.get("variantTitle"), sku=li.get("sku") or None)
            for li in node["lineItems"]["nodes"]],
        fulfillments=[_fulfillment_from_node(f) for f in node.get("fulfillments") or []])


def _fulfillment_from_node(node: dict[str, Any]) -> FulfillmentData:
    tracking = (node.get("trackingInfo") or [{}])[0] or {}
    return FulfillmentData(
        external_id=gid_number(node["id"]), status=_lower(node.get("status")),
        shipment_status=_lower(node.get("displayStatus")), tracking_company=tracking.get("company"),
        tracking_number=tracking.get("number"), tracking_url=tracking.get("url"),
        created_at=parse_time(node.get("createdAt")))


def discount_from_node(node: dict[str, Any]) -> events.DiscountChanged:
    """A discount node (code or automatic; its id kept whole, since it names the kind)."""
    discount = node.get("discount") or {}
    codes = (discount.get("codes") or {}).get("nodes") or []
    gets = discount.get("customerGets") or {}
    value, amount = _discount_value(gets.get("value") or {}, discount.get("__typename", ""))
    items = gets.get("items") or {}
    products = [gid_number(p["id"]) for p in (items.get("products") or {}).get("nodes") or []]
    products += [gid_number(v["product"]["id"])  # a discount on some variants: their products
                 for v in (items.get("productVariants") or {}).get("nodes") or []]
    return events.DiscountChanged(
        external_id=node["id"], title=discount.get("title") or "",
        code=codes[0]["code"] if codes else None, value=value, amount=amount,
        starts_at=parse_time(discount.get("startsAt")), ends_at=parse_time(discount.get("endsAt")),
        product_external_ids=list(dict.fromkeys(products)),
        collection_external_ids=[gid_number(c["id"]) for c in
                                 (items.get("collections") or {}).get("nodes") or []],
        applies_to_all=bool(items.get("allItems")),
        active=discount.get("status") == "ACTIVE")


def _discount_value(value: dict[str, Any], typename: str) -> tuple[str | None, Decimal | None]:
    """("10%", 10) for a percentage, ("5.00 EUR", 5.00) for an amount off."""
    if value.get("percentage") is not None:
        percent = (Decimal(str(value["percentage"])) * 100).normalize()
        return f"{percent:f}%", percent
    if value.get("amount"):
        money = value["amount"]
        return f"{money['amount']} {money['currencyCode']}", _money(money["amount"])
    if "FreeShipping" in typename:
        return "free shipping", None
    return None, None


# --- webhook bodies (REST-shaped) to our records ----------------------------------------------

def product_from_rest(p: dict[str, Any]) -> ProductData:
    return ProductData(
        external_id=rest_id(p["id"]), title=_required_str(p, "title"), handle=p.get("handle"),
        vendor=p.get("vendor") or None, product_type=p.get("product_type") or None,
        tags=_rest_tags(p.get("tags")), description=html_text(p.get("body_html")),
        status=(p.get("status") or "active").lower(), url=None,
        updated_at=parse_time(p.get("updated_at")),
        variants=[VariantData(
            external_id=rest_id(v["id"]), title=v.get("title") or "", sku=v.get("sku") or None,
            price=_money(v.get("price")), compare_at_price=_money(v.get("compare_at_price")),
            inventory_quantity=v.get("inventory_quantity"))
            for v in p.get("variants") or []])


def customer_from_rest(c: dict[str, Any]) -> CustomerData:
    address = c.get("default_address") or {}
    consent = c.get("email_marketing_consent") or {}
    return CustomerData(
        external_id=rest_id(c["id"]), email=c.get("email") or None,
        first_name=c.get("first_name"), last_name=c.get("last_name"), phone=c.get("phone"),
        city=address.get("city"), postcode=address.get("zip"),
        accepts_marketing=bool(c.get("accepts_marketing")) or consent.get("state") == "subscribed",
        updated_at=parse_time(c.get("updated_at")))


def order_from_rest(o: dict[str, Any]) -> OrderData:
    ship = o.get("shipping_address") or {}
    customer = o.get("customer") or {}
    name = _required_str(o, "name")
    return OrderData(
        external_id=rest_id(o["id"]), name=name,
        number=int(o["order_number"]) if o.get("order_number") else order_number(name),
        created_at=_required_time(o["created_at"]), updated_at=parse_time(o.get("updated_at")),
        customer_external_id=rest_id(customer["id"]) if customer.get("id") else None,
        email=o.get("email") or None, shipping_name=ship.get("name"),
        shipping_postcode=ship.get("zip"), shipping_city=ship.get("city"),
        financial_status=o.get("financial_status"), fulfillment_status=o.get("fulfillment_status"),
        cancelled_at=parse_time(o.get("cancelled_at")), cancel_reason=o.get("cancel_reason"),
        total_price=_money(o.get("total_price")) or Decimal("0"),
        currency=o.get("currency") or "EUR",
        discount_codes=[d["code"] for d in o.get("discount_codes") or [] if d.get("code")],
        landing_site=o.get("landing_site"),
        lines=[LineData(
            title=li["title"], quantity=int(li.get("quantity", 1)),
            price=_money(li.get("price")) or Decimal("0"),
            external_product_id=rest_id(li["product_id"]) if li.get("product_id") else None,
            variant_title=li.get("variant_title"), sku=li.get("sku") or None)
            for li in o.get("line_items") or []],
        fulfillments=[FulfillmentData(
            external_id=rest_id(f["id"]), status=f.get("status"),
            shipment_status=f.get("shipment_status"), tracking_company=f.get("tracking_company"),
            tracking_number=f.get("tracking_number"), tracking_url=f.get("tracking_url"),
            created_at=parse_time(f.get("created_at"))) for f in o.get("fulfillments") or []])


def _discount_from_webhook(p: dict[str, Any]) -> list[Any]:
    """discounts/create, /update and /delete name the discount only (id, title, status, times):
    ``details=False`` has its details read with :meth:`ShopifyShop.fetch_discount`."""
    gid = p.get("admin_graphql_api_id")
    if not isinstance(gid, str) or not gid.startswith("gid://"):
        raise WebhookParseError("discount webhook without an admin_graphql_api_id")
    return [events.DiscountChanged(external_id=gid, title=str(p.get("title") or ""),
                                   active=str(p.get("status") or "").upper() == "ACTIVE",
                                   details=False)]


def _data_request(p: dict[str, Any]) -> list[Any]:
    customer = _dict(p.get("customer"))
    return [events.CustomerDataRequest(
        customer_external_id=_optional_id(customer.get("id")), email=customer.get("email"),
        order_external_ids=[rest_id(i) for i in p.get("orders_requested") or []],
        request_id=_optional_id(_dict(p.get("data_request")).get("id")))]


def _customer_redact(p: dict[str, Any]) -> list[Any]:
    customer = _dict(p.get("customer"))
    return [events.CustomerRedact(
        customer_external_id=_optional_id(customer.get("id")), email=customer.get("email"),
        order_external_ids=[rest_id(i) for i in p.get("orders_to_redact") or []])]


_WEBHOOK_PARSERS: dict[str, Callable[[dict[str, Any]], list[Any]]] = {
    "products/create": lambda p: [events.ProductChanged(product_from_rest(p))],
    "products/update": lambda p: [events.ProductChanged(product_from_rest(p))],
    "products/delete": lambda p: [events.ProductDeleted(rest_id(p["id"]))],
    "orders/create": lambda p: [events.OrderChanged(order_from_rest(p))],
    "orders/updated": lambda p: [events.OrderChanged(order_from_rest(p))],
    "orders/cancelled": lambda p: [events.OrderChanged(order_from_rest(p))],
    "customers/create": lambda p: [events.CustomerChanged(customer_from_rest(p))],
    "customers/update": lambda p: [events.CustomerChanged(customer_from_rest(p))],
    "discounts/create": _discount_from_webhook,
    "discounts/update": _discount_from_webhook,
    "discounts/delete": _discount_from_webhook,
    "customers/data_request": _data_request,
    "customers/redact": _customer_redact,
    "shop/redact": lambda p: [events.ShopRedact()],
    "app/uninstalled": lambda p: [events.AppUninstalled()],
}


def parse_webhook(topic: str, payload: Any) -> list[Any]:
    """A verified delivery's JSON as domain events (none for a topic we do not read)."""
    if not isinstance(payload, dict):
        raise WebhookParseError(f"{topic}: the body is a {type(payload).__name__}, "
                                "not a JSON object")
    parse = _WEBHOOK_PARSERS.get(topic.strip().lower())
    if parse is None:
        return []
    try:
        return parse(payload)
    except WebhookParseError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation) as exc:
        raise WebhookParseError(f"{topic}: unexpected body ({type(exc).__name__}: "
                                f"{exc})") from None


# --- small conversions ------------------------------------------------------------------------

def gid_number(gid: str) -> str:
    """``gid://shopify/Product/123`` → ``"123"``: the id webhooks (REST-shaped) use too."""
    text = str(gid)
    if not text.startswith("gid://"):
        return text
    return text.rsplit("/", 1)[-1].split("?", 1)[0]


def rest_id(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise WebhookParseError(f"not a Shopify id: {value!r}")
    return str(int(value))


def _optional_id(value: Any) -> str | None:
    return None if value in (None, "") else rest_id(value)


def order_number(name: str) -> int | None:
    """The number in an order name ("#1001", "EU1001-B" → 1001): its longest run of digits."""
    runs = re.findall(r"\d+", name or "")
    return int(max(runs, key=len)) if runs else None


def parse_time(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _required_time(value: Any) -> dt.datetime:
    parsed = parse_time(value)
    if parsed is None:
        raise ValueError("missing time")
    return parsed


def _required_str(record: dict[str, Any], key: str) -> str:
    value = record[key]
    if not isinstance(value, str):
        raise ValueError(f"{key} is not a string")
    return value


def _money(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _lower(value: str | None) -> str | None:
    return value.lower() if value else None


def _dict(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"expected an object, got {type(value).__name__}")
    return value


def _rest_tags(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(t).strip() for t in value if str(t).strip()]
    return [t.strip() for t in str(value or "").split(",") if t.strip()]


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(html: str | None) -> str | None:
    """Plain text of a product description, the same from GraphQL's descriptionHtml and a
    webhook's body_html."""
    if not html:
        return None
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split()) or None
