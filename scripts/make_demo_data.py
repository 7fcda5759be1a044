#!/usr/bin/env python3
"""Generate the data files of Arrosto's embedded demo shop, "Torrefazione Brace".

Torrefazione Brace is a fictional Italian coffee roastery (domain ``brace-caffe.example``,
currency EUR, time zone Europe/Rome, selling in Italian and English). This script writes into
``plugin/arrosto/demo/data/``:

* ``shop.json``         the shop: name, domain, currency, brand terms, social handles and the
                        ``reference_time`` every other timestamp is relative to;
* ``products.json``     ~50 products: single origins and house blends (variants by weight and
                        grind), capsules and pods, equipment, gift boxes, a subscription;
* ``customers.json``    ~320 customers, mostly Italian, ~20% English/German/French, some with a
                        social handle on the record, a few look-alike names;
* ``orders.json``       500 orders over the 90 days before ``reference_time`` (paid, pending,
                        refunded, cancelled, shipped, late, stuck in transit...);
* ``posts.jsonl``       ~300 social posts (X, Bluesky, Mastodon) in Arrosto's generic JSONL
                        archive import format: complaints, questions, praise, purchase intent
                        and off-topic noise with decoy words;
* ``posts_truth.json``  the ground truth for each post (intent, customer, order number,
                        products), for tests and for measuring the classifier.

Everything is synthetic. The script uses the standard library only and a single
``random.Random(20261123)``, so running it again produces byte-identical files. All timestamps
are absolute UTC ISO-8601 strings at or before ``reference_time`` (2026-01-01T12:00:00+00:00);
the app shifts them when it loads the demo so that ``reference_time`` becomes "now".

Usage::

    python scripts/make_demo_data.py            # writes plugin/arrosto/demo/data/
    python scripts/make_demo_data.py --out DIR  # writes somewhere else
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

SEED = 20261123
UTC = dt.UTC
REF = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "plugin" / "arrosto" / "demo" / "data"

rng = random.Random(SEED)

SHOP = {
    "name": "Torrefazione Brace",
    "domain": "brace-caffe.example",
    "currency": "EUR",
    "timezone": "Europe/Rome",
    "language": "it",
    "languages": ["it", "en"],
    "brand_terms": ["Brace", "Torrefazione Brace", "bracecaffe", "Brace Caffè", "brace-caffe",
                    "brace-caffe.example"],
    "handles": {"x": "bracecaffe", "bluesky": "bracecaffe.bsky.social",
                "mastodon": "bracecaffe@mastodon.social"},
    # the shop's own accounts: posts with an in_reply_to not in posts.jsonl answer the shop
    "account_ids": {"x": "1331975204817162240", "bluesky": "did:plc:q4brz7kc2xwmcaffe5ovj3ld",
                    "mastodon": "109312874500361224"},
    "reference_time": "2026-01-01T12:00:00+00:00",
}
MENTION = {"x": "@bracecaffe", "bluesky": "@bracecaffe.bsky.social",
           "mastodon": "@bracecaffe@mastodon.social"}
LIMIT = {"x": 280, "bluesky": 300, "mastodon": 500}


# --- small helpers ------------------------------------------------------------------------------

def iso(t: dt.datetime) -> str:
    return t.astimezone(UTC).replace(microsecond=0).isoformat()


def money(d: Decimal) -> str:
    return str(d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def eur_it(d: Decimal) -> str:
    return money(d).replace(".", ",")


def p90(x: float) -> Decimal:
    """A shop price ending in .90 near x."""
    return Decimal(max(1, round(x))) - Decimal("0.10")


def fold(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


def slug(s: str) -> str:
    s = fold(s).lower().replace("&", " e ").replace("'", "")
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-")


def ascii_name(s: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(s).lower())


def between(a: dt.datetime, b: dt.datetime) -> dt.datetime:
    """A random moment in [a, b], preferring Italian waking hours (06-22 UTC)."""
    if b <= a:
        return a
    best = None
    for _ in range(12):
        t = a + dt.timedelta(seconds=rng.randint(0, int((b - a).total_seconds())))
        best = t
        if 6 <= t.hour <= 22:
            break
    return best


def pick(seq):
    return rng.choice(seq)


def chance(p: float) -> bool:
    return rng.random() < p


IT_MONTHS = ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
             "settembre", "ottobre", "novembre", "dicembre"]
EN_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
IT_DAYS = ["lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"]
EN_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def date_it(t: dt.datetime) -> str:
    return f"{t.day} {IT_MONTHS[t.month - 1]}"


def date_en(t: dt.datetime) -> str:
    suffix = "th" if 10 <= t.day <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(t.day % 10, "th")
    return pick([f"{EN_MONTHS[t.month - 1]} {t.day}", f"{t.day} {EN_MONTHS[t.month - 1]}",
                 f"the {t.day}{suffix}"])


# --- products -----------------------------------------------------------------------------------
# (key, title, type, vendor, tags, status, variants, description)
# variants: ("so", price_250) single origin 250 g / 1 kg x 4 grinds; ("blend", price_250)
# 250 g / 500 g / 1 kg x 3 grinds; or a list of (title, price) pairs.
BRACE = "Torrefazione Brace"
SO = ["monorigine", "caffè in grani"]
PRODUCT_TABLE = [
    ("ETYI", "Etiopia Yirgacheffe", "Caffè in grani", BRACE,
     SO + ["filtro", "africa", "lavato", "tostatura chiara"], "active", ("so", 12.9),
     "Lavato etiope dalla zona di Gedeo, con note di gelsomino, bergamotto e scorza di limone. "
     "Tostatura chiara, pensata per i metodi a filtro. Consiglio: 15 g macinati medio-fini per "
     "250 ml d'acqua a 93 °C, per un'estrazione totale di circa 3 minuti."),
    ("ETSI", "Etiopia Sidamo Natural", "Caffè in grani", BRACE,
     SO + ["filtro", "moka", "africa", "naturale"], "active", ("so", 12.4),
     "Processo naturale, con note di fragola matura, mirtillo e cioccolato al latte. Ottimo anche "
     "in moka: riempi il filtro senza pressare e tieni la fiamma bassa, così la frutta resta "
     "pulita e non diventa amara."),
    ("BRCE", "Brasile Cerrado", "Caffè in grani", BRACE,
     SO + ["espresso", "moka", "america latina", "tostatura media"], "active", ("so", 9.9),
     "Corpo pieno, acidità bassa e note di nocciola tostata e cacao: la base ideale per un "
     "espresso rotondo. Conserva i grani nel sacchetto con valvola ben richiuso, al buio e fuori "
     "dal frigorifero, e consumali entro un mese dall'apertura."),
    ("COHU", "Colombia Huila", "Caffè in grani", BRACE,
     SO + ["espresso", "filtro", "america latina", "lavato"], "active", ("so", 11.4),
     "Dalla regione di Huila, coltivato tra 1.600 e 1.900 metri: caramello, mela rossa e una "
     "dolcezza che ricorda la panela. Versatile: in espresso parti da 18 g di caffè per 36 g in "
     "tazza in circa 28 secondi."),
    ("CODE", "Colombia Decaffeinato", "Caffè in grani", BRACE,
     SO + ["decaffeinato", "espresso", "moka", "america latina"], "active", ("so", 11.9),
     "Decaffeinato con processo naturale alla canna da zucchero, che preserva dolcezza e note di "
     "cioccolato e frutta secca; caffeina residua sotto lo 0,1%. Per l'espresso macina un filo "
     "più fine del solito: il decaffeinato tende a scorrere più veloce."),
    ("GUAN", "Guatemala Antigua", "Caffè in grani", BRACE,
     SO + ["moka", "espresso", "america latina", "tostatura media"], "active", ("so", 11.9),
     "Coltivato all'ombra dei vulcani di Antigua, ha note di cacao, spezie dolci e un finale "
     "leggermente affumicato. Eccellente in moka: versa nella caldaia acqua già calda, così il "
     "caffè non si cuoce sul fuoco."),
    ("KEAA", "Kenya AA", "Caffè in grani", BRACE,
     SO + ["filtro", "africa", "lavato", "tostatura chiara"], "active", ("so", 14.4),
     "Grado AA dalla contea di Nyeri: ribes nero, pompelmo rosa e un'acidità succosa e brillante. "
     "Dà il meglio nel dripper: macinatura media, 16 g per 260 ml d'acqua a 94 °C e un tempo "
     "totale intorno ai 3 minuti."),
    ("SUMA", "Sumatra Mandheling", "Caffè in grani", BRACE,
     SO + ["espresso", "asia", "tostatura scura"], "active", ("so", 12.9),
     "Lavorato con il metodo tradizionale giling basah: terroso e speziato, con note di "
     "cioccolato fondente e tabacco dolce. Perfetto per chi ama l'espresso corposo; tieni i grani "
     "in un barattolo ermetico e macina solo al momento."),
    ("CRTA", "Costa Rica Tarrazú", "Caffè in grani", BRACE,
     SO + ["filtro", "espresso", "america latina", "honey"], "active", ("so", 13.4),
     "Honey process dalla valle di Tarrazú, con note di miele, albicocca e mandorla. Equilibrato "
     "con ogni metodo; in french press usa 60 g per litro e lascia in infusione 4 minuti prima "
     "di premere."),
    ("INMM", "India Monsooned Malabar", "Caffè in grani", BRACE,
     SO + ["espresso", "asia", "tostatura media"], "active", ("so", 10.9),
     "I chicchi restano per settimane esposti ai venti umidi del monsone: ne nasce un caffè a "
     "bassissima acidità, con note di cereali e spezie. Ideale per l'espresso con latte; una "
     "volta aperto, consumalo entro tre settimane."),
    ("HOMA", "Honduras Marcala Biologico", "Caffè in grani", BRACE,
     SO + ["biologico", "moka", "espresso", "america latina"], "active", ("so", 11.9),
     "Biologico certificato, dalla denominazione d'origine Marcala, con note di cioccolato al "
     "latte, pesca e mandorla tostata. Per la moka scegli la macinatura Moka e non riempire la "
     "caldaia oltre la valvola."),
    ("PECA", "Perù Cajamarca Biologico", "Caffè in grani", BRACE,
     SO + ["biologico", "filtro", "america latina"], "active", ("so", 11.4),
     "Da piccoli produttori riuniti in cooperativa a Cajamarca, biologico certificato. Dolce e "
     "morbido, con note di nocciola e zucchero di canna. A filtro funziona bene con un rapporto "
     "1:16 e acqua a 92 °C."),
    ("NIJI", "Nicaragua Jinotega", "Caffè in grani", BRACE,
     SO + ["espresso", "america latina", "lavato"], "active", ("so", 11.9),
     "Dalle montagne di Jinotega, con note di cacao, arancia candita e un corpo vellutato. "
     "Ottimo in espresso: lascia riposare i grani 7-10 giorni dalla data di tostatura prima di "
     "usarli."),
    ("MXCH", "Messico Chiapas Biologico", "Caffè in grani", BRACE,
     SO + ["biologico", "moka", "america latina"], "active", ("so", 10.9),
     "Biologico dal Chiapas, delicato e rotondo, con note di cioccolato e noce pecan. Un caffè "
     "da tutti i giorni che perdona qualche errore, ma in moka non pressare mai la polvere nel "
     "filtro."),
    ("BUKA", "Burundi Kayanza", "Caffè in grani", BRACE,
     SO + ["filtro", "africa", "lavato", "in arrivo"], "draft", ("so", 13.9),
     "Lotto lavato dalla stazione di Kayanza, con note di ribes rosso, tè nero e zucchero di "
     "canna. In arrivo a primavera, solo per metodi a filtro: consigliamo Chemex o dripper "
     "conico con acqua a 93 °C."),
    ("RWHU", "Ruanda Huye (raccolto 2024)", "Caffè in grani", BRACE,
     SO + ["filtro", "africa", "esaurito"], "archived", ("so", 12.9),
     "Raccolto 2024, esaurito. Lavato dal distretto di Huye, con note di arancia rossa e "
     "caramello. Conservato in un barattolo sottovuoto restava vivace anche a cinque settimane "
     "dalla tostatura."),
    ("PAGE", "Panama Geisha Boquete", "Caffè in grani", BRACE,
     SO + ["filtro", "america latina", "edizione limitata", "tostatura chiara"], "active",
     [("100 g / Grani", 24.9), ("100 g / Filtro", 24.9)],
     "Microlotto di varietà Geisha da Boquete, tostato in piccolissime quantità: bergamotto, "
     "pesca bianca e fiori d'arancio. Da preparare solo a filtro: 12 g per 200 ml a 94 °C, con "
     "un'acqua oligominerale che non copra le note floreali."),
    ("VESU", "Miscela Vesuvio", "Caffè in grani", BRACE,
     ["miscela", "espresso", "moka", "robusta", "tostatura scura", "caffè in grani"], "active",
     ("blend", 8.9),
     "La nostra miscela più intensa: 70% arabica brasiliana e indiana, 30% robusta lavata. Crema "
     "densa color nocciola, note di cioccolato fondente e spezie. In moka scegli la macinatura "
     "Moka, riempi il filtro a cupola senza pressare e togli la moka dal fuoco appena inizia a "
     "gorgogliare."),
    ("BACE", "Miscela Bar Centrale", "Caffè in grani", BRACE,
     ["miscela", "espresso", "robusta", "tostatura media", "caffè in grani"], "active",
     ("blend", 9.4),
     "La miscela da bar di Torrefazione Brace: 80% arabica e 20% robusta, tostatura medio-scura "
     "pensata per le macchine espresso. Note di nocciola tostata e caramello. Con la macchina di "
     "casa parti da 18 g in 25-30 secondi e regola la macinatura di conseguenza."),
    ("NOTT", "Decaffeinato Notte", "Caffè in grani", BRACE,
     ["miscela", "decaffeinato", "espresso", "moka", "caffè in grani"], "active",
     ("blend", 9.9),
     "Decaffeinato 100% arabica, decaffeinizzato ad acqua, per il caffè dopo cena senza "
     "pensieri. Note di biscotto e cacao. Conservalo in un barattolo ermetico: il decaffeinato "
     "perde aroma più in fretta del caffè normale."),
    ("CLAS", "Miscela Brace Classica", "Caffè in grani", BRACE,
     ["miscela", "espresso", "moka", "tostatura media", "caffè in grani"], "active",
     ("blend", 8.4),
     "La miscela con cui abbiamo iniziato: 90% arabica, 10% robusta, equilibrata e dolce. Va "
     "bene in moka, in espresso e nella napoletana. Dopo l'apertura richiudi il sacchetto "
     "spremendo fuori l'aria e tienilo lontano da fonti di calore."),
    ("AURO", "Miscela Aurora", "Caffè in grani", BRACE,
     ["miscela", "filtro", "colazione", "tostatura chiara", "caffè in grani"], "active",
     ("blend", 9.4),
     "Miscela 100% arabica tostata chiara per la colazione, con caffè etiopi e colombiani: "
     "agrumi e miele. Pensata per filtro e french press; nella caraffa usa 60 g di caffè per "
     "litro e acqua appena sotto il bollore."),
    ("NONN", "Miscela Nonna Rosa", "Caffè in grani", BRACE,
     ["miscela", "moka", "tostatura media", "caffè in grani"], "active", ("blend", 8.4),
     "Omaggio alla moka di famiglia: tostatura media, corpo rotondo, note di cacao e mandorla. "
     "Trucco di casa: monta i primi schizzi di caffè con lo zucchero per una cremina densa e "
     "mescola il caffè nella moka prima di versarlo."),
    ("SCIR", "Miscela Scirocco", "Caffè in grani", BRACE,
     ["miscela", "espresso", "robusta", "tostatura scura", "caffè in grani", "offerta"],
     "active", ("blend", 8.9),
     "Miscela intensa di ispirazione napoletana, con robusta indiana: corpo pieno, crema "
     "persistente e retrogusto di liquirizia. Scalda la tazzina con acqua bollente prima di "
     "servire: l'espresso resta caldo e la crema tiene di più."),
    ("GRCR", "Miscela Gran Crema", "Caffè in grani", BRACE,
     ["miscela", "espresso", "robusta", "caffè in grani"], "active", ("blend", 8.9),
     "Miscela 60% arabica e 40% robusta pensata per una crema alta e compatta anche con le "
     "macchine domestiche. Note di cioccolato e frutta secca. Conserva i grani a temperatura "
     "ambiente in un contenitore opaco: il frigorifero li riempie di umidità e odori."),
    ("MOTR", "Macinato Moka Tradizione", "Caffè macinato", BRACE,
     ["moka", "macinato", "lattina"], "active", [("250 g", 6.9), ("4 × 250 g", 25.9)],
     "Lattina da 250 g di caffè già macinato per moka, tostatura media, con note di cacao e pane "
     "tostato. Dopo l'apertura trasferisci il caffè in un barattolo a chiusura ermetica e "
     "consumalo entro due settimane."),
    ("MAES", "Macinato Espresso Casa", "Caffè macinato", BRACE,
     ["espresso", "macinato"], "active", [("250 g", 7.4), ("4 × 250 g", 27.9)],
     "Macinato fine per le macchine espresso domestiche con filtro pressurizzato: crema "
     "abbondante e note di nocciola. Pressa con decisione ma senza esagerare e pulisci il "
     "portafiltro dopo ogni caffè."),
    ("MAFI", "Macinato Filtro Mattino", "Caffè macinato", BRACE,
     ["filtro", "macinato", "colazione"], "active", [("250 g", 7.4), ("500 g", 13.9)],
     "Macinato medio-grosso per caffè americano, Chemex e macchine a goccia, dal gusto morbido "
     "con note di caramello. Regola base: 60 g di caffè per litro d'acqua, e non lasciare la "
     "caraffa sulla piastra calda per più di 20 minuti."),
    ("CNVE", "Capsule Vesuvio compatibili Nespresso", "Capsule", BRACE,
     ["capsule", "compatibili nespresso", "espresso", "alluminio"], "active",
     [("10 capsule", 3.9), ("50 capsule", 17.9), ("100 capsule", 33.9)],
     "La Miscela Vesuvio in capsule di alluminio compatibili con le macchine Nespresso® "
     "Original Line (marchio di terzi, non affiliato). Intense e cremose. Conservale al riparo "
     "da luce e calore: l'alluminio protegge il caffè, ma il caldo ne accelera l'ossidazione."),
    ("CNBC", "Capsule Bar Centrale compatibili Nespresso", "Capsule", BRACE,
     ["capsule", "compatibili nespresso", "espresso", "offerta"], "active",
     [("10 capsule", 3.9), ("50 capsule", 17.9), ("100 capsule", 33.9)],
     "La Miscela Bar Centrale in capsule compatibili Nespresso® Original Line (marchio di terzi, "
     "non affiliato), dal gusto rotondo con note di nocciola. Per un espresso più corto ferma "
     "l'erogazione a 25 ml."),
    ("CNNO", "Capsule Decaffeinato Notte compatibili Nespresso", "Capsule", BRACE,
     ["capsule", "compatibili nespresso", "decaffeinato"], "active",
     [("10 capsule", 4.4), ("50 capsule", 19.9)],
     "Il Decaffeinato Notte in capsule compatibili Nespresso® Original Line (marchio di terzi, "
     "non affiliato), dolce e con note di biscotto. Fai scorrere un po' d'acqua senza capsula "
     "prima dell'uso per scaldare la macchina."),
    ("CAMM", "Capsule Vesuvio compatibili A Modo Mio", "Capsule", BRACE,
     ["capsule", "compatibili a modo mio", "espresso"], "active",
     [("16 capsule", 5.9), ("64 capsule", 21.9)],
     "Capsule compatibili con le macchine Lavazza A Modo Mio® (marchio di terzi, non affiliato) "
     "con la Miscela Vesuvio: crema densa e gusto deciso. Decalcifica la macchina ogni 2-3 "
     "mesi, perché il calcare rende il caffè più amaro."),
    ("CDGC", "Capsule Cremoso compatibili Dolce Gusto", "Capsule", BRACE,
     ["capsule", "compatibili dolce gusto", "caffè lungo"], "active",
     [("16 capsule", 5.4), ("48 capsule", 14.9)],
     "Capsule compatibili Nescafé Dolce Gusto® (marchio di terzi, non affiliato) con un blend "
     "cremoso di arabica e robusta, ideali anche per il caffè lungo: per una tazza grande "
     "imposta tre tacche sul selettore."),
    ("CESE", "Cialde ESE 44 mm Bar Centrale", "Capsule", BRACE,
     ["cialde", "ese", "espresso", "compostabile"], "active",
     [("18 cialde", 4.9), ("50 cialde", 12.9), ("150 cialde", 34.9)],
     "Cialde in carta filtro compostabile, formato ESE 44 mm, con la Miscela Bar Centrale. "
     "Funzionano con tutte le macchine a standard ESE. Inserisci la cialda con la piega verso "
     "l'alto e non lasciarla nel portacialde dopo l'uso."),
    ("MOKA", "Moka Brace Classica", "Attrezzatura", BRACE,
     ["moka", "attrezzatura", "alluminio", "made in italy"], "active",
     [("1 tazza", 19.9), ("3 tazze", 24.9), ("6 tazze", 31.9)],
     "Moka ottagonale in alluminio prodotta in Italia per Torrefazione Brace, con manico in "
     "bachelite. Non lavarla con detersivo né in lavastoviglie: basta acqua calda, così mantiene "
     "la patina che protegge il gusto. Adatta a gas ed elettrico, non a induzione."),
    ("MOIN", "Moka Induzione Inox", "Attrezzatura", "Officine Fornello",
     ["moka", "attrezzatura", "induzione", "acciaio", "offerta"], "active",
     [("2 tazze", 34.9), ("4 tazze", 39.9), ("6 tazze", 44.9)],
     "Moka in acciaio inox 18/10 con fondo magnetico: funziona su induzione, gas e "
     "vetroceramica. Butta i primi due o tre caffè, servono ad avvinare la moka, e sostituisci "
     "la guarnizione una volta l'anno."),
    ("GRIN", "Macinacaffè manuale MN-1", "Attrezzatura", "Macina Nord",
     ["macinacaffè", "attrezzatura", "filtro", "moka"], "active", [("Nero", 89.9)],
     "Macinacaffè manuale con macine coniche in acciaio da 38 mm e regolazione a scatti, "
     "dall'espresso alla french press. Per la moka parti da 12-14 scatti dalla chiusura. Pulisci "
     "le macine con un pennello asciutto, mai con acqua."),
    ("DRIP", "Dripper conico in ceramica 02", "Attrezzatura", "Ceramiche Lumia",
     ["filtro", "pour over", "attrezzatura", "ceramica"], "active",
     [("Bianco", 27.9), ("Nero", 27.9), ("Terracotta", 29.9)],
     "Dripper conico in ceramica smaltata, formato 02 (1-4 tazze), con scanalature a spirale. "
     "Scaldalo con acqua bollente prima di usarlo e sciacqua il filtro di carta per eliminare il "
     "sapore di cartone."),
    ("FILT", "Filtri in carta per dripper 02 (100 pz)", "Attrezzatura", "Ceramiche Lumia",
     ["filtro", "pour over", "accessori"], "active", [("100 pz", 6.9)],
     "Cento filtri conici in carta non sbiancata, formato 02. Piegali lungo la cucitura prima di "
     "inserirli e sciacquali con acqua calda: il caffè sarà più pulito."),
    ("TAZZ", "Tazzine da espresso Brace (set da 2)", "Attrezzatura", BRACE,
     ["tazzine", "espresso", "porcellana"], "active", [("Nero brace", 18.9), ("Bianco", 18.9)],
     "Due tazzine in porcellana spessa con piattino e logo Brace. Lo spessore trattiene il "
     "calore: scaldale sulla macchina o con acqua calda prima di servire l'espresso. Lavabili "
     "in lavastoviglie."),
    ("CAPP", "Tazza da cappuccino in gres", "Attrezzatura", "Ceramiche Lumia",
     ["tazze", "cappuccino", "ceramica", "fatto a mano"], "active",
     [("Sabbia", 16.9), ("Blu notte", 16.9)],
     "Tazza da cappuccino da 180 ml in gres smaltato a mano, fatta in Italia: ogni pezzo è un "
     "po' diverso. Forma arrotondata per la latte art. Evita gli sbalzi termici bruschi, come "
     "acqua gelata in una tazza appena scaldata."),
    ("LATT", "Lattiera in acciaio", "Attrezzatura", "Officine Fornello",
     ["latte art", "acciaio", "attrezzatura"], "active", [("350 ml", 17.9), ("600 ml", 21.9)],
     "Lattiera in acciaio inox con beccuccio affilato per la latte art. Riempila di latte freddo "
     "fino all'attacco del beccuccio e monta fino a 60-65 °C: oltre, il latte perde dolcezza."),
    ("BARA", "Barattolo sottovuoto per caffè", "Attrezzatura", BRACE,
     ["conservazione", "accessori", "acciaio"], "active", [("500 g", 24.9)],
     "Barattolo in acciaio con coperchio a pompa che estrae l'aria e indicatore della data; "
     "contiene 500 g di caffè in grani. Tienilo in dispensa, lontano dai fornelli: aria, luce, "
     "calore e umidità sono i nemici del caffè."),
    ("GUAR", "Guarnizione e filtro di ricambio per moka", "Attrezzatura", "Officine Fornello",
     ["moka", "ricambi", "accessori"], "active",
     [("1 tazza", 4.9), ("3 tazze", 4.9), ("6 tazze", 5.9)],
     "Guarnizione in silicone alimentare e filtro in alluminio di ricambio. Se la moka sbuffa dai "
     "lati o il caffè esce a fatica è ora di cambiarla: con uso quotidiano, circa una volta "
     "l'anno."),
    ("BILA", "Bilancia da caffè con timer", "Attrezzatura", "Macina Nord",
     ["bilancia", "filtro", "espresso", "attrezzatura"], "active", [("Nero", 39.9)],
     "Bilancia di precisione da 0,1 g con timer integrato, per espresso e filtro. Pesare caffè e "
     "acqua è il modo più semplice per ripetere una buona tazza: annota la ricetta che ti piace "
     "e rifalla uguale ogni mattina."),
    ("BOLL", "Bollitore a collo di cigno", "Attrezzatura", "Macina Nord",
     ["bollitore", "filtro", "pour over", "attrezzatura"], "active", [("0,8 l", 64.9)],
     "Bollitore elettrico da 0,8 litri con beccuccio a collo di cigno e temperatura regolabile. "
     "Il flusso sottile permette di versare piano nel dripper: per i caffè chiari imposta 94 °C, "
     "per quelli scuri 88-90 °C."),
    ("COFD", "Cofanetto Degustazione Monorigini", "Regali", BRACE,
     ["regalo", "monorigine", "degustazione", "offerta"], "active",
     [("4 × 100 g / Grani", 29.9), ("4 × 100 g / Moka", 29.9), ("4 × 100 g / Filtro", 29.9)],
     "Quattro monorigini da 100 g (Etiopia, Colombia, Guatemala, Kenya) in una scatola regalo con "
     "schede di degustazione. Consiglio: assaggiali nello stesso giorno e con lo stesso metodo "
     "per sentire davvero le differenze."),
    ("COFM", "Cofanetto Moka & Miscela", "Regali", BRACE,
     ["regalo", "moka", "natale"], "active", [("Moka 3 tazze", 32.9), ("Moka 6 tazze", 38.9)],
     "La Moka Brace Classica e 250 g di Miscela Nonna Rosa macinata per moka, in scatola regalo. "
     "Al primo utilizzo prepara due o tre caffè da buttare, per togliere il sapore di metallo "
     "della moka nuova."),
    ("GIFT", "Carta regalo Torrefazione Brace", "Regali", BRACE,
     ["regalo", "carta regalo"], "active", [("25 €", 25.0), ("50 €", 50.0), ("100 €", 100.0)],
     "Carta regalo digitale, spendibile su tutto il negozio e valida 12 mesi, inviata via email "
     "in pochi minuti. Un consiglio per chi la riceve: chi usa la moka scelga la macinatura Moka, "
     "chi ha il macinino i grani, che restano freschi più a lungo."),
    ("XMAS", "Cofanetto Natale 2024", "Regali", BRACE,
     ["regalo", "natale", "edizione limitata"], "archived", [("Unico", 34.9)],
     "Edizione limitata Natale 2024: Miscela Vesuvio 250 g, due tazzine Brace e cioccolato "
     "fondente artigianale. Esaurito. Il fondente al 70% si abbina all'espresso: un quadratino "
     "prima del sorso esalta le note di cacao."),
    ("ABBO", "Abbonamento Brace", "Abbonamenti", BRACE,
     ["abbonamento", "spedizione gratuita", "caffè in grani"], "active",
     [("500 g / mese", 16.9), ("1 kg / mese", 29.9), ("2 × 500 g / mese", 31.9)],
     "Ogni mese caffè tostato da pochi giorni, scelto tra le nostre miscele e i monorigini a "
     "rotazione, con spedizione sempre gratuita; puoi mettere in pausa o annullare quando vuoi. "
     "Per scegliere la quantità conta circa 7 g per espresso: 500 g fanno una settantina di "
     "caffè."),
]
ON_SALE = {"BRCE", "SCIR", "MOIN", "COFD", "CNBC"}
OUT_OF_STOCK = {"PAGE", "SUMA", "GRIN", "CNNO"}
GRIND_CODE = {"Grani": "GR", "Moka": "MO", "Espresso": "ES", "Filtro": "FI"}


def make_products():
    products, by_key = [], {}
    vid = 41001
    for n, (key, title, ptype, vendor, tags, status, vspec, desc) in enumerate(PRODUCT_TABLE):
        pid = 7001 + n
        if isinstance(vspec, tuple):
            kind, base = vspec
            if kind == "so":
                sizes, grinds = [("250 g", 1.0, "250"), ("1 kg", 3.45, "1K")], \
                    ["Grani", "Moka", "Espresso", "Filtro"]
            else:
                sizes, grinds = [("250 g", 1.0, "250"), ("500 g", 1.9, "500"),
                                 ("1 kg", 3.5, "1K")], ["Grani", "Moka", "Espresso"]
            specs = [(f"{s} / {g}", p90(base * f + 0.1), f"BRC-{key}-{c}-{GRIND_CODE[g]}")
                     for s, f, c in sizes for g in grinds]
        else:
            specs = [(t, Decimal(str(p)), f"BRC-{key}-{i + 1:02d}") for i, (t, p) in
                     enumerate(vspec)]
        variants = []
        for vtitle, price, sku in specs:
            compare = None
            if key in ON_SALE:
                compare, price = price, p90(float(price) * 0.82)
            if key in OUT_OF_STOCK or status != "active" or (len(specs) > 1 and chance(0.06)):
                qty = 0  # sold out (or just this size/grind)
            else:
                qty = rng.choice([rng.randint(3, 25), rng.randint(10, 90), rng.randint(40, 160)])
            variants.append({"id": vid, "title": vtitle, "sku": sku, "price": money(price),
                             "compare_at_price": money(compare) if compare else None,
                             "inventory_quantity": qty})
            vid += 1
        created = between(dt.datetime(2024, 3, 1, tzinfo=UTC), dt.datetime(2025, 9, 15, tzinfo=UTC))
        updated = between(max(created, dt.datetime(2025, 10, 1, tzinfo=UTC)),
                          REF - dt.timedelta(days=1))
        if key == "BUKA":
            created = between(dt.datetime(2025, 12, 1, tzinfo=UTC),
                              dt.datetime(2025, 12, 10, tzinfo=UTC))
            updated = between(created, REF - dt.timedelta(days=2))
        prod = {"id": pid, "title": title, "handle": slug(title), "vendor": vendor,
                "product_type": ptype, "tags": tags, "description": desc, "status": status,
                "created_at": iso(created), "updated_at": iso(updated), "variants": variants}
        products.append(prod)
        by_key[key] = prod
    return products, by_key


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
EMAIL_DOMAINS = ["example.com", "example.it", "example.org"]


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
            email = f"{local}@{pick(EMAIL_DOMAINS)}"
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


# --- phrase pools -------------------------------------------------------------------------------
# Each pool: core sentences (one is always used) plus optional openers, details and closers,
# per language. {P}/{Pb} name a product, {ORD}/{NUM} an order number, {o} agrees with the
# author, {Pa}/{Pe}/{Pn} with the product; see Ctx.resolve for the rest.

C_OPEN = {
    "it": ["Sfogo del giorno:", "Niente, ci rinuncio.", "Scusate lo sfogo.",
           "Ok, adesso mi arrabbio.", "Che delusione.", "Premessa: il caffè è buonissimo.",
           "Buongiorno,", "Ciao,", "Raga,", "Non ci siamo.", "Allora.", "Uffa.", "Seriamente?",
           "Vi voglio bene, ma", "Avviso a chi compra caffè online:", "Ma dai.",
           "Piccola disavventura:", "Mi tocca scriverlo qui:",
           "Scrivo qui visto che per mail è inutile.", "Sono senza parole.",
           "Giornata iniziata male:", "Ditemi voi se è normale:"],
    "en": ["Rant incoming.", "Not impressed.", "Ugh.", "Hi,", "Honestly,",
           "Okay, this is getting ridiculous.", "Love the coffee, but", "PSA:", "Well.",
           "So...", "Sorry to do this publicly, but", "Small rant:", "Is this normal?",
           "Hello?", "Not a great experience so far:"],
}
C_CLOSE = {
    "it": ["Qualcuno sa qualcosa?", "Mah.", "Così non va.", "Aspetto notizie.",
           "Fatemi sapere.", "Delus{o}.", "Grazie per niente.",
           "Se continua così chiedo il rimborso.", "Che devo fare?", "Rispondete per favore 🙏",
           "Peccato, perché il caffè è ottimo.", "Mi aspettavo di meglio.",
           "Vorrei solo una risposta.", "Non si fa così.", "Bah.", "Che pazienza.",
           "Qualcuno ha avuto lo stesso problema?", "Sempre più delus{o}."],
    "en": ["Any update?", "Not great.", "What's going on?", "Please sort this out.",
           "Would appreciate a reply.", "Disappointed.", "Come on.",
           "Really hoping this gets fixed.", "Anyone else had this?", "Not cool.",
           "Such a shame, the coffee is great.", "Frustrating."],
}
C_DETAIL = {
    "it": ["Ho scritto anche alla mail del servizio clienti.", "Nessuno risponde al telefono.",
           "Avevo pagato subito con carta.", "Era un regalo.",
           "E intanto a casa il caffè è finito 😩", "Non è la prima volta.",
           "Ordino da due anni, mai successo prima.", "Ho controllato anche lo spam, niente.",
           "Il caffè mi serviva per il weekend.",
           "Ho scritto anche su WhatsApp: visualizzato e basta.",
           "Mi sono pure pres{o} il giorno libero per aspettare il corriere."],
    "en": ["Paid by card the same day.", "Emailed support twice, nothing back.",
           "It was meant to be a gift.", "Ran out of coffee in the meantime ☕💀",
           "Never had issues before.", "No shipping confirmation either.",
           "Checked my spam folder too.", "Took a day off to wait for the courier, too."],
}
C_DETAIL_ITEM = {
    "it": ["Ho già scritto alla mail del servizio clienti.", "Ho le foto, se servono.",
           "Era un regalo.", "Non è la prima volta.", "Ordino da due anni, mai successo prima.",
           "Ho mandato le foto via mail, aspetto.", "E non è che costi poco."],
    "en": ["Got photos if needed.", "It was meant to be a gift.", "Never had issues before.",
           "Already emailed support with photos.", "Not exactly cheap, either."],
}
C_DETAIL_PAY = {
    "it": ["Ho lo screenshot della banca.", "Ho già scritto alla mail del servizio clienti.",
           "Non sono pochi soldi."],
    "en": ["I have the bank screenshot.", "Already emailed support.", "Not a small amount."],
}
C_DETAIL_STRANGER = {"it": ["Non è la prima volta.", "Peccato.", "Ci riprovo domani."],
                     "en": ["Not the first time either.", "Shame.", "Will try again tomorrow."]}
COMPLAINT = {
    "late": {"it": [
        "il mio {ORD} è fermo su \"in preparazione\" da {d} giorni",
        "ho fatto l'{ORD} {il_date} e non è ancora partito",
        "{d} giorni fa ho fatto l'{ORD}, pagato subito, e ancora nessuna mail di spedizione",
        "{NUM} ordinato {il_date}, mai spedito",
        "sono passati {d} giorni dall'{ORD} e del pacco nessuna traccia",
        "sul sito c'è scritto spedizione in 24/48 ore, il mio {ORD} è lì da {d} giorni",
        "aspetto ancora l'{ORD} {del_date}",
        "l'{ORD} risulta ancora da spedire dopo {d} giorni. com'è possibile?",
        "qualcuno mi spiega perché l'{ORD} non è ancora partito? sono {d} giorni",
        "{ORD}, {d} giorni, zero aggiornamenti",
        "ho ordinato {P} {il_date} ({NUM}) e ancora nulla",
        "{il_date} ho preso {P} e altre cose, {ORD}: ad oggi non è nemmeno stato spedito",
        "ordinato {il_date}, ancora niente: zero mail, zero tracking",
        "il mio ordine è fermo \"in lavorazione\" da {d} giorni",
        "{d} giorni che aspetto un pacco di caffè",
        "ho ordinato {P} {il_date} e non è ancora partito"],
        "en": [
        "my {ORD} has been stuck on \"processing\" for {d} days",
        "placed {ORD} on {date} and it still hasn't shipped",
        "{d} days and {ORD} hasn't even left the warehouse",
        "still waiting on {ORD} from {date}. no shipping email, nothing",
        "{NUM} was supposed to ship in 1-2 days. it's been {d}",
        "is {ORD} ever going to ship? paid on {date}",
        "{d} days since I ordered ({NUM}) and it's still unfulfilled",
        "ordered {P} on {date}, {ORD}, still not shipped",
        "the website says ships in 24-48h. my {ORD} is on day {d}",
        "ordered on {date}, still nothing. no tracking, no email",
        "my order has been \"processing\" for {d} days",
        "{d} days waiting for a bag of coffee",
        "ordered {P} on {date} and it hasn't shipped yet"]},
    "late_followup": {"it": [
        "aggiornamento: ancora niente. siamo a {d} giorni",
        "siamo a {d} giorni, ancora fermo. nessuna risposta neanche alla mail",
        "ancora nessuna notizia dell'{ORD}",
        "giorno {d}. il caffè non è partito, io invece sì 🙃",
        "update: nessuna risposta, nessuna spedizione. {d} giorni",
        "nulla di nuovo, l'{ORD} è ancora lì"],
        "en": [
        "update: still nothing. day {d}",
        "{d} days now. still unfulfilled, still no reply",
        "still waiting on {ORD}. anyone there?",
        "no news. {ORD} still hasn't shipped",
        "day {d}. the coffee still hasn't shipped. I, however, am losing it"]},
    "stuck": {"it": [
        "il tracking {courier} dell'{ORD} è fermo da {d} giorni",
        "spedito {il_fdate} con {courier} e da allora \"in transito\". {ORD}",
        "pacco fermo all'hub di {hub} da {d} giorni ({NUM})",
        "{courier} dice \"in transito\" da {weekday}. {ORD}. boh",
        "il tracciamento dell'{ORD} non si aggiorna da {d} giorni",
        "ma {courier} l'ha perso? {NUM} fermo da {d} giorni",
        "l'{ORD} è partito {il_fdate} e da lì il nulla: tracking bloccato",
        "pacco fermo all'hub di {hub} da {d} giorni",
        "tracking {courier} bloccato da {d} giorni, il pacco non si muove"],
        "en": [
        "tracking for {ORD} hasn't moved in {d} days",
        "{courier} tracking stuck on \"in transit\" since {fdate} ({NUM})",
        "my parcel ({ORD}) has been sitting in {hub} for {d} days",
        "is there any way to chase {courier}? {ORD} stuck in transit for {d} days",
        "{ORD} shipped on {fdate} and then... nothing. tracking frozen",
        "parcel stuck in {hub} for {d} days, tracking not updating"]},
    "stuck_followup": {"it": [
        "ancora fermo a {hub}",
        "update: tracking ancora bloccato, {d} giorni",
        "niente, {courier} non risponde e il pacco ({NUM}) è ancora fermo",
        "aggiornamento per chi se lo chiedeva: il pacco non si è mosso"],
        "en": [
        "still stuck in {hub}",
        "update: tracking still frozen, day {d}",
        "nothing. {courier} won't answer and {NUM} hasn't moved"]},
    "failure": {"it": [
        "{courier} segna \"consegna non riuscita, destinatario assente\" per l'{ORD}. ero a "
        "casa tutto il giorno",
        "nessuno ha suonato e il tracking dice tentativo di consegna fallito. {NUM}",
        "il corriere ha rinunciato alla consegna dell'{ORD}. e ora chi me lo riporta?",
        "consegna fallita per l'{ORD}, ma al citofono non ha suonato nessuno",
        "\"indirizzo non trovato\" dice {courier}. lo stesso indirizzo dove mi arriva di tutto "
        "da anni. {ORD}"],
        "en": [
        "{courier} marked {ORD} as \"delivery failed\". I was home all day, nobody rang",
        "delivery failed for {NUM}?? the courier never showed up",
        "\"address not found\" says {courier}. same address I've had for years. {ORD}",
        "courier apparently gave up on {ORD}. now what?"]},
    "wrong_grind": {"it": [
        "ho ordinato {P} {wanted} e nel pacco c'era {got}",
        "{ORD}: avevo scelto {wanted}, è arrivato {got}",
        "aperto il pacco dell'{ORD}: sacchetto di {Pb} con {got} invece che {wanted}",
        "sbagliata la macinatura nell'{ORD}: {got} al posto di quello {wanted}",
        "preso {P} {wanted}, ricevuto {got}. e adesso che ci faccio?",
        "ho ordinato {P} {wanted} e mi è arrivato {got}"],
        "en": [
        "ordered {P} as {wanted} and got {got}",
        "{ORD}: picked {wanted}, received {got}",
        "wrong grind in {ORD}: {got} instead of {wanted}",
        "ordered {P} in {wanted}, the bag says {got}. now what do I do with it?"]},
    "wrong_item": {"it": [
        "nel pacco dell'{ORD} ho trovato {P2}, io avevo ordinato {P}",
        "ho ordinato {P} e mi avete mandato {P2}",
        "{NUM}: ho ordinato {P}, nel pacco ho trovato {P2}",
        "pacco sbagliato: io avevo preso {P}, dentro ho trovato {P2}"],
        "en": [
        "{ORD} came with {P2} instead of {P}",
        "ordered {P}, got {P2}. not quite the same thing",
        "{NUM}: opened the box and found {P2} instead of {P}"]},
    "missing": {"it": [
        "nel pacco dell'{ORD} mancava{Pn} {P}",
        "arrivato il pacco ({NUM}) ma {P} non {Pc}",
        "mi è arrivata solo metà dell'{ORD}: manca{Pn} {P}",
        "{ORD} consegnato a metà, {P} non pervenut{Pa}",
        "aperto il pacco, tutto ok tranne {P} che proprio non {Pc}. {ORD}"],
        "en": [
        "{ORD} arrived without {P}",
        "box arrived ({NUM}) but {P} {Pis} missing",
        "only half of {ORD} showed up, no sign of {P}",
        "{P} missing from {ORD}. everything else was there"]},
    "moka": {"it": [
        "{P} è arrivata ammaccata, il pacco deve aver preso una bella botta",
        "{P} perde dalla guarnizione già al secondo caffè. {ORD}",
        "{P} nuova: beccuccio piegato e caldaia ammaccata. {ORD}",
        "aperta la scatola dell'{ORD}: {P} ha il manico che balla",
        "nell'{ORD} c'era {P}, peccato che il filtro a imbuto sia storto e non si chiuda",
        "{P} sbuffa vapore dai lati ed è nuova di zecca. {NUM}",
        "{P} è arrivata con il manico storto",
        "{P} perde dalla guarnizione già al secondo caffè"],
        "en": [
        "{P} arrived with a dented base. {ORD}",
        "the handle on {P} is loose straight out of the box ({NUM})",
        "{P} leaks from the gasket after two uses. {ORD}",
        "opened {ORD}: {P} has a bent spout",
        "{P} arrived with a dented base",
        "{P} leaks from the gasket after two uses"]},
    "moka_fixed": {"it": [
        "aggiornamento: mi hanno scritto in giornata e mi spediscono una moka nuova. "
        "gentilissimi, ritiro tutto 🙏",
        "update: hanno risposto subito, moka sostitutiva già in viaggio. così si fa",
        "risolto! moka nuova arrivata e funziona benissimo. grazie {brand}"],
        "en": [
        "update: they replied within hours and are sending a replacement moka pot. credit "
        "where it's due",
        "update: replacement arrived, works perfectly. thanks {brand}"]},
    "charged": {"it": [
        "mi avete addebitato due volte l'{ORD}",
        "doppio addebito sulla carta per l'{ORD}: {total} € per due volte",
        "controllo l'estratto conto e trovo l'{ORD} pagato due volte",
        "{NUM} pagato una volta, addebitato due. {total} € x2",
        "l'app della banca mi mostra due addebiti identici da {total} € per l'{ORD}"],
        "en": [
        "I was charged twice for {ORD} ({total} EUR, twice)",
        "double charge on my card for {ORD}",
        "my bank shows two identical charges of €{total} for {NUM}",
        "paid for {ORD} once, got charged twice"]},
    "charged_fixed": {"it": [
        "aggiornamento: doppio addebito stornato e mi hanno scritto per scusarsi. tutto "
        "risolto 👍",
        "update: rimborsato il secondo addebito in giornata. grazie, così si fa",
        "risolto, mi hanno restituito l'addebito doppio. gentilissimi"],
        "en": [
        "update: the duplicate charge was refunded and they apologised. all good now",
        "update: sorted within a day, second charge refunded. thanks!"]},
    "stale": {"it": [
        "il sacchetto di {Pb} che ho ricevuto aveva la data di tostatura di {months} fa",
        "{P} sapeva di vecchio, zero crema. {ORD}",
        "i chicchi di {Pb} erano opachi e sapevano di cartone",
        "nell'{ORD} c'era un sacchetto di {Pb} tostato a {month_old}. altro che fresco",
        "valvola del sacchetto rotta e {P} senza più profumo. {ORD}",
        "{P} arrivat{Pa} con tostatura di {months} fa, zero crema",
        "sacchetto di {Pb} senza data di tostatura e caffè piatto"],
        "en": [
        "{P} tasted stale, roast date was {months} ago",
        "{P} was flat and papery, no crema at all. {ORD}",
        "bag of {Pb} roasted in {month_old}. so much for fresh ({NUM})",
        "no roast date on the bag and {P} tasted flat",
        "the valve on the bag was broken and {P} had no aroma left ({ORD})"]},
    "no_answer": {"it": [
        "ho scritto tre mail per l'{ORD} e nessuno mi ha risposto",
        "scritto {il_date} a info@brace-caffe.example per l'{ORD}. silenzio",
        "form contatti, mail, messaggio su Instagram: nessuna risposta sull'{ORD}",
        "da una settimana aspetto una risposta sull'{ORD}, che tra l'altro non è mai partito",
        "il servizio clienti esiste? chiedo per l'{ORD}",
        "ho scritto tre mail e nessuno mi ha risposto",
        "il servizio clienti esiste? scrivo da una settimana",
        "mail, form contatti, DM: nessuna risposta"],
        "en": [
        "emailed three times about {ORD}, not a single reply",
        "wrote to info@brace-caffe.example on {date} about {ORD}. crickets",
        "email, contact form, DM: no answer about {ORD}, which hasn't shipped either",
        "does customer service exist? asking for {ORD}",
        "three emails, zero replies",
        "contact form, email, DMs. no answer for a week"]},
    "packaging": {"it": [
        "pacco arrivato aperto e metà del sacchetto di {Pb} sparsa nella scatola",
        "sacchetto di {Pb} bucato, caffè ovunque nel cartone",
        "scatola distrutta e {P} con il sacchetto squarciato"],
        "en": [
        "box arrived torn open, half the bag of {Pb} spilled inside",
        "bag of {Pb} split in transit, coffee all over the box"]},
    # non-customers
    "checkout": {"it": [
        "il checkout di {brand} continua a darmi errore con la carta",
        "provo a pagare con PayPal sul sito di {brand} e si blocca tutto",
        "terzo tentativo di ordine su {brand}, il pagamento non passa",
        "sito di {brand} lentissimo, il carrello si svuota da solo"],
        "en": [
        "checkout keeps failing on the {brand} site, card declined every time",
        "trying to pay with PayPal on {brand} and the page just hangs",
        "cart keeps emptying itself on the {brand} website. third try"]},
    "price": {"it": [
        "ancora un aumento sul sacchetto di {Pb}? ormai costa {price} € da 250 g",
        "prezzi di {brand} sempre più alti, il sacchetto di {Pb} ormai costa come al bar",
        "{P} buon{Pa} per carità, ma {price} € ...",
        "4,90 € di spedizione sotto i 39 € per due sacchetti di caffè? un po' tanto",
        "spedizione gratuita solo sopra i 39 €, soglia un po' alta per chi vive da sol{o}"],
        "en": [
        "{P} went up again? €{price} now",
        "{brand} prices keep creeping up, {P} is almost €{price} now",
        "€4.90 shipping on a small coffee order is steep",
        "free shipping only over €39? come on"]},
    "capsules": {"it": [
        "{P} si incastrano nella mia macchina, una su tre",
        "{P} non si forano bene, metà caffè finisce nel cassetto",
        "{P} nella mia Essenza Mini escono acquose",
        "{P} compatibili un corno: la macchina le sputa fuori"],
        "en": [
        "{P} keep jamming in my Essenza Mini",
        "half of {P} don't pierce properly, coffee everywhere",
        "{P} come out watery in my machine",
        "\"compatible\" my foot: {P} won't even close in my machine"]},
    "gift": {"it": [
        "mi hanno regalato {P} ma il pacco era tutto rotto",
        "ricevuto {P} in regalo, un sacchetto era bucato. peccato",
        "{P} ricevut{Pa} a Natale con la scatola schiacciata"],
        "en": [
        "got {P} as a gift and the box was crushed",
        "received {P} as a present, one bag was split open"]},
    "taste": {"it": [
        "troppo scuro per i miei gusti: {P} sa di bruciato",
        "{P} in moka mi viene amarissimo, sarò io?",
        "non capisco l'entusiasmo per {P}: piatto e amaro",
        "dopo tutte le recensioni mi aspettavo di più da {Pb}. sa di caffè da autogrill"],
        "en": [
        "{P} is way too dark for me, tastes burnt",
        "don't get the hype around {P}. flat and bitter",
        "{P} in my moka pot comes out super bitter. is it me?"]},
    "service": {"it": [
        "il servizio clienti di {brand} non risponde mai",
        "scritto a {brand} su WhatsApp: visualizzato e nessuna risposta",
        "chiesto un'informazione a {brand} una settimana fa, ancora aspetto",
        "newsletter di {brand} tutti i giorni a dicembre, anche basta",
        "il corriere di {brand} mi ha lasciato il pacco sotto la pioggia davanti al cancello"],
        "en": [
        "{brand} customer service never answers",
        "asked {brand} a simple question a week ago, still waiting",
        "three marketing emails a day from {brand}. please",
        "the courier left my {brand} parcel in the rain outside the gate"]},
}

Q_OPEN = {
    "it": ["Domanda:", "Ciao!", "Domanda per gli esperti:", "Curiosità:", "Dubbio:",
           "Buongiorno,", "Scusate,", "Aiuto:", "Info:", "Ciao a tutti,", "Domanda seria:",
           "Una cosa veloce:"],
    "en": ["Quick question:", "Hi!", "Question for coffee people:", "Random question:", "Hey,",
           "Hoping someone knows:", "Help:", "Hi there,", "Genuine question:"],
}
Q_CLOSE = {
    "it": ["Grazie!", "Grazie in anticipo 🙏", "Qualcuno lo sa?", "Grazie mille", "😅", "Help",
           "Grazie 🙂", "Chi sa risponda", "Aspetto consigli"],
    "en": ["Thanks!", "Thanks in advance 🙏", "Anyone?", "Cheers", "🙏", "Thank you!",
           "Any tips welcome"],
}
QUESTION = {
    "ship_when": {"it": [
        "quando parte l'{ORD}? l'ho fatto {dd}",
        "a che punto è l'{ORD}? ancora nessuna mail di spedizione",
        "{NUM}: riuscite a spedirlo prima del weekend?",
        "l'{ORD} risulta ancora da evadere, parte oggi o domani?",
        "l'{ORD} quando viene spedito? mi serve per {occasion}"],
        "en": [
        "when will {ORD} ship? placed it {dd}",
        "any idea when {ORD} goes out? no shipping email yet",
        "{NUM}: any chance it ships before the weekend?",
        "when does {ORD} ship? it's a gift"]},
    "address": {"it": [
        "posso cambiare l'indirizzo di spedizione dell'{ORD}? ho messo quello vecchio 🤦",
        "ho sbagliato il CAP nell'{ORD}, si può correggere prima che parta?",
        "nell'{ORD} ho messo l'indirizzo dell'ufficio ma sono in ferie: si può cambiare?"],
        "en": [
        "can I still change the shipping address on {ORD}?",
        "typo in the postcode on {ORD}, can it be fixed before it ships?",
        "put my old address on {ORD} 🤦 can it still be changed?"]},
    "add_item": {"it": [
        "si può aggiungere un sacchetto di {Pb} all'{ORD} o devo fare un ordine nuovo?",
        "all'{ORD} posso aggiungere {P}? così non pago di nuovo la spedizione"],
        "en": [
        "could I add a bag of {Pb} to {ORD} or do I need a new order?",
        "can I add {P} to {ORD} so I don't pay shipping twice?"]},
    "invoice": {"it": [
        "mi serve la fattura per l'{ORD}, a chi devo scrivere?",
        "per l'{ORD} potete farmi fattura con partita IVA?",
        "come scarico la fattura dell'{ORD}? nella mail non la trovo"],
        "en": [
        "how do I get an invoice for {ORD}?",
        "need a VAT invoice for {ORD}, who do I ask?"]},
    "saturday": {"it": [
        "l'{ORD} è in transito con {courier}: consegnano anche di sabato?",
        "{courier} dice in consegna per l'{ORD}, se non ci sono lo lasciano al vicino?"],
        "en": [
        "{courier} says {ORD} is in transit, do they deliver on saturdays?",
        "if I'm not home when {courier} delivers {ORD}, what happens?"]},
    "refund": {"it": [
        "vedo il rimborso dell'{ORD} sulla carta ma nessuna mail, è tutto ok?",
        "l'{ORD} risulta rimborsato: è il rimborso completo?"],
        "en": [
        "saw a refund for {ORD} on my card but no email, is that right?",
        "{ORD} shows as refunded, is that the full amount?"]},
    "cancelled": {"it": [
        "perché l'{ORD} è stato annullato? non ho ricevuto spiegazioni",
        "mi è arrivata la mail di annullamento dell'{ORD}, cosa è successo?"],
        "en": [
        "why was {ORD} cancelled? no explanation in the email",
        "got a cancellation email for {ORD}, what happened?"]},
    "tracking_link": {"it": [
        "il link di tracciamento dell'{ORD} mi dà errore, il numero è giusto?",
        "il codice {courier} dell'{ORD} non viene trovato sul sito, è normale?"],
        "en": [
        "the tracking link for {ORD} gives me an error, is the number right?",
        "{courier} says the tracking number for {ORD} doesn't exist yet?"]},
    "oos_back_mine": {"it": [
        "quando torna{Pn} {P}? ordinato a {month}, una meraviglia",
        "{P} {Pe} esaurit{Pa}? ne vorrei un altro sacchetto"],
        "en": [
        "when {Pis} {P} coming back? had it in {month} and loved it",
        "will {P} be restocked? I'd love another bag"]},
    "grind_mine": {"it": [
        "per la moka che macinatura prendo di {Pb}? finora ho sempre preso i grani",
        "ho un sacchetto di {Pb} in grani: se lo faccio macinare al supermercato per la moka va "
        "bene?"],
        "en": [
        "which grind should I get for {P} in a moka pot? always bought whole bean so far",
        "got {P} whole bean, is it okay to have it ground at the shop for a moka pot?"]},
    "storage": {"it": [
        "quanto dura un sacchetto di {Pb} una volta aperto? lo tengo in frigo, sbaglio?",
        "il sacchetto di {Pb} aperto da un mese è ancora buono?",
        "meglio congelare i grani se non finisco in fretta il sacchetto di {Pb}?"],
        "en": [
        "how long does {P} keep once opened? I keep it in the fridge, bad idea?",
        "is an opened bag of {Pb} still good after a month?"]},
    "grind_moka": {"it": [
        "che macinatura prendo per la moka? c'è \"Moka\" e \"Espresso\", cambia tanto?",
        "per la moka meglio {P} macinato moka o in grani e macino io?",
        "principiante: per la moka da 3 prendo macinatura moka o espresso?",
        "la macinatura \"moka\" di {brand} va bene anche per la napoletana?"],
        "en": [
        "which grind for a moka pot, \"moka\" or \"espresso\"?",
        "moka pot newbie: should I get {P} pre-ground or whole bean?",
        "does the \"moka\" grind from {brand} work for a Neapolitan flip pot too?"]},
    "islands": {"it": [
        "quanto ci mette una spedizione di {brand} a {island}?",
        "spedite anche in Sardegna? a {island} di solito i corrieri ci mettono una vita",
        "tempi di consegna per la Sicilia? se ordino oggi arriva a {sicily} entro sabato?",
        "per le isole la spedizione costa di più?"],
        "en": [
        "how long does shipping to Sardinia take?",
        "do you ship to Sicily, and how long does it take to {sicily}?",
        "ordering from {island}, any idea on delivery times?"]},
    "decaf": {"it": [
        "{P} è un decaffeinato o no?",
        "{P} è decaffeinato ad acqua o con solventi?",
        "quanta caffeina resta in {Pb}? la sera posso berlo tranquill{o}?",
        "{P} va bene in gravidanza? è decaffeinato al 100%?"],
        "en": [
        "is {P} decaf?",
        "how is {P} decaffeinated? water process or solvents?",
        "how much caffeine is left in {P}?"]},
    "back_when": {"it": [
        "quando torna{Pn} disponibil{Pi} {P}?",
        "{P} {Pe} esaurit{Pa} da settimane, si sa quando rientra{Pn}?",
        "si sa quando rientra{Pn} {P}?"],
        "en": [
        "when {Pis} {P} back in stock?",
        "any news on {P} restocking?",
        "{P} {Phas} been sold out for ages, any chance of a restock?"]},
    "subscription": {"it": [
        "quanto costa {P}? si può mettere in pausa?",
        "con {P} si sceglie la miscela o decidete voi?",
        "{P} da 500 g al mese quanto costa, spedizione compresa?",
        "{P} si può disdire quando si vuole?"],
        "en": [
        "how much is {P}, and can I skip a month?",
        "does {P} let you choose the coffee or is it a surprise?",
        "can {P} be cancelled anytime?"]},
    "capsules": {"it": [
        "{P} sono compatibili con la Nespresso Vertuo?",
        "{P} funzionano nella Essenza Mini?",
        "{P} sono compostabili o in plastica?",
        "{P} vanno bene per la Pixie?"],
        "en": [
        "do {P} fit the Nespresso Vertuo?",
        "will {P} work in an Essenza Mini?",
        "are {P} compostable or aluminium?"]},
    "misc": {"it": [
        "spedite in Germania? mia sorella vive a Monaco",
        "{brand} ha un negozio fisico o solo online?",
        "quanti giorni dopo la tostatura spedite?",
        "la carta regalo di {brand} ha una scadenza?",
        "che ricetta consigliate per {P} al V60?",
        "{P} ha dentro robusta?"],
        "en": [
        "do you ship to Germany?",
        "does {brand} have a physical shop or is it online only?",
        "how soon after roasting do you ship?",
        "what V60 recipe do you recommend for {P}?",
        "is there robusta in {P}?"]},
}

P_OPEN = {
    "it": ["Piccolo elogio:", "Devo dirlo:", "Ok, ufficialmente fan.", "Buongiorno!",
           "Confermo:", "Non mi pagano per dirlo, ma", "Recensione non richiesta:",
           "Spam di felicità:", "Ve lo dico:", "Momento di gratitudine:",
           "Aggiornamento caffeinico:"],
    "en": ["Unsolicited review:", "Not sponsored, just happy:", "Small appreciation post:",
           "Can confirm:", "Good morning!", "Okay,", "Credit where it's due:"],
}
P_CLOSE = {
    "it": ["Consigliatissimo.", "Bravi!", "Torno sicuro.", "❤️", "Grazie!", "Top.",
           "Fidatevi.", "Riordino a breve.", "Chapeau.", "Che goduria."],
    "en": ["Highly recommend.", "10/10.", "Will reorder.", "Love it.", "Thank you!",
           "Chef's kiss.", "Grazie!"],
}
PRAISE = {
    "taste": {"it": [
        "{P} {method} è una cosa seria: {taste}",
        "sto bevendo {P} {method} e sento {taste}. che roba",
        "{P} {method}: {taste}. voto 10",
        "la crema che fa {P} con la mia macchinetta è incredibile",
        "terzo sacchetto di {Pb} in un mese, direi che mi piace",
        "non pensavo che un caffè potesse sapere di {taste1}. {P} mi ha convint{o}",
        "colazione con {P} e cornetto, giornata svoltata",
        "la mia nuova dipendenza legale: {P} {method}",
        "ho fatto assaggiare {P} a mio padre, che beve solo il caffè del bar. verdetto: "
        "\"buono, dove l'hai preso?\"",
        "{P} {method} la domenica mattina. {taste}, non chiedo altro",
        "da quando ho scoperto {P} il caffè del supermercato non riesco più a berlo",
        "assaggiat{Pa} per la prima volta {P}: {taste}, pulitissimo",
        "{P} merita tutto l'hype. {taste}",
        "se cercate un caffè {method} che sappia di {taste1}, {P} è quello giusto"],
        "en": [
        "{P} {method} is unreal: {taste}",
        "brewing {P} {method} this morning. {taste}. wow",
        "{P} makes the crema of my dreams",
        "third bag of {Pb} this month. send help",
        "didn't expect {taste1} from a coffee. {P} is something else",
        "my partner keeps stealing my {Pb}. fair enough, it's that good",
        "{P} {method} on a rainy sunday. {taste}. perfect",
        "finally tried {P} everyone talks about: {taste}, super clean cup",
        "{P} has ruined supermarket coffee for me",
        "gave {P} to my dad, who only drinks espresso at the bar. his verdict: \"where did "
        "you get this?\""]},
    "decaf": {"it": [
        "finalmente un decaffeinato che sa di caffè vero: {P}",
        "{P} dopo cena e dormo comunque come un sasso",
        "non bevo caffeina da anni e {P} mi ha riconciliat{o} con l'espresso"],
        "en": [
        "finally a decaf that tastes like actual coffee: {P}",
        "{P} after dinner and I still sleep like a baby"]},
    "shipping": {"it": [
        "ordinato ieri sera, arrivato stamattina a {city}. {brand} velocissimi",
        "pacco curatissimo, data di tostatura di tre giorni prima e pure un biglietto scritto "
        "a mano ❤️",
        "spedizione in 24 ore fino a {city}, complimenti a {brand}",
        "tostato martedì, arrivato giovedì. {brand} non sbaglia un colpo",
        "il profumo quando apri la scatola di {brand} vale già metà del prezzo"],
        "en": [
        "ordered Monday, arrived Wednesday in {city_en}. great packaging",
        "roast date two days before shipping. that's how it should be, {brand}",
        "{brand} shipped to {city_en} in three days, beautifully packed",
        "the smell when you open a {brand} box is worth half the price"]},
    "service": {"it": [
        "servizio clienti top: ho sbagliato macinatura e me l'hanno cambiata senza storie",
        "mi hanno risposto in dieci minuti su una domanda sulla moka. bravi {brand}",
        "avevo un problema con un ordine e {brand} l'ha risolto in un giorno",
        "scritto a {brand} per un consiglio sulla macinatura, risposta gentilissima e "
        "competente"],
        "en": [
        "great customer service from {brand}: picked the wrong grind, they swapped it, no fuss",
        "asked {brand} a question about my moka pot, got an answer in ten minutes",
        "had a problem with an order and {brand} fixed it the same day"]},
    "gear": {"it": [
        "{P} {Pe} bellissim{Pa} e funziona{Pn} alla grande",
        "con {P} finalmente faccio un caffè come si deve a casa",
        "{P} {Pe} arrivat{Pa} in due giorni, fatt{Pa} benissimo",
        "nuovo acquisto: {P}. primo caffè e sono già innamorat{o}"],
        "en": [
        "{P} is beautifully made, I use it every single morning",
        "finally making proper coffee at home with {P}",
        "new toy: {P}. first brew and I'm hooked"]},
    "gift": {"it": [
        "regalato {P} a mio padre: approvato a pieni voti",
        "{P} regalat{Pa} a Natale: successone",
        "{P} {Pe} stat{Pa} il regalo più apprezzato di Natale"],
        "en": [
        "{P} was the hit of christmas",
        "gave {P} to my sister, she loved it"]},
}
I_OPEN = {
    "it": ["Ok, deciso:", "Mi sono convint{o}:", "Nota per me stess{o}:", "Lista della spesa:",
           "Ormai è ufficiale:", "Niente,"],
    "en": ["Note to self:", "Decision made:", "Okay,", "Shopping list:", "That's it,"],
}
I_CLOSE = {
    "it": ["🛒", "Vi farò sapere.", "Non vedo l'ora.", "Il portafoglio piange.",
           "Poi vi dico com'è."],
    "en": ["🛒", "Wallet crying.", "Can't wait.", "Will report back."],
}
INTENT = {
    "buy": {"it": [
        "devo assolutamente provare {P}",
        "prossimo ordine: {P} e {P2}",
        "quasi quasi mi regalo {P}",
        "finito il sacchetto, domani riordino {P}",
        "nel carrello: {P}. manca solo il coraggio di premere \"paga\"",
        "mi hanno consigliato {P}, appena arriva lo stipendio ordino",
        "la prossima volta provo {P} {method}",
        "mia madre vuole {P}, tocca ordinare",
        "dopo tutte queste recensioni stasera ordino {P}",
        "{P} mi ispira troppo, questa settimana ordino",
        "voglio provare {P}, qualcuno l'ha già provat{Pa}?"],
        "en": [
        "ordering {P} next week",
        "adding {P} to my cart right now",
        "need to try {P} after all these reviews",
        "next order: {P} + {P2}",
        "everyone keeps talking about {P}, guess I'm buying it",
        "running low, {P} is going back in the basket tonight",
        "payday = {P} day",
        "I'm getting {P} this weekend, no excuses"]},
    "gear": {"it": [
        "mi manca solo {P} per completare il setup",
        "quasi quasi mi regalo {P} per Natale",
        "sto mettendo da parte i soldi per {P}"],
        "en": [
        "saving up for {P}",
        "the only thing missing from my setup is {P}. ordering it"]},
    "gift": {"it": [
        "per Natale regalo {P} a mia sorella, deciso",
        "{P} per mio padre, regalo risolto",
        "quest'anno a tutti i colleghi {P}, fine"],
        "en": [
        "getting {P} for my dad for christmas",
        "{P} for my sister, gift sorted"]},
    "subscription": {"it": [
        "mi sa che faccio {P}, tanto il caffè lo finisco sempre",
        "attivo {P} da gennaio, buon proposito per il nuovo anno"],
        "en": [
        "thinking about {P}, I go through a bag a week anyway",
        "signing up for {P} in january, new year's resolution"]},
    "notify": {"it": [
        "avvisatemi quando torna{Pn} disponibil{Pi} {P}!",
        "avvisami quando torna{Pn} {P}, ne prendo due",
        "appena torna{Pn} {P} compro subito, fatemi sapere 🙏",
        "c'è una lista d'attesa per {P}? avvisatemi quando torna{Pn}"],
        "en": [
        "notify me when {P} {Pis} back!",
        "please let me know when {P} {Pis} back in stock, I'll take two",
        "the moment {P} {Pis} back I'm buying it. ping me?"]},
}
EMO = {
    "complaint": ["😤", "😡", "🙄", "😩", "😞", "🤦‍♂️", "🤷‍♀️", "😠", "💀"],
    "question": ["🤔", "🙏", "☕", "🙂", "👀"],
    "praise": ["☕", "😍", "🔥", "👌", "❤️", "✨", "🙌", "🤌"],
    "purchase_intent": ["🛒", "☕", "😋", "👀", "🤑", "💸"],
    "other": ["😂", "😅", "🙃", "❤️", "🙂"],
}
TAGS = {"it": ["#caffè", "#moka", "#espresso", "#caffeitaliano", "#coffeelover", "#buongiorno",
               "#specialtycoffee", "#torrefazione"],
        "en": ["#coffee", "#specialtycoffee", "#espresso", "#coffeelover", "#mokapot",
               "#pourover", "#italiancoffee"]}

# off-topic posts: decoy words (Vesuvio the volcano, Etna, brace = embers, Kenya the country,
# someone's own moka, "bar centrale", "aurora"), football, everyday coffee talk
NOISE = {"it": [
    "il Vesuvio stamattina da {place_na}, limpido come non mai 🌋",
    "salita al Vesuvio fatta! 1281 metri e un vento che ti porta via",
    "vista sul Vesuvio dal lungomare, non mi stanca mai",
    "il Vesuvio con la neve in cima è un'altra cosa",
    "documentario sul Vesuvio stasera in tv, consigliatissimo",
    "Pompei con il Vesuvio dietro, ogni volta la pelle d'oca",
    "l'Etna ha ripreso con le fontane di lava, spettacolo visto da {place_ct}",
    "aeroporto di Catania chiuso per la cenere dell'Etna, di nuovo. volo spostato a domani",
    "gita sull'Etna: crateri Silvestri e poi granita a Zafferana",
    "Etna innevata e mare sotto, solo in Sicilia",
    "brace pronta, stasera arrosticini per tutti 🔥",
    "la differenza la fa la brace: niente fiamma, solo carbone bianco",
    "castagne sulla brace e vino novello, novembre perfetto",
    "mio zio sulla brace è un artista, io brucio anche l'acqua",
    "pesce alla brace a {place_sea} e non ho altro da aggiungere",
    "ristorante nuovo in centro a {city}: tutto alla brace, carciofi da piangere",
    "quando la brace è giusta ci metti la mano sopra e conti fino a cinque",
    "tornata dal Kenya, il Masai Mara mi ha cambiato la vita",
    "Kenya o Tanzania per un safari a febbraio? consigli?",
    "a Nairobi c'è un traffico peggio di Roma all'ora di punta",
    "la moka della nonna fa ancora il caffè più buono di casa #caffè",
    "lavare la moka col detersivo: reato o no? discutiamo",
    "ho dimenticato la moka sul fuoco, la cucina sa di bruciato da due ore",
    "cambiata la guarnizione della moka dopo dieci anni, sembra nuova",
    "la moka che borbotta la domenica mattina è il suono di casa",
    "la moka da 6 per una persona sola è uno stile di vita",
    "terzo caffè e sono solo le 10 ☕",
    "il caffè del distributore in ufficio dovrebbe essere illegale",
    "caffè sospeso lasciato stamattina al bar, piccoli gesti",
    "mi manca il caffè di {city}, quello del bar sotto casa dei miei",
    "da un anno bevo il caffè senza zucchero e non torno indietro",
    "orzo in tazza grande, scusate",
    "il barista che ti prepara il caffè appena ti vede entrare. questo è amore",
    "ginseng o decaffeinato? il grande dilemma delle 17",
    "{team1}-{team2} stasera, pronostici? #seriea",
    "che gol al novantesimo, ancora non ci credo",
    "arbitraggio vergognoso, non dico altro",
    "forza {team1} sempre, anche oggi ⚽",
    "il derby alle 12:30 dovrebbe essere vietato",
    "fantacalcio: schierato il portiere infortunato. campione",
    "appuntamento al bar centrale alle 8, come sempre",
    "il Bar Centrale del paese chiude dopo 40 anni, che tristezza",
    "al bar centrale di {town} il caffè costa ancora 1,10",
    "aurora boreale vista {place_north}? non ci credo ancora",
    "sveglia all'aurora per il treno delle 6, mai più",
    "notte bianca a {city}, centro pienissimo",
    "treno in ritardo di 40 minuti, classico",
    "finalmente venerdì",
    "qualcuno sa se domani piove a {city}?",
    "panettone o pandoro? io pandoro e non me ne vergogno",
    "la nebbia in pianura stamattina sembrava un film",
    "cercasi idee regalo per il secret santa in ufficio, budget 10 euro",
    "ho fatto 1180 passi oggi. sì, smart working",
    "tombola di Natale: uscito il 90, la paura",
    "il caffè al bar a {city} è salito a 1,40, la fine di un'epoca",
    "il bollitore dell'ufficio è più vecchio di me",
    "napoletana o moka? a casa mia è guerra da tre generazioni",
    "cornetto e cappuccino al volo prima del treno, l'unica gioia del lunedì",
    "la macchinetta a cialde del coinquilino fa un rumore da trattore"],
    "en": [
    "hiked up Vesuvius today, absolutely worth the climb 🌋",
    "Pompeii with Vesuvio in the background never gets old",
    "Etna is erupting again, flights out of Catania cancelled #Etna",
    "snow on Vesuvius seen from the ferry to Capri, unreal",
    "back from Kenya. the Masai Mara was unreal",
    "planning a Kenya trip for March, Nairobi or straight to the coast?",
    "brace yourselves, Monday is coming",
    "got a knee brace after my run. getting old",
    "my kid got braces today and is now the saddest person alive",
    "made coffee in my grandma's moka pot. nothing beats it #mokapot",
    "my moka pot gasket finally melted. RIP",
    "coffee prices are wild this year",
    "third cup of coffee and it's only 10am",
    "what a match. that last-minute goal! ⚽",
    "Serie A on a Sunday afternoon with an espresso is peak Italy",
    "Italian bar culture: espresso at the counter in 30 seconds. love it",
    "saw the aurora from {place_uk} last night, still buzzing",
    "flat white vs cortado, fight me",
    "the barista at my local remembers my order. this is what belonging feels like",
    "decaf after 3pm or I don't sleep",
    "anyone else's office coffee machine sound like a jet engine?",
    "grilling over charcoal tonight. wait for the embers, patience is everything",
    "learning Italian: today I learned that \"brace\" means embers",
    "our Airbnb in Naples had a moka pot and now I need one",
    "one day I'll do a coffee-origin trip: Colombia, Guatemala, Ethiopia",
    "train delayed 40 minutes. classic",
    "Friday at last",
    "reading about the history of espresso machines at 1am, as one does",
    "spilled an entire coffee on my keyboard. 1/10, do not recommend",
    "best pizza of my life in Naples, no contest",
    "made tiramisu for the first time, mascarpone everywhere",
    "just learned you don't order a cappuccino after 11 in Italy. oops",
    "the Amalfi coast bus is an extreme sport",
    "watched the Napoli game in a bar full of locals, what an atmosphere",
    "espresso martini season is upon us",
    "winter sun in Sicily is a cheat code",
    "my neighbour roasts his own beans in a popcorn machine. the smell!",
    "Sumatra is on my travel list for next year, anyone been?",
    "tried to explain moka vs espresso to my mum. failed",
    "the Bar Centrale in my wife's village does the best cornetti in Italy",
    "coffee with a view of Vesuvius this morning, not a bad start",
    "I own five coffee mugs and use the same one every day"]}
NOISE_SHOP = {"it": ["visto lo stand di {brand} al mercatino di Natale di {city}, fila lunghissima",
                     "{brand} ha pubblicato la ricetta del tiramisù col caffè, me la segno",
                     "passat{o} davanti al laboratorio di {brand}, che profumo di tostatura"],
              "en": ["{brand} posted a roasting video, oddly satisfying",
                     "saw {brand} at a Christmas market in {city_en}, long queue"]}
NOISE_REPLY = {"it": ["ahah verissimo", "concordo al 100%", "ma quando mai", "anche io!",
                      "che invidia 😍", "foto?", "questa è poesia", "parole sante"],
               "en": ["haha so true", "100% agree", "same here!", "jealous 😍",
                      "pics or it didn't happen", "this is the way"]}

PSEUDO = {"it": [("Caffeinomane", "caffeinomane", ""), ("La Zia del Caffè", "ziacaffe", "f"),
                 ("Moka Addicted", "mokaddicted", ""), ("Tazzina Sbeccata", "tazzinasbeccata", ""),
                 ("Il Barista Mancato", "baristamancato", "m"),
                 ("Crema & Cacao", "cremaecacao", ""), ("Nonna Pina", "nonnapina", "f"),
                 ("Espresso Dipendente", "espressodip", ""),
                 ("Chicco Ribelle", "chiccoribelle", ""),
                 ("Pendolare Stanco", "pendolarestanco", "m"),
                 ("Lo Zio Tostato", "ziotostato", "m"), ("Gattara Caffeinata", "gattaracaffe", "f"),
                 ("Notturna", "notturna", "f"), ("Slow Mornings", "slowmornings", ""),
                 ("Pausa Caffè", "pausacaffe", ""), ("Fuori Sede", "fuorisede", "")],
          "en": [("Bean There", "beanthere", ""), ("Pour Over Pete", "pouroverpete", "m"),
                 ("Decaf Is A Lie", "decafisalie", ""),
                 ("Espresso Yourself", "espressoyourself", ""),
                 ("Latte Art Fail", "latteartfail", ""), ("Sleepy Commuter", "sleepycommuter", ""),
                 ("Coffee Nerd", "coffeenerd", ""), ("The Daily Grind", "thedailygrind", ""),
                 ("Mocha Mum", "mochamum", "f"), ("Caffeinated Owl", "caffeinatedowl", ""),
                 ("Crema Chaser", "cremachaser", "")]}
INSTANCES = {"it": ["mastodon.uno", "mastodon.uno", "sociale.network", "mastodon.social",
                    "mastodon.bida.im"],
             "en": ["mastodon.social", "mastodon.social", "mastodon.online", "mstdn.social",
                    "hachyderm.io", "fosstodon.org", "mas.to"]}
NETS = ["x", "bluesky", "mastodon"]
NET_TARGET = {"x": 0.45, "bluesky": 0.30, "mastodon": 0.25}
B32 = "abcdefghijklmnopqrstuvwxyz234567"
S32 = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable, for Bluesky TIDs
NAME_EMOJI = ["☕", "🌿", "🇮🇹", "✨", "🍋", "🌋", "📚", "🎧", "🏃", "🐈"]


def bsky_did():
    return "did:plc:" + "".join(rng.choice(B32) for _ in range(24))


def bsky_tid(t):
    us = int(t.timestamp()) * 1_000_000 + rng.randint(0, 999_999)
    v = (us << 10) | rng.randint(0, 1023)
    out = ""
    for _ in range(13):
        out = S32[v & 31] + out
        v >>= 5
    return out


def x_snowflake(t):
    ms = int(t.timestamp()) * 1000 + rng.randint(0, 999)
    return str(((ms - 1288834974657) << 22) | rng.getrandbits(22))


def masto_snowflake(t):
    ms = int(t.timestamp()) * 1000 + rng.randint(0, 999)
    return str((ms << 16) | rng.getrandbits(16))


# --- social posts -------------------------------------------------------------------------------

class Posts:
    """Plans and writes the social posts and their ground truth."""

    def __init__(self, customers, orders):
        self.customers = customers
        self.cust = {c["id"]: c for c in customers}
        self.orders = orders
        self.posts, self.truth = [], {}
        self.net_count = {n: 0 for n in NETS}
        self.lang_count = {"it": 0, "en": 0}
        self.used_handles = set()
        self.cust_persona = {}
        self.strangers = {"it": [], "en": []}
        self.free_pseudo = {lang: list(PSEUDO[lang]) for lang in PSEUDO}
        self.used_customers = set()
        self.taken_names = {fold(f"{c['first_name']} {c['last_name']}").lower()
                            for c in customers}
        self.by_customer = {}
        for o in orders:
            self.by_customer.setdefault(o["customer_id"], []).append(o)

    # personas ------------------------------------------------------------------------------
    def choose_net(self):
        done = sum(self.net_count.values())
        w = [max(0.05, NET_TARGET[n] * (done + 20) - self.net_count[n]) for n in NETS]
        return rng.choices(NETS, w)[0]

    def new_handle(self, net, lang, first=None, last=None, pseudo=None):
        for attempt in range(200):
            if pseudo or first is None:
                base = pseudo or pick(PSEUDO[lang])[1]
                base = pick([base, base, f"{base}{rng.randint(1, 99)}", f"{base}_",
                             f"the{base}" if lang == "en" else f"{base}{rng.randint(1, 99)}"])
            else:
                f, last_ = ascii_name(first), ascii_name(last or "x")
                yy = f"{rng.randint(70, 99) if chance(0.7) else rng.randint(0, 9):02d}"
                if net == "x":
                    base = pick([f + last_, f"{f}_{last_}", f + last_[0] + yy, f[0] + last_,
                                 last_ + f[:3], f + last_ + "_", f"_{f}{last_}",
                                 f"{f}_{last_[0]}{yy}", f + yy])
                elif net == "bluesky":
                    base = pick([f + last_, f"{f}-{last_}", f + last_[0], f"{f}{last_[0]}{yy}",
                                 f"{last_}-{f}", f"{f}{last_}{yy}"])
                else:
                    base = pick([f, f + last_, f"{f}_{last_}", f + yy, f[0] + last_,
                                 f"{f}_{last_[0]}"])
            if attempt > 50:
                base += str(attempt)
            if net == "x":
                h = re.sub(r"[^a-z0-9_]", "", base)[:15]
            elif net == "bluesky":
                h = re.sub(r"[^a-z0-9-]", "", base.replace("_", "-")).strip("-") + ".bsky.social"
            else:
                h = re.sub(r"[^a-z0-9_]", "", base.replace("-", "_")) + "@" + pick(INSTANCES[lang])
            if h.lower() not in self.used_handles and h.lower() != "bracecaffe":
                self.used_handles.add(h.lower())
                return h
        raise RuntimeError("no handle")

    @staticmethod
    def author_id(net):
        if net == "bluesky":
            return bsky_did()
        if net == "x":
            if chance(0.55):
                return str(rng.randint(10**7, 4 * 10**9))
            return str(rng.randint(7 * 10**17, 19 * 10**17))
        if chance(0.3):
            return str(rng.randint(1000, 999999))
        return str(rng.randint(109 * 10**15, 115 * 10**15))

    def customer_display(self, c, on_record, pname=None):
        first, last = c["first_name"], c["last_name"]
        full = f"{first} {last}"
        if on_record and chance(0.55):
            return pick([pname or first, first,
                         f"{NICK.get(first, first)} {pick(NAME_EMOJI)}",
                         f"{pick(NAME_EMOJI)} {NICK.get(first, first)}"])
        opts = [(full, 30), (fold(full), 22 if fold(full) != full else 0),
                (f"{NICK[first]} {last}" if first in NICK else full, 12 if first in NICK else 0),
                (f"{first} {last[0]}.", 16), (full.lower(), 8),
                (f"{full} {pick(NAME_EMOJI)}", 7), (f"{last} {first}", 5)]
        return rng.choices([o for o, _ in opts], [w for _, w in opts])[0]

    def customer_persona(self, c, net=None):
        if c["id"] in self.cust_persona:
            return self.cust_persona[c["id"]]
        lang = "it" if c["_origin"] == "it" and chance(0.9) else "en"
        net = net or self.choose_net()
        on_record = chance(0.32)
        pname = pseudo = None
        free = [p for p in self.free_pseudo[lang] if p[2] in ("", c["_g"])]
        if on_record and chance(0.45) and free:
            pname, pseudo, _ = free[rng.randrange(len(free))]
            self.free_pseudo[lang].remove((pname, pseudo, _))
        handle = self.new_handle(net, lang, c["first_name"], c["last_name"], pseudo)
        if on_record:
            c["handles"][net] = handle
        p = {"net": net, "handle": handle, "author_id": self.author_id(net),
             "name": self.customer_display(c, on_record, pname), "lang": lang,
             "customer_id": c["id"],
             "g": c["_g"]}
        self.cust_persona[c["id"]] = p
        return p

    def stranger(self, lang):
        pool = self.strangers[lang]
        if pool and chance(0.2):
            return pick(pool)
        g = "m" if chance(0.5) else "f"
        if lang == "it":
            first, last = pick(IT_M if g == "m" else IT_F), pick(IT_SUR)
        else:
            origin = rng.choices(["en", "de", "fr"], [70, 15, 15])[0]
            males, females, surnames, _ = FOREIGN[origin]
            first, last = pick(males if g == "m" else females), pick(surnames)
        for _ in range(20):
            if fold(f"{first} {last}").lower() not in self.taken_names:
                break
            last = pick(IT_SUR if lang == "it" else FOREIGN["en"][2])
        self.taken_names.add(fold(f"{first} {last}").lower())
        r = rng.random()
        pseudo = None
        if r < 0.55:
            name = f"{first} {last}"
        elif r < 0.75:
            name = first
        elif r < 0.9 and [p for p in self.free_pseudo[lang] if p[2] in ("", g)]:
            free = [p for p in self.free_pseudo[lang] if p[2] in ("", g)]
            name, pseudo, _ = free[rng.randrange(len(free))]
            self.free_pseudo[lang].remove((name, pseudo, _))
        else:
            name = f"{first} {pick(NAME_EMOJI)}"
        net = self.choose_net()
        p = {"net": net, "handle": self.new_handle(net, lang, first, last, pseudo),
             "author_id": self.author_id(net), "name": name, "lang": lang,
             "customer_id": None, "g": g}
        pool.append(p)
        return p

    def stranger_lang(self):
        # aim at ~60% Italian overall, counting what is already written
        done = sum(self.lang_count.values())
        w_it = max(0.05, 0.6 * (done + 10) - self.lang_count["it"])
        w_en = max(0.05, 0.4 * (done + 10) - self.lang_count["en"])
        return rng.choices(["it", "en"], [w_it, w_en])[0]

    # posts -----------------------------------------------------------------------------------
    def add(self, persona, t, text, intent, products, order_number=None, reply_to=None):
        net, handle = persona["net"], persona["handle"]
        assert len(text) <= LIMIT[net], (net, len(text), text)
        if net == "x":
            pid = x_snowflake(t)
            url = f"https://x.com/{handle}/status/{pid}"
        elif net == "bluesky":
            rkey = bsky_tid(t)
            pid = f"at://{persona['author_id']}/app.bsky.feed.post/{rkey}"
            url = f"https://bsky.app/profile/{handle}/post/{rkey}"
        else:
            pid = masto_snowflake(t)
            user, inst = handle.split("@")
            url = f"https://{inst}/@{user}/{pid}"
        assert pid not in self.truth
        post = {"network": net, "id": pid, "author_id": persona["author_id"], "author": handle,
                "author_name": persona["name"], "text": text, "lang": persona["lang"],
                "created_at": t, "url": url, "in_reply_to": reply_to,
                "mentions_shop": bool(re.search(re.escape(MENTION[net]) + r"(?![\w@]|\.\w)",
                                                text))}
        self.posts.append(post)
        self.truth[pid] = {"intent": intent, "customer_id": persona["customer_id"],
                           "order_number": order_number, "products": products}
        self.net_count[net] += 1
        self.lang_count[persona["lang"]] += 1
        return post

    def write(self, persona, intent, pool, vals, mention_p=0.0, core_filter=None,
              reserve=0, plain=False, no_emoji=False, **kw):
        """Generate a text that fits the network; return (text, products)."""
        for _ in range(60):
            ctx = Ctx(persona["lang"], persona["net"], persona["g"], chance(mention_p),
                      **vals)
            if plain:  # a single line from a list, no openers
                text = finish(ctx, ctx.fill(pick(pool[persona["lang"]])), EMO[intent],
                              0.0 if no_emoji else 0.25)
            else:
                text = compose(ctx, pool, core_filter, emojis=EMO[intent], tags=TAGS[
                    persona["lang"]] if intent in ("praise", "purchase_intent") else (), **kw)
            if len(text) + reserve <= LIMIT[persona["net"]]:
                return text, ctx.products
        raise RuntimeError("text too long")

    # planning ---------------------------------------------------------------------------------
    def take(self, pool, pred=None, prefer=None):
        cand = [o for o in pool if o["customer_id"] not in self.used_customers
                and (pred is None or pred(o))]
        if prefer:
            better = [o for o in cand if prefer(o)]
            cand = better or cand
        if not cand:
            raise RuntimeError("order pool exhausted")
        o = pick(cand)
        self.used_customers.add(o["customer_id"])
        return o

    @staticmethod
    def aliased_items(o, keys=None, shipped=None):
        out = []
        for i in o["line_items"]:
            k = KEY_OF[i["product_id"]]
            if k in ALIASES and (keys is None or k in keys) and (
                    shipped is None
                    or (i["id"] in o["fulfillments"][0]["line_item_ids"]) == shipped):
                out.append((k, i))
        return out

    def order_post(self, o, intent, pool_name, sub, t, with_number=True, mention_p=0.5,
                   reply_to=None, vals=None, pool=None):
        c = self.cust[o["customer_id"]]
        persona = self.customer_persona(c)
        vals = dict(vals or {})
        vals.setdefault("order", o)
        vals.setdefault("t", t)
        if "P" not in vals:
            items = self.aliased_items(o, COFFEES) or self.aliased_items(o)
            if items:
                vals["P"] = pick(items)[0]
        if pool is None:
            table = COMPLAINT if pool_name == "complaint" else QUESTION
            if intent == "complaint":
                detail = C_DETAIL if sub in ("late", "stuck", "failure", "no_answer") else \
                    C_DETAIL_PAY if sub == "charged" else C_DETAIL_ITEM
                pool = {"core": table[sub], "open": C_OPEN, "detail": detail, "close": C_CLOSE}
            elif intent == "question":
                pool = {"core": table[sub], "open": Q_OPEN, "close": Q_CLOSE}
        def ok(tpl):
            if has_order_slot(tpl) != with_number:
                return False
            if "{P" in tpl and "P" not in vals:
                return False
            return not ("{P2" in tpl and "P2" not in vals)
        text, products = self.write(persona, intent, pool, vals, mention_p, ok)
        return self.add(persona, t, text, intent, products,
                        o["number"] if with_number else None, reply_to)

    def plan(self):
        orders = self.orders
        st = {}
        for o in orders:
            st.setdefault(o["_state"], []).append(o)

        def fdate(o):
            return o["fulfillments"][0]["created_at"]

        def delivered(o):
            return (o["fulfillments"] and o["fulfillments"][0]["shipment_status"] == "delivered"
                    and o["_state"] in ("fulfilled", "partially_refunded", "refunded"))

        def days(a, b):
            return max(0, int((b - a).total_seconds() // 86400))

        deliv = [o for o in orders if delivered(o)]
        special_name = lambda o: (fold(self.cust[o["customer_id"]]["first_name"] +  # noqa: E731
                                       self.cust[o["customer_id"]]["last_name"]) !=
                                  self.cust[o["customer_id"]]["first_name"] +
                                  self.cust[o["customer_id"]]["last_name"]
                                  or "'" in self.cust[o["customer_id"]]["last_name"]
                                  or self.cust[o["customer_id"]]["last_name"] in
                                  ("Rosi", "Rossi", "Greco", "Bianco", "Ferraro", "Conte",
                                   "Colombi", "Esposti"))

        # 1. complaints quoting an order number, by the order's customer ----------------------
        # late (unfulfilled, > 6 days): 5 plain, 1 + follow-up quoting the number again,
        # 2 + follow-up without it
        for n in range(8):
            follow = None if n < 5 else ("num" if n == 5 else "nonum")
            need = 9.5 if follow else 6.5
            o = self.take(st["late"], lambda o, need=need: (REF - o["created_at"]).days >= need,
                          prefer=special_name if n in (0, 3) else None)
            hi = REF - dt.timedelta(days=2.5) if follow else REF
            t = between(o["created_at"] + dt.timedelta(days=6.2), hi)
            d = days(o["created_at"], t)
            first = self.order_post(o, "complaint", "complaint", "late", t, vals={"d": d})
            if follow:
                t2 = between(t + dt.timedelta(days=1, hours=2), min(REF, t + dt.timedelta(days=4)))
                self.order_post(o, "complaint", "complaint", "late_followup", t2,
                                with_number=(follow == "num"), mention_p=0.3,
                                reply_to=first["id"], vals={"d": days(o["created_at"], t2)},
                                pool={"core": COMPLAINT["late_followup"], "close": C_CLOSE})
        o = self.take(st["late"])
        t = between(o["created_at"] + dt.timedelta(days=7), REF)
        self.order_post(o, "complaint", "complaint", "no_answer", t,
                        vals={"d": days(o["created_at"], t)})
        # stuck in transit: 3 plain, 1 with a follow-up
        for n in range(4):
            o = self.take(st["stuck"],
                          lambda o, n=n: (REF - fdate(o)).days >= (8 if n == 3 else 5))
            t = between(fdate(o) + dt.timedelta(days=4.5),
                        REF - dt.timedelta(days=2) if n == 3 else REF)
            first = self.order_post(o, "complaint", "complaint", "stuck", t,
                                    vals={"d": days(fdate(o), t)})
            if n == 3:
                t2 = between(t + dt.timedelta(days=1), REF)
                self.order_post(o, "complaint", "complaint", "stuck_followup", t2,
                                mention_p=0.4, reply_to=first["id"],
                                vals={"d": days(fdate(o), t2)},
                                pool={"core": COMPLAINT["stuck_followup"], "close": C_CLOSE})
        for _ in range(2):
            o = self.take(st["failure"])
            t = between(fdate(o) + dt.timedelta(days=1.2), REF)
            self.order_post(o, "complaint", "complaint", "failure", t)
        # wrong item / grind
        for _ in range(3):
            o = self.take(deliv, lambda o: self.aliased_items(o))
            items = self.aliased_items(o)
            ground = [(k, i) for k, i in items if i["variant_title"].split(" / ")[-1]
                      in GRIND_IT]
            t = between(fdate(o) + dt.timedelta(days=2), min(REF, fdate(o) + dt.timedelta(days=9)))
            if ground:
                k, i = pick(ground)
                wanted = i["variant_title"].split(" / ")[-1]
                got = pick([g for g in GRIND_IT if g != wanted and
                            (g != "Filtro" or k not in ("VESU", "BACE", "NOTT"))])
                self.order_post(o, "complaint", "complaint", "wrong_grind", t,
                                vals={"P": k, "wanted": wanted, "got": got})
            else:
                k = pick(items)[0]
                same = [x for x in ALIASES if x != k and PKEY[x]["product_type"] ==
                        PKEY[k]["product_type"] and PKEY[x]["status"] == "active"]
                self.order_post(o, "complaint", "complaint", "wrong_item", t,
                                vals={"P": k, "P2": pick(same)})
        # missing item (partially fulfilled orders)
        for _ in range(3):
            o = self.take(st["partial"], lambda o: self.aliased_items(o, shipped=False))
            k = pick(self.aliased_items(o, shipped=False))[0]
            t = between(fdate(o) + dt.timedelta(days=2), min(REF, fdate(o) + dt.timedelta(days=8)))
            self.order_post(o, "complaint", "complaint", "missing", t, vals={"P": k})
        # damaged moka pot, one followed by "they replaced it"
        for n in range(2):
            o = self.take(deliv, lambda o: self.aliased_items(o, {"MOKA", "MOIN"}) and
                          (REF - fdate(o)).days > 6)
            k = pick(self.aliased_items(o, {"MOKA", "MOIN"}))[0]
            t = between(fdate(o) + dt.timedelta(days=1.5), min(REF - dt.timedelta(days=2),
                                                             fdate(o) + dt.timedelta(days=6)))
            first = self.order_post(o, "complaint", "complaint", "moka", t, vals={"P": k})
            if n == 0:
                t2 = between(t + dt.timedelta(hours=20), min(REF, t + dt.timedelta(days=4)))
                self.order_post(o, "praise", None, None, t2, with_number=False,
                                mention_p=0.5, reply_to=first["id"], vals={"P": k},
                                pool={"core": COMPLAINT["moka_fixed"]})
        # charged twice, one followed by "refunded"
        for n in range(2):
            o = self.take(deliv, lambda o: (REF - o["created_at"]).days > 5)
            t = between(o["created_at"] + dt.timedelta(hours=5),
                        o["created_at"] + dt.timedelta(days=2))
            first = self.order_post(o, "complaint", "complaint", "charged", t)
            if n == 0:
                t2 = between(t + dt.timedelta(hours=18), min(REF, t + dt.timedelta(days=3)))
                self.order_post(o, "praise", None, None, t2, with_number=False,
                                mention_p=0.5, reply_to=first["id"],
                                pool={"core": COMPLAINT["charged_fixed"]})
        o = self.take(deliv, lambda o: self.aliased_items(o, COFFEES))
        t = between(fdate(o) + dt.timedelta(days=3), min(REF, fdate(o) + dt.timedelta(days=12)))
        self.order_post(o, "complaint", "complaint", "stale", t,
                        vals={"P": pick(self.aliased_items(o, COFFEES))[0]})

        # 2. questions quoting an order number -------------------------------------------------
        unf = st["unfulfilled"]
        for sub in ["ship_when"] * 3 + ["address"] * 2 + ["add_item"]:
            o = self.take(unf, lambda o, sub=sub: sub != "ship_when" or
                          (REF - o["created_at"]).total_seconds() > 86400 * 1.2)
            if sub == "ship_when":
                t = between(o["created_at"] + dt.timedelta(days=1), REF)
            else:
                t = between(o["created_at"] + dt.timedelta(minutes=40),
                            min(REF, o["created_at"] + dt.timedelta(hours=20)))
            vals = {"d": days(o["created_at"], t)}
            if sub == "add_item":
                have = {KEY_OF[i["product_id"]] for i in o["line_items"]}
                vals["P"] = pick([k for k in ["NOTT", "VESU", "BACE", "KEAA", "ETYI", "CLAS"]
                                  if k not in have])
            self.order_post(o, "question", "question", sub, t, vals=vals, mention_p=0.6)
        for _ in range(2):
            o = self.take(deliv)
            t = between(fdate(o) + dt.timedelta(days=2), min(REF, fdate(o) + dt.timedelta(days=20)))
            self.order_post(o, "question", "question", "invoice", t, mention_p=0.6)
        transit = [o for o in st["fulfilled"] if o["fulfillments"][0]["shipment_status"] ==
                   "in_transit"]
        o = self.take(transit)
        self.order_post(o, "question", "question", "saturday",
                        between(fdate(o) + dt.timedelta(hours=6), REF), mention_p=0.6)
        o = self.take(st["refunded"])
        self.order_post(o, "question", "question", "refund",
                        between(o["updated_at"] + dt.timedelta(hours=3),
                                min(REF, o["updated_at"] + dt.timedelta(days=3))), mention_p=0.6)
        o = self.take(st["cancelled"], lambda o: o["cancel_reason"] != "customer")
        self.order_post(o, "question", "question", "cancelled",
                        between(o["cancelled_at"] + dt.timedelta(hours=1),
                                min(REF, o["cancelled_at"] + dt.timedelta(days=2))),
                        mention_p=0.6)
        o = self.take([o for o in st["fulfilled"] if o["fulfillments"][0]["shipment_status"]])
        self.order_post(o, "question", "question", "tracking_link",
                        between(fdate(o) + dt.timedelta(hours=3),
                                min(REF, fdate(o) + dt.timedelta(days=2))), mention_p=0.6)

        # 3. customers talking without an order number ---------------------------------------
        def cust_order(pred=lambda o: True, prefer=None):
            return self.take(deliv, lambda o: pred(o), prefer=prefer)

        for sub in ["stale", "wrong_grind", "no_answer", "packaging"]:
            if sub == "wrong_grind":
                o = cust_order(lambda o: any(i["variant_title"].split(" / ")[-1] in GRIND_IT
                                             for _, i in self.aliased_items(o, COFFEES)),
                               prefer=special_name)
                k, i = pick([(k, i) for k, i in self.aliased_items(o, COFFEES)
                             if i["variant_title"].split(" / ")[-1] in GRIND_IT])
                wanted = i["variant_title"].split(" / ")[-1]
                vals = {"P": k, "wanted": wanted,
                        "got": pick([g for g in GRIND_IT if g != wanted])}
            else:
                o = cust_order(lambda o: self.aliased_items(o, COFFEES), prefer=special_name)
                vals = {"P": pick(self.aliased_items(o, COFFEES))[0], "d": 8}
            t = between(fdate(o) + dt.timedelta(days=2), min(REF, fdate(o) + dt.timedelta(days=12)))
            self.order_post(o, "complaint", "complaint", sub, t, with_number=False, vals=vals)
        for n in range(6):
            o = cust_order(lambda o: self.aliased_items(o, COFFEES + GEAR + GIFTS),
                           prefer=special_name if n < 2 else None)
            k = pick(self.aliased_items(o, COFFEES + GEAR + GIFTS))[0]
            sub = "decaf" if k in DECAF else "gear" if k in GEAR else "gift" if k in GIFTS \
                else "taste"
            if sub == "gear" and k not in ("MOKA", "MOIN", "GRIN", "DRIP", "LATT", "BILA"):
                sub, k = "shipping", k
            if sub == "gift" and k == "GIFT":
                sub = "shipping"
            t = between(fdate(o) + dt.timedelta(days=2), min(REF, fdate(o) + dt.timedelta(days=25)))
            self.order_post(o, "praise", None, None, t, with_number=False, mention_p=0.45,
                            vals={"P": k}, pool={"core": PRAISE[sub], "open": P_OPEN,
                                                 "close": P_CLOSE})
        for _ in range(3):
            o = cust_order(lambda o: self.aliased_items(o, COFFEES))
            k = pick(self.aliased_items(o, COFFEES))[0]
            t = between(fdate(o) + dt.timedelta(days=10), REF)
            self.order_post(o, "purchase_intent", None, None, t, with_number=False,
                            mention_p=0.3,
                            vals={"P": k, "P2": pick([x for x in POPULAR if x != k])},
                            pool={"core": {lang: [c for c in INTENT["buy"][lang]
                                                  if "stipendio" not in c and "ispira" not in c
                                                  and "everyone" not in c]
                                           for lang in ("it", "en")},
                                  "open": I_OPEN, "close": I_CLOSE})
        for sub in ("mine", "grind", "storage"):
            if sub == "mine":
                o = cust_order(lambda o: self.aliased_items(o, OUT_OF_STOCK & set(COFFEES)))
                k = pick(self.aliased_items(o, OUT_OF_STOCK & set(COFFEES)))[0]
                pool_sub = "oos_back_mine"
            else:
                o = cust_order(lambda o: self.aliased_items(o, COFFEES))
                k = pick(self.aliased_items(o, COFFEES))[0]
                pool_sub = "grind_mine" if sub == "grind" else "storage"
            t = between(fdate(o) + dt.timedelta(days=3), REF)
            self.order_post(o, "question", "question", pool_sub, t, with_number=False,
                            mention_p=0.5, vals={"P": k})
        for _ in range(2):
            c = pick([c for c in self.customers if c["id"] in self.by_customer
                      and c["id"] not in self.used_customers])
            self.used_customers.add(c["id"])
            persona = self.customer_persona(c)
            text, products = self.write(persona, "other", NOISE, {}, plain=True)
            self.add(persona, self.rand_time(), text, "other", products)

        # 4. everyone else --------------------------------------------------------------------
        shop_replies = set(rng.sample(range(52), 4)) | {100 + i for i in rng.sample(range(37), 5)} \
            | {200 + i for i in rng.sample(range(35), 3)}
        plan = []
        plan += [("complaint", s) for s in ["checkout"] * 5 + ["price"] * 4 + ["capsules"] * 4
                 + ["gift"] * 2 + ["taste"] * 4 + ["service"] * 7]
        plan += [("question", s, 200 + i) for i, s in enumerate(
            ["grind_moka"] * 6 + ["islands"] * 5 + ["decaf"] * 4 + ["back_when"] * 4 +
            ["subscription"] * 4 + ["capsules"] * 5 + ["misc"] * 7)]
        plan += [("praise", s, i) for i, s in enumerate(
            ["taste"] * 30 + ["decaf"] * 4 + ["shipping"] * 7 + ["service"] * 4 + ["gear"] * 4
            + ["gift"] * 3)]
        plan += [("purchase_intent", s, 100 + i) for i, s in enumerate(
            ["buy"] * 22 + ["gear"] * 4 + ["gift"] * 4 + ["subscription"] * 3 + ["notify"] * 4)]
        plan += [("other", "noise")] * 80 + [("other", "shop")] * 3 + [("other", "reply")] * 5
        rng.shuffle(plan)
        plan.sort(key=lambda p: p[1] == "reply")  # replies last, so they have posts to answer
        noise_left = {"it": list(NOISE["it"]), "en": list(NOISE["en"])}
        for lang in noise_left:
            rng.shuffle(noise_left[lang])
        for entry in plan:
            intent, sub = entry[0], entry[1]
            slot = entry[2] if len(entry) > 2 else None
            lang = self.stranger_lang()
            persona = self.stranger(lang)
            lang = persona["lang"]
            t = self.rand_time()
            reply_to, reserve, prefix = None, 0, ""
            if slot in shop_replies:
                reply_to, prefix = self.shop_post_id(persona["net"], t), ""
                if persona["net"] in ("x", "mastodon"):
                    prefix = MENTION[persona["net"]] + " "
                    reserve = len(prefix)
            if intent == "other":
                if sub == "noise":
                    if not noise_left[lang]:
                        noise_left[lang] = list(NOISE[lang])
                    tpl = noise_left[lang].pop()
                    text, products = self.write(persona, "other", {lang: [tpl]}, {}, plain=True)
                elif sub == "shop":
                    text, products = self.write(persona, "other", NOISE_SHOP, {}, 0.5,
                                                plain=True)
                else:
                    same = [p for p in self.posts if p["network"] == persona["net"] and
                            self.truth[p["id"]]["intent"] == "other" and not p["in_reply_to"]
                            and p["author"] != persona["handle"] and p["lang"] == lang
                            and p["created_at"] < REF - dt.timedelta(hours=1)]
                    parent = pick(same)
                    reply_to = parent["id"]
                    t = between(parent["created_at"] + dt.timedelta(minutes=3),
                                min(REF, parent["created_at"] + dt.timedelta(hours=10)))
                    text, products = self.write(persona, "other", NOISE_REPLY, {}, plain=True,
                                                no_emoji=True)
                    if persona["net"] == "x" or persona["net"] == "mastodon":
                        text = f"@{parent['author']} {text}"
                self.add(persona, t, text, intent, products, reply_to=reply_to)
                continue
            vals = self.stranger_vals(intent, sub)
            table = {"complaint": COMPLAINT, "question": QUESTION, "praise": PRAISE,
                     "purchase_intent": INTENT}[intent]
            wrap = {"complaint": (C_OPEN, C_CLOSE), "question": (Q_OPEN, Q_CLOSE),
                    "praise": (P_OPEN, P_CLOSE), "purchase_intent": (I_OPEN, I_CLOSE)}[intent]
            pool = {"core": table[sub], "open": wrap[0], "close": wrap[1]}
            if intent == "complaint":
                pool["detail"] = C_DETAIL_STRANGER
            mention_p = {"complaint": 0.5, "question": 0.55, "praise": 0.4,
                         "purchase_intent": 0.3}[intent]
            if sub == "notify":
                mention_p = 0.7
            if prefix:
                mention_p = 0.0

            def ok(tpl, vals=vals, sub=sub):
                if "{P" in tpl and "P" not in vals:
                    return False
                if "{P2" in tpl and "P2" not in vals:
                    return False
                if sub == "decaf":
                    naive = "è un decaffeinato" in tpl or tpl.startswith("is {P}")
                    return naive == (vals["P"] not in DECAF)
                return not (sub == "misc" and "robusta" in tpl and vals["P"] not in
                            ("VESU", "BACE", "SCIR", "GRCR", "CLAS"))
            text, products = self.write(persona, intent, pool, vals, mention_p, ok,
                                        reserve=reserve)
            self.add(persona, t, prefix + text, intent, products, reply_to=reply_to)

    def stranger_vals(self, intent, sub):
        singular = [k for k in POPULAR if ALIASES[k].get("g") in ("m", "f")]
        if intent == "complaint":
            return {"price": {"P": pick(["VESU", "BACE", "KEAA", "NOTT", "CLAS", "ETYI"])},
                    "capsules": {"P": pick(CAPSULES)},
                    "gift": {"P": pick(["COFD", "COFM", "VESU", "KEAA", "NONN"])},
                    "taste": {"P": pick(["VESU", "SCIR", "SUMA", "BACE", "GRCR", "INMM"])},
                    }.get(sub, {})
        if intent == "question":
            return {"grind_moka": {"P": pick(["VESU", "NONN", "CLAS", "GUAN", "HOMA"])},
                    "decaf": {"P": pick(DECAF * 3 + ["BACE", "AURO", "SCIR"])},
                    "back_when": {"P": pick(sorted(OUT_OF_STOCK))},
                    "subscription": {"P": "ABBO"},
                    "capsules": {"P": pick(CAPSULES)},
                    "misc": {"P": pick(["ETYI", "KEAA", "AURO", "VESU", "BACE", "SCIR"])},
                    }.get(sub, {})
        if intent == "praise":
            return {"taste": {"P": pick(POPULAR)}, "decaf": {"P": pick(DECAF + ["NOTT"])},
                    "gear": {"P": pick(["MOKA", "MOIN", "GRIN", "DRIP", "LATT", "BILA"])},
                    "gift": {"P": pick(["COFD", "COFM"])}}.get(sub, {})
        k = {"buy": lambda: pick(singular + ["CNVE", "MOKA", "COFD"]),
             "gear": lambda: pick(["MOKA", "MOIN", "GRIN", "DRIP", "LATT", "BILA", "BARA"]),
             "gift": lambda: pick(["COFD", "COFM", "GIFT", "VESU"]),
             "subscription": lambda: "ABBO",
             "notify": lambda: pick(sorted(OUT_OF_STOCK))}[sub]()
        vals = {"P": k, "P2": pick([x for x in POPULAR if x != k])}
        return vals

    @staticmethod
    def shop_post_id(net, t):
        ts = t - dt.timedelta(minutes=rng.randint(20, 2880))
        if net == "x":
            return x_snowflake(ts)
        if net == "bluesky":
            return f"at://{SHOP['account_ids']['bluesky']}/app.bsky.feed.post/{bsky_tid(ts)}"
        return masto_snowflake(ts)

    @staticmethod
    def rand_time():
        lo, hi = REF - dt.timedelta(days=89), REF - dt.timedelta(minutes=5)
        for _ in range(12):
            t = hi - (hi - lo) * (rng.random() ** 1.2)
            t = t.replace(microsecond=0)
            if 6 <= t.hour <= 22:
                return t
        return t


# --- output -------------------------------------------------------------------------------------

def dump(obj):
    def conv(o):
        if isinstance(o, dt.datetime):
            return iso(o)
        if isinstance(o, dict):
            return {k: conv(v) for k, v in o.items() if not k.startswith("_")}
        if isinstance(o, list):
            return [conv(v) for v in o]
        return o
    return conv(obj)


def main(argv=None):
    global PKEY, KEY_OF
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    rng.seed(SEED)
    products, PKEY = make_products()
    KEY_OF = {p["id"]: k for k, p in PKEY.items()}
    customers = make_customers()
    orders = make_orders(customers, products, PKEY)
    posts = Posts(customers, orders)
    posts.plan()
    # a few more customers keep a social handle on their record without posting (~15% overall)
    quiet = [c for c in customers if not c["handles"]]
    for c in rng.sample(quiet, max(0, 48 - sum(1 for c in customers if c["handles"]))):
        net = rng.choices(NETS, [45, 30, 25])[0]
        lang = "it" if c["_origin"] == "it" else "en"
        c["handles"][net] = posts.new_handle(net, lang, c["first_name"], c["last_name"])
    post_list = sorted(posts.posts, key=lambda p: (p["created_at"], p["id"]))

    out = args.out
    out.mkdir(parents=True, exist_ok=True)

    def write_json(name, obj):
        (out / name).write_text(json.dumps(dump(obj), ensure_ascii=False, indent=1) + "\n",
                                encoding="utf-8")

    write_json("shop.json", SHOP)
    write_json("products.json", products)
    write_json("customers.json", customers)
    write_json("orders.json", orders)
    with (out / "posts.jsonl").open("w", encoding="utf-8", newline="\n") as fh:
        for p in post_list:
            fh.write(json.dumps(dump(p), ensure_ascii=False) + "\n")
    write_json("posts_truth.json", {p["id"]: posts.truth[p["id"]] for p in post_list})
    print(f"wrote {len(products)} products, {len(customers)} customers, {len(orders)} orders, "
          f"{len(post_list)} posts to {out}")


PKEY: dict = {}
KEY_OF: dict = {}

if __name__ == "__main__":
    main()
