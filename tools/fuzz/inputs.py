"""The fuzzers' inputs: the platforms' documented payloads (``tests/fixtures``) with values
replaced by hostile ones (wrong types, huge numbers, NaN, NUL bytes, lone surrogates, over-long
strings, SQL and template text), plus wholly random JSON and bytes."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from arrosto.models import (
    Case,
    Customer,
    DataExport,
    Fulfillment,
    Order,
    OrderLine,
    Post,
    Product,
    ProductVariant,
    Promotion,
    SocialIdentity,
)

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures"
SHOPIFY_SECRET = "fuzz-shopify-app-secret"
WOO_SECRET = "fuzz-woocommerce-webhook-secret"
SHOPIFY_DOMAIN = "fuzz-roastery.myshopify.com"
WOO_STORE = "https://fuzz-roastery.example"
APP_SETTINGS = {"shopify_api_key": "fuzz-key", "shopify_api_secret": SHOPIFY_SECRET}

# the tables a delivery or an import writes to: a failed input must leave every one unchanged
EFFECT_TABLES = (Order, OrderLine, Fulfillment, Product, ProductVariant, Customer, Promotion,
                 DataExport, SocialIdentity, Post, Case)


# --- hostile values ------------------------------------------------------------------------------

TRICKY_STRINGS = [
    "", " ", "\x00", "a\x00b", "\ud800", "\udfff lone", "é" * 300, "x" * 5000, "9" * 40,
    "-1", "0", "1e400", "NaN", "-Infinity", "0x1F", "1,50", "12.345.678,90",
    "2024-13-45T99:99:99", "2024-02-30", "0000-00-00 00:00:00", "9999-12-31T23:59:59+14:00",
    "gid://shopify/Product/abc", "gid://shopify/Order/-1", "../../etc/passwd", "%2e%2e%2f",
    "'; DROP TABLE orders; --", "1 OR 1=1", "{{ 7*7 }}", "{% raw %}{{ config }}{% endraw %}",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "‮gnp.exe", "☕🔥" * 20,
    "null", "true", "[]", "{}", "#1001", "ordine 1001", "EUR", "EURO", "€",
]
big_ints = st.integers(min_value=-(2**80), max_value=2**80)
json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10, max_value=2000), big_ints,
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(TRICKY_STRINGS))
json_value = st.recursive(
    json_leaf, lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=10)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into a JSON document (keys and list indexes)."""
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


def _replace(node: Any, path: tuple, value: Any, *, delete: bool = False) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    copy = dict(node) if isinstance(node, dict) else list(node)
    if delete and not rest:
        del copy[head]
        return copy
    copy[head] = _replace(copy[head], rest, value, delete=delete)
    return copy


@st.composite
def mutated(draw, base: Any) -> Any:
    """``base`` with one to five values replaced by hostile ones or removed."""
    doc = base
    for _ in range(draw(st.integers(1, 5))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        if path and draw(st.integers(0, 4)) == 0:
            doc = _replace(doc, path, None, delete=True)
        else:
            doc = _replace(doc, path, draw(json_value))
    return doc


def _load(path: str) -> Any:
    return json.loads((FIXTURES / path).read_text(encoding="utf-8"))


SHOPIFY_BODIES = {
    "orders/create": _load("shopify/rest/order.json")["order"],
    "orders/updated": _load("shopify/rest/order.json")["order"],
    "orders/cancelled": _load("shopify/rest/order.json")["order"],
    "products/create": _load("shopify/rest/product.json")["product"],
    "products/update": _load("shopify/rest/product.json")["product"],
    "products/delete": _load("shopify/webhooks/products_delete.json"),
    "customers/create": _load("shopify/rest/customer.json")["customer"],
    "customers/update": _load("shopify/rest/customer.json")["customer"],
    "discounts/create": _load("shopify/webhooks/discounts_create.json"),
    "discounts/delete": _load("shopify/webhooks/discounts_create.json"),
    "customers/data_request": _load("shopify/webhooks/customers_data_request.json"),
    "customers/redact": _load("shopify/webhooks/customers_redact.json"),
    # shop/redact and app/uninstalled end the shop: covered by tests/shops and test_hostile
}
WOO_BODIES = {
    f"{resource}.{event}": _load(path)
    for resource, path in (("order", "woocommerce/_orders.md__01_retrieve-an-order.json"),
                           ("product", "woocommerce/_products.md__02_retrieve-a-product.json"),
                           ("customer", "woocommerce/_customers.md__01_retrieve-a-customer.json"),
                           ("coupon", "woocommerce/_coupons.md__00_create-a-coupon.json"))
    for event in ("created", "updated", "deleted", "restored")
}


def _body(bases: dict[str, Any]):
    """(topic, raw body): a documented payload mutated, random JSON, or random bytes."""
    topics = st.sampled_from(sorted(bases)) | st.text(max_size=20)
    documented = st.sampled_from(sorted(bases)).flatmap(
        lambda topic: st.tuples(st.just(topic), mutated(bases[topic]).map(_dumps)))
    anything = st.tuples(topics, json_value.map(_dumps))
    raw = st.tuples(topics, st.binary(max_size=200)
                    | st.sampled_from([b"", b"{", b'{"id": 1', b"\xff\xfe{}", b"[1,2",
                                       b'{"id": NaN}', b'{"id": 1e999}', b'"\\ud800"']))
    return st.one_of(documented, documented, documented, anything, raw)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")
