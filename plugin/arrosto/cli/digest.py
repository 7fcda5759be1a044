"""``arrosto digest``: show, save or send a shop's daily digest."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import ArrostoError
from .context import Context, find_shop, pass_ctx, preflight


@click.command("digest")
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

    from ..digest.content import build_digest, shop_zone
    from ..digest.render import render_file, render_text
    from ..digest.send import send_digest
    from ..models import Shop

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
