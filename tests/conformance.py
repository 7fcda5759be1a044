"""The shape of a conformance row: what every connector must do, told as data.

In the style of apprise's ``AppriseURLTester``: each connector contributes rows (how to build it,
one call that goes over HTTP, what a good answer looks like, how to build it badly), and one
runner, ``tests/test_conformance.py``, puts every row through the same checks. The rows live
beside each family's tests: ``tests/shops/conformance.py`` and ``tests/social/conformance.py``.

HTTP is answered from a :class:`Script`: for requests-based connectors by a catch-all
``responses`` callback the runner installs, for httpx-based SDKs (atproto) through
:meth:`Script.httpx_transport`.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import requests


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None  # dict/list: JSON; str/bytes as they are; None: empty
    timeout: bool = False  # no answer: the read times out
    refused: bool = False  # no connection: the service is down

    def content(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()

    def all_headers(self) -> dict[str, str]:
        kind = {"Content-Type": "application/json"} if isinstance(self.body, dict | list) else {}
        return {**kind, **self.headers}


UNAUTHORIZED = Answer(401, body={"error": "AuthenticationRequired", "message": "unauthorized",
                                 "errors": "unauthorized"})


class Script:
    """The answers the fake service gives, in order; the last one repeats (a 500 stays a 500
    however often the connector or its adapter retries)."""

    def __init__(self, answers: list[Answer]):
        assert answers, "a script needs at least one answer"
        self.answers = list(answers)
        self.requests: list[tuple[str, str]] = []

    def answer(self, method: str, url: str) -> Answer:
        self.requests.append((method, url))
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    # requests (through the runner's catch-all ``responses`` callback)
    def requests_callback(self, request: requests.PreparedRequest
                          ) -> tuple[int, dict[str, str], bytes]:
        answer = self.answer(request.method or "GET", request.url or "")
        if answer.timeout:
            raise requests.exceptions.ReadTimeout("read timed out (conformance script)")
        if answer.refused:
            raise requests.exceptions.ConnectionError("connection refused (conformance script)")
        return answer.status, answer.all_headers(), answer.content()

    # httpx
    def httpx_transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            answer = self.answer(request.method, str(request.url))
            if answer.timeout:
                raise httpx.ReadTimeout("read timed out (conformance script)", request=request)
            if answer.refused:
                raise httpx.ConnectError("connection refused (conformance script)",
                                         request=request)
            return httpx.Response(answer.status, headers=answer.all_headers(),
                                  content=answer.content())

        return httpx.MockTransport(handle)


@dataclass
class Case:
    """What a row's ``build`` and ``bad_config`` get."""

    app: Any  # the test app (its context is pushed)
    db: Any
    settings: Any  # the app's ArrostoSettings
    script: Script
    max_wait: float = 60.0
    slept: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


@dataclass(frozen=True)
class Row:
    name: str  # the registry name ("shopify", "x", ...)
    build: Callable[[Case], Any]  # a connector with a good config, sleeping through case.sleep
    call: Callable[[Any], Any]  # one representative read that sends a request
    ok: Answer  # a successful answer to that request
    bad_config: Callable[[Case], Any]  # builds (and calls) with a bad config: ConfigError
    prelude: tuple[Answer, ...] = ()  # answers needed before the call's request (a login)
    unauthorized: Answer = UNAUTHORIZED
    id: str = ""  # the pytest id when a name has several rows

    @property
    def test_id(self) -> str:
        return self.id or self.name
