"""Mastodon statuses as Arrosto reads them: their HTML as text, hashtags as Mastodon folds them,
the order of ids, and fields that may be missing (docs.joinmastodon.org entities/Status,
api/guidelines: ids are strings, compare them by length then value)."""
from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from typing import Any

from ..base import comparable

MENTION = re.compile(r"(?<![\w@/])@[\w.\-]+(?:@[\w.\-]+(?::\d+)?)?", re.UNICODE)


class _Text(HTMLParser):
    """Status HTML → plain text: paragraphs and <br> become line breaks, entities unescaped,
    Mastodon's hidden parts of long links kept (the text then holds the whole URL)."""

    BLOCKS = {"p", "div", "blockquote", "li", "ul", "ol", "pre", "h1", "h2", "h3", "h4", "h5",
              "h6"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")
            if tag == "pre":
                self.pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n\n")
            if tag == "pre" and self.pre:
                self.pre -= 1

    def handle_data(self, data: str) -> None:
        self.parts.append(data if self.pre else re.sub(r"\s+", " ", data))


def html_to_text(content: str | None) -> str:
    if not content:
        return ""
    parser = _Text()
    parser.feed(content)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def hashtag_for(term: str) -> str | None:
    """``Miscela Vesuvio`` → ``miscelavesuvio``, ``Caffè`` → ``caffe`` (Mastodon folds case and
    accents of hashtags the same way); None when nothing usable is left or it is all digits."""
    out = []
    for ch in term.strip().lstrip("#"):
        base = unicodedata.normalize("NFKD", ch)
        if base[:1].isascii():  # a Latin letter with accents: keep the letter only
            out.extend(c for c in base if c.isascii() and (c.isalnum() or c == "_"))
        elif ch.isalnum() or ch == "_":  # other scripts keep their characters
            out.append(ch)
    tag = "".join(out).lower()
    return tag if tag and not tag.isdigit() else None


def own_text(text: str) -> str:
    """For recognising our own post: mentions out (the instance shows "@user" for the
    "@user@domain" we wrote), whitespace collapsed, case folded."""
    return comparable(MENTION.sub(" ", unicodedata.normalize("NFC", text)))


def id_key(value: Any) -> tuple[int, str]:
    """Order of Mastodon ids: strings of digits (or same-length ULIDs elsewhere)."""
    text = str(value)
    return len(text), text


def field(obj: Any, name: str, default: Any = None) -> Any:
    try:
        value = obj[name]
    except (KeyError, TypeError, IndexError):
        return default
    return default if value is None else value
