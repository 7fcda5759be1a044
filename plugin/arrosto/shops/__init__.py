"""Shop platforms, one module each, in an explicit registry filled by the app factory."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ConfigError
from .base import ShopPlatform

if TYPE_CHECKING:
    from ..models import Shop

PLATFORMS: dict[str, type[ShopPlatform]] = {}


def register(cls: type[ShopPlatform]) -> type[ShopPlatform]:
    PLATFORMS[cls.name] = cls
    return cls


def register_platforms() -> None:
    from .demo import DemoShop
    from .shopify import ShopifyShop
    from .woocommerce import WooCommerceShop

    for cls in (DemoShop, ShopifyShop, WooCommerceShop):
        register(cls)


def platform_for(shop: Shop) -> ShopPlatform:
    try:
        cls = PLATFORMS[shop.platform]
    except KeyError:
        raise ConfigError(f"unknown shop platform {shop.platform!r}; known: "
                          f"{', '.join(sorted(PLATFORMS))}") from None
    return cls(shop)
