"""Posting forms the way a browser does: read the CSRF token off the page that holds the form."""
from __future__ import annotations

import re

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, page: str) -> str:
    res = client.get(page)
    match = TOKEN.search(res.get_data(as_text=True))
    assert match, f"no CSRF token in the form on {page} ({res.status_code})"
    return match.group(1)


def post_form(client, page: str, data: dict, url: str | None = None, **kwargs):
    """GET ``page``, then POST ``data`` with its CSRF token to ``url`` (default: ``page``)."""
    return client.post(url or page, data={**data, "csrf_token": csrf_token(client, page)},
                       **kwargs)
