"""Tenant isolation, swept over the app's URL map: signed in as shop A (by cookie, by API
token), every admin and API route asked for shop B's things answers 404 (or, for a route with
no id, shows nothing of B's), and nothing of B's changes. A route this file has no case for
fails the sweep, so a new route is covered without a new test."""
from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from arrosto.access import create_api_token
from arrosto.models import (
    Base,
    DataExport,
    Message,
    OptOut,
    Outreach,
    Post,
    Promotion,
    PromotionProduct,
    ShopOwned,
    Watcher,
    utcnow,
)

from ..web.forms import csrf_token
from ..web.test_admin import sign_in
from ..web.test_inbox import support_shop

# Routes that serve no shop's data to a signed-in owner: what guards each instead.
PUBLIC = {
    "static": "package files",
    "health.healthz": "liveness, no data",
    "health.readyz": "readiness, no data",
    "admin.login": "a one-time token (its digest) names the shop",
    "admin.logout": "ends the caller's own session",
    "admin.session_token_bounce": "loads App Bridge, no data",
    "install.shopify_app": "a Shopify session token names the shop",
    "install.shopify_install": "Shopify's query HMAC",
    "install.shopify_callback": "Shopify's query HMAC and the browser-bound state",
    "install.woocommerce_connect": "starts a connection for the caller's own store",
    "install.woocommerce_callback": "a one-time nonce of ours",
    "install.woocommerce_return": "the caller's own pending connection",
    "webhooks.receive": "the delivery's signature (the shop's own secret)",
    "verify.page": "a signed one-time link",
    "digest.confirm": "a signed unsubscribe token",
    "digest.one_click": "a signed unsubscribe token",
    "api.openapi": "the API's description, no data",
}

# How to name shop B's thing for each id in a route.
IDS = {
    "case_id": lambda w: w.complaint,
    "message_id": lambda w: w.message,
    "post_id": lambda w: w.post,
    "order_id": lambda w: w.order,
    "product_id": lambda w: w.oro,
    "promotion_id": lambda w: w.promotion,
    "outreach_id": lambda w: w.outreach,
    "account_id": lambda w: w.account,
    "opt_out_id": lambda w: w.opt_out,
    "export_id": lambda w: w.export,
    "watcher_id": lambda w: w.watcher,
    "token_id": lambda w: w.token_id,
    # not an id: a position in the shop's own FAQ list, which B's request can't name; A has
    # two entries, so a third position is not there
    "index": lambda w: 7,
}

# What a form may carry that could name B's things; a route ignores what it does not read.
def b_form(w) -> dict[str, str]:
    return {"case_id": str(w.complaint), "order_id": str(w.order), "order": "#1042",
            "product_id": str(w.oro), "product_ids": str(w.oro), "product": str(w.oro),
            "promotion_id": str(w.promotion), "outreach_id": str(w.outreach),
            "person_id": "id-newcomer", "handle": "newcomer", "network": "x",
            "email": "giulia.orru@example.it", "customer": "c-1", "customer_id": "c-1",
            "term": "new term", "title": "A promotion", "text": "hello", "question": "q",
            "answer": "a", "name": "n", "confirm": "yes"}


def world(db, domain: str, who: str) -> SimpleNamespace:
    """A shop with one of everything an owner can address by id."""
    data = support_shop(db, domain, who=who, account=True)
    now = utcnow()
    with db.transaction(data.shop) as s:
        shop = s.get(__import__("arrosto.models", fromlist=["Shop"]).Shop, data.shop)
        shop.settings = {**shop.settings, "faq": [
            {"question": f"{who}spedite in Sardegna?", "answer": "Sì, in 3 giorni."},
            {"question": f"{who}decaffeinato?", "answer": "Sì, il Deca Notte."}]}
        fan = Post(network="x", external_id=f"{who}fan-1", author_id=f"id-{who}fan",
                   author_handle=f"{who}fan", text=f"{who}love the Miscela Oro", lang="en",
                   created_at=now - dt.timedelta(days=1), source="search", intent="praise",
                   thread_id=f"{who}fan-1")
        s.add(fan)
        s.flush()
        promotion = Promotion(source="manual", external_id=f"{who}promo",
                              title=f"{who}Settimana dell'Oro", code="ORO20", value="20%",
                              starts_at=now - dt.timedelta(hours=1),
                              ends_at=now + dt.timedelta(days=3))
        s.add(promotion)
        s.flush()
        s.add(PromotionProduct(promotion_id=promotion.id, product_id=data.oro))
        outreach = Outreach(promotion_id=promotion.id, network="x", person_id=f"id-{who}fan",
                            handle=f"{who}fan", audience="owner", post_id=fan.id, lang="en",
                            draft=f"{who}The Miscela Oro is 20% off this week")
        watcher = Watcher(product_id=data.oro, network="x", person_id=f"id-{who}watch",
                          handle=f"{who}watch", source="reply", consent_text="notify me")
        opt_out = OptOut(network="x", person_id=f"id-{who}stop", handle=f"{who}stop")
        export = DataExport(request_key=f"{who}req", customer_external_id="c-1",
                            data={"customer": {"email": "giulia.orru@example.it"}})
        s.add_all([outreach, watcher, opt_out, export])
        s.flush()
        message = s.scalar(select(Message.id).where(Message.case_id == data.complaint))
        ids = dict(post=fan.id, promotion=promotion.id, outreach=outreach.id, watcher=watcher.id,
                   opt_out=opt_out.id, export=export.id, message=message)
    from arrosto.models import SocialAccount

    with db.transaction(data.shop) as s:
        ids["account"] = s.scalar(select(SocialAccount.id))
    ids["token_id"], ids["token"] = create_api_token(db, data.shop, f"{who}script")
    return SimpleNamespace(**vars(data), **ids, marker=who)


def snapshot(db, shop_id: int) -> dict[str, list]:
    """Every row shop ``shop_id`` owns, table by table."""
    rows = {}
    with db.transaction(shop_id) as s:
        for mapper in Base.registry.mappers:
            cls = mapper.class_
            if not issubclass(cls, ShopOwned):
                continue
            table = mapper.local_table
            result = s.execute(select(table).where(table.c.shop_id == shop_id)
                               .order_by(*table.primary_key.columns))
            rows[table.name] = [tuple(r) for r in result]
    return rows


def fill(rule, values: dict[str, object]) -> str:
    url = rule.rule
    for name in rule.arguments:
        url = re.sub(rf"<(?:[^:>]+:)?{name}>", str(values[name]), url)
    return url


def routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


@pytest.fixture
def two_shops(app, db):
    a = world(db, "a.myshopify.com", "")
    b = world(db, "b.myshopify.com", "b-")
    return a, b


def test_every_route_of_the_url_map_keeps_shop_b_out_of_reach_of_shop_a(app, db, two_shops):
    a, b = two_shops
    client = app.test_client()
    sign_in(client, db, a.shop)
    token = csrf_token(client, f"/admin/cases/{a.complaint}")
    api = {"Authorization": f"Bearer {a.token}"}
    before = snapshot(db, b.shop)
    # strings only shop B's rows hold (its people's handles, its promotion, FAQ, token name)
    markers = [b.marker + m for m in ("giulia", "late_x", "luca", "Settimana", "spedite",
                                      "decaffeinato", "watch", "stop", "script", "fan",
                                      "The Miscela")]
    uncovered, leaks, checked = [], [], 0
    for rule, method in routes(app):
        endpoint = rule.endpoint
        if endpoint in PUBLIC:
            continue
        if not rule.rule.startswith(("/admin/", "/api/")):
            uncovered.append(f"{method} {rule.rule}: neither admin nor API, and not in PUBLIC")
            continue
        missing = [name for name in rule.arguments if name not in IDS]
        if missing:
            uncovered.append(f"{method} {rule.rule}: no case for {', '.join(missing)}")
            continue
        is_api = rule.rule.startswith("/api/")
        variants = []
        if rule.arguments:
            names = [n for n in IDS if n in rule.arguments]
            all_b = {n: IDS[n](b) for n in names}
            variants.append(all_b)
            # A's own first id with B's others: the nested id must be checked too
            if len(names) > 1:
                ordered = [n for n in re.findall(r"<(?:[^:>]+:)?(\w+)>", rule.rule)]
                variants.append({**all_b, ordered[0]: IDS[ordered[0]](a)})
        else:
            variants.append({})
        for values in variants:
            url = fill(rule, values)
            kwargs = {"headers": api} if is_api else {}
            if method == "GET":
                res = (app.test_client() if is_api else client).get(url, **kwargs)
            elif is_api:
                res = app.test_client().post(url, json={}, **kwargs)
            else:
                res = client.post(url, data={**b_form(b), "csrf_token": token})
            checked += 1
            body = res.get_data(as_text=True)
            if values and res.status_code != 404:
                leaks.append(f"{method} {url}: {res.status_code}, expected 404")
            elif not values and (res.status_code >= 500 or any(
                    m in body for m in markers)):
                shown = [m for m in markers if m in body]
                leaks.append(f"{method} {url}: {res.status_code}, shows {shown or 'an error'}")
        if rule.arguments and method == "GET":
            # and the same page of A's own answers: the 404 above was about whose it is
            own = fill(rule, {n: IDS[n](a) for n in rule.arguments})
            res = (app.test_client() if is_api else client).get(
                own, **({"headers": api} if is_api else {}))
            if res.status_code != 200:
                leaks.append(f"GET {own}: {res.status_code} for shop A's own, expected 200")
    assert not uncovered, "routes with no isolation case:\n" + "\n".join(uncovered)
    assert not leaks, "\n".join(leaks)
    assert snapshot(db, b.shop) == before, "a request as shop A changed shop B's rows"
    assert checked > 60


def test_the_sweep_refuses_a_route_it_has_no_case_for(app):
    """The sweep's own guard: a new route with a new kind of id is reported, not skipped."""

    @app.get("/admin/widgets/<int:widget_id>")
    def widget(widget_id):  # pragma: no cover - never called
        return "widget"

    rules = [r for r, _ in routes(app) if r.endpoint not in PUBLIC]
    new = [r for r in rules if r.rule == "/admin/widgets/<int:widget_id>"]
    assert new and [n for n in new[0].arguments if n not in IDS] == ["widget_id"]
