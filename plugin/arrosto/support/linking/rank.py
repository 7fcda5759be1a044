"""Ranking a case's candidate orders: each with a confidence in [0, 1] and the reasons the
owner sees.

How the confidence is computed (naive Bayes with hand-set weights, no fitted model): every
signal adds a log-likelihood ratio. An identifying signal about a *person* (a customer, or the
guest orders sharing one e-mail) is worth ``log N + K`` for a shop of N persons (a random person
matches it about 1/N of the time), and each person starts at the prior ``-log N``; so the first
signal absorbs the prior and every further independent one multiplies the odds. Evidence about
one of the person's orders (a written order number — an identifying signal too —, products
named, fulfilment that fits the complaint, the wait the author describes) is summed into
``E_o``, with ``r_o`` a recency prior over the person's orders (normalised), and the person
scores ``s_p = -log N + E_p + log Σ_o r_o·exp(E_o)``. Persons compete in a softmax with "the
author is none of them" at 0: ``P(p) = exp(s_p) / (1 + Σ_q exp(s_q))``, and an order's
confidence is ``P(p) · r_o·exp(E_o) / Σ_o' r_o'·exp(E_o')``. So namesakes share the mass, a
full name alone (``K = -1``) is about 0.27 at best, and a name with the product and a fitting
late order can pass the threshold. ``python benchmarks/evaluate_linking.py``
prints a calibration table: confidences are
close to observed accuracy at both ends and conservative in the middle (0.5-0.8 right ~83% of
the time on the tuning seeds).
"""
from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Case, Post, PostProduct, utcnow
from .index import LinkIndex, OrderFacts, Person, persons_for_guess
from .lookup import index_for_case
from .names import NameGuess, first_similarity, last_similarity, name_tokens
from .signals import Signals, extract_signals

#: candidates kept as OrderLink rows (the owner picks among them)
TOP_N = 5

# --- weights ------------------------------------------------------------------------------------
# Identifying signals are log-likelihood ratios of the form ``log(N) + K``: N persons in the shop,
# so a random match is ~1/N likely and each person's prior is 1/N (``-log N``). The first signal
# about a person absorbs the prior; each further independent one adds ``log N + K``. Order-level
# evidence (products, fit, days) compares orders and carries no ``log N``.
K_NUMBER = 4.0  # an order number written as one ("ordine 1042", "#1042"): typos are rare
K_NUMBER_WEAK = -1.3  # a bare number that happens to be an order's: most bare numbers are not
K_EMAIL = 4.0  # the customer's or order's e-mail in a direct message
K_IDENTITY = {"owner": 4.0, "verification_page": 4.0, "order_number_and_email": 4.0,
              "customer_record": 2.5}
K_NAME = {"full": -1.0, "first_initial": -2.4, "initial_last": -2.4, "first_only": -2.8}
K_NAME_HANDLE = {"full": -1.2, "first_initial": -2.6, "initial_last": -2.6, "first_only": -3.2}
W_NAME_BOTH = 0.7  # display name and handle both point at the person (correlated: no log N)
NAME_POINT = 0.1  # per similarity point below 100 (nickname 95, truncated 85, look-alike ~80)
W_NAME_CONFLICT = -1.2  # identified otherwise, but the display name is clearly someone else's
W_PRODUCT = 2.0  # per product named in the posts that the order contains (at most two)
W_PRODUCT_MISS = -0.7  # products named, none of them in the order
W_ORDER_EMAIL = 0.5  # the e-mail is this very order's
W_DAYS = 1.2  # "da 9 giorni" fits the order's age
W_DAYS_MISS = -1.0  # the order is younger than the wait the author describes
RECENCY_DAYS = 30.0
RECENCY_FLOOR = 0.03
ORDERS_PER_PERSON = 40  # most recent orders scored per person (plus any quoted by number)

# fit of an order's state with what the complaint is about: topic -> state -> weight
FIT: dict[str, dict[str, float]] = {
    "not_shipped": {"late": 2.5, "unfulfilled": 0.8, "partial": 0.5, "cancelled": -0.5,
                    "in_transit": -1.0, "failure": -1.5, "delivered": -2.5},
    "in_transit": {"stuck": 2.5, "in_transit": 1.0, "failure": 1.0, "late": -0.3,
                   "unfulfilled": -1.0, "partial": 0.0, "delivered": -2.0, "cancelled": -1.5},
    "failed": {"failure": 3.0, "stuck": 1.0, "in_transit": 1.0, "delivered": -1.0,
               "late": -1.5, "unfulfilled": -1.5, "cancelled": -1.5},
    "cancelled": {"cancelled": 3.0, "late": -1.0, "unfulfilled": -1.0, "partial": -1.5,
                  "in_transit": -1.5, "stuck": -1.5, "failure": -1.5, "delivered": -1.5},
    "partial": {"partial": 2.5, "delivered": 0.3, "in_transit": -0.5, "stuck": -0.5,
                "late": -1.5, "unfulfilled": -1.5, "cancelled": -1.5, "failure": -1.0},
    "not_arrived": {"late": 2.0, "stuck": 2.0, "failure": 1.5, "in_transit": 1.0,
                    "unfulfilled": 0.5, "partial": 0.3, "cancelled": -1.0, "delivered": -2.0},
    "received": {"delivered": 1.0, "partial": 0.8, "in_transit": -0.8, "stuck": -0.8,
                 "failure": -1.5, "late": -2.5, "unfulfilled": -2.5, "cancelled": -2.0},
    "refund": {"refunded": 2.5, "cancelled": 1.0},
}
LATE_DAYS = 3.0  # unfulfilled for longer than this: late
STUCK_DAYS = 4.0  # in transit for longer than this: stuck

DAY = 86400.0


@dataclass(frozen=True)
class NameMatch:
    kind: str  # full | first_initial | initial_last | first_only
    similarity: float
    guess: NameGuess
    weight: float


def match_name(guess: NameGuess, person: Person) -> NameMatch | None:
    fs = first_similarity(guess.first, person.first)
    if not guess.last:
        kind = "first_only" if fs >= 95 else None
        sim = fs
    else:
        ls = last_similarity(guess.last, person.last)
        if len(guess.first) == 1 and len(guess.last) == 1:
            return None
        if len(guess.last) == 1:
            kind = "first_initial" if fs >= 85 and ls == 100 else None
            sim = fs
        elif len(guess.first) == 1:
            kind = "initial_last" if fs == 100 and ls >= 85 else None
            sim = ls
        else:
            kind = "full" if fs >= 80 and ls >= 75 else None
            sim = min(fs, ls)
    if kind is None:
        return None
    table = K_NAME if guess.source == "display" else K_NAME_HANDLE
    return NameMatch(kind, sim, guess, table[kind] - NAME_POINT * (100.0 - sim))


@dataclass(frozen=True)
class Candidate:
    """A candidate order with its confidence and the reasons, in the owner's words."""

    order_id: int
    confidence: float
    reasons: tuple[str, ...]
    customer_id: int | None = None
    order_name: str = ""


@dataclass
class _PersonEvidence:
    signals: list[float] = field(default_factory=list)  # K of each identifying signal
    reasons: list[str] = field(default_factory=list)
    name: NameMatch | None = None
    handle_name: NameMatch | None = None
    identified: bool = False  # by identity, e-mail or a written order number


def _order_state(order: OrderFacts, at: float) -> str:
    if order.cancelled is not None and order.cancelled <= at + DAY:
        return "cancelled"
    if order.shipment == "failure":
        return "failure"
    if order.fulfillment_status == "partial":
        return "partial"
    if order.fulfillment_status in (None, "", "unfulfilled", "pending", "on-hold",
                                    "processing"):
        return "late" if (at - order.created) / DAY >= LATE_DAYS else "unfulfilled"
    if order.shipment in ("in_transit", "confirmed", "label_printed", "label_purchased",
                          "out_for_delivery", "ready_for_pickup", "attempted_delivery"):
        since = order.shipped if order.shipped is not None else order.created
        return "stuck" if (at - since) / DAY >= STUCK_DAYS else "in_transit"
    return "delivered"


def _fit(order: OrderFacts, topics: set[str], at: float) -> tuple[float, str]:
    if not topics:
        return 0.0, _order_state(order, at)
    state = _order_state(order, at)
    best: float | None = None
    for topic in topics:
        table = FIT[topic]
        weight = table.get(state, 0.0)
        if topic == "refund" and order.financial_status in ("refunded", "partially_refunded"):
            weight = table["refunded"]
        if best is None or weight > best:
            best = weight
    return best or 0.0, state


def _days_ago(then: float, now: float) -> str:
    days = int(max(now - then, 0) // DAY)
    return "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"


def _state_reason(order: OrderFacts, state: str, now: float) -> str:
    ordered = f"ordered {_days_ago(order.created, now)}"
    if state in ("late", "unfulfilled"):
        return f"{ordered}, not shipped yet"
    if state in ("stuck", "in_transit"):
        since = order.shipped if order.shipped is not None else order.created
        return f"{ordered}, shipped {_days_ago(since, now)}, still in transit"
    if state == "failure":
        return f"{ordered}, delivery failed"
    if state == "cancelled":
        return f"{ordered}, cancelled"
    if state == "partial":
        return f"{ordered}, partly shipped"
    if order.financial_status in ("refunded", "partially_refunded"):
        return f"{ordered}, {order.financial_status.replace('_', ' ')}"
    return f"{ordered}, delivered" if order.shipment == "delivered" else f"{ordered}, shipped"


def rank_candidates(index_or_session: LinkIndex | Session, case: Case | Any,
                    posts: Sequence[Post | Any] | None = None, now: dt.datetime | None = None,
                    *, products: Iterable[int] | None = None, top: int = TOP_N
                    ) -> list[Candidate]:
    """The ``top`` most likely orders of the case, best first, with confidences and reasons.

    ``index_or_session``: a :class:`LinkIndex` built for a batch, or a shop-scoped session (an
    index for this case alone is then built by indexed queries). ``products``: ids of products
    the posts name (read from PostProduct when a session is given and this is None).
    """
    if posts is None:
        posts = list(case.posts)
    if isinstance(index_or_session, LinkIndex):
        index = index_or_session
    else:
        index = index_for_case(index_or_session, case, posts)
        if products is None:
            products = post_products(index_or_session, posts)
    signals = extract_signals(case, posts, index, products or ())
    return rank_signals(index, signals, (now or utcnow()).timestamp(), top)


def post_products(s: Session, posts: Sequence[Post | Any]) -> set[int]:
    ids = [p.id for p in posts if getattr(p, "id", None) is not None]
    if not ids:
        return set()
    return set(s.scalars(select(PostProduct.product_id).where(PostProduct.post_id.in_(ids))))


def _named_items(index: LinkIndex, signals: Signals) -> list[frozenset[int]]:
    """The products the posts name, one group per mention: a matched product (PostProduct) or
    a title word, which may name several products ("Colombia": Huila and Decaffeinato)."""
    groups = {frozenset({p}) for p in signals.product_ids}
    for word in signals.words:
        hit = index.term_items.get(word)
        if hit:
            group = frozenset(item for item, context in hit.items()
                              if not context or not context.isdisjoint(signals.words))
            if group:
                groups.add(group)
    return list(groups)


def rank_signals(index: LinkIndex, sig: Signals, now: float, top: int) -> list[Candidate]:
    population = math.log(max(index.population or len(index.persons), 2))
    evidence: dict[int, _PersonEvidence] = {}
    order_bonus: dict[int, list[tuple[float, str]]] = defaultdict(list)
    background = 0.0
    horizon = sig.last_at + 3600.0  # an order placed after the last post cannot be its subject

    def person(p: int) -> _PersonEvidence:
        ev = evidence.get(p)
        if ev is None:
            ev = evidence[p] = _PersonEvidence()
        return ev

    # order numbers
    for m in sig.numbers:
        if m.name_key is not None:
            hits = [index.by_name[m.name_key]] if m.name_key in index.by_name else []
        else:
            hits = list(index.by_number.get(m.value, ())) if m.value is not None else []
        for oi in hits:
            order = index.orders[oi]
            if order.created > horizon:
                continue
            where = "a direct message" if m.in_dm else "the post"
            if m.strong:
                order_bonus[oi].append((population + K_NUMBER,
                                        f"order number {order.name} in {where}"))
                person(order.person).identified = True
            else:
                order_bonus[oi].append((population + K_NUMBER_WEAK,
                                        f"the number {m.raw} in {where} is {order.name}'s "
                                        "(not written as an order number)"))
                person(order.person)

    # e-mail in a direct message
    for email in sorted(sig.emails):
        for p in index.by_email.get(email, ()):
            ev = person(p)
            if not any(r.startswith("e-mail") for r in ev.reasons):
                ev.signals.append(K_EMAIL)
                whose = "the customer's" if index.persons[p].customer_id else "the order's"
                ev.reasons.append(f"e-mail {email} in a direct message is {whose}")
            ev.identified = True
            for oi in index.persons[p].orders:
                if index.orders[oi].email == email:
                    order_bonus[oi].append((W_ORDER_EMAIL, ""))

    # a handle verified as a customer's
    identity = index.identities.get((sig.network, sig.handle)) or \
        index.identities_by_author.get((sig.network, sig.author_id))
    if identity is not None and identity.customer_id in index.by_customer:
        ev = person(index.by_customer[identity.customer_id])
        ev.signals.append(K_IDENTITY.get(identity.verified_by, K_IDENTITY["customer_record"]))
        how = VERIFIED_HOW.get(identity.verified_by, identity.verified_by)
        ev.reasons.append(f"handle verified as this customer's ({how})")
        ev.identified = True

    # names: persons the display name or handle can be
    for guess in sig.guesses:
        persons, overflow = persons_for_guess(index, guess)
        for p in persons:
            match = match_name(guess, index.persons[p])
            if match is not None:
                _keep_name(person(p), match)
        if overflow:
            background += overflow * math.exp(K_NAME["first_only"])
    # and the names of persons found otherwise, to tell the author from someone else
    for p, ev in evidence.items():
        if ev.name is None and ev.handle_name is None:
            for guess in sig.guesses:
                match = match_name(guess, index.persons[p])
                if match is not None:
                    _keep_name(ev, match)

    named = _named_items(index, sig)
    at = sig.first_at
    scored: list[tuple[int, float, int]] = []  # (order index, share within person, person)
    person_scores: dict[int, float] = {}
    order_terms: dict[int, tuple[float, str]] = {}
    numbered: dict[int, list[int]] = defaultdict(list)
    for oi in order_bonus:
        numbered[index.orders[oi].person].append(oi)

    for p, ev in evidence.items():
        e_p = sum(population + k for k in ev.signals)
        if ev.name is not None or ev.handle_name is not None:
            weights = [m.weight for m in (ev.name, ev.handle_name) if m is not None]
            e_p += population + max(weights) + (W_NAME_BOTH if len(weights) == 2 else 0.0)
        elif sig.clear_name and ev.identified:
            e_p += W_NAME_CONFLICT
        elif not ev.identified and p not in numbered:
            continue
        info = index.persons[p]
        candidates = [oi for oi in info.orders[:ORDERS_PER_PERSON]
                      if index.orders[oi].created <= horizon]
        candidates += [oi for oi in numbered.get(p, ()) if oi not in candidates]
        if not candidates:
            continue
        terms = []
        for oi in candidates:
            order = index.orders[oi]
            prior = math.exp(-max(at - order.created, 0.0) / DAY / RECENCY_DAYS) + RECENCY_FLOOR
            e_o = sum(w for w, _ in order_bonus.get(oi, ()))
            if named:
                hits = sum(1 for group in named if not group.isdisjoint(order.items))
                e_o += W_PRODUCT * min(hits, 2) if hits else W_PRODUCT_MISS
            fit, state = _fit(order, sig.topics, at)
            e_o += fit + _days_fit(order, state, sig.stated_days, at)
            terms.append((oi, prior, e_o))
            order_terms[oi] = (fit, state)
        total_prior = sum(prior for _, prior, _ in terms)
        peak_o = max(e_o for _, _, e_o in terms)
        weights = [(oi, prior / total_prior * math.exp(e_o - peak_o)) for oi, prior, e_o in terms]
        mass = sum(w for _, w in weights)
        person_scores[p] = -population + e_p + peak_o + math.log(mass)
        scored.extend((oi, w / mass, p) for oi, w in weights)

    if not scored:
        return []
    # softmax over persons with "the author is none of them" at 0 (shifted by the peak)
    peak = max(max(person_scores.values()), 0.0)
    denominator = math.exp(-peak) * (1.0 + background) + sum(
        math.exp(s - peak) for s in person_scores.values())
    # ties (namesakes, a person's orders alike): the newer order first, then the larger id
    orders = index.orders
    ranked = sorted(((round(math.exp(person_scores[p] - peak) / denominator * share, 6),
                      orders[oi].created, orders[oi].id, oi, p) for oi, share, p in scored),
                    reverse=True)[:top]
    return [Candidate(index.orders[oi].id, round(min(max(confidence, 0.0), 1.0), 4),
                      tuple(_reasons(index, sig, evidence[p], index.orders[oi],
                                     order_bonus.get(oi, ()), named, order_terms[oi], now)),
                      index.orders[oi].customer_id, index.orders[oi].name)
            for confidence, _, _, oi, p in ranked]


VERIFIED_HOW = {"owner": "by the owner", "customer_record": "on the customer record",
                "order_number_and_email": "with an order number and e-mail",
                "verification_page": "on the verification page"}


def _keep_name(ev: _PersonEvidence, match: NameMatch) -> None:
    slot = "name" if match.guess.source == "display" else "handle_name"
    current = getattr(ev, slot)
    if current is None or match.weight > current.weight:
        setattr(ev, slot, match)


def _days_fit(order: OrderFacts, state: str, stated: int | None, at: float) -> float:
    """Does the wait the author describes ("da 9 giorni") fit this order?"""
    if stated is None or state not in ("late", "unfulfilled", "stuck", "in_transit"):
        return 0.0
    since = order.created if state in ("late", "unfulfilled") else (order.shipped or order.created)
    waited = (at - since) / DAY
    if stated - 1.5 <= waited <= stated + 4:
        return W_DAYS
    if (at - order.created) / DAY < stated - 2:
        return W_DAYS_MISS
    return 0.0


def _shown_name(display: str) -> str:
    """A display name as written, without emoji and symbols."""
    return " ".join(re.sub(r"[^\w\s'.\-]", " ", display).split()) or display


def _reasons(index: LinkIndex, sig: Signals, ev: _PersonEvidence, order: OrderFacts,
             bonus: Iterable[tuple[float, str]], named: list[frozenset[int]],
             terms: tuple[float, str],
             now: float) -> list[str]:
    reasons = [text for _, text in bonus if text]
    reasons += ev.reasons
    person = index.persons[order.person]
    shown = person.display or person.first
    for match in (ev.name, ev.handle_name):
        if match is None:
            continue
        g = match.guess
        written = _shown_name(g.shown) if g.source == "display" else g.shown
        what = "display name" if g.source == "display" else "handle"
        if match.kind == "full":
            pct = round(fuzz.token_sort_ratio(" ".join(name_tokens(written)),
                                              " ".join(name_tokens(shown))))
            if g.source == "handle":
                pct = round(match.similarity)
            reasons.append(f"{what} close to the customer's name ({shown} ≈ {written}, {pct}%)")
        else:
            reasons.append(f"{what} {NAME_KINDS[match.kind]} ({shown} ≈ {written})")
    if ev.name is None and ev.handle_name is None and sig.clear_name and ev.identified:
        reasons.append(f"the display name ({sig.author_name}) is not the customer's ({shown})")
    mentioned = set().union(*named) if named else set()
    hits = [i for i in order.items if i in mentioned]
    if hits:
        titles = " and ".join(index.item_title(i) for i in hits[:2])
        reasons.append(f"names {titles}, which this order contains")
    elif named:
        titles = " and ".join(sorted({index.item_title(i) for i in mentioned})[:2])
        reasons.append(f"names {titles}, which this order does not contain")
    fit, state = terms
    text = _state_reason(order, state, now)
    reasons.append(f"{text} (does not fit the complaint)" if fit < 0 else text)
    return reasons


NAME_KINDS = {"first_initial": "has the customer's first name and initial",
              "initial_last": "has the customer's initial and surname",
              "first_only": "has only the customer's first name"}


