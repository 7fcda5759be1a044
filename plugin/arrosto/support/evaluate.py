"""Synthetic shops with ground truth, to measure how well support cases are linked to orders.

:func:`generate_shop` makes a realistic shop from a seed: Italian and foreign customers with
diacritics, popular first names shared by many, look-alike surnames (Rossi/Rosi, Bianchi/Bianco),
customers with several orders, guest orders, fulfilment problems of every kind; and complaints
whose ground truth is known: order numbers written in many formats (some mistyped), authors
who never ordered (some with a customer's name), authors writing under nicknames, initials or
pseudonymous handles, handles verified as a customer's, direct messages with an e-mail,
products named, waits described in days, and decoy numbers (quantities, prices, years, phone
numbers, postcodes, another shop's orders).

:func:`evaluate_linking` ranks every complaint with :mod:`arrosto.support.linking` and reports the
precision and recall of automatic links, the top-3 recall of the suggestions (over complaints
whose author did order), a calibration table and the timing; :func:`baseline_linking` does the
same for "an order-number regex alone". :func:`write_shop` stores a synthetic shop through the
models (shop-scoped session) so that the real database path can be measured too.
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, text

from ..db import Database
from ..models import (
    Customer,
    Fulfillment,
    Order,
    OrderLine,
    Post,
    Product,
    Shop,
    SocialIdentity,
)
from ..text import fold
from .linking import AUTO_LINK_THRESHOLD, LinkIndex, rank_candidates

log = logging.getLogger(__name__)

REFERENCE_NOW = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)

# --- name pools ---------------------------------------------------------------------------------

def _split(text: str) -> list[str]:
    return text.split()


# (name, weight): popular names are shared by many customers
ITALIAN_MEN = [
    ("Marco", 9), ("Luca", 9), ("Giuseppe", 8), ("Francesco", 8), ("Alessandro", 8),
    ("Andrea", 8), ("Matteo", 7), ("Lorenzo", 6), ("Davide", 6), ("Simone", 6), ("Federico", 5),
    ("Riccardo", 5), ("Stefano", 5), ("Giovanni", 5), ("Antonio", 6), ("Roberto", 5),
    ("Paolo", 5), ("Fabio", 4), ("Salvatore", 4), ("Niccolò", 3), ("Nicola", 3), ("Emanuele", 3),
    ("Gabriele", 4), ("Daniele", 4), ("Michele", 4), ("Pietro", 3), ("Tommaso", 3),
    ("Filippo", 3), ("Edoardo", 2), ("Giacomo", 3), ("Vincenzo", 3), ("Claudio", 3),
    ("Enrico", 2), ("Massimo", 3), ("Carlo", 3), ("Sergio", 2), ("Mario", 3), ("Luigi", 3),
    ("Raffaele", 2), ("Domenico", 2), ("Giorgio", 2), ("Mattia", 3), ("Leonardo", 3),
    ("Gianluca", 2), ("Gianmarco", 1), ("Valerio", 1), ("Jacopo", 1), ("Samuele", 1),
    ("Vittorio", 1), ("Umberto", 1), ("Alberto", 2), ("Angelo", 2), ("Diego", 1),
    ("Fabrizio", 2), ("Maurizio", 2), ("Cristian", 1), ("Nicolò", 1), ("Gian Luca", 1),
]
ITALIAN_WOMEN = [
    ("Giulia", 9), ("Chiara", 8), ("Francesca", 8), ("Sara", 7), ("Martina", 6),
    ("Federica", 6), ("Valentina", 6), ("Alessia", 5), ("Elisa", 5), ("Silvia", 5),
    ("Laura", 5), ("Elena", 5), ("Anna", 5), ("Paola", 4), ("Roberta", 3), ("Giorgia", 4),
    ("Marta", 3), ("Alice", 3), ("Beatrice", 3), ("Camilla", 3), ("Sofia", 3), ("Aurora", 2),
    ("Ludovica", 2), ("Margherita", 2), ("Elisabetta", 2), ("Benedetta", 2), ("Caterina", 2),
    ("Cristina", 3), ("Serena", 3), ("Veronica", 3), ("Ilaria", 3), ("Irene", 2),
    ("Lucia", 2), ("Noemi", 2), ("Arianna", 2), ("Claudia", 3), ("Michela", 2), ("Monica", 3),
    ("Simona", 3), ("Stefania", 2), ("Daniela", 2), ("Emanuela", 1), ("Giovanna", 2),
    ("Antonella", 2), ("Rosa", 1), ("Teresa", 1), ("Angela", 2), ("Barbara", 2),
    ("Maria Grazia", 2), ("Maria Chiara", 2), ("Anna Maria", 1), ("Giuseppina", 1),
    ("Carla", 1), ("Eleonora", 2), ("Alessandra", 3), ("Annalisa", 2), ("Valeria", 2),
    ("Rebecca", 1), ("Greta", 1), ("Gaia", 1),
]
FOREIGN_FIRST = [
    ("Jürgen", 1), ("Lukas", 2), ("Jonas", 1), ("Felix", 1), ("Tobias", 1), ("Stefan", 1),
    ("Sabine", 1), ("Miriam", 1), ("Ursula", 1), ("Katharina", 1), ("Björn", 1), ("Søren", 1),
    ("Mathieu", 1), ("François", 1), ("Hélène", 1), ("Chloé", 1), ("Camille", 1), ("Léa", 1),
    ("Zoë", 1), ("Noémie", 1), ("José", 1), ("Javier", 1), ("Inés", 1), ("Lucía", 1),
    ("James", 2), ("Emily", 2), ("Grace", 1), ("Sophie", 2), ("Oliver", 1), ("Liam", 1),
    ("Hannah", 1), ("Charlotte", 1), ("William", 1), ("Sarah", 2), ("Thomas", 1),
    ("Michael", 1), ("Jennifer", 1), ("Elizabeth", 1),
]
ITALIAN_SURNAMES = _split("""
Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno
Gallo Conti De_Luca Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana Santoro Mariani
Rinaldi Caruso Ferrara Galli Martini Leone Longo Gentile Martinelli Vitale Lombardo Serra Coppola
De_Santis D'Angelo Marchetti Parisi Villa Conte Ferraro Ferri Fabbri Bianco Marini Grasso
Valentini Messina Sala De_Angelis Gatti Pellegrini Palumbo Sanna Farina Rizzi Monti Cattaneo
Morelli Amato Silvestri Mazza Testa Grassi Pellegrino Carbone Giuliani Benedetti Barone Rossetti
Caputo Montanari Guerra Palmieri Bernardi Martino Fiore De_Rosa Ferretti Bellini Basile Riva
Donati Piras Vitali Battaglia Sartori Neri Costantini Milani Pagano Ruggiero Sorrentino D'Amico
Orlando Negri Cantù Orrù Dell'Acqua Lo_Russo Esposti Rosi Colombi Greci Bianchini Rossini
Ferraris Contini Zanetti Fadda Mele Porcu Pinna Deiana Murgia Cocco Melis Loi Usai Lai Sechi
Atzeni Cossu Spanò Zanella Zanoni Bortolotti Brambilla Colonna Galbiati Sironi Pozzi Ghezzi
Crippa Fumagalli Mapelli Nava Bonetti Bonomi Bruni Cassano Cirillo Gargiulo Iovine Marotta
Napolitano Pace Pepe Sepe Tufano Capasso Amoroso Granata Lupo Mazzola Musso Nicolosi Puglisi
Scuderi Spinelli Tedesco Vaccaro Zappalà Lo_Giudice La_Rosa Di_Stefano Di_Martino De_Simone
Del_Prete D'Alessandro Niccolai Lucchesi Bertolucci Baldini Innocenti Nannini Tognetti Guidi
Cecchi Bartolini Mugnai Falcone Romanò Forlì Nicolò Canè Sciascia Schettino Cannavò Pirrò""")
FOREIGN_SURNAMES = _split("""Müller Schröder Hoffmann Becker Schneider Fischer Weber Wagner Krüger
Mercier Dubois Lefèvre Moreau Laurent Girard Bonnet Rousseau García Núñez Fernández López
Martínez Smith Jones Taylor Brown Wilson Bennett Clarke Walker O'Brien Murphy Kelly Nielsen
Søndergaard Åkesson""")
_ROOTS = ["Bianc", "Ross", "Ner", "Ferr", "Mar", "Gall", "Cont", "Ricc", "Fior", "Sant", "Bell",
          "Mont", "Pell", "Lomb", "Cors", "Mazz", "Pagan", "Vall", "Bert", "Brun", "Cas", "Grec",
          "Rin", "Bon", "Fontan", "Lup", "Mor", "Pin", "Serr", "Tod", "Fabr", "Gentil", "Lan",
          "Mancin", "Pier", "Ruggier", "Spin", "Vent", "Zan", "Cald"]
_SUFFIXES = ["i", "o", "ini", "etti", "ello", "elli", "ucci", "uzzi", "oni", "one", "ato", "ati",
             "ardi", "azzi", "otti", "esi", "aro", "ari", "in", "ò"]
NICKNAMES_OUT = {
    "Giuseppe": ["Beppe", "Peppe", "Pino"], "Francesco": ["Franco", "Checco"],
    "Alessandro": ["Alex", "Sandro", "Ale"], "Giovanni": ["Gianni", "Nanni"],
    "Elisabetta": ["Betta"], "Roberto": ["Bob", "Robi"], "Niccolò": ["Nicco"],
    "Federica": ["Fede"], "Federico": ["Fede"], "Salvatore": ["Totò", "Salvo"],
    "Antonio": ["Toni", "Totò"], "Margherita": ["Marghe"], "Maria Grazia": ["Grazia"],
    "Giulia": ["Giuly"], "Emanuele": ["Lele"], "Gabriele": ["Gabri"], "Valentina": ["Vale"],
    "Massimo": ["Max"], "Riccardo": ["Ricky"], "Beatrice": ["Bea"], "Lorenzo": ["Lollo"],
    "Vincenzo": ["Enzo"], "Filippo": ["Pippo"], "Domenico": ["Mimmo"], "Tommaso": ["Tommy"],
    "Alessandra": ["Ale"], "Alessia": ["Ale"], "Stefania": ["Stefy"], "Veronica": ["Vero"],
    "Michael": ["Mike"], "William": ["Will"], "Elizabeth": ["Liz"], "James": ["Jim"],
    "Thomas": ["Tom"], "Jennifer": ["Jen"], "Edoardo": ["Edo"], "Eleonora": ["Ele"],
}
PSEUDONYMS = ["caffeinomane", "espressodip", "tazzinasbeccata", "cremaecacao", "mokalover",
              "baristanotturno", "chiccodoro", "thedailygrind", "pendolarestanco", "nonnapina",
              "gattaracaffe", "lattefreddo", "fuorisede", "ziacaffe", "beanthere", "cremachaser",
              "sognatrice", "viaggiatore", "lettoreforte", "runner_ita", "ilbarbiere", "tortellina",
              "cuoca_pazza", "montanaro", "ciclista", "fotografa", "prof_stanco", "mammaimpegnata"]
PSEUDONYM_NAMES = ["Espresso Dipendente", "Tazzina Sbeccata", "Crema e Cacao", "☕", "Moka Lover",
                   "Barista Notturno", "Chicco d'Oro", "The Daily Grind", "Pendolare Stanco",
                   "Nonna Pina", "Gattara", "Latte Freddo", "Fuorisede", "Zia Caffè", "Bean There",
                   "Crema Chaser", "Sognatrice", "Viaggiatore", "Lettore Forte", "🏃 runner",
                   "Il Barbiere", "Tortellina", "Cuoca Pazza", "Montanaro", "Ciclista 🚲",
                   "Fotografa", "Prof stanco", "Mamma impegnata"]
MAIL_DOMAINS = ["example.com", "example.it", "example.org"]
INSTANCES = ["mastodon.social", "mastodon.uno", "sociale.network", "mas.to", "fosstodon.org",
             "mastodon.bida.im", "hachyderm.io"]
NETWORKS = [("x", 45), ("bluesky", 30), ("mastodon", 25)]


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def _surnames() -> list[tuple[str, float]]:
    real = [(s.replace("_", " "), 1.0 / (rank + 5) ** 0.8)
            for rank, s in enumerate(ITALIAN_SURNAMES)]
    made = [(root + suffix, 0.006) for root in _ROOTS for suffix in _SUFFIXES]
    seen = {s for s, _ in real}
    return real + [(s, w) for s, w in made if s not in seen]


def _plain(text: str) -> str:
    """A name as a handle part: folded, letters only."""
    return re.sub(r"[^a-z]", "", fold(text))


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
        handle = _make_handle(rng, first, last, network)
        while (network, handle.lower()) in self.handles:
            handle = _make_handle(rng, first, last, network)
            local, sep, rest = handle.partition("@" if network == "mastodon" else ".")
            handle = f"{local[:12]}{rng.randint(1, 999)}{sep}{rest}"
        self.handles.add((network, handle.lower()))
        return handle

    def index(self) -> LinkIndex:
        return LinkIndex.from_rows(customers=self.customers, orders=self.orders,
                                   products=self.products, identities=self.identities,
                                   brand_terms=[self.name, *self.brand_terms])


CATALOG = [
    "Etiopia Yirgacheffe", "Etiopia Sidamo Natural", "Brasile Cerrado", "Colombia Huila",
    "Colombia Decaffeinato", "Guatemala Antigua", "Kenya AA", "Sumatra Mandheling",
    "Costa Rica Tarrazú", "India Monsooned Malabar", "Honduras Marcala Biologico",
    "Perù Cajamarca Biologico", "Nicaragua Jinotega", "Messico Chiapas Biologico",
    "Panama Geisha Boquete", "Miscela Vesuvio", "Miscela Bar Centrale", "Decaffeinato Notte",
    "Miscela Brace Classica", "Miscela Aurora", "Miscela Nonna Rosa", "Miscela Scirocco",
    "Miscela Gran Crema", "Macinato Moka Tradizione", "Macinato Espresso Casa",
    "Macinato Filtro Mattino", "Capsule Vesuvio compatibili Nespresso",
    "Capsule Bar Centrale compatibili Nespresso", "Capsule Cremoso compatibili Dolce Gusto",
    "Cialde ESE 44 mm Bar Centrale", "Moka Brace Classica", "Moka Induzione Inox",
    "Macinacaffè manuale MN-1", "Dripper conico in ceramica 02", "Tazza da cappuccino in gres",
    "Lattiera in acciaio", "Barattolo sottovuoto per caffè", "Bilancia da caffè con timer",
    "Bollitore a collo di cigno", "Cofanetto Degustazione Monorigini", "Cofanetto Moka & Miscela",
    "Abbonamento Brace",
]
# how people name a product in a post
SHORT_NAMES = {
    "Miscela Vesuvio": ["la Vesuvio", "Miscela Vesuvio", "vesuvio"],
    "Miscela Bar Centrale": ["la Bar Centrale", "miscela bar centrale"],
    "Miscela Brace Classica": ["la Classica", "Brace Classica"],
    "Miscela Aurora": ["l'Aurora", "Miscela Aurora"], "Miscela Scirocco": ["la Scirocco"],
    "Miscela Gran Crema": ["la Gran Crema"], "Miscela Nonna Rosa": ["la Nonna Rosa"],
    "Colombia Huila": ["il Huila", "Colombia Huila"], "Kenya AA": ["il Kenya"],
    "Etiopia Yirgacheffe": ["lo Yirgacheffe"], "Etiopia Sidamo Natural": ["il Sidamo"],
    "Moka Induzione Inox": ["la moka a induzione", "Moka Induzione"],
    "Decaffeinato Notte": ["il Decaffeinato Notte", "il deca Notte"],
    "Sumatra Mandheling": ["il Sumatra", "Mandheling"], "Brasile Cerrado": ["il Cerrado"],
    "Guatemala Antigua": ["il Guatemala"], "Costa Rica Tarrazú": ["il Tarrazú"],
}


def _product_phrase(rng: random.Random, title: str) -> str:
    return rng.choice(SHORT_NAMES.get(title, [title]))


def generate_shop(seed: int, orders: int = 3000, complaints: int = 300, *,
                  platform: str | None = None, id_base: int = 0,
                  now: dt.datetime = REFERENCE_NOW) -> SyntheticShop:
    """A synthetic shop with ``orders`` orders and ``complaints`` complaint threads."""
    rng = random.Random(seed)
    platform = platform or rng.choice(["shopify", "shopify_prefixed", "woocommerce"])
    prefix = rng.choice(["BR", "TB", "CF", "RO"]) if platform == "shopify_prefixed" else ""
    ids = _Ids(id_base)
    products = [{"id": ids.next("product"), "title": t} for t in CATALOG]
    popularity = [(p, 1.0 / (i + 3)) for i, p in enumerate(rng.sample(products, len(products)))]
    surnames = _surnames()
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
    shop.complaints = _complaints(rng, shop, complaints, surnames)
    return shop


class _Ids:
    def __init__(self, base: int) -> None:
        self.counters: dict[str, int] = defaultdict(lambda: base)

    def next(self, kind: str) -> int:
        self.counters[kind] += 1
        return self.counters[kind]


def _person_name(rng: random.Random, surnames: list[tuple[str, float]]) -> tuple[str, str]:
    roll = rng.random()
    if roll < 0.8:
        first = _pick(rng, ITALIAN_MEN if rng.random() < 0.5 else ITALIAN_WOMEN)
        last = _pick(rng, surnames)
    else:
        first = _pick(rng, FOREIGN_FIRST)
        last = rng.choice(FOREIGN_SURNAMES) if rng.random() < 0.8 else _pick(rng, surnames)
    return first, last


def _customer(rng: random.Random, ids: _Ids, surnames: list[tuple[str, float]]
              ) -> dict[str, Any]:
    first, last = _person_name(rng, surnames)
    f, last_plain = _plain(first), _plain(last)
    local = rng.choice([f"{f}.{last_plain}", f"{f[0]}{last_plain}", f"{last_plain}.{f}",
                        f"{f}{rng.randint(60, 99)}", f"{f}_{last_plain}", f"{f}.{last_plain[0]}"])
    cid = ids.next("customer")
    return {"id": cid, "external_id": f"c{cid}", "first_name": first, "last_name": last,
            "email": f"{local}@{rng.choice(MAIL_DOMAINS)}", "postcode": f"{rng.randint(10, 98)}"
            f"{rng.randint(100, 199)}", "handles": {}}


def _orders(rng: random.Random, ids: _Ids, n: int, customers: list[dict[str, Any]],
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
            first, last = _person_name(rng, surnames)
            customer = None
            email = (f"{_plain(first)}.{_plain(last)}{rng.randint(1, 999)}"
                     f"@{rng.choice(MAIL_DOMAINS)}")
            ship_name = f"{first} {last}"
        else:
            customer = customers[min(int(len(customers) * rng.random() ** 1.5),
                                     len(customers) - 1)]
            email = customer["email"]
            ship_name = f"{customer['first_name']} {customer['last_name']}"
        name = f"#{prefix}{number}"
        picked = {p["id"]: p for p in (_pick(rng, popularity)
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
        network = _pick(rng, NETWORKS)
        handle = _make_handle(rng, c["first_name"], c["last_name"], network)
        if (network, handle.lower()) in taken:
            continue
        taken.add((network, handle.lower()))
        how = "customer_record" if roll < 0.12 else rng.choice(
            ["owner", "verification_page", "order_number_and_email"])
        c["handles"][network] = handle
        out.append({"network": network, "handle": handle.lower(), "author_id": None,
                    "customer_id": c["id"], "verified_by": how})
    return out


def _make_handle(rng: random.Random, first: str, last: str, network: str) -> str:
    f, last_plain = _plain(first), _plain(last)
    digits = str(rng.randint(1, 99)) if rng.random() < 0.5 else ""
    style = rng.random()
    if style < 0.15:
        base = rng.choice(PSEUDONYMS) + digits
    elif style < 0.35:
        base = f + last_plain + digits
    elif style < 0.45:
        base = f"{f}_{last_plain}" if network != "bluesky" else f"{f}-{last_plain}"
    elif style < 0.55:
        base = f[0] + last_plain
    elif style < 0.65:
        base = last_plain + f[:3]
    elif style < 0.72:
        base = f + last_plain[0] + digits
    elif style < 0.85:
        base = f + (digits or str(rng.randint(70, 99)))
    else:
        base = f"{last_plain}-{f}" if network == "bluesky" else last_plain + f
    if network == "x":
        return base[:15]
    if network == "bluesky":
        return f"{base}.bsky.social"
    return f"{base}@{rng.choice(INSTANCES)}"


def _display_name(rng: random.Random, first: str, last: str) -> tuple[str, str]:
    """How the author shows their name: (display, style)."""
    roll = rng.random()
    nick = NICKNAMES_OUT.get(first)
    if roll < 0.33:
        shown, style = f"{first} {last}", "full"
    elif roll < 0.43:
        shown, style = fold(f"{first} {last}") if rng.random() < 0.6 else \
            f"{first} {last}".lower(), "full"
    elif roll < 0.49 and nick:
        shown, style = f"{rng.choice(nick)} {last}", "nickname"
    elif roll < 0.61:
        shown, style = f"{first} {last[0]}.", "first_initial"
    elif roll < 0.72:
        shown, style = first, "first_only"
    elif roll < 0.76:
        shown, style = f"{last} {first}", "full"
    elif roll < 0.90:
        shown, style = rng.choice(PSEUDONYM_NAMES), "pseudonym"
    else:
        shown, style = f"{first} {rng.choice(['☕', '🎧', '🍋', '🇮🇹', '🌿', '✨'])}", "first_only"
    if rng.random() < 0.03 and style == "full" and len(last) > 4:  # a typo
        i = rng.randrange(1, len(last) - 1)
        shown = shown.replace(last, last[:i] + last[i + 1:])
    return shown, style


# --- complaints -----------------------------------------------------------------------------------

IT = {
    "late": ["Sul sito c'è scritto spedizione in 24/48 ore, il mio {ref} è lì da {days} giorni!",
             "{ref_cap} ordinato {days} giorni fa, mai spedito. Ma scherziamo?",
             "A che punto è {ref}? Ancora nessuna mail di spedizione",
             "Sono {days} giorni che aspetto, ancora niente. {ref_cap}",
             "ho ordinato {product} {days} giorni fa e non è ancora partito nulla",
             "Ma quando spedite? {ref_cap} pagato subito e ancora fermo"],
    "stuck": ["Il tracciamento {ref_of} non si aggiorna da {days} giorni...",
              "Pacco fermo all'hub di Bologna da {days} giorni ({ref}). Bah.",
              "Ma il corriere l'ha perso? {ref_cap} fermo da {days} giorni",
              "il pacco con {product} è bloccato in transito da una settimana"],
    "failure": ["\"indirizzo non trovato\" dice il corriere. {ref_cap}, stesso indirizzo di sempre",
                "Consegna fallita per {ref}?? Il corriere non è mai passato",
                "tentata consegna ma ero a casa tutto il giorno. {ref_cap}"],
    "cancelled": ["Perché {ref} è stato annullato? Nessuna spiegazione",
                  "mi avete annullato l'ordine con {product} senza dirmi niente",
                  "{ref_cap} cancellato da voi, mi spiegate?"],
    "partial": ["arrivato il pacco ({ref}) ma {product} non c'è. Aspetto notizie.",
                "Mi è arrivata solo metà {ref_of}: manca {product}",
                "nel pacco mancava {product}. {ref_cap}"],
    "refunded": ["vedo il rimborso {ref_of} sulla carta ma nessuna mail, è tutto ok?",
                 "Il rimborso per {product} è arrivato solo in parte. {ref_cap}"],
    "received": ["aperto il pacco {ref_of}: {product} con il macinato per filtro invece che moka",
                 "{product} sapeva di vecchio, zero crema. {ref_cap}. Mai successo prima.",
                 "Sacchetto di {product} bucato, caffè ovunque nel cartone. {ref_cap}",
                 "{product} arrivata con il manico rotto. {ref_cap}",
                 "Ho ricevuto {product} ma il gusto è cambiato, peccato"],
    "question": ["Posso ancora cambiare l'indirizzo di spedizione {ref_of}?",
                 "Mi serve la fattura {ref_of}, a chi scrivo?",
                 "Posso aggiungere {product} {ref_to} o devo fare un nuovo ordine?"],
    "stranger": ["Il servizio clienti non risponde mai",
                 "Ho provato {product} al bar, non mi ha convinto",
                 "Prezzi saliti ancora, {product} quasi a 14,90 € ormai",
                 "Il sito non funziona, non riesco a pagare con PayPal",
                 "Qualcuno sa se {product} va bene per la moka?",
                 "La {product} del supermercato sapeva di vecchio, bah",
                 "Il mio ordine è in ritardo da {days} giorni, qualcuno sa qualcosa?",
                 "Pacco fermo da {days} giorni, il corriere non risponde",
                 "arrivato il pacco ma {product} era rotto",
                 "ordine 4{num_tail} su Amazon fermo da giorni, e il caffè qui?"],
}
EN = {
    "late": ["The website says ships in 24-48h. My {ref} is on day {days}",
             "{days} days since I ordered ({ref}) and it's still unfulfilled!",
             "is {ref} ever going to ship? Paid {days} days ago.",
             "ordered {product} {days} days ago, still hasn't shipped"],
    "stuck": ["Tracking for {ref} hasn't moved in {days} days. Stuck in transit?",
              "my parcel ({ref}) has been stuck at the hub for {days} days",
              "where is my package? the {product} has been in transit forever"],
    "failure": ["Delivery failed for {ref}?? The courier never showed up",
                "address not found says the courier. {ref_cap}, same address as always"],
    "cancelled": ["Why was {ref} cancelled? No explanation at all",
                  "you cancelled my order with the {product} without telling me"],
    "partial": ["the {product} is missing from {ref}. Everything else was there.",
                "only half of {ref} arrived, {product} missing"],
    "refunded": ["I see the refund for {ref} on my card but no email, is that right?"],
    "received": ["Wrong grind in {ref}: espresso grind instead of whole bean.",
                 "the {product} tasted stale, roast date two months ago. {ref_cap}",
                 "bag of {product} arrived torn, coffee everywhere. {ref_cap}",
                 "received the {product} but it's damaged"],
    "question": ["can I still change the shipping address on {ref}?",
                 "need a VAT invoice for {ref}, who do I ask?",
                 "could I add {product} to {ref} or do I need a new order?"],
    "stranger": ["customer service never answers. Not great.",
                 "tried {product} at a friend's, not for me",
                 "prices keep creeping up, {product} is almost €14.90 now",
                 "checkout keeps failing, card declined every time",
                 "is {product} good for a moka pot?",
                 "my order is {days} days late, anyone else?",
                 "parcel stuck for {days} days, courier not answering",
                 "order #4{num_tail} from Amazon still not here, and your coffee?"],
}
DECOYS_IT = ["Ieri 1281 metri di dislivello, oggi serve caffè.", "ne bevo 3 tazze al giorno",
             "pagato 24,90 € per 1 kg", "cliente dal 2019", "chiamatemi al 333 123 4567",
             "la mia moka da 6 tazze", "2 x 500 g", "abito in via Roma 112, CAP 20121",
             "ho fatto 1180 passi per andare al corriere", "alle 10:30 ancora niente"]
DECOYS_EN = ["did 1281 metres of climbing today", "I drink 3 cups a day", "paid €24.90 for 1 kg",
             "customer since 2019", "call me at 333 123 4567", "2 x 500 g bags",
             "zip 10121", "still nothing at 10:30"]
FOLLOW_UPS_IT = ["aggiornamento: ancora niente.", "Siamo a {days} giorni, ancora fermo.",
                 "Nessuna risposta neanche alla mail"]
FOLLOW_UPS_EN = ["update: still nothing.", "no news. still waiting.", "day {days}, nothing."]


def _ref_phrase(rng: random.Random, order: dict[str, Any], shop: SyntheticShop, lang: str,
                typo: bool) -> tuple[str, str]:
    """The order reference as written: (phrase used as "{ref}", with the article for "of")."""
    number = str(order["number"])
    if typo:
        i = rng.randrange(len(number) - 1)
        number = number[:i] + number[i + 1] + number[i] + number[i + 2:]
        if number == str(order["number"]):
            number = number[:-1] + str((int(number[-1]) + 1) % 10)
    if shop.prefix and rng.random() < 0.6:
        number = rng.choice([f"#{shop.prefix}{number}", f"{shop.prefix}{number}",
                             f"{shop.prefix}-{number}"])
        return (f"l'ordine {number}" if lang == "it" else f"order {number}"), number
    if lang == "it":
        forms = [f"l'ordine {number}", f"l'ordine n. {number}", f"l'ordine nr. {number}",
                 f"l'ordine #{number}", f"l'ordine n°{number}", f"#{number}",
                 f"l'ordine numero {number}", f"n. {number}"]
    else:
        forms = [f"order {number}", f"order #{number}", f"order no. {number}",
                 f"order number {number}", f"#{number}", f"no. {number}"]
    return rng.choice(forms), number


def _complaints(rng: random.Random, shop: SyntheticShop, n: int,
                surnames: list[tuple[str, float]]) -> list[SyntheticComplaint]:
    now = shop.now
    by_state: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for order in shop.orders:
        # people complain about recent orders: a problem within two months, a parcel
        # received within six weeks
        age = (now - order["created_at"]).days
        if age > (45 if order["state"] == "delivered" else 60):
            continue
        by_state[order["state"]].append(order)
    customers = {c["id"]: c for c in shop.customers}
    titles = [p["title"] for p in shop.products]
    out = []
    for i in range(n):
        lang = "it" if rng.random() < 0.6 else "en"
        network = _pick(rng, NETWORKS)
        if rng.random() < 0.28:
            out.append(_stranger(rng, shop, i, lang, network, surnames, titles))
            continue
        topic = _pick(rng, [("late", 22), ("stuck", 12), ("failure", 5), ("cancelled", 5),
                            ("partial", 6), ("refunded", 4), ("received", 34), ("question", 12)])
        state = {"received": "delivered", "question": rng.choice(["unfulfilled", "late",
                                                                  "in_transit", "delivered"])
                 }.get(topic, topic)
        pool = by_state.get(state) or by_state.get("delivered") or shop.orders
        order = rng.choice(pool)
        if topic == "received" and order["state"] != "delivered":
            topic = "question"
        customer = customers.get(order["customer_id"]) if order["customer_id"] else None
        first, last = (customer["first_name"], customer["last_name"]) if customer else \
            tuple(order["shipping_name"].split(" ", 1))
        out.append(_customer_complaint(rng, shop, i, lang, network, topic, order, customer,
                                       first, last))
    return out


def _age_days(order: dict[str, Any], at: dt.datetime) -> int:
    return max(int((at - order["created_at"]).total_seconds() // 86400), 1)


def _customer_complaint(rng: random.Random, shop: SyntheticShop, i: int, lang: str, network: str,
                        topic: str, order: dict[str, Any], customer: dict[str, Any] | None,
                        first: str, last: str) -> SyntheticComplaint:
    at = shop.now - dt.timedelta(hours=rng.uniform(0.5, 30))
    if at <= order["created_at"]:
        at = order["created_at"] + dt.timedelta(hours=2)
    kinds = []
    identity = customer["handles"].get(network) if customer else None
    if identity and rng.random() < 0.85:
        handle = identity
        kinds.append("identity")
    else:
        handle = shop.unique_handle(rng, first, last, network)
    display, style = _display_name(rng, first, last)
    if handle.split("@")[0].split(".")[0].rstrip("0123456789") in PSEUDONYMS and \
            rng.random() < 0.5:
        display, style = rng.choice(PSEUDONYM_NAMES), "pseudonym"
    p_number = {"question": 0.75, "received": 0.45}.get(topic, 0.5)
    with_number = rng.random() < p_number
    typo = with_number and rng.random() < 0.015
    ref, number_text = _ref_phrase(rng, order, shop, lang, typo) if with_number else ("", "")
    if with_number:
        kinds.append("number" if not typo else "number_typo")
    lines = order["lines"]
    product_title = rng.choice(lines)["title"]
    if rng.random() < 0.05:  # names the wrong product
        product_title = rng.choice(shop.products)["title"]
    waited = _age_days(order, at)
    if topic == "stuck" and order["fulfillments"]:
        waited = max(int((at - order["fulfillments"][0]["created_at"]).total_seconds()
                         // 86400), 1)
    days = max(waited + rng.choice([-1, 0, 0, 0, 1]), 1)
    text = _fill(rng, (IT if lang == "it" else EN)[topic], lang, ref, product_title, days,
                 with_number)
    if rng.random() < 0.25:
        text = f"{text} {rng.choice(DECOYS_IT if lang == 'it' else DECOYS_EN)}"
    if rng.random() < 0.5:
        text = f"{_shop_mention(network)} {text}" if rng.random() < 0.5 else \
            f"{text} {_shop_mention(network)}"
    posts = [SyntheticPost(f"{shop.seed}-{i}-0", text, at, display)]
    if rng.random() < 0.15:
        follow = rng.choice(FOLLOW_UPS_IT if lang == "it" else FOLLOW_UPS_EN).format(
            days=days + 1)
        posts.append(SyntheticPost(f"{shop.seed}-{i}-1", follow,
                                   at + dt.timedelta(hours=rng.uniform(2, 20)), display))
    if rng.random() < 0.12:
        email = customer["email"] if customer and rng.random() < 0.9 else order["email"]
        dm = (f"Ciao, vi scrivo in privato: la mia mail è {email}" if lang == "it"
              else f"Hi, writing privately: my email is {email}")
        if rng.random() < 0.2 and not with_number:
            dm += f" e l'ordine è il {order['number']}" if lang == "it" else \
                f", order {order['number']}"
        posts.append(SyntheticPost(f"{shop.seed}-{i}-dm", dm,
                                   at + dt.timedelta(hours=rng.uniform(1, 10)), display,
                                   source="dm", is_dm=True))
        kinds.append("email")
    if not kinds:
        kinds.append("pseudonym" if style == "pseudonym" else f"name:{style}")
    return SyntheticComplaint(
        key=f"{shop.seed}-{i}", network=network, author_id=f"{network}-{shop.seed}-{i}",
        author_handle=handle, author_name=display, posts=posts, truth_order_id=order["id"],
        truth_customer_id=customer["id"] if customer else None, kind="+".join(kinds),
        lang=lang)


def _stranger(rng: random.Random, shop: SyntheticShop, i: int, lang: str, network: str,
              surnames: list[tuple[str, float]], titles: list[str]) -> SyntheticComplaint:
    roll = rng.random()
    if roll < 0.25:  # a customer's namesake
        c = rng.choice(shop.customers)
        first, last = c["first_name"], c["last_name"]
    elif roll < 0.4:  # same first name, look-alike surname
        c = rng.choice(shop.customers)
        first, last = c["first_name"], c["last_name"][:-1] + rng.choice("aeiou")
    else:
        first, last = _person_name(rng, surnames)
    at = shop.now - dt.timedelta(hours=rng.uniform(0.5, 30))
    display, _ = _display_name(rng, first, last)
    handle = shop.unique_handle(rng, first, last, network)
    text = (IT if lang == "it" else EN)["stranger"]
    body = rng.choice(text).format(product=_product_phrase(rng, rng.choice(titles)),
                                   days=rng.randint(3, 15), num_tail=rng.randint(1000, 9999))
    if rng.random() < 0.3:
        body = f"{body} {rng.choice(DECOYS_IT if lang == 'it' else DECOYS_EN)}"
    posts = [SyntheticPost(f"{shop.seed}-{i}-0", body, at, display)]
    return SyntheticComplaint(f"{shop.seed}-{i}", network, f"{network}-{shop.seed}-{i}", handle,
                              display, posts, None, None, "stranger", lang)


def _fill(rng: random.Random, templates: list[str], lang: str, ref: str, product: str, days: int,
          with_number: bool) -> str:
    usable = [t for t in templates if ("{ref" in t) == with_number] or templates
    template = rng.choice(usable)
    if not with_number:
        ref = "il mio ordine" if lang == "it" else "my order"
    ref_of = ref.replace("l'ordine", "dell'ordine") if lang == "it" else ref
    if lang == "it" and ref.startswith(("#", "n. ")):
        ref_of = f"dell'ordine {ref}"
    ref_to = ref.replace("l'ordine", "all'ordine") if lang == "it" else ref
    ref_cap = ref[:1].upper() + ref[1:]
    return template.format(ref=ref, ref_of=ref_of if "ordine" in ref_of or lang != "it"
                           else f"del mio ordine {ref}", ref_to=ref_to, ref_cap=ref_cap,
                           product=_product_phrase(rng, product), days=days)


def _shop_mention(network: str) -> str:
    return {"x": "@bottega", "bluesky": "@bottega.bsky.social",
            "mastodon": "@bottega@mastodon.social"}[network]


# --- evaluation -----------------------------------------------------------------------------------

@dataclass
class LinkingReport:
    """Precision and recall of automatic links, top-3 recall of suggestions, and timing."""

    seed: int
    shops: int
    orders: int
    complaints: int
    with_order: int
    threshold: float
    auto: int
    auto_correct: int
    top1_correct: int
    top3_correct: int
    build_seconds: float
    rank_seconds: float
    by_kind: dict[str, dict[str, int]] = field(default_factory=dict)
    calibration: list[dict[str, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    scores: list[tuple[float, bool]] = field(default_factory=list, repr=False)

    @property
    def auto_precision(self) -> float:
        return self.auto_correct / self.auto if self.auto else 1.0

    @property
    def auto_recall(self) -> float:
        return self.auto_correct / self.with_order if self.with_order else 0.0

    @property
    def top3_recall(self) -> float:
        return self.top3_correct / self.with_order if self.with_order else 0.0

    @property
    def seconds_per_1000(self) -> float:
        return self.rank_seconds / max(self.complaints, 1) * 1000

    def as_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "shops": self.shops, "orders": self.orders,
                "complaints": self.complaints, "with_order": self.with_order,
                "threshold": self.threshold, "auto": self.auto,
                "auto_precision": round(self.auto_precision, 4),
                "auto_recall": round(self.auto_recall, 4),
                "top1_recall": round(self.top1_correct / max(self.with_order, 1), 4),
                "top3_recall": round(self.top3_recall, 4),
                "build_seconds": round(self.build_seconds, 3),
                "seconds_per_1000": round(self.seconds_per_1000, 3)}


def evaluate_linking(seed: int = 2026, shops: int = 3, complaints: int = 300, *,
                     orders: int = 3000, threshold: float = AUTO_LINK_THRESHOLD,
                     rank: Callable[..., list[Any]] | None = None) -> LinkingReport:
    """Generate ``shops`` shops from ``seed`` (``orders`` orders and ``complaints`` complaints
    each), rank every complaint in memory and score the result against the ground truth."""
    report = LinkingReport(seed, shops, 0, 0, 0, threshold, 0, 0, 0, 0, 0.0, 0.0)
    platforms = ["shopify", "shopify_prefixed", "woocommerce"]
    for n in range(shops):
        shop = generate_shop(seed * 100 + n, orders, complaints,
                             platform=platforms[n % len(platforms)])
        score_shop(shop, report, threshold=threshold, rank=rank)
    return report


def score_shop(shop: SyntheticShop, report: LinkingReport, *, threshold: float,
               rank: Callable[..., list[Any]] | None = None,
               index: LinkIndex | None = None) -> LinkingReport:
    started = time.perf_counter()
    index = index or shop.index()
    report.build_seconds += time.perf_counter() - started
    report.orders += len(shop.orders)
    rank = rank or rank_candidates
    started = time.perf_counter()
    results = [(c, rank(index, c, c.posts, shop.now)) for c in shop.complaints]
    report.rank_seconds += time.perf_counter() - started
    for complaint, candidates in results:
        _score(report, complaint, candidates, threshold)
    return report


def _score(report: LinkingReport, complaint: SyntheticComplaint, candidates: Sequence[Any],
           threshold: float) -> None:
    report.complaints += 1
    truth = complaint.truth_order_id
    kind = complaint.kind.split("+")[0] if complaint.kind != "stranger" else "stranger"
    bucket = report.by_kind.setdefault(kind, Counter())
    bucket["n"] += 1
    top = candidates[0] if candidates else None
    if top is not None:
        report.scores.append((top.confidence, top.order_id == truth))
    if truth is not None:
        report.with_order += 1
        ids = [c.order_id for c in candidates[:3]]
        if ids and ids[0] == truth:
            report.top1_correct += 1
        if truth in ids:
            report.top3_correct += 1
            bucket["top3"] += 1
    if top is not None and top.confidence >= threshold:
        report.auto += 1
        bucket["auto"] += 1
        if top.order_id == truth:
            report.auto_correct += 1
            bucket["auto_correct"] += 1
        elif len(report.errors) < 25:
            report.errors.append(f"{complaint.key} [{complaint.kind}] {complaint.author_name!r} "
                                 f"@{complaint.author_handle}: {complaint.posts[0].text[:90]!r}"
                                 f" -> {top.order_name} {top.confidence:.3f} {list(top.reasons)}")


def calibration(scores: Iterable[tuple[float, bool]],
                edges: Sequence[float] = (0.0, 0.2, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 1.0)
                ) -> list[dict[str, float]]:
    """Observed accuracy of the top candidate by confidence band."""
    rows = []
    scores = list(scores)
    for lo, hi in zip(edges, edges[1:], strict=False):
        band = [ok for conf, ok in scores if lo <= conf < hi or (hi == 1.0 and conf == 1.0)]
        if band:
            rows.append({"from": lo, "to": hi, "n": len(band),
                         "accuracy": round(sum(band) / len(band), 3)})
    return rows


def choose_threshold(scores: Iterable[tuple[float, bool]], precision: float = 0.98,
                     minimum: int = 30) -> float:
    """The lowest confidence at which the links above it are right at least ``precision`` of
    the time (computed on a tuning seed, never the one reported)."""
    ranked = sorted(scores, key=lambda x: -x[0])
    best = 1.0
    correct = 0
    for n, (conf, ok) in enumerate(ranked, 1):
        correct += ok
        if n >= minimum and correct / n >= precision:
            best = conf
    return best


# --- the baseline: an order-number regex alone --------------------------------------------------

_BASELINE = re.compile(r"#?\b([A-Za-z]{0,4}\d{3,9})\b")


@dataclass(frozen=True)
class _BaselineCandidate:
    order_id: int
    confidence: float
    order_name: str
    reasons: tuple[str, ...] = ()


def baseline_rank(index: LinkIndex, case: Any, posts: Sequence[Any], now: dt.datetime
                  ) -> list[_BaselineCandidate]:
    """Link by the first number in the posts that is an order's number or name."""
    for post in posts:
        for token in _BASELINE.findall(post.text or ""):
            key = token.lower()
            if key in index.by_name:
                order = index.orders[index.by_name[key]]
            elif key.isdigit() and int(key) in index.by_number:
                order = index.orders[index.by_number[int(key)][0]]
            else:
                continue
            return [_BaselineCandidate(order.id, 1.0, order.name)]
    return []


def baseline_linking(seed: int = 2026, shops: int = 3, complaints: int = 300, *,
                     orders: int = 3000) -> LinkingReport:
    return evaluate_linking(seed, shops, complaints, orders=orders, threshold=0.5,
                            rank=baseline_rank)


# --- text report --------------------------------------------------------------------------------

def format_report(report: LinkingReport, baseline: LinkingReport | None = None) -> str:
    lines = [
        f"Linking cases to orders: seed {report.seed}, {report.shops} shop(s), "
        f"{report.orders} orders, {report.complaints} complaints "
        f"({report.with_order} by authors who ordered)",
        f"  automatic links (confidence >= {report.threshold:.2f}): {report.auto}, "
        f"precision {report.auto_precision:.3f}, recall {report.auto_recall:.3f}",
        f"  suggestions: right order first {report.top1_correct / max(report.with_order, 1):.3f}"
        f", in the top 3 {report.top3_recall:.3f}",
        f"  time: index {report.build_seconds:.2f} s, ranking "
        f"{report.seconds_per_1000:.2f} s per 1,000 complaints",
    ]
    if baseline is not None:
        lines.append(f"  baseline (order-number regex alone): precision "
                     f"{baseline.auto_precision:.3f}, recall {baseline.auto_recall:.3f}, "
                     f"{baseline.seconds_per_1000:.2f} s per 1,000")
    lines.append("  by how the author shows (n, auto, auto right, top-3):")
    for kind, c in sorted(report.by_kind.items()):
        lines.append(f"    {kind:22} {c['n']:5} {c['auto']:5} {c['auto_correct']:5} "
                     f"{c['top3']:5}")
    lines.append("  calibration of the top candidate (confidence band: n, accuracy):")
    for row in calibration(report.scores):
        lines.append(f"    {row['from']:.2f}-{row['to']:.2f}: {row['n']:5}  {row['accuracy']:.3f}")
    if report.errors:
        lines.append("  wrong automatic links (first few):")
        lines.extend(f"    {e}" for e in report.errors[:10])
    return "\n".join(lines)


# --- writing a synthetic shop to the database -----------------------------------------------------

def write_shop(db: Database, shop: SyntheticShop, *, domain: str | None = None,
               batch: int = 5000) -> int:
    """Store the shop's catalog, customers, orders and identities through the models (bulk
    inserts in a shop-scoped session); returns the new shop's id. Row ids are the synthetic
    ones, so the ground truth holds in the database."""
    with db.transaction() as s:
        row = Shop(platform="demo", domain=domain or f"synthetic-{shop.seed}.example",
                   name=shop.name, brand_terms=list(shop.brand_terms))
        s.add(row)
        s.flush()
        shop_id = row.id
    with db.transaction(shop_id) as s:
        _bulk(s, Product, [{"id": p["id"], "shop_id": shop_id, "external_id": f"p{p['id']}",
                            "title": p["title"], "tags": [], "price": Decimal("9.90")}
                           for p in shop.products], batch)
        _bulk(s, Customer, [{"id": c["id"], "shop_id": shop_id, "external_id": c["external_id"],
                             "email": c["email"], "first_name": c["first_name"],
                             "last_name": c["last_name"], "postcode": c["postcode"],
                             "accepts_marketing": False} for c in shop.customers], batch)
        _bulk(s, Order, [{
            "id": o["id"], "shop_id": shop_id, "external_id": o["external_id"],
            "number": o["number"], "name": o["name"], "customer_id": o["customer_id"],
            "email": o["email"], "shipping_name": o["shipping_name"],
            "financial_status": o["financial_status"],
            "fulfillment_status": o["fulfillment_status"], "cancelled_at": o["cancelled_at"],
            "total_price": Decimal("19.90"), "currency": "EUR", "discount_codes": [],
            "created_at": o["created_at"]} for o in shop.orders], batch)
        _bulk(s, OrderLine, [{"shop_id": shop_id, "order_id": o["id"],
                              "product_id": li["product_id"], "title": li["title"],
                              "quantity": li["quantity"], "price": Decimal("9.90")}
                             for o in shop.orders for li in o["lines"]], batch)
        _bulk(s, Fulfillment, [{"shop_id": shop_id, "order_id": o["id"],
                                "external_id": f["external_id"], "status": f["status"],
                                "shipment_status": f["shipment_status"],
                                "created_at": f["created_at"]}
                               for o in shop.orders for f in o["fulfillments"]], batch)
        _bulk(s, SocialIdentity, [{"shop_id": shop_id, "customer_id": i["customer_id"],
                                   "network": i["network"], "handle": i["handle"],
                                   "author_id": i["author_id"], "verified_by": i["verified_by"],
                                   "verified_at": shop.now} for i in shop.identities], batch)
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            for table in ("products", "customers", "orders"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
    return shop_id


def _bulk(s: Any, model: type, rows: list[dict[str, Any]], batch: int) -> None:
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        if chunk:
            s.execute(insert(model), chunk)


def write_complaints(db: Database, shop_id: int, shop: SyntheticShop
                     ) -> dict[int, SyntheticComplaint]:
    """Store the complaints as posts and open their cases through :mod:`support.cases`;
    returns case id -> complaint (with its ground truth)."""
    from .cases import add_to_case

    out: dict[int, SyntheticComplaint] = {}
    with db.transaction(shop_id) as s:
        for complaint in shop.complaints:
            case = None
            root = complaint.posts[0].external_id
            for post in complaint.posts:
                row = Post(network=complaint.network, external_id=post.external_id,
                           author_id=complaint.author_id, author_handle=complaint.author_handle,
                           author_name=post.author_name, text=post.text, lang=complaint.lang,
                           created_at=post.created_at, source=post.source, intent="complaint",
                           thread_id=root, addresses_shop=True)
                s.add(row)
                s.flush()
                case = add_to_case(s, row, case)
            if case is not None:
                out[case.id] = complaint
    return out
