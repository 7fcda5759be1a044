"""Synthetic shops with ground truth, to measure how well support cases are linked to orders.

:func:`generate_shop` makes a realistic shop from a seed: Italian and foreign customers with
diacritics, popular first names shared by many, look-alike surnames (Rossi/Rosi, Bianchi/Bianco),
customers with several orders, guest orders, fulfilment problems of every kind; and complaints
whose ground truth is known: order numbers written in many formats (some mistyped), authors
who never ordered (some with a customer's name), authors writing under nicknames, initials or
pseudonymous handles, handles verified as a customer's, direct messages with an e-mail,
products named, waits described in days, and decoy numbers (quantities, prices, years, phone
numbers, postcodes, another shop's orders). :func:`write_shop` and :func:`write_complaints`
store one through the models so that the real database path can be measured too.

The evaluation that scores the linking against this ground truth is
``benchmarks/evaluate_linking.py``; the database benchmark is ``benchmarks/linking.py``.
"""
from __future__ import annotations

from ..common import REFERENCE_NOW
from .model import SyntheticComplaint, SyntheticPost, SyntheticShop
from .shop import generate_shop
from .store import write_complaints, write_shop

__all__ = ["REFERENCE_NOW", "SyntheticComplaint", "SyntheticPost", "SyntheticShop",
           "generate_shop", "write_complaints", "write_shop"]
