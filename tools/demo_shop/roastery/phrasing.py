"""How people name the products, and the text machinery that fills a post's template: slots,
order-number styles, agreement, typos, emojis and tags."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from .base import (
    EN_DAYS,
    EN_MONTHS,
    IT_DAYS,
    IT_MONTHS,
    MENTION,
    PKEY,
    REF,
    chance,
    date_en,
    date_it,
    eur_it,
    money,
    pick,
    rng,
)

# --- how people name the products -----------------------------------------------------------
# it: Italian with article; g: grammatical gender/number of the Italian forms (m, f, mp, fp);
# itb: Italian bare forms (default: the it forms without article); en: English noun phrases;
# ty: occasional typos; tn: tasting notes (it, en); how: the method it shines with.
ALIASES = {
    "VESU": dict(it=["la Miscela Vesuvio", "la miscela Vesuvio", "la Vesuvio", "la vesuvio",
                     "la miscela vesuvio"], g="f",
                 itb=["Miscela Vesuvio", "miscela vesuvio", "Vesuvio", "#miscelavesuvio"],
                 en=["the Vesuvio blend", "Miscela Vesuvio", "the Vesuvio", "vesuvio blend",
                     "the Vesuvius blend", "#miscelavesuvio"],
                 ty=["la Vesuvo", "la miscela Vesuvi", "the Vesuivo blend"],
                 tn=(["cioccolato fondente", "cacao amaro", "un finale speziato",
                      "una crema da bar"], ["dark chocolate", "bitter cocoa", "a spicy finish",
                                            "thick crema"]), how="moka"),
    "BACE": dict(it=["la Bar Centrale", "la miscela Bar Centrale", "la Miscela Bar Centrale",
                     "la bar centrale"], g="f",
                 itb=["Bar Centrale", "miscela bar centrale", "#barcentrale"],
                 en=["the Bar Centrale blend", "Bar Centrale", "the bar centrale",
                     "the Bar Centrale espresso blend"], ty=["la Bar Centarle"],
                 tn=(["nocciola tostata", "caramello", "una crema compatta"],
                     ["toasted hazelnut", "caramel", "a proper bar-style crema"]),
                 how="espresso"),
    "NOTT": dict(it=["il Decaffeinato Notte", "il decaffeinato Notte", "il Notte",
                     "il deca Notte", "il dek Notte"], g="m",
                 itb=["Decaffeinato Notte", "Notte", "decaffeinato notte",
                      "#decaffeinatonotte"],
                 en=["the Notte decaf", "Decaffeinato Notte", "the Notte", "their Notte decaf"],
                 ty=["il Decafeinato Notte", "the Note decaf"],
                 tn=(["biscotto", "cacao", "una dolcezza da biscotto"],
                     ["biscuit", "cocoa", "a cookie-like sweetness"]), how="espresso"),
    "CLAS": dict(it=["la Brace Classica", "la Classica", "la miscela Classica",
                     "la classica di Brace"], g="f", itb=["Brace Classica", "miscela classica"],
                 en=["the Classica blend", "Brace Classica", "the Classica"],
                 tn=(["cacao", "frutta secca", "una dolcezza morbida"],
                     ["cocoa", "nuts", "gentle sweetness"]), how="moka"),
    "AURO": dict(it=["la Miscela Aurora", "l'Aurora", "la aurora"], g="f",
                 itb=["Miscela Aurora", "Aurora", "#miscelaaurora"],
                 en=["the Aurora blend", "Miscela Aurora", "the Aurora"],
                 tn=(["agrumi", "miele", "arancia"], ["citrus", "honey", "orange"]),
                 how="filter"),
    "NONN": dict(it=["la Nonna Rosa", "la miscela Nonna Rosa", "la nonna rosa"], g="f",
                 itb=["Nonna Rosa", "miscela Nonna Rosa"],
                 en=["the Nonna Rosa blend", "Nonna Rosa"],
                 tn=(["cacao", "mandorla", "un corpo rotondo"], ["cocoa", "almond",
                                                                 "a round body"]),
                 how="moka"),
    "SCIR": dict(it=["la Scirocco", "la miscela Scirocco"], g="f",
                 itb=["Scirocco", "Miscela Scirocco"], en=["the Scirocco blend", "Scirocco"],
                 tn=(["liquirizia", "una crema persistente"], ["liquorice", "lasting crema"]),
                 how="espresso"),
    "GRCR": dict(it=["la Gran Crema", "la miscela Gran Crema"], g="f", itb=["Gran Crema"],
                 en=["the Gran Crema blend", "Gran Crema"],
                 tn=(["una crema altissima", "cioccolato"], ["tall crema", "chocolate"]),
                 how="espresso"),
    "ETYI": dict(it=["l'Etiopia Yirgacheffe", "lo Yirgacheffe", "l'Etiopia", "lo yirga",
                     "l'etiope"], g="m",
                 itb=["Yirgacheffe", "Etiopia Yirgacheffe", "yirga", "#yirgacheffe"],
                 en=["the Yirgacheffe", "the Ethiopia Yirgacheffe", "the Ethiopian",
                     "Yirgacheffe", "the yirga"],
                 ty=["lo Yirgachefe", "l'Etiopia Yrgacheffe", "the Yirgacheff",
                     "the Yrgacheffe"],
                 tn=(["gelsomino", "bergamotto", "scorza di limone", "tè nero"],
                     ["jasmine", "bergamot", "lemon zest", "black tea"]), how="filter"),
    "ETSI": dict(it=["l'Etiopia Sidamo", "il Sidamo", "il Sidamo natural"], g="m",
                 itb=["Sidamo", "Etiopia Sidamo"],
                 en=["the Sidamo", "the Sidamo natural", "Ethiopia Sidamo"],
                 tn=(["fragola", "mirtillo", "cioccolato al latte"],
                     ["strawberry", "blueberry", "milk chocolate"]), how="filter"),
    "BRCE": dict(it=["il Brasile Cerrado", "il Cerrado", "il brasile"], g="m",
                 itb=["Brasile Cerrado", "Cerrado"],
                 en=["the Brazil Cerrado", "the Cerrado", "Brasile Cerrado"],
                 tn=(["nocciola", "cacao", "un corpo pieno"], ["hazelnut", "cocoa",
                                                               "a big body"]),
                 how="espresso"),
    "COHU": dict(it=["il Colombia Huila", "l'Huila", "il colombia"], g="m",
                 itb=["Colombia Huila", "Huila"],
                 en=["the Colombia Huila", "the Huila", "the Colombian"],
                 tn=(["caramello", "mela rossa", "panela"], ["caramel", "red apple",
                                                            "brown sugar"]),
                 how="espresso"),
    "CODE": dict(it=["il Colombia decaffeinato", "il colombia deca",
                     "il decaffeinato Colombia"], g="m",
                 itb=["Colombia Decaffeinato", "Colombia deca"],
                 en=["the Colombia decaf", "the Colombian decaf"],
                 tn=(["cioccolato", "frutta secca"], ["chocolate", "nuts"]), how="espresso"),
    "GUAN": dict(it=["il Guatemala Antigua", "il Guatemala", "l'Antigua"], g="m",
                 itb=["Guatemala Antigua", "Guatemala"],
                 en=["the Guatemala Antigua", "the Guatemala", "the Antigua"],
                 ty=["il Guatamala", "the Guatamala"],
                 tn=(["cacao", "spezie dolci", "un finale affumicato"],
                     ["cocoa", "baking spice", "a smoky finish"]), how="moka"),
    "KEAA": dict(it=["il Kenya AA", "il Kenya", "il kenya aa", "il Kenia AA"], g="m",
                 itb=["Kenya AA", "Kenya", "#kenyaAA"],
                 en=["the Kenya AA", "Kenya AA", "the Kenya", "the kenya aa"],
                 ty=["il Kenya AAA", "the Kenia AA"],
                 tn=(["ribes nero", "pompelmo rosa", "un'acidità succosa"],
                     ["blackcurrant", "pink grapefruit", "juicy acidity"]), how="filter"),
    "SUMA": dict(it=["il Sumatra Mandheling", "il Sumatra", "il Mandheling"], g="m",
                 itb=["Sumatra Mandheling", "Sumatra", "Mandheling"],
                 en=["the Sumatra Mandheling", "the Sumatra", "the Mandheling"],
                 ty=["il Sumatra Mandeling", "the Sumatra Mandeling"],
                 tn=(["note di terra", "tabacco dolce", "cioccolato fondente"],
                     ["earthy notes", "sweet tobacco", "dark chocolate"]), how="espresso"),
    "CRTA": dict(it=["il Costa Rica Tarrazú", "il Costa Rica", "il Tarrazu"], g="m",
                 itb=["Costa Rica Tarrazú", "Tarrazú"],
                 en=["the Costa Rica Tarrazú", "the Costa Rica", "the Tarrazu"],
                 tn=(["miele", "albicocca", "mandorla"], ["honey", "apricot", "almond"]),
                 how="filter"),
    "INMM": dict(it=["il Monsooned Malabar", "il Malabar", "l'India Malabar"], g="m",
                 itb=["Monsooned Malabar", "Malabar"],
                 en=["the Monsooned Malabar", "the Malabar"],
                 tn=(["cereali", "spezie"], ["cereal", "spice"]), how="espresso"),
    "HOMA": dict(it=["l'Honduras biologico", "il Marcala", "l'Honduras"], g="m",
                 itb=["Honduras Marcala", "Marcala"],
                 en=["the Honduras Marcala", "the organic Honduras"],
                 tn=(["pesca", "cioccolato al latte"], ["peach", "milk chocolate"]),
                 how="moka"),
    "PECA": dict(it=["il Perù biologico", "il Cajamarca", "il Perù"], g="m",
                 itb=["Perù Cajamarca", "Cajamarca"],
                 en=["the Peru Cajamarca", "the organic Peru"],
                 tn=(["nocciola", "zucchero di canna"], ["hazelnut", "brown sugar"]),
                 how="filter"),
    "NIJI": dict(it=["il Nicaragua", "il Jinotega"], g="m", itb=["Nicaragua Jinotega"],
                 en=["the Nicaragua Jinotega", "the Nicaragua"],
                 tn=(["arancia candita", "cacao"], ["candied orange", "cocoa"]),
                 how="espresso"),
    "MXCH": dict(it=["il Messico Chiapas", "il Chiapas"], g="m", itb=["Messico Chiapas"],
                 en=["the Mexico Chiapas", "the Chiapas"],
                 tn=(["cioccolato", "noce pecan"], ["chocolate", "pecan"]), how="moka"),
    "PAGE": dict(it=["il Panama Geisha", "il Geisha", "il geisha di Panama"], g="m",
                 itb=["Panama Geisha", "Geisha"],
                 en=["the Panama Geisha", "the Geisha", "Panama Geisha"],
                 tn=(["bergamotto", "pesca bianca", "fiori d'arancio"],
                     ["bergamot", "white peach", "orange blossom"]), how="filter"),
    "MOTR": dict(it=["il macinato Moka Tradizione", "la lattina Moka Tradizione"], g="m",
                 itb=["Moka Tradizione"], en=["the Moka Tradizione tin",
                                              "the pre-ground moka tin"],
                 tn=(["cacao", "pane tostato"], ["cocoa", "toast"]), how="moka"),
    "MAES": dict(it=["il macinato Espresso Casa"], g="m", itb=["Espresso Casa"],
                 en=["the Espresso Casa ground coffee"],
                 tn=(["nocciola"], ["hazelnut"]), how="espresso"),
    "CNVE": dict(it=["le capsule Vesuvio", "le capsule compatibili Nespresso Vesuvio",
                     "le capsule vesuvio"], g="fp", itb=["capsule Vesuvio"],
                 en=["the Vesuvio capsules", "the Nespresso-compatible Vesuvio pods",
                     "the Vesuvio pods"]),
    "CNBC": dict(it=["le capsule Bar Centrale", "le capsule bar centrale"], g="fp",
                 en=["the Bar Centrale capsules", "the Bar Centrale pods"]),
    "CNNO": dict(it=["le capsule del Notte", "le capsule Decaffeinato Notte"], g="fp",
                 en=["the Notte decaf capsules", "the decaf Notte pods"]),
    "CAMM": dict(it=["le capsule A Modo Mio", "le capsule Vesuvio per A Modo Mio"], g="fp",
                 en=["the A Modo Mio capsules", "the Vesuvio A Modo Mio pods"]),
    "CDGC": dict(it=["le capsule Dolce Gusto", "le capsule Cremoso"], g="fp",
                 en=["the Dolce Gusto pods", "the Cremoso capsules"]),
    "CESE": dict(it=["le cialde ESE", "le cialde Bar Centrale"], g="fp",
                 en=["the ESE pods", "the Bar Centrale ESE pods"]),
    "MOKA": dict(it=["la moka Brace", "la Moka Brace Classica", "la moka di Brace",
                     "la moka ottagonale di Brace"], g="f",
                 itb=["Moka Brace Classica", "moka Brace"],
                 en=["the Brace moka pot", "the Moka Brace Classica", "their moka pot"]),
    "MOIN": dict(it=["la moka a induzione", "la moka inox", "la Moka Induzione"], g="f",
                 itb=["Moka Induzione Inox", "moka induzione"],
                 en=["the induction moka pot", "the stainless steel moka pot"]),
    "GRIN": dict(it=["il macinino manuale", "il macinacaffè MN-1", "l'MN-1",
                     "il macinino MN-1"], g="m", itb=["MN-1", "macinino manuale"],
                 en=["the hand grinder", "the MN-1 grinder", "the MN-1"]),
    "DRIP": dict(it=["il dripper in ceramica", "il dripper", "il dripper 02"], g="m",
                 en=["the ceramic dripper", "the 02 dripper", "the pour-over cone"]),
    "LATT": dict(it=["la lattiera", "la lattiera in acciaio"], g="f",
                 en=["the milk jug", "the milk pitcher"]),
    "TAZZ": dict(it=["le tazzine Brace", "le tazzine col logo Brace"], g="fp",
                 en=["the Brace espresso cups", "the espresso cups"]),
    "CAPP": dict(it=["la tazza da cappuccino", "la tazza in gres"], g="f",
                 en=["the stoneware cappuccino cup"]),
    "BARA": dict(it=["il barattolo sottovuoto"], g="m", en=["the vacuum canister"]),
    "BILA": dict(it=["la bilancia con timer", "la bilancia"], g="f",
                 en=["the coffee scale"]),
    "COFD": dict(it=["il cofanetto degustazione", "il cofanetto dei monorigini",
                     "il box degustazione"], g="m",
                 en=["the tasting box", "the single origin gift box", "the tasting set"]),
    "COFM": dict(it=["il cofanetto moka", "il cofanetto Moka & Miscela"], g="m",
                 en=["the moka gift set", "the Moka & Miscela box"]),
    "GIFT": dict(it=["la carta regalo", "la gift card"], g="f",
                 en=["a gift card", "the gift card"]),
    "ABBO": dict(it=["l'abbonamento", "l'abbonamento mensile", "l'abbonamento Brace"], g="m",
                 itb=["abbonamento"], en=["the subscription", "their coffee subscription",
                                          "the monthly subscription"]),
}
COFFEES = ["VESU", "BACE", "NOTT", "CLAS", "AURO", "NONN", "SCIR", "GRCR", "ETYI", "ETSI",
           "BRCE", "COHU", "CODE", "GUAN", "KEAA", "SUMA", "CRTA", "INMM", "HOMA", "PECA",
           "NIJI", "MXCH", "PAGE"]
POPULAR = ["VESU"] * 6 + ["BACE"] * 4 + ["NOTT"] * 3 + ["KEAA"] * 4 + ["ETYI"] * 4 + \
    ["CLAS", "NONN", "AURO", "SCIR", "GRCR", "ETSI", "BRCE", "COHU", "CODE", "GUAN", "SUMA",
     "CRTA", "INMM", "HOMA", "PECA", "MXCH", "PAGE"]
DECAF = ["NOTT", "CODE"]
CAPSULES = ["CNVE", "CNBC", "CNNO", "CAMM", "CDGC", "CESE"]
GEAR = ["MOKA", "MOIN", "GRIN", "DRIP", "LATT", "TAZZ", "CAPP", "BARA", "BILA"]
GIFTS = ["COFD", "COFM", "GIFT"]
ARTICLES = re.compile(r"^(il |lo |la |le |i |gli |l')", re.I)

METHOD = {
    "it": {"filter": ["al V60", "nel dripper", "in Chemex", "a filtro", "in french press",
                      "con l'AeroPress"],
           "moka": ["in moka", "nella moka", "con la moka da 3", "nella moka della nonna"],
           "espresso": ["in espresso", "con la macchina espresso", "con la mia leva",
                        "col portafiltro"]},
    "en": {"filter": ["on the V60", "as pour over", "in the Chemex", "in my AeroPress",
                      "in a french press"],
           "moka": ["in the moka pot", "on the stovetop", "in my bialetti-style pot"],
           "espresso": ["as espresso", "on my espresso machine", "through my lever machine",
                        "as a flat white"]},
}
GRIND_IT = {"Grani": ("in grani", "il caffè in grani"),
            "Moka": ("macinato moka", "il macinato per moka"),
            "Espresso": ("macinato espresso", "il macinato espresso"),
            "Filtro": ("macinato filtro", "il macinato per filtro")}
GRIND_EN = {"Grani": ("whole bean", "whole beans"), "Moka": ("moka grind", "moka grind"),
            "Espresso": ("espresso grind", "espresso grind"),
            "Filtro": ("filter grind", "filter grind")}
HUBS = ["Bologna", "Piacenza", "Castel San Giovanni", "Verona", "Nola", "Fiumicino",
        "Bergamo", "Sesto Fiorentino", "Pomezia"]
BRAND_PLAIN = ["Brace", "Torrefazione Brace", "Brace caffè", "bracecaffe", "Brace"]


# --- text machinery ---------------------------------------------------------------------------

AGREE = {"m": ("o", "è", ""), "f": ("a", "è", ""), "mp": ("i", "sono", "no"),
         "fp": ("e", "sono", "no")}
ORD_STYLES = {"it": ["ordine #{n}", "ordine {n}", "ordine n. {n}", "ordine n°{n}",
                     "ordine nr. {n}", "ordine numero {n}", "ordine #{n}", "ordine n. {n}"],
              "en": ["order #{n}", "order no. {n}", "order {n}", "order number {n}",
                     "order #{n}", "order nr {n}"]}
NUM_STYLES = {"it": ["#{n}", "n°{n}", "n. {n}", "#{n}", "ordine {n}"],
              "en": ["#{n}", "#{n}", "no. {n}", "order #{n}"]}
SLOTS = {
    "place_na": ["Posillipo", "Pozzuoli", "Castellammare", "via Caracciolo", "Sorrento",
                 "Procida"],
    "place_ct": ["Catania", "Acireale", "Taormina", "Zafferana", "Giarre"],
    "place_sea": ["Cesenatico", "Gallipoli", "Trapani", "Sperlonga", "Chioggia", "Cefalù"],
    "team": ["Napoli", "Inter", "Milan", "Juve", "Roma", "Lazio", "Atalanta", "Fiorentina",
             "Bologna", "Torino", "Genoa", "Cagliari"],
    "town": ["Cantù", "Sassuolo", "Bra", "Fossano", "Lugo", "Nardò", "Feltre", "Alghero"],
    "place_north": ["dal Trentino", "dal Cadore", "dal Friuli", "dall'Alto Adige",
                    "dalla Valle d'Aosta"],
    "place_uk": ["Northumberland", "the Highlands", "Norfolk", "Orkney"],
    "city": ["Milano", "Roma", "Napoli", "Torino", "Bologna", "Firenze", "Genova", "Bari",
             "Palermo", "Verona", "Padova", "Lecce", "Cagliari", "Trieste", "Perugia"],
    "city_en": ["Berlin", "Munich", "London", "Dublin", "Paris", "Lyon", "Vienna", "Milan",
                "Rome", "Turin", "Amsterdam", "Brussels"],
    "island": ["Cagliari", "Olbia", "Sassari", "Nuoro", "Oristano", "Alghero"],
    "sicily": ["Palermo", "Catania", "Messina", "Siracusa", "Trapani"],
    "occasion": ["sabato", "un regalo", "Capodanno", "l'Epifania", "il compleanno di mia madre",
                 "la cena di domenica"],
}


class Ctx:
    """What one post's text needs: language, network, who writes and the facts it cites."""

    def __init__(self, lang, net, gender, mention, **vals):
        self.lang, self.net, self.g, self.mention = lang, net, gender, mention
        self.mention_done = False
        self.vals = vals
        self.cache = {}
        self.products = []

    def use(self, key):
        pid = PKEY[key]["id"]
        if pid not in self.products:
            self.products.append(pid)

    def alias(self, key, bare=False):
        a = ALIASES[key]
        self.use(key)
        if self.lang == "it":
            forms = (a.get("itb") or [ARTICLES.sub("", f) for f in a["it"]]) if bare else a["it"]
            typos = [t for t in a.get("ty", []) if not t.startswith("the ")]
            if bare:
                typos = [ARTICLES.sub("", t) for t in typos]
        else:
            forms = a["en"]
            typos = [t for t in a.get("ty", []) if t.startswith("the ")]
            if bare:
                forms = [re.sub(r"^(the|their|a) ", "", f) for f in forms]
                typos = [t[4:] for t in typos]
        if typos and chance(0.07):
            return pick(typos)
        return pick(forms)

    def resolve(self, k):
        if k in self.cache:
            return self.cache[k]
        v = self.vals
        lang = self.lang
        if k in ("P", "Pb", "P2", "P2b"):
            key = v["P2"] if k.startswith("P2") else v["P"]
            out = self.alias(key, bare=k.endswith("b"))
        elif k in ("Pa", "Pe", "Pn", "Pi", "Pc", "Pis", "Phas"):
            g = ALIASES[v["P"]].get("g", "m")
            plural = g in ("mp", "fp")
            out = {"Pa": AGREE[g][0], "Pe": AGREE[g][1], "Pn": AGREE[g][2],
                   "Pi": "i" if plural else "e", "Pc": "ci sono" if plural else "c'è",
                   "Pis": "are" if plural else "is", "Phas": "have" if plural else "has"}[k]
        elif k == "o":
            out = "a" if self.g == "f" else "o"
        elif k in ("ORD", "NUM"):
            styles = ORD_STYLES if k == "ORD" else NUM_STYLES
            out = pick(styles[lang]).format(n=v["order"]["number"])
        elif k == "d":
            out = str(v["d"])
        elif k == "date":
            t = v["order"]["created_at"]
            out = date_it(t) if lang == "it" else date_en(t)
        elif k in ("il_date", "del_date", "il_fdate"):
            t = v["order"]["fulfillments"][0]["created_at"] if k == "il_fdate" else \
                v["order"]["created_at"]
            art = ("l'" if k != "del_date" else "dell'") if t.day in (8, 11) else \
                ("il " if k != "del_date" else "del ")
            out = art + date_it(t)
        elif k == "fdate":
            t = v["order"]["fulfillments"][0]["created_at"]
            out = date_it(t) if lang == "it" else date_en(t)
        elif k == "weekday":
            t = v["order"]["fulfillments"][0]["created_at"]
            out = (IT_DAYS if lang == "it" else EN_DAYS)[t.weekday()]
        elif k == "courier":
            out = v["order"]["fulfillments"][0]["tracking_company"]
            if out == "Poste Italiane" and chance(0.4):
                out = "Poste"
        elif k == "total":
            tot = Decimal(v["order"]["total_price"])
            out = eur_it(tot) if lang == "it" else money(tot)
        elif k == "dd":
            days = v["d"]
            if lang == "it":
                out = {0: "stamattina", 1: "ieri", 2: "l'altro ieri"}.get(days, f"{days} giorni fa")
            else:
                out = {0: "this morning", 1: "yesterday", 2: "two days ago"}.get(
                    days, f"{days} days ago")
        elif k in ("taste", "taste1"):
            notes = ALIASES[v["P"]]["tn"][0 if lang == "it" else 1]
            if k == "taste1" or len(notes) < 2:
                out = pick(notes)
            else:
                a, b = rng.sample(notes, 2)
                out = f"{a} e {b}" if lang == "it" else f"{a} and {b}"
        elif k == "method":
            how = ALIASES[v["P"]].get("how", "espresso")
            if chance(0.2):
                how = pick(["filter", "moka", "espresso"])
            out = pick(METHOD[lang][how])
        elif k in ("wanted", "got"):
            table = GRIND_IT if lang == "it" else GRIND_EN
            out = table[v[k]][0 if k == "wanted" else 1]
        elif k == "brand":
            if self.mention and not self.mention_done and chance(0.6):
                self.mention_done = True
                out = MENTION[self.net]
            else:
                out = pick(BRAND_PLAIN)
        elif k == "hub":
            out = pick(HUBS)
        elif k == "months":
            out = pick(["due mesi", "quasi tre mesi", "due mesi abbondanti"] if lang == "it"
                       else ["two months", "almost three months", "over two months"])
        elif k == "month_old":
            t = v.get("t", REF) - dt.timedelta(days=rng.randint(60, 85))
            out = IT_MONTHS[t.month - 1] if lang == "it" else \
                ["January", "February", "March", "April", "May", "June", "July", "August",
                 "September", "October", "November", "December"][t.month - 1]
        elif k == "month":
            t = v["order"]["created_at"]
            out = IT_MONTHS[t.month - 1] if lang == "it" else EN_MONTHS[t.month - 1]
        elif k == "price":
            out = eur_it(Decimal(PKEY[v["P"]]["variants"][0]["price"])) if lang == "it" else \
                PKEY[v["P"]]["variants"][0]["price"]
        elif k in ("team1", "team2"):
            a, b = rng.sample(SLOTS["team"], 2)
            self.cache["team1"], self.cache["team2"] = a, b
            return a if k == "team1" else b
        elif k in SLOTS:
            out = pick(SLOTS[k])
        else:
            raise KeyError(k)
        self.cache[k] = out
        return out

    def fill(self, template):
        return re.sub(r"\{(\w+)\}", lambda m: self.resolve(m.group(1)), template)


def has_order_slot(t):
    return "{ORD}" in t or "{NUM}" in t


def join_parts(parts):
    out = parts[0]
    for p in parts[1:]:
        if re.search(r"(\bma|\bbut)$", out):
            p = p[0].lower() + p[1:] if not p.startswith(("Brace", "Kenya", "I ")) else p
        elif out[-1].isalnum() or out[-1] in ")\"'":
            sep = rng.choices([".", "!", "...", " -", ","], [70, 8, 8, 6, 8])[0]
            out += sep
            if sep in (" -", ",") and p[:1].isupper() and not p.startswith(("Brace", "I ")):
                p = p[0].lower() + p[1:]
        out += " " + p
    return out


def capitalise(text):
    chars = list(text)
    start = True
    for i, c in enumerate(chars):
        if start:
            if c.isalpha():
                chars[i] = c.upper()
                start = False
            elif c.isdigit() or c in "@#":
                start = False
        elif c in ".!?" and (i + 1 == len(chars) or chars[i + 1] in " \n") or c == "\n":
            start = True
    return "".join(chars)


ACCENT_TYPOS = [("perché", "perche"), ("è ", "e "), ("già", "gia"), ("più", "piu"),
                ("così", "cosi"), ("caffè", "caffe"), ("può", "puo")]


def typo(text):
    if chance(0.5):
        for a, b in rng.sample(ACCENT_TYPOS, len(ACCENT_TYPOS)):
            if a in text:
                return text.replace(a, b, 1)
    words = [m for m in re.finditer(r"(?<![@#\w])[a-zà-ù]{6,}", text)]
    if not words:
        return text
    m = pick(words)
    w = m.group(0)
    i = rng.randint(1, len(w) - 3)
    w2 = w[:i] + w[i + 1] + w[i] + w[i + 2:]
    return text[:m.start()] + w2 + text[m.end():]


def finish(ctx, text, emojis=(), p_emoji=0.25, tags=(), p_tag=0.1):
    casual = chance(0.22)
    if not casual:
        text = capitalise(text)
    if ctx.mention and not ctx.mention_done:
        ctx.mention_done = True
        m = MENTION[ctx.net]
        if chance(0.55):
            if chance(0.5) and text[1:2].islower():
                text = text[0].lower() + text[1:]
            text = f"{m} {text}"
        else:
            if text[-1].isalnum():
                text += pick([".", "", ""])
            text += pick([" ", " cc ", " - ", " "]) + m
    if emojis and chance(p_emoji):
        e = pick(emojis)
        text += " " + (e * rng.choice([1, 1, 1, 2, 3]) if len(e) == 1 else e)
    if tags and chance(p_tag if ctx.net != "mastodon" else p_tag * 2.5):
        text += " " + " ".join(rng.sample(tags, rng.choice([1, 1, 2])))
    if chance(0.05):
        text = typo(text)
    text = re.sub(r" {2,}", " ", text).strip()
    text = text.replace(" .", ".").replace(" ,", ",").replace(",.", ".").replace("?.", "?")
    text = text.replace("!.", "!").replace(":.", ":")
    return text


def compose(ctx, pool, core_filter=None, p_open=0.35, p_detail=0.35, p_close=0.45,
            emojis=(), p_emoji=0.25, tags=(), p_tag=0.1):
    lang = ctx.lang
    cores = pool["core"][lang]
    if core_filter is not None:
        cores = [c for c in cores if core_filter(c)]
    parts = []
    if pool.get("open") and chance(p_open):
        parts.append(ctx.fill(pick(pool["open"][lang])))
    parts.append(ctx.fill(pick(cores)))
    details = list(pool.get("detail", {}).get(lang, []))
    if details and chance(p_detail):
        first = pick(details)
        parts.append(ctx.fill(first))
        if ctx.net == "mastodon" and chance(0.45) and len(details) > 1:
            parts.append(ctx.fill(pick([d for d in details if d != first])))
    if pool.get("close") and chance(p_close):
        parts.append(ctx.fill(pick(pool["close"][lang])))
    return finish(ctx, join_parts(parts), emojis, p_emoji, tags, p_tag)
