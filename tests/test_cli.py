"""Every command documents itself."""
from __future__ import annotations

import click
import pytest

from arrosto.cli import cli


def all_commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield (*prefix, name)
        if isinstance(cmd, click.Group):
            yield from all_commands(cmd, (*prefix, name))


@pytest.mark.parametrize("path", list(all_commands(cli)), ids=" ".join)
def test_help(path):
    from click.testing import CliRunner

    res = CliRunner().invoke(cli, [*path, "--help"])
    assert res.exit_code == 0
    assert "Usage: " in res.output and len(res.output.splitlines()) >= 3


def test_shop_list_on_empty_database(runner, monkeypatch):
    app = runner.app
    monkeypatch.setattr("arrosto.cli.Context.app", lambda self: app)
    res = runner.invoke(cli, ["shop", "list"])
    assert res.exit_code == 0 and "no shops yet" in res.output
