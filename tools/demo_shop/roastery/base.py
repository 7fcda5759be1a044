"""The demo roastery's fixed facts and small helpers: the one seeded random generator every
module draws from (in the same order as always, so the files come out byte-identical), the shop,
formatting of money and dates."""
from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from ..common import REFERENCE_NOW

SEED = 20261123
UTC = dt.UTC
REF = REFERENCE_NOW
DEFAULT_OUT = Path(__file__).resolve().parents[3] / "plugin" / "arrosto" / "demo" / "data"

rng = random.Random(SEED)

# what the drafts answer common questions with (the FAQ the owner fills in the admin)
FAQ = [
    {"keywords": ["moka", "macinatura", "grind", "moka pot"],
     "it": ("Per la moka prendi la macinatura «Moka»: è un po' più grossa dell'espresso, così "
            "l'acqua passa bene e il caffè non brucia. Non pressare il caffè nel filtro."),
     "en": ('For a moka pot take the "Moka" grind: a little coarser than espresso, so the water '
            "flows well and the coffee doesn't scorch. Don't tamp it into the basket.")},
    {"keywords": ["sicilia", "sardegna", "isole", "sicily", "sardinia", "trapani", "nuoro",
                  "islands", "isola"],
     "it": ('Spediamo in tutta Italia isole comprese, senza costi in più: in Sicilia e Sardegna '
            'di solito 3-4 giorni lavorativi.'),
     "en": ('We ship all over Italy, islands included, at no extra cost: Sicily and Sardinia '
            'usually take 3-4 working days.')},
    {"keywords": ["germania", "germany", "estero", "abroad", "europa", "europe", "monaco",
                  "ship to"],
     "it": ("Sì, spediamo in tutta l'Unione europea: in Germania arriva in 4-6 giorni lavorativi."),
     "en": ('Yes, we ship across the EU: Germany takes 4-6 working days.')},
    {"keywords": ["abbonamento", "subscription", "pausa", "pause", "disdire", "cancel"],
     "it": ("L'abbonamento si mette in pausa o si disdice quando vuoi, dal tuo account, senza "
            'penali.'),
     "en": ("You can pause or cancel the subscription at any time from your account, with no "
            "fee.")},
    {"keywords": ["negozio fisico", "negozio", "physical shop", "store", "shop in person"],
     "it": ("Oltre all'online ci trovi in torrefazione, aperti dal martedì al sabato, 9-19."),
     "en": ('Besides the online shop you can find us at the roastery, Tuesday to Saturday, '
            '9am-7pm.')},
    {"keywords": ["fattura", "invoice", "iva", "vat"],
     "it": ('La fattura la scarichi dal tuo account; se ti serve con partita IVA, scrivici in '
            'privato i dati e la emettiamo noi.'),
     "en": ('You can download the invoice from your account; if you need a VAT invoice, send us '
            "your details privately and we'll issue it.")},
]

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
    "support_email": "ciao@brace-caffe.example",
    "faq": FAQ,
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


PKEY: dict = {}
KEY_OF: dict = {}
