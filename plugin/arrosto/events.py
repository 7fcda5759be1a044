"""The seam between the layers: the records connectors return, the events that carry them, and
the registry of handlers.

A lower layer never calls up: shop connectors turn webhooks and platform reads into these
records and events, ``shops.sync`` stores them and emits what changed, the listening pipeline
emits what it read; the domain packages (listening, support, promotions, privacy) react with the
handlers they register with :func:`on` from their own ``register()``, which the app factory calls
once. Handlers run synchronously, in the order registered, inside the caller's transaction, so a
delivery's effects and its "processed" mark commit together or not at all (exactly once). Every
handler is idempotent. Plain dataclasses, no Flask.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from .models import Order, Product, Shop

log = logging.getLogger(__name__)


# --- the records a shop connector returns ---------------------------------------------------------

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


# --- what a shop platform says (webhooks, reads): connectors make these -------------------------

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


# --- what changed once stored: shops.sync and the listening pipeline emit these ----------------
# They carry our own rows, objects of the caller's session.

@dataclass
class CatalogChanged:
    """Products were stored or deleted (a webhook, or a finished products sync)."""


@dataclass(frozen=True)
class Offer:
    """What a stored product offers: (price, compare-at price) per variant, and stock."""

    prices: Mapping[str, tuple[Decimal | None, Decimal | None]]
    in_stock: bool | None


@dataclass
class OfferChanged:
    """A stored product's prices or stock changed."""

    product: Product
    before: Offer
    after: Offer


@dataclass
class OrdersStored:
    """Orders were stored or updated (by a webhook or a sync page)."""

    orders: list[Order]


@dataclass
class DiscountRead:
    """A discount read from the platform with the products of its collections
    (collection id -> product external ids)."""

    discount: DiscountChanged
    collections: dict[str, list[str]]


@dataclass
class PostsRead:
    """New posts were stored, matched and classified. Handlers add the ids of the messages
    they approved to ``approved``: the pipeline queues them once its transaction commits."""

    post_ids: list[int]
    settings: Any = None
    approved: list[int] = field(default_factory=list)


# --- handlers ------------------------------------------------------------------------------------

Handler = Callable[["Session", "Shop", Any, str], None]
HANDLERS: dict[type, list[Handler]] = defaultdict(list)


def on(event_type: type, handler: Handler | None = None):
    """Register ``handler`` for ``event_type`` (once, however often it is called), or use as a
    decorator: ``@on(ProductChanged)``."""
    def register(fn: Handler) -> Handler:
        if fn not in HANDLERS[event_type]:
            HANDLERS[event_type].append(fn)
        return fn
    return register(handler) if handler is not None else register


def dispatch(s: Session, shop: Shop, event: object, key: str) -> None:
    """Run every handler of ``event`` in the caller's transaction (``s`` is the shop's session,
    ``shop`` its Shop); ``key`` identifies what brought it (``platform:delivery_id`` for a
    delivery), for idempotent rows."""
    handlers = HANDLERS.get(type(event), [])
    if not handlers:
        log.info("no handler for %s", type(event).__name__)
    for handler in handlers:
        handler(s, shop, event, key)
