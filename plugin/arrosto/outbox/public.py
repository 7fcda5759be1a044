"""The never-public check: the one gate every outgoing public message passes.

A public reply may acknowledge, explain and offer, but it never carries the customer's order
number, name, e-mail, address, phone, tracking number or an amount of their order: those go to a
private channel. :func:`check_public` finds any of them in a text (case, accents, spacing,
punctuation and number formats folded: ``#1001``, ``n. 1001``, ``34,50``, ``34.50 €``) and raises
:class:`PersonalDataInPublic` naming what it found, never the value itself.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import ArrostoError
from ..text import fold


class PersonalDataInPublic(ArrostoError):
    """A public message would carry a customer's personal or order data."""

    def __init__(self, kinds: Iterable[str]):
        self.kinds = sorted(set(kinds))
        super().__init__("a public message may not contain the customer's "
                         + ", ".join(self.kinds) + "; move it to a private message")


@dataclass
class Private:
    """The values a public message must not contain, by kind."""

    words: dict[str, set[str]] = field(default_factory=dict)  # matched as whole folded words
    digits: dict[str, set[str]] = field(default_factory=dict)  # matched as digit runs
    amounts: set[Decimal] = field(default_factory=set)

    def add_words(self, kind: str, value: str | None, *, min_length: int = 2) -> None:
        folded = folded_words(value or "")
        if len(folded.replace(" ", "")) >= min_length:
            self.words.setdefault(kind, set()).add(folded)

    def add_digits(self, kind: str, value: str | int | None, *, min_length: int = 3) -> None:
        digits = re.sub(r"\D", "", str(value or ""))
        if len(digits) >= min_length:
            self.digits.setdefault(kind, set()).add(digits)

    def add_amount(self, value: Any) -> None:
        try:
            amount = Decimal(str(value))
        except (InvalidOperation, ValueError):
            return
        if amount > 0:
            self.amounts.add(amount.quantize(Decimal("0.01")))


def folded_words(text: str) -> str:
    """Folded (:func:`arrosto.text.fold`), punctuation as spaces (``@ . + -`` kept: e-mail
    addresses), single spaces."""
    return " ".join(re.sub(r"[^\w@.+-]+|_", " ", fold(text)).split())


def private_data(*, customer: Any = None, order: Any = None, orders: Iterable[Any] = (),
                 extra_names: Iterable[str] = ()) -> Private:
    """Everything personal about this customer and their order(s)."""
    found = Private()
    people = [customer] if customer is not None else []
    all_orders = [o for o in (order, *orders) if o is not None]
    for person in people + [getattr(o, "customer", None) for o in all_orders]:
        if person is None:
            continue
        for part in (person.first_name, person.last_name):
            _add_name(found, part)
        found.add_words("e-mail", person.email, min_length=3)
        found.add_digits("phone", person.phone, min_length=6)
        found.add_words("address", person.postcode)
        found.add_digits("address", person.postcode, min_length=4)
    for name in extra_names:
        _add_name(found, name)
    for o in all_orders:
        found.add_words("order number", o.name)
        found.add_digits("order number", o.number)
        found.add_digits("order number", o.name)
        found.add_digits("order number", getattr(o, "external_id", None), min_length=4)
        found.add_words("e-mail", o.email, min_length=3)
        _add_name(found, o.shipping_name)
        found.add_words("address", o.shipping_postcode)
        found.add_digits("address", o.shipping_postcode, min_length=4)
        found.add_amount(o.total_price)
        for line in getattr(o, "lines", None) or ():
            if (line.quantity or 1) > 1:
                found.add_amount(Decimal(str(line.price)) * (line.quantity or 1))
        for f in getattr(o, "fulfillments", None) or ():
            found.add_words("tracking number", f.tracking_number, min_length=4)
            found.add_digits("tracking number", f.tracking_number, min_length=5)
            found.add_words("tracking number", f.tracking_url, min_length=4)
    return found


def _add_name(found: Private, name: str | None) -> None:
    """A name as a whole and each of its parts of three letters or more, particles aside."""
    found.add_words("name", name, min_length=3)
    for part in folded_words(name or "").split():
        if part not in PARTICLES:
            found.add_words("name", part, min_length=3)


_AMOUNT = re.compile(r"(?<![\d.,])(\d{1,3}(?:[.,' ]\d{3})*|\d+)(?:([.,])(\d{1,2}))?(?![\d])")
# parts of names that are ordinary words too ("Della Rosa", "van Dijk"): the whole name is
# still checked, the particle alone is not
PARTICLES = frozenset({"d", "da", "dal", "dalla", "de", "degli", "dei", "del", "della", "delle",
                       "der", "di", "do", "dos", "du", "el", "la", "le", "lo", "los", "mac", "mc",
                       "st", "van", "von", "y"})


def found_kinds(text: str, private: Private, allowed: Iterable[str] = ()) -> set[str]:
    """The kinds of personal data of ``private`` that ``text`` contains. ``allowed``: exact
    substrings that are public by construction (a signed link, the product's page), left out
    of the search so that their random characters cannot look like an order number."""
    for safe in allowed:
        if safe:
            text = text.replace(safe, " ")
    kinds: set[str] = set()
    folded = f" {folded_words(text)} "
    for kind, values in private.words.items():
        for value in values:
            if re.search(rf"(?<![\w]){re.escape(value)}(?![\w])", folded):
                kinds.add(kind)
                break
    # digit runs as written and with spaces, dots and dashes inside numbers removed
    # ("1 001", "10.01.2026"): both, so that "#1001 2 days" is still seen as 1001
    joined = set(re.findall(r"\d+", text))
    joined.update(re.findall(r"\d+", re.sub(r"(?<=\d)[\s.-](?=\d)", "", text)))
    for kind, values in private.digits.items():
        if values & joined:
            kinds.add(kind)
    if private.amounts and _amounts_in(text) & private.amounts:
        kinds.add("amount")
    return kinds


def _amounts_in(text: str) -> set[Decimal]:
    amounts = set()
    for whole, _sep, cents in _AMOUNT.findall(text):
        digits = re.sub(r"[.,' ]", "", whole)
        if not digits:
            continue
        try:
            amount = Decimal(digits) + (Decimal(cents.ljust(2, "0")) / 100 if cents else 0)
        except InvalidOperation:
            continue
        amounts.add(amount.quantize(Decimal("0.01")))
    return amounts


def check_public(text: str, private: Private, *, allowed: Iterable[str] = ()) -> None:
    """Raise :class:`PersonalDataInPublic` if ``text`` carries any of ``private``."""
    kinds = found_kinds(text, private, allowed)
    if kinds:
        raise PersonalDataInPublic(kinds)
