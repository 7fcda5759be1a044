"""How listening reads posts and terms: lower-case, accent-folded ASCII words (one encode and
one translate a post), and the domain's word lists: stop words, words too generic or too everyday
to name a product, names that need context, the words that give it, places in both languages and
the category words customers write on either side of a name."""
from __future__ import annotations

import re
from collections.abc import Iterable

from ..text import fold

# --- normalisation -------------------------------------------------------------------------------

_CAMEL = re.compile(r"([a-zà-ÿ])([A-Z])")


def _fold_bytes() -> bytes:
    """Latin-1 bytes → the one ASCII letter or digit :func:`arrosto.text.fold` makes of them
    ('È' → 'e'), everything else a space."""
    table = bytearray(b" " * 256)
    for code in range(256):
        folded = fold(chr(code))
        if len(folded) == 1 and folded.isascii() and folded.isalnum():
            table[code] = ord(folded)
    return bytes(table)


_FOLD_BYTES = _fold_bytes()


def ascii_bytes(text: str) -> bytes:
    """Lower-case ASCII letters and digits, everything else spaces: accents folded away
    ('Tarrazú' → 'tarrazu'; Latin-1 letters, the alphabets of the shop's languages), emoji and
    other scripts dropped. One encode and one translate: this runs on every post."""
    return text.encode("latin-1", "ignore").translate(_FOLD_BYTES)


def words(text: str) -> list[str]:
    """Lower-case, accent-folded words, as posts are read: "#Caffè l'MN-1" → ['caffe', 'l',
    'mn', '1']. Hashtags lose their '#', hyphens and underscores split, punctuation and spacing
    fold away. camelCase stays one word ('AeroPress' → 'aeropress'), as in posts."""
    return ascii_bytes(text).decode().split()


def split_camel(text: str) -> str:
    """'MiscelaVesuvio' → 'Miscela Vesuvio': a title is also matched with its camelCase split
    (a post's '#MiscelaVesuvio' matches the term's hashtag form instead)."""
    return _CAMEL.sub(r"\1 \2", text)


def key_words(text: str) -> list[str]:
    """A term's words: :func:`words` without the stop words at either end ('la miscela
    Vesuvio' → ['miscela', 'vesuvio']); inside a name they stay ('tazza da cappuccino')."""
    found = words(text)
    start, end = 0, len(found)
    while start < end and found[start] in STOP_WORDS:
        start += 1
    while end > start and found[end - 1] in STOP_WORDS:
        end -= 1
    return found[start:end]


def content(tokens: Iterable[str]) -> list[str]:
    """The words that carry meaning: no stop words."""
    return [t for t in tokens if t not in STOP_WORDS]


def normalize(text: str) -> str:
    """A term's stored form, the way posts are read: its words joined by single spaces."""
    return " ".join(key_words(text))


def hashtag_form(term: str) -> str:
    """'miscela vesuvio' → 'miscelavesuvio', how the term is written as a hashtag."""
    return term.replace(" ", "")


def _wordlist(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- the domain's word lists ---------------------------------------------------------------------

STOP_WORDS = _wordlist("""
il lo la i gli le l un uno una di del dello della dei degli delle d da dal dallo dalla dai dagli
dalle in nel nello nella nei negli nelle su sul sullo sulla sui sugli sulle con col coi per tra
fra a al allo alla ai agli alle all dall dell nell sull e ed o od ma che chi cui non ne si mi ti
ci vi se come anche piu gia sono sei siamo siete ho hai ha abbiamo avete hanno era ero mio mia
miei mie tuo tua tuoi tue suo sua suoi sue nostro nostra vostro vostra loro questo questa questi
queste quello quella quelli quelle c po sto sta stai poi cosi qui li la

the a an and or but of to in on at by for with from as is are was were be been being it its
this that these those i me my we our you your he she they them their his her not no so if then
than too very just do does did have has had will would can could should about into s t ll re ve
m d im ive
""")

# Too generic to mean one product, alone or as the only words of a term (a curated list for
# coffee shops; the catalog adds its own through the attribute and share rules below).
GENERIC_WORDS = _wordlist("""
caffe coffee coffees cafe espresso espressi moka miscela miscele blend blends grani grano chicchi
beans bean whole macinato macinata macinati macinatura ground grind filtro filter capsule capsula
capsules pod pods cialde cialda compatibili compatibile compatible decaffeinato decaffeinata decaf
deca dek arabica robusta monorigine monorigini origine origin single tostatura tostato tostata
roast roasted chiara chiaro media medio scura scuro light medium dark torrefazione biologico
biologica bio organic naturale lavato washed bag bags sacchetto sacchetti confezione pack lattina
tin kg g gr grammi grams ml l lt cl mm cm pz pezzi pcs x mese mesi month tazze cups nero nera
bianco bianca rosso rossa blu verde giallo grigio black white red blue green grey gray sabbia
terracotta piccolo piccola grande small large xl xs unico unica size taglia offerta sconto sale
saldi nuovo nuova new edizione limitata limited edition regalo gift natale christmas set kit
accessori accessorio attrezzatura equipment ricambi spare esaurito arrivo disponibile spedizione
gratuita free shipping made italy ricambio filtri italia italiano italiana prodotto product pack
""")

# Everyday words: never a term on their own ('bar', 'casa', 'crema'); with other words they make
# a phrase that needs context ('bar centrale', 'nonna rosa').
EVERYDAY_WORDS = _wordlist("""
bar casa home gran grand grande dolce gusto modo mano hand collo costa rica crema cream rosa rose
nonna nonno tazza cup mug carta card paper box mattino mattina morning sera evening classica
classico classic tradizione tradizionale tradition natural manuale manual timer stile style forte
strong intenso intensa intense special speciale premium selezione selection riserva reserve sole
sun mare sea stella star luna moon vento wind central centrale cappuccino latte milk honey miele
fatto alba oro gold delicato delicata dawn morning buono buona good best
""")

# Names that are also everyday words or places: a term made only of these (and everyday words)
# is ambiguous and needs context ('vesuvio', 'kenya', 'notte', 'bilancia').
COMMON_WORDS = _wordlist("""
vesuvio vesuvius etna stromboli napoli naples sicilia sicily roma rome milano venezia firenze
capri amalfi sardegna puglia etiopia ethiopia kenya kenia colombia brasile brazil guatemala
antigua sumatra java giava india honduras peru nicaragua messico mexico panama ruanda rwanda
burundi tanzania uganda yemen jamaica giamaica hawaii cuba bolivia ecuador salvador congo
indonesia vietnam papua guinea africa america asia latina
brace embers notte night aurora tramonto sunset scirocco maestrale tramontana bora mistral
geisha raccolto harvest cremoso cremosa supremo excelso
tazzina tazzine lattiera jug pitcher bollitore kettle bilancia scale barattolo canister jar
guarnizione gasket dripper cono cone conico macinacaffe macinino grinder cofanetto abbonamento
subscription degustazione tasting sottovuoto inox acciaio steel ceramica ceramic gres porcellana
vetro glass cigno induzione elettrico elettrica
""")

# Words that make an ambiguous term count when nearby (or anywhere, for the shop's own name).
CONTEXT_WORDS = _wordlist("""
caffe coffee coffees espresso espressi moka miscela miscele blend blends torrefazione roastery
roaster roast roasted tostatura tostato tostata capsule capsula capsules pod pods cialde cialda
grani chicchi beans bean macinato macinatura grind ground decaf deca dek decaffeinato
decaffeinata arabica robusta monorigine crema cappuccino latte v60 aeropress chemex pourover
filtro filter sacchetto bag bags ordine ordini ordinato ordino riordino ordinare order orders
ordered reorder carrello cart
""")

# Places written in the other language by the shop's customers ('the Vesuvius blend').
PLACE_NAMES = {"etiopia": "ethiopia", "brasile": "brazil", "messico": "mexico",
               "ruanda": "rwanda", "vesuvio": "vesuvius", "giamaica": "jamaica",
               "giava": "java", "napoli": "naples", "sicilia": "sicily"}
PLACE_NAMES.update({en: it for it, en in list(PLACE_NAMES.items())})

# A category word at either end of a name, and how customers also write it after the name
# ('Miscela Vesuvio' → 'vesuvio blend', 'Colombia Decaffeinato' → 'colombia deca') or before
# it ('box degustazione', 'organic peru').
HEAD_WORDS: dict[str, tuple[str, ...]] = {
    "miscela": ("blend",), "decaffeinato": ("decaf", "deca", "dek"),
    "capsule": ("capsules", "pods"), "cialde": ("pods",), "biologico": ("bio",), "cofanetto": ()}
HEAD_WORDS_BEFORE: dict[str, tuple[str, ...]] = {"biologico": ("organic",), "cofanetto": ("box",)}
FLIP_HEADS = frozenset({"decaffeinato", "biologico"})  # adjectives: either side of the name
VARIANT_WORDS = frozenset(w for table in (HEAD_WORDS, HEAD_WORDS_BEFORE)
                          for words in table.values() for w in words)


def is_context_word(word: str) -> bool:
    return word in CONTEXT_WORDS or word.startswith(("caffe", "coffee", "espresso"))

