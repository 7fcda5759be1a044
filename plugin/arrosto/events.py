"""The few domain events that connect the parts: shop connectors produce them from webhooks and
syncs; listening, support, promotions and privacy handle them. Plain dataclasses, no Flask."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from .shops.base import CustomerData, OrderData, ProductData


@dataclass
class ProductChanged:
    product: ProductData


@dataclass
class ProductDeleted:
    external_id: str


@dataclass
class OrderChanged:
    order: OrderData


@dataclass
class CustomerChanged:
    customer: CustomerData


@dataclass
class DiscountChanged:
    """A discount (Shopify) or coupon (WooCommerce) was created or updated."""

    external_id: str
    title: str
    code: str | None = None
    value: str | None = None  # "10%", "5.00 EUR"
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    product_external_ids: list[str] = field(default_factory=list)
    collection_external_ids: list[str] = field(default_factory=list)
    applies_to_all: bool = False
    active: bool = True
    amount: Decimal | None = None
    excluded_product_external_ids: list[str] = field(default_factory=list)
    excluded_collection_external_ids: list[str] = field(default_factory=list)
    # False when the source only names the discount (Shopify's discounts/* webhooks carry its id,
    # title and status): the details are read from the platform before anything is decided
    details: bool = True


@dataclass
class CustomerDataRequest:
    """Privacy: the owner must receive everything held on this customer."""

    customer_external_id: str | None
    email: str | None
    order_external_ids: list[str] = field(default_factory=list)
    request_id: str | None = None


@dataclass
class CustomerRedact:
    """Privacy: erase this customer's personal data (and linked social identities)."""

    customer_external_id: str | None
    email: str | None
    order_external_ids: list[str] = field(default_factory=list)


@dataclass
class ShopRedact:
    """Privacy: erase everything held for the shop."""


@dataclass
class AppUninstalled:
    """Delete the token and deactivate the shop at once."""


Event = (ProductChanged | ProductDeleted | OrderChanged | CustomerChanged | DiscountChanged
         | CustomerDataRequest | CustomerRedact | ShopRedact | AppUninstalled)
