"""The public "is this your order?" page: the form in the case's language, a match, and every
refusal answered with the same page and status whether or not the order exists."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select

from arrosto.models import Case, Customer, Order, OrderLink, SocialIdentity, VerificationAttempt
from arrosto.support.verify import client_digest, verification_url

from ..factories import make_shop
from .forms import TOKEN, post_form

NOW = dt.datetime.now(dt.UTC)
RIGHT = {"order_number": "#1043", "email_or_postcode": "Giulia.B@example.com"}
# what no page may show: the order's and the customer's data, and the author's
PERSONAL = ("1043", "giulia.b@example.com", "Giulia.B@example.com", "20121", "Bianchi",
            "Via Roma", "GiulyB", "24.90", "5555")


@pytest.fixture
def shops(db):
    """Shop A with order #1043 (Giulia Bianchi, postcode 20121); shop B with order #5555
    placed with the same e-mail."""
    ids = {"a": make_shop(db, "torrefazione.example"), "b": make_shop(db, "altro.example")}
    for shop, number in (("a", 1043), ("b", 5555)):
        with db.transaction(ids[shop]) as s:
            customer = Customer(external_id=f"c{number}", first_name="Giulia",
                                last_name="Bianchi", email="giulia.b@example.com",
                                postcode="20121")
            s.add(customer)
            s.flush()
            s.add(Order(external_id=f"o{number}", name=f"#{number}", number=number,
                        customer_id=customer.id, email="giulia.b@example.com",
                        shipping_name="Giulia Bianchi", shipping_postcode="20121",
                        shipping_city="Milano", created_at=NOW - dt.timedelta(days=9),
                        total_price=Decimal("24.90")))
    return ids


def new_case(db, shop_id: int, thread: str, lang: str | None = "it") -> int:
    with db.transaction(shop_id) as s:
        case = Case(network="x", author_id="id-giuly", author_handle="GiulyB",
                    author_name="Giulia Bianchi", thread_key=thread, intent="complaint",
                    lang=lang)
        s.add(case)
        s.flush()
        return case.id


def page_of(app, shop_id: int, case_id: int) -> str:
    with app.extensions["arrosto.db"].transaction(shop_id) as s:
        url = verification_url(app, s.get(Case, case_id))
    return url.removeprefix(app.config["ARROSTO"].public_url)


def send(client, page: str, data: dict, address: str = "198.51.100.1", **kwargs):
    return post_form(client, page, data, environ_base={"REMOTE_ADDR": address}, **kwargs)


def body(res) -> str:
    """The page without its CSRF token (a new one each time)."""
    return TOKEN.sub('name="csrf_token" value=""', res.get_data(as_text=True))


def assert_no_personal_data(text: str) -> None:
    for value in PERSONAL:
        assert value not in text, value


# --- the form -------------------------------------------------------------------------------------

def test_the_form_speaks_the_cases_language(app, db, client, shops):
    italian = client.get(page_of(app, shops["a"], new_case(db, shops["a"], "t1", "it")))
    english = client.get(page_of(app, shops["a"], new_case(db, shops["a"], "t2", "en")))
    unknown = client.get(page_of(app, shops["a"], new_case(db, shops["a"], "t3", None)))
    assert italian.status_code == english.status_code == unknown.status_code == 200
    it, en = italian.get_data(as_text=True), english.get_data(as_text=True)
    assert "È il tuo ordine?" in it and "E-mail o CAP" in it and '<html lang="it">' in it
    assert "Is this your order?" in en and "E-mail or postcode" in en
    assert "Is this your order?" in unknown.get_data(as_text=True)  # the shop's language
    for text in (it, en):
        assert TOKEN.search(text) and 'name="order_number"' in text
        assert "torrefazione.example" in text  # the shop's name, nothing of the order
        assert_no_personal_data(text)


def test_the_page_is_never_cached_indexed_or_referred(app, db, client, shops):
    res = client.get(page_of(app, shops["a"], new_case(db, shops["a"], "t1")))
    assert res.headers["Cache-Control"] == "no-store"
    assert res.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in res.headers["X-Robots-Tag"]


def test_a_post_without_the_csrf_token_is_refused(app, db, client, shops):
    page = page_of(app, shops["a"], new_case(db, shops["a"], "t1"))
    assert client.post(page, data=RIGHT).status_code == 400
    with db.transaction(shops["a"]) as s:
        assert s.scalar(select(VerificationAttempt.id)) is None


# --- a match --------------------------------------------------------------------------------------

def test_the_right_pair_links_and_verifies(app, db, client, shops):
    case_id = new_case(db, shops["a"], "t1")
    res = send(client, page_of(app, shops["a"], case_id), RIGHT)
    assert res.status_code == 200
    text = res.get_data(as_text=True)
    assert "Abbiamo trovato il tuo ordine" in text
    assert_no_personal_data(text)
    with db.transaction(shops["a"]) as s:
        case = s.get(Case, case_id)
        order = s.scalar(select(Order))
        assert case.order_id == order.id and case.customer_id == order.customer_id
        link = s.scalar(select(OrderLink))
        assert (link.case_id, link.order_id, link.status) == (case_id, order.id, "confirmed")
        identity = s.scalar(select(SocialIdentity))
        assert (identity.handle, identity.customer_id, identity.verified_by) == \
            ("giulyb", order.customer_id, "verification_page")


def test_postcode_instead_of_email(app, db, client, shops):
    case_id = new_case(db, shops["a"], "t1", "en")
    res = send(client, page_of(app, shops["a"], case_id),
               {"order_number": "1043", "email_or_postcode": " 201 21 "})
    assert "We have found your order" in res.get_data(as_text=True)


# --- every refusal is the same page ---------------------------------------------------------------

def test_every_refusal_is_the_same_page_whether_or_not_the_order_exists(
        app, db, client, shops, monkeypatch):
    a = shops["a"]
    answers = {}

    def refused(name: str, data: dict, page: str | None = None, address: str = "198.51.100.1"):
        page = page or page_of(app, a, new_case(db, a, name))
        answers[name] = send(client, page, data, address)

    refused("wrong pair", {**RIGHT, "email_or_postcode": "giulia.b@example.org"})
    refused("wrong postcode", {**RIGHT, "email_or_postcode": "20122"})
    refused("no such order", {**RIGHT, "order_number": "#1044"})
    refused("another shop's order", {**RIGHT, "order_number": "#5555"})
    refused("empty", {"order_number": "", "email_or_postcode": ""})

    # a used link: right once, refused ever after, also with the right pair
    used = page_of(app, a, new_case(db, a, "used"))
    assert "Abbiamo trovato" in send(client, used, RIGHT, "198.51.100.2").get_data(as_text=True)
    refused("used link", RIGHT, used, "198.51.100.2")

    # too many tries on a case: then the right pair is answered like a wrong one
    limited = page_of(app, a, new_case(db, a, "limited"))
    for n in range(5):
        send(client, limited, {**RIGHT, "email_or_postcode": f"{n}@example.org"},
             f"198.51.100.{10 + n}")
    refused("over the case limit, right pair", RIGHT, limited, "198.51.100.30")
    refused("over the case limit, no such order", {**RIGHT, "order_number": "9999"}, limited,
            "198.51.100.31")

    # an expired link, with the right pair
    expired = page_of(app, a, new_case(db, a, "expired"))
    later = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later(self) + 8 * 86400)
    refused("expired link, right pair", RIGHT, expired, "198.51.100.40")
    monkeypatch.undo()

    reference = answers.pop("wrong pair")
    assert reference.status_code == 200
    assert "Non siamo riusciti a confermare" in reference.get_data(as_text=True)
    for name, res in answers.items():
        assert res.status_code == reference.status_code, name
        assert body(res) == body(reference), name
        assert_no_personal_data(res.get_data(as_text=True))
    with db.transaction(a) as s:
        linked = set(s.scalars(select(Case.thread_key).where(Case.order_id.is_not(None))))
    assert linked == {"used"}


def test_tries_per_address_are_limited_across_cases(app, db, client, shops):
    a = shops["a"]
    pages = [page_of(app, a, new_case(db, a, f"t{n}")) for n in range(4)]
    wrong = send(client, pages[0], {**RIGHT, "email_or_postcode": "x@example.org"},
                 "203.0.113.9")
    for n in range(1, 10):  # 10 an hour per address, at most 4 on one case
        send(client, pages[n % 3], {**RIGHT, "email_or_postcode": "x@example.org"},
             "203.0.113.9")
    over = send(client, pages[3], RIGHT, "203.0.113.9")
    assert over.status_code == wrong.status_code and body(over) == body(wrong)
    other = send(client, pages[3], RIGHT, "203.0.113.10")
    assert "Abbiamo trovato" in other.get_data(as_text=True)


def test_behind_a_trusted_proxy_the_forwarded_address_counts(make_app, db, shops):
    app = make_app(trusted_proxies=1)
    page = page_of(app, shops["a"], new_case(db, shops["a"], "t1"))
    post_form(app.test_client(), page, {**RIGHT, "order_number": "1044"},
              headers={"X-Forwarded-For": "192.0.2.50"})
    with db.transaction(shops["a"]) as s:
        assert s.scalar(select(VerificationAttempt.client_digest)) == \
            client_digest(app, "192.0.2.50")


# --- forged links ---------------------------------------------------------------------------------

def test_a_forged_or_tampered_link_is_a_bare_404(app, db, client, shops):
    page = page_of(app, shops["a"], new_case(db, shops["a"], "t1"))
    token = page.rsplit("/", 1)[1]
    tampered = token[:-3] + ("abc" if token[-3:] != "abc" else "xyz")
    for bad in (f"/verify/{tampered}", "/verify/forged", f"/verify/{token}x"):
        res = client.get(bad)
        assert res.status_code == 404, bad
        assert_no_personal_data(res.get_data(as_text=True))
        posted = post_form(client, page, RIGHT, url=bad)
        assert posted.status_code == 404
    with db.transaction(shops["a"]) as s:
        assert s.scalar(select(VerificationAttempt.id)) is None
        assert s.get(Case, s.scalar(select(Case.id))).order_id is None


def test_a_link_to_a_case_that_is_gone_is_a_404(app, db, client, shops):
    case_id = new_case(db, shops["a"], "t1")
    page = page_of(app, shops["a"], case_id)
    with db.transaction(shops["a"]) as s:
        s.delete(s.get(Case, case_id))
    assert client.get(page).status_code == 404


@pytest.mark.parametrize("field", ["order_number", "email_or_postcode"])
def test_nothing_typed_is_echoed_back(app, db, client, shops, field):
    page = page_of(app, shops["a"], new_case(db, shops["a"], "t1"))
    res = send(client, page, {**RIGHT, field: "zz-echo-test@example.org"})
    assert "zz-echo-test" not in res.get_data(as_text=True)
    assert re.search(r'name="order_number"(?![^>]*value=)', res.get_data(as_text=True))
