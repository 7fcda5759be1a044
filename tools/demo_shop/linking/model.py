"""A synthetic shop and its complaints, with the ground truth."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from arrosto.support.linking import LinkIndex

from .names import make_handle

# --- the synthetic shop ---------------------------------------------------------------------------

@dataclass
class SyntheticPost:
    external_id: str
    text: str
    created_at: dt.datetime
    author_name: str | None
    source: str = "search"  # dm for direct messages
    is_own: bool = False
    is_dm: bool = False


@dataclass
class SyntheticComplaint:
    """One author's complaint thread with its ground truth (the order it is about, if any)."""

    key: str
    network: str
    author_id: str
    author_handle: str
    author_name: str
    posts: list[SyntheticPost]
    truth_order_id: int | None
    truth_customer_id: int | None
    kind: str  # how the author and order show: number, identity, email, name, pseudonym, stranger
    lang: str = "it"


@dataclass
class SyntheticShop:
    seed: int
    platform: str  # shopify | shopify_prefixed | woocommerce
    prefix: str
    now: dt.datetime
    products: list[dict[str, Any]]
    customers: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    identities: list[dict[str, Any]]
    complaints: list[SyntheticComplaint] = field(default_factory=list)
    handles: set[tuple[str, str]] = field(default_factory=set, repr=False)
    name: str = "Torrefazione Brace"
    brand_terms: list[str] = field(default_factory=lambda: ["Brace", "Brace Caffè"])

    def unique_handle(self, rng: random.Random, first: str, last: str, network: str) -> str:
        """A handle nobody else on the network has (handles are unique per network)."""
        handle = make_handle(rng, first, last, network)
        while (network, handle.lower()) in self.handles:
            handle = make_handle(rng, first, last, network)
            local, sep, rest = handle.partition("@" if network == "mastodon" else ".")
            handle = f"{local[:12]}{rng.randint(1, 999)}{sep}{rest}"
        self.handles.add((network, handle.lower()))
        return handle

    def index(self) -> LinkIndex:
        return LinkIndex.from_rows(customers=self.customers, orders=self.orders,
                                   products=self.products, identities=self.identities,
                                   brand_terms=[self.name, *self.brand_terms])
