"""What a case says about its order: order numbers written in posts and direct messages
(``#1001``, ``ordine n. 1001``, ``order no. 1001``, ``n°1001``, prefixed names such as
``#BR1001``, WooCommerce ids), e-mails in direct messages, what the complaint is about (late,
stuck in transit, failed delivery, cancelled, partly shipped, damaged, refund), the wait the
author describes, and the readings of the author's name and handle."""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ...models import Case, Post, utcnow
from ...text import fold
from .names import LETTERS, NameGuess, Vocabulary, handle_key, name_guesses

# --- order numbers in text ------------------------------------------------------------------------

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@[\w.\-]+(?:@[\w.\-]+)?")
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_PHONE = re.compile(r"(?:\+\d{1,3}[\s.\-]?)?(?<!\d)\d{2,4}(?:[\s.\-]?\d{2,4}){2,4}(?!\d)")
_DATE = re.compile(r"\b\d{1,4}[/\-.]\d{1,2}[/\-.]\d{1,4}\b|\b\d{1,2}/\d{1,2}\b")
_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")
_DECIMAL = re.compile(r"\b\d+[.,]\d+\b")
_MONEY = re.compile(r"(?:€|\$|£|eur\b|euro\b|chf\b)\s?\d+|\d+\s?(?:€|\$|£)")
_POSTCODE = re.compile(r"\b(?:cap|zip|postcode|post code|codice postale|plz)\.?\s?:?\s?\d{4,5}\b")
_ADDRESS = re.compile(r"\b(?:via|viale|piazza|corso|street|st\.|road|rd\.|strasse)\s+"
                      r"(?:[a-z]+\s){1,3}\d{1,4}\b")
_OTHER_SHOP = re.compile(r"\b(?:amazon|ebay|zalando|temu|aliexpress|shein|ikea|lidl|esselunga|"
                         r"carrefour|conad|decathlon|mediaworld|unieuro|glovo|deliveroo|"
                         r"just ?eat|un altro (sito|negozio)|another (shop|store|site))\b")
_ALNUM = re.compile(r"\b(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{9,}\b")
_MARKER = (r"(?:ordine|ordinazione|ord\.|order|commande|bestellung|bestellnummer|pedido|"
           r"acquisto|purchase)")
_NUMWORD = r"(?:n[.°o]?\s?°?|nr\.?|no\.?|num\.?|numero|number|nummer|#)"
_STRONG = [
    re.compile(_MARKER + r"\s*(?:(?:e|is|was|:|-)\s*(?:il|the)?\s*)?(?:" + _NUMWORD
               + r"\s*)?#?\s?(\d{3,9})\b"),
    re.compile(r"(?<![\w&#])#\s?(\d{3,9})\b"),
    re.compile(r"(?<![\w])(?:n°|nº|n\.|nr\.?|no\.|n\s°)\s?(\d{3,9})\b"),
]
_PREFIXED = re.compile(r"(?<![a-z0-9])#?\s?([a-z]{1,4})[\-\s]?(\d{3,9})\b")
_BARE = re.compile(r"(?<![\w#.,/:\-])(\d{3,9})\b(?![.,]\d)")
_UNIT = re.compile(
    r"\s?(?:kg|g|gr|grammi|grams?|mg|l|ml|cl|m|mt|metri|meters?|metres?|km|mi|miles|passi|"
    r"steps|pz|pezzi|pcs|pieces|x|capsule|capsules|cialde|pods|tazze|tazzine|cups?|bustine|"
    r"sacchetti|bags?|giorni|giorno|gg|days?|ore|hours?|h|min|minuti|minutes|sec|settimane|weeks?|"
    r"mesi|months?|anni|years?|%|€|eur|euro|euros|°|cm|mm|w|watt|bar|persone|people|volte|times|"
    r"punti|points|followers?|likes?|calorie|kcal|mq|m2|abitanti|km/h|rpm|ml)\b")


@dataclass(frozen=True)
class NumberMention:
    """An order number as written: ``value`` (digits) or ``name_key`` ("br1001")."""

    raw: str
    value: int | None
    name_key: str | None
    strong: bool
    in_dm: bool


def _mask(text: str) -> str:
    def blank(m: re.Match[str]) -> str:
        return " " * len(m.group(0))

    for pattern in (_URL, _EMAIL, _MENTION, _MONEY, _DATE, _TIME, _DECIMAL, _POSTCODE, _ADDRESS,
                    _ALNUM):
        text = pattern.sub(blank, text)
    # a phone number is a long run of digit groups; an order number is one group
    return _PHONE.sub(lambda m: blank(m) if sum(c.isdigit() for c in m.group(0)) >= 9
                      else m.group(0), text)


def _followed_by_unit(text: str, end: int) -> bool:
    return _UNIT.match(text, end) is not None


def _is_year(value: int) -> bool:
    return 1950 <= value <= 2039


def find_order_numbers(text: str, *, prefixes: Iterable[str] = (), in_dm: bool = False
                       ) -> list[NumberMention]:
    """The order numbers a text quotes, strong (written as an order number) or weak (a bare
    number); quantities, prices, years, dates, phone numbers and tracking codes are skipped."""
    folded = _mask(fold(text))
    found: dict[tuple[int | None, str | None], NumberMention] = {}
    taken: set[int] = set()
    prefix_set = {p.lower() for p in prefixes}
    if prefix_set:
        for m in _PREFIXED.finditer(folded):
            if m.group(1) in prefix_set and not _followed_by_unit(folded, m.end()):
                key = (None, m.group(1) + m.group(2))
                found.setdefault(key, NumberMention(m.group(0).strip(), int(m.group(2)),
                                                    key[1], True, in_dm))
                taken.update(range(m.start(2), m.end(2)))
    for pattern in _STRONG:
        for m in pattern.finditer(folded):
            if m.start(1) in taken or _followed_by_unit(folded, m.end(1)):
                continue
            value = int(m.group(1))
            # "ordine 4521 su Amazon" is another shop's order: keep it only as a weak hint
            other = _OTHER_SHOP.search(folded, max(m.start() - 40, 0), m.end() + 40)
            found.setdefault((value, None), NumberMention(m.group(0).strip(), value, None,
                                                          other is None, in_dm))
            taken.update(range(m.start(1), m.end(1)))
    for m in _BARE.finditer(folded):
        if m.start(1) in taken or _followed_by_unit(folded, m.end(1)):
            continue
        value = int(m.group(1))
        if _is_year(value) or (value, None) in found:
            continue
        found[(value, None)] = NumberMention(m.group(1), value, None, False, in_dm)
    return list(found.values())


def find_emails(text: str) -> set[str]:
    return {e.lower().rstrip(".") for e in _EMAIL.findall(text)}


# --- what the complaint is about ------------------------------------------------------------------

_TOPICS: dict[str, re.Pattern[str]] = {name: re.compile(pattern) for name, pattern in {
    "not_shipped": r"non (e |e' )?(ancora )?(stato |stata )?(spedit|partit|evas)|mai spedit|"
                   r"ancora da (evadere|spedire)|nessuna (mail|email|e-mail|notifica) di "
                   r"spedizione|quando (parte|partira|spedite|lo spedite)|da evadere|"
                   r"(hasn't|has not|not|never|yet to be|isn't|is not) (been )?(yet )?shipped|"
                   r"ever going to ship|still (hasn't|has not|not) (been )?(shipped|sent)|"
                   r"unfulfilled|not (been )?dispatched|no shipping (email|confirmation)|"
                   r"ships in 24|spedizione in 24|ancora in lavorazione|still processing|"
                   r"still waiting for (my|the) order|aspetto ancora|pas encore (ete )?expedi|"
                   r"noch nicht versendet|is on day|e li da|zero aggiornamenti|"
                   r"nessun aggiornamento|no updates|no news",
    "in_transit": r"tracciamento|tracking|traccia|tracciabilita|\bferm[oa]\b|bloccat|stuck|"
                  r"in transito|in transit|\bhub\b|centro di smistamento|non si aggiorna|"
                  r"hasn't moved|has not moved|not moving|no updates|zero aggiornamenti|"
                  r"l'ha perso|perso il pacco|lost (my|the) (parcel|package)|"
                  r"where is my (parcel|package)|dov'e il (mio )?pacco",
    "failed": r"consegna fallita|delivery failed|failed delivery|indirizzo non trovato|"
              r"address not found|tentata consegna|returned to sender|rimandato indietro|"
              r"never showed up|mai passato|non e mai passato|giacenza|couldn't deliver",
    "cancelled": r"annullat|cancellat|cancelled|canceled|annule|storniert",
    "partial": r"\bmanca\b|mancava|mancano|mancante|missing|solo meta|only half|incomplet|"
               r"non c'e|non c e|wasn't (there|in the box)|was not (there|in the box)|"
               r"not in the (box|parcel)",
    "not_arrived": r"(?:non|mai|ancora non)\s+(?:(?:mi|ci|me|e|e'|sono|sei|ancora|piu)\s+)*"
                   r"(?:arrivat|ricevut|consegnat|giunt)|"
                   r"(?:not|never|hasn't|has not|haven't|have not|didn't|did not|still not)\s+"
                   r"(?:yet\s+)?(?:been\s+)?(?:arrived|arrive|received|receive|delivered|here)|"
                   r"still (?:waiting|not here)|where is my order|dov'e il mio ordine",
    "damaged": r"\brott[oaie]|ammaccat|bucat|damaged|broken|dented|leaking|wrong grind|"
               r"invece che|invece di|instead of|sapeva di vecchio|stantio|\bstale\b|rancid|"
               r"sbagliat|\bwrong\b|difettos|defective|non funziona|doesn't work",
    "received": r"aperto il pacco|arrivat|ricevut|\barrived|received|opened the",
    "refund": r"rimbors|refund|\breso\b|\brendere\b|return it",
}.items()}
_DAYS = re.compile(r"(?:da|from|for|since|dopo|after|sono|siamo a|it's been|been|a)?\s?"
                   r"(\d{1,2})\s?(?:giorni|gg|days|giorno|day)\b|"
                   r"(?:giorno|day)\s?(\d{1,2})\b")


def find_topics(text: str) -> set[str]:
    """What the complaint is about: not shipped, in transit, failed, cancelled, partial,
    not arrived, received (damaged or wrong), refund."""
    folded = fold(text)
    found = {name for name, pattern in _TOPICS.items() if pattern.search(folded)}
    if "damaged" in found or ("received" in found and "not_arrived" not in found):
        found.add("received")
    else:
        found.discard("received")  # "non mi è arrivato" is not a parcel received
    found.discard("damaged")
    return found


def find_stated_days(text: str) -> int | None:
    """The wait the author describes ("fermo da 8 giorni", "day 15"), the longest if several."""
    values = [int(a or b) for a, b in _DAYS.findall(fold(text))]
    values = [v for v in values if 1 <= v <= 90]
    return max(values) if values else None



def order_name_key(name: str) -> str:
    """An order name as the index keys it: "#BR-1001" -> "br1001"."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


# --- signals of a case ----------------------------------------------------------------------------

class Known(Vocabulary, Protocol):
    """What reading a case needs of the index: its names and its order-name prefixes."""

    name_prefixes: set[str]


@dataclass
class Signals:
    network: str
    handle: str
    author_id: str
    author_name: str
    numbers: list[NumberMention]
    emails: set[str]
    topics: set[str]
    stated_days: int | None
    words: set[str]
    product_ids: set[int]
    first_at: float
    last_at: float
    guesses: list[NameGuess] = field(default_factory=list)
    clear_name: bool = False


def is_dm(post: Post | Any) -> bool:
    return getattr(post, "source", None) == "dm" or bool(getattr(post, "is_dm", False))


def extract_signals(case: Case | Any, posts: Sequence[Post | Any], index: Known,
                    products: Iterable[int] = ()) -> Signals:
    own = [p for p in posts if not getattr(p, "is_own", False)] or list(posts)
    numbers: dict[tuple[int | None, str | None], NumberMention] = {}
    emails: set[str] = set()
    texts = []
    for post in own:
        dm = is_dm(post)
        texts.append(post.text or "")
        for m in find_order_numbers(post.text or "", prefixes=index.name_prefixes, in_dm=dm):
            key = (m.value, m.name_key)
            if key not in numbers or (m.strong and not numbers[key].strong):
                numbers[key] = m
        if dm:
            emails |= find_emails(post.text or "")
    text = "\n".join(texts)
    times = [p.created_at.timestamp() for p in own if p.created_at is not None]
    author_name = next((p.author_name for p in reversed(own) if p.author_name), None) \
        or getattr(case, "author_name", None) or ""
    signals = Signals(
        network=case.network, handle=handle_key(case.author_handle), author_id=case.author_id,
        author_name=author_name, numbers=list(numbers.values()), emails=emails,
        topics=find_topics(text), stated_days=find_stated_days(text),
        words=set(LETTERS.findall(fold(_URL.sub(" ", _MENTION.sub(" ", text))))),
        product_ids=set(products),
        first_at=min(times) if times else utcnow().timestamp(),
        last_at=max(times) if times else utcnow().timestamp())
    signals.guesses, signals.clear_name = name_guesses(author_name, signals.handle, index)
    return signals


