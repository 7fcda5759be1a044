"""Complaint threads with known ground truth: order numbers in many formats (some mistyped),
authors who never ordered, nicknames, pseudonyms, e-mails, products named and decoy numbers."""
from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

from .model import SyntheticComplaint, SyntheticPost, SyntheticShop
from .names import (
    NETWORKS,
    PSEUDONYM_NAMES,
    PSEUDONYMS,
    display_name,
    person_name,
    pick,
    product_phrase,
)

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


def make_complaints(rng: random.Random, shop: SyntheticShop, n: int,
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
        network = pick(rng, NETWORKS)
        if rng.random() < 0.28:
            out.append(_stranger(rng, shop, i, lang, network, surnames, titles))
            continue
        topic = pick(rng, [("late", 22), ("stuck", 12), ("failure", 5), ("cancelled", 5),
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
    display, style = display_name(rng, first, last)
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
        first, last = person_name(rng, surnames)
    at = shop.now - dt.timedelta(hours=rng.uniform(0.5, 30))
    display, _ = display_name(rng, first, last)
    handle = shop.unique_handle(rng, first, last, network)
    text = (IT if lang == "it" else EN)["stranger"]
    body = rng.choice(text).format(product=product_phrase(rng, rng.choice(titles)),
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
                           product=product_phrase(rng, product), days=days)


def _shop_mention(network: str) -> str:
    return {"x": "@bottega", "bluesky": "@bottega.bsky.social",
            "mastodon": "@bottega@mastodon.social"}[network]
