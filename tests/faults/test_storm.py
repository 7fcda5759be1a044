"""The webhook storm (``benchmarks/storm.py``) in short: signed Shopify and WooCommerce
deliveries, 20 % resent, out of order, to gunicorn with 2 web workers and 2 ``arrosto worker``
processes while a web worker and an Arrosto worker are SIGKILLed — and, on PostgreSQL + Redis as
root with ``pg_ctlcluster`` and ``redis-server`` at hand, PostgreSQL and Redis restarted once
each. Counted from the database afterwards: nothing lost, no effect doubled, and the workers
caught up on their own.

On SQLite (the default run) the same storm runs smaller, kills only, with SqliteHuey.
``ARROSTO_STORM_RESTARTS=0`` turns the restarts off (a machine whose PostgreSQL is shared).
"""
from __future__ import annotations

import importlib.util
import os
import sys

import pytest

from ..conftest import ON_POSTGRES, REDIS_URL, repo_root

pytestmark = pytest.mark.slow


def _storm_module():
    path = repo_root() / "benchmarks" / "storm.py"
    spec = importlib.util.spec_from_file_location("arrosto_storm_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _check(result: dict, kills: int) -> None:
    if "skipped" in result:
        pytest.skip(result["skipped"])
    summary = {k: result.get(k) for k in ("deliveries", "accepted", "processed_once", "lost",
                                          "duplicated_effects", "seconds", "checks", "faults",
                                          "faults_skipped", "lost_sample", "answers")}
    assert result["caught_up"], f"the workers did not catch up: {summary}"
    assert result["lost"] == 0, summary
    assert result["duplicated_effects"] == 0, summary
    # every delivery was accepted in the end (senders retry as the platforms do), stored once
    # and processed exactly once, with the effects the payloads call for
    assert result["given_up"] == 0, summary
    assert result["accepted"] == result["unique"] == result["processed_once"], summary
    assert result["states"] == {"processed": result["unique"]}, summary
    assert result["checks"]["orders"] > 0 and result["checks"]["products"] > 0, summary
    kinds = [f["fault"] for f in result["faults"] if f.get("ok")]
    assert kinds.count("SIGKILL a web worker") == kills, summary
    assert kinds.count("SIGKILL an arrosto worker") == kills, summary
    assert all(f.get("ok") for f in result["faults"]), summary
    assert result["web_workers_after"] == 2  # gunicorn replaced the one killed


@pytest.mark.skipif(not (ON_POSTGRES and REDIS_URL),
                    reason="the PostgreSQL + Redis storm needs ARROSTO_DATABASE_URL (PostgreSQL) "
                           "and ARROSTO_REDIS_URL")
def test_storm_on_postgres_and_redis():
    storm = _storm_module()
    restarts = os.environ.get("ARROSTO_STORM_RESTARTS", "1") != "0"
    logs = Logs()
    result = storm.storm(deliveries=600, shops=5, kills=1, restarts=restarts,
                         database_url=os.environ["ARROSTO_DATABASE_URL"], redis_url=REDIS_URL,
                         retry_for=60, stall_timeout=45, drain_timeout=90, log_level="DEBUG",
                         on_logs=logs)
    _check(result, kills=1)
    logs.assert_clean(storm)
    done = {f["fault"] for f in result["faults"]}
    if restarts and os.geteuid() == 0:
        for fault, tool in (("restart PostgreSQL", "pg_ctlcluster"),
                            ("restart Redis", "redis-server")):
            # skipped only with the reason said (a remote server, a tool missing)
            assert fault in done or result["faults_skipped"], (tool, result["faults_skipped"])


class Logs:
    """The storm's processes' output (they log at DEBUG), scanned for secrets, tokens and the
    customers' details in the payloads sent."""

    def __init__(self):
        self.lines: list[str] = []
        self.secrets: dict[str, str] = {}

    def __call__(self, paths, secrets):
        for path in paths:
            self.lines.extend(path.read_text(encoding="utf-8", errors="replace").splitlines())
        self.secrets.update(secrets)

    def assert_clean(self, storm):
        from .test_log_scan import _scan

        assert sum("arrosto" in line for line in self.lines) > 50, "nothing was logged"
        hits = _scan(self.lines, {**self.secrets, **storm.logged_needles()})
        assert not hits, "in the storm's logs:\n" + "\n".join(hits[:40])


@pytest.mark.skipif(ON_POSTGRES, reason="the SQLite variant runs in the default (SQLite) run")
def test_storm_on_sqlite_kills_only():
    storm = _storm_module()
    logs = Logs()
    result = storm.storm(deliveries=300, shops=3, kills=1, sqlite=True, retry_for=60,
                         stall_timeout=45, drain_timeout=60, log_level="DEBUG", on_logs=logs)
    _check(result, kills=1)
    assert result["queue"] == "SqliteHuey"
    logs.assert_clean(storm)
