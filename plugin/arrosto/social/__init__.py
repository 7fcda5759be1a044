"""Social networks, one module each, in an explicit registry filled by the app factory.

The registry names each network's class by import path and imports it on first use: a web
process that never talks to Bluesky never loads the AT Protocol SDK (a few dozen MB).
"""
from __future__ import annotations

import importlib
from collections.abc import Callable

from ..errors import ConfigError
from .base import SocialNetwork

NETWORKS: dict[str, type[SocialNetwork] | str] = {}


def register(cls: type[SocialNetwork]) -> type[SocialNetwork]:
    NETWORKS[cls.name] = cls
    return cls


def register_networks() -> None:
    """Fill the registry (by import path: each module is imported when first needed)."""
    NETWORKS.update({
        "x": "arrosto.social.x:XNetwork",
        "bluesky": "arrosto.social.bluesky:BlueskyNetwork",
        "mastodon": "arrosto.social.mastodon:MastodonNetwork",
    })


def length_rule(name: str) -> tuple[int | None, Callable[[str], int]]:
    """(the longest post the network takes, how it counts a text); (None, len) for a name
    that is not a network Arrosto posts to."""
    try:
        cls = network_class(name)
    except ConfigError:
        return None, len
    return cls.capabilities.max_length, cls.text_length


def network_class(name: str) -> type[SocialNetwork]:
    try:
        entry = NETWORKS[name]
    except KeyError:
        raise ConfigError(f"unknown network {name!r}; known: {', '.join(sorted(NETWORKS))}") \
            from None
    if isinstance(entry, str):
        module, attr = entry.split(":")
        entry = NETWORKS[name] = getattr(importlib.import_module(module), attr)
    return entry
