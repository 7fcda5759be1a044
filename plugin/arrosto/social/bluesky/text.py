"""Bluesky's text and record formats: post length (300 graphemes, 3000 bytes), search queries,
AT Protocol datetimes and URIs, and the bsky.app address of a post. Follows the lexicons
app.bsky.feed.post (``text``: maxGraphemes 300, maxLength 3000) and app.bsky.feed.searchPosts,
the AT Protocol "Data Model" datetime format, and the search tips of
bsky.social/about/blog/05-31-2024-search."""
from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata

from atproto_client import models

log = logging.getLogger(__name__)

MAX_GRAPHEMES = 300  # app.bsky.feed.post#text maxGraphemes
MAX_TEXT_BYTES = 3000  # app.bsky.feed.post#text maxLength (UTF-8 bytes)
# searchPosts sets no length on ``q``; a quoted product phrase plus ``lang:xx`` fits easily, and a
# longer query is a mistake in the terms rather than something to send.
QUERY_MAX_LENGTH = 256

_LANG_SUFFIX = re.compile(r"\s+lang:(?P<lang>[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*)\s*$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_FRACTION = re.compile(r"(\.\d{6})\d+")


def build_queries(terms: list[str], languages: list[str]) -> list[str]:
    """One query per term (and per language): searchPosts ANDs every word and has no working
    ``OR`` (bluesky-social/social-app#1522), so terms cannot share a query.

    Each term is a quoted phrase, so it is matched as written and never read as an operator
    (``from:``, ``-``). A language is written as a trailing ``lang:xx``, which ``search`` takes
    off the query (:func:`split_query`) and sends as the lexicon's ``lang`` parameter; several
    languages give one query each, as ``lang`` takes one. Reposts are not posts, so search
    never returns them. A query longer than ``QUERY_MAX_LENGTH`` is left out with a warning.
    """
    langs: list[str | None] = []
    for lang in languages:
        lang = lang.strip()
        if not _LANGUAGE.match(lang):
            log.warning("bluesky: ignoring language %r (not a language code)", lang)
        elif lang.lower() not in langs:
            langs.append(lang.lower())
    queries: list[str] = []
    seen: set[str] = set()
    for term in terms:
        phrase = " ".join(term.replace('"', " ").split())
        if not phrase or phrase.casefold() in seen:
            continue
        seen.add(phrase.casefold())
        for lang in langs or [None]:
            query = f'"{phrase}"' if lang is None else f'"{phrase}" lang:{lang}'
            if len(query) > QUERY_MAX_LENGTH:
                log.warning("bluesky: term of %d characters left out of search (limit %d)",
                            len(phrase), QUERY_MAX_LENGTH)
                continue
            queries.append(query)
    return queries


def split_query(query: str) -> tuple[str, str | None]:
    """``'"miscela oro" lang:it'`` → ``('"miscela oro"', 'it')``: the language goes to the
    ``lang`` parameter."""
    match = _LANG_SUFFIX.search(query)
    if not match:
        return query.strip(), None
    return query[:match.start()].strip(), match["lang"].lower()


def check_length(text: str) -> None:
    """Refuse, before any request, what Bluesky would refuse: over 300 graphemes or 3000 bytes."""
    if not text.strip():
        raise ValueError("bluesky: empty post")
    count, size = graphemes(text), len(text.encode())
    if count > MAX_GRAPHEMES:
        raise ValueError(f"bluesky: post of {count} graphemes, the limit is {MAX_GRAPHEMES}")
    if size > MAX_TEXT_BYTES:
        raise ValueError(f"bluesky: post of {size} bytes, the limit is {MAX_TEXT_BYTES}")


def graphemes(text: str) -> int:
    """User-perceived characters, as Bluesky counts its limit: an approximation of UAX #29 that
    joins combining marks, variation selectors, skin tones, tag characters, ZWJ sequences,
    flag pairs and CRLF (Python's standard library has no grapheme segmentation)."""
    count = 0
    joined = flag_open = False
    previous = ""
    for char in text:
        code = ord(char)
        if joined:
            joined = False
        elif code == 0x200D:
            joined = True
        elif (unicodedata.category(char) in ("Mn", "Mc", "Me") or 0x1F3FB <= code <= 0x1F3FF
              or 0xE0020 <= code <= 0xE007F or (char == "\n" and previous == "\r")):
            pass
        elif 0x1F1E6 <= code <= 0x1F1FF:
            flag_open = not flag_open
            count += flag_open
        else:
            flag_open = False
            count += 1
        previous = char
    return count




def parse_time(value: str | None) -> dt.datetime | None:
    """An AT Protocol datetime (RFC 3339) as aware UTC; None when absent or unreadable."""
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(_FRACTION.sub(r"\1", value.strip()))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def format_time(value: dt.datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, milliseconds unless finer precision is needed."""
    spec = "milliseconds" if value.microsecond % 1000 == 0 else "microseconds"
    return value.astimezone(dt.UTC).isoformat(timespec=spec).replace("+00:00", "Z")


def uri_authority(uri: str) -> str:
    """``at://did:plc:x/app.bsky.feed.post/3k`` → ``did:plc:x``."""
    return uri.removeprefix("at://").split("/", 1)[0]


def post_url(handle: str, uri: str) -> str:
    """The bsky.app page of a post (by DID when the handle no longer resolves)."""
    profile = uri_authority(uri) if handle in ("", "handle.invalid") else handle
    return f"https://bsky.app/profile/{profile}/post/{uri.rsplit('/', 1)[-1]}"


def sort_at(view: models.AppBskyFeedDefs.PostView) -> dt.datetime:
    """The server's ``sortAt``: the earlier of ``createdAt`` and ``indexedAt``."""
    indexed = parse_time(view.indexed_at) or dt.datetime.now(dt.UTC)
    created = parse_time(getattr(view.record, "created_at", None))
    return min(created, indexed) if created else indexed

