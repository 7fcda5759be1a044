"""People's names as linking reads them: folded name words, first-name keys, nicknames (from
``names.json``, loaded once), the readings of a display name or handle as (first, last), and how
close two first names or surnames are."""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from rapidfuzz import fuzz

from ...text import fold

LETTERS = re.compile(r"[a-z]+(?:'[a-z]+)*")
_DOUBLE = re.compile(r"([a-z])\1+")


@functools.lru_cache(maxsize=65536)
def name_tokens(text: str) -> tuple[str, ...]:
    """Name words, folded, apostrophes dropped ("Dell'Acqua" -> "dellacqua")."""
    return tuple(t.replace("'", "") for t in LETTERS.findall(fold(text)))


@functools.lru_cache(maxsize=65536)
def squash(name: str) -> str:
    """A lookup key forgiving of spaces and doubled letters ("Niccolò" ~ "Nicolò")."""
    return _DOUBLE.sub(r"\1", "".join(name_tokens(name)))


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


def collapse(word: str) -> str:
    return _DOUBLE.sub(r"\1", word)


@functools.lru_cache(maxsize=65536)
def folded(name: str) -> str:
    return " ".join(name_tokens(name))


@functools.lru_cache(maxsize=65536)
def first_name_keys(first: str) -> frozenset[str]:
    """Keys of a folded first name: the whole ("mariachiara") and each part of a compound."""
    parts = first.split()
    return frozenset({collapse("".join(parts))} | ({collapse(p) for p in parts}
                                                    if len(parts) > 1 else set()))


@functools.lru_cache(maxsize=65536)
def last_name_keys(last: str) -> frozenset[str]:
    """Keys of a folded surname: the whole ("desantis") and its last word ("santis")."""
    parts = last.split()
    return frozenset({collapse("".join(parts)), collapse(parts[-1])})


def handle_key(handle: str) -> str:
    return (handle or "").strip().lstrip("@").lower()


# --- nicknames and a first-name vocabulary --------------------------------------------------------

_DATA = json.loads((Path(__file__).parent / "names.json").read_text(encoding="utf-8"))

#: nicknames of each first name ("giuseppe": beppe, peppe, pino...)
NICKNAMES: dict[str, tuple[str, ...]] = {name: tuple(nicks)
                                         for name, nicks in _DATA["nicknames"].items()}

#: canonical first name(s) of each nickname (and each canonical name, of itself)
NICK_TO_NAMES: dict[str, frozenset[str]] = {}
for _canon, _nicks in NICKNAMES.items():
    for _n in (_canon, *_nicks):
        NICK_TO_NAMES[_n] = NICK_TO_NAMES.get(_n, frozenset()) | {_canon}

#: common first names, so handles can be split and "clearly a name" recognised before any
#: customer is loaded; the index adds its own customers' first names
COMMON_FIRST_NAMES = frozenset(_DATA["first_names"])


def first_variants(token: str) -> frozenset[str]:
    """A first name or nickname and the full names it can stand for."""
    return frozenset({token}) | NICK_TO_NAMES.get(token, frozenset())


# --- readings of a display name or handle ---------------------------------------------------------

class Vocabulary(Protocol):
    """The first names and surnames known to an index (:class:`.index.LinkIndex`)."""

    first_vocab: set[str]
    last_vocab: set[str]


@dataclass(frozen=True)
class NameGuess:
    """One reading of a display name or handle: first name, last name, and where it came from.
    A one-letter part is an initial; ``last`` may be empty (first name only)."""

    first: str
    last: str
    source: str  # display | handle
    shown: str  # as written, for the reasons


_NOT_NAMES = word_set("""
the il la lo le i gli dr dott dottssa sig sigra mr mrs ms miss official ufficiale caffe coffee
cafe espresso bar real il vero la vera team shop
""")


def name_guesses(display: str, handle: str, index: Vocabulary
                 ) -> tuple[list[NameGuess], bool]:
    """Readings of the display name and handle as (first, last), and whether either clearly
    is a person's name (a known first name with a surname or an initial, or a handle that
    spells a first name and a surname)."""
    guesses: list[NameGuess] = []
    tokens = [t for t in name_tokens(display) if t not in _NOT_NAMES][:4]
    clear = False
    if len(tokens) == 1 and len(tokens[0]) >= 3:
        guesses.append(NameGuess(tokens[0], "", "display", display))
    for i in range(1, len(tokens)):
        first, last = " ".join(tokens[:i]), " ".join(tokens[i:])
        guesses.append(NameGuess(first, last, "display", display))
        guesses.append(NameGuess(" ".join(tokens[i:]), " ".join(tokens[:i]), "display", display))
        if tokens[0] in index.first_vocab or (tokens[-1] in index.first_vocab and
                                              len(tokens[0]) >= 3):
            clear = True
    from_handle = _handle_guesses(handle, index)
    guesses.extend(from_handle)
    clear = clear or any(g.first in index.first_vocab and len(g.last) >= 3
                         and g.last.replace(" ", "") in index.last_vocab for g in from_handle)
    return guesses, clear


def _handle_local(handle: str) -> str:
    local = handle.split("@")[0]
    for suffix in (".bsky.social", ".bsky.team"):
        if local.endswith(suffix):
            return local[: -len(suffix)]
    return local.split(".")[0] if local.count(".") >= 2 else local.replace(".", "-")




def _handle_guesses(handle: str, index: Vocabulary) -> list[NameGuess]:
    if not handle:
        return []
    local = fold(_handle_local(handle))
    parts = [p for p in re.split(r"[^a-z]+", local) if p]
    shown = handle
    out: list[NameGuess] = []
    if len(parts) >= 2:
        for i in range(1, min(len(parts), 3)):
            a, b = " ".join(parts[:i]), " ".join(parts[i:])
            out.append(NameGuess(a, b, "handle", shown))
            out.append(NameGuess(b, a, "handle", shown))
        return out
    if not parts:
        return []
    word = parts[0]
    firsts, lasts = index.first_vocab, index.last_vocab
    if word in firsts:
        out.append(NameGuess(word, "", "handle", shown))
    for i in range(3, len(word) - 1):
        head, tail = word[:i], word[i:]
        if head in firsts:
            out.append(NameGuess(head, tail, "handle", shown))  # giuliabianchi, graceb
        if head in lasts and len(tail) >= 3:
            out.append(NameGuess(tail, head, "handle", shown))  # biancogiu, beckerluk
    if len(word) >= 5 and word[1:] in lasts:
        out.append(NameGuess(word[0], word[1:], "handle", shown))  # sbellini
    if len(word) >= 5 and word[:-1] in lasts:
        out.append(NameGuess(word[-1], word[:-1], "handle", shown))  # rossig
    return out


def name_query_terms(author_name: str, handle: str) -> tuple[set[str], set[str]]:
    """First and last names to look up in SQL for one case: a superset that the in-memory
    matching then narrows (so it may include raw and folded spellings and handle splits)."""
    firsts: set[str] = set()
    lasts: set[str] = set()
    tokens = list(name_tokens(author_name))
    raw = [t.lower() for t in re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)*", author_name)]
    for t in tokens + raw:
        firsts |= first_variants(t)
        lasts.add(t)
    if len(tokens) >= 2:
        for i in range(1, len(tokens)):
            firsts.add(" ".join(tokens[:i]))
            lasts.add(" ".join(tokens[i:]))
    local = fold(_handle_local(handle))
    parts = [p for p in re.split(r"[^a-z]+", local) if p]
    for p in parts:
        firsts |= first_variants(p)
        lasts.add(p)
        for i in range(1, len(p)):
            head, tail = p[:i], p[i:]
            if len(head) >= 3:
                firsts |= first_variants(head)
                lasts.add(head)
            if len(tail) >= 3:
                lasts.add(tail)
    return ({f for f in firsts if len(f) >= 2}, {t for t in lasts if len(t) >= 2})


# --- name similarity ------------------------------------------------------------------------------

def _plain_similarity(guess: str, name: str) -> float | None:
    """The scores a first name and a surname share: nothing to compare 0, the same 100 (spaces
    aside), an initial 100 if it fits; None when it takes a closer look."""
    if not guess or not name:
        return 0.0
    g, n = guess.replace(" ", ""), name.replace(" ", "")
    if g == n:
        return 100.0
    if len(g) == 1:
        return 100.0 if n.startswith(g) else 0.0
    return None


def first_similarity(guess: str, name: str) -> float:
    """0-100: exact 100, nickname 95, a part of a compound name 88, truncated 85, else fuzzy."""
    plain = _plain_similarity(guess, name)
    if plain is not None:
        return plain
    g, n = guess.replace(" ", ""), name.replace(" ", "")
    if n in NICK_TO_NAMES.get(g, ()) or g in NICK_TO_NAMES.get(n, ()):
        return 95.0
    if " " in name and g in name.split():
        return 88.0
    if " " in guess and n in guess.split():
        return 88.0
    if len(g) >= 3 and n.startswith(g):
        return 85.0
    return fuzz.ratio(g, n)


def last_similarity(guess: str, name: str) -> float:
    """0-100: exact 100, the last word of a compound surname 92, truncated 88, else fuzzy."""
    plain = _plain_similarity(guess, name)
    if plain is not None:
        return plain
    g, n = guess.replace(" ", ""), name.replace(" ", "")
    if " " in name and g == name.split()[-1]:
        return 92.0
    if len(g) >= 4 and n.startswith(g):
        return 88.0
    return fuzz.ratio(g, n)
