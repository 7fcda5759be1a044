"""Posts imported from files: Arrosto's JSONL export format, CSV, and X's archive ``tweets.js``.

JSONL: one object a line with ``id, text, author, created_at`` and optionally ``network,
author_id, author_name, lang, url, in_reply_to, mentions_shop``. CSV: a header row with at least
``text, author, date`` (``url``, ``id``, ``lang``, ``author_name`` optional). tweets.js: the file in
an X data archive (``window.YTD.tweets.part0 = [...]``), the archive owner's own posts.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

from ..errors import ArrostoError
from .base import PostData


class ImportFormatError(ArrostoError):
    """A line or row of an import file is not a post; the message names where."""


@dataclass
class ImportProblem:
    where: str
    message: str


def parse_time(value: str) -> dt.datetime:
    value = value.strip()
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)  # RFC 2822
        except (TypeError, ValueError):
            parsed = dt.datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y")  # X archive
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _synthetic_id(network: str, author: str, created: dt.datetime, text: str) -> str:
    digest = hashlib.sha256(f"{network}|{author}|{created.isoformat()}|{text}".encode())
    return "sha256:" + digest.hexdigest()[:32]


# the longest value each field's column holds (``models.Post``); longer is a bad line, not a
# database error halfway through the import
LIMITS = {"network": 20, "id": 255, "author_id": 255, "author": 255, "author_name": 255,
          "lang": 8, "url": 1000, "in_reply_to": 255, "text": 100_000, "id_str": 255,
          "full_text": 100_000, "in_reply_to_status_id_str": 255}


def _field(obj: dict, key: str, where: str, *, ids: bool = False) -> str | None:
    """A text field as a string, or None when absent or empty; numbers only where an id may
    be one. Anything else (a list, an object, NUL, unencodable text, too long) is refused."""
    value = obj.get(key)
    if value is None or value == "":
        return None
    if ids and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ImportFormatError(f"{where}: {key} is a {type(value).__name__}, not text")
    if "\x00" in value:
        raise ImportFormatError(f"{where}: {key} contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ImportFormatError(f"{where}: {key} is not valid Unicode text") from None
    if len(value) > LIMITS.get(key, 255):
        raise ImportFormatError(f"{where}: {key} is longer than {LIMITS.get(key, 255)} "
                                "characters")
    return value


def _record(obj: dict, network: str, where: str) -> PostData:
    text = _field(obj, "text", where)
    author = (_field(obj, "author", where) or _field(obj, "author_handle", where) or "")
    author = author.lstrip("@")
    when = _field(obj, "created_at", where) or _field(obj, "date", where)
    if text is None or not author or when is None:
        raise ImportFormatError(f"{where}: needs text, author and created_at/date")
    try:
        created = parse_time(when)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ImportFormatError(f"{where}: {when[:40]!r} is not a date ({exc})") from None
    if not text.strip():
        raise ImportFormatError(f"{where}: empty text or author")
    net = _field(obj, "network", where) or network
    external_id = _field(obj, "id", where, ids=True) or _synthetic_id(net, author, created, text)
    return PostData(
        network=net, external_id=external_id,
        author_id=_field(obj, "author_id", where, ids=True) or author.lower()[:255],
        author_handle=author, author_name=_field(obj, "author_name", where), text=text,
        created_at=created, lang=_field(obj, "lang", where), url=_field(obj, "url", where),
        reply_to_id=_field(obj, "in_reply_to", where, ids=True),
        addresses_shop=obj.get("mentions_shop", False) is True)


def read_jsonl(text: str, network: str) -> Iterator[PostData | ImportProblem]:
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ImportFormatError(f"line {n}: not a JSON object")
            yield _record(obj, network, f"line {n}")
        except (json.JSONDecodeError, RecursionError, ImportFormatError) as exc:
            yield ImportProblem(f"line {n}", str(exc) or type(exc).__name__)


def read_csv(text: str, network: str) -> Iterator[PostData | ImportProblem]:
    reader = csv.DictReader(io.StringIO(text))
    fields = {(f or "").strip().lower() for f in reader.fieldnames or []}
    if not {"text", "author"} <= fields or not fields & {"date", "created_at"}:
        yield ImportProblem("header", "a CSV import needs the columns text, author and date")
        return
    for n, row in enumerate(reader, 2):
        # cells beyond the header's columns come under the key None: they name no field
        row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
        try:
            yield _record(row, network, f"row {n}")
        except ImportFormatError as exc:
            yield ImportProblem(f"row {n}", str(exc))


def read_tweets_js(text: str, author: str) -> Iterator[PostData | ImportProblem]:
    start = text.find("[")
    if start < 0:
        yield ImportProblem("file", "not an X archive tweets.js (no JSON array)")
        return
    try:
        items = json.loads(text[start:])
    except (json.JSONDecodeError, RecursionError) as exc:
        yield ImportProblem("file", f"not an X archive tweets.js ({exc})")
        return
    if not isinstance(items, list):
        yield ImportProblem("file", "not an X archive tweets.js (no JSON array)")
        return
    for n, item in enumerate(items, 1):
        tweet = item.get("tweet", item) if isinstance(item, dict) else None
        where = f"tweet {n}"
        try:
            if not isinstance(tweet, dict):
                raise ImportFormatError(f"{where}: not a tweet object")
            tweet_id, text = _field(tweet, "id_str", where), _field(tweet, "full_text", where)
            when = _field(tweet, "created_at", where)
            if tweet_id is None or text is None or when is None:
                raise ImportFormatError(f"{where}: needs id_str, full_text and created_at")
            yield PostData(
                network="x", external_id=tweet_id, author_id=author.lower(),
                author_handle=author, text=text, created_at=parse_time(when),
                lang=_field(tweet, "lang", where),
                reply_to_id=_field(tweet, "in_reply_to_status_id_str", where),
                url=f"https://x.com/{author}/status/{tweet_id}",
                metrics={"likes": int(tweet.get("favorite_count", 0)),
                         "reposts": int(tweet.get("retweet_count", 0))})
        except ImportFormatError as exc:
            yield ImportProblem(where, str(exc))
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            yield ImportProblem(where, f"missing or bad field ({exc})")


def read_file(path: Path, network: str = "generic", *, author: str = "archive"
              ) -> Iterator[PostData | ImportProblem]:
    """Yield posts (or problems, one per bad line) from an import file, by its format."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFormatError(f"{path.name} is not UTF-8 text ({exc.reason} at byte "
                                f"{exc.start})") from None
    name = path.name.lower()
    if name.endswith(".js") or text.lstrip().startswith("window.YTD"):
        yield from read_tweets_js(text, author)
    elif name.endswith(".csv"):
        yield from read_csv(text, network)
    else:
        yield from read_jsonl(text, network)
