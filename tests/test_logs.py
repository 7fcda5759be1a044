"""Logs never carry tokens, secrets or e-mail addresses; JSON lines on request."""
from __future__ import annotations

import io
import json
import logging

from arrosto import logs


def capture(fmt: str) -> tuple[logging.Logger, io.StringIO]:
    logs.configure("DEBUG", fmt)
    stream = io.StringIO()
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_arrosto", False))
    handler.setStream(stream)
    return logging.getLogger("arrosto.test"), stream


def test_secrets_and_emails_are_masked():
    log, stream = capture("text")
    log.info("token=%s for %s", "shpat_0123456789abcdef0123456789abcdef", "giulia@example.com")
    log.warning("Authorization: Bearer abc.def.ghi and ck_0123456789abcdef01234567")
    try:
        raise ValueError("refresh failed for password=hunter2hunter2")
    except ValueError:
        log.exception("oops")
    out = stream.getvalue()
    for secret in ("shpat_0123", "giulia@example.com", "abc.def.ghi", "ck_0123", "hunter2"):
        assert secret not in out
    assert "<email>" in out and "<redacted>" in out


def test_json_format_is_one_object_a_line():
    log, stream = capture("json")
    log.info("sync done for %s", "a@b.example")
    record = json.loads(stream.getvalue().splitlines()[-1])
    assert record["level"] == "INFO" and record["message"] == "sync done for <email>"
    logs.configure("WARNING", "text")
