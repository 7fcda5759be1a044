"""Social networks, one module each, in an explicit registry filled by the app factory."""
from __future__ import annotations

from ..errors import ConfigError
from .base import SocialNetwork

NETWORKS: dict[str, type[SocialNetwork]] = {}

# The networks a post can come from (also through an archive import).
KNOWN_NETWORKS = ("x", "bluesky", "mastodon", "generic")


def register(cls: type[SocialNetwork]) -> type[SocialNetwork]:
    NETWORKS[cls.name] = cls
    return cls


def register_networks() -> None:
    """Fill the registry; each network module is added here as it lands."""
    from .bluesky import BlueskyNetwork
    from .mastodon import MastodonNetwork
    from .x import XNetwork

    for cls in (XNetwork, BlueskyNetwork, MastodonNetwork):
        register(cls)


def network_class(name: str) -> type[SocialNetwork]:
    try:
        return NETWORKS[name]
    except KeyError:
        raise ConfigError(f"unknown network {name!r}; known: {', '.join(sorted(NETWORKS))}") \
            from None
