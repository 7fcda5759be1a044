"""The roastery's customers (mostly Italian, some foreign, a few look-alike names) and 500 orders
over 90 days, with their fulfilments and problems."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from ..common import MAIL_DOMAINS
from .base import REF, UTC, ascii_name, chance, money, pick, rng

# --- customers ----------------------------------------------------------------------------------

IT_M = ["Marco", "Luca", "Andrea", "Francesco", "Alessandro", "Matteo", "Lorenzo", "Davide",
        "Simone", "Federico", "Riccardo", "Stefano", "Giuseppe", "Antonio", "Giovanni", "Paolo",
        "Roberto", "Fabio", "Massimo", "Niccolò", "Nicolò", "Gianluca", "Emanuele", "Salvatore",
        "Vincenzo", "Daniele", "Tommaso", "Pietro", "Filippo", "Michele", "Claudio", "Carlo",
        "Enrico", "Gabriele", "Edoardo", "Jacopo", "Mattia", "Alberto", "Sergio", "Raffaele",
        "Gianmarco", "Pierpaolo"]
IT_F = ["Giulia", "Francesca", "Chiara", "Sara", "Martina", "Valentina", "Elena", "Alessia",
        "Federica", "Silvia", "Laura", "Paola", "Anna", "Maria", "Roberta", "Elisa", "Ilaria",
        "Beatrice", "Camilla", "Giorgia", "Serena", "Claudia", "Marta", "Veronica", "Irene",
        "Noemi", "Arianna", "Rossella", "Daniela", "Cristina", "Simona", "Lucia", "Benedetta",
        "Ludovica", "Margherita", "Eleonora", "Caterina", "Teresa", "Rita", "Antonella",
        "Annalisa", "Maria Chiara"]
IT_SUR = ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
          "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano",
          "Rizzo", "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro", "Mariani", "Rinaldi",
          "Caruso", "Ferrara", "Galli", "Martini", "Leone", "Longo", "Gentile", "Martinelli",
          "Vitale", "Lombardo", "Serra", "Coppola", "De Santis", "D'Angelo", "Marchetti",
          "Parisi", "Villa", "Conte", "Ferraro", "Fabbri", "Bianco", "Marini", "Grasso",
          "Valentini", "Messina", "Sala", "De Angelis", "Gatti", "Pellegrini", "Palumbo", "Sanna",
          "Farina", "Rizzi", "Monti", "Cattaneo", "Morelli", "Amato", "Silvestri", "Mazza",
          "Testa", "Dell'Acqua", "D'Amico", "Lo Russo", "Cantù", "Donà", "Orrù", "Piras", "Melis",
          "Murgia", "Zanetti", "Basile", "Cusumano", "Esposti", "Rosi", "Colombi", "Fadda",
          "Di Stefano", "La Rosa", "Pagano", "Bellini", "Sartori", "Benedetti", "Guerra"]
NICK = {"Giuseppe": "Peppe", "Francesco": "Checco", "Alessandro": "Ale", "Federica": "Fede",
        "Federico": "Fede", "Giulia": "Giuly", "Roberto": "Robi", "Valentina": "Vale",
        "Beatrice": "Bea", "Salvatore": "Totò", "Antonio": "Toni", "Massimo": "Max",
        "Gianluca": "Gianlu", "Emanuele": "Lele", "Alessia": "Ale", "Margherita": "Marghe",
        "Daniele": "Dani", "Daniela": "Dani", "Lorenzo": "Lollo", "Vincenzo": "Enzo",
        "Eleonora": "Ele", "Francesca": "Fra", "Ludovica": "Ludo", "Benedetta": "Bene",
        "Tommaso": "Tommy", "Niccolò": "Nicco", "Nicolò": "Nico", "Michele": "Miki",
        "Caterina": "Cate", "Raffaele": "Lello", "Elisabeth": "Lisa", "William": "Will",
        "Katharina": "Kathi", "Matthias": "Matze", "Thomas": "Tom", "Daniel": "Dan",
        "Michael": "Mike", "Jessica": "Jess", "Charlotte": "Charlie", "Margaret": "Maggie"}
FOREIGN = {
    "en": (["Oliver", "James", "Harry", "Thomas", "Daniel", "Michael", "Liam", "William"],
           ["Emily", "Sophie", "Charlotte", "Jessica", "Hannah", "Sarah", "Grace", "Siobhan",
            "Margaret"],
           ["Smith", "Clarke", "Taylor", "Walker", "O'Brien", "Hughes", "Evans", "Wright",
            "Bennett", "Murphy", "Patel", "Harris"],
           [("London", "E8 3PB", "GB"), ("Manchester", "M4 1HN", "GB"),
            ("Dublin", "D08 K2Y3", "IE"),
            ("Edinburgh", "EH6 6JH", "GB")]),
    "de": (["Jürgen", "Felix", "Matthias", "Lukas", "Jörg", "Tobias", "Stefan"],
           ["Lena", "Katharina", "Stefanie", "Sabine", "Jana", "Miriam"],
           ["Müller", "Schäfer", "Becker", "Hoffmann", "Weiß", "Schröder", "Krüger", "Wagner",
            "Fischer", "Köhler"],
           [("Berlin", "10437", "DE"), ("München", "80469", "DE"), ("Hamburg", "22765", "DE"),
            ("Wien", "1070", "AT"), ("Köln", "50667", "DE")]),
    "fr": (["François", "Julien", "Mathieu", "Antoine", "Rémi", "Nicolas"],
           ["Hélène", "Chloé", "Élodie", "Camille", "Léa", "Céline", "Amélie"],
           ["Dubois", "Lefèvre", "Moreau", "Laurent", "Girard", "Bonnet", "Rousseau", "Fournier",
            "Mercier", "Gauthier"],
           [("Paris", "75011", "FR"), ("Lyon", "69002", "FR"), ("Nice", "06300", "FR"),
            ("Marseille", "13006", "FR"), ("Bruxelles", "1050", "BE")]),
}
IT_PLACES = [("Milano", "20121"), ("Milano", "20135"), ("Milano", "20154"), ("Roma", "00185"),
             ("Roma", "00153"), ("Roma", "00197"), ("Napoli", "80134"), ("Napoli", "80121"),
             ("Torino", "10121"), ("Torino", "10138"), ("Bologna", "40121"), ("Bologna", "40137"),
             ("Firenze", "50122"), ("Genova", "16121"), ("Palermo", "90133"), ("Bari", "70121"),
             ("Cagliari", "09124"), ("Sassari", "07100"), ("Olbia", "07026"),
             ("Verona", "37121"), ("Padova", "35122"), ("Trieste", "34121"),
             ("Catania", "95124"), ("Lecce", "73100"), ("Perugia", "06121"), ("Trento", "38122"),
             ("Bergamo", "24121"), ("Brescia", "25121"), ("Parma", "43121"), ("Modena", "41121"),
             ("Salerno", "84121"), ("Pescara", "65121"), ("Ancona", "60121"), ("Udine", "33100"),
             ("Bolzano", "39100"), ("Forlì", "47121"), ("Cantù", "22063"), ("Monza", "20900"),
             ("Reggio Calabria", "89125"), ("Aosta", "11100"), ("Pisa", "56125"),
             ("Livorno", "57123"), ("Vicenza", "36100"), ("Treviso", "31100"),
             ("Torre del Greco", "80059"), ("Pozzuoli", "80078"), ("Siena", "53100"),
             ("Lucca", "55100"), ("Como", "22100"), ("Rimini", "47921")]
STREETS = ["Via Roma", "Via Garibaldi", "Via Mazzini", "Corso Vittorio Emanuele", "Via Dante",
           "Via Verdi", "Viale Europa", "Via Cavour", "Piazza della Repubblica", "Via dei Mille",
           "Via Manzoni", "Via San Francesco", "Corso Italia", "Via Trieste", "Via XX Settembre",
           "Via Nazionale", "Via del Porto", "Via delle Rose"]
FOREIGN_STREETS = {"GB": ["High Street", "Church Road", "Mare Street", "Leith Walk"],
                   "IE": ["Camden Street", "Thomas Street"],
                   "DE": ["Hauptstraße", "Schillerstraße", "Lindenallee"],
                   "AT": ["Neubaugasse", "Burggasse"],
                   "FR": ["rue de la Roquette", "rue Mercière", "avenue Jean Médecin"],
                   "BE": ["rue du Bailli", "chaussée d'Ixelles"]}
# look-alike and namesake customers that must exist (first, last, gender)
FORCED_CUSTOMERS = [("Marco", "Rossi", "m"), ("Marco", "Rosi", "m"), ("Giulia", "Bianchi", "f"),
                    ("Giulia", "Bianco", "f"), ("Luca", "Ferrari", "m"), ("Luca", "Ferraro", "m"),
                    ("Sara", "Colombo", "f"), ("Sara", "Colombi", "f"),
                    ("Alessandro", "Conti", "m"), ("Alessandro", "Conte", "m"),
                    ("Andrea", "Greco", "m"), ("Andrea", "Greco", "m"),
                    ("Francesca", "Esposito", "f"), ("Francesca", "Esposti", "f"),
                    ("Niccolò", "Donà", "m"), ("Nicolò", "Orrù", "m"), ("Niccolò", "Cantù", "m"),
                    ("Ilaria", "D'Angelo", "f"), ("Salvatore", "Lo Russo", "m"),
                    ("Chiara", "Dell'Acqua", "f"), ("Federica", "Orrù", "f")]


def make_customers():
    people = [(f, s, g, "it") for f, s, g in FORCED_CUSTOMERS]
    n_foreign = 64
    while len(people) < len(FORCED_CUSTOMERS) + n_foreign:
        origin = ["en", "de", "fr"][len(people) % 3]
        males, females, surnames, _ = FOREIGN[origin]
        g = "m" if chance(0.5) else "f"
        person = (pick(males if g == "m" else females), pick(surnames), g, origin)
        if not any(p[:2] == person[:2] for p in people):
            people.append(person)
    while len(people) < 320:
        g = "m" if chance(0.5) else "f"
        people.append((pick(IT_M if g == "m" else IT_F), pick(IT_SUR), g, "it"))
        if any(p[:2] == people[-1][:2] for p in people[:-1]):
            people.pop()  # namesakes only where planned (the two Andrea Greco)
    rng.shuffle(people)
    customers, emails = [], set()
    for n, (first, last, g, origin) in enumerate(people):
        cid = 30001 + n
        if origin == "it" or chance(0.45):
            city, postcode = pick(IT_PLACES)
            country = "IT"
        else:
            city, postcode, country = pick(FOREIGN[origin][3])
        f, s = ascii_name(first), ascii_name(last)
        yy = rng.randint(60, 99) if chance(0.6) else rng.randint(0, 5)
        for attempt in range(50):
            local = pick([f"{f}.{s}", f"{f}{s}", f"{f[0]}{s}", f"{f}.{s}{yy:02d}", f"{s}.{f}",
                          f"{f}_{s}", f"{f}{rng.randint(1, 999)}", f"{f}.{s[0]}",
                          f"{f[0]}.{s}{rng.randint(1, 99)}"])
            if attempt > 10:
                local += str(attempt)
            email = f"{local}@{pick(MAIL_DOMAINS)}"
            if email not in emails:
                break
        emails.add(email)
        phone = None
        if chance(0.72):
            if country == "IT":
                a, b = rng.randint(20, 93), rng.randint(100, 999)
                phone = f"+39 3{a} {b} {rng.randint(1000, 9999)}"
            elif country in ("DE", "AT"):
                pre = "+49 1" if country == "DE" else "+43 6"
                phone = f"{pre}{rng.randint(50, 79)} {rng.randint(1000000, 9999999)}"
            elif country in ("FR", "BE"):
                pre = "+33 6" if country == "FR" else "+32 4"
                phone = pre + "".join(f" {rng.randint(10, 99)}" for _ in range(4))
            else:
                pre = "+44 7" if country == "GB" else "+353 8"
                phone = f"{pre}{rng.randint(100, 999)} {rng.randint(100000, 999999)}"
        customers.append({"id": cid, "first_name": first, "last_name": last, "email": email,
                          "phone": phone, "city": city, "postcode": postcode,
                          "country_code": country, "accepts_marketing": chance(0.55),
                          "handles": {}, "_g": g, "_origin": origin})
    return customers


# --- orders -------------------------------------------------------------------------------------

COURIERS_IT = [("BRT", 0.45), ("Poste Italiane", 0.3), ("GLS", 0.25)]


def tracking(company: str):
    if company == "BRT":
        num = f"{rng.randint(10**11, 10**12 - 1)}"
        return num, f"https://vas.brt.it/vas/sped_det_show.hsm?Nspediz={num}"
    if company == "Poste Italiane":
        num = f"3UW{rng.randint(10**9, 10**10 - 1)}"
        return num, f"https://www.poste.it/cerca/index.html#/risultati-spedizioni/{num}"
    if company == "GLS":
        num = f"{rng.choice(['LV', 'MI', 'RM', 'BO'])}{rng.randint(10**8, 10**9 - 1)}"
        return num, f"https://gls-group.com/IT/it/servizi-online/ricerca-spedizioni?match={num}"
    num = f"{rng.randint(10**9, 10**10 - 1)}"
    return num, f"https://www.dhl.com/it-it/home/tracking.html?tracking-id={num}"


def day_weight(d: dt.date) -> float:
    w = 1.0
    if dt.date(2025, 11, 28) <= d <= dt.date(2025, 12, 1):
        w = 3.2  # Black Friday weekend
    elif dt.date(2025, 12, 2) <= d <= dt.date(2025, 12, 19):
        w = 2.0  # Christmas gifts
    elif dt.date(2025, 12, 24) <= d <= dt.date(2025, 12, 26):
        w = 0.4
    elif d >= dt.date(2025, 12, 27):
        w = 1.5  # gift cards spent, restocking after the holidays
    if d.weekday() == 6:
        w *= 0.8
    return w


PRODUCT_ORDER_WEIGHT = {"VESU": 10, "BACE": 8, "NOTT": 5, "CLAS": 7, "NONN": 6, "AURO": 3,
                        "SCIR": 4, "GRCR": 4, "ETYI": 4, "ETSI": 3, "BRCE": 4, "COHU": 3,
                        "CODE": 2, "GUAN": 3, "KEAA": 4, "SUMA": 2, "CRTA": 2, "INMM": 2,
                        "HOMA": 2, "PECA": 2, "NIJI": 2, "MXCH": 2, "PAGE": 1, "MOTR": 4,
                        "MAES": 3, "MAFI": 2, "CNVE": 6, "CNBC": 5, "CNNO": 2, "CAMM": 3,
                        "CDGC": 2, "CESE": 3, "MOKA": 4, "MOIN": 3, "GRIN": 1.5, "DRIP": 2,
                        "FILT": 2, "TAZZ": 2, "CAPP": 1.5, "LATT": 1.5, "BARA": 1.5, "GUAR": 2,
                        "BILA": 1, "BOLL": 0.6, "COFD": 3, "COFM": 3, "GIFT": 2, "ABBO": 2}
GIFT_KEYS = {"COFD", "COFM", "GIFT", "TAZZ", "MOKA"}
MOKA_KEYS = {"MOKA", "MOIN", "COFM"}


def make_orders(customers, products, pkey):
    key_of = {p["id"]: k for k, p in pkey.items()}
    start = REF - dt.timedelta(days=90)
    days = [(start + dt.timedelta(days=i)).date() for i in range(91)]
    weights = [day_weight(d) for d in days]
    times = []
    for _ in range(500):
        d = rng.choices(days, weights)[0]
        hour = rng.choices(range(24), [0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 1, 2, 3, 4, 4, 4, 4, 4, 4,
                                       4, 4, 4, 5, 6, 6, 5, 3, 1])[0]
        t = dt.datetime(d.year, d.month, d.day, hour, rng.randint(0, 59), rng.randint(0, 59),
                        tzinfo=UTC)
        if t > REF - dt.timedelta(minutes=40):
            t = REF - dt.timedelta(minutes=rng.randint(40, 600))
        if t < start:
            t = start + dt.timedelta(minutes=rng.randint(1, 600))
        times.append(t)
    times.sort()
    forced = {(f, s) for f, s, _ in FORCED_CUSTOMERS}
    cust_w = []
    for c in customers:  # a few big buyers, many occasional ones, some with no recent order
        w = 0.0 if chance(0.22) else min(12.0, rng.paretovariate(1.25))
        if (c["first_name"], c["last_name"]) in forced:
            w = max(w, 1.5)
        cust_w.append(w)
    active = [p for p in products if p["status"] == "active"]
    orders, seen_customer = [], set()
    li_id, ful_id = 12100001, 88001
    for n, t in enumerate(times):
        cust = rng.choices(customers, cust_w)[0]
        december = t.month == 12 and t.day <= 22
        pw = []
        for p in active:
            w = PRODUCT_ORDER_WEIGHT.get(key_of[p["id"]], 1)
            if december and key_of[p["id"]] in GIFT_KEYS:
                w *= 2.5
            pw.append(w)
        n_items = rng.choices([1, 2, 3, 4], [45, 30, 15, 10])[0]
        items, used_v = [], set()
        while len(items) < n_items:
            p = rng.choices(active, pw)[0]
            v = rng.choice(p["variants"][:6] if len(p["variants"]) > 6 and chance(0.7)
                           else p["variants"])
            if v["id"] in used_v:
                continue
            used_v.add(v["id"])
            qty = rng.choices([1, 2, 3], [75, 20, 5])[0]
            if key_of[p["id"]] in {"GIFT", "BILA", "BOLL", "GRIN", "ABBO"}:
                qty = 1
            items.append({"id": li_id, "product_id": p["id"], "variant_id": v["id"],
                          "title": p["title"], "variant_title": v["title"], "sku": v["sku"],
                          "quantity": qty, "price": v["price"]})
            li_id += 1
        subtotal = sum(Decimal(i["price"]) * i["quantity"] for i in items)
        discount_codes = []
        first_order = cust["id"] not in seen_customer
        seen_customer.add(cust["id"])
        disc = Decimal("0")
        roll = rng.random()
        if first_order and roll < 0.3:
            disc = (subtotal * Decimal("0.10")).quantize(Decimal("0.01"), ROUND_HALF_UP)
            discount_codes.append({"code": "BENVENUTO10", "amount": money(disc),
                                   "type": "percentage"})
        elif dt.date(2025, 11, 28) <= t.date() <= dt.date(2025, 12, 1) and roll < 0.5:
            disc = (subtotal * Decimal("0.20")).quantize(Decimal("0.01"), ROUND_HALF_UP)
            discount_codes.append({"code": "BLACKBRACE20", "amount": money(disc),
                                   "type": "percentage"})
        elif december and roll < 0.18:
            disc = (subtotal * Decimal("0.15")).quantize(Decimal("0.01"), ROUND_HALF_UP)
            discount_codes.append({"code": "NATALE15", "amount": money(disc),
                                   "type": "percentage"})
        elif roll < 0.08 and subtotal >= 30:
            disc = Decimal("5.00")
            discount_codes.append({"code": "BRACE5", "amount": "5.00", "type": "fixed_amount"})
        net = subtotal - disc
        shipping = Decimal("0") if net >= 39 else Decimal("4.90")
        total = net + shipping
        landing = rng.choices(
            [None, "/", "product", "/collections/caffe-in-grani", "/pages/abbonamento"],
            [30, 28, 34, 6, 2])[0]
        if landing == "product":
            p0 = pkey[key_of[items[0]["product_id"]]]
            src = rng.choices(["instagram", "facebook", "newsletter", "google", "x", "bluesky",
                               "mastodon", None], [25, 12, 20, 12, 8, 6, 4, 13])[0]
            landing = f"/products/{p0['handle']}" + (f"?utm_source={src}" if src else "")
            if src == "newsletter":
                landing += "&utm_medium=email"
        street = pick(FOREIGN_STREETS.get(cust["country_code"], STREETS))
        addr = {"name": f"{cust['first_name']} {cust['last_name']}",
                "address1": f"{street} {rng.randint(1, 140)}" if cust["country_code"] not in
                ("GB", "IE") else f"{rng.randint(1, 140)} {street}",
                "city": cust["city"], "zip": cust["postcode"],
                "country_code": cust["country_code"]}
        if chance(0.06):  # a gift shipped to someone else
            g = pick(IT_F + IT_M)
            addr["name"] = f"{g} {pick(IT_SUR)}"
        orders.append({
            "id": 55001 + n, "number": 1001 + n, "name": f"#{1001 + n}",
            "customer_id": cust["id"], "email": cust["email"], "created_at": t,
            "updated_at": t, "financial_status": "paid", "fulfillment_status": None,
            "cancelled_at": None, "cancel_reason": None,
            "subtotal_price": money(subtotal), "total_discounts": money(disc),
            "shipping_price": money(shipping), "total_price": money(total), "currency": "EUR",
            "discount_codes": discount_codes, "landing_site": landing,
            "shipping_address": addr, "line_items": items, "fulfillments": []})

    # --- states: explicit pools for the interesting cases, probabilities for the rest ---------
    def age(o):
        return (REF - o["created_at"]).total_seconds() / 86400

    old = [o for o in orders if age(o) > 6.5]
    special = {}
    pools = [("late", [o for o in old if age(o) < 34], 17),
             ("partial", [o for o in old if 7 < age(o) < 60 and len(o["line_items"]) >= 2], 7),
             ("stuck", [o for o in old if 7 < age(o) < 30], 9),
             ("failure", [o for o in old if 7 < age(o) < 40], 4),
             ("cancelled", orders, 11), ("refunded", [o for o in old if age(o) > 12], 8),
             ("partially_refunded", [o for o in old if age(o) > 10], 10)]
    for state, pool, count in pools:
        cand = [o for o in pool if o["id"] not in special]
        for o in rng.sample(cand, count):
            special[o["id"]] = state
    for o in orders:
        a, t = age(o), o["created_at"]
        state = special.get(o["id"])
        if state is None:
            if a < 5.5:
                p_unf = 0.95 if a < 1 else 0.75 if a < 2 else 0.55 if a < 3.5 else 0.3
                state = "unfulfilled" if chance(p_unf) else "fulfilled"
            else:
                state = "fulfilled"
        o["_state"] = state
        if state == "cancelled":
            o["cancelled_at"] = min(REF, t + dt.timedelta(hours=rng.uniform(1, 40)))
            o["cancel_reason"] = rng.choices(["customer", "inventory", "declined", "other"],
                                             [5, 3, 2, 1])[0]
            o["financial_status"] = "pending" if o["cancel_reason"] == "declined" else "refunded"
            o["updated_at"] = o["cancelled_at"]
            continue
        if state in ("unfulfilled", "late"):
            if state == "unfulfilled" and a < 5 and chance(0.1):
                o["financial_status"] = "pending"  # bank transfer not arrived yet
            o["updated_at"] = min(REF, t + dt.timedelta(minutes=rng.randint(1, 30)))
            continue
        # shipped (fully or partly)
        foreign = o["shipping_address"]["country_code"] != "IT"
        company = "DHL" if foreign else rng.choices([c for c, _ in COURIERS_IT],
                                                     [w for _, w in COURIERS_IT])[0]
        if state == "stuck":
            fdate = t + dt.timedelta(hours=rng.uniform(10, 40))
        else:
            fdate = t + dt.timedelta(hours=rng.uniform(6, 60))
        fdate = min(fdate, REF - dt.timedelta(minutes=30))
        num, url = tracking(company)
        since = (REF - fdate).total_seconds() / 86400
        if state in ("stuck",):
            status = "in_transit"
        elif state == "failure":
            status = "failure"
        elif since < 1:
            status = rng.choices(["in_transit", None], [75, 25])[0]
        elif since < 3:
            status = rng.choices(["in_transit", "delivered", None], [55, 40, 5])[0]
        else:
            status = rng.choices(["delivered", None], [95, 5])[0]
        items = o["line_items"]
        shipped_ids = [i["id"] for i in items]
        if state == "partial":
            k = rng.randint(1, len(items) - 1)
            shipped_ids = [i["id"] for i in rng.sample(items, k)]
            shipped_ids.sort()
            o["fulfillment_status"] = "partial"
        else:
            o["fulfillment_status"] = "fulfilled"
        o["fulfillments"].append({"id": ful_id, "status": "success", "created_at": fdate,
                                  "tracking_company": company, "tracking_number": num,
                                  "tracking_url": url, "shipment_status": status,
                                  "line_item_ids": shipped_ids})
        ful_id += 1
        last = fdate
        if status == "delivered":
            last = min(REF, fdate + dt.timedelta(hours=rng.uniform(20, 70)))
        elif status in ("in_transit", "failure"):
            last = min(REF, fdate + dt.timedelta(hours=rng.uniform(3, 30)))
        if state in ("refunded", "partially_refunded"):
            o["financial_status"] = state
            last = min(REF, last + dt.timedelta(days=rng.uniform(1, 6)))
        o["updated_at"] = last
    return orders
