"""Logging: text or JSON lines (``ARROSTO_LOG_FORMAT``), with secrets and personal data masked.

Code should not log tokens, e-mail addresses or order data in the first place; the filter here is
the second line of defence for what slips through (an SDK's debug line, an exception message).
gunicorn's access and error logs (``arrosto serve``) go through the same masking with
:class:`AccessLogger`: a URL that is a credential (a sign-in link, a verification link, a
session token or an OAuth code in the query) is logged with that part redacted.
"""
from __future__ import annotations

import logging
import re
import sys
from typing import Any

from gunicorn import glogging
from pythonjsonlogger.json import JsonFormatter

#: path segments that are a credential: /admin/login/<token>, /verify/<token>,
#: /digest/unsubscribe/<token>
SECRET_PATHS = ("admin/login", "verify", "digest/unsubscribe")
#: query parameters that carry a credential: API and session tokens, OAuth and wc-auth
#: values, Shopify's signed-request fields
SECRET_PARAMS = ("token", "id_token", "access_token", "refresh_token", "session", "code",
                 "state", "nonce", "user_id", "hmac", "signature", "oauth_token",
                 "oauth_verifier", "key", "secret", "password", "consumer_key",
                 "consumer_secret", "api_key")

_PATTERNS = [
    (re.compile(rf"(/(?:{'|'.join(SECRET_PATHS)})/)[^/?#\s\"'<>]+"), r"\1<redacted>"),
    (re.compile(rf"(?i)([?&](?:{'|'.join(SECRET_PARAMS)})=)[^&#\s\"'<>]+"), r"\1<redacted>"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[\w.~+/=-]+"), r"\1 <redacted>"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    (re.compile(r"(?i)\b(bearer|token|secret|password|authorization|key)([\"']?\s*[:=]\s*[\"']?)"
                r"(?!<redacted>)[^\s\"',;&]+"), r"\1\2<redacted>"),
    (re.compile(r"\bshp(?:at|ca|pa|ss|rt)_[0-9a-fA-F]{16,}\b"), "<shopify-token>"),
    (re.compile(r"\b(?:ck|cs)_[0-9a-fA-F]{20,}\b"), "<woocommerce-key>"),
    (re.compile(r"\bgAAAAA[\w-]{20,}={0,2}"), "<ciphertext>"),
    (re.compile(r"\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}\b"), "<jwt>"),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Renders each record's message once, masked, so formatters never see the raw arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not kill logging
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


#: headers whose whole value is a credential, in any log format an operator may choose
_SECRET_HEADER = re.compile(r"(?i)authorization|cookie|hmac|signature|token|secret|key")


class AccessLogger(glogging.Logger):
    """gunicorn's logger for `arrosto serve` (``--logger-class``): every access-log atom that
    holds text (the request line, path, query, referer, user agent, and any header or environ
    value a custom ``--access-logformat`` names) is masked like our own logs; credential
    headers are dropped whole. The error log, where gunicorn names the URL of a request that
    failed, gets the :class:`RedactingFilter`."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        if not any(isinstance(f, RedactingFilter) for f in self.error_log.filters):
            self.error_log.addFilter(RedactingFilter())

    def atoms(self, resp, req, environ, request_time) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: _masked_atom(key, value) for key, value in atoms.items()}


def _masked_atom(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key.startswith("{") and _SECRET_HEADER.search(key):
        return "<redacted>"
    if key in ("q", "{query_string}e"):  # a query without its "?"
        return redact("?" + value)[1:]
    return redact(value)


def configure(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_arrosto", False):
            root.removeHandler(old)
    handler._arrosto = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("urllib3", "huey.consumer.Scheduler", "tweepy"):
        logging.getLogger(noisy).setLevel(max(logging.getLevelName(level), logging.INFO))
