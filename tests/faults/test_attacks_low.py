"""Issue 17, the low findings, each as the attack that worked:

- the "is this your order?" limits under 30 parallel tries, per case and per address (SQLite by
  default, PostgreSQL with ``ARROSTO_DATABASE_URL``);
- gunicorn's access and error logs with tokens in the URL, the referer and the headers;
- ``javascript:`` and ``data:`` post URLs in every page that links a stored URL, and the digest;
- App Bridge session tokens whose claims are of the wrong type or out of range.
"""
from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import html
import io
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from decimal import Decimal
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from sqlalchemy import func, select

from arrosto import cli as arrosto_cli
from arrosto import models
from arrosto.digest.content import build_digest
from arrosto.digest.render import render_html
from arrosto.models import (
    Case,
    Fulfillment,
    Order,
    Post,
    Shop,
    VerificationAttempt,
)
from arrosto.support.verify import check_order

from ..factories import make_shop
from ..promotions.people import NOW as PEOPLE_NOW
from ..web.forms import post_form
from ..web.test_admin import sign_in
from ..web.test_inbox import case_url, support_shop
from ..web.test_promotions_admin import people_shop

# --- 1. the verification page's limits under concurrency ------------------------------------------

PARALLEL = 30


def run_parallel(work, n: int = PARALLEL) -> list:
    """``work(i)`` in ``n`` threads released at once; every exception fails the test."""
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run(i: int) -> None:
        barrier.wait()
        try:
            results.append(work(i))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors[:3]
    assert len(results) == n
    return results


def verify_shop(db, cases: int) -> tuple[int, list[int]]:
    shop_id = make_shop(db, "verify-race.example")
    with db.transaction(shop_id) as s:
        s.add(Order(external_id="o1", name="#1043", number=1043, email="giulia@example.com",
                    shipping_postcode="20121", created_at=dt.datetime.now(dt.UTC),
                    total_price=Decimal("24.90")))
        rows = [Case(network="x", author_id=f"a{n}", author_handle=f"h{n}", thread_key=f"t{n}",
                     intent="complaint") for n in range(cases)]
        s.add_all(rows)
        s.flush()
        return shop_id, [c.id for c in rows]


def one_try(app, db, shop_id: int, case_id: int, address: str, guess: str) -> bool:
    with db.transaction(shop_id) as s:
        return check_order(s, s.get(Case, case_id), "1043", guess, address,
                           settings=app.config["ARROSTO"], nonce=secrets.token_urlsafe(16))


def test_parallel_tries_on_one_case_record_exactly_its_limit(app, db):
    shop_id, [case_id] = verify_shop(db, 1)
    limit = app.config["ARROSTO"].verify_tries_per_case
    results = run_parallel(lambda i: one_try(app, db, shop_id, case_id, f"198.51.100.{i}",
                                             f"wrong{i}@example.com"))
    assert results == [False] * PARALLEL
    with db.transaction(shop_id) as s:
        assert s.scalar(select(func.count(VerificationAttempt.id))) == limit == 5
        assert s.get(Case, case_id).verify_tries == limit
    # and the right pair, after the limit, is refused too
    assert not one_try(app, db, shop_id, case_id, "192.0.2.1", "giulia@example.com")


def test_parallel_tries_from_one_address_admit_exactly_its_limit(app, db):
    shop_id, case_ids = verify_shop(db, PARALLEL)
    limit = app.config["ARROSTO"].verify_tries_per_address
    results = run_parallel(lambda i: one_try(app, db, shop_id, case_ids[i], "203.0.113.7",
                                             f"wrong{i}@example.com"))
    assert results == [False] * PARALLEL
    with db.transaction(shop_id) as s:
        assert s.scalar(select(func.count(VerificationAttempt.id))) == limit == 10
        [window] = s.scalars(select(models.VerificationWindow)).all()
        assert window.tries == limit
        # a try the address's limit refused is given back to its case
        assert s.scalar(select(func.sum(Case.verify_tries))) == limit


# --- 2. gunicorn's access log -------------------------------------------------------------------

#: every atom gunicorn offers that holds text from the request or the response
EVERY_ATOM = ('%(h)s %(u)s "%(r)s" %(U)s %(q)s "%(f)s" "%(a)s" %({authorization}i)s '
              '%({cookie}i)s %({referer}i)s %({location}o)s %({set-cookie}o)s %({raw_uri}e)s '
              '%({path_info}e)s %({query_string}e)s %({http_cookie}e)s %({http_referer}e)s '
              '%({http_authorization}e)s')

SECRET_URLS = [  # (the request URI, the credentials in it)
    ("/api/v1/orders?token=APITOKEN1secret&page=2", ["APITOKEN1secret"]),
    ("/admin/login/LOGINLINK2secret", ["LOGINLINK2secret"]),
    ("/verify/VERIFYLINK3secret.abc", ["VERIFYLINK3secret"]),
    ("/auth/shopify/callback?code=OAUTHCODE4secret&hmac=HMAC5secret&host=aGk&"
     "shop=a.myshopify.com&state=STATE6secret&timestamp=1", ["OAUTHCODE4secret", "HMAC5secret",
                                                             "STATE6secret"]),
    ("/connect/woocommerce/return?nonce=NONCE7secret&success=1", ["NONCE7secret"]),
    ("/connect/woocommerce/return?success=1&user_id=USERID8secret", ["USERID8secret"]),
    ("/admin/inbox?embedded=1&id_token=IDTOKEN9secret&session=SESSION10secret",
     ["IDTOKEN9secret", "SESSION10secret"]),
    ("/digest/unsubscribe/UNSUBSCRIBE11secret", ["UNSUBSCRIBE11secret"]),
    ("/admin/accounts/x/callback?oauth_token=OAUTH12secret&oauth_verifier=VERIFIER13secret",
     ["OAUTH12secret", "VERIFIER13secret"]),
]


def gunicorn_config(args: list[str]) -> Config:
    """The configuration gunicorn itself builds from its command line."""
    cfg = Config()
    parsed = cfg.parser().parse_args(args)
    for key, value in vars(parsed).items():
        if value is not None and key != "args":
            cfg.set(key.lower(), value)
    return cfg


def serve_logger(cfg: Config):
    """The logger class `arrosto serve` gives gunicorn, set up with ``cfg``."""
    args = arrosto_cli.gunicorn_args("127.0.0.1:5000", 1, 1, "arrosto.wsgi:app")
    return gunicorn_config(args).logger_class(cfg)


def logged_access(uri: str, *, referer: str = "-", headers=(), response_headers=(),
                  fmt: str = EVERY_ATOM) -> str:
    """One access-log line as gunicorn's worker writes it through our logger class."""
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", fmt)
    logger = serve_logger(cfg)
    stream = io.StringIO()
    for handler in logger.access_log.handlers:
        handler.setStream(stream)
    path, _, query = uri.partition("?")
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": uri, "PATH_INFO": path,
               "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "192.0.2.4",
               "HTTP_REFERER": referer, "HTTP_USER_AGENT": "Mozilla/5.0"}
    environ.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers})
    response = SimpleNamespace(status="302 FOUND", sent=12, headers=list(response_headers))
    request = SimpleNamespace(headers=[(k.upper(), v) for k, v in headers])
    logger.access(response, request, environ, dt.timedelta(milliseconds=4))
    return stream.getvalue()


@pytest.mark.parametrize(("uri", "credentials"), SECRET_URLS, ids=lambda v: str(v)[:32])
def test_the_access_log_keeps_no_credential_of_a_url(uri, credentials):
    line = logged_access(uri, referer=f"https://shop.example{uri}")
    for credential in credentials:
        assert credential not in line, line
    assert "<redacted>" in line
    assert uri.partition("?")[0].rsplit("/", 1)[0] in line  # the route is still there


def test_the_access_log_keeps_no_credential_of_a_header():
    line = logged_access(
        "/admin/inbox?page=2",
        referer="https://admin.example/admin/login/REFERER14secret?x=1",
        headers=[("Authorization", "Bearer BEARER15secret"), ("Cookie", "session=COOKIE16")],
        response_headers=[("Location", "/admin/?id_token=LOCATION17secret"),
                          ("Set-Cookie", "session=SETCOOKIE18; HttpOnly")])
    for credential in ("REFERER14secret", "BEARER15secret", "COOKIE16", "LOCATION17secret",
                       "SETCOOKIE18"):
        assert credential not in line, line
    assert "/admin/inbox?page=2" in line and "GET " in line  # what a log is for stays


def test_the_default_access_line_is_masked_too():
    line = logged_access("/admin/login/LOGINLINK2secret?next=/admin/",
                         fmt=Config().access_log_format)
    assert "LOGINLINK2secret" not in line
    assert '"GET /admin/login/<redacted>?next=/admin/ HTTP/1.1" 302 12' in line


def test_the_error_log_names_a_failed_request_masked():
    logger = serve_logger(Config())
    stream = io.StringIO()
    for handler in logger.error_log.handlers:
        handler.setStream(stream)
    logger.error("Error handling request %s", "/verify/VERIFYLINK3secret?token=APITOKEN1")
    assert "VERIFYLINK3secret" not in stream.getvalue()
    assert "APITOKEN1" not in stream.getvalue()
    assert "/verify/<redacted>" in stream.getvalue()


def test_arrosto_serve_runs_gunicorn_with_the_masking_logger(runner, monkeypatch):
    app = runner.app
    monkeypatch.setattr("arrosto.cli.Context.app", lambda self: app)
    started = []
    monkeypatch.setattr(os, "execve", lambda path, args, env: started.append(args))
    res = runner.invoke(arrosto_cli.cli, ["serve", "--port", "5999", "--workers", "1"])
    assert res.exit_code == 0, res.output
    [args] = started
    assert args[1:3] == ["-m", "gunicorn"]
    from arrosto.logs import AccessLogger

    cfg = gunicorn_config(args[3:])
    assert cfg.logger_class is AccessLogger
    assert cfg.accesslog == "-"
    # the benchmark's bare server uses the same arguments (benchmarks/webhooks.py)
    assert gunicorn_config(arrosto_cli.gunicorn_args("127.0.0.1:1", 1, 4, "bare:app")) \
        .logger_class is AccessLogger


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_running_server_logs_no_credential(env_for_subprocess):
    """`arrosto serve` for real: requests carrying a sign-in link, a verification link, an API
    token and a session token, then the server's whole output is read."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "arrosto", "serve", "--port", str(port), "--workers", "1"],
        env=env_for_subprocess, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.1)
        for uri in ("/admin/login/LOGINLINK2secret", "/verify/VERIFYLINK3secret",
                    "/api/v1/orders?token=APITOKEN1secret", "/admin/inbox?id_token=IDTOKEN9x",
                    "/connect/woocommerce/return?nonce=NONCE7secret&success=1"):
            request = urllib.request.Request(
                base + uri, headers={"Referer": f"{base}/verify/REFERER14secret"})
            with contextlib.suppress(urllib.error.HTTPError):  # refused: only the log matters
                urllib.request.urlopen(request, timeout=10)
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    output = out.decode() + err.decode()
    assert "GET /healthz" in output, output[-2000:]
    for credential in ("LOGINLINK2secret", "VERIFYLINK3secret", "APITOKEN1secret",
                       "IDTOKEN9x", "NONCE7secret", "REFERER14secret"):
        assert credential not in output
    assert output.count("<redacted>") >= 6


# --- 3. only http(s) post URLs become links -----------------------------------------------------

BAD_URLS = ["javascript:alert(1)", "JaVaScRiPt:alert(document.domain)", " javascript:alert(1)",
            "\x01\x02javascript:alert(1)", "\njavascript:alert(2)", "java\tscript:alert(3)",
            "data:text/html,<script>alert(1)</script>",
            "DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
            "vbscript:msgbox(1)", "//evil.example/x"]
GOOD_URL = "https://mastodon.example/@giulia/1"


def hrefs(page: str) -> list[str]:
    """Where the page's links go (``<a href>``: base.html's ``<link href="data:,">`` is the
    empty favicon, no link)."""
    return [html.unescape(v) for v in
            re.findall(r'<a\b[^>]*?\bhref\s*=\s*["\']?([^"\' >]*)', page, re.I)]


def assert_no_bad_link(page: str) -> None:
    for href in hrefs(page):
        bare = re.sub(r"[\x00-\x20]", "", href).lower()
        assert not bare.startswith(("javascript:", "data:", "vbscript:", "//")), href
    for bad in BAD_URLS:
        assert bad not in hrefs(page)


def get(client, url: str) -> str:
    res = client.get(url)
    assert res.status_code == 200, (url, res.status_code)
    return res.get_data(as_text=True)


def set_post_urls(db, shop_id: int, urls: list[str]) -> None:
    with db.transaction(shop_id) as s:
        for n, post in enumerate(s.scalars(select(Post).order_by(Post.id))):
            post.url = urls[n % len(urls)]


def test_the_case_page_and_the_order_page_link_only_http_urls(client, db):
    data = support_shop(db)
    with db.transaction(data.shop) as s:
        case = s.get(Case, data.complaint)
        at = case.opened_at
        for n, url in enumerate(BAD_URLS):
            s.add(Post(network="mastodon", external_id=f"bad-{n}", author_id=case.author_id,
                       author_handle=case.author_handle, text=f"still waiting {n}",
                       created_at=at + dt.timedelta(minutes=n + 1), url=url, case_id=case.id,
                       intent="complaint"))
        s.add(Post(network="mastodon", external_id="good", author_id=case.author_id,
                   author_handle=case.author_handle, text="good link", url=GOOD_URL,
                   created_at=at + dt.timedelta(minutes=30), case_id=case.id))
        for n, fulfillment in enumerate(s.scalars(select(Fulfillment))):
            fulfillment.tracking_url = BAD_URLS[n]
    sign_in(client, db, data.shop)
    page = get(client, case_url(data.complaint))
    assert "still waiting 9" in page  # every post is on the page
    assert_no_bad_link(page)
    assert GOOD_URL in hrefs(page)  # an http(s) URL is still a link
    assert "<code>javascript:alert(1)</code>" in page  # the others are text
    assert_no_bad_link(get(client, f"/admin/orders/{data.order}"))


def test_the_promotion_pages_and_the_queue_link_only_http_urls(client, db, monkeypatch):
    monkeypatch.setattr("arrosto.web.promotions.utcnow", lambda: PEOPLE_NOW)
    monkeypatch.setattr("arrosto.models.utcnow", lambda: PEOPLE_NOW)
    shop_id, promotion_id, _who = people_shop(db)
    set_post_urls(db, shop_id, BAD_URLS)
    sign_in(client, db, shop_id)
    detail = f"/admin/promotions/{promotion_id}"
    preview = get(client, detail)
    assert "@olga" in preview
    assert_no_bad_link(preview)
    post_form(client, detail, {}, url=f"{detail}/approve")
    queue = get(client, "/admin/promotions/queue")
    assert "@olga" in queue  # the owner's queue has its people, none with a bad link
    assert_no_bad_link(queue)
    watchers = get(client, "/admin/promotions/watchers")
    assert "@wanda" in watchers
    assert_no_bad_link(watchers)


def test_the_digest_links_no_post_url(app, db):
    data = support_shop(db)
    set_post_urls(db, data.shop, BAD_URLS)
    with db.transaction(data.shop) as s:
        shop = s.get(Shop, data.shop)
        complaint = s.scalar(select(Post).where(Post.case_id == data.complaint))
        day = complaint.created_at.date() + dt.timedelta(days=1)
        digest = build_digest(s, shop, day, public_url="https://arrosto.example")
    page = render_html(digest, unsubscribe_url="https://arrosto.example/digest/unsubscribe/x")
    assert "still has not arrived" in page  # the complaint is quoted, its URL never linked
    assert_no_bad_link(page)


# --- 4. malformed session-token claims ----------------------------------------------------------

API_KEY = "arrosto-client-id"
APP_SECRET = "current-app-secret-0123456789abcdef"
SHOP = "caffe-rossi.myshopify.com"
RAW = "__raw_json__"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def session_token(raw: str | None = None, **changes) -> str:
    """A token signed with the app secret; a claim set to ``RAW`` is written as the JSON text
    ``raw`` (``Infinity``, ``1e309``: what no JSON encoder writes, but a parser may read)."""
    now = int(time.time())
    claims = {"iss": f"https://{SHOP}/admin", "dest": f"https://{SHOP}", "aud": API_KEY,
              "sub": "42", "exp": now + 60, "nbf": now - 5, "iat": now - 5, "jti": "j1",
              "sid": "s1", **changes}
    claims = {k: v for k, v in claims.items() if v is not ...}
    payload = json.dumps(claims).replace(json.dumps(RAW), raw or "")
    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}." \
                    f"{b64(payload.encode())}"
    signature = hmac.new(APP_SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


MALFORMED = {
    **{f"{claim} {label}": (raw, {claim: RAW}) for claim in ("exp", "nbf")
       for label, raw in (("'Infinity'", '"Infinity"'), ("'NaN'", '"NaN"'),
                          ("'-Infinity'", '"-Infinity"'), ("'1e309'", '"1e309"'),
                          ("Infinity", "Infinity"), ("NaN", "NaN"), ("1e309", "1e309"),
                          ("-1e309", "-1e309"), ("huge int", "9" * 400),
                          ("huge negative int", "-" + "9" * 400), ("list", "[1]"),
                          ("object", '{"a": 1}'), ("true", "true"), ("false", "false"),
                          ("numeric string", '"9999999999"'), ("empty string", '""'),
                          ("year 10000", "253402300800"))},
    **{f"{claim} {label}": (None, {claim: value}) for claim in ("iss", "dest")
       for label, value in (("int", 123), ("list", [f"https://{SHOP}/admin"]),
                            ("object", {"url": f"https://{SHOP}"}), ("bool", True),
                            ("null", None), ("bad IPv6", "https://[::1/admin"),
                            ("huge", "https://" + "a" * 5000 + ".myshopify.com"))},
    **{f"sub {label}": (None, {"sub": value}) for label, value in (
        ("missing", ...), ("int", 42), ("list", ["42"]), ("object", {"id": 42}),
        ("bool", True), ("null", None), ("empty", ""))},
    **{f"{claim} {label}": (None, {claim: value}) for claim in ("sid", "jti")
       for label, value in (("list", ["s1"]), ("object", {"s": 1}), ("int", 7))},
    **{f"aud {label}": (None, {"aud": value}) for label, value in (
        ("list of ints", [1]), ("int", 1), ("object", {"a": API_KEY}))},
}


@pytest.fixture
def embedded_app(make_app, db):
    app = make_app(shopify_api_key=API_KEY, shopify_api_secret=APP_SECRET)
    make_shop(db, SHOP)
    return app


def test_a_well_formed_token_still_signs_in(embedded_app):
    res = embedded_app.test_client(use_cookies=False).get(
        "/admin/inbox", headers={"Authorization": f"Bearer {session_token()}"})
    assert res.status_code == 200


@pytest.mark.parametrize("case", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_claim_is_401_on_an_admin_page(embedded_app, case):
    raw, changes = case
    token = session_token(raw, **changes)
    res = embedded_app.test_client(use_cookies=False).get(
        "/admin/inbox", headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 401


@pytest.mark.parametrize("case", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_claim_is_401_on_the_shopify_app_url(embedded_app, case, monkeypatch):
    def no_install(*args, **kwargs):
        raise AssertionError("a malformed session token reached the token exchange")

    monkeypatch.setattr("arrosto.shops.install.ensure_shopify_install", no_install)
    raw, changes = case
    res = embedded_app.test_client(use_cookies=False).get(
        f"/shopify?shop={SHOP}&id_token={session_token(raw, **changes)}")
    assert res.status_code == 401
