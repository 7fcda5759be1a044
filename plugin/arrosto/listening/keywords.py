"""Keywords: the terms that name each product, derived from the catalog and kept on every sync.

A product's terms come from its title (the whole title and the shorter phrases of it that belong
to this product alone), its handle, its SKUs, and its vendor or tags when those name it and no
other product. Everything is normalised the same way as the posts (:mod:`.vocabulary`). Terms
too generic to mean a product (coffee words, weights, grinds, colours, attributes shared by much
of the catalog) are dropped; ambiguous ones (a single everyday word or place, "vesuvio", "kenya",
"notte") are kept with ``needs_context``: they count only next to the brand or a coffee word.

:func:`refresh_keywords` rebuilds the ``auto`` rows and never touches what the owner decided:
``owner`` rows stay, and a term the owner removed (a ``removed`` row) is never added back.
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..models import Product, ProductKeyword, Shop
from .vocabulary import (
    COMMON_WORDS,
    EVERYDAY_WORDS,
    FLIP_HEADS,
    GENERIC_WORDS,
    HEAD_WORDS,
    HEAD_WORDS_BEFORE,
    PLACE_NAMES,
    STOP_WORDS,
    content,
    is_context_word,
    key_words,
    normalize,
    split_camel,
    words,
)

log = logging.getLogger(__name__)

_PARENS = re.compile(r"\([^)]*\)")

# a word in this share of the catalog's products (and in at least GENERIC_MIN of them: a small
# catalog proves nothing) names none of them
GENERIC_SHARE, GENERIC_MIN = 0.10, 10
MAX_PHRASE = 3  # the longest partial title phrase considered (the whole title always is)

def _is_code(word: str) -> bool:
    """A model code in one word: letters with digits ('v60', 'mn1')."""
    return any(c.isdigit() for c in word) and any(c.isalpha() for c in word)


def _is_code_phrase(tokens: Sequence[str]) -> bool:
    """A model code in several words: short letters next to a number ('mn 1'), not a weight."""
    return any(
        (a.isdigit() and b.isalpha() and len(b) <= 3 and b not in GENERIC_WORDS)
        or (b.isdigit() and a.isalpha() and len(a) <= 3 and a not in GENERIC_WORDS)
        for a, b in zip(tokens, tokens[1:], strict=False))


# --- catalog statistics --------------------------------------------------------------------------

class CatalogItem(Protocol):
    """A product as :func:`terms_for` reads it: a ``Product`` row or a ``ProductData``."""

    external_id: str
    title: str
    handle: str | None
    vendor: str | None
    product_type: str | None
    tags: Any
    variants: Any


@dataclass(frozen=True)
class KeywordCandidate:
    """A term that names a product, normalised, and whether it counts only in context."""

    term: str
    needs_context: bool
    origin: str = "title"  # title | handle | sku | vendor | tag


Phrase = tuple[str, ...]


def _phrases(tokens: Sequence[str], longest: int) -> Iterable[Phrase]:
    """The parts of ``tokens`` that start and end on a word that is not a stop word and hold at
    most ``longest`` such words, longest first (the whole excepted)."""
    n = len(tokens)
    found = []
    for start in range(n):
        if tokens[start] in STOP_WORDS:
            continue
        size = 0
        for end in range(start, n):
            if tokens[end] in STOP_WORDS:
                continue
            size += 1
            if size > longest:
                break
            if (start, end) != (0, n - 1):
                found.append((size, start, end))
    found.sort(key=lambda f: (-f[0], f[1]))
    return [tuple(tokens[start:end + 1]) for _size, start, end in found]


def _head_variants(phrase: Phrase) -> list[Phrase]:
    """The name with its category word as customers also write it ('colombia deca', 'vesuvio
    blend', 'vesuvio pods', 'box degustazione'), and for an adjective-like category word the
    other order ('colombia decaffeinato' → 'decaffeinato colombia')."""
    if not 2 <= len(content(phrase)) <= MAX_PHRASE:
        return []
    for first, head, rest in ((True, phrase[0], phrase[1:]), (False, phrase[-1], phrase[:-1])):
        if rest and (rest[0] in STOP_WORDS or rest[-1] in STOP_WORDS):
            continue  # 'cofanetto di natale' → not 'di natale box'
        if head in HEAD_WORDS and not any(w in HEAD_WORDS or w in GENERIC_WORDS
                                          for w in content(rest)):
            out = [(*rest, word) for word in HEAD_WORDS[head] if (*rest, word) != phrase]
            out += [(word, *rest) for word in HEAD_WORDS_BEFORE.get(head, ())]
            if head in FLIP_HEADS:
                out.append((*rest, head) if first else (head, *rest))
            return out
    return []


def title_phrases(title: str) -> Iterable[tuple[Phrase, Phrase, float, bool]]:
    """The phrases a title offers as (words, the title phrase they come from, share of the title
    that phrase covers, whole title?): the whole title (also without a parenthesis: 'Ruanda Huye
    (raccolto 2024)', and with its camelCase split: 'Filtri AeroPress' → 'filtri aero press'),
    its phrases of up to :data:`MAX_PHRASE` words, and the ways customers write its category
    word and places ('vesuvio blend', 'ethiopia yirgacheffe')."""
    seen: set[Phrase] = set()
    texts = {title: True, _PARENS.sub(" ", title): True}
    texts.setdefault(split_camel(title), False)  # only as a whole: 'aero' is no name
    for text, with_parts in texts.items():
        size = len(words(text)) or 1
        tokens = tuple(key_words(text))
        if not tokens:
            continue
        for phrase in [tokens, *(_phrases(tokens, MAX_PHRASE) if with_parts else [])]:
            cover = len(content(phrase)) / size
            for variant in (phrase, *_head_variants(phrase)):
                swapped = tuple(PLACE_NAMES.get(t, t) for t in variant)
                for candidate in dict.fromkeys((variant, swapped)):
                    if candidate not in seen:
                        seen.add(candidate)
                        yield candidate, phrase, cover, phrase == tokens


_COUNT_BITS, _COVER_BITS = 2, 10
_COVER_SCALE = (1 << _COVER_BITS) - 1


@dataclass
class CatalogStats:
    """What a term means across the whole catalog: how many products use each word, which words
    are attributes (tags and product types of several products), and which product a shared
    title phrase belongs to: the one whose title it covers most ('vesuvio' → Miscela Vesuvio,
    not Capsule Vesuvio compatibili Nespresso); a tie belongs to nobody.

    Phrases are kept as hashes with their counts packed in one int, so that a catalog of 100,000
    products fits in tens of megabytes; the stats live as long as one refresh."""

    products: int = 0
    word_products: Counter[str] = field(default_factory=Counter)
    attribute_products: Counter[str] = field(default_factory=Counter)
    _ids: list[str] = field(default_factory=list)
    # hash(phrase) → products (1, or 2 for "several") | best cover | second cover | product index
    _phrases: dict[int, int] = field(default_factory=dict)

    @classmethod
    def build(cls, products: Iterable[CatalogItem]) -> CatalogStats:
        stats = cls()
        for product in products:
            stats.add(product)
        return stats

    def add(self, product: CatalogItem) -> None:
        self.products += 1
        index = len(self._ids)
        self._ids.append(str(product.external_id))
        attributes = {w for tag in [*(product.tags or []), product.product_type or ""]
                      for w in content(words(str(tag)))}
        vendor = key_words(product.vendor or "")
        phrases: dict[str, float] = {}
        for _words, phrase, cover, _whole in title_phrases(product.title or ""):
            key = " ".join(phrase)
            phrases[key] = max(phrases.get(key, 0.0), cover)
        self.word_products.update(attributes | set(content(vendor))
                                  | {w for key in phrases for w in content(key.split())})
        self.attribute_products.update(attributes)
        for tag in product.tags or []:
            phrases.setdefault(" ".join(key_words(str(tag))), 0.0)
        if vendor:
            phrases.setdefault(" ".join(vendor), 0.0)
        phrases.pop("", None)
        for key, share in phrases.items():
            cover = round(share * _COVER_SCALE)
            packed = self._phrases.get(hash(key))
            if packed is None:
                self._phrases[hash(key)] = _pack(1, cover, 0, index)
                continue
            _count, best, second, owner = _unpack(packed)
            if cover > best:
                best, second, owner = cover, best, index
            else:
                second = max(second, cover)
            self._phrases[hash(key)] = _pack(2, best, second, owner)

    def is_generic(self, word: str) -> bool:
        if _generic_word(word) or self.attribute_products[word] >= 2:
            return True
        used = self.word_products[word]
        return used >= GENERIC_MIN and used >= GENERIC_SHARE * self.products

    def is_attribute(self, word: str) -> bool:
        return self.attribute_products[word] > 0

    def owner(self, phrase: str) -> str | None:
        """The external id of the one product ``phrase`` names, or None if it names several."""
        packed = self._phrases.get(hash(phrase))
        if packed is None:
            return None
        count, best, second, owner = _unpack(packed)
        if count == 1 or (best > 0 and best > second):
            return self._ids[owner]
        return None


def _pack(count: int, best: int, second: int, owner: int) -> int:
    return (count | best << _COUNT_BITS | second << (_COUNT_BITS + _COVER_BITS)
            | owner << (_COUNT_BITS + 2 * _COVER_BITS))


def _unpack(packed: int) -> tuple[int, int, int, int]:
    return (packed & 3, packed >> _COUNT_BITS & _COVER_SCALE,
            packed >> (_COUNT_BITS + _COVER_BITS) & _COVER_SCALE,
            packed >> (_COUNT_BITS + 2 * _COVER_BITS))


def _generic_word(word: str) -> bool:
    return (word in GENERIC_WORDS or word.isdigit()
            or (len(word) <= 2 and not _is_code(word)))


# --- terms of one product ------------------------------------------------------------------------

def brand_phrases(brand_terms: Iterable[str], handles: Iterable[str] = ()) -> set[Phrase]:
    """The shop's names as word tuples; a handle also by its user part ('bracecaffe')."""
    out: set[Phrase] = set()
    for term in brand_terms:
        tokens = tuple(key_words(term))
        if tokens:
            out.add(tokens)
    for handle in handles:
        tokens = tuple(key_words(handle))
        if tokens:
            out.add(tokens)
            out.add(tokens[:1])
    return out


def _contains(tokens: Sequence[str], part: Sequence[str]) -> bool:
    n = len(part)
    return any(tuple(tokens[i:i + n]) == tuple(part) for i in range(len(tokens) - n + 1))


def ambiguity(tokens: Sequence[str], *, stats: CatalogStats | None = None,
              brands: set[Phrase] | frozenset[Phrase] = frozenset(),
              whole_title: bool = False) -> bool:
    """Whether a term needs context: one everyday name or place ('vesuvio', 'kenya', 'brace'),
    a short word, or several words that are all everyday ('bar centrale'); stop words inside
    a term do not count.

    A term with a coffee word, a model code or the brand in it carries its own context
    ('miscela vesuvio', 'mn 1', 'abbonamento brace'); so does a whole title of two or more words
    ('Lattiera in acciaio').
    """
    named = any(_contains(tokens, b) for b in brands if len(b) < len(tokens))
    tokens = content(tokens)
    if not tokens:
        return True
    if len(tokens) > 1 and (named or any(is_context_word(t) for t in tokens)
                            or _is_code_phrase(tokens)):
        return False
    if len(tokens) == 1:
        word = tokens[0]
        if _is_code(word):
            return False
        return (word in COMMON_WORDS or word in EVERYDAY_WORDS or len(word) < 5
                or (stats is not None and stats.is_attribute(word)) or (word,) in brands)
    if whole_title:
        return False
    generic = stats.is_generic if stats else _generic_word
    return all(t in COMMON_WORDS or t in EVERYDAY_WORDS or generic(t)
               or (stats is not None and stats.is_attribute(t)) for t in tokens)


def _sku_terms(product: CatalogItem) -> list[str]:
    out = []
    for variant in getattr(product, "variants", None) or []:
        sku = getattr(variant, "sku", None)
        tokens = words(sku or "")  # every part of a code counts, 'in' and 'a' too
        if len(tokens) >= 2 or (tokens and _is_code(tokens[0]) and len(tokens[0]) >= 4):
            out.append(" ".join(tokens))
    return out


def terms_for(product: CatalogItem, brand_terms: Iterable[str] = (), *,
              stats: CatalogStats | None = None, handles: Iterable[str] = ()
              ) -> list[KeywordCandidate]:
    """The terms that name ``product``, most specific first.

    Without ``stats`` (one product on its own) every phrase of the title is taken as this
    product's; with the catalog's stats a phrase shared with other products goes to the product
    whose title it covers most, or to none.
    """
    brands = brand_phrases(brand_terms, handles)
    brand_words = {w for b in brands for w in b}
    pid = str(product.external_id)
    generic = stats.is_generic if stats else _generic_word
    found: dict[str, KeywordCandidate] = {}

    def take(tokens: Sequence[str], origin: str, *, whole_title: bool = False,
             ambiguous: bool | None = None, source: Sequence[str] | None = None) -> None:
        tokens = tuple(tokens)
        source = tokens if source is None else tuple(source)
        term = " ".join(tokens)
        meaning = content(tokens)
        if not meaning or term in found or tokens in brands:
            return
        if len(meaning) == 1 and meaning[0] in EVERYDAY_WORDS:
            return  # 'bar', 'casa': part of a name, never one
        if all(generic(t) or t in brand_words for t in meaning) and not _is_code_phrase(meaning):
            return  # nothing left that names a product: 'caffe in grani', 'torrefazione brace'
        if (not whole_title and origin == "title" and source == tokens
                and generic(tokens[-1]) and not _is_code_phrase(meaning)
                and not (len(meaning) == 2 and tokens[0] in HEAD_WORDS)):
            return  # a name runs into a description: 'varnimi compatibili', 'bilancia caffe'
        if (stats is not None and not whole_title
                and stats.owner(" ".join(source)) != pid):
            return  # another product's, or several products' ('brace classica')
        needs = ambiguity(tokens, stats=stats, brands=brands, whole_title=whole_title)
        found[term] = KeywordCandidate(term, needs if ambiguous is None else ambiguous, origin)

    phrases = list(title_phrases(product.title or ""))
    for phrase, _source, _cover, whole in phrases:
        if whole:  # the whole title (in any of its forms) is the product's own name
            take(phrase, "title", whole_title=len(content(phrase)) > 1)
    for phrase, source, _cover, whole in phrases:
        if not whole:
            take(phrase, "title", source=source)
    if product.handle:
        take(key_words(product.handle), "handle", whole_title=True)
    for sku in _sku_terms(product):
        found.setdefault(sku, KeywordCandidate(sku, False, "sku"))
    vendor = key_words(product.vendor or "")
    if vendor and not any(_contains(vendor, b) for b in brands):
        take(vendor, "vendor")
    for tag in product.tags or []:
        tokens = key_words(str(tag))
        # tags describe more often than they name: only a tag of everything-unusual words,
        # and only next to a coffee word or the brand
        if tokens and not any(generic(t) or t in COMMON_WORDS or t in EVERYDAY_WORDS
                              for t in content(tokens)):
            take(tokens, "tag", ambiguous=True)
    return list(found.values())


# --- the stored keywords -------------------------------------------------------------------------

@dataclass
class KeywordRefresh:
    added: int = 0
    updated: int = 0
    dropped: int = 0
    kept_owner: int = 0
    blocked: int = 0  # candidates the owner removed earlier


def shop_handles(shop: Shop) -> list[str]:
    return [str(h) for h in ((shop.settings or {}).get("handles") or {}).values() if h]


TERM_LENGTH = 255  # ProductKeyword.term's column


def _live(product: Product) -> bool:
    return product.deleted_at is None and product.status != "draft"


def refresh_keywords(session: Session, shop: Shop) -> KeywordRefresh:
    """Rebuild the shop's ``auto`` keywords from its current catalog (call after a catalog sync
    or a product webhook). ``owner`` rows are kept as they are; ``removed`` rows stay removed."""
    products = list(session.scalars(
        select(Product).options(selectinload(Product.variants),
                                selectinload(Product.keywords)).order_by(Product.id)))
    stats = CatalogStats.build(p for p in products if _live(p))
    handles = shop_handles(shop)
    result = KeywordRefresh()
    for product in products:
        rows = {k.term: k for k in product.keywords}
        wanted = ({c.term: c for c in terms_for(product, shop.brand_terms or [], stats=stats,
                                                 handles=handles)}
                  if _live(product) else {})
        for term, row in rows.items():
            if row.source == "owner":
                result.kept_owner += 1
            elif row.source == "removed":
                result.blocked += term in wanted
            elif term not in wanted:
                session.delete(row)
                result.dropped += 1
            elif row.needs_context != wanted[term].needs_context:
                row.needs_context = wanted[term].needs_context
                result.updated += 1
        for term, cand in wanted.items():
            if term not in rows and len(term) <= TERM_LENGTH:
                session.add(ProductKeyword(product_id=product.id, term=term, source="auto",
                                           needs_context=cand.needs_context))
                result.added += 1
    session.flush()
    log.info("keywords of shop %s: %s", shop.id, result)
    return result


def _row(session: Session, product_id: int, term: str) -> ProductKeyword | None:
    if session.scalar(select(Product.id).where(Product.id == product_id)) is None:
        raise LookupError(f"no product {product_id} in this shop")
    return session.scalar(select(ProductKeyword).where(ProductKeyword.product_id == product_id,
                                                       ProductKeyword.term == term))


def _owner_term(term: str) -> str:
    normal = normalize(term)
    if not normal or len(normal) > TERM_LENGTH:
        raise ValueError(f"{term!r}: a keyword needs a word that is not a stop word, and at "
                         f"most {TERM_LENGTH} characters")
    return normal


def add_keyword(session: Session, shop: Shop, product_id: int, term: str, *,
                needs_context: bool | None = None) -> ProductKeyword:
    """The owner's term for a product; it survives every re-sync. ``needs_context`` defaults
    to the same rule as the automatic terms."""
    normal = _owner_term(term)
    if needs_context is None:
        brands = brand_phrases(shop.brand_terms or [], shop_handles(shop))
        needs_context = ambiguity(normal.split(), brands=brands)
    row = _row(session, product_id, normal)
    if row is None:
        row = ProductKeyword(product_id=product_id, term=normal)
        session.add(row)
    row.source = "owner"
    row.needs_context = needs_context
    session.flush()
    return row


def remove_keyword(session: Session, shop: Shop, product_id: int, term: str) -> ProductKeyword:
    """The owner's "not this term": kept as a ``removed`` row so a re-sync never adds it back."""
    normal = _owner_term(term)
    row = _row(session, product_id, normal)
    if row is None:
        row = ProductKeyword(product_id=product_id, term=normal)
        session.add(row)
    row.source = "removed"
    session.flush()
    return row
