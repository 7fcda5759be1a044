"""The "is this your order?" link and check: signed expiring links, the order number in the
formats the linker reads, e-mail or postcode, limits per case and per address, what a match
records and what a refusal leaves behind."""
from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from arrosto.crypto import derive_key
from arrosto.models import (
    Case,
    Customer,
    Order,
    OrderLink,
    Post,
    SocialIdentity,
    VerificationAttempt,
)
from arrosto.support.linking import link_case
from arrosto.support.verify import (
    check_order,
    client_digest,
    order_number_keys,
    read_link,
    verification_url,
)

from ..factories import make_shop

NOW = dt.datetime(2026, 1, 10, 12, tzinfo=dt.UTC)
ADDRESS = "203.0.113.7"


@pytest.fixture
def shops(db):
    """Shop A (plain numbers), shop B (another shop with an order 1043 and an order 5555) and
    shop C (Shopify names with a prefix): {"a": id, "b": id, "c": id, "orders": {name: id}}."""
    ids = {"a": make_shop(db, "a.myshopify.com"), "b": make_shop(db, "b.myshopify.com"),
           "c": make_shop(db, "c.myshopify.com")}
    orders: dict[str, int] = {}

    def add(shop: str, name: str, number: int, email: str | None, postcode: str | None,
            customer: str | None = "Giulia") -> None:
        with db.transaction(ids[shop]) as s:
            customer_id = None
            if customer:
                row = Customer(external_id=f"{shop}-{name}", first_name=customer,
                               last_name="Bianchi", email=email)
                s.add(row)
                s.flush()
                customer_id = row.id
            order = Order(external_id=f"{shop}-{name}", name=name, number=number,
                          customer_id=customer_id, email=email, shipping_postcode=postcode,
                          shipping_name="Giulia Bianchi", created_at=NOW - dt.timedelta(days=9),
                          total_price=Decimal("24.90"))
            s.add(order)
            s.flush()
            orders[f"{shop}{name}"] = order.id

    add("a", "#1043", 1043, "Giulia.B@Example.com", "20121")
    add("a", "#2001", 2001, "tom@example.co.uk", "SW1A 1AA", customer="Tom")
    add("a", "#1052", 1052, "guest@example.net", "00-950", customer=None)
    add("a", "#1060", 1060, None, None, customer="Nessuno")
    add("b", "#1043", 1043, "altro@example.com", "10100")
    add("b", "#5555", 5555, "giulia.b@example.com", "20121")
    add("c", "#BR1001", 1001, "giulia.b@example.com", "20121")
    return {**ids, "orders": orders}


def open_case(db, shop_id: int, *, handle: str = "GiulyB", thread: str = "t1",
              lang: str | None = "it") -> int:
    with db.transaction(shop_id) as s:
        case = Case(network="x", author_id=f"id-{handle}", author_handle=handle,
                    author_name="Giuly", thread_key=thread, intent="complaint", lang=lang,
                    opened_at=NOW, last_message_at=NOW)
        s.add(case)
        s.flush()
        s.add(Post(network="x", external_id=f"{handle}-{thread}", author_id=f"id-{handle}",
                   author_handle=handle, author_name="Giuly", intent="complaint",
                   text="il mio ordine non è ancora arrivato", created_at=NOW,
                   case_id=case.id))
        return case.id


def check(app, db, shop_id: int, case_id: int, number: str, secret: str, *,
          address: str = ADDRESS, nonce: str | None = None, now: dt.datetime = NOW) -> bool:
    with db.transaction(shop_id) as s:
        return check_order(s, s.get(Case, case_id), number, secret, address,
                           settings=app.config["ARROSTO"], nonce=nonce or new_nonce(),
                           now=now)


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def attempts(db, shop_id: int) -> list[VerificationAttempt]:
    with db.transaction(shop_id) as s:
        return list(s.scalars(select(VerificationAttempt).order_by(VerificationAttempt.id)))


# --- the link -------------------------------------------------------------------------------------

def test_a_link_names_the_shop_the_case_and_a_fresh_nonce(app, db, shops):
    case_id = open_case(db, shops["a"])
    with db.transaction(shops["a"]) as s:
        case = s.get(Case, case_id)
        first, second = verification_url(app, case), verification_url(app.config["ARROSTO"], case)
    assert first.startswith("http://localhost/verify/")
    a, b = (read_link(app, url.rsplit("/", 1)[1]) for url in (first, second))
    assert (a.shop_id, a.case_id, a.expired) == (shops["a"], case_id, False)
    assert (b.shop_id, b.case_id) == (shops["a"], case_id)
    assert a.nonce != b.nonce and len(a.nonce) >= 16
    # no personal data: only signed ids
    assert "Giuly" not in first and "1043" not in first


def token_of(app, case_id: int, shop_id: int) -> str:
    with app.extensions["arrosto.db"].transaction(shop_id) as s:
        return verification_url(app, s.get(Case, case_id)).rsplit("/", 1)[1]


def test_a_tampered_or_foreign_token_is_no_link(app, db, shops):
    case_id = open_case(db, shops["a"])
    token = token_of(app, case_id, shops["a"])
    payload, rest = token.split(".", 1)
    other_case = URLSafeTimedSerializer(derive_key("x" * 32, "arrosto.verify"),
                                        salt="arrosto.verify").dumps(
        {"s": shops["a"], "c": case_id, "n": new_nonce()})
    other_salt = URLSafeTimedSerializer(
        derive_key(app.config["ARROSTO"].secret_keys()[0], "arrosto.verify"),
        salt="arrosto.other").dumps({"s": shops["a"], "c": case_id, "n": new_nonce()})
    for bad in (token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), payload[:-1] + "." + rest,
                other_case, other_salt, "", "not-a-token", token + "x"):
        assert read_link(app, bad) is None, bad


def test_a_link_expires_after_the_lifetime(app, db, shops, monkeypatch):
    case_id = open_case(db, shops["a"])
    token = token_of(app, case_id, shops["a"])
    now = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp",
                        lambda self: now(self) + 6 * 86400)
    assert read_link(app, token).expired is False
    monkeypatch.setattr(TimestampSigner, "get_timestamp",
                        lambda self: now(self) + 7 * 86400 + 5)
    link = read_link(app, token)
    assert link.expired is True and link.case_id == case_id


def test_links_survive_a_key_rotation(make_app, db, shops, settings):
    case_id = open_case(db, shops["a"])
    old = make_app()
    token = token_of(old, case_id, shops["a"])
    rotated = make_app(secret_key=f"{'n' * 32},{settings['secret_key']}")
    assert read_link(rotated, token).case_id == case_id
    assert read_link(make_app(secret_key="n" * 32), token) is None


# --- what the customer types ----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "keys"), [
    ("#1043", {(1043, None)}), ("1043", {(1043, None)}), ("  1043 ", {(1043, None)}),
    ("ordine n. 1043", {(1043, None)}), ("Order #1043", {(1043, None)}),
    ("n°1043", {(1043, None)}), ("2001", {(2001, None)}), ("#2001", {(2001, None)}),
    ("42", {(42, None)}), ("987654321", {(987654321, None)}),
    ("#BR1001", {(1001, "br1001")}), ("br-1001", {(1001, "br1001")}),
    ("BR 1001", {(1001, "br1001")}),
    ("1043 1044", set()), ("1043 2001", set()), ("#1043, #1044", set()),
    ("", set()), ("abc", set()),
])
def test_order_numbers_as_the_linker_reads_them(text, keys):
    assert order_number_keys(text, {"br"}) == keys


# --- the check ------------------------------------------------------------------------------------

def test_the_right_pair_links_the_case_and_verifies_the_handle(app, db, shops):
    case_id = open_case(db, shops["a"])
    nonce = new_nonce()
    assert check(app, db, shops["a"], case_id, "#1043", "  giulia.b@EXAMPLE.com ", nonce=nonce)
    order_id = shops["orders"]["a#1043"]
    with db.transaction(shops["a"]) as s:
        case = s.get(Case, case_id)
        order = s.get(Order, order_id)
        assert case.order_id == order_id and case.customer_id == order.customer_id
        assert case.link_confidence == 1.0
        link = s.scalar(select(OrderLink).where(OrderLink.case_id == case_id))
        assert (link.order_id, link.status, link.confidence) == (order_id, "confirmed", 1.0)
        assert link.reasons[0] == "confirmed on the verification page"
        identity = s.scalar(select(SocialIdentity))
        assert (identity.network, identity.handle, identity.verified_by, identity.customer_id) \
            == ("x", "giulyb", "verification_page", order.customer_id)
        assert identity.author_id == "id-GiulyB"
    [attempt] = attempts(db, shops["a"])
    assert attempt.succeeded and attempt.link_nonce == nonce and attempt.case_id == case_id


def test_the_next_complaint_from_a_verified_handle_is_linked(app, db, shops):
    case_id = open_case(db, shops["a"])
    assert check(app, db, shops["a"], case_id, "1043", "20121")
    other = open_case(db, shops["a"], thread="t2")
    with db.transaction(shops["a"]) as s:
        outcome = link_case(s, s.get(Case, other), NOW)
        assert outcome.status == "auto"
        assert "handle verified as this customer's (on the verification page)" in \
            outcome.candidates[0].reasons


@pytest.mark.parametrize(("number", "secret", "order"), [
    ("1043", "20121", "a#1043"), ("#1043", " 201 21", "a#1043"),
    ("2001", "sw1a1aa", "a#2001"), ("#2001", "Tom@Example.co.uk", "a#2001"),
    ("1052", "00950", "a#1052"), ("ordine 1052", "GUEST@example.net", "a#1052"),
])
def test_email_or_postcode_in_any_case_and_spacing(app, db, shops, number, secret, order):
    case_id = open_case(db, shops["a"])
    assert check(app, db, shops["a"], case_id, number, secret)
    with db.transaction(shops["a"]) as s:
        assert s.get(Case, case_id).order_id == shops["orders"][order]


def test_a_guest_order_is_linked_without_an_identity(app, db, shops):
    case_id = open_case(db, shops["a"])
    assert check(app, db, shops["a"], case_id, "1052", "guest@example.net")
    with db.transaction(shops["a"]) as s:
        assert s.get(Case, case_id).order_id == shops["orders"]["a#1052"]
        assert s.scalar(select(func.count(SocialIdentity.id))) == 0


def test_prefixed_shopify_names(app, db, shops):
    for text in ("#BR1001", "br-1001", "1001"):
        case_id = open_case(db, shops["c"], thread=text)
        assert check(app, db, shops["c"], case_id, text, "20121"), text
    case_id = open_case(db, shops["c"], thread="wrong prefix")
    assert not check(app, db, shops["c"], case_id, "#XY1001", "20121")


@pytest.mark.parametrize(("number", "secret"), [
    ("1043", "altro@example.com"),  # another order's e-mail
    ("1043", "20122"),  # a postcode off by one
    ("1044", "giulia.b@example.com"),  # no such order
    ("5555", "giulia.b@example.com"),  # shop B's order, with its own e-mail
    ("1060", ""), ("1060", "  "), ("1060", "-"),  # an order with neither: never empty = empty
    ("1043 2001", "20121"),  # two numbers: one try tests one order
    ("1043", "giulia.b@example.com 20121"),
    ("", "giulia.b@example.com"),
])
def test_a_wrong_pair_is_refused_and_recorded(app, db, shops, number, secret):
    case_id = open_case(db, shops["a"])
    assert not check(app, db, shops["a"], case_id, number, secret)
    [attempt] = attempts(db, shops["a"])
    assert not attempt.succeeded
    with db.transaction(shops["a"]) as s:
        assert s.get(Case, case_id).order_id is None
        assert s.scalar(select(func.count(OrderLink.id))) == 0
        assert s.scalar(select(func.count(SocialIdentity.id))) == 0


def test_a_used_link_is_refused_even_with_the_right_pair(app, db, shops):
    case_id = open_case(db, shops["a"])
    nonce = new_nonce()
    assert check(app, db, shops["a"], case_id, "1043", "20121", nonce=nonce)
    assert not check(app, db, shops["a"], case_id, "1043", "20121", nonce=nonce)
    assert not check(app, db, shops["a"], case_id, "2001", "SW1A 1AA", nonce=nonce)
    assert len(attempts(db, shops["a"])) == 1
    with db.transaction(shops["a"]) as s:
        assert s.get(Case, case_id).order_id == shops["orders"]["a#1043"]


def test_tries_per_case_are_limited(app, db, shops):
    case_id = open_case(db, shops["a"])
    for n in range(5):  # the default: 5 a case, whichever link and address
        assert not check(app, db, shops["a"], case_id, "1043", f"2012{n + 2}",
                         address=f"198.51.100.{n}", nonce=new_nonce())
    assert not check(app, db, shops["a"], case_id, "1043", "20121", address="192.0.2.1")
    assert len(attempts(db, shops["a"])) == 5  # refusals for the limit are not recorded
    with db.transaction(shops["a"]) as s:
        assert s.get(Case, case_id).order_id is None
    # another case of the same author is not locked by this one
    other = open_case(db, shops["a"], thread="t2")
    assert check(app, db, shops["a"], other, "1043", "20121", address="192.0.2.1")


def test_tries_per_address_are_limited_across_cases(app, db, shops):
    cases = [open_case(db, shops["a"], handle=f"h{n}", thread=f"t{n}") for n in range(4)]
    for n in range(10):  # the default: 10 an hour per address
        assert not check(app, db, shops["a"], cases[n % 3], "1043", "nope@example.com",
                         now=NOW + dt.timedelta(minutes=n))
    later = NOW + dt.timedelta(minutes=30)
    assert not check(app, db, shops["a"], cases[3], "1043", "20121", now=later)
    assert check(app, db, shops["a"], cases[3], "1043", "20121", address="192.0.2.9",
                 now=later)
    # an hour after its tries the address may try again
    fresh = open_case(db, shops["a"], handle="h9", thread="t9")
    assert check(app, db, shops["a"], fresh, "2001", "SW1A 1AA",
                 now=NOW + dt.timedelta(minutes=70))


def test_limits_are_settings(make_app, db, shops):
    app = make_app(verify_tries_per_case=2)
    case_id = open_case(db, shops["a"])
    for _ in range(2):
        assert not check(app, db, shops["a"], case_id, "1043", "x@example.com")
    assert not check(app, db, shops["a"], case_id, "1043", "20121")


def test_the_address_is_stored_only_as_a_digest(app, db, shops):
    case_id = open_case(db, shops["a"])
    check(app, db, shops["a"], case_id, "1043", "nope@example.com", address="203.0.113.7")
    [attempt] = attempts(db, shops["a"])
    assert attempt.client_digest == client_digest(app, "203.0.113.7")
    assert len(attempt.client_digest) == 64 and "203.0.113" not in attempt.client_digest
    assert client_digest(app, "203.0.113.8") != attempt.client_digest


def test_another_shops_order_is_out_of_reach(app, db, shops):
    case_id = open_case(db, shops["a"])
    assert not check(app, db, shops["a"], case_id, "5555", "20121")
    with db.transaction(shops["b"]) as s:
        assert s.scalar(select(func.count(OrderLink.id))) == 0
        assert s.scalar(select(func.count(VerificationAttempt.id))) == 0
