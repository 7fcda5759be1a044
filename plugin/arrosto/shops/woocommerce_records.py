"""WooCommerce's REST payloads (sync reads and webhook bodies, the same shapes) as our records.

Follows the WooCommerce REST API docs (https://woocommerce.github.io/woocommerce-rest-api-docs/:
#products, #product-variations, #orders, #customers, #coupons, #webhooks).
"""
from __future__ import annotations

import datetime as dt
import html
import logging
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

from .. import events
from ..events import CustomerData, LineData, OrderData, ProductData, VariantData
from .base import WebhookParseError

log = logging.getLogger(__name__)
# The order meta WooCommerce's Order Attribution (8.5+) writes: the landing page, and UTM tags.
LANDING_META = "_wc_order_attribution_session_entry"
UTM_META = ("source", "medium", "campaign", "content", "term")

# WooCommerce order status -> (financial_status, fulfillment_status), in the words Order uses.
ORDER_STATUS: dict[str, tuple[str, str | None]] = {
    "pending": ("pending", None),  # awaiting payment
    "on-hold": ("pending", None),  # awaiting a bank transfer or a manual check
    "processing": ("paid", None),
    "completed": ("paid", "fulfilled"),
    "cancelled": ("voided", None),
    "refunded": ("refunded", None),
    "failed": ("failed", None),
}
PRODUCT_STATUS = {"publish": "active", "private": "archived", "trash": "archived"}


def parse_webhook(topic: str, payload: Any) -> list[Any]:
    """A delivery's body is the resource's REST representation (``{"id": N}`` for
    ``*.deleted``). Unknown topics, and topics we do not act on, give no events."""
    resource, _, event = topic.partition(".")
    if resource not in ("product", "order", "coupon", "customer"):
        return []
    if not isinstance(payload, dict) or not is_id(payload.get("id")):
        raise WebhookParseError(f"{topic}: the body is not a {resource} with an id")
    try:
        if resource == "product":
            if event == "deleted":
                return [events.ProductDeleted(external_id=str(payload["id"]))]
            if payload.get("type") == "variation":
                # product.created/updated also fire for a variation, with its own body
                # (parent_id set): not a product of its own. The parent's next sync has it.
                log.info("woocommerce: %s for variation %s of product %s left to the sync",
                         topic, payload.get("id"), payload.get("parent_id"))
                return []
            if event in ("created", "updated", "restored"):
                return [events.ProductChanged(product_data(payload, None))]
        elif resource == "order" and event in ("created", "updated", "restored"):
            return [events.OrderChanged(order_data(payload))]
        elif resource == "coupon":
            if event == "deleted":
                return [events.DiscountChanged(
                    external_id=str(payload["id"]), title=str(payload.get("code") or ""),
                    code=payload.get("code") or None, active=False)]
            if event in ("created", "updated", "restored"):
                return [discount_changed(payload, None)]
        elif resource == "customer" and event in ("created", "updated"):
            return [events.CustomerChanged(customer_data(payload))]
    except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation) as exc:
        raise WebhookParseError(f"{topic} {payload.get('id')!r}: {type(exc).__name__}: "
                                f"{exc}") from None
    return []




# --- payloads -> records -----------------------------------------------------------------------

def product_data(p: dict[str, Any], variations: list[dict[str, Any]] | None) -> ProductData:
    """A product; ``variations`` are the variable product's ``products/<id>/variations``.

    A simple product is its own single variant (product and variation ids share WordPress's post
    ids, so they never collide). Without ``variations`` (a webhook body lists only their ids) a
    variable product's variants carry the ids and the product-level price, which WooCommerce sets
    to the lowest variation price; the next sync fills in each variant.
    """
    complete = True
    if p.get("type") == "variable":
        if variations is not None:
            variants = [_variant(v) for v in variations]
        else:
            price, _ = _prices(p)
            variants = [VariantData(external_id=str(int(vid)), price=price)
                        for vid in p.get("variations") or []]
            complete = False
    else:
        variants = [_variant(p, title="")]
    categories = [html.unescape(c["name"]) for c in p.get("categories") or [] if c.get("name")]
    brands = [html.unescape(b["name"]) for b in p.get("brands") or []
              if isinstance(b, dict) and b.get("name")]
    return ProductData(
        external_id=str(p["id"]), title=html.unescape(str(p.get("name") or "")),
        handle=p.get("slug") or None, vendor=brands[0] if brands else None,
        product_type=categories[0] if categories else None,
        tags=[html.unescape(t["name"]) for t in p.get("tags") or [] if t.get("name")],
        description=_text(p.get("description")) or _text(p.get("short_description")),
        status=PRODUCT_STATUS.get(str(p.get("status")), "draft"),
        url=p.get("permalink") or None, updated_at=gmt_time(p.get("date_modified_gmt")),
        variants=variants, variants_complete=complete, in_stock=_in_stock(p))


def _in_stock(p: dict[str, Any]) -> bool | None:
    """``stock_status`` (docs: instock, outofstock, onbackorder), set with or without stock
    management; a variable product's is its variations' best."""
    status = p.get("stock_status")
    return None if not status else status == "instock"


def _variant(v: dict[str, Any], title: str | None = None) -> VariantData:
    price, compare_at = _prices(v)
    if title is None:
        options = [str(a.get("option")) for a in v.get("attributes") or [] if a.get("option")]
        title = " / ".join(options) or html.unescape(str(v.get("name") or ""))
    stock = v.get("stock_quantity")
    return VariantData(external_id=str(v["id"]), title=html.unescape(title),
                       sku=v.get("sku") or None, price=price, compare_at_price=compare_at,
                       inventory_quantity=int(stock) if stock is not None else None)


def _prices(p: dict[str, Any]) -> tuple[Decimal | None, Decimal | None]:
    """(price, compare_at): the current price, and the regular price while on sale."""
    regular, sale = _money(p.get("regular_price")), _money(p.get("sale_price"))
    on_sale = bool(p.get("on_sale"))
    price = _money(p.get("price"))
    if price is None:
        price = sale if on_sale and sale is not None else regular
    compare_at = regular if on_sale and regular is not None and regular != price else None
    return price, compare_at


def customer_data(c: dict[str, Any]) -> CustomerData:
    billing = c.get("billing") or {}
    return CustomerData(
        external_id=str(c["id"]), email=c.get("email") or billing.get("email") or None,
        first_name=c.get("first_name") or billing.get("first_name") or None,
        last_name=c.get("last_name") or billing.get("last_name") or None,
        phone=billing.get("phone") or None, city=billing.get("city") or None,
        postcode=billing.get("postcode") or None, updated_at=gmt_time(c.get("date_modified_gmt")))


def order_data(o: dict[str, Any]) -> OrderData:
    """An order. ``number`` is WooCommerce's order number (a plugin may make it "WC-1001": then
    only the name carries it); the shipping address falls back to billing when it is empty (a
    virtual order); ``landing_site`` comes from the Order Attribution meta."""
    status = str(o.get("status") or "")
    financial, fulfillment = ORDER_STATUS.get(status, (status or None, None))
    number = str(o.get("number") or o["id"])
    created = gmt_time(o.get("date_created_gmt")) or gmt_time(o.get("date_modified_gmt"))
    if created is None:
        raise ValueError("the order has no date_created_gmt")
    updated = gmt_time(o.get("date_modified_gmt"))
    billing = o.get("billing") or {}
    shipping = o.get("shipping") or {}
    if not any(shipping.get(k) for k in ("address_1", "city", "postcode")):
        shipping = billing
    customer_id = o.get("customer_id")
    return OrderData(
        external_id=str(o["id"]), name=f"#{number}", created_at=created,
        number=int(number) if number.isdigit() else None,
        customer_external_id=str(customer_id) if customer_id else None,
        email=billing.get("email") or None,
        shipping_name=" ".join(p for p in (shipping.get("first_name"), shipping.get("last_name"))
                               if p) or None,
        shipping_postcode=shipping.get("postcode") or None,
        shipping_city=shipping.get("city") or None,
        financial_status=financial, fulfillment_status=fulfillment,
        cancelled_at=(updated or created) if status == "cancelled" else None,
        total_price=_money(o.get("total")) or Decimal("0"),
        currency=str(o.get("currency") or "EUR").upper(),
        discount_codes=[c["code"] for c in o.get("coupon_lines") or [] if c.get("code")],
        landing_site=_landing_site(o.get("meta_data") or []), updated_at=updated,
        lines=[_line(li) for li in o.get("line_items") or []])


def _line(li: dict[str, Any]) -> LineData:
    variant_title = None
    if li.get("variation_id"):
        values = [html.unescape(str(m.get("display_value") or m.get("value")))
                  for m in li.get("meta_data") or []
                  if isinstance(m, dict) and not str(m.get("key", "")).startswith("_")
                  and isinstance(m.get("display_value") or m.get("value"), str | int | float)]
        variant_title = " / ".join(values) or None
    product_id = li.get("product_id")
    return LineData(
        title=html.unescape(str(li.get("name") or "")), quantity=int(li.get("quantity") or 1),
        price=_money(li.get("price")) or Decimal("0"),
        external_product_id=str(product_id) if product_id else None,
        variant_title=variant_title, sku=li.get("sku") or None)


def _landing_site(meta: list[Any]) -> str | None:
    values = {m.get("key"): m.get("value") for m in meta if isinstance(m, dict)}
    entry = str(values.get(LANDING_META) or "")
    utm = [(f"utm_{k}", str(values[f"_wc_order_attribution_utm_{k}"])) for k in UTM_META
           if values.get(f"_wc_order_attribution_utm_{k}")]
    if utm and "utm_" not in entry:  # attribution keeps the tags apart: put them back on the URL
        entry += ("&" if "?" in entry else "?") + urlencode(utm)
    return entry or None


def discount_changed(c: dict[str, Any], currency: str | None) -> events.DiscountChanged:
    """A coupon. ``value`` is "10%" or "5.00 EUR" (just "5.00" when the currency is unknown, as
    in a webhook, which carries none); collections are the coupon's product categories."""
    amount = _money(c.get("amount")) or Decimal("0")
    kind = str(c.get("discount_type") or "")
    if kind.startswith("percent"):
        value = f"{_plain(amount)}%"
    elif amount == 0 and c.get("free_shipping"):
        value = "free shipping"
    else:
        value = f"{amount:.2f}" + (f" {currency}" if currency else "")
    ends_at = gmt_time(c.get("date_expires_gmt"))
    limit, used = c.get("usage_limit"), c.get("usage_count") or 0
    active = (str(c.get("status") or "publish") == "publish"
              and (ends_at is None or ends_at > dt.datetime.now(dt.UTC))
              and (limit is None or int(used) < int(limit)))
    products = [str(i) for i in c.get("product_ids") or []]
    categories = [str(i) for i in c.get("product_categories") or []]
    code = str(c.get("code") or "")
    return events.DiscountChanged(
        external_id=str(c["id"]), title=html.unescape(code), code=code or None, value=value,
        starts_at=gmt_time(c.get("date_created_gmt")), ends_at=ends_at,
        product_external_ids=products, collection_external_ids=categories,
        applies_to_all=not products and not categories, active=active, amount=amount,
        excluded_product_external_ids=[str(i) for i in c.get("excluded_product_ids") or []],
        excluded_collection_external_ids=[str(i) for i in
                                          c.get("excluded_product_categories") or []])


# --- small helpers -----------------------------------------------------------------------------

def is_id(value: Any) -> bool:
    """WordPress post and user ids: positive integers (a string of digits in some plugins)."""
    if isinstance(value, bool):
        return False
    return (isinstance(value, int) and value > 0) or (isinstance(value, str) and value.isdigit()
                                                      and int(value) > 0)


def _money(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    return Decimal(str(value))


def _plain(amount: Decimal) -> str:
    """10.00 -> "10", 12.50 -> "12.5"."""
    return format(amount.normalize(), "f")


def gmt_time(value: Any) -> dt.datetime | None:
    """WooCommerce's ``*_gmt`` fields ("2017-03-22T19:28:02", no offset) as aware UTC."""
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


class _TextOnly(HTMLParser):
    BLOCKS = frozenset({"p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
                        "tr", "td", "th", "table", "blockquote"})
    SKIPPED = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def _text(value: Any) -> str | None:
    """Plain text of WooCommerce's HTML descriptions."""
    if not value:
        return None
    parser = _TextOnly()
    parser.feed(str(value))
    parser.close()
    return " ".join("".join(parser.parts).split()) or None
