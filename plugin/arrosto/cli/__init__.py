"""The ``arrosto`` command: serve, worker, demo, db, shop, login, social, listen, import, digest,
promotions, api-token, classify, eval, model; one module per command group.

Every command reads the same ``ARROSTO_*`` settings as the web app. A configuration or service
problem prints one line (``arrosto: error: ...``) and exits non-zero, without a traceback.
``arrosto --help`` stays fast: the modules import click only, each command imports what it
uses when it runs. The entry point (:mod:`arrosto.__main__`) hands the app factory to
:func:`run`.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from ..errors import ArrostoError, ConfigError, ServiceUnavailable
from . import digest, measure, promotions, server, shops, social
from .context import Context
from .server import gunicorn_args

__all__ = ["Context", "cli", "gunicorn_args", "run"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="arrosto")
def cli() -> None:
    """Arrosto: social listening, customer support and promotions for small shops.

    Settings come from ARROSTO_* environment variables (or a .env file); see docs/configuration.md.
    """


for command in (server.serve, server.worker, server.demo, promotions.promotions,
                digest.digest_cmd, shops.db, shops.shop, shops.login, shops.api_token,
                social.social, social.listen, social.import_, measure.classify_cmd,
                measure.eval_, measure.model_):
    cli.add_command(command)


def run(factory: Callable[..., Any], argv: list[str] | None = None) -> None:
    """Run the command with ``factory`` building the app (``arrosto.app.create_app``)."""
    try:
        cli.main(args=argv, prog_name="arrosto", obj=Context(factory))
    except ConfigError as exc:
        click.echo(f"arrosto: configuration error: {exc}", err=True)
        sys.exit(2)
    except ServiceUnavailable as exc:
        click.echo(f"arrosto: service unavailable: {exc}", err=True)
        sys.exit(3)
    except ArrostoError as exc:
        click.echo(f"arrosto: error: {exc}", err=True)
        sys.exit(1)
