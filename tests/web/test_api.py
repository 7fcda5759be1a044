"""The JSON API: bearer tokens (none, wrong, revoked → 401; never the admin's cookie), every
resource over the shop's real data, another shop's ids → 404, the two approvals with the same
effect as the inbox and the CLI, bad input → 4xx JSON; every response checked against the served
OpenAPI document, and schemathesis over the whole document (no 5xx, no schema violation)."""
from __future__ import annotations

import datetime as dt
import json
import re
from types import SimpleNamespace

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from sqlalchemy import select

from arrosto import models
from arrosto.access import create_api_token, revoke_api_token, verify_api_token
from arrosto.cli import cli
from arrosto.models import ApiToken, Case, Message, Outreach, ProductKeyword, Promotion
from arrosto.support import linking
from arrosto.web.api.openapi import openapi_document

from ..promotions.people import NOW, Recorder, a_promotion, a_shop, the_people
from .forms import post_form
from .test_admin import sign_in
from .test_inbox import case_url, drafts_of, support_shop

PREFIX = "/api/v1"


# --- calling the API, every answer checked against the document ------------------------------

def _validator(doc: dict, schema: dict):
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": doc["components"], **schema}
    return jsonschema_rs.validator_for(root, validate_formats=True)


def call(client, method: str, template: str, token: str | None, *, status: int = 200,
         query: dict | None = None, body=None, headers: dict | None = None, **path) -> dict:
    """``method template`` (a path of the document) with ``path`` filled in; asserts the status
    and that the answer is what the document says for it."""
    doc = client.get(f"{PREFIX}/openapi.json").get_json()
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    kwargs = {"query_string": query or {}, "headers": sent}
    if body is not None:
        kwargs["json"] = body
    with client.session_transaction() as browser:
        before = dict(browser)
    res = client.open(PREFIX + template.format(**path), method=method.upper(), **kwargs)
    assert res.status_code == status, res.get_data(as_text=True)[:800]
    assert res.mimetype == "application/json"
    with client.session_transaction() as browser:  # the API never writes the cookie session
        assert dict(browser) == before
    if not before:
        assert "Set-Cookie" not in res.headers  # nor starts one
    response = doc["paths"][template][method]["responses"][str(status)]
    schema = response["content"]["application/json"]["schema"]
    _validator(doc, schema).validate(res.get_json())
    if status == 401:
        assert res.headers["WWW-Authenticate"].startswith("Bearer")
    return res.get_json()


def api_shops(db):
    """The support shop of the inbox tests (with a keyword on Miscela Oro) and its token, and a
    second shop with the same kind of data and its own token."""
    data = support_shop(db)
    other = support_shop(db, "other.example", who="o_")
    with db.transaction(data.shop) as s:
        s.add(ProductKeyword(product_id=data.oro, term="miscela oro", source="owner"))
    _id, data.token = create_api_token(db, data.shop, "tests")
    _id, other.token = create_api_token(db, other.shop, "other")
    data.other = other
    return data


@pytest.fixture
def api(db):
    return api_shops(db)


# --- the document -------------------------------------------------------------------------------

def test_the_document_is_openapi_3_1_served_without_a_token_and_covers_every_route(client, app):
    res = client.get(f"{PREFIX}/openapi.json")
    assert res.status_code == 200 and res.mimetype == "application/json"
    doc = res.get_json()
    assert doc["openapi"] == "3.1.0" and doc["servers"] == [{"url": PREFIX}]
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["bearer"]["description"]}
    assert doc["security"] == [{"bearer": []}]
    routes = {(method.lower(), re.sub(r"<(?:int:)?(\w+)>", r"{\1}",
                                      rule.rule.removeprefix(PREFIX)))
              for rule in app.url_map.iter_rules() if rule.rule.startswith(PREFIX + "/")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert routes - {("get", "/openapi.json")} == documented
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert {"200", "401"} <= set(op["responses"]), (method, path)
            if "{" in path or method == "post":
                assert "404" in op["responses"], (method, path)
            for response in op["responses"].values():  # each schema compiles as 2020-12
                _validator(doc, response["content"]["application/json"]["schema"])
    # every component is a valid JSON Schema 2020-12 document on its own terms
    meta = jsonschema_rs.validator_for({"$ref": "https://json-schema.org/draft/2020-12/schema"})
    for name, schema in doc["components"]["schemas"].items():
        assert meta.is_valid(schema), name
    assert openapi_document() is openapi_document()  # built once


# --- tokens ---------------------------------------------------------------------------------------

def test_no_wrong_or_revoked_token_is_401_and_a_valid_one_is_recorded(client, db, api):
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Bearer nope"},
                    {"Authorization": f"Basic {api.token}"}, {"Authorization": api.token},
                    {"Authorization": "Bearer " + "x" * 5000}):
        res = client.get(f"{PREFIX}/shop", headers=headers)
        assert res.status_code == 401, headers
        assert res.headers["WWW-Authenticate"].startswith("Bearer")
        assert res.get_json()["error"] == "unauthorized"
    call(client, "get", "/shop", None, status=401)

    with db.transaction(api.shop) as s:
        assert s.scalar(select(ApiToken.last_used_at).where(ApiToken.name == "tests")) is None
    shop = call(client, "get", "/shop", api.token)
    assert (shop["id"], shop["name"], shop["domain"]) == \
        (api.shop, "Torrefazione Brace", "brace.example")
    with db.transaction(api.shop) as s:
        row = s.scalar(select(ApiToken).where(ApiToken.name == "tests"))
        assert row.last_used_at is not None and row.token_digest != api.token
        assert api.token not in row.token_digest and api.token.startswith("arrosto_")
    assert call(client, "get", "/shop", api.other.token)["id"] == api.other.shop

    assert revoke_api_token(db, api.shop, row.id).revoked_at is not None
    call(client, "get", "/shop", api.token, status=401)
    assert verify_api_token(db, api.token) is None
    assert revoke_api_token(db, api.other.shop, row.id) is None  # not the other shop's


def test_the_admin_cookie_is_not_a_way_in(client, db, api):
    sign_in(client, db, api.shop)
    assert client.get("/admin/").status_code == 200
    call(client, "get", "/shop", None, status=401)
    call(client, "get", "/cases", None, status=401)


def test_a_token_of_an_uninstalled_shop_is_refused(client, db, api):
    with db.transaction() as s:
        s.get(models.Shop, api.shop).status = "uninstalled"
    call(client, "get", "/shop", api.token, status=401)


def test_the_cli_creates_lists_and_revokes_tokens(app, client, db, runner, monkeypatch, api):
    monkeypatch.setattr("arrosto.cli.Context.app", lambda self: app)
    created = runner.invoke(cli, ["api-token", "create", "--shop", str(api.shop),
                                  "--name", "stock  sheet"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("arrosto_")
    assert call(client, "get", "/shop", token)["id"] == api.shop

    listed = runner.invoke(cli, ["api-token", "list", "--shop", str(api.shop)])
    assert listed.exit_code == 0, listed.output
    assert "stock sheet" in listed.output and "tests" in listed.output
    assert token not in listed.output and "last used" in listed.output
    with db.transaction(api.shop) as s:
        token_id = s.scalar(select(ApiToken.id).where(ApiToken.name == "stock sheet"))

    wrong_shop = runner.invoke(cli, ["api-token", "revoke", "--shop", str(api.other.shop),
                                     str(token_id)])
    assert wrong_shop.exit_code != 0 and f"no API token {token_id}" in wrong_shop.output
    call(client, "get", "/shop", token)
    revoked = runner.invoke(cli, ["api-token", "revoke", "--shop", str(api.shop), str(token_id)])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    call(client, "get", "/shop", token, status=401)
    assert "revoked" in runner.invoke(cli, ["api-token", "list", "--shop",
                                            str(api.shop)]).output
    empty = runner.invoke(cli, ["api-token", "create", "--shop", str(api.shop), "--name", " "])
    assert empty.exit_code != 0


# --- catalog, orders, posts -----------------------------------------------------------------------

def test_products_are_paginated_and_a_product_has_keywords_and_mentions(client, api):
    first = call(client, "get", "/products", api.token, query={"per_page": 1})
    assert [p["title"] for p in first["items"]] == ["Kenya AA"]
    assert (first["total"], first["next_page"], first["per_page"]) == (2, 2, 1)
    second = call(client, "get", "/products", api.token, query={"per_page": 1, "page": 2})
    assert [p["title"] for p in second["items"]] == ["Miscela Oro"]
    assert second["next_page"] is None
    assert call(client, "get", "/products", api.token, query={"page": 3})["items"] == []
    oro = call(client, "get", "/products/{product_id}", api.token, product_id=api.oro)
    assert (oro["title"], oro["price"]) == ("Miscela Oro", "14.50")
    assert {"term": "miscela oro", "source": "owner", "needs_context": False} in oro["keywords"]
    assert oro["mentions"] == {"window_days": 30, "recent": 1, "total": 1}
    for query in ({"per_page": 101}, {"per_page": 0}, {"page": 0}, {"page": "abc"},
                  {"page": "١"}, {"page": "-1"}, {"page": 10**6}):
        res = call(client, "get", "/products", api.token, query=query, status=400)
        assert res["error"].startswith("invalid"), query


def test_orders_and_an_order_with_lines_fulfillments_and_customer(client, api):
    listed = call(client, "get", "/orders", api.token)
    assert [o["name"] for o in listed["items"]] == ["#1043", "#1042"]  # newest first
    order = call(client, "get", "/orders/{order_id}", api.token, order_id=api.order)
    assert (order["name"], order["total_price"], order["currency"]) == ("#1042", "33.90", "EUR")
    assert [(li["title"], li["quantity"], li["price"]) for li in order["lines"]] == \
        [("Miscela Oro", 2, "14.50")]
    assert order["fulfillments"][0]["tracking_number"] == "RR123456785IT"
    assert order["customer"]["email"] == "giulia.orru@example.it"


def test_posts_filtered_by_intent_and_product(client, api):
    every = call(client, "get", "/posts", api.token)
    assert every["total"] == 4
    questions = call(client, "get", "/posts", api.token, query={"intent": "question"})
    assert {p["author_handle"] for p in questions["items"]} == \
        {"luca.bsky.social", "giulia@mastodon.example"}
    kenya = call(client, "get", "/posts", api.token, query={"product_id": api.kenya})
    assert [(p["text"], p["product_ids"]) for p in kenya["items"]] == \
        [("Is the Kenya AA back in stock?", [api.kenya])]
    call(client, "get", "/posts", api.token, query={"intent": "rant"}, status=400)
    call(client, "get", "/posts", api.token, query={"product_id": 2**40}, status=400)


# --- cases ----------------------------------------------------------------------------------------

def test_cases_filtered_by_state_intent_and_product(client, api):
    every = call(client, "get", "/cases", api.token)
    assert {c["id"] for c in every["items"]} == \
        {api.complaint, api.younger, api.question, api.earlier}
    resolved = call(client, "get", "/cases", api.token, query={"state": "resolved"})
    assert [c["id"] for c in resolved["items"]] == [api.earlier]
    complaints = call(client, "get", "/cases", api.token,
                      query={"state": "open", "intent": "complaint"})
    assert [c["id"] for c in complaints["items"]] == [api.younger, api.complaint]
    kenya = call(client, "get", "/cases", api.token, query={"product_id": api.kenya})
    assert [c["id"] for c in kenya["items"]] == [api.question]
    call(client, "get", "/cases", api.token, query={"state": "closed"}, status=400)
    call(client, "get", "/cases", api.token, query={"intent": "praise"}, status=400)


def test_a_case_has_its_thread_order_links_and_reply_drafts(client, api):
    case = call(client, "get", "/cases/{case_id}", api.token, case_id=api.complaint)
    assert (case["intent"], case["state"], case["order"]) == ("complaint", "open", None)
    assert case["posts"][0]["text"].startswith("My Miscela Oro still has not arrived")
    assert [(lk["order_name"], lk["confidence"], lk["status"]) for lk in case["order_links"]] \
        == [("#1042", 0.62, "suggested"), ("#1043", 0.12, "suggested")]
    assert "names Miscela Oro, which this order contains" in case["order_links"][0]["reasons"]
    assert {m["channel"]: m["state"] for m in case["messages"]} == \
        {"public": "draft", "dm": "draft"}


def test_another_shops_ids_are_404(client, db, api):
    theirs = api.other
    for template, path in (("/products/{product_id}", {"product_id": theirs.oro}),
                           ("/orders/{order_id}", {"order_id": theirs.order}),
                           ("/cases/{case_id}", {"case_id": theirs.complaint})):
        call(client, "get", template, api.token, status=404, **path)
        call(client, "get", template, theirs.token, **path)  # theirs to read
    public = drafts_of(db, theirs, theirs.complaint)["public"]
    call(client, "post", "/cases/{case_id}/messages/{message_id}/approve", api.token,
         status=404, case_id=theirs.complaint, message_id=public.id)
    assert drafts_of(db, theirs, theirs.complaint)["public"].state == "draft"
    ours = drafts_of(db, api, api.complaint)["public"]  # our message under their case
    call(client, "post", "/cases/{case_id}/messages/{message_id}/approve", api.token,
         status=404, case_id=theirs.complaint, message_id=ours.id)
    call(client, "post", "/cases/{case_id}/messages/{message_id}/approve", api.token,
         status=404, case_id=api.younger, message_id=ours.id)  # not this case's
    ids = {c["id"] for c in call(client, "get", "/cases", api.token)["items"]}
    assert theirs.complaint not in ids
    for template in ("/products/{product_id}", "/orders/{order_id}", "/cases/{case_id}",
                     "/promotions/{promotion_id}", "/posts/{post_id}"):
        name = template[template.index("{") + 1:-1]
        call(client, "get", template, api.token, status=404, **{name: 2**31 - 1})
        res = client.get(PREFIX + template.format(**{name: 2**40}),
                         headers={"Authorization": f"Bearer {api.token}"})
        assert res.status_code == 404 and res.get_json() == {"error": "not found"}


def test_approving_through_the_api_does_what_the_inbox_does(client, db, monkeypatch):
    network = Recorder()
    monkeypatch.setattr("arrosto.social.accounts.network_for", lambda *a, **k: network)
    via_inbox = support_shop(db, account=True)
    via_api = support_shop(db, "api.example", who="a_", account=True)
    _id, token = create_api_token(db, via_api.shop, "tests")
    edited = "So sorry! We are on it:   we'll write to you privately."

    sign_in(client, db, via_inbox.shop)
    public = drafts_of(db, via_inbox, via_inbox.complaint)["public"]
    res = post_form(client, case_url(via_inbox.complaint), {"text": edited},
                    url=f"/admin/cases/{via_inbox.complaint}/messages/{public.id}/approve")
    assert res.status_code == 302
    client.post("/admin/logout")

    public = drafts_of(db, via_api, via_api.complaint)["public"]
    out = call(client, "post", "/cases/{case_id}/messages/{message_id}/approve", token,
               body={"text": edited}, case_id=via_api.complaint, message_id=public.id)
    assert out["queued"] is True
    assert (out["message"]["id"], out["message"]["state"]) == (public.id, "sent")

    normalised = "So sorry! We are on it: we'll write to you privately."
    assert [c[2] for c in network.calls] == [normalised, normalised]
    effects = []
    for data in (via_inbox, via_api):
        with db.transaction(data.shop) as s:
            message = s.get(Message, drafts_of(db, data, data.complaint)["public"].id)
            case = s.get(Case, data.complaint)
            effects.append((message.state, message.text, message.automated,
                            message.approved_at is not None, case.state,
                            case.first_response_at is not None))
    assert effects[0] == effects[1] == ("sent", normalised, False, True, "waiting", True)

    # approved is approved: not again, with the reason
    again = call(client, "post", "/cases/{case_id}/messages/{message_id}/approve", token,
                 status=409, case_id=via_api.complaint, message_id=public.id)
    assert again == {"error": "not approved", "reason": "this message is already sent"}
    assert len(network.calls) == 2


def test_a_refused_approval_is_409_and_bad_bodies_are_4xx(client, db, monkeypatch):
    network = Recorder()
    monkeypatch.setattr("arrosto.social.accounts.network_for", lambda *a, **k: network)
    data = support_shop(db, account=True)
    _id, token = create_api_token(db, data.shop, "tests")
    public = drafts_of(db, data, data.complaint)["public"]
    url = dict(case_id=data.complaint, message_id=public.id)
    template = "/cases/{case_id}/messages/{message_id}/approve"

    with db.transaction(data.shop) as s:  # linked: the order's data is never public
        linking.confirm_link(s, s.get(Case, data.complaint), data.order)
    res = call(client, "post", template, token, status=409, body={
        "text": "Hi! Your order #1042 left us on Monday, it should arrive soon."}, **url)
    assert res["error"] == "not approved" and "order number" in res["reason"]
    for body, status in (({"text": 5}, 422), ({"txt": "hi"}, 422), (["hi"], 422), (0, 422),
                         ({"text": ""}, 422), ({"text": "a\x00b"}, 422),
                         ({"text": "x" * 10_001}, 422)):
        call(client, "post", template, token, status=status, body=body, **url)
    sent = {"Authorization": f"Bearer {token}"}
    res = client.post(PREFIX + template.format(**url), data="text=hi", headers=sent,
                      content_type="application/x-www-form-urlencoded")
    assert res.status_code == 415 and res.get_json()["error"] == "unsupported media type"
    res = client.post(PREFIX + template.format(**url), data="{not json", headers=sent,
                      content_type="application/json")
    assert res.status_code == 400 and res.get_json() == {"error": "invalid JSON"}
    res = client.post(PREFIX + template.format(**url), data=b"\xff\xfe", headers=sent,
                      content_type="application/json")
    assert res.status_code == 400
    res = client.post(PREFIX + template.format(**url), data="null", headers=sent,
                      content_type="application/json")  # a body, and not an object
    assert res.status_code == 422 and res.get_json()["error"] == "invalid body"
    assert network.calls == []
    assert drafts_of(db, data, data.complaint)["public"].state == "draft"
    # an approval without a body sends the draft as it is
    out = call(client, "post", template, token, **url)
    assert out["message"]["text"] == public.text and out["message"]["state"] == "sent"


# --- promotions -----------------------------------------------------------------------------------

def _promotion_shop(db, domain: str, network: str = "x"):
    shop_id = a_shop(db, domain=domain)
    the_people(db, shop_id, network)
    promotion_id = a_promotion(db, shop_id)
    _id, token = create_api_token(db, shop_id, "tests")
    return SimpleNamespace(shop=shop_id, promotion=promotion_id, token=token)


def _outbox(db, shop_id):
    with db.transaction(shop_id) as s:
        return sorted((m.kind, m.network, m.audience_basis, m.state) for m in s.scalars(
            select(Message).where(Message.kind.in_(("outreach", "announcement")))))


def _same_outbox(db, a: int, b: int, network_b: str) -> bool:
    """The same messages, the outreach of ``b``'s people on ``network_b`` instead of X."""
    return _outbox(db, a) == sorted(
        (k, "x" if k == "outreach" and n == network_b else n, basis, state)
        for k, n, basis, state in _outbox(db, b))


def test_promotions_with_their_audience_and_approval_as_the_cli_does(
        app, client, db, runner, monkeypatch):
    monkeypatch.setattr(models, "utcnow", lambda: NOW)
    monkeypatch.setattr("arrosto.web.api.views.utcnow", lambda: NOW)
    monkeypatch.setattr("arrosto.cli.Context.app", lambda self: app)
    via_cli = _promotion_shop(db, "cli.myshopify.com")
    via_api = _promotion_shop(db, "api.myshopify.com", "bluesky")

    listed = call(client, "get", "/promotions", via_api.token)
    assert [(p["id"], p["state"], p["code"]) for p in listed["items"]] == \
        [(via_api.promotion, "pending_approval", "ORO20")]
    detail = call(client, "get", "/promotions/{promotion_id}", via_api.token,
                  promotion_id=via_api.promotion)
    audience = detail["audience"]
    assert (audience["watcher"], audience["engaged"], audience["owner"]) == (1, 1, 3)
    assert audience["excluded"]["opted out"] == 1 and audience["excluded"]["complained"] == 1
    assert detail["outreach"] == {}  # a look stores nothing
    with db.transaction(via_api.shop) as s:
        assert s.scalars(select(Outreach)).all() == []
    call(client, "get", "/promotions/{promotion_id}", via_cli.token, status=404,
         promotion_id=via_api.promotion)
    call(client, "post", "/promotions/{promotion_id}/approve", via_cli.token, status=404,
         promotion_id=via_api.promotion)

    done = runner.invoke(cli, ["promotions", "approve", "--shop", str(via_cli.shop),
                               str(via_cli.promotion)])
    assert done.exit_code == 0, done.output
    out = call(client, "post", "/promotions/{promotion_id}/approve", via_api.token,
               promotion_id=via_api.promotion)
    assert out["promotion"]["state"] == "approved" and out["promotion"]["approved_at"]
    assert f"{out['queued']} messages queued" in done.output
    assert _same_outbox(db, via_cli.shop, via_api.shop, "bluesky")
    assert [b for _k, _n, b, _s in _outbox(db, via_api.shop) if b] == ["engaged", "watcher"]
    detail = call(client, "get", "/promotions/{promotion_id}", via_api.token,
                  promotion_id=via_api.promotion)
    assert detail["outreach"]["watcher"] == {"queued": 1}
    assert detail["outreach"]["owner"] == {"proposed": 3}

    with db.transaction(via_api.shop) as s:
        s.get(Promotion, via_api.promotion).state = "cancelled"
    res = call(client, "post", "/promotions/{promotion_id}/approve", via_api.token,
               status=409, promotion_id=via_api.promotion)
    assert res["reason"] == "this promotion is cancelled"
    for body in ({"now": True}, [], 0):
        call(client, "post", "/promotions/{promotion_id}/approve", via_api.token, status=422,
             body=body, promotion_id=via_api.promotion)


def test_an_ended_promotion_is_not_approved(client, db):
    data = _promotion_shop(db, "brace.myshopify.com")
    with db.transaction(data.shop) as s:
        s.get(Promotion, data.promotion).ends_at = models.utcnow() - dt.timedelta(days=1)
    res = call(client, "post", "/promotions/{promotion_id}/approve", data.token, status=409,
               promotion_id=data.promotion)
    assert res["reason"] == "this promotion has already ended"


# --- the digest -----------------------------------------------------------------------------------

def test_the_digest_of_a_date_and_of_today(client, api):
    today = dt.datetime.now(dt.UTC).date()
    digest = call(client, "get", "/digest", api.token, query={"date": today.isoformat()})
    assert digest["date"] == today.isoformat() and digest["shop"]["id"] == api.shop
    assert digest["complaints_total"] == 2 and digest["questions_total"] == 1
    assert {c["handle"] for c in digest["complaints"]} == {"giulia@mastodon.example", "late_x"}
    assert any(a["kind"] == "answer_questions" for a in digest["actions"])
    assert len(digest["chart"]) == 14
    assert call(client, "get", "/digest", api.token)["date"] == today.isoformat()
    for bad in ("2026-02-30", "yesterday", "1999-12-31", "2026-1-5", "20260105"):
        res = call(client, "get", "/digest", api.token, query={"date": bad}, status=400)
        assert res["error"] == "invalid date"


# --- schemathesis over the whole document ---------------------------------------------------

def test_schemathesis_finds_no_5xx_and_no_schema_violation(app, db):
    """Every operation of the served document, with valid and with invalid data, over a shop
    with data (and another shop beside it), with a valid token: every check schemathesis has
    for a response (no 5xx, status, content type, headers and body as documented, invalid data
    refused, valid data accepted). (Its pytest fixture loader does not run on pytest 9, so the
    operations' strategies are driven by Hypothesis here.)"""
    support_shop(db)
    support_shop(db, "other.example", who="o_")
    promo_shop = a_shop(db, domain="promo.myshopify.com")
    a_promotion(db, promo_shop)
    shop_id = support_shop(db, "api.example", who="a_").shop
    _id, token = create_api_token(db, shop_id, "schemathesis")
    loaded = schemathesis.openapi.from_wsgi(f"{PREFIX}/openapi.json", app)
    auth = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in loaded.get_all_operations()]
    assert len(operations) == sum(len(ops) for ops in openapi_document()["paths"].values())
    paths = openapi_document()["paths"]
    for operation in operations:
        documented = paths[operation.path][operation.method.lower()]
        takes_input = documented["parameters"] or "requestBody" in documented
        # with the token fixed, an operation without input has nothing to make invalid
        modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if takes_input else \
            (GenerationMode.POSITIVE,)
        for mode in modes:
            # the token as the case's own header: never negated, so an invalid request stays
            # invalid as sent
            @given(case=operation.as_strategy(generation_mode=mode, headers=auth))
            @settings(max_examples=25, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def check(case):
                case.call_and_validate(headers=auth)

            check()


def test_errors_outside_the_operations_are_json_too(client, api):
    sent = {"Authorization": f"Bearer {api.token}"}
    res = client.get(f"{PREFIX}/nothing-here", headers=sent)
    assert res.status_code == 404 and res.get_json() == {"error": "not found"}
    res = client.delete(f"{PREFIX}/cases/{api.complaint}", headers=sent)
    assert res.status_code == 405 and "GET" in res.headers["Allow"]
    assert json.loads(res.data) == {"error": "method not allowed"}
