"""Generating a synthetic shop from a seed: catalog, customers, orders with every kind of
fulfilment problem, social identities, and its complaints."""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from typing import Any

from ..common import MAIL_DOMAINS, REFERENCE_NOW
from .complaints import make_complaints
from .model import SyntheticShop
from .names import (
    CATALOG,
    NETWORKS,
    make_handle,
    person_name,
    pick,
    plain,
    surname_pool,
)


def generate_shop(seed: int, orders: int = 3000, complaints: int = 300, *,
                  platform: str | None = None, id_base: int = 0,
                  now: dt.datetime = REFERENCE_NOW) -> SyntheticShop:
    """A synthetic shop with ``orders`` orders and ``complaints`` complaint threads."""
    rng = random.Random(seed)
    platform = platform or rng.choice(["shopify", "shopify_prefixed", "woocommerce"])
    prefix = rng.choice(["BR", "TB", "CF", "RO"]) if platform == "shopify_prefixed" else ""
    ids = Ids(id_base)
    products = [{"id": ids.next("product"), "title": t} for t in CATALOG]
    popularity = [(p, 1.0 / (i + 3)) for i, p in enumerate(rng.sample(products, len(products)))]
    surnames = surname_pool()
    n_customers = max(int(orders / 2.3), 10)
    customers = [_customer(rng, ids, surnames) for _ in range(n_customers)]
    emails = Counter(c["email"] for c in customers)
    for c in customers:
        if emails[c["email"]] > 1:
            c["email"] = c["email"].replace("@", f".{c['id'] % 1000}@")
    span_days = max(90.0, orders / 150.0)
    order_rows = _orders(rng, ids, orders, customers, popularity, surnames, now, span_days,
                         platform, prefix)
    identities = _identities(rng, customers)
    shop = SyntheticShop(seed, platform, prefix, now, products, customers, order_rows,
                         identities, handles={(i["network"], i["handle"]) for i in identities})
    shop.complaints = make_complaints(rng, shop, complaints, surnames)
    return shop


class Ids:
    def __init__(self, base: int) -> None:
        self.counters: dict[str, int] = defaultdict(lambda: base)

    def next(self, kind: str) -> int:
        self.counters[kind] += 1
        return self.counters[kind]


def _customer(rng: random.Random, ids: Ids, surnames: list[tuple[str, float]]
              ) -> dict[str, Any]:
    first, last = person_name(rng, surnames)
    f, last_plain = plain(first), plain(last)
    local = rng.choice([f"{f}.{last_plain}", f"{f[0]}{last_plain}", f"{last_plain}.{f}",
                        f"{f}{rng.randint(60, 99)}", f"{f}_{last_plain}", f"{f}.{last_plain[0]}"])
    cid = ids.next("customer")
    return {"id": cid, "external_id": f"c{cid}", "first_name": first, "last_name": last,
            "email": f"{local}@{rng.choice(MAIL_DOMAINS)}", "postcode": f"{rng.randint(10, 98)}"
            f"{rng.randint(100, 199)}", "handles": {}}


def _orders(rng: random.Random, ids: Ids, n: int, customers: list[dict[str, Any]],
            popularity: list[tuple[dict[str, Any], float]], surnames: list[tuple[str, float]],
            now: dt.datetime, span_days: float, platform: str, prefix: str
            ) -> list[dict[str, Any]]:
    # order times grow towards now (a shop that grows); numbers in time order
    times = sorted(now - dt.timedelta(days=span_days * (1 - rng.random() ** 0.7),
                                      minutes=rng.randint(0, 600)) for _ in range(n))
    number = rng.randint(1000, 4000) if platform == "woocommerce" else 1000
    out = []
    for created in times:
        number += rng.randint(1, 6) if platform == "woocommerce" else 1
        oid = ids.next("order")
        if rng.random() < 0.08:  # a guest checkout
            first, last = person_name(rng, surnames)
            customer = None
            email = (f"{plain(first)}.{plain(last)}{rng.randint(1, 999)}"
                     f"@{rng.choice(MAIL_DOMAINS)}")
            ship_name = f"{first} {last}"
        else:
            customer = customers[min(int(len(customers) * rng.random() ** 1.5),
                                     len(customers) - 1)]
            email = customer["email"]
            ship_name = f"{customer['first_name']} {customer['last_name']}"
        name = f"#{prefix}{number}"
        picked = {p["id"]: p for p in (pick(rng, popularity)
                                       for _ in range(rng.choice([1, 1, 2, 2, 3, 4])))}
        lines = [{"product_id": p["id"], "title": p["title"], "quantity": rng.randint(1, 2)}
                 for p in picked.values()]
        order = {"id": oid, "external_id": f"o{oid}", "number": number, "name": name,
                 "customer_id": customer["id"] if customer else None, "email": email,
                 "shipping_name": ship_name, "created_at": created, "lines": lines,
                 "fulfillments": [], "financial_status": "paid", "fulfillment_status": None,
                 "cancelled_at": None, "state": ""}
        _fulfil(rng, order, now)
        out.append(order)
    return out


# problems of orders older than a few days: (state, share, youngest age in days it can have)
PROBLEMS = [("late", 0.012, 3), ("cancelled", 0.023, 1), ("stuck", 0.025, 4),
            ("failure", 0.015, 4), ("partial", 0.02, 3), ("refunded", 0.02, 6)]


def _state_for_age(rng: random.Random, age: float) -> str:
    if age < 2:  # most orders of the last two days are not shipped yet
        return "unfulfilled" if rng.random() < 0.8 else "in_transit"
    if age < 5 and rng.random() < 0.25:
        return "late" if age >= 3 else "unfulfilled"
    roll, share = rng.random(), 0.0
    for state, rate, youngest in PROBLEMS:
        share += rate
        if roll < share:
            return state if age >= youngest else "delivered"
    return "in_transit" if age < 3 else "delivered"


def _fulfil(rng: random.Random, order: dict[str, Any], now: dt.datetime) -> None:
    """Give the order a state that fits its age, with the problems real shops have."""
    age = (now - order["created_at"]).total_seconds() / 86400
    shipped_after = dt.timedelta(hours=rng.uniform(6, 60))
    state = _state_for_age(rng, age)
    order["state"] = state
    shipped = order["created_at"] + shipped_after
    if state in ("late", "unfulfilled"):
        return
    if state == "cancelled":
        order["cancelled_at"] = order["created_at"] + dt.timedelta(hours=rng.uniform(2, 30))
        order["financial_status"] = "refunded"
        return
    shipment = {"stuck": "in_transit", "failure": "failure", "in_transit": "in_transit"}.get(
        state, "delivered")
    if shipped > now:
        shipped = now - dt.timedelta(hours=1)
    order["fulfillment_status"] = "partial" if state == "partial" else "fulfilled"
    order["fulfillments"].append({"external_id": f"f{order['id']}", "status": "success",
                                  "shipment_status": shipment, "created_at": shipped})
    if state == "refunded":
        order["financial_status"] = rng.choice(["refunded", "partially_refunded"])


def _identities(rng: random.Random, customers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    taken: set[tuple[str, str]] = set()
    for c in customers:
        roll = rng.random()
        if roll > 0.15:
            continue
        network = pick(rng, NETWORKS)
        handle = make_handle(rng, c["first_name"], c["last_name"], network)
        if (network, handle.lower()) in taken:
            continue
        taken.add((network, handle.lower()))
        how = "customer_record" if roll < 0.12 else rng.choice(
            ["owner", "verification_page", "order_number_and_email"])
        c["handles"][network] = handle
        out.append({"network": network, "handle": handle.lower(), "author_id": None,
                    "customer_id": c["id"], "verified_by": how})
    return out
