"""The one interface every shop platform implements, and the records it returns.

Connectors turn platform payloads into these dataclasses; nothing outside ``shops/`` reads a
platform payload. Sync, webhooks and the admin only ever see these types.
"""
from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ..models import Shop


@dataclass
class VariantData:
    external_id: str
    title: str = ""
    sku: str | None = None
    price: Decimal | None = None
    compare_at_price: Decimal | None = None
    inventory_quantity: int | None = None


@dataclass
class ProductData:
    external_id: str
    title: str
    handle: str | None = None
    vendor: str | None = None
    product_type: str | None = None
    tags: list[str] = field(default_factory=list)
    description: str | None = None
    status: str = "active"
    url: str | None = None
    updated_at: dt.datetime | None = None
    variants: list[VariantData] = field(default_factory=list)
    # False when the source lists only the variants' ids (a WooCommerce webhook for a variable
    # product): known variants keep their stored details until the next sync fills them in
    variants_complete: bool = True
    # the platform's own stock status where it has one (WooCommerce ``stock_status``, also for
    # products without stock quantities); None: judged from the variants' quantities
    in_stock: bool | None = None


@dataclass
class CustomerData:
    external_id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    city: str | None = None
    postcode: str | None = None
    accepts_marketing: bool = False
    updated_at: dt.datetime | None = None
    handles: dict[str, str] = field(default_factory=dict)  # network -> handle on the record


@dataclass
class LineData:
    title: str
    quantity: int = 1
    price: Decimal = Decimal("0")
    external_product_id: str | None = None
    variant_title: str | None = None
    sku: str | None = None


@dataclass
class FulfillmentData:
    external_id: str
    status: str | None = None
    shipment_status: str | None = None
    tracking_company: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    created_at: dt.datetime | None = None


@dataclass
class OrderData:
    external_id: str
    name: str
    created_at: dt.datetime
    number: int | None = None
    customer_external_id: str | None = None
    email: str | None = None
    shipping_name: str | None = None
    shipping_postcode: str | None = None
    shipping_city: str | None = None
    financial_status: str | None = None
    fulfillment_status: str | None = None
    cancelled_at: dt.datetime | None = None
    cancel_reason: str | None = None
    total_price: Decimal = Decimal("0")
    currency: str = "EUR"
    discount_codes: list[str] = field(default_factory=list)
    landing_site: str | None = None
    updated_at: dt.datetime | None = None
    lines: list[LineData] = field(default_factory=list)
    fulfillments: list[FulfillmentData] = field(default_factory=list)


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
