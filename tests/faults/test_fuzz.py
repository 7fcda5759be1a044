"""Fuzzing with hypothesis: the webhook receivers and the processing of stored deliveries
(Shopify, WooCommerce), the archive importer, the classifier and the reply-draft renderer with
owner-edited templates.

The property everywhere: a clear answer or one of our validation errors, never a 500, an
unexpected exception or a row stored half-written. Inputs are the platforms' documented
payloads with a few values replaced by hostile ones (wrong types, huge numbers, NaN, NUL bytes,
lone surrogates, over-long strings, SQL and template text), plus wholly random JSON and bytes.

``ARROSTO_FUZZ_EXAMPLES`` sets the examples per target (default 20, for CI);
``python benchmarks/fuzz.py`` runs 100,000 inputs across the same targets (``tools/fuzz``).
"""
from __future__ import annotations

import os

import pytest

from tools.fuzz.inputs import APP_SETTINGS
from tools.fuzz.targets import TARGETS, Env, run

EXAMPLES = int(os.environ.get("ARROSTO_FUZZ_EXAMPLES", "20"))


@pytest.fixture
def env(make_app):
    with Env(make_app(**APP_SETTINGS)).offline() as env:
        yield env


@pytest.mark.parametrize("name", list(TARGETS))
def test_fuzz(env, name):
    seen: list[str] = []
    ran = run(TARGETS[name], env, EXAMPLES, on_result=seen.append)
    assert ran >= min(EXAMPLES, 5)
    assert seen, "no example reached the end of its check"
