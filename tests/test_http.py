"""The connector HTTP base: Retry-After in both forms, the wait rule, transport failures."""
from __future__ import annotations

import datetime as dt

import httpx
import pytest
import requests

from arrosto import http, outbound
from arrosto.errors import ConfigError, FatalPlatformError, RetryableError, retry_after

NOW = dt.datetime(2026, 10, 21, 7, 28, tzinfo=dt.UTC)


@pytest.mark.parametrize(("headers", "seconds"), [
    ({"Retry-After": "7"}, 7.0),
    ({"retry-after": "7"}, 7.0),  # a plain dict, in any case
    ({"Retry-After": " 2.5 "}, 2.5),
    ({"Retry-After": "-3"}, 0.0),
    ({"Retry-After": "Wed, 21 Oct 2026 07:28:30 GMT"}, 30.0),
    ({"Retry-After": "Wed, 21 Oct 2026 07:27:00 GMT"}, 0.0),  # already past
    ({"Retry-After": "Wed, 21 Oct 2026 07:28:30 -0000"}, 30.0),
    ({"Retry-After": "soon"}, None),
    ({"Retry-After": "nan"}, None),
    ({"Retry-After": ""}, None),
    ({}, None),
    (None, None),
])
def test_retry_after_reads_delta_seconds_and_http_dates(headers, seconds):
    assert retry_after(headers, now=NOW) == seconds


def test_retry_after_reads_every_kind_of_headers():
    assert retry_after(requests.structures.CaseInsensitiveDict({"retry-after": "4"})) == 4.0
    assert retry_after(httpx.Headers({"Retry-After": "4"})) == 4.0


def limited(seconds: float | None, status: int = 429) -> RetryableError:
    return RetryableError("limited", status=status, retry_after=seconds, platform="test")


def test_the_wait_policy_sleeps_a_short_rate_limit_once_then_hands_it_to_the_job():
    slept: list[float] = []
    policy = http.WaitPolicy(sleep=slept.append, max_wait=60.0, max_waits=1)
    answers = iter([limited(5), limited(5)])

    def call():
        raise next(answers)

    with pytest.raises(RetryableError):
        policy.run(call)
    assert slept == [5]


@pytest.mark.parametrize("error", [limited(61), limited(None), limited(5, status=503)])
def test_the_wait_policy_never_sleeps_long_unknown_or_non_rate_limit_waits(error):
    slept: list[float] = []
    policy = http.WaitPolicy(sleep=slept.append, max_wait=60.0)
    with pytest.raises(RetryableError) as raised:
        policy.wait_or_raise(error, 0)
    assert raised.value is error and slept == []


@pytest.mark.parametrize(("exc", "kind"), [
    (requests.ReadTimeout("read timed out"), RetryableError),
    (requests.ConnectionError("refused"), RetryableError),
    (requests.exceptions.ChunkedEncodingError("broke off"), RetryableError),
    (httpx.ConnectTimeout("slow"), RetryableError),
    (httpx.ConnectError("refused"), RetryableError),
    (requests.exceptions.SSLError("certificate verify failed"), FatalPlatformError),
    (requests.exceptions.InvalidURL("no"), FatalPlatformError),
    (outbound.RefusedAddress("intranet.example", "10.0.0.1"), ConfigError),
])
def test_transport_failures_map_to_our_errors(exc, kind):
    error = http.transport_error(exc, platform="test", what="GET things")
    assert isinstance(error, kind)
    assert str(error).startswith("test GET things: ")
