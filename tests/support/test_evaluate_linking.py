"""The linking evaluation on synthetic shops with ground truth (``benchmarks/evaluate_linking.py``
on :mod:`tools.demo_shop.linking`): its targets, how realistic the shops are, and linking a large
shop through the database in a fresh process."""
from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

from benchmarks.evaluate_linking import baseline_linking, evaluate_linking, format_report
from tools.demo_shop.linking import generate_shop, write_complaints, write_shop

# --- the evaluation -------------------------------------------------------------------------------

def test_evaluation_on_a_synthetic_run_meets_the_targets():
    report = evaluate_linking(seed=12, shops=3, complaints=200, orders=2000)
    baseline = baseline_linking(seed=12, shops=3, complaints=200, orders=2000)
    assert report.with_order > 400
    assert report.auto_precision >= 0.98
    assert report.auto_recall >= 0.6
    assert report.top3_recall >= 0.9
    assert report.auto_recall > baseline.auto_recall
    assert report.auto_precision > baseline.auto_precision
    text = format_report(report, baseline)
    assert "precision" in text and "baseline" in text and "calibration" in text


def test_synthetic_shops_are_realistic():
    shop = generate_shop(3, orders=1500, complaints=300)
    names = [f"{c['first_name']} {c['last_name']}" for c in shop.customers]
    assert any(not n.isascii() for n in names)  # diacritics
    assert len(set(names)) < len(names)  # namesakes
    counts = {}
    for o in shop.orders:
        counts[o["customer_id"]] = counts.get(o["customer_id"], 0) + 1
    assert counts.pop(None, 0) > 0  # guest orders
    assert max(counts.values()) >= 5  # customers with several orders
    kinds = {c.kind.split("+")[0].split(":")[0] for c in shop.complaints}
    assert {"number", "identity", "email", "name", "stranger"} <= kinds
    assert any(p.source == "dm" for c in shop.complaints for p in c.posts)
    assert {o["state"] for o in shop.orders} >= {"late", "stuck", "failure", "cancelled",
                                                 "partial", "delivered"}


# --- speed ----------------------------------------------------------------------------------------

MEASURE = """
import json, sys, time
from arrosto import create_app
from arrosto.models import Case
from arrosto.support.link import LinkIndex, link_cases
import datetime as dt
shop_id, case_ids, now = int(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
db = create_app().extensions["arrosto.db"]
cpu = time.process_time()
with db.transaction(shop_id) as s:
    index = LinkIndex.build(s)
    built = time.process_time() - cpu
    outcomes = link_cases(s, [s.get(Case, cid) for cid in case_ids],
                          dt.datetime.fromisoformat(now), index=index)
linked = time.process_time() - cpu - built
print(json.dumps({"built": built, "linked": linked,
                  "outcomes": [[o.case_id, o.status, o.order_id] for o in outcomes]}))
"""


def test_linking_a_large_shop_is_fast(db, env_for_subprocess):
    """The benchmark's 100,000 orders and 1,000 complaints in under 5 s, scaled down to 20,000
    orders and 200 complaints: index build (grows with orders) + linking (grows with
    complaints), in CPU time so that a busy machine does not fail it, and in a fresh process,
    as a worker runs it (not in a test process grown by hundreds of tests before)."""
    orders, complaints = 20_000, 200
    shop = generate_shop(4, orders, complaints, platform="shopify")
    shop_id = write_shop(db, shop)
    truth = write_complaints(db, shop_id, shop)
    run = subprocess.run([sys.executable, "-c", MEASURE, str(shop_id), json.dumps(list(truth)),
                          shop.now.isoformat()], env=env_for_subprocess, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    built, linked = measured["built"], measured["linked"]
    # 5 s for 100,000 orders + 1,000 complaints, shared as ~2 s build and ~3 s linking, is the
    # goal benchmarks/linking.py reports against. Here it is doubled: the same machines' speed
    # varies from day to day (one day 1.2 s of CPU, where every earlier run passed under 1.0 s),
    # and what this guards against (an index rebuilt per case, a query per order) costs far more
    budget = 2 * (2.0 * orders / 100_000 + 3.0 * complaints / 1000)
    assert built + linked < budget, (built, linked, budget)
    outcomes = [SimpleNamespace(case_id=c, status=st, order_id=o)
                for c, st, o in measured["outcomes"]]
    autos = [o for o in outcomes if o.status == "auto"]
    right = [o for o in autos if o.order_id == truth[o.case_id].truth_order_id]
    assert len(right) / len(autos) >= 0.98
    assert len(right) / sum(1 for c in truth.values() if c.truth_order_id) >= 0.6
