"""The one interface every shop platform implements.

Connectors turn platform payloads into the records and events of :mod:`arrosto.events`; nothing
outside ``shops/`` reads a platform payload. Sync, webhooks and the admin only ever see those.
"""
from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ..models import Shop


@dataclass
class Page:
    """One page of a resource; ``next_cursor`` None means the last page."""

    items: list[Any]
    next_cursor: str | None = None


@dataclass
class ShopInfo:
    name: str
    currency: str = "EUR"
    timezone: str = "UTC"
    language: str = "en"
    store_url: str | None = None


@dataclass
class WebhookMeta:
    """What a verified webhook delivery says about itself (from its headers)."""

    delivery_id: str
    topic: str  # the platform's own topic name, e.g. "orders/create", "order.updated"
    shop_domain: str | None = None


class WebhookParseError(ValueError):
    """A delivery whose signature was valid but whose body cannot be understood."""


class ShopPlatform(ABC):
    """A shop platform bound to one shop. Subclasses declare ``name`` and ``resources``.

    Webhook methods are class methods: a delivery is verified before we know which shop it is for.
    """

    name: ClassVar[str]
    resources: ClassVar[tuple[str, ...]] = ("products", "customers", "orders")
    # the webhook secret is the app's, shared by every shop (Shopify): a delivery then names
    # its shop only by its domain, which must be the shop's when the URL names one
    app_wide_webhook_secret: ClassVar[bool] = False

    def __init__(self, shop: Shop):
        self.shop = shop

    # webhooks ------------------------------------------------------------------------------
    @classmethod
    def webhook_secrets(cls, settings: Any, shop: Shop | None) -> list[str]:
        """The secrets a delivery may be signed with (current first)."""
        return []

    @classmethod
    def is_ping(cls, headers: Any, body: bytes) -> bool:
        """An unsigned test delivery that must be answered 200 and not stored."""
        return False

    @classmethod
    def verify_webhook(cls, headers: Any, body: bytes, secrets: list[str]) -> WebhookMeta:
        """Check the signature on the raw body; raise InvalidSignature, else return the meta."""
        from ..errors import InvalidSignature

        raise InvalidSignature(f"{cls.name} does not receive webhooks")

    @classmethod
    def parse_webhook(cls, topic: str, payload: Any) -> list[Any]:
        """Turn a verified delivery's JSON into domain events (arrosto.events); raise
        WebhookParseError when the body is not what the topic promises."""
        raise WebhookParseError(f"{cls.name} does not receive webhooks")

    def delivery_url(self, public_url: str) -> str:
        """Where the platform should send this shop's webhooks."""
        return f"{public_url}/webhooks/{self.name}"

    def register_webhooks(self, delivery_url: str) -> list[str]:
        """Create this shop's webhook subscriptions; returns the topics subscribed."""
        return []

    def repair_webhooks(self, delivery_url: str) -> list[str]:
        """Re-create or re-enable subscriptions the platform dropped; returns what was fixed."""
        return []

    # discounts (promotions' triggers) ---------------------------------------------------------
    def read_discounts(self, updated_since: dt.datetime | None = None) -> list[Any]:
        """Every discount (``events.DiscountChanged``) changed since ``updated_since``."""
        return []

    def fetch_discount(self, external_id: str) -> Any:
        """One discount's details as an ``events.DiscountChanged``, None if it no longer
        exists."""
        from ..errors import ConfigError

        raise ConfigError(f"{self.name} has no discounts to read")

    def collection_products(self, collection_external_id: str) -> list[str]:
        """The external ids of the products in a collection (WooCommerce: a category)."""
        return []

    @abstractmethod
    def shop_info(self) -> ShopInfo:
        """The store's name, currency, time zone and language."""

    @abstractmethod
    def fetch(self, resource: str, *, updated_since: dt.datetime | None,
              cursor: str | None) -> Page:
        """One page of ``resource`` changed since ``updated_since``, starting at ``cursor``."""
