"""``arrosto promotions``: list, preview and approve the shop's promotions."""
from __future__ import annotations

import click

from ..errors import ArrostoError
from .context import Context, find_shop, pass_ctx, preflight


@click.group()
def promotions() -> None:
    """Promotions found from the shop's discounts, sales and restocks: list, preview, approve."""


@promotions.command("list")
@click.option("--shop", "shop_ref", required=True, help="Shop id or domain.")
@pass_ctx
def promotions_list(ctx: Context, shop_ref: str) -> None:
    """The shop's promotions, newest first, with their state."""
    from sqlalchemy import select

    from ..models import Promotion

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
    from ..models import Promotion

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
    from ..models import utcnow
    from ..promotions.outreach import prepare

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
    from ..models import utcnow
    from ..outbox.send import NotAllowed
    from ..promotions.outreach import approve_promotion

    preflight(ctx, queue=True)
    shop = find_shop(ctx, shop_ref)
    try:
        with ctx.db.transaction(shop.id) as s:
            queued = approve_promotion(s, _promotion(s, promotion_id), utcnow())
    except NotAllowed as exc:
        raise ArrostoError(f"promotion {promotion_id} not approved: {exc}") from exc
    click.echo(f"Promotion {promotion_id} approved: {len(queued)} messages queued for the "
               "outbox (`arrosto worker` sends them).")
