"""What every command shares: the app built on first use, the shop named by --shop, the
preflight checks of the database and the queue."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ..errors import ConfigError


class Context:
    """The command's app, built on first use (``--help`` never builds it) by the app factory
    the entry point hands over (:mod:`arrosto.__main__`): the CLI sits below the factory and
    never imports it."""

    def __init__(self, factory: Callable[..., Any] | None = None) -> None:
        self.factory = factory
        self._app = None
        self.overrides: dict[str, Any] = {}
        self.allow_generated_secret = False

    def app(self):
        if self._app is None:
            if self.factory is None:
                raise ConfigError("no app factory: run the command as `arrosto` or "
                                  "`python -m arrosto`")
            self._app = self.factory(self.overrides or None,
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
    from .. import jobs

    ctx.db.ping()
    if queue:
        jobs.check_queue()
    if upgrade_sqlite and ctx.settings.is_sqlite:
        ctx.db.upgrade()


def find_shop(ctx: Context, ref: str):
    from sqlalchemy import select

    from ..models import Shop

    with ctx.db.transaction() as s:
        stmt = select(Shop).where(Shop.id == int(ref)) if ref.isdigit() else \
            select(Shop).where((Shop.domain == ref) | (Shop.name == ref))
        shop = s.scalar(stmt)
    if shop is None:
        raise click.UsageError(f"no shop {ref!r}: see `arrosto shop list`")
    return shop


def login_url(ctx: Context, shop_id: int) -> str:
    from ..access import create_login_token

    token = create_login_token(ctx.db, shop_id, ctx.settings.login_link_minutes)
    return f"{ctx.settings.public_url}/admin/login/{token}"


SHOP_OPTION = click.option("--shop", "shop_ref", required=True, help="Shop id or domain.")
