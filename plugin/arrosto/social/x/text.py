"""How X counts and searches text: twitter-text v3 weights, the text X gives back, snowflake ids,
and the query syntax of posts/search/integrate/build-a-query (fundamentals/counting-characters)."""
from __future__ import annotations

import datetime as dt
import html
import logging
import re
import unicodedata

from ...errors import ConfigError

log = logging.getLogger(__name__)

SNOWFLAKE_EPOCH_MS = 1288834974657

# twitter-text v3: code points in these ranges weigh 1, every other one 2; a link weighs 23
_LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
URL_WEIGHT = 23
_SCHEME_URL = re.compile(r"(?i)\bhttps?://\S+")
_BARE_URL = re.compile(r"(?i)\b(?:www\.)?(?:[a-z0-9-]+\.)+[a-z]{2,}(?:/\S*)?")
_LEADING_MENTIONS = re.compile(r"^(?:@\w+\s+)+")
_BARE_TERM = re.compile(r"\w+")
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[a-z]{2,4})?")

def _chars_weight(text: str) -> int:
    return sum(1 if any(lo <= ord(c) <= hi for lo, hi in _LIGHT_RANGES) else 2 for c in text)


def weighted_length(text: str) -> int:
    """A post's length as X counts it (twitter-text v3): links 23, Latin and common punctuation
    1, other code points (emoji, CJK) 2. Where we simplify we count more, never less: an emoji
    sequence counts per code point, and a bare domain counts at least 23."""
    text = unicodedata.normalize("NFC", text)
    total, pos = 0, 0
    for match in _SCHEME_URL.finditer(text):
        total += _bare_weight(text[pos:match.start()]) + URL_WEIGHT
        pos = match.end()
    return total + _bare_weight(text[pos:])


def _bare_weight(text: str) -> int:
    total, pos = 0, 0
    for match in _BARE_URL.finditer(text):
        total += _chars_weight(text[pos:match.start()])
        total += max(URL_WEIGHT, _chars_weight(match.group()))
        pos = match.end()
    return total + _chars_weight(text[pos:])


def normalise(text: str) -> str:
    """Text compared by :meth:`XNetwork.find_sent`: X returns ``&amp;`` for ``&``, t.co links
    for links, and may lead a reply with the mentions it answers."""
    text = unicodedata.normalize("NFC", html.unescape(text)).strip()
    text = _SCHEME_URL.sub(" <link> ", text)
    text = _BARE_URL.sub(" <link> ", text)
    text = _LEADING_MENTIONS.sub("", text)
    return " ".join(text.split()).casefold()


def snowflake_time(post_id: int | str) -> dt.datetime:
    """When X created an id (X ids are snowflakes: milliseconds since X's epoch, shifted 22)."""
    ms = (int(post_id) >> 22) + SNOWFLAKE_EPOCH_MS
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def _query_atom(term: str) -> str | None:
    term = " ".join(term.split())
    if not term:
        return None
    if _BARE_TERM.fullmatch(term) and term.upper() not in ("OR", "AND"):
        return term
    # inside a phrase X treats punctuation as whitespace: the escaped quote only keeps the query
    # well formed, and a backslash is dropped so it cannot escape our closing quote
    return '"' + term.replace("\\", " ").replace('"', '\\"') + '"'


def _language_clause(languages: list[str]) -> str:
    codes: list[str] = []
    for language in languages:
        code = language.strip().lower()
        if not _LANGUAGE.fullmatch(code):
            raise ConfigError(f"listening languages: {language!r} is not a language code")
        if code not in codes:
            codes.append(code)
    if not codes:
        return ""
    if len(codes) == 1:
        return f"lang:{codes[0]}"
    return "(" + " OR ".join(f"lang:{code}" for code in codes) + ")"



def build_queries(terms: list[str], languages: list[str], max_length: int) -> list[str]:
    """``(a OR "b c" OR ...) -is:retweet (lang:it OR lang:en)``, as few queries as fit in
    ``max_length``; a term too long for a query of its own is left out and logged."""
    suffix = " -is:retweet"
    clause = _language_clause(languages)
    if clause:
        suffix += " " + clause
    budget = max_length - len(suffix)
    atoms = list(dict.fromkeys(a for a in map(_query_atom, terms) if a))

    def body(group: list[str]) -> str:
        return group[0] if len(group) == 1 else "(" + " OR ".join(group) + ")"

    queries: list[str] = []
    group: list[str] = []
    length = 2  # the parentheses
    for atom in atoms:
        if len(atom) > budget:
            log.warning("x query: a term of %d characters does not fit in a query; skipped",
                        len(atom))
            continue
        added = len(atom) + (4 if group else 0)  # " OR "
        if group and length + added > budget:
            queries.append(body(group) + suffix)
            group, length, added = [], 2, len(atom)
        group.append(atom)
        length += added
    if group:
        queries.append(body(group) + suffix)
    return queries
