"""A WooCommerce store answering at the transport (``responses``), built from the REST API v3
docs' own examples in tests/fixtures/woocommerce: paged lists, webhooks, the docs' catalog."""
from __future__ import annotations

import copy
import datetime as dt
import json
import math
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses

from arrosto.shops.woocommerce import TOPICS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "woocommerce"
STORE = "https://shop.example.com"
API = f"{STORE}/wp-json/wc/v3"
API_PATH = "/wp-json/wc/v3"
KEY, SECRET, HOOK_SECRET = "ck_test_key_0123", "cs_test_secret_4567", "whsec_test_89ab"
HOOK_URL = "https://arrosto.example.com/webhooks/woocommerce/7"
SIMPLE = "_products.md__02_retrieve-a-product.json"
VARIABLE = "_products.md__01_create-a-product.json"
VARIATIONS = "built_product-variations_799.json"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def query(request: Any) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(request.url).query).items()}


def path_of(request: Any) -> str:
    return urlsplit(request.url).path


def gmt(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)


# --- a store answering at the transport ----------------------------------------------------------

class ListEndpoint:
    """One paged list endpoint of a store: applies ``modified_after`` as WooCommerce does (with
    ``dates_are_gmt``), sends ``X-WP-Total``/``X-WP-TotalPages``, records every query, and can
    fail given pages a given number of times."""

    def __init__(self, rows: list[dict[str, Any]]):
        self.rows = rows
        self.queries: list[dict[str, str]] = []
        self.failures: dict[str, list[int]] = {}  # page -> statuses to answer first

    def __call__(self, request: Any) -> tuple[int, dict[str, str], str]:
        q = query(request)
        self.queries.append(q)
        page, per_page = int(q.get("page", "1")), int(q.get("per_page", "10"))
        pending = self.failures.get(str(page))
        if pending:
            return pending.pop(0), {}, json.dumps({"code": "internal_server_error",
                                                   "message": "Error", "data": {"status": 500}})
        rows = self.rows
        if "modified_after" in q:
            assert q.get("dates_are_gmt") == "true"
            rows = [r for r in rows if r["date_modified_gmt"] > q["modified_after"]]
        if q.get("orderby") == "id":
            rows = sorted(rows, key=lambda r: r["id"], reverse=q.get("order") == "desc")
        chunk = rows[(page - 1) * per_page:page * per_page]
        headers = {"X-WP-Total": str(len(rows)),
                   "X-WP-TotalPages": str(math.ceil(len(rows) / per_page))}
        return 200, headers, json.dumps(chunk)

    def pages(self) -> list[str]:
        return [q["page"] for q in self.queries]


def serve_list(rsps: responses.RequestsMock, endpoint: str, rows: list[dict[str, Any]]
               ) -> ListEndpoint:
    handler = ListEndpoint(rows)
    rsps.add_callback(responses.GET, f"{API}/{endpoint}", callback=handler,
                      content_type="application/json")
    return handler


def serve_variations(rsps: responses.RequestsMock, by_product: dict[int, list[dict[str, Any]]]
                     ) -> dict[int, ListEndpoint]:
    handlers = {pid: ListEndpoint(rows) for pid, rows in by_product.items()}

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        pid = int(re.search(r"/products/(\d+)/variations", request.url).group(1))
        return handlers[pid](request)

    rsps.add_callback(responses.GET, re.compile(rf"{re.escape(API)}/products/\d+/variations"),
                      callback=answer, content_type="application/json")
    return handlers


def variations_for(product_id: int, count: int = 3) -> list[dict[str, Any]]:
    """The built variations of product 799, re-numbered for ``product_id``."""
    template = load(VARIATIONS)
    out = []
    for k in range(count):
        v = copy.deepcopy(template[k % len(template)])
        v["id"] = product_id * 1000 + k
        v["sku"] = f"{v['sku']}-{product_id}-{k}" if v["sku"] else ""
        out.append(v)
    return out


def catalog(count: int = 255) -> list[dict[str, Any]]:
    """``count`` products from the docs' two product examples, varying id, name, sku and price:
    every 50th (from the 8th) is the variable "Ship Your Idea", every 10th simple one on sale."""
    simple, variable = load(SIMPLE), load(VARIABLE)
    products = []
    for i in range(count):
        pid = 1000 + i
        p = copy.deepcopy(variable if i % 50 == 7 else simple)
        p.update(id=pid, name=f"{p['name']} {i}", slug=f"miscela-{i}",
                 permalink=f"https://shop.example.com/product/miscela-{i}/")
        if p["type"] == "variable":
            p["variations"] = [v["id"] for v in variations_for(pid)]
        else:
            p["sku"] = f"MIS-{i:03d}"
            if i % 10 == 3:
                p.update(price="18.00", sale_price="18.00", on_sale=True)
        products.append(p)
    return products


class WebhookEndpoint:
    """``webhooks`` of a store: GET (paged), POST creates, PUT updates; records the bodies."""

    def __init__(self, hooks: list[dict[str, Any]]):
        self.hooks = hooks
        self.posts: list[dict[str, Any]] = []
        self.puts: list[tuple[int, dict[str, Any]]] = []
        self.next_id = 500

    def install(self, rsps: responses.RequestsMock) -> WebhookEndpoint:
        rsps.add_callback(responses.GET, f"{API}/webhooks", callback=self.list)
        rsps.add_callback(responses.POST, f"{API}/webhooks", callback=self.create)
        rsps.add_callback(responses.PUT, re.compile(rf"{re.escape(API)}/webhooks/\d+"),
                          callback=self.update)
        return self

    def list(self, request: Any) -> tuple[int, dict[str, str], str]:
        return ListEndpoint(self.hooks)(request)

    def create(self, request: Any) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        self.posts.append(body)
        hook = copy.deepcopy(load("_webhooks.md__00_create-a-webhook.json"))
        resource, _, event = body["topic"].partition(".")
        hook.update(id=self.next_id, name=body["name"], topic=body["topic"], resource=resource,
                    event=event, delivery_url=body["delivery_url"], status="active",
                    date_modified_gmt="2016-05-15T20:17:52")
        self.next_id += 1
        self.hooks.append(hook)
        return 201, {}, json.dumps(hook)

    def update(self, request: Any) -> tuple[int, dict[str, str], str]:
        hook_id = int(path_of(request).rsplit("/", 1)[1])
        body = json.loads(request.body)
        self.puts.append((hook_id, body))
        hook = next(h for h in self.hooks if h["id"] == hook_id)
        hook.update({k: v for k, v in body.items() if k != "secret"})
        return 200, {}, json.dumps(hook)


def our_hooks(*, status: dict[str, str] | None = None, missing: tuple[str, ...] = ()
              ) -> list[dict[str, Any]]:
    """Arrosto's eight subscriptions as the store lists them, built on the docs' example."""
    hooks = []
    for n, topic in enumerate(TOPICS):
        if topic in missing:
            continue
        hook = copy.deepcopy(load("_webhooks.md__03_update-a-webhook.json"))
        hook.update(id=300 + n, name=f"Arrosto {topic}", topic=topic, delivery_url=HOOK_URL,
                    status=(status or {}).get(topic, "active"))
        hooks.append(hook)
    return hooks




# --- a store that knows which REST API keys it issued ---------------------------------------------

class IssuedKeys:
    """The REST API keys a store issued (consumer key → secret and permissions), checked the way
    WooCommerce's REST authentication does before any route runs: no key, an unknown key or a
    wrong secret is 401, and so is a read-only key on POST, PUT or DELETE (the message of
    ``WC_REST_Authentication``). Requests over https carry the keys as HTTP Basic auth."""

    def __init__(self, **keys: tuple[str, str]):
        self.keys: dict[str, tuple[str, str]] = dict(keys)
        self.refused: list[tuple[str, str]] = []  # (method, path) answered 401

    def issue(self, key: str, secret: str, permissions: str = "read_write") -> None:
        self.keys[key] = (secret, permissions)

    def revoke(self, key: str) -> None:
        self.keys.pop(key, None)

    def problem(self, request: Any) -> str | None:
        import base64

        scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
        if scheme != "Basic":
            return "Sorry, you cannot list resources."
        key, _, secret = base64.b64decode(value).decode().partition(":")
        if key not in self.keys:
            return "Consumer key is invalid."
        issued, permissions = self.keys[key]
        if secret != issued:
            return "Consumer secret is invalid."
        if request.method not in ("GET", "HEAD", "OPTIONS") and permissions == "read":
            return "The API key provided does not have write permissions."
        if request.method in ("GET", "HEAD") and permissions == "write":
            return "The API key provided does not have read permissions."
        return None

    def guard(self, handler: Any) -> Any:
        def answer(request: Any) -> tuple[int, dict[str, str], str]:
            problem = self.problem(request)
            if problem:
                self.refused.append((request.method, path_of(request)))
                return 401, {}, json.dumps({"code": "woocommerce_rest_authentication_error",
                                            "message": problem, "data": {"status": 401}})
            return handler(request)
        return answer


def _fixed(body: Any, status: int = 200) -> Any:
    return lambda request: (status, {}, json.dumps(body))


def serve_store(rsps: responses.RequestsMock, keys: IssuedKeys, *, store: str = STORE,
                products: list[dict[str, Any]] | None = None) -> WebhookEndpoint:
    """A whole store at ``store`` behind the transport (index, currency, products with their
    variations, customers, orders, webhooks and their batch endpoint), its REST API answering
    only the keys in ``keys``; returns the webhooks, which record what was created."""
    api = f"{store}{API_PATH}"
    rsps.add(responses.GET, f"{store}/wp-json/", json=load("built_wp-json-index.json"))
    products = catalog(5) if products is None else products
    hooks = WebhookEndpoint([])
    routes = [
        (responses.GET, f"{api}/data/currencies/current",
         _fixed(load("built_data-currencies-current.json"))),
        (responses.GET, f"{api}/products", ListEndpoint(products)),
        (responses.GET, f"{api}/customers",
         ListEndpoint(load("_customers.md__02_list-all-customers.json"))),
        (responses.GET, f"{api}/orders", ListEndpoint(load("_orders.md__02_list-all-orders.json"))),
        (responses.GET, f"{api}/webhooks", hooks.list),
        (responses.POST, f"{api}/webhooks", hooks.create),
        (responses.PUT, re.compile(rf"{re.escape(api)}/webhooks/\d+"), hooks.update),
        (responses.POST, f"{api}/webhooks/batch", _fixed([])),  # nothing to do: an empty batch
    ]
    variations = {p["id"]: ListEndpoint(variations_for(p["id"])) for p in products
                  if p["type"] == "variable"}
    if variations:
        routes.append((responses.GET, re.compile(rf"{re.escape(api)}/products/\d+/variations"),
                       lambda request: variations[int(re.search(
                           r"/products/(\d+)/variations", request.url).group(1))](request)))
    for method, url, handler in routes:
        rsps.add_callback(method, url, callback=keys.guard(handler),
                          content_type="application/json")
    return hooks
