"""Logging: text or JSON lines (``ARROSTO_LOG_FORMAT``), with secrets and personal data masked.

Code should not log tokens, e-mail addresses or order data in the first place; the filter here is
the second line of defence for what slips through (an SDK's debug line, an exception message).
"""
from __future__ import annotations

import logging
import re
import sys

from pythonjsonlogger.json import JsonFormatter

_PATTERNS = [
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
