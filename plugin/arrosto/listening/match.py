"""Which products a post talks about: one Aho-Corasick pass over the post for the whole catalog,
the shop's names and handles.

The post is folded like the terms (:mod:`arrosto.listening.vocabulary`: lower case, accents
folded, every other character a space) and padded with a space; every term is in the automaton
between two spaces, so a match starts and ends on a word boundary ("moka" is never found in
"smokato") and one ``iter`` finds every term of every product.
A multi-word term is also found as its hashtag ("#miscelavesuvio"). An ambiguous term counts only
with the shop's name anywhere in the post or a coffee word within ``window`` words; when a
longer term of one product overlaps a shorter term of another, the shorter one is dropped.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from array import array
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..models import Post, PostProduct, Product, ProductKeyword, Shop
from .keywords import ambiguity, brand_phrases, shop_handles
from .vocabulary import (
    VARIANT_WORDS,
    ascii_bytes,
    content,
    hashtag_form,
    is_context_word,
    normalize,
)

log = logging.getLogger(__name__)

CONTEXT_WINDOW = 3  # words either side of an ambiguous term where a coffee word makes it count
BRAND = -1  # the product id of the shop's own names and handles
_MANY = -2  # several products share the term: see ``Matcher._shared``


@dataclass(frozen=True)
class Match:
    """A product a post names (``product_id`` None: the shop itself), with the terms found as
    written in the normalised post ('miscela vesuvio', or 'miscelavesuvio' for the hashtag)."""

    product_id: int | None
    terms: tuple[str, ...]


def has_hashtag_form(term: str) -> bool:
    """Multi-word terms are matched as hashtags too, except codes with long numbers (SKUs,
    weights, years) and the English forms of Italian names ('vesuvio blend'), which nobody
    writes as one word (and which would double the automaton of a large catalog)."""
    return " " in term and not any((len(w) > 2 and w.isdigit()) or w in VARIANT_WORDS
                                   for w in term.split())


def post_text(text: str) -> str:
    """The post as the automaton reads it: ' la miscela vesuvio in moka da 3  caffe '.

    The same folding as :func:`arrosto.listening.vocabulary.words` (one encode and one
    translate): every character that is not a letter or digit is a space, so a term between
    spaces starts and ends on word boundaries. Runs of spaces are left as they are (a name
    broken by punctuation, 'Miscela, Vesuvio', is not the name) and camelCase is not split:
    '#MiscelaVesuvio' becomes 'miscelavesuvio', the hashtag form of the term."""
    return f" {ascii_bytes(text).decode()} "


class Matcher:
    """One shop's terms compiled into an automaton; build once, match many posts."""

    def __init__(self, keywords: Iterable[tuple[int, str, bool]], *,
                 brand_terms: Iterable[str] = (), handles: Iterable[str] = (),
                 window: int = CONTEXT_WINDOW, version: str = "") -> None:
        self.window = window
        self.version = version
        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        self._chars = array("H")  # characters in the term
        self._product = array("q")  # product id, BRAND or _MANY
        self._ambiguous = bytearray()
        self._shared: dict[int, dict[int, bool]] = {}  # entry → {product id: needs context}
        for tokens in sorted(brand_phrases(brand_terms, handles)):
            self._add(BRAND, " ".join(tokens), ambiguity(tokens))
        for product_id, term, needs_context in keywords:
            self._add(int(product_id), term, bool(needs_context))
        self.terms = len(self._chars)
        if self.terms:
            self._automaton.make_automaton()

    # building --------------------------------------------------------------------------------
    def _entry(self, term: str, product_id: int, needs_context: bool) -> None:
        key = f" {term} "
        index = self._automaton.get(key, -1)
        if index < 0:
            self._chars.append(len(term))
            self._product.append(product_id)
            self._ambiguous.append(needs_context)
            self._automaton.add_word(key, len(self._chars) - 1)
            return
        owner = self._product[index]
        if owner == product_id:
            self._ambiguous[index] &= needs_context
        elif BRAND not in (owner, product_id):  # the shop's own names are never a product's
            shared = self._shared.setdefault(
                index, {} if owner == _MANY else {owner: bool(self._ambiguous[index])})
            shared[product_id] = shared.get(product_id, True) and needs_context
            self._product[index] = _MANY
            self._ambiguous[index] = all(shared.values())

    def _add(self, product_id: int, term: str, needs_context: bool) -> None:
        if not (term.isascii() and term.islower() and term.replace(" ", "").isalnum()
                and "  " not in term and term == term.strip()):
            term = normalize(term)  # rows written by hand or by older code
        if not term:
            return
        self._entry(term, product_id, needs_context)
        if has_hashtag_form(term):
            self._entry(hashtag_form(term), product_id, needs_context)

    @classmethod
    def for_shop(cls, session: Session, shop: Shop) -> Matcher:
        """The shop's matcher, rebuilt only when its keywords, catalog or names changed."""
        version = keywords_version(session, shop)
        with _LOCK:
            cached = _CACHE.get(shop.id)
            if cached is not None and cached.version == version:
                _CACHE.move_to_end(shop.id)
                return cached
        rows = session.execute(
            select(ProductKeyword.product_id, ProductKeyword.term, ProductKeyword.needs_context)
            .join(Product, Product.id == ProductKeyword.product_id)
            .where(ProductKeyword.source != "removed", Product.deleted_at.is_(None),
                   Product.status != "draft"))
        matcher = cls(rows, brand_terms=shop.brand_terms or [], handles=shop_handles(shop),
                      version=version)
        with _LOCK:
            _CACHE[shop.id] = matcher
            _CACHE.move_to_end(shop.id)
            while len(_CACHE) > CACHE_SIZE:
                _CACHE.popitem(last=False)
        return matcher

    # matching --------------------------------------------------------------------------------
    def match(self, text: str) -> list[Match]:
        """The products (and the shop) that ``text`` names, in the order they first appear."""
        if not self.terms:
            return []
        padded = post_text(text)
        hits = list(self._automaton.iter(padded))
        if not hits:
            return []
        if len(hits) == 1:  # the common case: one term, say which product and be done
            end, i = hits[0]
            owner = self._product[i]
            if not self._ambiguous[i] and owner != _MANY:
                return [Match(None if owner == BRAND else owner,
                              (padded[end - self._chars[i]:end],))]
        return self._resolve(padded, hits)

    def _resolve(self, padded: str, hits: list[tuple[int, int]]) -> list[Match]:
        chars, product, ambiguous, window = self._chars, self._product, self._ambiguous, self.window
        brand_named = any(product[i] == BRAND and not ambiguous[i] for _end, i in hits)
        spans = []
        for end, i in hits:
            first, last = end - chars[i], end - 1  # the term's first and last character
            if ambiguous[i] and not (brand_named and product[i] != BRAND):
                nearby = (content(padded[:first].split())[-window:]
                          + content(padded[last + 1:].split())[:window])
                if not any(map(is_context_word, nearby)):
                    continue
            spans.append((first - last, first, last, i))
        # precision first: the longest terms are taken first, and a term overlapping one already
        # taken is dropped (another product's shorter term, or a part of the same name)
        spans.sort()
        taken: list[tuple[int, int, int]] = []
        for _size, first, last, i in spans:
            if not any(f <= last and first <= la for f, la, _i in taken):
                taken.append((first, last, i))
        taken.sort()
        out: dict[int | None, list[str]] = {}
        for first, last, i in taken:
            term = padded[first:last + 1]
            owners = sorted(self._shared[i]) if product[i] == _MANY else (product[i],)
            for owner in owners:
                terms = out.setdefault(None if owner == BRAND else owner, [])
                if term not in terms:
                    terms.append(term)
        return [Match(key, tuple(terms)) for key, terms in out.items()]


# --- per-shop cache ------------------------------------------------------------------------------

CACHE_SIZE = 32
_CACHE: OrderedDict[int, Matcher] = OrderedDict()
_LOCK = threading.Lock()


def keywords_version(session: Session, shop: Shop) -> str:
    """A fingerprint of everything a shop's matcher is built from, read with two aggregates: any
    keyword added, removed or changed, a product going live or away, a new brand term or handle
    changes it."""
    weight = (case((ProductKeyword.source == "auto", 1), (ProductKeyword.source == "owner", 3),
                   else_=7)
              * case((ProductKeyword.needs_context.is_(True), 2), else_=1))
    kw = session.execute(select(func.count(ProductKeyword.id), func.max(ProductKeyword.id),
                                func.sum(ProductKeyword.id * weight))).one()
    live = session.execute(
        select(func.count(Product.id), func.sum(Product.id))
        .where(Product.deleted_at.is_(None), Product.status != "draft")).one()
    names = repr((sorted(shop.brand_terms or []), sorted(shop_handles(shop))))
    return hashlib.sha1(f"{tuple(kw)}|{tuple(live)}|{names}".encode()).hexdigest()


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()


# --- storing matches -----------------------------------------------------------------------------

def match_posts(session: Session, shop: Shop, post_ids: Iterable[int], *,
                batch: int = 500) -> int:
    """Match the posts against the shop's catalog and store a ``PostProduct`` per post and
    product named. Idempotent: rows already there are kept (their terms refreshed); returns the
    number of new rows."""
    matcher = Matcher.for_shop(session, shop)
    ids = list(dict.fromkeys(post_ids))
    new = 0
    for offset in range(0, len(ids), batch):
        chunk = ids[offset:offset + batch]
        posts = session.execute(select(Post.id, Post.text, Post.created_at)
                                .where(Post.id.in_(chunk))).all()
        stored = {(row.post_id, row.product_id): row for row in session.scalars(
            select(PostProduct).where(PostProduct.post_id.in_(chunk)))}
        for post_id, text, created_at in posts:
            for found in matcher.match(text or ""):
                if found.product_id is None:
                    continue
                row = stored.get((post_id, found.product_id))
                if row is None:
                    row = PostProduct(post_id=post_id, product_id=found.product_id,
                                      terms=list(found.terms), post_created_at=created_at)
                    session.add(row)
                    stored[(post_id, found.product_id)] = row
                    new += 1
                elif list(row.terms or []) != list(found.terms):
                    row.terms = list(found.terms)
        session.flush()
    log.info("matched %d posts of shop %s: %d new product mentions", len(ids), shop.id, new)
    return new
