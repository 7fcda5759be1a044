"""Jobs: the schedule runs each periodic job once per interval; a real worker process runs jobs."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from arrosto import jobs
from arrosto.models import Order, utcnow

from .conftest import REDIS_URL


def test_claim_is_once_per_interval_even_when_raced(db):
    now = utcnow()
    every = dt.timedelta(minutes=15)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: jobs.claim(db, "listen", every, now), range(16)))
    assert results.count(True) == 1
    assert not jobs.claim(db, "listen", every, now + dt.timedelta(minutes=14))
    assert jobs.claim(db, "listen", every, now + dt.timedelta(minutes=15))


def test_run_due_enqueues_due_entries(app, db, monkeypatch):
    calls = []
    monkeypatch.setattr(jobs, "SCHEDULE", [
        jobs.Periodic("probe", "tests.test_jobs:_probe", lambda s: dt.timedelta(minutes=5))])
    monkeypatch.setattr(sys.modules[__name__], "_calls", calls, raising=False)
    now = utcnow()
    assert jobs.run_due(db, app.config["ARROSTO"], now) == ["probe"]
    assert jobs.run_due(db, app.config["ARROSTO"], now + dt.timedelta(minutes=1)) == []
    assert jobs.run_due(db, app.config["ARROSTO"], now + dt.timedelta(minutes=6)) == ["probe"]
    assert len(calls) == 2


_calls: list = []


def _probe() -> None:
    sys.modules[__name__]._calls.append(1)


@pytest.mark.slow
def test_real_worker_process_runs_a_sync_job(make_app, env_for_subprocess, tmp_path):
    """Enqueue the first-sync job on the real queue; an `arrosto worker` process runs it."""
    from arrosto.demo import ensure_demo_shop
    from arrosto.shops.jobs import sync_shop_job

    app = make_app(jobs_immediate=False)
    db = app.extensions["arrosto.db"]
    shop_id, _ = ensure_demo_shop(db)
    try:
        with app.app_context():
            sync_shop_job(shop_id)  # enqueued, not run: no worker yet
        with db.transaction(shop_id) as s:
            assert s.scalar(select(func.count(Order.id))) == 0
        worker = subprocess.Popen([sys.executable, "-m", "arrosto", "worker", "--threads", "1"],
                                  env=env_for_subprocess, cwd=tmp_path,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 60
            count = 0
            while time.monotonic() < deadline:
                with db.transaction(shop_id) as s:
                    count = s.scalar(select(func.count(Order.id)))
                if count >= 500:
                    break
                time.sleep(0.5)
        finally:
            worker.terminate()
            out, _ = worker.communicate(timeout=20)
        assert count >= 500, out
        assert "Traceback" not in out
    finally:
        jobs.huey.immediate = True
        if REDIS_URL:
            jobs.huey.storage.flush_all()


def test_readyz_reports_database_and_queue(client):
    res = client.get("/readyz")
    assert res.status_code == 200
    assert res.json == {"status": "ready", "checks": {"database": "ok", "queue": "ok"}}
    assert client.get("/healthz").json == {"status": "ok"}


def test_readyz_says_unavailable_when_the_database_is_gone(make_app, tmp_path):
    app = make_app(database_url=f"sqlite:///{tmp_path}/missing/dir/x.db",
                   database_schema=None)
    res = app.test_client().get("/readyz")
    assert res.status_code == 503
    assert res.json["checks"]["database"] == "unavailable"
    assert os.path.exists(tmp_path)
