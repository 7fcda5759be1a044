"""``arrosto serve``, ``arrosto worker`` and ``arrosto demo``: gunicorn, the job consumer, the
demo roastery."""
from __future__ import annotations

import os
import socket
import sys
from typing import Any

import click

from ..errors import ConfigError
from .context import Context, login_url, pass_ctx, preflight

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


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", type=int, help="Web worker processes [ARROSTO_WEB_WORKERS].")
@pass_ctx
def serve(ctx: Context, host: str, port: int, workers: int | None) -> None:
    """Serve the web app (admin, webhooks, API) with gunicorn."""
    preflight(ctx)
    s = ctx.settings
    run_server(ctx, host, port, workers or s.web_workers, s.web_threads)


@click.command()
@click.option("--threads", type=int, help="Jobs run at once [ARROSTO_WORKER_THREADS].")
@pass_ctx
def worker(ctx: Context, threads: int | None) -> None:
    """Run background jobs and the periodic schedule (start as many as you like)."""
    from .. import jobs

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

    from ..shops.deliveries import pump

    stop = threading.Event()
    threading.Thread(target=pump, args=(ctx.db, stop), name="delivery-pump",
                     daemon=True).start()
    try:
        consumer.run()
    finally:
        stop.set()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--serve/--no-serve", default=True, show_default=True,
              help="Serve the admin panel after loading.")
@pass_ctx
def demo(ctx: Context, host: str, port: int, serve: bool) -> None:
    """Load the demo coffee roastery (SQLite by default) and serve its admin panel."""
    from sqlalchemy import func, select

    from ..demo import demo_counts, load_demo
    from ..shops.demo import data_file

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
        from ..models import Order, Post, Product

        n_products = s.scalar(select(func.count(Product.id)))
        n_orders = s.scalar(select(func.count(Order.id)))
        n_posts = s.scalar(select(func.count(Post.id)))
    click.echo(f"Demo shop ready: {n_products} products, {n_orders} orders, {n_posts} posts "
               f"({result.posts.new} new, {result.posts.duplicates} already there).")
    from ..demo import write_demo_digest

    digest_file = write_demo_digest(ctx.db, ctx.settings, result.shop_id)
    click.echo(f"Today's digest of the demo shop: {digest_file}")
    click.echo(f"\nSign in (one-time link, valid {ctx.settings.login_link_minutes} minutes):\n"
               f"  {login_url(ctx, result.shop_id)}\n")
    if serve:
        click.echo(f"Admin panel on http://{host}:{port}/admin/ — press Ctrl+C to stop.")
        run_server(ctx, host, port, 1, 4)
