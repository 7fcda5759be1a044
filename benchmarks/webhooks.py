"""Webhook receiver throughput: Arrosto's ``POST /webhooks/shopify`` (verify, store, enqueue,
answer) against a bare Flask endpoint that only verifies the HMAC, both under gunicorn with the
same workers, threads and server settings (an access log line a request, as `arrosto serve`
writes), loaded from the same load generator on loopback, in one run.

Bodies are Shopify's recorded order payload (ShopifyAPI's test fixture), each delivery with its own
X-Shopify-Webhook-Id. Load comes from ``wrk`` (one thread, so the servers keep the machine's other
cores) when it is installed (``apt install wrk``), else from a Python generator; ``load`` says
which. Keys: ``arrosto_rps``, ``baseline_rps``, ``ratio``, ``p99_ms`` (Arrosto's),
``baseline_p99_ms``, ``requests``, ``database``, the CPU per request of each server and of the
PostgreSQL server (``database_cpu_ms``), and ``answered``, ``stored`` and ``lost``: every delivery
Arrosto answered 200 must be in the table (it is answered only once it is committed there).
Goal: ratio >= 0.4 and p99 < 50 ms. After the rounds, one more burst with a web worker
SIGKILLed in the middle of it (``killed_worker``): the deliveries answered 200 in that burst count
in ``answered`` too, so ``lost`` 0 means a killed worker lost nothing it had acknowledged.

    python benchmarks/webhooks.py [--quick] [--requests N] [--concurrency C] [--python-load]
    ARROSTO_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        python benchmarks/webhooks.py
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit, free_port, stop, wait_http  # noqa: E402

from arrosto.cli import gunicorn_args  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SECRET = "benchmark-shopify-app-secret"
SHOP = "bench-shop.myshopify.com"

BARE = textwrap.dedent(f"""
    import base64, hashlib, hmac
    from flask import Flask, request
    app = Flask(__name__)
    SECRET = {SECRET!r}.encode()

    @app.post("/webhooks/shopify")
    def receive():
        body = request.get_data()
        digest = base64.b64encode(hmac.new(SECRET, body, hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(digest, request.headers.get("X-Shopify-Hmac-Sha256", "")):
            return {{"error": "invalid signature"}}, 401
        return {{"status": "accepted"}}

    @app.get("/healthz")
    def health():
        return {{"status": "ok"}}
""")


def order_body() -> bytes:
    source = ROOT / "tests" / "fixtures" / "shopify" / "order.json"
    if not source.exists():
        source = ROOT.parent / "shared" / "data" / "shopify" / "rest" / "order.json"
    data = json.loads(source.read_text())
    return json.dumps(data.get("order", data)).encode()


def sign(body: bytes) -> bytes:
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest())


def delivery_headers(signature: bytes) -> dict[str, str]:
    """A signed Shopify delivery's headers, each with its own webhook id."""
    return {"Content-Type": "application/json", "X-Shopify-Topic": "orders/create",
            "X-Shopify-Hmac-Sha256": signature.decode(), "X-Shopify-Shop-Domain": SHOP,
            "X-Shopify-API-Version": "2025-10", "X-Shopify-Webhook-Id": str(uuid.uuid4())}


def load(port: int, body: bytes, total: int, concurrency: int) -> tuple[float, list[float], int]:
    """Send ``total`` signed deliveries over keep-alive connections; (rps, latencies, errors)."""
    signature = sign(body)
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    per_thread = total // concurrency

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad = [], 0
        for _ in range(per_thread):
            headers = delivery_headers(signature)
            start = time.perf_counter()
            conn.request("POST", "/webhooks/shopify", body=body, headers=headers)
            res = conn.getresponse()
            res.read()
            mine.append(time.perf_counter() - start)
            if res.status != 200:
                bad += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return len(latencies) / elapsed, latencies, errors


WRK_SCRIPT = """
local n = 0
local prefix = ""
function init(args)
  local f = io.open(args[1], "rb"); wrk.body = f:read("*a"); f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Shopify-Topic"] = "orders/create"
  wrk.headers["X-Shopify-Hmac-Sha256"] = args[2]
  wrk.headers["X-Shopify-Shop-Domain"] = args[3]
  wrk.headers["X-Shopify-API-Version"] = "2025-10"
  prefix = args[4]  -- unique per run (from Python): every delivery id is new
end
function request()
  n = n + 1
  wrk.headers["X-Shopify-Webhook-Id"] = prefix .. "-" .. n
  return wrk.format(nil, "/webhooks/shopify")
end
function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(99), summary.errors.status + summary.errors.connect +
    summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def load_wrk(port: int, body: bytes, seconds: float, concurrency: int,
             work: Path) -> tuple[float, float, int, int]:
    """``wrk`` for ``seconds``: (rps, p99 ms, requests, errors); every delivery id unique."""
    (work / "load.lua").write_text(WRK_SCRIPT)
    (work / "body.json").write_bytes(body)
    signature = sign(body)
    out = subprocess.run(["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "10s",
                          "-s", str(work / "load.lua"), f"http://127.0.0.1:{port}", "--",
                          str(work / "body.json"), signature.decode(), SHOP, uuid.uuid4().hex],
                         capture_output=True, text=True, check=True).stdout
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+)", out)
    if not match:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    requests, micros, p99_us, errors = map(int, match.groups())
    return requests / (micros / 1e6), round(p99_us / 1000, 2), requests, errors


def _cpu(procs) -> float:
    """User + system CPU of these processes so far (those that ended meanwhile count 0)."""
    import psutil

    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def burst_with_kill(port: int, body: bytes, total: int, concurrency: int,
                    server_pid: int) -> tuple[int, int, int | None]:
    """Send ``total`` signed deliveries while one gunicorn worker of ``server_pid`` is SIGKILLed
    a third of the way in; a connection the kill breaks is opened again and the delivery it
    carried is not counted. (answered 200, failed, pid of the killed worker)."""
    import psutil

    signature = sign(body)
    sent, answered, failed = 0, 0, 0
    lock = threading.Lock()
    third = threading.Event()

    def worker() -> None:
        nonlocal sent, answered, failed
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if sent >= total:
                    break
                sent += 1
                if sent >= total // 3:
                    third.set()
            headers = delivery_headers(signature)
            try:
                conn.request("POST", "/webhooks/shopify", body=body, headers=headers)
                res = conn.getresponse()
                res.read()
                ok = res.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            with lock:
                answered += ok
                failed += not ok
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    third.wait(60)
    victims = psutil.Process(server_pid).children(recursive=True)
    killed = None
    if victims:
        killed = victims[0].pid
        os.kill(killed, signal.SIGKILL)
    for t in threads:
        t.join()
    return answered, failed, killed


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a server process and its workers so far."""
    import psutil

    server = psutil.Process(pid)
    return _cpu([server, *server.children(recursive=True)])


def database_cpu_seconds() -> float:
    """User + system CPU of the PostgreSQL server's processes on this machine so far (0 when
    there are none: SQLite runs inside the web workers and is counted with them)."""
    import psutil

    return _cpu(p for p in psutil.process_iter(["name"])
                if p.info["name"] in ("postgres", "postmaster"))


def p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 2)


def start(cmd: list[str], env: dict, cwd: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_http(f"http://127.0.0.1:{port}/healthz")
    return proc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 requests instead of 6,000")
    parser.add_argument("--requests", type=int)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5,
                        help="interleaved rounds of each server (medians are reported)")
    parser.add_argument("--python-load", action="store_true",
                        help="use the Python load generator even when wrk is installed")
    args = parser.parse_args()
    total = args.requests or (1000 if args.quick else 6000)
    work = Path(tempfile.mkdtemp(prefix="arrosto-webhooks-"))
    env = {**os.environ, "ARROSTO_INSTANCE_PATH": str(work / "instance"),
           "ARROSTO_SECRET_KEY": "webhooks-benchmark-secret-key",
           "ARROSTO_SHOPIFY_API_KEY": "bench-key", "ARROSTO_SHOPIFY_API_SECRET": SECRET,
           "ARROSTO_LOG_LEVEL": "WARNING", "ARROSTO_ENV_FILE": "/nonexistent"}
    schema = None
    if env.get("ARROSTO_DATABASE_URL", "").startswith("postgresql"):
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        env["ARROSTO_DATABASE_SCHEMA"] = schema
    setup = textwrap.dedent(f"""
        from arrosto.app import create_app
        from arrosto.models import Shop
        app = create_app()
        db = app.extensions["arrosto.db"]
        db.upgrade()
        with db.transaction() as s:
            s.add(Shop(platform="shopify", domain={SHOP!r}, name="Bench",
                       access_token="shpat_bench"))
    """)
    subprocess.run([sys.executable, "-c", setup], env=env, check=True, cwd=work)
    body = order_body()
    use_wrk = shutil.which("wrk") is not None and not args.python_load
    seconds = max(total // 1000, 3)

    answered = {"arrosto": 0}  # deliveries Arrosto answered 200, warm-ups included

    def measure(port: int, server: subprocess.Popen
                ) -> tuple[float, float, int, int, float, float]:
        """(rps, p99 ms, requests, errors, server CPU ms per request, database server CPU ms
        per request)."""
        if use_wrk:
            _, _, warm, warm_errors = load_wrk(port, body, 2, args.concurrency, work)  # warm up
        else:
            _, warm_latencies, warm_errors = load(port, body, 200, args.concurrency)
            warm = len(warm_latencies)
        cpu_before, db_before = cpu_seconds(server.pid), database_cpu_seconds()
        if use_wrk:
            rps, p99_ms, n, errors = load_wrk(port, body, seconds, args.concurrency, work)
        else:
            rps, latencies, errors = load(port, body, total, args.concurrency)
            p99_ms, n = p99(latencies), len(latencies)
        cpu_ms = (cpu_seconds(server.pid) - cpu_before) * 1000 / max(n, 1)
        db_ms = (database_cpu_seconds() - db_before) * 1000 / max(n, 1)
        if port == arrosto_port:
            answered["arrosto"] += warm - warm_errors + n - errors
        return rps, p99_ms, n, errors, cpu_ms, db_ms

    arrosto_runs, base_runs = [], []
    arrosto_port = free_port()
    try:
        port = arrosto_port
        server = start([sys.executable, "-m", "arrosto", "serve", "--port", str(port),
                        "--workers", str(args.workers)], env, work, port)
        (work / "bare.py").write_text(BARE)
        bare_port = free_port()
        # the same server settings as `arrosto serve` (timeouts, an access log line a request)
        bare = start([sys.executable, "-m", "gunicorn", "--chdir", str(work),
                      *gunicorn_args(f"127.0.0.1:{bare_port}", args.workers, 4, "bare:app")],
                     env, work, bare_port)
        try:
            # interleaved rounds (the order alternating), medians: a machine whose speed
            # drifts during the run moves both sides, not one
            for n in range(args.rounds):
                pair = [(arrosto_runs, port, server), (base_runs, bare_port, bare)]
                for runs, where, proc in (pair if n % 2 == 0 else pair[::-1]):
                    runs.append(measure(where, proc))
            kill_answered, kill_failed, killed = burst_with_kill(
                port, body, total, args.concurrency, server.pid)
            answered["arrosto"] += kill_answered
        finally:
            stop(server)
            stop(bare)
        arrosto_rps, arrosto_p99, arrosto_n, arrosto_err, arrosto_cpu, arrosto_db = \
            _median(arrosto_runs)
        base_rps, base_p99, base_n, base_err, base_cpu, _ = _median(base_runs)
        stored = subprocess.run([sys.executable, "-c", textwrap.dedent("""
            from sqlalchemy import func, select
            from arrosto.app import create_app
            from arrosto.models import WebhookDelivery
            db = create_app().extensions["arrosto.db"]
            with db.transaction() as s:
                print(s.scalar(select(func.count(WebhookDelivery.id))))
        """)], env=env, cwd=work, capture_output=True, text=True, check=True).stdout.strip()
    finally:
        if schema:
            from sqlalchemy import create_engine, text

            engine = create_engine(env["ARROSTO_DATABASE_URL"])
            with engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    emit({"arrosto_rps": round(arrosto_rps, 1), "baseline_rps": round(base_rps, 1),
          "ratio": round(arrosto_rps / base_rps, 3), "p99_ms": arrosto_p99,
          "baseline_p99_ms": base_p99, "requests": arrosto_n, "baseline_requests": base_n,
          "errors": arrosto_err + base_err, "stored": int(stored),
          # every delivery answered 200 is in the deliveries table once the servers stopped
          # (a few more may be: sent by wrk as its time ran out, stored, never counted)
          "answered": answered["arrosto"], "lost": max(0, answered["arrosto"] - int(stored)),
          "load": "wrk" if use_wrk else "python",
          "killed_worker": killed, "answered_in_kill_burst": kill_answered,
          "failed_in_kill_burst": kill_failed,
          # CPU the servers spent per request: the same ratio, robust to a busy machine
          "arrosto_cpu_ms": round(arrosto_cpu, 3), "baseline_cpu_ms": round(base_cpu, 3),
          "cpu_ratio": round(base_cpu / arrosto_cpu, 3) if arrosto_cpu else None,
          # the PostgreSQL server's own CPU per delivery, on the same cores as the web workers
          "database_cpu_ms": round(arrosto_db, 3),
          "database": "postgresql" if schema else "sqlite", "rounds": args.rounds,
          "ratios_by_round": [round(a[0] / b[0], 3)
                              for a, b in zip(arrosto_runs, base_runs, strict=True)]})


def _median(runs: list[tuple]) -> tuple:
    """Each measure's median over the rounds (requests and errors: summed)."""
    rps, p99_ms, n, errors, cpu, db = zip(*runs, strict=True)
    return (statistics.median(rps), statistics.median(p99_ms), sum(n), sum(errors),
            statistics.median(cpu), statistics.median(db))


if __name__ == "__main__":
    main()
