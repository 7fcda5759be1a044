"""Resident memory of ``arrosto serve`` and ``arrosto worker`` on SQLite with the demo loaded.

Baseline, measured in the same run: a bare Flask "hello" app served by the same gunicorn settings,
and a bare Huey consumer on SQLite. Keys: ``rss_mb_web`` (gunicorn master + one worker, after a
few admin page views), ``rss_mb_worker``, the baselines and the ratios. Goal: under 150 MB each.

    python benchmarks/footprint.py [--quick]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit, free_port, stop, wait_http  # noqa: E402

BARE_WEB = textwrap.dedent("""
    from flask import Flask
    app = Flask(__name__)
    @app.get("/healthz")
    def ok():
        return {"status": "ok"}
""")
BARE_WORKER = textwrap.dedent("""
    import sys
    from huey import SqliteHuey
    huey = SqliteHuey("bare", filename=sys.argv[1])
    @huey.task()
    def noop():
        return None
    huey.create_consumer(workers=2, worker_type="thread").run()
""")


def tree_rss_mb(proc: subprocess.Popen) -> float:
    parent = psutil.Process(proc.pid)
    procs = [parent, *parent.children(recursive=True)]
    return sum(p.memory_info().rss for p in procs if p.is_running()) / 2**20


def settle(proc: subprocess.Popen, seconds: float) -> float:
    time.sleep(seconds)
    return round(tree_rss_mb(proc), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter settling time")
    args = parser.parse_args()
    pause = 1.0 if args.quick else 3.0
    work = Path(tempfile.mkdtemp(prefix="arrosto-footprint-"))
    env = {**os.environ, "ARROSTO_INSTANCE_PATH": str(work / "instance"),
           "ARROSTO_SECRET_KEY": "footprint-benchmark-secret-key", "ARROSTO_LOG_LEVEL": "WARNING",
           "ARROSTO_ENV_FILE": "/nonexistent"}
    env.pop("ARROSTO_DATABASE_URL", None)
    env.pop("ARROSTO_REDIS_URL", None)
    arrosto = [sys.executable, "-m", "arrosto"]
    loaded = subprocess.run([*arrosto, "demo", "--no-serve"], env=env, capture_output=True,
                            text=True, check=True)
    link = next(line.strip() for line in loaded.stdout.splitlines() if "/admin/login/" in line)

    port = free_port()
    web = subprocess.Popen([*arrosto, "serve", "--port", str(port), "--workers", "1"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz")
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        opener.open(link.replace("http://127.0.0.1:5000", f"http://127.0.0.1:{port}"))
        for page in ("/admin/", "/admin/products", "/admin/orders", "/admin/posts"):
            opener.open(f"http://127.0.0.1:{port}{page}").read()
        rss_web = settle(web, pause)
    finally:
        stop(web)
    worker = subprocess.Popen([*arrosto, "worker"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        rss_worker = settle(worker, pause * 2)
    finally:
        stop(worker)

    (work / "bare_web.py").write_text(BARE_WEB)
    port = free_port()
    bare_web = subprocess.Popen([sys.executable, "-m", "gunicorn", "--chdir", str(work),
                                 "-b", f"127.0.0.1:{port}", "-w", "1", "--threads", "4",
                                 "bare_web:app"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz")
        base_web = settle(bare_web, pause)
    finally:
        stop(bare_web)
    (work / "bare_worker.py").write_text(BARE_WORKER)
    bare_worker = subprocess.Popen([sys.executable, str(work / "bare_worker.py"),
                                    str(work / "bare.db")], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
    try:
        base_worker = settle(bare_worker, pause * 2)
    finally:
        stop(bare_worker)
    emit({"rss_mb_web": rss_web, "rss_mb_worker": rss_worker,
          "baseline_rss_mb_web": base_web, "baseline_rss_mb_worker": base_worker,
          "ratio_web": round(rss_web / base_web, 2),
          "ratio_worker": round(rss_worker / base_worker, 2)})


if __name__ == "__main__":
    main()
