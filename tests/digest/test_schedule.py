"""When digests go out: once per shop and local date, at the shop's hour, in any time zone,
across DST changes, after downtime, and after a worker died in the middle of sending."""
from __future__ import annotations

import datetime as dt
import smtplib
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from arrosto import jobs
from arrosto.digest import schedule
from arrosto.digest.send import STALE, backoff, claim_run
from arrosto.models import DigestRun, Message, Shop

from ..factories import make_shop
from .data import Outbox, add_recipients

UTC = dt.UTC


def hours(start: dt.datetime, end: dt.datetime, step=dt.timedelta(hours=1)):
    t = start
    while t <= end:
        yield t
        t += step


def shop_with_recipient(db, domain, timezone, hour=None, recipients=1):
    settings = {"digest_hour": hour} if hour is not None else {}
    shop_id = make_shop(db, domain, timezone=timezone, settings=settings)
    add_recipients(db, shop_id, *[f"r{i}@{domain}" for i in range(recipients)])
    return shop_id


def tick(db, settings, outbox, now):
    outbox.now = now
    return schedule.run_due(db, settings, now, transport=outbox, wait=lambda s: None)


def test_three_time_zones_one_digest_a_day_at_eight_local(app, db):
    zones = {"rome.example": "Europe/Rome", "ny.example": "America/New_York",
             "tokyo.example": "Asia/Tokyo"}
    for domain, zone in zones.items():
        shop_with_recipient(db, domain, zone)
    settings, outbox = app.config["ARROSTO"], Outbox()
    first = dt.datetime(2026, 11, 20, tzinfo=UTC)
    for now in hours(first, dt.datetime(2026, 11, 23, 23, tzinfo=UTC)):
        tick(db, settings, outbox, now)
    for domain, zone in zones.items():
        sends = [(now.astimezone(ZoneInfo(zone)), now) for now, m in outbox.messages
                 if m["To"] == f"r0@{domain}"]
        days = [local.date() for local, _ in sends]
        assert len(days) == len(set(days)), sends  # one a local date
        # the first tick catches up the local day already past 8:00; then always at 8:00
        assert {local.hour for local, now in sends if now != first} == {8}, sends
    # New York: the 19th (19:00 there at the first tick) caught up, then the 20th to the 23rd;
    # Tokyo: the 20th caught up at 09:00, then the 21st to the 24th (23:00 UTC is 08:00 there);
    # Rome: 01:00 at the first tick, the 20th to the 23rd at 08:00
    assert len(outbox.to("r0@ny.example")) == 5
    assert len(outbox.to("r0@tokyo.example")) == 5
    assert len(outbox.to("r0@rome.example")) == 4
    # and ticking again at any moment sends nothing more
    assert tick(db, settings, outbox, dt.datetime(2026, 11, 23, 23, 30, tzinfo=UTC)) == {}


def test_rome_spring_forward_and_fall_back(app, db):
    """2026-03-29 02:00 → 03:00 and 2026-10-25 03:00 → 02:00 in Europe/Rome."""
    eight = shop_with_recipient(db, "eight.example", "Europe/Rome")
    two = shop_with_recipient(db, "two.example", "Europe/Rome", hour=2)
    settings, outbox = app.config["ARROSTO"], Outbox()
    for start, end in ((dt.datetime(2026, 3, 27, tzinfo=UTC),
                        dt.datetime(2026, 3, 30, 23, tzinfo=UTC)),
                       (dt.datetime(2026, 10, 23, tzinfo=UTC),
                        dt.datetime(2026, 10, 27, tzinfo=UTC))):
        for now in hours(start, end, dt.timedelta(minutes=30)):
            tick(db, settings, outbox, now)
    sent_at = {(m["To"], now) for now, m in outbox.messages}
    eights = sorted(now for to, now in sent_at if to == "r0@eight.example")
    twos = sorted(now for to, now in sent_at if to == "r0@two.example")
    rome = ZoneInfo("Europe/Rome")
    assert [t.astimezone(rome).strftime("%m-%d %H:%M") for t in eights] == [
        "03-27 08:00", "03-28 08:00", "03-29 08:00", "03-30 08:00",
        "10-23 08:00", "10-24 08:00", "10-25 08:00", "10-26 08:00"]
    # 08:00 in Rome is 07:00 UTC before the spring change and 06:00 UTC after it
    assert eights[1].hour == 7 and eights[2].hour == 6
    # hour 2: on the 29th of March 02:00 does not exist, the digest goes at 03:00;
    # on the 25th of October 02:00 happens twice, the digest goes once, the first time
    assert [t.astimezone(rome).strftime("%m-%d %H:%M") for t in twos] == [
        "03-27 02:00", "03-28 02:00", "03-29 03:00", "03-30 02:00",
        "10-23 02:00", "10-24 02:00", "10-25 02:00", "10-26 02:00"]
    assert twos[6] == dt.datetime(2026, 10, 25, 0, 0, tzinfo=UTC)  # 02:00 CEST
    with db.transaction(two) as s:
        assert s.scalar(select(DigestRun.id).where(
            DigestRun.local_date == dt.date(2026, 10, 25), DigestRun.state == "sent"))
    assert eight != two


def test_hours_missed_while_down_are_caught_up_once(app, db):
    shop_with_recipient(db, "rome.example", "Europe/Rome")
    settings, outbox = app.config["ARROSTO"], Outbox()
    # up until 06:00 UTC (07:00 Rome), down until 15:00 UTC, then up again
    for now in hours(dt.datetime(2026, 11, 23, 0, tzinfo=UTC),
                     dt.datetime(2026, 11, 23, 6, tzinfo=UTC)):
        tick(db, settings, outbox, now)
    assert outbox.messages == []
    # a three-day outage: only today's digest, not one per missed day
    for now in hours(dt.datetime(2026, 11, 26, 15, tzinfo=UTC),
                     dt.datetime(2026, 11, 26, 23, tzinfo=UTC)):
        tick(db, settings, outbox, now)
    assert [now for now, _ in outbox.messages] == [dt.datetime(2026, 11, 26, 15, tzinfo=UTC)]


class Crash(BaseException):
    """The process dies (a BaseException: nothing in the send path may catch it)."""


def test_restart_in_the_middle_of_sending_sends_each_recipient_once(app, db):
    shop_id = shop_with_recipient(db, "rome.example", "Europe/Rome", recipients=3)
    settings, outbox = app.config["ARROSTO"], Outbox()
    start = dt.datetime(2026, 11, 23, 7, tzinfo=UTC)

    def dies_on_the_second(msg):
        if msg["To"] == "r1@rome.example":
            raise Crash
        outbox(msg)

    outbox.now = start
    with pytest.raises(Crash):
        schedule.run_due(db, settings, start, transport=dies_on_the_second, wait=lambda s: None)
    assert [m["To"] for _, m in outbox.messages] == ["r0@rome.example"]
    with db.transaction(shop_id) as s:
        assert s.scalar(select(DigestRun.state)) == "claimed"
    # another worker, or the restarted one, while the dead worker's claim is fresh: nothing
    assert tick(db, settings, outbox, start + dt.timedelta(minutes=10)) == {shop_id: "busy"}
    # once the claim is stale, the run is taken over: only the recipients not yet served
    assert tick(db, settings, outbox, start + STALE) == {shop_id: "sent"}
    assert sorted(m["To"] for _, m in outbox.messages) == [
        "r0@rome.example", "r1@rome.example", "r2@rome.example"]
    for now in hours(start + dt.timedelta(hours=1), start + dt.timedelta(hours=12)):
        tick(db, settings, outbox, now)
    assert len(outbox.messages) == 3
    with db.transaction(shop_id) as s:
        run = s.scalar(select(DigestRun))
        assert (run.state, run.attempts) == ("sent", 2)
        assert Counter(s.scalars(select(Message.state).where(Message.kind == "digest"))) == \
            {"sent": 3}


def test_two_workers_claim_once(app, db):
    shop_id = shop_with_recipient(db, "rome.example", "Europe/Rome")
    now = dt.datetime(2026, 11, 23, 8, tzinfo=UTC)
    day = dt.date(2026, 11, 23)
    first, second = claim_run(db, shop_id, day, now), claim_run(db, shop_id, day, now)
    assert first is not None and second is None


def test_a_failed_send_is_retried_with_backoff_never_marked_sent(app, db):
    shop_id = shop_with_recipient(db, "rome.example", "Europe/Rome")
    settings, outbox = app.config["ARROSTO"], Outbox()
    failures = {"left": 6}  # two runs of three tries

    def flaky(msg):
        if failures["left"]:
            failures["left"] -= 1
            raise smtplib.SMTPServerDisconnected("connection lost")
        outbox(msg)

    start = dt.datetime(2026, 11, 23, 7, tzinfo=UTC)
    states = {}
    for now in hours(start, start + dt.timedelta(hours=3), dt.timedelta(minutes=5)):
        outbox.now = now
        result = schedule.run_due(db, settings, now, transport=flaky, wait=lambda s: None)
        if result:
            states[now] = result[shop_id]
    failed_at = [t for t, v in states.items() if v == "failed"]
    sent_at = [t for t, v in states.items() if v == "sent"]
    # failed at 07:00, retried after 15 min (failed again), then after 30 min more: sent
    assert failed_at == [start, start + backoff(1)]
    assert sent_at == [start + backoff(1) + backoff(2)]
    assert len(outbox.messages) == 1
    with db.transaction(shop_id) as s:
        assert s.scalar(select(DigestRun.attempts)) == 3


def test_quiet_day_setting_none_sends_nothing(app, db):
    shop_id = shop_with_recipient(db, "quiet.example", "Europe/Rome")
    with db.transaction(shop_id) as s:
        s.get(Shop, shop_id).settings = {"digest_quiet": "none"}
    settings, outbox = app.config["ARROSTO"], Outbox()
    now = dt.datetime(2026, 11, 23, 8, tzinfo=UTC)
    assert tick(db, settings, outbox, now) == {shop_id: "skipped"}
    assert tick(db, settings, outbox, now + dt.timedelta(hours=1)) == {}
    assert outbox.messages == []


def test_the_digest_is_on_the_schedule(app, db):
    entry = next(e for e in jobs.SCHEDULE if e.name == "digest")
    assert entry.every(app.config["ARROSTO"]) == dt.timedelta(hours=1)
    assert "arrosto.digest.schedule" in jobs.JOB_MODULES
    # without SMTP settings the job records the problem per shop and goes on
    shop_id = shop_with_recipient(db, "rome.example", "Europe/Rome", hour=0)
    with app.app_context():
        schedule.send_due_digests_job()
    with db.transaction(shop_id) as s:
        run = s.scalar(select(DigestRun))
        assert run.state == "failed" and "ARROSTO_SMTP_HOST" in run.last_error
