"""Webhook storm under faults (issue 10): signed Shopify and WooCommerce deliveries for many shops,
20 % of them resent with the same delivery id, in random order, from concurrent senders to
gunicorn (2 web workers) and 2 ``arrosto worker`` processes, while the harness SIGKILLs a web
worker and an Arrosto worker at random moments and restarts PostgreSQL and Redis once each.

Afterwards everything is counted from the database, not from the harness's own bookkeeping:
every unique delivery that got a 2xx is stored and processed exactly once (its row is
``processed`` and the delivery's handlers committed exactly once — each worker runs with a probe
handler that inserts one row per delivery inside the delivery's own transaction), and no effect
is doubled (one order per order id and shop, the order's lines once, one product, variant,
customer, promotion per key, one conversion per promotion and order, one case per thread, one
outreach per person and promotion). Workers must catch up on their own, within a bounded wait.

Bodies are the platforms' documented payloads from ``tests/fixtures`` (Shopify: ShopifyAPI's
recorded order, product and customer; WooCommerce: the REST API docs' order, product and coupon
examples) with ids, prices and times varied per delivery; see ``tests/fixtures/*/SOURCES.md``.
Senders act like the platforms: a connection error, a timeout or a 5xx is retried with the same
delivery id and body (Shopify retries for 4 hours; here for ``--retry-for`` seconds).

    python benchmarks/storm.py                         # 10,000 deliveries, 50 shops
    python benchmarks/storm.py --deliveries 1000 --shops 10 --no-restarts
    python benchmarks/storm.py --sqlite --deliveries 300 --shops 3   # kill-only, SqliteHuey

JSON keys: ``deliveries``, ``accepted``, ``processed_once``, ``lost``, ``duplicated_effects``,
``seconds``, plus the details (retries, 5xx answers, faults injected, per-table checks).
PostgreSQL and Redis come from ``ARROSTO_DATABASE_URL`` / ``ARROSTO_REDIS_URL`` (default
127.0.0.1); the run prints ``{"skipped": ...}`` when they do not answer. It uses a schema and a
queue name of its own and drops them at the end.
"""
from __future__ import annotations

import argparse
import base64
import copy
import datetime as dt
import hashlib
import hmac
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit, free_port, wait_http  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SHOPIFY_SECRET = "storm-shopify-app-secret"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
# orders are placed a day before the run (after the coupons' promotions count, so the coupon
# codes they carry are conversions); each delivery's version is one second later
BASE_TIME = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).replace(microsecond=0)
PROBE_TABLE = "storm_applied"


def log(msg: str) -> None:
    print(f"[storm {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- the deliveries -----------------------------------------------------------------------------

def _fixture(path: str) -> dict:
    data = json.loads((FIXTURES / path).read_text())
    for wrapper in ("order", "product", "customer"):
        if isinstance(data, dict) and set(data) == {wrapper}:
            return data[wrapper]  # a REST answer wraps the object; a webhook body is bare
    return data


@dataclass
class Delivery:
    key: str  # "platform:delivery id" as the receiver stores it (and hands to the handlers)
    platform: str
    shop: int  # index into the run's shops
    topic: str
    path: str
    headers: dict[str, str]
    body: bytes
    entity: tuple[str, str]  # ("order" | "product" | "customer" | "coupon", external id)
    version: int
    lines: int = 0  # an order's line items / a product's variants, as sent


@dataclass
class ShopSpec:
    index: int
    platform: str
    domain: str
    secret: str
    db_id: int | None = None


def _sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _time(version: int) -> dt.datetime:
    return BASE_TIME + dt.timedelta(seconds=version)


class Generator:
    """Builds the unique deliveries of one shop from the documented payloads."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.s_order = _fixture("shopify/rest/order.json")
        self.s_product = _fixture("shopify/rest/product.json")
        self.s_customer = _fixture("shopify/rest/customer.json")
        self.w_order_created = _fixture("woocommerce/_orders.md__01_retrieve-an-order.json")
        self.w_order_updated = _fixture("woocommerce/_orders.md__03_update-an-order.json")
        self.w_product = _fixture("woocommerce/_products.md__04_update-a-product.json")
        self.w_coupon = _fixture("woocommerce/_coupons.md__00_create-a-coupon.json")
        self.version = 0

    def next_version(self) -> int:
        self.version += 1
        return self.version

    def shop_deliveries(self, shop: ShopSpec, n: int) -> list[Delivery]:
        build = self._shopify if shop.platform == "shopify" else self._woocommerce
        return build(shop, n)

    # Shopify: X-Shopify-* headers, base64 HMAC-SHA256 of the body with the app secret
    def _shopify(self, shop: ShopSpec, n: int) -> list[Delivery]:
        rng, out = self.rng, []
        orders: list[int] = []
        products = [632910392 + 1000 * j for j in range(max(2, n // 25))]
        customers = [207119551 + j for j in range(max(2, n // 20))]
        for _ in range(n):
            roll = rng.random()
            v = self.next_version()
            if roll < 0.70 or not orders:
                if roll < 0.35 or not orders:
                    topic, oid = "orders/create", 450789469 + 10 * len(orders)
                    orders.append(oid)
                else:
                    topic = "orders/cancelled" if roll > 0.65 else "orders/updated"
                    oid = rng.choice(orders)
                body = copy.deepcopy(self.s_order)
                number = 1000 + (oid - 450789469) // 10
                body.update(id=oid, name=f"#{number}", order_number=number,
                            updated_at=_time(v).isoformat(), total_price=f"{100 + v}.00",
                            financial_status=rng.choice(["pending", "paid", "refunded"]),
                            created_at=BASE_TIME.isoformat())
                body["customer"]["id"] = rng.choice(customers)
                if topic == "orders/cancelled":
                    body.update(cancelled_at=_time(v).isoformat(), cancel_reason="customer")
                for li in body["line_items"]:
                    li["product_id"] = rng.choice(products)
                entity, lines = ("order", str(oid)), len(body["line_items"])
            elif roll < 0.90:
                topic = "products/update" if roll < 0.85 else "products/create"
                pid = rng.choice(products)
                body = copy.deepcopy(self.s_product)
                body.update(id=pid, updated_at=_time(v).isoformat(), title=f"Roast {pid}")
                for i, variant in enumerate(body["variants"]):
                    variant.update(id=pid * 10 + i, product_id=pid)
                    price = Decimal("19.00") - Decimal(rng.randint(0, 5))
                    variant["price"] = f"{price:.2f}"
                    variant["compare_at_price"] = "19.00" if price < 19 else None
                    variant["inventory_quantity"] = rng.choice([0, 5, 10])
                for image in body.get("images") or []:
                    image["product_id"] = pid
                    image["variant_ids"] = []
                entity, lines = ("product", str(pid)), len(body["variants"])
            else:
                topic, cid = "customers/update", rng.choice(customers)
                body = copy.deepcopy(self.s_customer)
                body.update(id=cid, updated_at=_time(v).isoformat(),
                            email=f"c{cid}@{shop.domain}")
                entity, lines = ("customer", str(cid)), 0
            raw = json.dumps(body).encode()
            webhook_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            headers = {"Content-Type": "application/json", "X-Shopify-Topic": topic,
                       "X-Shopify-Hmac-Sha256": _sign(SHOPIFY_SECRET, raw),
                       "X-Shopify-Shop-Domain": shop.domain,
                       "X-Shopify-API-Version": "2025-10", "X-Shopify-Webhook-Id": webhook_id,
                       "X-Shopify-Triggered-At": _time(v).isoformat()}
            out.append(Delivery(f"shopify:{webhook_id}", "shopify", shop.index, topic,
                                "/webhooks/shopify", headers, raw, entity, v, lines))
        return out

    # WooCommerce: X-WC-Webhook-* headers, per-shop secret, the shop's id in the URL
    def _woocommerce(self, shop: ShopSpec, n: int) -> list[Delivery]:
        rng, out = self.rng, []
        orders: list[int] = []
        products = [794 + 1000 * j for j in range(max(2, n // 25))]
        coupons: list[int] = []
        for _ in range(n):
            roll = rng.random()
            v = self.next_version()
            if roll < 0.70 or not orders:
                if roll < 0.35 or not orders:
                    topic, oid = "order.created", 727 + 10 * len(orders)
                    orders.append(oid)
                    body = copy.deepcopy(self.w_order_created)
                else:
                    topic, oid = "order.updated", rng.choice(orders)
                    body = copy.deepcopy(self.w_order_updated)
                body.update(id=oid, number=str(oid), total=f"{100 + v}.00",
                            date_modified_gmt=_time(v).strftime("%Y-%m-%dT%H:%M:%S"),
                            date_created_gmt=BASE_TIME.strftime("%Y-%m-%dT%H:%M:%S"))
                if coupons and rng.random() < 0.3:
                    body["coupon_lines"] = [{"id": v, "code": f"storm{rng.choice(coupons)}",
                                             "discount": "1.00", "discount_tax": "0.00",
                                             "meta_data": []}]
                for li in body["line_items"]:
                    li["product_id"] = rng.choice(products)
                entity, lines = ("order", str(oid)), len(body["line_items"])
            elif roll < 0.88:
                topic, pid = "product.updated", rng.choice(products)
                body = copy.deepcopy(self.w_product)
                regular = Decimal("24.54")
                sale = regular - Decimal(rng.randint(0, 4))
                body.update(id=pid, slug=f"roast-{pid}", name=f"Roast {pid}",
                            regular_price=f"{regular:.2f}", price=f"{sale:.2f}",
                            sale_price=f"{sale:.2f}" if sale < regular else "",
                            on_sale=sale < regular,
                            stock_status=rng.choice(["instock", "instock", "outofstock"]),
                            date_modified_gmt=_time(v).strftime("%Y-%m-%dT%H:%M:%S"))
                entity, lines = ("product", str(pid)), 1
            else:
                if roll < 0.95 or not coupons:
                    topic, cid = "coupon.created", 719 + 10 * len(coupons)
                    coupons.append(cid)
                else:
                    topic, cid = "coupon.updated", rng.choice(coupons)
                body = copy.deepcopy(self.w_coupon)
                body.update(id=cid, code=f"storm{cid}", amount=f"{rng.randint(5, 20)}.00",
                            date_modified_gmt=_time(v).strftime("%Y-%m-%dT%H:%M:%S"))
                entity, lines = ("coupon", str(cid)), 0
            raw = json.dumps(body).encode()
            delivery = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            resource, _, event = topic.partition(".")
            headers = {"Content-Type": "application/json",
                       "User-Agent": "WooCommerce/9.8.0 Hookshot (WordPress/6.8)",
                       "X-WC-Webhook-Source": f"https://{shop.domain}/",
                       "X-WC-Webhook-Topic": topic, "X-WC-Webhook-Resource": resource,
                       "X-WC-Webhook-Event": event, "X-WC-Webhook-ID": "142",
                       "X-WC-Webhook-Delivery-ID": delivery,
                       "X-WC-Webhook-Signature": _sign(shop.secret, raw)}
            # the receiver's delivery id: WooCommerce's header plus the body's digest
            key = f"woocommerce:{delivery}:{hashlib.sha256(raw).hexdigest()[:16]}"
            out.append(Delivery(key, "woocommerce", shop.index, topic,
                                f"/webhooks/woocommerce/{shop.db_id}", headers, raw, entity,
                                v, lines))
        return out


def plan(shops: list[ShopSpec], total: int, duplicate_share: float, seed: int
         ) -> tuple[list[Delivery], list[Delivery]]:
    """(unique deliveries, the send list): ``total`` sends, ``duplicate_share`` of them resends
    of a delivery already in the list, all shuffled (out of order, a resend may come first)."""
    rng = random.Random(seed)
    gen = Generator(rng)
    n_unique = total - int(total * duplicate_share)
    per_shop = [n_unique // len(shops) + (1 if i < n_unique % len(shops) else 0)
                for i in range(len(shops))]
    unique = [d for shop, n in zip(shops, per_shop, strict=True)
              for d in gen.shop_deliveries(shop, n)]
    sends = unique + [rng.choice(unique) for _ in range(total - len(unique))]
    rng.shuffle(sends)
    return unique, sends


# --- the processes ------------------------------------------------------------------------------

SETUP = textwrap.dedent("""
    import json, sys
    from sqlalchemy import text
    from arrosto.app import create_app
    from arrosto.jobs import SCHEDULE
    from arrosto.models import ScheduleRun, Shop, utcnow
    shops = json.loads(sys.argv[1])
    app = create_app()
    db = app.extensions["arrosto.db"]
    db.upgrade()
    ids = []
    with db.transaction() as s:
        for spec in shops:
            shop = Shop(platform=spec["platform"], domain=spec["domain"], name=spec["domain"],
                        store_url="https://" + spec["domain"], access_token="storm-token",
                        currency="EUR")
            if spec["platform"] == "woocommerce":
                shop.api_key, shop.api_secret = "ck_storm", "cs_storm"
                shop.webhook_secret = spec["secret"]
            s.add(shop)
            s.flush()
            ids.append(shop.id)
        sqlite = db.engine.dialect.name == "sqlite"
        serial = "INTEGER PRIMARY KEY" if sqlite else "BIGSERIAL PRIMARY KEY"
        s.execute(text(f"CREATE TABLE {PROBE} (id {serial}, delivery VARCHAR(300) NOT NULL, "
                       "pid INTEGER NOT NULL)"))
        # the periodic jobs that call the shops' APIs (reconcile, sync, listening) or send mail
        # count as just run: the storm's shops are not real and nothing may leave the machine;
        # the webhook catch-up job stays due
        for entry in SCHEDULE:
            if entry.name != "webhooks.pending":
                s.add(ScheduleRun(name=entry.name, last_run_at=utcnow()))
    print(json.dumps(ids))
""").replace("{PROBE}", PROBE_TABLE)


def run_worker() -> None:
    """``arrosto worker`` as the CLI runs it, plus the probe: one row per delivery whose
    handlers ran, inserted in the delivery's own transaction (it commits or rolls back with
    the effects), so the database says how many times each delivery took effect."""
    from sqlalchemy import text

    from arrosto import events
    from arrosto.__main__ import main
    from arrosto.events import on

    def probe(s, shop, event, key) -> None:
        s.execute(text(f"INSERT INTO {PROBE_TABLE} (delivery, pid) VALUES (:d, :p)"),
                  {"d": key, "p": os.getpid()})

    for kind in (events.OrderChanged, events.ProductChanged, events.CustomerChanged,
                 events.DiscountChanged, events.ProductDeleted):
        on(kind)(probe)
    main(["worker"])


class Workers:
    """The ``arrosto worker`` processes, restarted by the harness when one dies (as systemd's
    ``Restart=always`` would)."""

    def __init__(self, n: int, env: dict, work: Path):
        self.env, self.work = env, work
        self.procs: list[subprocess.Popen | None] = [None] * n
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.restarts = 0
        self.exits: list[int] = []  # the return codes of the workers that ended
        for i in range(n):
            self._start(i)
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _start(self, i: int) -> None:
        out = open(self.work / f"worker{i}.log", "ab")  # noqa: SIM115 - the child keeps it
        self.procs[i] = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--run-worker"], env=self.env,
            cwd=self.work, stdout=out, stderr=subprocess.STDOUT)
        out.close()

    def _watch(self) -> None:
        while not self.stopping.wait(0.5):
            with self.lock:
                for i, proc in enumerate(self.procs):
                    if proc is not None and proc.poll() is not None:
                        self.exits.append(proc.returncode)
                        self.restarts += 1
                        self._start(i)

    def kill_one(self, rng: random.Random) -> int:
        with self.lock:
            proc = rng.choice([p for p in self.procs if p is not None])
            proc.send_signal(signal.SIGKILL)
            return proc.pid

    def stop(self) -> list[subprocess.Popen]:
        """Stop restarting them and ask them all to end; returns the processes to wait for."""
        self.stopping.set()
        self.thread.join()
        procs = [p for p in self.procs if p is not None]
        for proc in procs:
            proc.terminate()
        return procs


def web_workers(master_pid: int) -> list[int]:
    import psutil

    try:
        return [c.pid for c in psutil.Process(master_pid).children()]
    except psutil.NoSuchProcess:
        return []


# --- faults -------------------------------------------------------------------------------------

def _run(cmd: list[str], timeout: float = 90) -> tuple[int, str]:
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 1, f"{type(exc).__name__}: {exc}"
    return res.returncode, (res.stdout + res.stderr).strip()


def pg_cluster(database_url: str) -> tuple[tuple[str, str] | None, str]:
    """The local cluster serving ``database_url`` (from ``pg_lsclusters``), or why not."""
    if os.geteuid() != 0:
        return None, "not root: cannot restart PostgreSQL with pg_ctlcluster"
    for tool in ("pg_lsclusters", "pg_ctlcluster"):
        if shutil.which(tool) is None:
            return None, f"{tool} not found: cannot restart PostgreSQL"
    parts = urlsplit(database_url.replace("+psycopg", ""))
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        return None, f"PostgreSQL on {parts.hostname} is not local: not restarting it"
    port = parts.port or 5432
    rc, out = _run(["pg_lsclusters", "--no-header"])
    for line in out.splitlines() if rc == 0 else []:
        cols = line.split()
        if len(cols) >= 4 and cols[2] == str(port) and cols[3].startswith("online"):
            return (cols[0], cols[1]), ""
    return None, f"no online cluster on port {port} in pg_lsclusters"


def checkpoint(database_url: str) -> None:
    """Write dirty pages out ahead of time, so the restart's own shutdown checkpoint (part of
    the outage) is short on a busy server."""
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("CHECKPOINT"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - only slower without it
        log(f"CHECKPOINT before the restart failed: {type(exc).__name__}")


def restart_postgres(cluster: tuple[str, str]) -> dict:
    version, name = cluster
    start = time.monotonic()
    rc, out = _run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart"])
    if rc != 0:  # the restart stopped it and could not start it again: start what we stopped
        _, status = _run(["pg_lsclusters", "--no-header", version, name])
        if "down" in status:
            rc, more = _run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name,
                             "start"])
            out += "\n" + more
    return {"cluster": f"{version}/{name}", "ok": rc == 0,
            "seconds": round(time.monotonic() - start, 2), **({"output": out} if rc else {})}


def redis_target(redis_url: str) -> tuple[tuple[str, int] | None, str]:
    if os.geteuid() != 0:
        return None, "not root: not restarting the system's Redis"
    for tool in ("redis-cli", "redis-server"):
        if shutil.which(tool) is None:
            return None, f"{tool} not found: cannot restart Redis"
    parts = urlsplit(redis_url)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        return None, f"Redis on {parts.hostname} is not local: not restarting it"
    return (parts.hostname, parts.port or 6379), ""


def _redis_answers(host: str, port: int) -> bool:
    rc, out = _run(["redis-cli", "-h", host, "-p", str(port), "ping"], timeout=5)
    return rc == 0 and "PONG" in out


def restart_redis(target: tuple[str, int]) -> dict:
    host, port = target
    start = time.monotonic()
    _run(["redis-cli", "-h", host, "-p", str(port), "shutdown", "nosave"], timeout=15)
    deadline = time.monotonic() + 10
    while _redis_answers(host, port) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _redis_answers(host, port):  # it did not stop: nothing of ours to start
        return {"ok": False, "output": "redis-cli shutdown nosave: Redis still answers"}
    rc, out = _run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port",
                    str(port), "--save", "", "--appendonly", "no"])
    deadline = time.monotonic() + 15
    while not _redis_answers(host, port) and time.monotonic() < deadline:
        time.sleep(0.1)
    ok = rc == 0 and _redis_answers(host, port)
    return {"ok": ok, "seconds": round(time.monotonic() - start, 2),
            **({} if ok else {"output": out})}


class Chaos:
    """Faults fired when the sending reaches a random point of its progress."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.plan: list[tuple[float, str, object]] = []
        self.done: list[dict] = []
        self.skipped: list[str] = []

    def add(self, name: str, action, low: float = 0.1, high: float = 0.85) -> None:
        self.plan.append((self.rng.uniform(low, high), name, action))

    def run(self, progress, finished: threading.Event) -> None:
        """Each fault in a thread of its own: a slow database restart does not hold back a
        kill planned for a moment later."""
        threads = [threading.Thread(target=self._fire, args=(at, name, action, progress,
                                                              finished))
                   for at, name, action in self.plan]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def _fire(self, at: float, name: str, action, progress, finished: threading.Event) -> None:
        while progress() < at and not finished.is_set():
            time.sleep(0.05)
        started, fired_at = time.monotonic(), progress()
        log(f"fault at {fired_at:.0%}: {name}")
        try:
            detail = action()
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            detail = {"ok": False, "output": f"{type(exc).__name__}: {exc}"}
        self.done.append({"fault": name, "at": round(fired_at, 3),
                          "seconds": round(time.monotonic() - started, 2), **detail})


# --- sending ------------------------------------------------------------------------------------

@dataclass
class Outcome:
    statuses: list[int] = field(default_factory=list)  # every answer (0: no answer)
    accepted: bool = False


class Senders:
    """Concurrent senders over keep-alive connections; connection errors, timeouts and 5xx are
    retried with the same delivery id and body, with backoff, for ``retry_for`` seconds."""

    def __init__(self, port: int, sends: list[Delivery], concurrency: int, retry_for: float):
        self.port, self.sends, self.concurrency, self.retry_for = port, sends, concurrency, \
            retry_for
        self.next = 0
        self.completed = 0
        self.lock = threading.Lock()
        self.outcomes: dict[str, Outcome] = defaultdict(Outcome)
        self.given_up = 0

    def progress(self) -> float:
        return self.completed / max(len(self.sends), 1)

    def _take(self) -> Delivery | None:
        with self.lock:
            if self.next >= len(self.sends):
                return None
            self.next += 1
            return self.sends[self.next - 1]

    def _worker(self) -> None:
        conn: http.client.HTTPConnection | None = None
        while (d := self._take()) is not None:
            deadline, attempt, statuses = time.monotonic() + self.retry_for, 0, []
            while True:
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                    conn.request("POST", d.path, body=d.body, headers=d.headers)
                    res = conn.getresponse()
                    res.read()
                    status = res.status
                    if res.getheader("Connection", "").lower() == "close":
                        conn.close()
                        conn = None
                except (OSError, http.client.HTTPException):
                    status = 0
                    if conn is not None:
                        conn.close()
                    conn = None
                statuses.append(status)
                if 200 <= status < 300 or 400 <= status < 500:
                    break  # accepted, or refused for good (a 4xx is not retried: counted)
                if time.monotonic() > deadline:
                    break
                attempt += 1
                time.sleep(min(2.0, 0.05 * 2 ** attempt) * random.uniform(0.5, 1.0))
            with self.lock:
                outcome = self.outcomes[d.key]
                outcome.statuses.extend(statuses)
                outcome.accepted |= any(200 <= s < 300 for s in statuses)
                self.given_up += not (200 <= statuses[-1] < 300 or 400 <= statuses[-1] < 500)
                self.completed += 1
        if conn is not None:
            conn.close()

    def run(self) -> None:
        threads = [threading.Thread(target=self._worker) for _ in range(self.concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


# --- counting -----------------------------------------------------------------------------------

# tables whose rows are effects of processing, with the key each may hold only once
EFFECT_KEYS = {
    "orders": "shop_id, external_id",
    "order_lines": None,  # counted against each order's line items below
    "fulfillments": "order_id, external_id",
    "products": "shop_id, external_id",
    "product_variants": "shop_id, external_id",
    "product_keywords": "product_id, term",
    "customers": "shop_id, external_id",
    "social_identities": "shop_id, network, handle",
    "promotions": "shop_id, source, external_id",
    "promotion_products": "promotion_id, product_id",
    "conversions": "promotion_id, order_id",
    "cases": "shop_id, network, author_id, thread_key",
    "order_links": "case_id, order_id",
    "outreach": "promotion_id, network, person_id",
    "messages": "idempotency_key",
}


def _engine(database_url: str, schema: str | None):
    from sqlalchemy import create_engine, event

    engine = create_engine(database_url)
    if schema:
        @event.listens_for(engine, "connect")
        def _path(dbapi_conn, record):  # noqa: ARG001
            cur = dbapi_conn.cursor()
            cur.execute(f'SET search_path TO "{schema}"')
            cur.close()
            dbapi_conn.commit()
    return engine


def drain(engine, accepted_keys: set[str], stall: float, limit: float) -> tuple[float, bool]:
    """Wait until every accepted delivery is stored and none is left ``received``: bounded by
    ``stall`` seconds without progress and ``limit`` seconds in all."""
    from sqlalchemy import text

    start = last_progress = time.monotonic()
    best = None
    while time.monotonic() - last_progress < stall and time.monotonic() - start < limit:
        try:
            with engine.connect() as conn:
                left = conn.execute(text(
                    "SELECT count(*) FROM webhook_deliveries WHERE state = 'received'")).scalar()
                stored = conn.execute(text("SELECT count(*) FROM webhook_deliveries")).scalar()
            if left == 0 and stored >= len(accepted_keys):
                return time.monotonic() - start, True
            if best is None or left < best:
                best, last_progress = left, time.monotonic()
        except Exception:  # noqa: BLE001 - the database may be restarting
            engine.dispose()
        time.sleep(0.5)
    return time.monotonic() - start, False


def count(engine, unique: list[Delivery], outcomes: dict[str, Outcome],
          shops: list[ShopSpec]) -> dict:
    """Everything from the database: stored deliveries and their states, the probe's count of
    committed applications, and the effect tables."""
    from sqlalchemy import text

    by_key = {d.key: d for d in unique}
    accepted = {k for k, o in outcomes.items() if o.accepted}
    shop_ids = {s.index: s.db_id for s in shops}
    q = lambda conn, sql: conn.execute(text(sql)).all()  # noqa: E731
    with engine.connect() as conn:
        rows = q(conn, "SELECT platform, delivery_id, state FROM webhook_deliveries")
        applied = dict(q(conn, f"SELECT delivery, count(*) FROM {PROBE_TABLE} GROUP BY delivery"))
        orders = q(conn, "SELECT id, shop_id, external_id, total_price FROM orders")
        lines = dict(q(conn, "SELECT order_id, count(*) FROM order_lines GROUP BY order_id"))
        products = q(conn, "SELECT id, shop_id, external_id FROM products")
        variants = dict(q(conn, "SELECT product_id, count(*) FROM product_variants "
                                "GROUP BY product_id"))
        customers = q(conn, "SELECT shop_id, external_id FROM customers")
        coupons = q(conn, "SELECT shop_id, external_id FROM promotions WHERE source = 'wc_coupon'")
        doubled = {}
        for table, key in EFFECT_KEYS.items():
            if key:
                doubled[table] = int(conn.execute(text(
                    f"SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT count(*) AS n FROM {table} "
                    f"GROUP BY {key} HAVING count(*) > 1) AS d")).scalar())
        open_twice = int(conn.execute(text(
            "SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT count(*) AS n FROM promotions p "
            "JOIN promotion_products pp ON pp.promotion_id = p.id "
            "WHERE p.state IN ('pending_approval', 'approved') AND p.source IN "
            "('price_drop', 'back_in_stock', 'wc_sale') GROUP BY pp.product_id, p.source "
            "HAVING count(*) > 1) AS d")).scalar())
        promotions_total = conn.execute(text("SELECT count(*) FROM promotions")).scalar()
        conversions_total = conn.execute(text("SELECT count(*) FROM conversions")).scalar()
    stored = {f"{p}:{i}": state for p, i, state in rows}
    states = Counter(stored.values())
    processed_once = sum(1 for k in accepted
                         if stored.get(k) == "processed" and applied.get(k) == 1)
    not_stored = [k for k in accepted if k not in stored]
    not_processed = [k for k in accepted if k in stored and stored[k] != "processed"]
    no_effect = [k for k in accepted if stored.get(k) == "processed" and not applied.get(k)]
    applied_twice = sum(n - 1 for n in applied.values() if n > 1)
    unknown_applied = sum(1 for k in applied if k not in by_key)

    # what the accepted deliveries should have left, per entity
    expected: dict[tuple, list[Delivery]] = defaultdict(list)
    for k in accepted:
        d = by_key[k]
        expected[(d.entity[0], shop_ids[d.shop], d.entity[1])].append(d)
    have_orders = {(s, e): (i, total) for i, s, e, total in orders}
    have_products = {(s, e): i for i, s, e in products}
    missing = extra_lines = extra_variants = stale = 0
    for (kind, shop_id, ext), ds in expected.items():
        latest = max(ds, key=lambda d: d.version)
        if kind == "order":
            found = have_orders.get((shop_id, ext))
            if found is None:
                missing += 1
                continue
            extra_lines += max(0, lines.get(found[0], 0) - latest.lines)
            # deliveries come out of order: the stored order should be the newest version
            stale += Decimal(str(found[1])) != Decimal(f"{100 + latest.version}.00")
        elif kind == "product":
            if (shop_id, ext) not in have_products:
                missing += 1
                continue
            extra_variants += max(0, variants.get(have_products[(shop_id, ext)], 0) - latest.lines)
        elif kind == "customer":
            missing += (shop_id, ext) not in set(customers)
        elif kind == "coupon":
            missing += (shop_id, ext) not in set(coupons)
    wanted = {(k, s, e) for k, s, e in expected}
    unexpected = sum(1 for _, s, e, _ in orders if ("order", s, e) not in wanted) + \
        sum(1 for _, s, e in products if ("product", s, e) not in wanted)
    duplicated = sum(doubled.values()) + open_twice + applied_twice + extra_lines + \
        extra_variants + unexpected
    return {
        "accepted": len(accepted), "stored": len(stored), "states": dict(states),
        "processed_once": processed_once,
        "lost": len(not_stored) + len(not_processed) + len(no_effect) + missing,
        "duplicated_effects": duplicated,
        "checks": {"accepted_not_stored": len(not_stored),
                   "stored_not_processed": len(not_processed),
                   "processed_without_effect": len(no_effect),
                   "entities_missing": missing, "applied_more_than_once": applied_twice,
                   "applied_unknown_delivery": unknown_applied,
                   "rows_doubled": {t: n for t, n in doubled.items()},
                   "open_promotions_doubled": open_twice, "order_lines_extra": extra_lines,
                   "variants_extra": extra_variants, "unexpected_rows": unexpected,
                   "orders": len(orders), "products": len(products),
                   "customers": len(customers), "promotions": promotions_total,
                   "conversions": conversions_total},
        # not a loss, reported: an older version that arrived last may overwrite a newer one
        "stale_orders": stale,
        "lost_sample": (not_stored + not_processed + no_effect)[:5],
    }


# --- the run ------------------------------------------------------------------------------------

def reachable(database_url: str, redis_url: str | None) -> str | None:
    """None when both answer, else why not."""
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(database_url, connect_args={"connect_timeout": 3}
                               if database_url.startswith("postgresql") else {})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001
        return f"database {database_url} does not answer ({type(exc).__name__})"
    if redis_url:
        import redis

        try:
            redis.Redis.from_url(redis_url, socket_timeout=3, socket_connect_timeout=3).ping()
        except Exception as exc:  # noqa: BLE001
            return f"Redis {redis_url} does not answer ({type(exc).__name__})"
    return None


def storm(*, deliveries: int = 10_000, shops: int = 50, duplicates: float = 0.2,
          concurrency: int = 16, web: int = 2, workers: int = 2, kills: int = 1,
          restarts: bool = True, sqlite: bool = False, database_url: str | None = None,
          redis_url: str | None = None, seed: int | None = None, retry_for: float = 120.0,
          stall_timeout: float = 120.0,
          drain_timeout: float = 1800.0, keep: bool = False, log_level: str = "WARNING",
          on_logs=None) -> dict:
    seed = random.randrange(1 << 30) if seed is None else seed
    rng = random.Random(seed + 1)
    work = Path(tempfile.mkdtemp(prefix="arrosto-storm-"))
    run_id = uuid.uuid4().hex[:8]
    if sqlite:
        database_url, redis_url = f"sqlite:///{work / 'arrosto.db'}", None
    else:
        database_url = database_url or os.environ.get("ARROSTO_DATABASE_URL") or DEFAULT_PG
        redis_url = redis_url or os.environ.get("ARROSTO_REDIS_URL") or DEFAULT_REDIS
        if not database_url.startswith("postgresql"):
            return {"skipped": f"the storm runs on PostgreSQL (or --sqlite), not {database_url}"}
        why = reachable(database_url, redis_url)
        if why:
            return {"skipped": why}
    schema = None if sqlite else f"storm_{run_id}"
    queue = f"storm_{run_id}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARROSTO_")}
    env.update({"ARROSTO_DATABASE_URL": database_url, "ARROSTO_INSTANCE_PATH": str(work / "i"),
                "ARROSTO_SECRET_KEY": "storm-secret-key-0123456789abcdef",
                "ARROSTO_SHOPIFY_API_KEY": "storm-key",
                "ARROSTO_SHOPIFY_API_SECRET": SHOPIFY_SECRET,
                "ARROSTO_PUBLIC_URL": "http://127.0.0.1", "ARROSTO_LOG_LEVEL": log_level,
                "ARROSTO_ENV_FILE": "/nonexistent.env", "ARROSTO_JOBS_QUEUE_NAME": queue,
                "ARROSTO_WORKER_THREADS": "2", "PYTHONUNBUFFERED": "1",
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "plugin"),
                                                            env.get("PYTHONPATH")]))})
    if schema:
        env["ARROSTO_DATABASE_SCHEMA"] = schema
    if redis_url:
        env["ARROSTO_REDIS_URL"] = redis_url
    specs = [ShopSpec(i, "woocommerce" if i % 3 == 1 else "shopify",
                      f"storm-{run_id}-{i}.example" if i % 3 == 1
                      else f"storm-{run_id}-{i}.myshopify.com", f"wc-secret-{run_id}-{i}")
             for i in range(shops)]
    result: dict = {"database": "sqlite" if sqlite else "postgresql",
                    "queue": "SqliteHuey" if sqlite else "RedisHuey", "seed": seed,
                    "shops": shops, "web_workers": web, "arrosto_workers": workers}
    server = pool = engine = None
    try:
        ids = json.loads(subprocess.run(
            [sys.executable, "-c", SETUP, json.dumps([s.__dict__ for s in specs])], env=env,
            cwd=work, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
        for spec, db_id in zip(specs, ids, strict=True):
            spec.db_id = db_id
        unique, sends = plan(specs, deliveries, duplicates, seed)
        engine = _engine(database_url, schema)
        port = free_port()
        server_log = open(work / "serve.log", "ab")  # noqa: SIM115
        server = subprocess.Popen([sys.executable, "-m", "arrosto", "serve", "--port",
                                   str(port), "--workers", str(web)], env=env, cwd=work,
                                  stdout=server_log, stderr=subprocess.STDOUT)
        server_log.close()
        wait_http(f"http://127.0.0.1:{port}/healthz")
        pool = Workers(workers, env, work)
        senders = Senders(port, sends, concurrency, retry_for)
        chaos = Chaos(rng)

        def kill_web() -> dict:
            pids = web_workers(server.pid)
            if not pids:
                return {"ok": False, "output": "no gunicorn worker found"}
            pid = rng.choice(pids)
            os.kill(pid, signal.SIGKILL)
            return {"ok": True, "pid": pid}

        for _ in range(kills):
            chaos.add("SIGKILL a web worker", kill_web)
            chaos.add("SIGKILL an arrosto worker",
                      lambda: {"ok": True, "pid": pool.kill_one(rng)})
        if restarts and not sqlite:
            cluster, why = pg_cluster(database_url)
            if cluster:
                checkpoint(database_url)
                chaos.add("restart PostgreSQL", lambda: restart_postgres(cluster), 0.2, 0.5)
            else:
                chaos.skipped.append(why)
            target, why = redis_target(redis_url)
            if target:
                chaos.add("restart Redis", lambda: restart_redis(target), 0.5, 0.8)
            else:
                chaos.skipped.append(why)
        elif not restarts:
            chaos.skipped.append("PostgreSQL and Redis restarts turned off (--no-restarts)")
        for why in chaos.skipped:
            log(f"skipped: {why}")
        finished = threading.Event()
        chaos_thread = threading.Thread(target=chaos.run, args=(senders.progress, finished))
        log(f"{len(sends)} sends ({len(unique)} unique deliveries) to {shops} shops, "
            f"{concurrency} senders, seed {seed}")
        started = time.monotonic()
        chaos_thread.start()
        senders.run()
        sent_at = time.monotonic()
        finished.set()
        chaos_thread.join()
        accepted_keys = {k for k, o in senders.outcomes.items() if o.accepted}
        log(f"sent in {sent_at - started:.1f} s; waiting for the workers to catch up")
        drain_seconds, drained = drain(engine, accepted_keys, stall_timeout,
                                              drain_timeout)
        seconds = time.monotonic() - started
        respawned = len(web_workers(server.pid))
        counted = count(engine, unique, senders.outcomes, specs)
        answers = Counter(s for o in senders.outcomes.values() for s in o.statuses)
        result.update({
            "deliveries": len(sends), "unique": len(unique),
            "accepted": counted.pop("accepted"), "processed_once": counted.pop("processed_once"),
            "lost": counted.pop("lost"), "duplicated_effects": counted.pop("duplicated_effects"),
            "seconds": round(seconds, 1), "send_seconds": round(sent_at - started, 1),
            "catch_up_seconds": round(drain_seconds, 1), "caught_up": drained,
            "requests": sum(answers.values()),
            "retries": sum(answers.values()) - len(sends),
            "answers": {str(k): v for k, v in sorted(answers.items())},
            "given_up": senders.given_up, "faults": chaos.done, "faults_skipped": chaos.skipped,
            "worker_restarts": pool.restarts,
            "worker_exit_codes": dict(Counter(pool.exits)), "web_workers_after": respawned,
            **counted})
    finally:
        ending = pool.stop() if pool is not None else []
        if server is not None:
            server.terminate()
            ending.append(server)
        for proc in ending:  # all asked at once; killed if not gone within 15 s
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if engine is not None:
            engine.dispose()
        if on_logs is not None:  # every process's output, e.g. for a scan of what was logged
            on_logs(sorted(work.glob("*.log")), {
                "secret key": env["ARROSTO_SECRET_KEY"], "Shopify app secret": SHOPIFY_SECRET})
        if not keep:
            _cleanup(schema, database_url, redis_url, queue)
            shutil.rmtree(work, ignore_errors=True)
        else:
            result["kept"] = {"work": str(work), "schema": schema}
    return result


PERSONAL_KEYS = ("first_name", "last_name", "email", "phone", "address1", "address2")
STORM_FIXTURES = ("shopify/rest/order.json", "shopify/rest/customer.json",
                  "woocommerce/_orders.md__01_retrieve-an-order.json",
                  "woocommerce/_orders.md__03_update-an-order.json")


def logged_needles() -> dict[str, str]:
    """The customers' personal details in the payloads the storm sends (names, e-mail
    addresses, phone numbers, street addresses): none of them may appear in a log."""
    found: dict[str, str] = {}

    def walk(value, where: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in PERSONAL_KEYS and isinstance(item, str) and len(item) >= 4:
                    found[f"{key} from {where}"] = item
                else:
                    walk(item, where)
        elif isinstance(value, list):
            for item in value:
                walk(item, where)

    for path in STORM_FIXTURES:
        walk(_fixture(path), path)
    return found


def _cleanup(schema: str | None, database_url: str, redis_url: str | None, queue: str) -> None:
    try:
        if schema:
            from sqlalchemy import create_engine, text

            engine = create_engine(database_url)
            with engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            engine.dispose()
        if redis_url:
            import redis

            conn = redis.Redis.from_url(redis_url, socket_timeout=5)
            keys = list(conn.scan_iter(f"*{queue}*"))
            if keys:
                conn.delete(*keys)
    except Exception as exc:  # noqa: BLE001 - a leftover schema is not worth failing the run
        log(f"cleanup incomplete: {type(exc).__name__}: {exc}")


def main() -> None:
    if "--run-worker" in sys.argv:
        run_worker()
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--shops", type=int, default=50)
    parser.add_argument("--duplicates", type=float, default=0.2, help="share of resends")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent senders")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="arrosto worker processes")
    parser.add_argument("--kills", type=int, default=1,
                        help="SIGKILLs of a web worker and of an arrosto worker, each")
    parser.add_argument("--no-restarts", action="store_true",
                        help="do not restart PostgreSQL and Redis")
    parser.add_argument("--sqlite", action="store_true",
                        help="SQLite and SqliteHuey, kills only (no restarts)")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--retry-for", type=float, default=120.0,
                        help="seconds a sender keeps retrying one delivery")
    parser.add_argument("--stall-timeout", type=float, default=120.0,
                        help="give up waiting for the workers after this long without progress")
    parser.add_argument("--drain-timeout", type=float, default=1800.0,
                        help="longest wait for the workers to catch up")
    parser.add_argument("--keep", action="store_true", help="keep the schema and work folder")
    args = parser.parse_args()
    result = storm(deliveries=args.deliveries, shops=args.shops, duplicates=args.duplicates,
                   concurrency=args.concurrency, web=args.web_workers, workers=args.workers,
                   kills=args.kills, restarts=not args.no_restarts, sqlite=args.sqlite,
                   seed=args.seed, retry_for=args.retry_for,
                   stall_timeout=args.stall_timeout, drain_timeout=args.drain_timeout,
                   keep=args.keep)
    if "skipped" in result:
        log(f"skipped: {result['skipped']}")
    emit(result)
    if "skipped" not in result and (result["lost"] or result["duplicated_effects"]
                                    or not result["caught_up"]):
        sys.exit(1)


if __name__ == "__main__":
    main()
