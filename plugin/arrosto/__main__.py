"""The ``arrosto`` command (console script and ``python -m arrosto``): the CLI, given the app
factory."""
from __future__ import annotations

from .app import create_app
from .cli import run


def main(argv: list[str] | None = None) -> None:
    run(create_app, argv)


if __name__ == "__main__":
    main()
