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


def test_help_loads_neither_flask_nor_the_database_layer():
    """`arrosto --help` stays fast: the command's modules import click, each command the rest
    when it runs; the CLI never imports the app factory (the entry point hands it over)."""
    import subprocess
    import sys

    probe = ("import sys; from arrosto.cli import cli; cli.main(['--help'], prog_name='arrosto',"
             " standalone_mode=False); print(sorted({m.split('.')[0] for m in sys.modules} &"
             " {'flask', 'sqlalchemy', 'pydantic'}), 'arrosto.app' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=60, check=True)
    assert "Usage: arrosto" in res.stdout
    assert res.stdout.splitlines()[-1] == "[] False"
