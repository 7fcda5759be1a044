"""Every shop platform and social network in the registry behaves the same way at the edges.

One runner over the rows of ``tests/shops/conformance.py`` and ``tests/social/conformance.py``
(the shape: ``tests/conformance.py``), in the style of apprise's ``AppriseURLTester``: a bad
config is a ConfigError, a 401 an AuthError, a 429 is waited out for as long as Retry-After says
(either form) or handed to the job when that is too long; a 5xx, a timeout and a refused
connection are retryable.
Per-connector test files keep only their own data and quirks.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import re

import pytest
import responses

from arrosto import shops, social
from arrosto.errors import AuthError, ConfigError, RetryableError

from .conformance import Answer, Case, Row, Script
from .shops import conformance as shop_rows
from .social import conformance as social_rows

ROWS: list[Row] = shop_rows.ROWS + social_rows.ROWS
NO_HTTP = {"demo"}  # the demo shop reads files, it sends no requests
METHODS = (responses.GET, responses.POST, responses.PUT, responses.PATCH, responses.DELETE)

rows = pytest.mark.parametrize("row", ROWS, ids=[r.test_id for r in ROWS])


def test_every_connector_in_the_registry_has_a_row():
    shops.register_platforms()
    social.register_networks()
    covered = {r.name for r in ROWS}
    assert set(shops.PLATFORMS) - NO_HTTP <= covered
    assert set(social.NETWORKS) <= covered
    assert covered <= set(shops.PLATFORMS) | set(social.NETWORKS)


@pytest.fixture
def run(app, db):
    """``run(row, *answers)``: build the row's connector on a script of answers, make its call,
    return (result or raised error, the case)."""
    cfg = app.config["ARROSTO"]

    def go(row: Row, *answers: Answer, expect: type[BaseException] | None = None):
        case = Case(app=app, db=db, settings=cfg, script=Script([*row.prelude, *answers]))
        with app.app_context(), responses.RequestsMock(
                assert_all_requests_are_fired=False) as mocked:
            for method in METHODS:
                mocked.add_callback(method, re.compile(r".*"),
                                    callback=case.script.requests_callback)
            connector = row.build(case)
            if expect is None:
                return row.call(connector), case
            with pytest.raises(expect) as caught:
                row.call(connector)
            return caught.value, case

    return go


@rows
def test_a_bad_config_is_a_config_error(row, app, db):
    case = Case(app=app, db=db, settings=app.config["ARROSTO"], script=Script([row.ok]))
    with app.app_context(), pytest.raises(ConfigError):
        row.bad_config(case)


@rows
def test_401_is_an_auth_error(row, run):
    error, case = run(row, row.unauthorized, expect=AuthError)
    assert error.status == 401
    assert case.slept == []


@rows
def test_429_waits_the_seconds_retry_after_says_then_succeeds(row, run):
    _, case = run(row, Answer(429, {"Retry-After": "7"}), row.ok)
    assert case.slept == [7.0]
    assert case.script.requests[-1] == case.script.requests[-2]  # the same request, again


@rows
def test_429_waits_until_the_http_date_retry_after_names(row, run):
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=8)
    _, case = run(row, Answer(429, {"Retry-After": email.utils.format_datetime(when, True)}),
                  row.ok)
    [waited] = case.slept
    assert 4.0 <= waited <= 8.0


@rows
def test_429_longer_than_max_wait_goes_to_the_job(row, run):
    error, case = run(row, Answer(429, {"Retry-After": "3600"}), expect=RetryableError)
    assert error.status == 429
    assert error.retry_after == pytest.approx(3600, abs=1)
    assert case.slept == []


@rows
def test_a_server_error_is_retryable(row, run):
    error, case = run(row, Answer(503, body={"errors": "Service Unavailable"}),
                      expect=RetryableError)
    assert error.status == 503
    assert case.slept == []


@rows
def test_a_refused_connection_is_retryable(row, run):
    _, case = run(row, Answer(refused=True), expect=RetryableError)
    assert case.slept == []


@rows
def test_a_timeout_is_retryable(row, run):
    _, case = run(row, Answer(timeout=True), expect=RetryableError)
    assert case.slept == []
