"""The promotion's texts, in the person's language (Italian or English): substance first.

Every message says what is on offer, the price or discount and until when, gives one useful tip
from the product's description (its first sentence that reads like advice, or the owner's own
tip), links the product with UTM parameters (``utm_source=arrosto``, ``utm_medium=<network>``,
``utm_campaign=<promotion id>``), gives the code, and — to a person — the way to stop ("reply
STOP" / "rispondi STOP"). It fits the network's length limit: the tip goes first, then the end
date, then a shorter template; what still does not fit is reported for the owner to shorten.

Plus one public announcement for the shop's own account, with no @mentions, checked by the
never-public check like every public message.

Templates are Jinja rendered in the sandbox of :mod:`arrosto.outbox.render`; the owner's
versions (``Shop.settings["promotion_templates"]``, same keys) win, and one that fails to render
falls back to the default, with the reason kept.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..models import Product, Promotion, Shop
from ..outbox.consent import NOTIFY_WORDS
from ..outbox.public import PersonalDataInPublic, Private, check_public
from ..outbox.render import language, price_text, render_owned
from ..social import length_rule

STOP_WORD = "STOP"

# Variables: shop_name, product (title, url), promotion_title, restock (back in stock, no
# discount), offer ("sconto del 20%", "da 12,90 € a 9,90 €") or None, price or None, until
# ("30 novembre") or None, code or None, tip or None, link (with UTM), stop_word, invite (the
# word that makes a watcher, for someone who asked for the product back, else None).
DEFAULTS: dict[str, str] = {
    # --- Italian ----------------------------------------------------------------------------------
    "it/outreach.watcher":
        "{% if restock %}{{ product.title }} è di nuovo disponibile"
        "{% if price %} a {{ price }}{% endif %}"
        "{% else %}{{ product.title }} è in offerta{% if offer %}: {{ offer }}{% endif %}"
        "{% if until %} fino al {{ until }}{% endif %}{% endif %}"
        "{% if code %}, con il codice {{ code }}{% endif %}. "
        "{% if tip %}{{ tip }} {% endif %}{{ link }} "
        "Ce l'avevi chiesto tu; rispondi {{ stop_word }} per non ricevere altro.",
    "it/outreach.engaged":
        "Grazie di averci scritto! "
        "{% if restock %}{{ product.title }} è di nuovo disponibile"
        "{% if price %} a {{ price }}{% endif %}"
        "{% else %}{{ product.title }} è in offerta{% if offer %}: {{ offer }}{% endif %}"
        "{% if until %} fino al {{ until }}{% endif %}{% endif %}"
        "{% if code %}, con il codice {{ code }}{% endif %}. "
        "{% if tip %}{{ tip }} {% endif %}{{ link }} "
        "{% if invite %}Rispondi «{{ invite }}» e ti avvisiamo anche la prossima volta; {% endif %}"
        "{% if invite %}rispondi{% else %}Rispondi{% endif %} {{ stop_word }} per non ricevere "
        "altro.",
    "it/outreach.owner":
        "Ciao! Avevi parlato di {{ product.title }}: "
        "{% if restock %}è di nuovo disponibile{% if price %} a {{ price }}{% endif %}"
        "{% else %}è in offerta{% if offer %}, {{ offer }}{% endif %}"
        "{% if until %} fino al {{ until }}{% endif %}{% endif %}"
        "{% if code %}, con il codice {{ code }}{% endif %}. "
        "{% if tip %}{{ tip }} {% endif %}{{ link }} "
        "{% if invite %}Rispondi «{{ invite }}» e ti avvisiamo anche la prossima volta. "
        "{% endif %}Se preferisci non ricevere messaggi, rispondi {{ stop_word }}.",
    "it/outreach.short":
        "{{ product.title }}: {% if restock %}di nuovo disponibile{% else %}in offerta"
        "{% if offer %}, {{ offer }}{% endif %}{% endif %}"
        "{% if code %}, codice {{ code }}{% endif %}. {{ link }} "
        "Rispondi {{ stop_word }} per non ricevere altro.",
    "it/announcement":
        "{% if restock %}{{ product.title }} è di nuovo disponibile"
        "{% if price %} a {{ price }}{% endif %}"
        "{% else %}{{ promotion_title }}: {% if offer %}{{ offer }} su {% endif %}"
        "{{ product.title }}{% if until %} fino al {{ until }}{% endif %}{% endif %}"
        "{% if code %}, con il codice {{ code }}{% endif %}. "
        "{% if tip %}{{ tip }} {% endif %}{{ link }}",
    # --- English ----------------------------------------------------------------------------------
    "en/outreach.watcher":
        "{% if restock %}{{ product.title }} is back in stock"
        "{% if price %} at {{ price }}{% endif %}"
        "{% else %}{{ product.title }} is on sale{% if offer %}: {{ offer }}{% endif %}"
        "{% if until %} until {{ until }}{% endif %}{% endif %}"
        "{% if code %}, with the code {{ code }}{% endif %}. "
        "{% if tip %}{{ tip }} {% endif %}{{ link }} "
        "You asked us to tell you; reply {{ stop_word }} to stop.",
    "en/outreach.engaged":
        "Thanks for writing to us! "
        "{% if restock %}{{ product.title }} is back in stock"
        "{% if price %} at {{ price }}{% endif %}"
        "{% else %}{{ product.title }} is on sale{% if offer %}: {{ offer }}{% endif %}"
        "{% if until %} until {{ until }}{% endif %}{% endif %}"
        "{% if code %}, with the code {{ code }}{% endif %}. "
        "{% if tip %}{{ tip }} {% endif %}{{ link }} "
        "{% if invite %}Reply \"{{ invite }}\" and we'll tell you next time too; {% endif %}"
        "{% if invite %}reply{% else %}Reply{% endif %} {{ stop_word }} to stop.",
    "en/outreach.owner":
        "Hi! You mentioned {{ product.title }}: "
        "{% if restock %}it's back in stock{% if price %} at {{ price }}{% endif %}"
        "{% else %}it's on sale{% if offer %}, {{ offer }}{% endif %}"
        "{% if until %} until {{ until }}{% endif %}{% endif %}"
        "{% if code %}, with the code {{ code }}{% endif %}. "
        "{% if tip %}{{ tip }} {% endif %}{{ link }} "
        "{% if invite %}Reply \"{{ invite }}\" and we'll tell you next time too. {% endif %}"
        "If you'd rather not hear from us, reply {{ stop_word }}.",
    "en/outreach.short":
        "{{ product.title }}: {% if restock %}back in stock{% else %}on sale"
        "{% if offer %}, {{ offer }}{% endif %}{% endif %}"
        "{% if code %}, code {{ code }}{% endif %}. {{ link }} "
        "Reply {{ stop_word }} to stop.",
    "en/announcement":
        "{% if restock %}{{ product.title }} is back in stock"
        "{% if price %} at {{ price }}{% endif %}"
        "{% else %}{{ promotion_title }}: {% if offer %}{{ offer }} on {% endif %}"
        "{{ product.title }}{% if until %} until {{ until }}{% endif %}{% endif %}"
        "{% if code %}, with the code {{ code }}{% endif %}. "
        "{% if tip %}{{ tip }} {% endif %}{{ link }}",
}
AUDIENCES = ("watcher", "engaged", "owner")

MONTHS = {
    "it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
           "settembre", "ottobre", "novembre", "dicembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}

# a sentence reads like advice when it has one of these (lower case): a recommendation or an
# imperative — "ideale per un espresso" describes, "macina fine" advises
ADVICE = {
    "it": ("consiglio", "consigliamo", "prova ", "provalo", "provala", "conserva", "macina",
           "riempi", "parti da", "usa ", "usalo", "servi", "tieni", "per l'espresso macina",
           "ricorda", "non pressare", "scalda"),
    "en": ("tip:", "we recommend", "try ", "store ", "keep ", "grind", "use ", "brew", "serve",
           "start with", "remember", "don't tamp", "warm "),
}
MAX_TIP = 160
_COMMON_WORDS = {
    "it": "il lo la le gli un una di del della che per con non è e più sono",
    "en": "the a an of and to for with is are it this that you your in on",
}
_LANG_WORDS = {lang: frozenset(words.split(" ")) for lang, words in _COMMON_WORDS.items()}


@dataclasses.dataclass
class Text:
    text: str
    lang: str
    length: int
    problems: list[str]


# --- facts ----------------------------------------------------------------------------------------

def utm_link(url: str, network: str, promotion_id: int) -> str:
    """``url`` with ``utm_source=arrosto``, ``utm_medium=<network>``, ``utm_campaign=<id>``
    (any UTM parameters it had replaced, its other parameters kept)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.startswith("utm_")]
    query += [("utm_source", "arrosto"), ("utm_medium", network),
              ("utm_campaign", str(promotion_id))]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def product_url(shop: Shop, product: Product) -> str | None:
    if product.url:
        return product.url
    base = shop.store_url or (f"https://{shop.domain}" if shop.domain else None)
    if base and product.handle:
        return f"{base.rstrip('/')}/products/{product.handle}"
    return base


def guess_language(text: str) -> str | None:
    words = re.findall(r"[a-zà-ù']+", text.lower())
    scores = {lang: sum(w in common for w in words) for lang, common in _LANG_WORDS.items()}
    best = max(scores, key=scores.get)
    return best if scores[best] >= 2 and scores[best] > min(scores.values()) else None


def useful_tip(description: str | None, lang: str) -> str | None:
    """The description's first sentence that reads like advice, in the message's language
    (a tip in another language is left out), at most ``MAX_TIP`` characters."""
    if not description:
        return None
    text = html.unescape(re.sub(r"<[^>]+>", " ", description))
    text = " ".join(text.split())
    if guess_language(text) not in (lang, None):
        return None
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-ZÀ-Ý])", text)
    for sentence in sentences:
        folded = sentence.lower().replace("’", "'")
        if any(cue in f"{folded} " for cue in ADVICE[lang]) and len(sentence) <= MAX_TIP:
            tip = sentence.strip()
            return tip if tip.endswith((".", "!", "?")) else tip + "."
    return None


def offer_text(promotion: Promotion, lang: str, currency: str) -> str | None:
    """The promotion's value as a person says it: "sconto del 20%" / "20% off", "da 12,90 € a
    9,90 €" / "from €12.90 to €9.90", an amount off; anything else as the trigger wrote it."""
    value = (promotion.value or "").strip()
    if not value:
        return None
    if value.endswith("%"):
        number = value.rstrip("%").strip().lstrip("-")
        return f"sconto del {number}%" if lang == "it" else f"{number}% off"
    if "→" in value:
        before, after = (part.strip() for part in value.split("→", 1))
        old, new = _amount(before), _amount(after)
        if old is not None and new is not None:
            old_text, new_text = price_text(old, currency, lang), price_text(new, currency, lang)
            return f"da {old_text} a {new_text}" if lang == "it" else \
                f"from {old_text} to {new_text}"
        return value
    amount = _amount(value)
    if amount is not None:
        off = price_text(amount, currency, lang)
        return f"{off} di sconto" if lang == "it" else f"{off} off"
    return value


def _amount(text: str) -> Decimal | None:
    match = re.search(r"\d+(?:[.,]\d{1,2})?", text)
    if not match:
        return None
    try:
        return Decimal(match.group().replace(",", "."))
    except InvalidOperation:
        return None


def until_text(promotion: Promotion, shop: Shop, lang: str) -> str | None:
    """The last day of the sale in the shop's time zone: "30 novembre" / "30 November"."""
    if promotion.ends_at is None:
        return None
    try:
        zone = ZoneInfo(shop.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = promotion.ends_at.astimezone(zone)
    if local.hour == 0 and local.minute == 0:  # "until midnight" is the day before's end
        local -= dt.timedelta(minutes=1)
    return f"{local.day} {MONTHS[lang][local.month - 1]}"


def context(shop: Shop, promotion: Promotion, product: Product, lang: str, network: str
            ) -> dict[str, Any]:
    """Public facts only: the shop, the product, the promotion."""
    restock = promotion.source == "back_in_stock" and not promotion.code
    tips = (shop.settings or {}).get("tips") or {}
    url = product_url(shop, product)
    return {
        "shop_name": shop.name, "promotion_title": promotion.title, "restock": restock,
        "product": {"title": product.title if len(product.title) <= 60
                    else product.title[:57] + "…", "url": url},
        "offer": None if restock else offer_text(promotion, lang, shop.currency),
        "price": price_text(product.price, shop.currency, lang),
        "until": until_text(promotion, shop, lang), "code": promotion.code,
        "tip": tips.get(str(product.id)) or useful_tip(product.description, lang),
        "link": utm_link(url, network, promotion.id) if url else "",
        "stop_word": STOP_WORD,
    }


# --- rendering ------------------------------------------------------------------------------------

def _render(shop: Shop, key: str, values: dict[str, Any], problems: list[str]) -> str:
    return render_owned(shop, "promotion_templates", key, DEFAULTS[key], values, problems)


def compose(shop: Shop, promotion: Promotion, product: Product, *, audience: str,
            network: str, lang: str | None, handle: str | None = None,
            invite: bool = False) -> Text:
    """The message to one person of ``audience`` (watcher, engaged, owner) on ``network``,
    within its length limit (a Mastodon reply starts with the person's @, counted here).
    ``invite``: they asked for the product back without being a watcher yet; the message
    tells them the word that makes them one (their reply is consent,
    :mod:`arrosto.outbox.consent`)."""
    lang = language(lang, shop)
    values = context(shop, promotion, product, lang, network)
    values["invite"] = NOTIFY_WORDS[lang] if invite and audience != "watcher" else None
    limit, length = length_rule(network)
    extra = len(f"@{handle} ") if network == "mastodon" and handle else 0
    problems: list[str] = []
    key = f"{lang}/outreach.{audience}"
    attempts = [(key, values), (key, dict(values, tip=None)),
                (key, dict(values, tip=None, until=None)),
                (f"{lang}/outreach.short", dict(values, tip=None))]
    text = ""
    for attempt_key, attempt in attempts:
        text = _render(shop, attempt_key, attempt, problems)
        if limit is None or length(text) + extra <= limit:
            break
    else:
        problems.append(f"the message is {length(text) + extra} characters; {network} allows "
                        f"{limit}: shorten it before approving")
    return Text(text, lang, length(text) + extra, problems)


def announcement(shop: Shop, promotion: Promotion, product: Product, network: str) -> Text:
    """The shop's own public post: no @mentions, nothing personal."""
    lang = language(None, shop)
    values = dict(context(shop, promotion, product, lang, network), invite=None)
    limit, length = length_rule(network)
    problems: list[str] = []
    text = ""
    for attempt in (values, dict(values, tip=None), dict(values, tip=None, until=None)):
        text = _render(shop, f"{lang}/announcement", attempt, problems)
        if limit is None or length(text) <= limit:
            break
    else:
        problems.append(f"the announcement is {length(text)} characters; {network} allows "
                        f"{limit}: shorten it before approving")
    if re.search(r"(?<![\w/])@\w", text):
        problems.append("an announcement mentions nobody: take the @ out")
    try:
        check_public(text, Private())
    except PersonalDataInPublic as exc:  # pragma: no cover - no personal data is passed in
        problems.append(str(exc))
    return Text(text, lang, length(text), problems)

