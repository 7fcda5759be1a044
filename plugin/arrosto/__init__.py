"""Arrosto: social listening, customer support and promotions for small online shops.

The app factory is :func:`arrosto.app.create_app`; the command is :mod:`arrosto.__main__`
(:mod:`arrosto.cli`). ``__version__`` is the release; installed, the same as the distribution's
metadata, which ``arrosto --version`` and the API document show.
"""

__version__ = "0.1.0"
