"""``arrosto social``, ``arrosto listen`` and ``arrosto import``: the shop's social accounts,
listening now, importing posts from files."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .context import SHOP_OPTION, Context, find_shop, pass_ctx


@click.group()
def social() -> None:
    """The shop's social accounts (X, Bluesky, Mastodon)."""


def _save_account(ctx: Context, shop_ref: str, network: str, handle: str,
                  credentials: dict[str, Any], **fields: Any) -> int:
    from ..social.accounts import save_account

    shop = find_shop(ctx, shop_ref)
    account_id = save_account(ctx.db, shop.id, network, handle, credentials, **fields)
    _saved(shop, network, handle)
    return account_id


def _saved(shop, network: str, handle: str) -> None:
    click.echo(f"{network} account @{handle.lstrip('@')} saved for {shop.name} (credentials "
               f"encrypted); run `arrosto listen --shop {shop.id}` to fetch now")


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
    from ..social.accounts import connect_bluesky

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
    from ..social import mastodon
    from ..social.accounts import connect_mastodon

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
    from sqlalchemy import select

    from ..models import SocialAccount

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


@click.command()
@SHOP_OPTION
@pass_ctx
def listen(ctx: Context, shop_ref: str) -> None:
    """Fetch, store and classify what is new on each of the shop's accounts, now."""
    from sqlalchemy import select

    from ..listening.pipeline import listen_account
    from ..models import SocialAccount

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

@click.group("import")
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
    from ..listening.imports import import_file

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
