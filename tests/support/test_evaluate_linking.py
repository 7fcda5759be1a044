"""The linking evaluation on synthetic shops with ground truth (``benchmarks/evaluate_linking.py``
on :mod:`tools.demo_shop.linking`): its targets, how realistic the shops are, and linking a large
shop through the database."""
from __future__ import annotations

from sqlalchemy import event

from arrosto.models import Case
from arrosto.support.linking import LinkIndex, link_cases
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


# --- through the database ---------------------------------------------------------------------

def test_linking_a_large_shop_through_the_database(db):
    """Cases opened by ``support.cases`` from the synthetic complaints are linked through the
    database as a worker does: right at least 98% of the time when automatic, for at least 60%
    of the authors who ordered; the index is built with a fixed handful of queries whatever the
    number of orders, and linking takes about one query per case, never one per order (an index
    rebuilt per case or a query per order would break these counts long before anyone timed
    it). The speed itself is ``benchmarks/linking.py``'s: 100,000 orders and 1,000 complaints in
    under 5 s."""
    orders, complaints = 4_000, 200
    shop = generate_shop(4, orders, complaints, platform="shopify")
    shop_id = write_shop(db, shop)
    truth = write_complaints(db, shop_id, shop)
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.transaction(shop_id) as s:
            index = LinkIndex.build(s)
            building = len(statements)
            outcomes = link_cases(s, [s.get(Case, cid) for cid in truth], shop.now, index=index)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert building <= 10, statements
    assert len(statements) - building <= 20 + 2 * len(truth)
    autos = [o for o in outcomes if o.status == "auto"]
    right = [o for o in autos if o.order_id == truth[o.case_id].truth_order_id]
    assert len(right) / len(autos) >= 0.98
    assert len(right) / sum(1 for c in truth.values() if c.truth_order_id) >= 0.6
