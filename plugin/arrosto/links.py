"""Which stored URLs may become links: only ``http`` and ``https`` ones.

A post's URL comes from a social network (a Mastodon instance answers whatever it likes), an
archive import or a shop platform (a parcel's tracking URL); ``javascript:`` or ``data:`` there
would run in the admin's origin when clicked. Templates, the admin's and the digest's, put a
stored URL in ``href`` only through the ``http_url`` filter and show anything else as text.
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

#: what browsers strip from both ends of a URL before parsing it (C0 controls and space)
_ENDS = "".join(map(chr, range(0x21)))
#: inside a URL, browsers drop tabs and newlines (``java\tscript:`` is ``javascript:``); a
#: real URL has none of these, nor other controls or spaces, so one of them refuses it
_INSIDE = re.compile(r"[\x00-\x20\x7f-\x9f]")
MAX_URL_CHARS = 2048


def http_url(value: Any) -> str | None:
    """``value`` if it is an absolute http(s) URL with a host, else None (``javascript:``,
    ``data:``, ``vbscript:``, relative and protocol-relative URLs, anything with a control
    character in it)."""
    if not isinstance(value, str):
        return None
    url = value.strip(_ENDS)
    if not url or len(url) > MAX_URL_CHARS or _INSIDE.search(url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # an unbalanced [ in the host
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return url
