"""``arrosto db``, ``arrosto shop``, ``arrosto login`` and ``arrosto api-token``: the schema and
secrets, connected shops, sign-in links, API tokens."""
from __future__ import annotations

import click

from ..errors import ArrostoError, AuthError
from .context import Context, find_shop, login_url, pass_ctx, preflight


@click.group()
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
    from ..secrets_rotation import rotate_all

    ctx.db.ping()
    n = rotate_all(ctx.db)
    click.echo(f"re-encrypted {n} stored secrets with the newest key")


@click.group()
def shop() -> None:
    """Connected shops."""


@shop.command("list")
@pass_ctx
def shop_list(ctx: Context) -> None:
    """List connected shops."""
    from sqlalchemy import select

    from ..models import Shop

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
    from ..shops.install import after_install

    click.echo("Registering webhooks and running the first sync (this can take a while)...")
    after_install(ctx.db, ctx.settings, shop_id)
    with ctx.db.transaction() as s:
        from ..models import Shop

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
    from ..shops import shopify_auth
    from ..shops.install import save_shopify_tokens

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
    from ..shops import woocommerce_auth
    from ..shops.install import connect_woocommerce_store

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


@click.command()
@click.option("--shop", "shop_ref", required=True, help="Shop id or domain.")
@pass_ctx
def login(ctx: Context, shop_ref: str) -> None:
    """Print a one-time sign-in link to the admin panel."""
    ctx.db.ping()
    shop = find_shop(ctx, shop_ref)
    click.echo(login_url(ctx, shop.id))

@click.group("api-token")
def api_token() -> None:
    """Tokens for the shop's JSON API (/api/v1): create, list, revoke."""


@api_token.command("create")
@click.option("--shop", "shop_ref", required=True, help="Shop id or domain.")
@click.option("--name", required=True, help="What the token is for, e.g. 'stock sheet'.")
@pass_ctx
def api_token_create(ctx: Context, shop_ref: str, name: str) -> None:
    """Create a token; it is printed once and only its digest is stored."""
    from ..access import create_api_token

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
    from ..access import list_api_tokens

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
    from ..access import revoke_api_token

    preflight(ctx, queue=False)
    shop = find_shop(ctx, shop_ref)
    row = revoke_api_token(ctx.db, shop.id, token_id)
    if row is None:
        raise click.BadParameter(f"no API token {token_id} in this shop", param_hint="ID")
    click.echo(f"API token {token_id} ({row.name}) revoked.")
