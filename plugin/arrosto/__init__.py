"""Arrosto: social listening, customer support and promotions for small online shops.

The app factory is :func:`arrosto.app.create_app`; the command is :mod:`arrosto.cli`.
"""

__version__ = "0.1.0"
