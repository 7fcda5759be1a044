"""A crash between the network and the record sends nothing twice (issue 7, must-show 4).

A real ``arrosto worker`` process runs the outbox against a Mastodon instance on the loopback (a
small HTTP server here, answering with the shapes of Mastodon.py's recorded cassettes). The
instance accepts the reply — the status exists — and holds its answer; the worker is SIGKILLed
right then, before it can mark the message sent. The message stays ``sending``; ten minutes
later (its claim goes stale) a new worker runs the outbox again: it asks the instance for the
shop's recent statuses first, finds the reply, and records it as sent — one POST in all.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from sqlalchemy import select

from arrosto import jobs
from arrosto.models import Message, Outreach, Promotion, ScheduleRun, SocialAccount, utcnow
from arrosto.promotions.outreach import approve_promotion, send_outreach_job

from ..conftest import REDIS_URL
from .people import a_post, a_promotion, a_shop, product_id

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mastodon"
SHOP_ACCOUNT = "117020565966271181"  # the recorded account (mastodonpy_test) is the shop's


def recorded_status() -> dict:
    cassette = yaml.safe_load((FIXTURES / "test_status_post[None-public].yaml").read_text())
    answer = next(i for i in cassette["interactions"] if i["request"]["method"] == "POST")
    return json.loads(answer["response"]["body"]["string"])


class Instance:
    """A Mastodon instance that keeps statuses, honours Idempotency-Key, and can hold its
    answer to a POST (the moment a worker dies)."""

    def __init__(self) -> None:
        self.template = recorded_status()
        self.statuses: list[dict] = []
        self.posts = 0  # POST /api/v1/statuses received
        self.timeline_reads = 0
        self.by_key: dict[str, dict] = {}
        self.accepted = threading.Event()
        self.hold = True
        self.release = threading.Event()
        self.lock = threading.Lock()
        instance = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _answer(self, body, status=200):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                path = urlsplit(self.path).path
                if path == f"/api/v1/accounts/{SHOP_ACCOUNT}/statuses":
                    with instance.lock:
                        instance.timeline_reads += 1
                        return self._answer(list(reversed(instance.statuses)))
                if path.startswith("/api/v1/statuses/"):  # the post being answered
                    status = dict(instance.template, id=path.rsplit("/", 1)[1],
                                  visibility="public", content="<p>avvisami!</p>")
                    status["account"] = dict(status["account"], id="200", acct="wanda",
                                             username="wanda")
                    return self._answer(status)
                return self._answer({"error": "Record not found"}, 404)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    form = json.loads(raw or "{}")
                else:
                    form = {k: v[0] for k, v in parse_qs(raw).items()}
                key = self.headers.get("Idempotency-Key")
                with instance.lock:
                    instance.posts += 1
                    status = instance.by_key.get(key) if key else None
                    if status is None:
                        status = dict(instance.template,
                                      id=str(117020585924712638 + len(instance.statuses)),
                                      created_at=dt.datetime.now(dt.UTC).isoformat()
                                      .replace("+00:00", "Z"),
                                      in_reply_to_id=form.get("in_reply_to_id"),
                                      visibility=form.get("visibility", "public"),
                                      content=f"<p>{html.escape(form.get('status', ''))}</p>")
                        instance.statuses.append(status)
                        if key:
                            instance.by_key[key] = status
                instance.accepted.set()
                if instance.hold:  # accepted; the answer never reaches the dying worker
                    instance.release.wait(60)
                    return
                self._answer(status)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def start_worker(env, cwd) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "arrosto", "worker", "--threads", "1"],
                            env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def wait_for(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_a_worker_killed_after_the_network_accepted_does_not_send_twice(
        make_app, env_for_subprocess, tmp_path):
    instance = Instance()  # on 127.0.0.1: ARROSTO_ALLOW_LOOPBACK_HOSTS here and in the worker
    app = make_app(jobs_immediate=False, allow_loopback_hosts=True)
    db = app.extensions["arrosto.db"]
    now = utcnow()
    shop_id = a_shop(db)
    with db.transaction(shop_id) as s:
        account = s.scalar(select(SocialAccount).where(SocialAccount.network == "mastodon"))
        account.instance_url, account.external_id = instance.url, SHOP_ACCOUNT
        consent = a_post(s, "mastodon", "wanda@social.example", "@brace avvisami!",
                         intent="question", addresses_shop=True, source="mention", at=now)
        consent.external_id = "117020585924700000"
        from arrosto.models import Watcher

        s.add(Watcher(product_id=product_id(db, shop_id), network="mastodon",
                      person_id=consent.author_id, handle=consent.author_handle,
                      consent_post_id=consent.id, consent_text=consent.text, source="mention"))
    # only the Mastodon account: the other networks' accounts are paused for this test
    with db.transaction(shop_id) as s:
        for other in s.scalars(select(SocialAccount).where(SocialAccount.network != "mastodon")):
            other.active = False
    promotion_id = a_promotion(db, shop_id, ends_at=now + dt.timedelta(days=3))
    with db.transaction(shop_id) as s:
        approve_promotion(s, s.get(Promotion, promotion_id), now)
        message = s.scalar(select(Message).where(Message.kind == "outreach"))
        message_id, text = message.id, message.text
    with db.transaction() as s:  # the schedule stays quiet: this test runs the outbox itself
        for entry in jobs.SCHEDULE:
            s.merge(ScheduleRun(name=entry.name, last_run_at=now + dt.timedelta(days=1)))
    # the announcement would be a second POST: published by hand earlier, say
    with db.transaction(shop_id) as s:
        for m in s.scalars(select(Message).where(Message.kind == "announcement")):
            m.state = "cancelled"

    env = dict(env_for_subprocess, ARROSTO_LOG_LEVEL="INFO", ARROSTO_ALLOW_LOOPBACK_HOSTS="true")
    worker = None
    try:
        with app.app_context():
            send_outreach_job()  # enqueued on the real queue
        worker = start_worker(env, tmp_path)
        assert instance.accepted.wait(90), "the worker never posted"
        os.kill(worker.pid, signal.SIGKILL)  # after the network accepted, before the record
        worker.wait(timeout=30)
        first_output = worker.stdout.read()
        with db.transaction(shop_id) as s:
            m = s.get(Message, message_id)
            assert (m.state, m.attempts, m.external_id) == ("sending", 1, None), first_output
            assert s.scalar(select(Outreach.state).where(
                Outreach.message_id == message_id)) == "queued"
        assert (instance.posts, len(instance.statuses)) == (1, 1)

        # ten minutes later the claim is stale; a new worker runs the outbox
        instance.hold = False
        instance.release.set()
        with db.transaction(shop_id) as s:
            m = s.get(Message, message_id)
            m.attempt_started_at = m.attempt_started_at - dt.timedelta(minutes=11)
        with app.app_context():
            send_outreach_job()
        worker = start_worker(env, tmp_path)

        def sent() -> bool:
            with db.transaction(shop_id) as s:
                return s.get(Message, message_id).state == "sent"

        wait_for(sent, 90, "the second worker to reconcile the message")
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
        worker = None
        assert "Traceback" not in output, output
        with db.transaction(shop_id) as s:
            m = s.get(Message, message_id)
            assert m.external_id == instance.statuses[0]["id"]
            assert m.attempts == 2
            assert s.scalar(select(Outreach.state).where(
                Outreach.message_id == message_id)) == "sent"
        # one status on the instance, one POST: the reconciliation found it
        assert (instance.posts, len(instance.statuses)) == (1, 1)
        assert instance.timeline_reads >= 1
        assert text in html.unescape(instance.statuses[0]["content"])
    finally:
        if worker is not None:
            worker.kill()
            worker.wait(timeout=30)
        instance.close()
        jobs.huey.immediate = True
        if REDIS_URL:
            jobs.huey.storage.flush_all()
