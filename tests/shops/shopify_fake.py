"""A loopback fake of Shopify's GraphQL Admin API, for the Shopify connector's contract tests.

The connector speaks real HTTP to it, a server on 127.0.0.1. It
answers each request by *executing the document it was sent* with graphql-core against Shopify's
own 2025-01 introspection schema, over records built by the builders below: nobody published
Shopify GraphQL responses, but answers made this way have the shapes, enum values and non-null
fields the schema promises. It refuses what Shopify refuses: a wrong path or token (401), a
document that does not validate, a query whose requested cost (Shopify's documented static rules,
:func:`requested_cost`) is over 1,000 or over what is left in the cost bucket (THROTTLED).
"""
from __future__ import annotations

import base64
import datetime as dt
import functools
import gzip
import itertools
import json
import logging
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    OperationType,
    build_client_schema,
    execute_sync,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    parse,
    validate,
    value_from_ast,
)

log = logging.getLogger(__name__)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "shopify"
SCHEMA_FILE = FIXTURES / "admin_schema_2025-01.json.gz"
MAX_QUERY_COST = 1000
OLD = "2024-11-05T10:00:00Z"  # updatedAt of built records unless a test says otherwise


@functools.cache
def admin_schema() -> GraphQLSchema:
    """Shopify's Admin API schema, 2025-01 (Shopify/dev-mcp, see fixtures/shopify/SOURCES.md)."""
    with gzip.open(SCHEMA_FILE, "rt", encoding="utf-8") as f:
        introspection = json.load(f)
    return build_client_schema(introspection["data"], assume_valid=True)


# --- requested cost ------------------------------------------------------------------------------

def requested_cost(schema: GraphQLSchema, document: str | DocumentNode,
                   variables: dict[str, Any] | None = None,
                   operation_name: str | None = None) -> int:
    """Shopify's static cost estimate: scalars and enums 0, objects 1, a connection 2 plus
    ``first`` times the cost of one node, lists ``first`` times their item, union and interface
    selections the dearest member, 10 for a mutation."""
    doc = parse(document) if isinstance(document, str) else document
    op = get_operation_ast(doc, operation_name)
    assert op is not None, "no such operation"
    fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
    values = variables or {}

    def split(type_, selection_set):
        fields, by_type = [], {}
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                fields.append(sel)
                continue
            if isinstance(sel, FragmentSpreadNode):
                frag = fragments[sel.name.value]
                condition, sub = frag.type_condition, frag.selection_set
            else:
                condition, sub = sel.type_condition, sel.selection_set
            by_type.setdefault(condition.name.value if condition else type_.name, []).append(sub)
        return fields, by_type

    def set_cost(type_, selection_set) -> int:
        fields, by_type = split(type_, selection_set)
        total = sum(field_cost(type_, f) for f in fields)
        if not by_type:
            return total
        if is_abstract_type(type_):
            return total + max(sum(set_cost(schema.get_type(name), s) for s in subs)
                               for name, subs in by_type.items())
        return total + sum(set_cost(schema.get_type(name), s)
                           for name, subs in by_type.items() for s in subs)

    def field_cost(parent, node: FieldNode) -> int:
        if node.name.value.startswith("__"):
            return 0
        definition = parent.fields[node.name.value]
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return 0
        args = {a.name.value: value_from_ast(a.value, definition.args[a.name.value].type, values)
                for a in node.arguments or ()}
        if named.name.endswith("Connection"):
            size = args.get("first") or args.get("last") or 0
            fields, _ = split(named, node.selection_set)
            per_node = 0
            for sub in fields:
                if sub.name.value == "nodes":
                    node_type = get_named_type(named.fields["nodes"].type)
                    per_node = max(per_node, 1 + set_cost(node_type, sub.selection_set))
                elif sub.name.value == "edges":
                    edge = get_named_type(named.fields["edges"].type)
                    for inner in split(edge, sub.selection_set)[0]:
                        if inner.name.value == "node":
                            node_type = get_named_type(edge.fields["node"].type)
                            per_node = max(per_node, 1 + set_cost(node_type, inner.selection_set))
            return 2 + size * per_node
        if is_list_type(get_nullable_type(definition.type)):
            return (args.get("first") or 1) * (1 + set_cost(named, node.selection_set))
        return 1 + set_cost(named, node.selection_set)

    root = schema.mutation_type if op.operation == OperationType.MUTATION else schema.query_type
    total = set_cost(root, op.selection_set)
    if op.operation == OperationType.MUTATION:
        total += 10 * len(op.selection_set.selections)
    return total


# --- builders: records shaped like the schema's types ------------------------------------------

def cursor(offset: int) -> str:
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()


def connection(items: list[Any], first: int | None, after: str | None) -> dict[str, Any]:
    start = json.loads(base64.b64decode(after))["offset"] if after else 0
    page = items[start:start + (first or 0)]
    end = start + len(page)
    return {"nodes": page,
            "edges": [{"node": n, "cursor": cursor(start + i + 1)} for i, n in enumerate(page)],
            "pageInfo": {"hasNextPage": end < len(items), "hasPreviousPage": start > 0,
                         "startCursor": cursor(start + 1) if page else None,
                         "endCursor": cursor(end) if page else None}}


def paged(items: list[Any]) -> Callable[..., dict[str, Any]]:
    """A nested connection field: called by graphql-core with its arguments."""
    return lambda _info, first=None, after=None, **_: connection(items, first, after)


def listed(items: list[Any]) -> Callable[..., list[Any]]:
    """A list field with a ``first`` argument (Order.fulfillments, Fulfillment.trackingInfo)."""
    return lambda _info, first=None, **_: items[:first] if first is not None else items


def money(amount: str, currency: str = "EUR") -> dict[str, Any]:
    return {"amount": amount, "currencyCode": currency}


def money_bag(amount: str, currency: str = "EUR") -> dict[str, Any]:
    return {"shopMoney": money(amount, currency), "presentmentMoney": money(amount, currency)}


def variant_node(product: int, n: int, *, price: str = "12.50") -> dict[str, Any]:
    return {"id": f"gid://shopify/ProductVariant/{product * 100 + n}",
            "title": f"{250 * (n + 1)} g", "sku": f"MIS-{product}-{n}", "price": price,
            "compareAtPrice": "15.00" if n == 0 else None, "inventoryQuantity": 10 + n}


def product_node(i: int, *, variants: int = 2, updated_at: str = OLD,
                 status: str = "ACTIVE") -> dict[str, Any]:
    return {"id": f"gid://shopify/Product/{1000 + i}", "legacyResourceId": str(1000 + i),
            "title": f"Miscela {i}", "handle": f"miscela-{i}", "vendor": "Torrefazione Rossi",
            "productType": "Caffè", "tags": ["espresso", "arabica"],
            "descriptionHtml": f"<p>Tostatura <strong>media</strong> n. {i}</p>",
            "status": status, "updatedAt": updated_at,
            "onlineStoreUrl": f"https://caffe.example/products/miscela-{i}",
            "variants": paged([variant_node(i, n) for n in range(variants)])}


def customer_node(i: int, *, updated_at: str = OLD, subscribed: bool = True) -> dict[str, Any]:
    return {"id": f"gid://shopify/Customer/{7000 + i}", "email": f"cliente{i}@example.com",
            "firstName": "Giulia", "lastName": f"Bianchi {i}", "phone": None,
            "updatedAt": updated_at, "defaultAddress": {"city": "Torino", "zip": "10121"},
            "emailMarketingConsent": {
                "marketingState": "SUBSCRIBED" if subscribed else "NOT_SUBSCRIBED"}}


def line_item_node(n: int, product: int | None = 1) -> dict[str, Any]:
    return {"title": f"Miscela {product}", "quantity": 1 + n % 2, "sku": f"MIS-{product}-0",
            "variantTitle": "250 g", "originalUnitPriceSet": money_bag("12.50"),
            "product": {"id": f"gid://shopify/Product/{1000 + product}"} if product else None}


def order_node(i: int, *, lines: int = 2, updated_at: str = OLD) -> dict[str, Any]:
    tracking = [{"company": "BRT", "number": f"BRT{i:06d}", "url": "https://brt.example/t"}]
    fulfillment = {"id": f"gid://shopify/Fulfillment/{9000 + i}", "status": "SUCCESS",
                   "displayStatus": "IN_TRANSIT", "createdAt": "2024-11-04T16:00:00Z",
                   "trackingInfo": listed(tracking)}
    return {"id": f"gid://shopify/Order/{5000 + i}", "name": f"#{1000 + i}",
            "email": f"cliente{i}@example.com", "createdAt": "2024-11-03T09:30:00Z",
            "updatedAt": updated_at, "cancelledAt": None, "cancelReason": None,
            "displayFinancialStatus": "PAID", "displayFulfillmentStatus": "FULFILLED",
            "currencyCode": "EUR", "discountCodes": ["ESTATE10"],
            "customer": {"id": f"gid://shopify/Customer/{7000 + i}"},
            "totalPriceSet": money_bag("24.50"),
            "shippingAddress": {"name": "Giulia Bianchi", "zip": "10121", "city": "Torino"},
            "customerJourneySummary": {"lastVisit": {
                "landingPage": "https://caffe.example/?utm_source=bluesky&utm_campaign=estate"}},
            "lineItems": paged([line_item_node(n, product=1) for n in range(lines)]),
            "fulfillments": listed([fulfillment])}


def code_discount_node(n: int, *, percentage: float | None = 0.1,
                       products: list[int] | None = None, variants: list[int] | None = None,
                       collections: list[int] | None = None, automatic: bool = False,
                       title: str | None = None, status: str = "ACTIVE",
                       starts_at: str = "2025-06-01T00:00:00Z",
                       ends_at: str | None = "2025-06-30T23:59:59Z") -> dict[str, Any]:
    """A basic discount (DiscountCodeBasic, or DiscountAutomaticBasic with ``automatic``) on
    products (``variants`` are variant numbers of ``variant_node``: product * 100 + n),
    collections, or everything."""
    items: dict[str, Any]
    if collections:
        items = {"__typename": "DiscountCollections",
                 "collections": paged([{"id": f"gid://shopify/Collection/{c}"}
                                       for c in collections])}
    elif products or variants:
        items = {"__typename": "DiscountProducts",
                 "products": paged([{"id": f"gid://shopify/Product/{1000 + p}"}
                                    for p in products or []]),
                 "productVariants": paged([
                     {"id": f"gid://shopify/ProductVariant/{v}",
                      "product": {"id": f"gid://shopify/Product/{1000 + v // 100}"}}
                     for v in variants or []])}
    else:
        items = {"__typename": "AllDiscountItems", "allItems": True}
    value = ({"__typename": "DiscountPercentage", "percentage": percentage}
             if percentage is not None else
             {"__typename": "DiscountAmount", "amount": money("5.00"), "appliesOnEachItem": False})
    discount = {"__typename": "DiscountAutomaticBasic" if automatic else "DiscountCodeBasic",
                "title": title or f"Estate {n}", "status": status, "startsAt": starts_at,
                "endsAt": ends_at, "customerGets": {"value": value, "items": items}}
    if not automatic:
        discount["codes"] = paged([{"code": f"ESTATE{n}"}])
    kind = "DiscountAutomaticNode" if automatic else "DiscountCodeNode"
    return {"id": f"gid://shopify/{kind}/{n}", "discount": discount}


def collection_node(n: int, products: list[int]) -> dict[str, Any]:
    return {"id": f"gid://shopify/Collection/{n}", "title": f"Collezione {n}",
            "products": paged([{"id": f"gid://shopify/Product/{1000 + p}"} for p in products])}


# --- the server ---------------------------------------------------------------------------------

@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def operation(self) -> str | None:
        return self.body.get("operationName")

    @property
    def variables(self) -> dict[str, Any]:
        return self.body.get("variables") or {}


@dataclass
class FakeShopify:
    """Records each request; answers scripted replies first, then runs the document."""

    token: str = "shpat_fake_access_token"
    api_version: str = "2025-10"
    maximum: float = 2000.0
    available: float = 2000.0  # the bucket before each query (not drained unless a test sets it)
    restore_rate: float = 100.0
    throttle_next: int = 0  # answer the next N queries THROTTLED...
    throttled_available: float = 100.0  # ...saying this much is left in the bucket
    products: list[dict[str, Any]] = field(default_factory=list)
    customers: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    discounts: list[dict[str, Any]] = field(default_factory=list)
    collections: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    shop: dict[str, Any] = field(default_factory=lambda: {
        "name": "Caffè Rossi", "currencyCode": "EUR", "ianaTimezone": "Europe/Rome",
        "primaryDomain": {"host": "caffe.example", "url": "https://caffe.example"}})
    requests: list[Recorded] = field(default_factory=list)
    scripted: deque = field(default_factory=deque)

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status, headers, body = fake.answer(self.path, dict(self.headers.items()), raw)
                data = json.dumps(body).encode()
                self.send_response(status)
                for k, v in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("fake shopify: " + format, *args)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeShopify:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def script(self, status: int, body: Any, headers: dict[str, str] | None = None, *,
               after: int = 0) -> None:
        """Answer a request with this, whatever it asks: the next one, or the one after
        ``after`` more requests answered as usual."""
        self.scripted.append([after, status, headers or {}, body])

    def calls(self, operation: str) -> list[Recorded]:
        return [r for r in self.requests if r.operation == operation]

    # answering ---------------------------------------------------------------------------------
    def answer(self, path: str, headers: dict[str, str], raw: bytes
               ) -> tuple[int, dict[str, str], Any]:
        body = json.loads(raw or b"{}")
        with self._lock:
            self.requests.append(Recorded(path, headers, body))
            if self.scripted:
                if self.scripted[0][0] == 0:
                    _, status, extra, reply = self.scripted.popleft()
                    return status, extra, reply
                self.scripted[0][0] -= 1
        if path != f"/admin/api/{self.api_version}/graphql.json":
            return 404, {}, {"errors": "Not Found"}
        if headers.get("X-Shopify-Access-Token") != self.token:
            return 401, {}, {"errors": "[API] Invalid API key or access token (unrecognized "
                                       "login or wrong password)"}
        schema = admin_schema()
        try:
            document = parse(body["query"])
        except Exception as exc:  # the client sent something unparsable
            return 200, {}, {"errors": [{"message": f"Parse error: {exc}"}]}
        problems = validate(schema, document)
        if problems:
            return 200, {}, {"errors": [{"message": p.message} for p in problems]}
        variables = body.get("variables") or {}
        cost = requested_cost(schema, document, variables, body.get("operationName"))
        if cost > MAX_QUERY_COST:
            return 200, {}, {"errors": [{"message": f"Query cost is {cost}, which exceeds the "
                                        "single query max cost limit (1000).",
                                        "extensions": {"code": "MAX_COST_EXCEEDED"}}]}
        with self._lock:
            forced = self.throttle_next > 0
            throttled = forced or self.available < cost
            left = self.throttled_available if forced else self.available
            if forced:
                self.throttle_next -= 1
        status = {"maximumAvailable": self.maximum, "restoreRate": self.restore_rate}
        if throttled:
            return 200, {}, {
                "errors": [{"message": "Throttled", "extensions": {
                    "code": "THROTTLED",
                    "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": {"cost": {"requestedQueryCost": cost, "actualQueryCost": None,
                                        "throttleStatus": {**status, "currentlyAvailable":
                                                           left}}}}
        result = execute_sync(schema, document, root_value=_Root(self),
                              variable_values=variables, operation_name=body.get("operationName"))
        payload: dict[str, Any] = {"data": result.data, "extensions": {"cost": {
            "requestedQueryCost": cost, "actualQueryCost": cost,
            "throttleStatus": {**status, "currentlyAvailable": self.available - cost}}}}
        if result.errors:
            payload["errors"] = [{"message": e.message, "path": e.path} for e in result.errors]
        return 200, {}, payload

    def subscribe(self, topic: str, url: str) -> dict[str, Any]:
        node = {"id": f"gid://shopify/WebhookSubscription/{next(self._ids)}", "topic": topic,
                "format": "JSON", "endpoint": {"__typename": "WebhookHttpEndpoint",
                                               "callbackUrl": url}}
        self.subscriptions.append(node)
        return node


_SINCE = re.compile(r"updated_at:>'([^']+)'")


def _changed(items: list[dict[str, Any]], query: str | None) -> list[dict[str, Any]]:
    found = _SINCE.search(query or "")
    if not found:
        return items
    since = dt.datetime.fromisoformat(found.group(1).replace("Z", "+00:00"))
    return [i for i in items
            if dt.datetime.fromisoformat(i["updatedAt"].replace("Z", "+00:00")) > since]


def _by_id(items: list[dict[str, Any]], gid: str) -> dict[str, Any] | None:
    return next((i for i in items if i["id"] == gid), None)


class _Root:
    """Query and mutation root fields; graphql-core calls these with the field's arguments."""

    def __init__(self, fake: FakeShopify):
        self.fake = fake

    def products(self, _info, first=None, after=None, query=None, **_):
        return connection(_changed(self.fake.products, query), first, after)

    def product(self, _info, id):  # the schema's argument names
        return _by_id(self.fake.products, id)

    def customers(self, _info, first=None, after=None, query=None, **_):
        return connection(_changed(self.fake.customers, query), first, after)

    def orders(self, _info, first=None, after=None, query=None, **_):
        return connection(_changed(self.fake.orders, query), first, after)

    def order(self, _info, id):
        return _by_id(self.fake.orders, id)

    def shop(self, _info):
        return self.fake.shop

    def discountNodes(self, _info, first=None, after=None, **_):
        return connection(self.fake.discounts, first, after)

    def discountNode(self, _info, id):
        return _by_id(self.fake.discounts, id)

    def collection(self, _info, id):
        return _by_id(self.fake.collections, id)

    def webhookSubscriptions(self, _info, first=None, after=None, **_):
        return connection(self.fake.subscriptions, first, after)

    def webhookSubscriptionCreate(self, _info, topic, webhookSubscription):
        url = webhookSubscription["callbackUrl"]
        if any(s["topic"] == topic and s["endpoint"]["callbackUrl"] == url
               for s in self.fake.subscriptions):
            return {"webhookSubscription": None, "userErrors": [{
                "field": ["webhookSubscription", "callbackUrl"],
                "message": "Address for this topic has already been taken"}]}
        return {"webhookSubscription": self.fake.subscribe(topic, url), "userErrors": []}
