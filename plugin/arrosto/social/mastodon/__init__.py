"""Mastodon, through Mastodon.py: the network (:mod:`.network`), reaching an instance
(:mod:`.instance`), connecting an account there (:mod:`.oauth`), what instances answer
(:mod:`.answers`) and how statuses read (:mod:`.statuses`)."""
from __future__ import annotations

from .instance import normalize_instance_url
from .network import MastodonNetwork
from .oauth import authorization_url, exchange_code, register_app
from .statuses import hashtag_for, html_to_text

__all__ = ["MastodonNetwork", "authorization_url", "exchange_code", "hashtag_for",
           "html_to_text", "normalize_instance_url", "register_app"]
