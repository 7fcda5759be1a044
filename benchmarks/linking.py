"""Linking support cases to orders on a large shop, through the database: one synthetic shop of
100,000 orders and 1,000 complaint threads (``tools.demo_shop.linking``, fixed seed) is written
through the models, the cases are opened by ``support.cases``, then timed: building the
:class:`~arrosto.support.linking.LinkIndex` and linking every case (OrderLink rows written, one
transaction). Scored against the ground truth: automatic-link precision and recall and the
top-3 recall of the suggestions, over complaints whose author did order.

The baseline, measured in the same run on the same database: an order-number regex alone (the
first number in the posts that is an order's number, looked up by the ``(shop_id, number)``
index). ``ratio`` = our automatic-link recall / the baseline's recall (at our precision ≥ 0.98
versus whatever the regex reaches).

Keys: ``auto_precision``, ``auto_recall``, ``top3_recall``, ``seconds_per_1000`` (index build +
linking, per 1,000 complaints), ``baseline_precision``, ``baseline_recall``,
``baseline_seconds_per_1000``, ``ratio``, ``threshold``, ``cpu_seconds_per_1000`` (the same
work in CPU time of this process: wall time on a busy machine includes waiting for a CPU),
``build_seconds``, ``link_seconds``,
``orders``, ``complaints``, ``database``. Goals: precision ≥ 0.98, recall ≥ 0.6, top-3 ≥ 0.9,
under 5 s per 1,000 complaints.

    python benchmarks/linking.py [--quick] [--seed N] [--orders N] [--complaints N]
    ARROSTO_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        python benchmarks/linking.py
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugin"))
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.orm import selectinload  # noqa: E402

from arrosto.app import create_app  # noqa: E402
from arrosto.models import Case, Order  # noqa: E402
from arrosto.support.linking import AUTO_LINK_THRESHOLD, LinkIndex, link_cases  # noqa: E402
from tools.demo_shop.linking import (  # noqa: E402
    SyntheticComplaint,
    generate_shop,
    write_complaints,
    write_shop,
)

SEED = 2026  # the reported seed; AUTO_LINK_THRESHOLD was tuned on seed 7
NUMBER = re.compile(r"#?\b(\d{3,9})\b")


def open_database(tmp: str):
    url = os.environ.get("ARROSTO_DATABASE_URL") or f"sqlite:///{tmp}/linking.db"
    settings = {"instance_path": tmp, "secret_key": "x" * 32, "database_url": url,
                "log_level": "WARNING"}
    schema = None
    if url.startswith("postgresql"):
        schema = f"bench_linking_{uuid.uuid4().hex[:8]}"
        settings["database_schema"] = schema
    app = create_app(settings)
    db = app.extensions["arrosto.db"]
    db.upgrade()
    return db, url, schema


def drop_schema(url: str, schema: str | None) -> None:
    if schema:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


def run_arrosto(db, shop_id: int, now: dt.datetime) -> tuple[dict, float, float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    with db.transaction(shop_id) as s:
        index = LinkIndex.build(s)
        built = time.perf_counter()
        cases = list(s.scalars(select(Case)))
        outcomes = link_cases(s, cases, now, index=index)
        result = {o.case_id: o for o in outcomes}
    finished = time.perf_counter()
    return result, built - started, finished - built, time.process_time() - cpu


def run_baseline(db, shop_id: int) -> tuple[dict[int, int | None], float]:
    started = time.perf_counter()
    linked: dict[int, int | None] = {}
    with db.transaction(shop_id) as s:
        for case in s.scalars(select(Case).options(selectinload(Case.posts))):
            linked[case.id] = None
            numbers = [int(n) for p in case.posts for n in NUMBER.findall(p.text)]
            for number in numbers:
                order_id = s.scalar(select(Order.id).where(Order.number == number).limit(1))
                if order_id is not None:
                    linked[case.id] = order_id
                    break
    return linked, time.perf_counter() - started


def score(truth: dict[int, SyntheticComplaint], outcomes: dict) -> dict[str, float]:
    with_order = sum(1 for c in truth.values() if c.truth_order_id is not None)
    auto = correct = top3 = 0
    for case_id, complaint in truth.items():
        outcome = outcomes[case_id]
        if outcome.status == "auto":
            auto += 1
            correct += outcome.order_id == complaint.truth_order_id
        ids = [c.order_id for c in outcome.candidates[:3]]
        top3 += complaint.truth_order_id is not None and complaint.truth_order_id in ids
    return {"auto": auto, "auto_precision": correct / auto if auto else 1.0,
            "auto_recall": correct / with_order, "top3_recall": top3 / with_order}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 orders, 300 complaints")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--orders", type=int)
    parser.add_argument("--complaints", type=int)
    args = parser.parse_args(argv)
    orders = args.orders or (20_000 if args.quick else 100_000)
    complaints = args.complaints or (300 if args.quick else 1_000)

    started = time.perf_counter()
    shop = generate_shop(args.seed, orders, complaints, platform="shopify")
    print(f"generated {orders} orders and {complaints} complaints in "
          f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        db, url, schema = open_database(tmp)
        try:
            started = time.perf_counter()
            shop_id = write_shop(db, shop)
            truth = write_complaints(db, shop_id, shop)
            print(f"written in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            baseline, baseline_seconds = run_baseline(db, shop_id)
            outcomes, build_seconds, link_seconds, cpu_seconds = run_arrosto(db, shop_id,
                                                                             shop.now)
        finally:
            db.dispose()
            drop_schema(url, schema)
    ours = score(truth, outcomes)
    with_order = sum(1 for c in truth.values() if c.truth_order_id is not None)
    base_auto = sum(1 for v in baseline.values() if v is not None)
    base_correct = sum(1 for cid, v in baseline.items()
                       if v is not None and v == truth[cid].truth_order_id)
    base_recall = base_correct / with_order
    result = {
        "auto_precision": round(ours["auto_precision"], 4),
        "auto_recall": round(ours["auto_recall"], 4),
        "top3_recall": round(ours["top3_recall"], 4),
        "seconds_per_1000": round((build_seconds + link_seconds) / len(truth) * 1000, 3),
        "cpu_seconds_per_1000": round(cpu_seconds / len(truth) * 1000, 3),
        "build_seconds": round(build_seconds, 3),
        "link_seconds": round(link_seconds, 3),
        "baseline_precision": round(base_correct / base_auto if base_auto else 1.0, 4),
        "baseline_recall": round(base_recall, 4),
        "baseline_seconds_per_1000": round(baseline_seconds / len(truth) * 1000, 3),
        "ratio": round(ours["auto_recall"] / base_recall, 3) if base_recall else None,
        "threshold": AUTO_LINK_THRESHOLD,
        "auto_links": ours["auto"],
        "orders": orders,
        "complaints": len(truth),
        "with_order": with_order,
        "seed": args.seed,
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
    }
    emit(result)


if __name__ == "__main__":
    main()
