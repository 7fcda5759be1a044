"""The ``arrosto`` command: serve, worker, demo, db, shop, login, import.

Every command reads the same ``ARROSTO_*`` settings as the web app. A configuration or service
problem prints one line (``arrosto: error: ...``) and exits non-zero, without a traceback.
"""
from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, select

from . import create_app
from .errors import ArrostoError, AuthError, ConfigError, ServiceUnavailable


class Context:
    def __init__(self) -> None:
        self._app = None
        self.overrides: dict[str, Any] = {}
        self.allow_generated_secret = False

    def app(self):
        if self._app is None:
            self._app = create_app(self.overrides or None,
                                   allow_generated_secret=self.allow_generated_secret)
        return self._app

    @property
    def settings(self):
        return self.app().config["ARROSTO"]

    @property
    def db(self):
        return self.app().extensions["arrosto.db"]


pass_ctx = click.make_pass_decorator(Context, ensure=True)


def preflight(ctx: Context, *, queue: bool = True, upgrade_sqlite: bool = True) -> None:
    """Fail fast with one clear line when the database or the queue cannot be reached."""
    from . import jobs

    ctx.db.ping()
    if queue:
        jobs.check_queue()
    if upgrade_sqlite and ctx.settings.is_sqlite:
        ctx.db.upgrade()


def find_shop(ctx: Context, ref: str):
    from .models import Shop

    with ctx.db.transaction() as s:
        stmt = select(Shop).where(Shop.id == int(ref)) if ref.isdigit() else \
            select(Shop).where((Shop.domain == ref) | (Shop.name == ref))
        shop = s.scalar(stmt)
    if shop is None:
        raise click.UsageError(f"no shop {ref!r}: see `arrosto shop list`")
    return shop


def login_url(ctx: Context, shop_id: int) -> str:
    from .access import create_login_token

    token = create_login_token(ctx.db, shop_id, ctx.settings.login_link_minutes)
    return f"{ctx.settings.public_url}/admin/login/{token}"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="arrosto")
def cli() -> None:
    """Arrosto: social listening, customer support and promotions for small shops.

    Settings come from ARROSTO_* environment variables (or a .env file); see docs/configuration.md.
    """


# --- serve and worker ---------------------------------------------------------------------------

# each worker listens on its own socket and the kernel spreads new connections across them
# (SO_REUSEPORT): without it, whichever worker wakes first takes every connection a client
# opens at once, and one worker serves them all while the others idle
SERVER_BALANCE = ["--reuse-port"] if hasattr(socket, "SO_REUSEPORT") else []


def gunicorn_args(bind: str, workers: int, threads: int, app: str) -> list[str]:
    """gunicorn's arguments for `arrosto serve` (benchmarks/webhooks.py serves its bare
    endpoint with the same ones). The access log is masked like ours (logs.AccessLogger):
    sign-in and verification links, tokens and OAuth values in URLs never reach it."""
    return ["--bind", bind, "--workers", str(workers), "--threads", str(threads),
            "--timeout", "30", "--graceful-timeout", "10", "--access-logfile", "-",
            "--logger-class", "arrosto.logs.AccessLogger", *SERVER_BALANCE, app]


def run_server(ctx: Context, host: str, port: int, workers: int, threads: int) -> None:
    """Replace this process with a gunicorn master; the app is loaded only in its workers, so
    the master stays small. Settings reach the workers through the environment."""
    settings = ctx.settings
    env = dict(os.environ)
    for key, value in ctx.overrides.items():
        env[f"ARROSTO_{key.upper()}"] = str(value)
    env["ARROSTO_SECRET_KEY"] = ",".join(settings.secret_keys())
    env["ARROSTO_INSTANCE_PATH"] = str(settings.instance_path)
    if ctx.allow_generated_secret:
        env["ARROSTO_DEMO"] = "1"
    args = [sys.executable, "-m", "gunicorn",
            *gunicorn_args(f"{host}:{port}", workers, threads, "arrosto.wsgi:app")]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, args, env)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", type=int, help="Web worker processes [ARROSTO_WEB_WORKERS].")
@pass_ctx
def serve(ctx: Context, host: str, port: int, workers: int | None) -> None:
    """Serve the web app (admin, webhooks, API) with gunicorn."""
    preflight(ctx)
    s = ctx.settings
    run_server(ctx, host, port, workers or s.web_workers, s.web_threads)


@cli.command()
@click.option("--threads", type=int, help="Jobs run at once [ARROSTO_WORKER_THREADS].")
@pass_ctx
def worker(ctx: Context, threads: int | None) -> None:
    """Run background jobs and the periodic schedule (start as many as you like)."""
    from . import jobs

    preflight(ctx)
    if ctx.settings.jobs_immediate:
        raise ConfigError("ARROSTO_JOBS_IMMEDIATE: jobs run inline, there is nothing for a "
                          "worker to do; unset it to use a queue")
    consumer = jobs.huey.create_consumer(workers=threads or ctx.settings.worker_threads,
                                         worker_type="thread", periodic=True,
                                         check_worker_health=True)
    click.echo(f"arrosto worker: {threads or ctx.settings.worker_threads} threads on "
               f"{type(jobs.huey.storage).__name__}", err=True)
    import threading

    from .shops.deliveries import pump

    stop = threading.Event()
    threading.Thread(target=pump, args=(ctx.db, stop), name="delivery-pump",
                     daemon=True).start()
    try:
        consumer.run()
    finally:
        stop.set()


# --- demo ---------------------------------------------------------------------------------------

@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--serve/--no-serve", default=True, show_default=True,
              help="Serve the admin panel after loading.")
@pass_ctx
def demo(ctx: Context, host: str, port: int, serve: bool) -> None:
    """Load the demo coffee roastery (SQLite by default) and serve its admin panel."""
    from .demo import demo_counts, load_demo
    from .shops.demo import data_file

    ctx.allow_generated_secret = True
    ctx.overrides.setdefault("jobs_immediate", True)
    if "ARROSTO_LOG_LEVEL" not in os.environ:
        ctx.overrides.setdefault("log_level", "WARNING")
    if port != 5000 or host != "127.0.0.1":
        ctx.overrides.setdefault("public_url", f"http://{host}:{port}")
    preflight(ctx, queue=False)
    if not ctx.settings.is_sqlite:
        ctx.db.upgrade()
    counts = demo_counts()
    counts["posts"] = len(data_file("posts.jsonl"))
    click.echo(f"Loading the demo shop into {ctx.db.engine.url.render_as_string(True)}")
    bars: dict[str, Any] = {}

    def progress(resource: str, n: int) -> None:
        if resource not in bars:
            for bar in bars.values():
                bar.render_finish()
            bars[resource] = click.progressbar(length=counts.get(resource, 0),
                                               label=f"  {resource:<10}", file=sys.stderr)
        bars[resource].update(n)

    result = load_demo(ctx.db, ctx.settings.instance_path, progress=progress)
    for bar in bars.values():
        bar.render_finish()
    with ctx.db.transaction(result.shop_id) as s:
        from .models import Order, Post, Product

        n_products = s.scalar(select(func.count(Product.id)))
        n_orders = s.scalar(select(func.count(Order.id)))
        n_posts = s.scalar(select(func.count(Post.id)))
    click.echo(f"Demo shop ready: {n_products} products, {n_orders} orders, {n_posts} posts "
               f"({result.posts.new} new, {result.posts.duplicates} already there).")
    from .demo import write_demo_digest

    digest_file = write_demo_digest(ctx.db, ctx.settings, result.shop_id)
    click.echo(f"Today's digest of the demo shop: {digest_file}")
    click.echo(f"\nSign in (one-time link, valid {ctx.settings.login_link_minutes} minutes):\n"
               f"  {login_url(ctx, result.shop_id)}\n")
    if serve:
        click.echo(f"Admin panel on http://{host}:{port}/admin/ — press Ctrl+C to stop.")
        run_server(ctx, host, port, 1, 4)


# --- promotions ---------------------------------------------------------------------------------

@cli.group()
def promotions() -> None:
    """Promotions found from the shop's discounts, sales and restocks: list, preview, approve."""


@promotions.command("list")
@click.option("--shop", "shop_ref", required=True, help="Shop id or domain.")
@pass_ctx
def promotions_list(ctx: Context, shop_ref: str) -> None:
    """The shop's promotions, newest first, with their state."""
    from sqlalchemy import select

    from .models import Promotion

    preflight(ctx, queue=False)
    shop = find_shop(ctx, shop_ref)
    with ctx.db.transaction(shop.id) as s:
        rows = s.scalars(select(Promotion).order_by(Promotion.id.desc())).all()
        if not rows:
            click.echo("No promotions yet: they come from the shop's discounts, sales and "
                       "restocks.")
        for p in rows:
            ends = f", until {p.ends_at:%Y-%m-%d}" if p.ends_at else ""
            click.echo(f"{p.id:>5}  {p.state:<17} {p.source:<16} {p.title}"
                       f"{f' [{p.code}]' if p.code else ''}{f' {p.value}' if p.value else ''}"
                       f"{ends}")


def _promotion(s, promotion_id: int):
    from .models import Promotion

    promotion = s.get(Promotion, promotion_id)
    if promotion is None:
        raise click.BadParameter(f"no promotion {promotion_id} in this shop",
                                 param_hint="PROMOTION")
    return promotion


@promotions.command("preview")
@click.option("--shop", "shop_ref", required=True, help="Shop id or domain.")
@click.argument("promotion_id", metavar="PROMOTION", type=int)
@pass_ctx
def promotions_preview(ctx: Context, shop_ref: str, promotion_id: int) -> None:
    """Who would be told and with what text, in the three groups; nothing is sent."""
    from .models import utcnow
    from .promotions.outreach import prepare

    preflight(ctx, queue=False)
    shop = find_shop(ctx, shop_ref)
    with ctx.db.transaction(shop.id) as s:
        preview = prepare(s, _promotion(s, promotion_id), utcnow())
        labels = {"watcher": "Asked to be told (automatic reply)",
                  "engaged": "Wrote to the shop first (automatic reply)",
                  "owner": "Discussed the product (you write, one at a time)"}
        for group, label in labels.items():
            rows = preview.outreach.get(group, [])
            click.echo(f"\n{label}: {len(rows)}")
            for row in rows[:20]:
                click.echo(f"  {row.network:<9} @{row.handle}: {row.draft}")
            if len(rows) > 20:
                click.echo(f"  … and {len(rows) - 20} more")
        for network, text in preview.announcements.items():
            click.echo(f"\nAnnouncement on {network}: {text}")
        for problem in preview.problems:
            click.echo(f"Problem: {problem}", err=True)


@promotions.command("approve")
@click.option("--shop", "shop_ref", required=True, help="Shop id or domain.")
@click.argument("promotion_id", metavar="PROMOTION", type=int)
@pass_ctx
def promotions_approve(ctx: Context, shop_ref: str, promotion_id: int) -> None:
    """Approve: watchers and people who wrote to the shop first get one reply each, one
    announcement per account is posted; everyone else waits in your own queue."""
    from .models import utcnow
    from .promotions.outreach import approve_promotion
    from .support.send import NotAllowed

    preflight(ctx, queue=True)
    shop = find_shop(ctx, shop_ref)
    try:
        with ctx.db.transaction(shop.id) as s:
            queued = approve_promotion(s, _promotion(s, promotion_id), utcnow())
    except NotAllowed as exc:
        raise ArrostoError(f"promotion {promotion_id} not approved: {exc}") from exc
    click.echo(f"Promotion {promotion_id} approved: {len(queued)} messages queued for the "
               "outbox (`arrosto worker` sends them).")


# --- digest -------------------------------------------------------------------------------------

@cli.command("digest")
@click.option("--shop", "shop_ref", required=True, help="Shop id or domain.")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]),
              help="The shop's local date of the digest [default: today there].")
@click.option("--print", "mode", flag_value="print", help="Print the plain-text version.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the HTML version (chart included) to this file.")
@click.option("--send", "mode", flag_value="send",
              help="Send it to the recipients now, as the day's digest (once per date).")
@pass_ctx
def digest_cmd(ctx: Context, shop_ref: str, day, mode: str | None, html_file: Path | None
               ) -> None:
    """Show, save or send a shop's daily digest."""
    import datetime as dt

    from .digest.content import build_digest, shop_zone
    from .digest.render import render_file, render_text
    from .digest.send import send_digest
    from .models import Shop

    if sum(bool(x) for x in (mode, html_file)) != 1:
        raise click.UsageError("choose one of --print, --html FILE, --send")
    preflight(ctx, queue=False)
    shop = find_shop(ctx, shop_ref)
    local_day = day.date() if day else dt.datetime.now(shop_zone(shop)).date()
    if mode == "send":
        result = send_digest(ctx.db, ctx.settings, shop.id, local_day)
        if result.state == "busy":
            raise ArrostoError(f"the digest of {local_day} was already sent, or is being sent")
        click.echo(f"Digest of {local_day}: {result.state} ({result.sent} sent"
                   f"{f', {result.skipped} already sent before' if result.skipped else ''})"
                   + (f": {result.error}" if result.error else ""))
        if result.state == "failed":
            sys.exit(1)
        return
    with ctx.db.transaction(shop.id) as s:
        data = build_digest(s, s.get(Shop, shop.id), local_day,
                            public_url=ctx.settings.public_url, settings=ctx.settings)
    if mode == "print":
        click.echo(render_text(data), nl=False)
    else:
        html_file.write_text(render_file(data), encoding="utf-8")
        click.echo(f"Digest of {local_day} written to {html_file}")


# --- db -----------------------------------------------------------------------------------------

@cli.group()
def db() -> None:
    """Database schema and secrets."""


@db.command("upgrade")
@click.argument("revision", default="head")
@pass_ctx
def db_upgrade(ctx: Context, revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    ctx.db.ping()
    ctx.db.upgrade(revision)
    click.echo(f"database at revision {ctx.db.current_revision()}")


@db.command("downgrade")
@click.argument("revision")
@pass_ctx
def db_downgrade(ctx: Context, revision: str) -> None:
    """Revert migrations down to REVISION ("base" removes every table)."""
    ctx.db.ping()
    ctx.db.downgrade(revision)
    click.echo(f"database at revision {ctx.db.current_revision() or 'base'}")


@db.command("current")
@pass_ctx
def db_current(ctx: Context) -> None:
    """Print the database's migration revision."""
    ctx.db.ping()
    click.echo(ctx.db.current_revision() or "base (empty)")


@db.command("rotate-secrets")
@pass_ctx
def db_rotate_secrets(ctx: Context) -> None:
    """Re-encrypt every stored secret with the first key of ARROSTO_SECRET_KEY."""
    from .secrets_rotation import rotate_all

    ctx.db.ping()
    n = rotate_all(ctx.db)
    click.echo(f"re-encrypted {n} stored secrets with the newest key")


# --- shops and sign-in --------------------------------------------------------------------------

@cli.group()
def shop() -> None:
    """Connected shops."""


@shop.command("list")
@pass_ctx
def shop_list(ctx: Context) -> None:
    """List connected shops."""
    from .models import Shop

    ctx.db.ping()
    with ctx.db.transaction() as s:
        shops = s.scalars(select(Shop).order_by(Shop.id)).all()
    if not shops:
        click.echo("no shops yet: install Arrosto from your shop's admin, or run `arrosto demo`")
        return
    click.echo(f"{'id':>4}  {'platform':<12} {'status':<13} {'domain':<36} name")
    for sh in shops:
        click.echo(f"{sh.id:>4}  {sh.platform:<12} {sh.status:<13} {sh.domain:<36} {sh.name}")


@shop.group("add")
def shop_add() -> None:
    """Connect a shop with credentials you created yourself (custom app, REST API keys)."""


def _finish_install(ctx: Context, shop_id: int) -> None:
    from .shops.install import after_install

    click.echo("Registering webhooks and running the first sync (this can take a while)...")
    after_install(ctx.db, ctx.settings, shop_id)
    with ctx.db.transaction() as s:
        from .models import Shop

        shop = s.get(Shop, shop_id)
        problem = (shop.settings or {}).get("webhooks_error")
    if problem:
        click.echo(f"warning: webhooks not registered ({problem}); the reconciliation job "
                   "will retry", err=True)
    click.echo(f"shop {shop_id} connected: {shop.name} ({shop.domain})")
    click.echo(f"sign in: {login_url(ctx, shop_id)}")


@shop_add.command("shopify")
@click.option("--domain", required=True, help="The shop's your-shop.myshopify.com address.")
@click.option("--token", required=True, envvar="ARROSTO_SHOPIFY_TOKEN",
              help="Admin API access token of the shop's custom app (or ARROSTO_SHOPIFY_TOKEN).")
@pass_ctx
def shop_add_shopify(ctx: Context, domain: str, token: str) -> None:
    """Connect a Shopify shop through a custom app created in its admin."""
    from .shops import shopify_auth
    from .shops.install import save_shopify_tokens

    preflight(ctx, queue=False)
    domain = domain.strip().lower().removeprefix("https://").rstrip("/")
    if not shopify_auth.valid_shop_domain(domain):
        raise click.BadParameter("must be the shop's your-shop.myshopify.com address",
                                 param_hint="--domain")
    shop_id = save_shopify_tokens(ctx.db, domain, shopify_auth.TokenSet(access_token=token))
    _finish_install(ctx, shop_id)


@shop_add.command("woocommerce")
@click.option("--url", "store_url", required=True, help="The store's address (https://...).")
@click.option("--key", required=True, help="REST API consumer key (ck_...).")
@click.option("--secret", required=True, envvar="ARROSTO_WOOCOMMERCE_SECRET",
              help="REST API consumer secret (cs_...), or ARROSTO_WOOCOMMERCE_SECRET.")
@pass_ctx
def shop_add_woocommerce(ctx: Context, store_url: str, key: str, secret: str) -> None:
    """Connect a WooCommerce store with REST API keys (Read/Write) you created in it."""
    from .shops import woocommerce_auth
    from .shops.install import connect_woocommerce_store

    preflight(ctx, queue=False)
    try:
        url = woocommerce_auth.normalize_store_url(store_url if "://" in store_url
                                                   else f"https://{store_url}")
    except ValueError as exc:
        hint = (" (for development, ARROSTO_ALLOW_LOOPBACK_HOSTS=true allows a store on this "
                "machine)" if isinstance(exc, woocommerce_auth.InternalStoreURL) else "")
        raise click.BadParameter(f"{exc}{hint}", param_hint="--url") from None
    keys = woocommerce_auth.WooKeys(key_id=0, user_id="cli", consumer_key=key,
                                    consumer_secret=secret, key_permissions="read_write")
    try:  # checked on the store before any shop changes
        shop_id = connect_woocommerce_store(ctx.db, url, keys)
    except AuthError as exc:
        raise ArrostoError(f"the store refused these API keys ({exc}): check they are "
                           "Read/Write") from None
    _finish_install(ctx, shop_id)


@cli.command()
@click.option("--shop", "shop_ref", required=True, help="Shop id or domain.")
@pass_ctx
def login(ctx: Context, shop_ref: str) -> None:
    """Print a one-time sign-in link to the admin panel."""
    ctx.db.ping()
    shop = find_shop(ctx, shop_ref)
    click.echo(login_url(ctx, shop.id))


# --- social accounts and listening -------------------------------------------------------------

@cli.group()
def social() -> None:
    """The shop's social accounts (X, Bluesky, Mastodon)."""


def _save_account(ctx: Context, shop_ref: str, network: str, handle: str,
                  credentials: dict[str, Any], **fields: Any) -> int:
    from .social.accounts import save_account

    shop = find_shop(ctx, shop_ref)
    account_id = save_account(ctx.db, shop.id, network, handle, credentials, **fields)
    _saved(shop, network, handle)
    return account_id


def _saved(shop, network: str, handle: str) -> None:
    click.echo(f"{network} account @{handle.lstrip('@')} saved for {shop.name} (credentials "
               f"encrypted); run `arrosto listen --shop {shop.id}` to fetch now")


SHOP_OPTION = click.option("--shop", "shop_ref", required=True, help="Shop id or domain.")


@social.group("add")
def social_add() -> None:
    """Connect one of the shop's accounts."""


@social_add.command("x")
@SHOP_OPTION
@click.option("--handle", required=True, help="The shop's X username.")
@click.option("--user-id", help="The account's numeric id (looked up when missing).")
@click.option("--bearer-token", envvar="ARROSTO_X_BEARER_TOKEN",
              help="App bearer token, for search (or ARROSTO_X_BEARER_TOKEN).")
@click.option("--access-token", envvar="ARROSTO_X_ACCESS_TOKEN",
              help="User access token (OAuth 2.0, or OAuth 1.0a with the secret).")
@click.option("--access-token-secret", envvar="ARROSTO_X_ACCESS_TOKEN_SECRET")
@click.option("--consumer-key", envvar="ARROSTO_X_CONSUMER_KEY")
@click.option("--consumer-secret", envvar="ARROSTO_X_CONSUMER_SECRET")
@pass_ctx
def social_add_x(ctx: Context, shop_ref: str, handle: str, user_id: str | None,
                 **credentials: str | None) -> None:
    """Connect an X account (API v2 credentials from the X developer portal)."""
    ctx.db.ping()
    if not credentials.get("bearer_token") and not credentials.get("access_token"):
        raise click.UsageError("give --bearer-token (search) and/or --access-token (replies)")
    _save_account(ctx, shop_ref, "x", handle, credentials, external_id=user_id)


@social_add.command("bluesky")
@SHOP_OPTION
@click.option("--handle", required=True, help="e.g. yourshop.bsky.social")
@click.option("--app-password", required=True, envvar="ARROSTO_BLUESKY_APP_PASSWORD",
              help="An app password (Settings → App passwords), or ARROSTO_BLUESKY_APP_PASSWORD.")
@pass_ctx
def social_add_bluesky(ctx: Context, shop_ref: str, handle: str, app_password: str) -> None:
    """Connect a Bluesky account with an app password (never the account password): Arrosto
    logs in with it once and keeps the session."""
    from .social.accounts import connect_bluesky

    ctx.db.ping()
    shop = find_shop(ctx, shop_ref)
    _account_id, handle = connect_bluesky(ctx.db, shop.id, handle, app_password)
    _saved(shop, "bluesky", handle)


@social_add.command("mastodon")
@SHOP_OPTION
@click.option("--instance", required=True, help="The instance's address, e.g. https://mastodon.social")
@click.option("--handle", help="The account, e.g. yourshop@mastodon.social (checked against the "
                               "account the token belongs to).")
@click.option("--access-token", envvar="ARROSTO_MASTODON_ACCESS_TOKEN",
              help="A token from Preferences → Development; without it Arrosto registers an app "
                   "on the instance and asks you to authorise it.")
@pass_ctx
def social_add_mastodon(ctx: Context, shop_ref: str, instance: str, handle: str | None,
                        access_token: str | None) -> None:
    """Connect a Mastodon account (per-instance app registration and OAuth)."""
    from .social import mastodon
    from .social.accounts import connect_mastodon

    ctx.db.ping()
    shop = find_shop(ctx, shop_ref)
    instance = mastodon.normalize_instance_url(
        "https://" + instance.strip().removeprefix("https://").removeprefix("http://"))
    credentials: dict[str, Any] = {"access_token": access_token}
    if not access_token:
        redirect = "urn:ietf:wg:oauth:2.0:oob"
        client_id, client_secret = mastodon.register_app(instance, redirect)
        url = mastodon.authorization_url(instance, client_id, client_secret, redirect, "cli")
        click.echo(f"Open this address, sign in as {handle or 'the shop'} and authorise "
                   f"Arrosto:\n  {url}")
        code = click.prompt("Then paste the code shown")
        credentials = {"client_id": client_id, "client_secret": client_secret,
                       "access_token": mastodon.exchange_code(instance, client_id, client_secret,
                                                              code, redirect)}
    _account_id, found = connect_mastodon(ctx.db, shop.id, instance, credentials)
    if handle and handle.strip().lstrip("@").casefold() not in (
            found.casefold(), found.split("@")[0].casefold()):
        click.echo(f"note: the token belongs to @{found}, not @{handle.lstrip('@')}; saved as "
                   f"@{found}", err=True)
    _saved(shop, "mastodon", found)


@social.command("list")
@SHOP_OPTION
@pass_ctx
def social_list(ctx: Context, shop_ref: str) -> None:
    """List the shop's social accounts, their last run and any problem."""
    from .models import SocialAccount

    ctx.db.ping()
    shop = find_shop(ctx, shop_ref)
    with ctx.db.transaction(shop.id) as s:
        accounts = s.scalars(select(SocialAccount).order_by(SocialAccount.id)).all()
    if not accounts:
        click.echo("no social accounts yet: see `arrosto social add --help`")
    for a in accounts:
        state = "active" if a.active else "paused"
        last = a.last_run_at.strftime("%Y-%m-%d %H:%M") if a.last_run_at else "never"
        reads = f"  reads {a.reads_used} in {a.read_budget_month}" if a.read_budget_month else ""
        click.echo(f"{a.id:>4}  {a.network:<9} @{a.handle:<30} {state:<7} last run {last}{reads}")
        if a.last_error:
            click.echo(f"      problem: {a.last_error}")
        if a.capabilities.get("search_off"):
            click.echo(f"      search off: {a.capabilities['search_off']}")


@cli.command()
@SHOP_OPTION
@pass_ctx
def listen(ctx: Context, shop_ref: str) -> None:
    """Fetch, store and classify what is new on each of the shop's accounts, now."""
    from .listening.pipeline import listen_account
    from .models import SocialAccount

    ctx.db.ping()
    shop = find_shop(ctx, shop_ref)
    with ctx.db.transaction(shop.id) as s:
        ids = list(s.scalars(select(SocialAccount.id).where(SocialAccount.active.is_(True))))
    if not ids:
        raise click.UsageError("this shop has no active social account: see `arrosto social add`")
    with click.progressbar(ids, label="listening", file=sys.stderr) as bar:
        results = [listen_account(ctx.db, ctx.settings, account_id) for account_id in bar]
    for r in results:
        click.echo(f"account {r.account_id}: {r.fetched} fetched, {r.new} new, {r.reads} reads"
                   + (f", problem: {'; '.join(r.errors)}" if r.errors else ""))


# --- classify and eval --------------------------------------------------------------------------

@cli.command("classify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-",
              show_default=True, help="Where to write the results (JSON lines).")
@click.option("--shop", "shop_ref", help="Match products of this shop's catalog (id or domain).")
@pass_ctx
def classify_cmd(ctx: Context, file: Path, output, shop_ref: str | None) -> None:
    """Classify the posts of a JSONL file ({"id", "text"} a line): intent, sentiment, language,
    and the shop's products they name (with --shop)."""
    import json

    from .listening.classify import classify_posts

    match = None
    if shop_ref:
        from .listening.match import Matcher
        from .models import Shop

        shop = find_shop(ctx, shop_ref)
        with ctx.db.transaction(shop.id) as s:
            matcher = Matcher.for_shop(s, s.get(Shop, shop.id))

        def match(text: str) -> list:
            return [m.product_id for m in matcher.match(text) if m.product_id is not None]

    def posts():
        with file.open(encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    post = json.loads(line)
                except ValueError:
                    click.echo(f"  skipped line {n}: not JSON", err=True)
                    continue
                if not isinstance(post, dict):
                    click.echo(f"  skipped line {n}: not an object", err=True)
                    continue
                yield post

    for result in classify_posts(posts(), match=match):
        result.pop("complaint_score", None)
        output.write(json.dumps(result, ensure_ascii=False) + "\n")


@cli.group("eval")
def eval_() -> None:
    """Measure Arrosto's models."""


@eval_.command("classifier")
@click.option("--k", default=5, show_default=True, type=click.IntRange(0, 20),
              help="Folds of the cross-validation of the architecture on the English "
                   "complaints corpus (0: skip it, a few minutes).")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def eval_classifier(k: int, seed: int, as_json: bool) -> None:
    """The trained classifier's figures on held-out splits of real data, each beside the legacy
    classifier's on the same split: complaints corpus, positive tweets called complaints,
    sentiment macro-F1 on XLM-T validation tweets in six languages."""
    import json

    from .listening.evaluate import compare, format_comparison

    report = compare(k=k, seed=seed, progress=lambda m: click.echo(f"  {m}", err=True))
    click.echo(json.dumps(report, indent=1) if as_json else format_comparison(report))


@eval_.command("linking")
@click.option("--seed", default=2026, show_default=True, type=int,
              help="Seed of the synthetic shops (the threshold was tuned on other seeds).")
@click.option("--complaints", default=300, show_default=True, type=click.IntRange(1, 100_000),
              help="Complaint threads per shop.")
@click.option("--orders", default=3000, show_default=True, type=click.IntRange(10, 1_000_000),
              help="Orders per shop.")
@click.option("--shops", default=3, show_default=True, type=click.IntRange(1, 20),
              help="Synthetic shops (Shopify, Shopify with a name prefix, WooCommerce).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def eval_linking(seed: int, complaints: int, orders: int, shops: int, as_json: bool) -> None:
    """Link synthetic complaints to orders: precision and recall of automatic links, top-3
    recall of suggestions, speed, and an order-number regex alone as the baseline."""
    import json

    from .support.evaluate import baseline_linking, evaluate_linking, format_report

    report = evaluate_linking(seed, shops, complaints, orders=orders)
    baseline = baseline_linking(seed, shops, complaints, orders=orders)
    click.echo(json.dumps({**report.as_dict(), "baseline": baseline.as_dict()}, indent=1)
               if as_json else format_report(report, baseline))


# --- model --------------------------------------------------------------------------------------

@cli.group("model")
def model_() -> None:
    """The trained post classifier: train it, show what is shipped."""


@model_.command("train")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the artifact (default: the package's listening/data/model).")
@click.option("--data", "data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The labelled data folder (nlu/ with xlm-t-sentiment/ and cesamard/).")
def model_train(output: Path | None, data_dir: Path | None) -> None:
    """Train the sentiment and complaint heads on the licensed sources and write the versioned
    artifact (joblib + manifest.json). About a minute on one core."""
    import time

    from .listening import model

    start = time.perf_counter()
    fitted = model.train(root=data_dir, progress=lambda m: click.echo(
        f"  [{time.perf_counter() - start:5.1f} s] {m}", err=True))
    path = model.save(fitted, output or model.ARTIFACT)
    click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in "
               f"{time.perf_counter() - start:.0f} s; sources: "
               + ", ".join(f"{k} ({v['licence']})" for k, v in model.SOURCES.items()))


@model_.command("show")
def model_show() -> None:
    """Print the shipped artifact's manifest (version, sources and licences, sizes)."""
    import json

    from .listening import model

    path = model.ARTIFACT / "manifest.json"
    if not path.exists():
        raise click.ClickException("no trained model: run `arrosto model train`")
    click.echo(json.dumps(json.loads(path.read_text()), indent=1))


# --- import -------------------------------------------------------------------------------------

@cli.group("import")
def import_() -> None:
    """Import data from files."""


@import_.command("posts")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--network", type=click.Choice(["x", "bluesky", "mastodon", "generic"]),
              default="generic", show_default=True, help="Network the posts come from.")
@click.option("--shop", "shop_ref", required=True, help="Shop id or domain.")
@click.option("--author", default="archive", show_default=True,
              help="Author handle for X archives (tweets.js), which do not name it.")
@pass_ctx
def import_posts(ctx: Context, file: Path, network: str, shop_ref: str, author: str) -> None:
    """Import posts from JSONL, CSV (text, author, date, url) or an X archive's tweets.js."""
    from .listening.imports import import_file

    ctx.db.ping()
    shop = find_shop(ctx, shop_ref)
    lines = sum(1 for _ in file.open(encoding="utf-8", errors="replace"))
    with click.progressbar(length=lines, label="importing", file=sys.stderr) as bar:
        summary = import_file(ctx.db, shop.id, file, network, author=author,
                              progress=bar.update)
    for problem in summary.problems[:20]:
        click.echo(f"  skipped {problem.where}: {problem.message}", err=True)
    if len(summary.problems) > 20:
        click.echo(f"  ... and {len(summary.problems) - 20} more problems", err=True)
    click.echo(f"{summary.read} posts read: {summary.new} new, {summary.duplicates} already "
               f"stored, {len(summary.problems)} skipped")


# --- API tokens ---------------------------------------------------------------------------------

@cli.group("api-token")
def api_token() -> None:
    """Tokens for the shop's JSON API (/api/v1): create, list, revoke."""


@api_token.command("create")
@click.option("--shop", "shop_ref", required=True, help="Shop id or domain.")
@click.option("--name", required=True, help="What the token is for, e.g. 'stock sheet'.")
@pass_ctx
def api_token_create(ctx: Context, shop_ref: str, name: str) -> None:
    """Create a token; it is printed once and only its digest is stored."""
    from .access import create_api_token

    preflight(ctx, queue=False)
    shop = find_shop(ctx, shop_ref)
    try:
        token_id, token = create_api_token(ctx.db, shop.id, name)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--name") from None
    click.echo(f"API token {token_id} ({' '.join(name.split())}) for {shop.name or shop.domain}; "
               "it is shown only now:", err=True)
    click.echo(token)


@api_token.command("list")
@click.option("--shop", "shop_ref", required=True, help="Shop id or domain.")
@pass_ctx
def api_token_list(ctx: Context, shop_ref: str) -> None:
    """The shop's tokens: id, name, created, last used, revoked."""
    from .access import list_api_tokens

    preflight(ctx, queue=False)
    shop = find_shop(ctx, shop_ref)
    rows = list_api_tokens(ctx.db, shop.id)
    if not rows:
        click.echo("No API tokens: `arrosto api-token create --shop S --name N` makes one.")
    for row in rows:
        used = f"last used {row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never used"
        state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "active"
        click.echo(f"{row.id:>5}  {row.name:<30} created {row.created_at:%Y-%m-%d}  {used}  "
                   f"{state}")


@api_token.command("revoke")
@click.option("--shop", "shop_ref", required=True, help="Shop id or domain.")
@click.argument("token_id", metavar="ID", type=int)
@pass_ctx
def api_token_revoke(ctx: Context, shop_ref: str, token_id: int) -> None:
    """Revoke a token: requests with it are refused from now on."""
    from .access import revoke_api_token

    preflight(ctx, queue=False)
    shop = find_shop(ctx, shop_ref)
    row = revoke_api_token(ctx.db, shop.id, token_id)
    if row is None:
        raise click.BadParameter(f"no API token {token_id} in this shop", param_hint="ID")
    click.echo(f"API token {token_id} ({row.name}) revoked.")


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="arrosto")
    except ConfigError as exc:
        click.echo(f"arrosto: configuration error: {exc}", err=True)
        sys.exit(2)
    except ServiceUnavailable as exc:
        click.echo(f"arrosto: service unavailable: {exc}", err=True)
        sys.exit(3)
    except ArrostoError as exc:
        click.echo(f"arrosto: error: {exc}", err=True)
        sys.exit(1)
