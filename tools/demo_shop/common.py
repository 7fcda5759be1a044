"""What every synthetic shop shares: the reference moment all its dates lead up to, the e-mail
domains (reserved example domains only) and how its authors spread over the networks."""
from __future__ import annotations

import datetime as dt

REFERENCE_NOW = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
MAIL_DOMAINS = ["example.com", "example.it", "example.org"]
NETWORK_SHARES = {"x": 45, "bluesky": 30, "mastodon": 25}  # percent of the authors
