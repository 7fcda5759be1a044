"""The full fuzzing run: 100,000 generated inputs across the targets of ``tools/fuzz`` (webhook
receivers over HTTP, stored deliveries, the archive importer, the classifier, the reply-draft
renderer; ``tests/faults/test_fuzz.py`` runs a few of each), every failure counted instead of
stopping at the first. Prints one JSON object: inputs and failures per target, and the first
failures.

    python benchmarks/fuzz.py                 # 100,000 inputs (SQLite, or ARROSTO_DATABASE_URL)
    python benchmarks/fuzz.py --quick         # 1,200
    python benchmarks/fuzz.py --total 20000 --only drafts,classifier
"""
from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
import time
import traceback
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit  # noqa: E402

# shares of the total: the fast targets take more inputs, the ones that write rows fewer
SHARES = {"drafts": 0.28, "classifier": 0.22, "stored_delivery": 0.16,
          "shopify_webhook_http": 0.13, "woocommerce_webhook_http": 0.11, "archive_import": 0.10}


def make_env(tmp: Path):
    from sqlalchemy import create_engine, text

    from arrosto.app import create_app
    from arrosto.db import Database
    from tools.fuzz.inputs import APP_SETTINGS
    from tools.fuzz.targets import Env

    url = os.environ.get("ARROSTO_DATABASE_URL") or f"sqlite:///{tmp / 'fuzz.db'}"
    schema = f"fuzz_{uuid.uuid4().hex[:8]}" if url.startswith("postgresql") else None
    Database(url, schema=schema).upgrade()
    settings = {"testing": True, "secret_key": "fuzz-secret-key-0123456789abcdef",
                "instance_path": tmp / "instance", "jobs_immediate": True,
                "public_url": "http://localhost", "log_level": "ERROR",
                "database_url": url, **APP_SETTINGS}
    if schema:
        settings["database_schema"] = schema
    if os.environ.get("ARROSTO_REDIS_URL"):
        settings["redis_url"] = os.environ["ARROSTO_REDIS_URL"]
        settings["jobs_queue_name"] = f"fuzz_{uuid.uuid4().hex[:8]}"
    app = create_app(settings)

    def cleanup():
        app.extensions["arrosto.db"].dispose()
        if schema:
            engine = create_engine(url)
            with engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            engine.dispose()

    return Env(app), cleanup, "postgresql" if schema else "sqlite"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="1,200 inputs")
    parser.add_argument("--only", default="", help="comma-separated target names")
    args = parser.parse_args()
    total = 1_200 if args.quick else args.total

    from tools.fuzz.targets import TARGETS, run

    names = [n for n in SHARES if not args.only or n in args.only.split(",")]
    weight = sum(SHARES[n] for n in names)
    plan = {n: max(1, round(total * SHARES[n] / weight)) for n in names}
    plan[names[0]] += total - sum(plan.values())

    tmp = Path(tempfile.mkdtemp(prefix="arrosto-fuzz-run-"))
    env, cleanup, database = make_env(tmp)
    results, failures = {}, []
    started = time.perf_counter()
    offline = env.offline()
    offline.__enter__()
    try:
        for name in names:
            outcomes: collections.Counter[str] = collections.Counter()
            failed = collections.Counter()

            def on_failure(example, exc, name=name, failed=failed):
                failed[type(exc).__name__] += 1
                if sum(failed.values()) <= 5:  # the first five of each target
                    failures.append({"target": name, "error": f"{type(exc).__name__}: {exc}"[:500],
                                     "input": repr(example)[:400],
                                     "where": traceback.format_exception(exc)[-2][:400]})

            t0 = time.perf_counter()
            ran = run(TARGETS[name], env, plan[name], on_failure=on_failure,
                      on_result=lambda r, o=outcomes: o.update([r]))
            seconds = time.perf_counter() - t0
            results[name] = {"inputs": ran, "failures": sum(failed.values()),
                             "failure_kinds": dict(failed), "outcomes": dict(outcomes),
                             "seconds": round(seconds, 1),
                             "inputs_per_second": round(ran / seconds, 1) if seconds else None}
            print(f"{name}: {ran} inputs, {sum(failed.values())} failures, {seconds:.0f} s",
                  file=sys.stderr, flush=True)
    finally:
        offline.__exit__(None, None, None)
        cleanup()
    inputs = sum(r["inputs"] for r in results.values())
    emit({"benchmark": "fuzz", "database": database, "inputs": inputs,
          "failures": sum(r["failures"] for r in results.values()),
          "seconds": round(time.perf_counter() - started, 1), "targets": results,
          "first_failures": failures})


if __name__ == "__main__":
    main()
