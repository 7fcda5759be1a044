"""Reply drafts and the never-public check: every template, both languages, random order data;
owners' templates in the sandbox; drafts stored once per interaction."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from arrosto.models import (
    Case,
    Customer,
    Fulfillment,
    Message,
    Order,
    OrderLine,
    Post,
    PostProduct,
    Product,
    Shop,
)
from arrosto.outbox.public import PersonalDataInPublic, check_public, private_data
from arrosto.outbox.render import render
from arrosto.support.drafts import compose, draft_replies, situation
from arrosto.support.templates import DEFAULTS, LANGUAGES, SITUATIONS, template_key

from ..factories import make_shop

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)

# --- random customers and orders -----------------------------------------------------------------

FIRST = st.sampled_from(["Giulia", "Niccolò", "Maria Grazia", "Zoë", "José", "Anna", "Luca",
                         "Françoise", "Ugo", "Ilaria", "Bartholomew", "Chiara"])
LAST = st.sampled_from(["Bianchi", "Orrù", "Della Rosa", "D'Angelo", "Müller", "Esposito",
                        "van Dijk", "Nguyễn", "Rossi", "O'Brien", "Ferrara"])
PRODUCT_TITLES = st.sampled_from(["Miscela Vesuvio", "Moka Induzione Inox 6 tazze",
                                  "Colombia Huila 250 g", "Kenya AA", "Tazzine Brace (set da 2)"])


@st.composite
def orders(draw):
    first, last = draw(FIRST), draw(LAST)
    number = draw(st.integers(1000, 999_999))
    prefix = draw(st.sampled_from(["#", "#BR", "#IT-", ""]))
    user = unicodedata.normalize("NFKD", first.lower()).encode("ascii", "ignore").decode()
    customer = SimpleNamespace(
        first_name=first, last_name=last,
        email=f"{user.replace(' ', '.')}.{number}@example.{draw(st.sampled_from(['it', 'com']))}",
        phone=f"+39 3{draw(st.integers(10, 99))} {draw(st.integers(1_000_000, 9_999_999))}",
        postcode=f"{draw(st.integers(10, 98)):02d}{draw(st.integers(100, 999))}")
    quantity = draw(st.integers(1, 3))
    price = Decimal(draw(st.integers(350, 9_999))) / 100
    lines = [SimpleNamespace(title=draw(PRODUCT_TITLES), quantity=quantity, price=price)]
    tracking = draw(st.sampled_from(["RR{}IT", "1Z999AA1{}", "JD0146{}", "{}"])).format(
        draw(st.integers(10_000_000, 99_999_999)))
    state = draw(st.sampled_from(["not_shipped", "in_transit", "delivered", "cancelled"]))
    fulfillments = [] if state == "not_shipped" else [SimpleNamespace(
        tracking_company="BRT", tracking_number=tracking,
        tracking_url=f"https://track.example.com/{tracking}",
        shipment_status="delivered" if state == "delivered" else "in_transit")]
    order = SimpleNamespace(
        name=f"{prefix}{number}" if prefix else str(number), number=number,
        external_id=str(draw(st.integers(10**9, 10**12))), email=customer.email,
        shipping_name=f"{first} {last}", shipping_postcode=customer.postcode,
        total_price=price * quantity + Decimal("4.90"), lines=lines, fulfillments=fulfillments,
        customer=customer, fulfillment_status=None if state == "not_shipped" else "fulfilled",
        cancelled_at=NOW if state == "cancelled" else None, cancel_reason="customer",
        financial_status="refunded" if state == "cancelled" else "paid",
        created_at=NOW - dt.timedelta(days=draw(st.integers(0, 40))))
    return order


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def personal_values(order) -> list[str]:
    """What must never be in public, written as plainly as possible: an independent oracle
    (substring search), not the check under test."""
    c = order.customer
    values = [order.name, str(order.number), c.email, c.phone.replace(" ", ""), c.postcode,
              order.shipping_name, f"{order.total_price:.2f}",
              f"{order.total_price:.2f}".replace(".", ",")]
    # each part of a name too, but not the particles that are ordinary Italian words ("Della
    # Rosa": "della" is everywhere in Italian); the whole name is checked above
    values += [p for p in (c.first_name.split() + c.last_name.split())
               if len(p) > 3 and p.lower() not in {"della", "delle", "dalla", "degli"}]
    for f in order.fulfillments:
        values += [f.tracking_number, f.tracking_url]
    return values


def leaks(text: str, order) -> list[str]:
    plain = fold(text)
    squeezed = re.sub(r"\s", "", plain)
    found = []
    for value in personal_values(order):
        v = fold(value)
        if re.fullmatch(r"[#\w-]*\d[\w-]*", v.lstrip("#")):  # numbers: as a whole number
            if re.search(rf"(?<![\w]){re.escape(v.lstrip('#'))}(?![\w])", plain):
                found.append(value)
        elif re.search(rf"(?<![\w]){re.escape(v)}(?![\w])", plain) or \
                (len(v) > 6 and re.sub(r"\s", "", v) in squeezed):
            found.append(value)
    return found


def shop_ns(lang: str, **settings) -> SimpleNamespace:
    return SimpleNamespace(name="Torrefazione Brace", currency="EUR", language=lang,
                           settings=settings)


def case_ns(intent: str, lang: str) -> SimpleNamespace:
    return SimpleNamespace(intent=intent, lang=lang, addresses_shop=True)


PRODUCT = SimpleNamespace(id=7, title="Miscela Vesuvio", url="https://brace.example/products/"
                          "miscela-vesuvio", status="active", deleted_at=None,
                          inventory_quantity=12, price=Decimal("12.90"))


# --- the property: no public message carries the customer's data ------------------------------

@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=orders(), lang=st.sampled_from(LANGUAGES),
       intent=st.sampled_from(["complaint", "question"]), linked=st.booleans(),
       with_product=st.booleans(), dm=st.booleans())
def test_no_public_message_carries_personal_or_order_data(order, lang, intent, linked,
                                                          with_product, dm):
    composed = compose(shop_ns(lang), case_ns(intent, lang), order=order if linked else None,
                       customer=order.customer if linked else None,
                       product=PRODUCT if with_product else None, texts=["dov'è il mio ordine?"],
                       can_dm=dm, verify_url="https://arrosto.example/verify/abc.DEF-123_x",
                       now=NOW)
    assert composed.problems == []
    assert leaks(composed.public, order) == [], composed.public
    check_public(composed.public, private_data(customer=order.customer, order=order),
                 allowed=["https://arrosto.example/verify/abc.DEF-123_x", PRODUCT.url])
    if linked and dm:  # the substance goes to the private message
        assert order.name in composed.private


@settings(max_examples=200, deadline=None)
@given(order=orders(), key=st.sampled_from(sorted(k for k in DEFAULTS if k.endswith(".public"))))
def test_every_public_template_is_free_of_personal_data_even_given_the_order(order, key):
    """Even if a public template were handed the order's data, none of the shipped ones
    prints it: they only use public facts."""
    public = {"shop_name": "Brace", "product": None, "dm": True, "verify_url": None,
              "contact": "ciao@brace.example", "notify_word": "avvisami", "tip": None,
              "answer": None}
    text = render(DEFAULTS[key], {**public, "order": order, "customer": order.customer})
    assert leaks(text, order) == []


SPELLINGS = [
    lambda o: f"il tuo ordine {o.name} è partito",
    lambda o: f"ordine n. {o.number}, arriva domani",
    lambda o: f"order #{o.number} is on its way",
    lambda o: f"ciao {o.customer.first_name}!",
    lambda o: f"{o.customer.last_name.upper()}, ci dispiace",
    lambda o: f"scrivici a {o.customer.email}",
    lambda o: f"totale {o.total_price:.2f} €".replace(".", ","),
    lambda o: f"you paid €{o.total_price:.2f}",
    lambda o: f"tracking: {o.fulfillments[0].tracking_number}" if o.fulfillments else
    f"CAP {o.customer.postcode}",
    lambda o: f"spedito a {o.shipping_postcode} oggi",
    lambda o: f"chiamaci al {o.customer.phone}",
]


@settings(max_examples=300, deadline=None)
@given(order=orders(), spell=st.sampled_from(SPELLINGS),
       before=st.sampled_from(["", "Grazie! ", "Ci dispiace. "]),
       after=st.sampled_from(["", " A presto.", " 🙏"]))
def test_the_check_refuses_personal_data_however_it_is_written(order, spell, before, after):
    with pytest.raises(PersonalDataInPublic) as refused:
        check_public(before + spell(order) + after,
                     private_data(customer=order.customer, order=order))
    assert str(order.number) not in str(refused.value)  # the error names kinds, not values


def test_ordinary_replies_pass_the_check():
    order = SimpleNamespace(
        name="#1001", number=1001, external_id="820982911946154508", email="giulia@example.it",
        shipping_name="Giulia Della Rosa", shipping_postcode="00184",
        total_price=Decimal("34.50"), lines=[], fulfillments=[],
        customer=SimpleNamespace(first_name="Giulia", last_name="Della Rosa",
                                 email="giulia@example.it", phone=None, postcode="00184"))
    secret = private_data(customer=order.customer, order=order)
    for text in ["Ci dispiace per l'attesa, ti scriviamo in privato della consegna.",
                 "Miscela Vesuvio è disponibile a 12,90 €.", "Sorry for the wait! 2 days max.",
                 "Scrivici a ciao@brace.example e controlliamo."]:
        check_public(text, secret)


# --- owners' templates ---------------------------------------------------------------------------

def test_an_owner_template_with_order_data_falls_back_to_the_default():
    order = SimpleNamespace(
        name="#1001", number=1001, external_id="9", email="g@example.it", shipping_name="Giulia",
        shipping_postcode="00184", total_price=Decimal("34.50"), lines=[], fulfillments=[],
        customer=None, cancelled_at=None, fulfillment_status=None, cancel_reason=None,
        financial_status="paid", created_at=NOW)
    key = template_key("it", "complaint_not_shipped", "public")
    shop = shop_ns("it", reply_templates={key: "Il tuo ordine #1001 parte domani!"})
    composed = compose(shop, case_ns("complaint", "it"), order=order, customer=None,
                       product=None, texts=[], can_dm=True, now=NOW)
    assert "1001" not in composed.public
    assert composed.public == render(DEFAULTS[key], {"dm": True})
    assert "was not used" in composed.problems[0] and "order number" in composed.problems[0]


@pytest.mark.parametrize("template", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ shop_name.__class__.__init__.__globals__ }}",
    "{% for x in range(10**9) %}{% endfor %}",
    "{{ undefined_thing }}",
    "{{ 'x' * 10**8 }}",
    "{{ 2 ** 1000000 }}",
    "{{ 1 / 0 }}",
    "{% if %}",
])
def test_an_owner_template_runs_in_the_sandbox(template):
    key = template_key("en", "question_general", "public")
    shop = shop_ns("en", reply_templates={key: template})
    composed = compose(shop, case_ns("question", "en"), order=None, customer=None, product=None,
                       texts=["hello?"], can_dm=False, now=NOW)
    assert composed.public == render(DEFAULTS[key], {"contact": None, "answer": None})
    assert composed.problems and "was not used" in composed.problems[0]


def test_too_long_for_x_is_shortened_or_flagged():
    long_title = SimpleNamespace(**{**PRODUCT.__dict__, "title": "Caffè " * 30})
    composed = compose(shop_ns("it"), case_ns("question", "it"), order=None, customer=None,
                       product=long_title, texts=["quanto costa?"], can_dm=False,
                       max_length=280, now=NOW)
    assert len(composed.public) <= 280 or composed.problems


# --- situations ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("intent", "state", "texts", "with_product", "expected"), [
    ("complaint", None, [], False, "complaint_unlinked"),
    ("complaint", "not_shipped", [], False, "complaint_not_shipped"),
    ("complaint", "in_transit", [], False, "complaint_in_transit"),
    ("complaint", "delivered", [], True, "complaint_delivered"),
    ("complaint", "cancelled", [], False, "complaint_cancelled"),
    ("question", None, ["dov'è il mio ordine?"], False, "question_order"),
    ("question", None, ["è ancora disponibile?"], True, "question_product"),
    ("question", None, ["siete aperti domenica?"], False, "question_general"),
])
def test_the_situation_follows_the_order(intent, state, texts, with_product, expected):
    order = None
    if state:
        order = SimpleNamespace(
            cancelled_at=NOW if state == "cancelled" else None,
            fulfillments=[] if state == "not_shipped" else [SimpleNamespace(
                shipment_status="delivered" if state == "delivered" else "in_transit")],
            fulfillment_status=None if state == "not_shipped" else "fulfilled")
    assert situation(SimpleNamespace(intent=intent), order,
                     PRODUCT if with_product else None, texts) == expected
    assert all(template_key(lang, expected, "public") in DEFAULTS for lang in LANGUAGES)


def test_every_situation_has_both_languages():
    for what in SITUATIONS:
        for lang in LANGUAGES:
            assert template_key(lang, what, "public") in DEFAULTS


# --- drafts in the database -----------------------------------------------------------------------

def linked_case(db, *, lang="it", intent="complaint", addresses_shop=True,
                state="in_transit"):
    shop_id = make_shop(db, "drafts")
    with db.transaction(shop_id) as s:
        customer = Customer(external_id="c1", email="giulia@example.it", first_name="Giulia",
                            last_name="Orrù", postcode="09124")
        product = Product(external_id="p1", title="Miscela Vesuvio", price=Decimal("12.90"),
                          url="https://brace.example/products/miscela-vesuvio")
        s.add_all([customer, product])
        s.flush()
        order = Order(external_id="o1", number=1042, name="#1042", customer_id=customer.id,
                      email=customer.email, shipping_name="Giulia Orrù",
                      shipping_postcode="09124", total_price=Decimal("29.70"),
                      created_at=NOW - dt.timedelta(days=6),
                      fulfillment_status=None if state == "not_shipped" else "fulfilled",
                      lines=[OrderLine(title="Miscela Vesuvio", quantity=2,
                                       price=Decimal("12.40"), product_id=product.id)],
                      fulfillments=[] if state == "not_shipped" else [Fulfillment(
                          external_id="f1", tracking_company="BRT",
                          tracking_number="RR123456789IT",
                          tracking_url="https://track.example/RR123456789IT",
                          shipment_status="in_transit")])
        s.add(order)
        s.flush()
        case = Case(network="mastodon", author_id="109", author_handle="giulia@mastodon.example",
                    author_name="Giulia", thread_key="t1", intent=intent, lang=lang,
                    addresses_shop=addresses_shop, order_id=order.id, customer_id=customer.id,
                    opened_at=NOW, last_message_at=NOW)
        s.add(case)
        s.flush()
        post = Post(network="mastodon", external_id="m1", author_id="109",
                    author_handle="giulia@mastodon.example", text="la mia Miscela Vesuvio non "
                    "arriva!", created_at=NOW, case_id=case.id, intent=intent,
                    addresses_shop=addresses_shop)
        s.add(post)
        s.flush()
        s.add(PostProduct(post_id=post.id, product_id=product.id, post_created_at=NOW))
        return shop_id, case.id


def test_drafts_carry_the_order_privately_and_nothing_personal_publicly(db):
    shop_id, case_id = linked_case(db)
    with db.transaction(shop_id) as s:
        messages = draft_replies(s, s.get(Case, case_id), now=NOW)
        by = {m.channel: m for m in messages}
        assert set(by) == {"public", "dm"}  # Mastodon has direct messages
        assert "1042" not in by["public"].text and "Giulia" not in by["public"].text
        assert "in viaggio" in by["public"].text  # Italian, the parcel is on its way
        assert "#1042" in by["dm"].text and "https://track.example/RR123456789IT" in by["dm"].text
        assert all(m.state == "draft" and m.audience_basis == "engaged" for m in messages)
        assert by["public"].idempotency_key.startswith("reply:")


def test_drafting_again_adds_nothing_and_a_new_post_supersedes(db):
    shop_id, case_id = linked_case(db, lang="en", state="not_shipped")
    with db.transaction(shop_id) as s:
        case = s.get(Case, case_id)
        first = draft_replies(s, case, now=NOW)
        again = draft_replies(s, case, now=NOW)
        assert [m.id for m in again] == [m.id for m in first]
        assert "hasn't left" in first[0].text
        s.add(Post(network="mastodon", external_id="m2", author_id="109",
                   author_handle="giulia@mastodon.example", text="still nothing??",
                   created_at=NOW + dt.timedelta(hours=1), case_id=case.id, intent="complaint"))
        s.flush()
        newer = draft_replies(s, case, now=NOW)
        assert {m.id for m in newer}.isdisjoint(m.id for m in first)
        states = dict(s.execute(select(Message.id, Message.state)).all())
        assert {states[m.id] for m in first} == {"superseded"}


def test_the_shop_without_an_account_still_gets_drafts(db):
    shop_id, case_id = linked_case(db)
    with db.transaction(shop_id) as s:
        messages = draft_replies(s, s.get(Case, case_id), now=NOW)
        assert messages and all(m.social_account_id is None for m in messages)
        assert s.get(Shop, shop_id) is not None
