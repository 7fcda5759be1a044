"""The fuzz targets (webhook receivers over HTTP, stored deliveries, the archive importer, the
classifier, reply drafts with owner-edited templates) and :func:`run`, shared by
``tests/faults/test_fuzz.py`` and ``benchmarks/fuzz.py``. The property everywhere: a clear
answer or one of our validation errors, never a 500, an unexpected exception or a row stored
half-written."""
from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import math
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from arrosto.errors import ArrostoError, RetryableError
from arrosto.listening.classify import LANGUAGES, classify
from arrosto.listening.imports import import_file
from arrosto.models import (
    Case,
    Customer,
    Fulfillment,
    Order,
    OrderLine,
    Product,
    Shop,
    WebhookDelivery,
)
from arrosto.outbox.public import check_public, private_data
from arrosto.shops.base import WebhookMeta
from arrosto.shops.deliveries import process_delivery, store_delivery
from arrosto.shops.shopify import ShopifyShop
from arrosto.shops.woocommerce import WooCommerceShop
from arrosto.support.drafts import compose
from arrosto.support.templates import DEFAULTS

from .inputs import (
    EFFECT_TABLES,
    SHOPIFY_BODIES,
    SHOPIFY_DOMAIN,
    SHOPIFY_SECRET,
    TRICKY_STRINGS,
    WOO_BODIES,
    WOO_SECRET,
    WOO_STORE,
    _body,
    _dumps,
    json_value,
    mutated,
)

# --- the targets -------------------------------------------------------------------------------

class Env:
    """What every target needs: the app, its database, a client and one shop per platform."""

    def __init__(self, app):
        self.app = app
        self.db = app.extensions["arrosto.db"]
        self.client = app.test_client()
        with self.db.transaction() as s:
            shopify = Shop(platform="shopify", domain=SHOPIFY_DOMAIN, name="Fuzz Shopify",
                           currency="EUR", access_token="shpat_" + "0" * 32)
            woo = Shop(platform="woocommerce", domain="fuzz-roastery.example",
                       name="Fuzz Woo", store_url=WOO_STORE, webhook_secret=WOO_SECRET,
                       api_key="ck_" + "1" * 40, api_secret="cs_" + "2" * 40)
            s.add_all([shopify, woo])
            s.flush()
            self.shopify_id, self.woo_id = shopify.id, woo.id
        self.tmp = Path(tempfile.mkdtemp(prefix="arrosto-fuzz-"))

    @contextlib.contextmanager
    def offline(self):
        """The platforms' APIs answer "unavailable" at once: a discount delivery asks the
        platform for the discount's details, and fuzzing must not wait on (or reach) a real
        store."""
        def unavailable(*_args, **_kwargs):
            raise RetryableError("offline while fuzzing")

        with contextlib.ExitStack() as stack:
            for cls in (ShopifyShop, WooCommerceShop):
                for name in ("fetch_discount", "collection_products"):
                    stack.enter_context(mock.patch.object(cls, name, unavailable))
            yield self

    def counts(self) -> dict[str, int]:
        with self.db.transaction() as s:
            return {m.__tablename__: s.scalar(select(func.count()).select_from(m))
                    for m in EFFECT_TABLES}

    def delivery(self, platform: str, delivery_id: str) -> WebhookDelivery | None:
        with self.db.transaction() as s:
            row = s.scalar(select(WebhookDelivery).where(
                WebhookDelivery.platform == platform,
                WebhookDelivery.delivery_id.startswith(delivery_id)))
            if row is not None:
                s.expunge(row)
            return row


class FuzzFailure(AssertionError):
    pass


def _check_delivery(env: Env, platform: str, delivery_id: str, before: dict[str, int]) -> str:
    """The stored delivery ended ``processed`` or ``failed`` (with its reason), never half-way;
    a failed one changed nothing."""
    row = env.delivery(platform, delivery_id)
    if row is None:
        raise FuzzFailure("an accepted delivery was not stored")
    if row.state == "received":
        raise FuzzFailure(f"processing raised an unexpected exception: {row.error}")
    if row.state == "failed":
        if not row.error:
            raise FuzzFailure("a failed delivery has no reason")
        after = env.counts()
        if after != before:
            changed = {k: (before[k], after[k]) for k in after if after[k] != before[k]}
            raise FuzzFailure(f"a failed delivery left rows behind: {changed}")
    return row.state


def _shopify_headers(body: bytes, topic: str, delivery_id: str, secret: str) -> dict[str, str]:
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return {"X-Shopify-Hmac-Sha256": digest.decode(), "X-Shopify-Topic": topic,
            "X-Shopify-Webhook-Id": delivery_id, "X-Shopify-Shop-Domain": SHOPIFY_DOMAIN,
            "Content-Type": "application/json"}


def _woo_headers(body: bytes, topic: str, delivery_id: str, secret: str) -> dict[str, str]:
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return {"X-WC-Webhook-Signature": digest.decode(), "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Delivery-ID": delivery_id, "X-WC-Webhook-Source": f"{WOO_STORE}/",
            "Content-Type": "application/json"}


def _ascii_header(topic: str) -> bool:
    return topic.isascii() and topic.isprintable() and topic.strip() == topic and bool(topic)


def webhook_http(platform: str):
    """POST a delivery signed right (or, one time in five, wrong) to the receiver."""
    bases = SHOPIFY_BODIES if platform == "shopify" else WOO_BODIES
    example = st.tuples(_body(bases), st.booleans(), st.integers(0, 4))

    def check(env: Env, ex) -> str:
        (topic, body), replay, forge = ex
        if not _ascii_header(topic):
            topic = "orders/create" if platform == "shopify" else "order.created"
        delivery_id = uuid.uuid4().hex
        make = _shopify_headers if platform == "shopify" else _woo_headers
        forged = forge == 0
        headers = make(body, topic, delivery_id, "forged" if forged else
                       (SHOPIFY_SECRET if platform == "shopify" else WOO_SECRET))
        url = "/webhooks/shopify" if platform == "shopify" else \
            f"/webhooks/woocommerce/{env.woo_id}"
        before = env.counts()
        res = env.client.post(url, data=body, headers=headers)
        if res.status_code >= 500:
            raise FuzzFailure(f"the receiver answered {res.status_code}")
        if forged:
            if res.status_code != 401 or env.delivery(platform, delivery_id) is not None:
                raise FuzzFailure(f"a forged delivery got {res.status_code} or was stored")
            return "refused"
        if res.status_code != 200 or res.json.get("status") != "accepted":
            raise FuzzFailure(f"a signed delivery got {res.status_code} {res.data[:100]!r}")
        state = _check_delivery(env, platform, delivery_id, before)
        if replay:  # the platform's retry: acknowledged, nothing applied twice
            again = env.counts()
            res = env.client.post(url, data=body, headers=headers)
            if res.status_code != 200 or res.json.get("status") != "duplicate":
                raise FuzzFailure(f"a replay got {res.status_code} {res.data[:100]!r}")
            if env.counts() != again:
                raise FuzzFailure("a replayed delivery changed rows")
        return state
    return example, check


def stored_delivery():
    """Process a stored delivery with any topic and body, as the worker does."""
    example = st.tuples(st.sampled_from(["shopify", "woocommerce"]),
                        _body({**SHOPIFY_BODIES, **WOO_BODIES}))

    def check(env: Env, ex) -> str:
        platform, (topic, body) = ex
        delivery_id = uuid.uuid4().hex
        shop_id = env.shopify_id if platform == "shopify" else env.woo_id
        meta = WebhookMeta(delivery_id=delivery_id, topic=topic,
                           shop_domain=SHOPIFY_DOMAIN if platform == "shopify" else None)
        stored = store_delivery(env.db, platform, meta, {"Content-Type": "application/json"},
                                body, shop_id)
        before = env.counts()
        try:
            state = process_delivery(env.db, stored.delivery_id)
        except Exception as exc:
            raise FuzzFailure(f"processing raised {type(exc).__name__}: {exc}") from exc
        if state not in ("processed", "failed"):
            raise FuzzFailure(f"a new delivery ended {state!r}")
        _check_delivery(env, platform, delivery_id, before)
        return state
    return example, check


# --- the archive importer ------------------------------------------------------------------------

POST_RECORD = {"id": "1790000000000000001", "network": "x", "text": "La Miscela Oro è arrivata "
               "rotta, ordine #1042", "author": "giulia_o", "author_name": "Giulia O.",
               "created_at": "2026-11-20T09:30:00Z", "lang": "it",
               "url": "https://x.com/giulia_o/status/1790000000000000001",
               "in_reply_to": None, "mentions_shop": True}
TWEET = {"tweet": {"id_str": "1790000000000000002", "full_text": "Nuova miscela in arrivo!",
                   "created_at": "Wed Nov 18 09:30:00 +0000 2026", "lang": "it",
                   "favorite_count": "3", "retweet_count": "1"}}
CSV_HEADERS = ["text,author,date", "text,author,created_at,url,id,lang,author_name",
               "TEXT , Author ,Date", "text,author", "a,b,c", ""]
csv_cell = st.one_of(st.text(max_size=30), st.sampled_from(TRICKY_STRINGS),
                     st.sampled_from(["2026-11-20T09:30:00Z", "Fri, 20 Nov 2026 09:30:00 +0000",
                                      "giulia_o", '"quoted, with comma"', 'a"b', "line\nbreak"]))


def _csv_line(cells: list[str]) -> str:
    return ",".join('"' + c.replace('"', '""') + '"' if any(x in c for x in ',"\n') else c
                    for c in cells)


import_files = st.one_of(
    st.tuples(st.just("posts.jsonl"), st.lists(
        st.one_of(mutated(POST_RECORD).map(lambda r: json.dumps(r, allow_nan=True)),
                  json_value.map(lambda v: json.dumps(v, allow_nan=True)), st.text(max_size=40)),
        min_size=1, max_size=6).map("\n".join)),
    st.tuples(st.just("posts.csv"), st.tuples(
        st.sampled_from(CSV_HEADERS),
        st.lists(st.lists(csv_cell, max_size=8).map(_csv_line), max_size=6)).map(
        lambda t: "\n".join([t[0], *t[1]]))),
    st.tuples(st.just("tweets.js"), st.one_of(
        st.lists(mutated(TWEET), max_size=4).map(
            lambda items: "window.YTD.tweets.part0 = " + json.dumps(items, allow_nan=True)),
        st.text(max_size=60).map(lambda t: "window.YTD.tweets.part0 = " + t))),
)


def archive_import():
    example = st.tuples(import_files, st.sampled_from(["x", "bluesky", "mastodon", "generic"]),
                        st.sampled_from(["archive", "brace_roastery", "@brace"]))

    def check(env: Env, ex) -> str:
        (name, text), network, author = ex
        path = env.tmp / f"{uuid.uuid4().hex}-{name}"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        before = env.counts()
        try:
            summary = import_file(env.db, env.shopify_id, path, network, author=author)
        except ArrostoError:
            if env.counts()["posts"] != before["posts"]:
                raise FuzzFailure("a refused import left posts behind") from None
            return "refused"
        except Exception as exc:
            raise FuzzFailure(f"the import raised {type(exc).__name__}: {exc}") from exc
        finally:
            path.unlink()
        after = env.counts()
        if summary.new + summary.duplicates != summary.read:
            raise FuzzFailure(f"read {summary.read}, stored {summary.new} + "
                              f"{summary.duplicates} duplicates")
        if after["posts"] - before["posts"] != summary.new:
            raise FuzzFailure(f"{summary.new} new posts reported, "
                              f"{after['posts'] - before['posts']} stored")
        if any(not (p.where and p.message) for p in summary.problems):
            raise FuzzFailure("a problem without its place or reason")
        return "imported" if summary.new else ("problems" if summary.problems else "nothing")
    return example, check


# --- the classifier ------------------------------------------------------------------------------

PHRASES = ["ordine", "non è arrivato", "rotto", "where is my order", "love it", "refund",
           "?", "!!!", "@brace", "#caffè", "https://x.co/abc", "NON", "not bad", "☕", "\n"]
post_text = st.one_of(
    st.text(max_size=280),
    st.lists(st.sampled_from(PHRASES) | st.text(max_size=10), max_size=12).map(" ".join),
    st.sampled_from(TRICKY_STRINGS))
INTENTS = {"complaint", "question", "praise", "purchase_intent", "other"}


def classifier():
    example = st.lists(post_text, min_size=1, max_size=4)

    def check(env: Env, texts: list[str]) -> str:
        try:
            results = classify(texts)
        except Exception as exc:
            raise FuzzFailure(f"classify raised {type(exc).__name__}: {exc}") from exc
        if len(results) != len(texts):
            raise FuzzFailure(f"{len(texts)} texts, {len(results)} results")
        for r in results:
            if r.intent not in INTENTS or r.lang not in (*LANGUAGES, None):
                raise FuzzFailure(f"intent {r.intent!r}, language {r.lang!r}")
            if not (0.0 <= r.complaint_score <= 1.0 and -1.0 <= r.sentiment <= 1.0) or \
                    math.isnan(r.complaint_score) or math.isnan(r.sentiment):
                raise FuzzFailure(f"score {r.complaint_score}, sentiment {r.sentiment}")
        return results[0].intent
    return example, check


# --- the reply-draft renderer ---------------------------------------------------------------

TEMPLATE_FRAGMENTS = [
    "{{ shop_name }}", "{{ product.title }}", "{{ product.price }}", "{{ first_name }}",
    "{{ order_name }}", "{{ items }}", "{{ tracking.number }}", "{{ tracking.url }}",
    "{{ verify_url }}", "{{ contact }}", "{{ answer }}", "{{ days }}", "{{ status }}",
    "{% if dm %}", "{% else %}", "{% endif %}", "{% for i in range(3) %}", "{% endfor %}",
    "{{ 7*7 }}", "{{ 'ab' * 100000 }}", "{{ 9 ** 999999 }}", "{{ ''.__class__.__mro__ }}",
    "{{ config }}", "{{ self }}", "{{ request }}", "{{ lipsum() }}", "{{ cycler }}",
    "{{ range(100001) }}", "{% raw %}{{ config }}{% endraw %}", "{{ shop_name|upper }}",
    "{{ shop_name.format(x=1) }}", "{{ shop_name.__class__ }}", "{{ ().__class__ }}",
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "{% set x = 1 %}", "{{ x }}",
    "{% include 'base.html' %}", "{% extends 'x' %}", "{% import 'os' as os %}",
    "{{ 1/0 }}", "{{ [1,2][5] }}", "{{ {}['k'] }}", "{{ product.title[10**9] }}",
    "<script>alert(1)</script>", "{{", "}}", "{%", "%}", "{#", "#}", "{{ }}", "€1042",
    "#1042", "ordine 1042", "giulia.orru@example.it", "Giulia Orrù", "+39 333 123 4567",
]
owner_template = st.lists(st.sampled_from(TEMPLATE_FRAGMENTS) | st.text(max_size=15),
                          max_size=10).map(" ".join)


@dataclass
class DraftCase:
    intent: str
    lang: str | None
    texts: list[str]
    linked: bool
    shipped: str | None
    cancelled: bool
    product: bool
    can_dm: bool
    templates: dict[str, str] = field(default_factory=dict)
    faq: list[Any] = field(default_factory=list)
    tips: dict[str, Any] = field(default_factory=dict)
    support_email: Any = None
    max_length: int | None = None


draft_cases = st.builds(
    DraftCase, intent=st.sampled_from(["complaint", "question"]),
    lang=st.sampled_from(["it", "en", "de", None, "it-IT", ""]),
    texts=st.lists(post_text, min_size=1, max_size=3), linked=st.booleans(),
    shipped=st.sampled_from([None, "in_transit", "delivered"]), cancelled=st.booleans(),
    product=st.booleans(), can_dm=st.booleans(),
    templates=st.dictionaries(st.sampled_from(sorted(DEFAULTS)), owner_template, max_size=4),
    faq=st.lists(st.one_of(
        st.fixed_dictionaries({"keywords": st.lists(st.sampled_from(PHRASES) | st.text(max_size=8),
                                                    max_size=3),
                               "it": owner_template, "en": owner_template}),
        json_value), max_size=3),
    tips=st.dictionaries(st.just("None"), st.text(max_size=20) | json_value, max_size=1),
    support_email=st.sampled_from([None, "help@brace.example", "{{ 7*7 }}"]),
    max_length=st.sampled_from([None, 280, 300, 500]))

LEAKS = ("<class", "<built-in", "<function", "<bound method", "<Template", "jinja2", "Undefined",
         "test-secret-key", "shpat_")


def drafts_render():
    def check(env: Env, c: DraftCase) -> str:
        now = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)
        shop = Shop(platform="shopify", domain="d.myshopify.com", name="Torrefazione Brace",
                    language="it", currency="EUR",
                    settings={"reply_templates": c.templates, "faq": c.faq, "tips": c.tips,
                              **({"support_email": c.support_email} if c.support_email else {})})
        case = Case(intent=c.intent, lang=c.lang, network="x", author_id="1",
                    author_handle="giulia_o", thread_key="t")
        customer = Customer(external_id="c1", first_name="Giulia", last_name="Orrù",
                            email="giulia.orru@example.it", phone="+39 333 123 4567")
        order = None
        if c.linked:
            order = Order(external_id="o1", name="#1042", number=1042, email=customer.email,
                          shipping_name="Giulia Orrù", shipping_city="Cagliari",
                          total_price=Decimal("33.90"),
                          created_at=now - dt.timedelta(days=5),
                          cancelled_at=now if c.cancelled else None,
                          lines=[OrderLine(title="Miscela Oro", quantity=2,
                                           price=Decimal("14.50"))],
                          fulfillments=[Fulfillment(external_id="f1", tracking_company="BRT",
                                                    tracking_number="RR123456785IT",
                                                    shipment_status=c.shipped)]
                          if c.shipped else [])
        product = Product(external_id="p1", title="Miscela Oro", price=Decimal("14.50"),
                          url="https://brace.example/products/oro", status="active") \
            if c.product else None
        try:
            out = compose(shop, case, order=order, customer=customer if order else None,
                          product=product, texts=c.texts, can_dm=c.can_dm,
                          verify_url="https://arrosto.example/v/abc", max_length=c.max_length,
                          now=now)
        except Exception as exc:
            raise FuzzFailure(f"compose raised {type(exc).__name__}: {exc}") from exc
        secret = private_data(customer=customer if order else None, order=order)
        allowed = ["https://arrosto.example/v/abc"] + ([product.url] if product else [])
        try:
            check_public(out.public, secret, allowed=allowed)
        except ArrostoError as exc:
            raise FuzzFailure(f"the public reply carries personal data: {exc}") from exc
        for text in (out.public, out.private or ""):
            if len(text) > 5_000:
                raise FuzzFailure(f"a draft of {len(text)} characters")
            leaked = [w for w in LEAKS if w in text]
            if leaked:
                raise FuzzFailure(f"the draft shows the sandbox's insides: {leaked}: {text!r}")
        return "with problems" if out.problems else "clean"
    return draft_cases, check


@dataclass
class Target:
    name: str
    strategy: Any
    check: Callable[[Env, Any], str]
    examples: list[Any] = field(default_factory=list)


_ORDER = SHOPIFY_BODIES["orders/create"]
_WOO_PRODUCT = WOO_BODIES["product.created"]
# inputs that found bugs (fixed), run first in every run
FOUND = {
    "shopify_webhook_http": [
        (("orders/create", _dumps({**_ORDER, "shipping_address": {"zip": []}})), False, 1),
        (("customers/create", _dumps({**SHOPIFY_BODIES["customers/create"],
                                      "first_name": "x" * 300})), True, 1)],
    "stored_delivery": [
        ("woocommerce", ("product.created", _dumps({**_WOO_PRODUCT, "categories": [None]}))),
        ("woocommerce", ("product.created", _dumps({**_WOO_PRODUCT, "id": []}))),
        ("shopify", ("orders/create", _dumps({**_ORDER, "total_price": "1e400"}))),
        ("shopify", ("orders/create", _dumps({**_ORDER, "name": "#1\x00"})))],
    "archive_import": [(("posts.csv", "text,author,date\n,,,"), "x", "archive"),
                       (("posts.jsonl", json.dumps({**POST_RECORD, "author_name": {}})),
                        "x", "archive"),
                       (("posts.jsonl", "[" * 5000), "x", "archive")],
    "drafts": [
        DraftCase(intent="question", lang="it", texts=[""], linked=False, shipped=None,
                  cancelled=False, product=False, can_dm=False, faq=[None]),
        DraftCase(intent="question", lang="en", texts=["hi"], linked=False, shipped=None,
                  cancelled=False, product=False, can_dm=False,
                  templates={"en/question_general.public": "Hi {{ cycler }}"}),
        DraftCase(intent="question", lang="en", texts=["hi"], linked=False, shipped=None,
                  cancelled=False, product=True, can_dm=False, tips={"None": "x" * 5000}),
        DraftCase(intent="question", lang="en", texts=["where is my order"], linked=False,
                  shipped=None, cancelled=False, product=False, can_dm=True)],
}


def targets() -> dict[str, Target]:
    made = {"shopify_webhook_http": webhook_http("shopify"),
            "woocommerce_webhook_http": webhook_http("woocommerce"),
            "stored_delivery": stored_delivery(),
            "archive_import": archive_import(),
            "classifier": classifier(),
            "drafts": drafts_render()}
    return {name: Target(name, *pair, FOUND.get(name, [])) for name, pair in made.items()}


TARGETS = targets()


def run(target: Target, env: Env, examples: int, *,
        on_failure: Callable[[Any, BaseException], None] | None = None,
        on_result: Callable[[str], None] | None = None) -> int:
    """Run ``target`` on ``examples`` generated inputs; returns how many were run. Without
    ``on_failure`` the first failure is raised (and shrunk); with it, every failure is
    reported and the run goes on."""
    calls = 0

    @settings(max_examples=examples, deadline=None, database=None, print_blob=True,
              suppress_health_check=list(HealthCheck),
              phases=[Phase.explicit, Phase.generate] if on_failure else
              [Phase.explicit, Phase.generate, Phase.shrink])
    @given(target.strategy)
    def fuzz(generated):
        nonlocal calls
        calls += 1
        if on_failure is None:
            result = target.check(env, generated)
        else:
            try:
                result = target.check(env, generated)
            except Exception as exc:  # noqa: BLE001 - counted and reported by the caller
                on_failure(generated, exc)
                return
        if on_result is not None:
            on_result(result)

    for found in target.examples:
        fuzz = example(found)(fuzz)
    fuzz()
    return calls
