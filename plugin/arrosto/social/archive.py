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


def _record(obj: dict, network: str, where: str) -> PostData:
    try:
        text = str(obj["text"])
        author = str(obj.get("author") or obj.get("author_handle") or "").lstrip("@")
        created = parse_time(str(obj.get("created_at") or obj.get("date")))
    except (KeyError, ValueError, TypeError) as exc:
        raise ImportFormatError(f"{where}: needs text, author and created_at/date ({exc})") \
            from None
    if not author or not text.strip():
        raise ImportFormatError(f"{where}: empty text or author")
    net = str(obj.get("network") or network)
    external_id = str(obj.get("id") or "") or _synthetic_id(net, author, created, text)
    return PostData(
        network=net, external_id=external_id,
        author_id=str(obj.get("author_id") or author.lower()), author_handle=author,
        author_name=obj.get("author_name") or None, text=text, created_at=created,
        lang=obj.get("lang") or None, url=obj.get("url") or None,
        reply_to_id=(str(obj["in_reply_to"]) if obj.get("in_reply_to") else None),
        addresses_shop=bool(obj.get("mentions_shop", False)))


def read_jsonl(text: str, network: str) -> Iterator[PostData | ImportProblem]:
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ImportFormatError(f"line {n}: not a JSON object")
            yield _record(obj, network, f"line {n}")
        except (json.JSONDecodeError, ImportFormatError) as exc:
            yield ImportProblem(f"line {n}", str(exc))


def read_csv(text: str, network: str) -> Iterator[PostData | ImportProblem]:
    reader = csv.DictReader(io.StringIO(text))
    fields = {(f or "").strip().lower() for f in reader.fieldnames or []}
    if not {"text", "author"} <= fields or not fields & {"date", "created_at"}:
        yield ImportProblem("header", "a CSV import needs the columns text, author and date")
        return
    for n, row in enumerate(reader, 2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
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
    except json.JSONDecodeError as exc:
        yield ImportProblem("file", f"not an X archive tweets.js ({exc})")
        return
    for n, item in enumerate(items, 1):
        tweet = item.get("tweet", item) if isinstance(item, dict) else None
        try:
            created = parse_time(tweet["created_at"])
            yield PostData(
                network="x", external_id=str(tweet["id_str"]), author_id=author.lower(),
                author_handle=author, text=tweet["full_text"], created_at=created,
                lang=tweet.get("lang"), reply_to_id=tweet.get("in_reply_to_status_id_str"),
                url=f"https://x.com/{author}/status/{tweet['id_str']}",
                metrics={"likes": int(tweet.get("favorite_count", 0)),
                         "reposts": int(tweet.get("retweet_count", 0))})
        except (KeyError, TypeError, ValueError) as exc:
            yield ImportProblem(f"tweet {n}", f"missing or bad field ({exc})")


def read_file(path: Path, network: str = "generic", *, author: str = "archive"
              ) -> Iterator[PostData | ImportProblem]:
    """Yield posts (or problems, one per bad line) from an import file, by its format."""
    text = path.read_text(encoding="utf-8-sig")
    name = path.name.lower()
    if name.endswith(".js") or text.lstrip().startswith("window.YTD"):
        yield from read_tweets_js(text, author)
    elif name.endswith(".csv"):
        yield from read_csv(text, network)
    else:
        yield from read_jsonl(text, network)
