"""The API's response and request models: Pydantic models whose JSON Schemas (2020-12, as
OpenAPI 3.1 uses) are the OpenAPI document's components, and the limits the views enforce."""
from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ...support.corrections import LABELS

PREFIX = "/api/v1"
MAX_ID = 2**31 - 1  # ids are 32-bit integers: a larger one is no row, never a driver error
MAX_PAGE = 100_000
PER_PAGE, MAX_PER_PAGE = 50, 100
MAX_TEXT = 10_000
MENTIONS_WINDOW_DAYS = 30
CASE_STATES = ("open", "waiting", "resolved")
CASE_INTENTS = ("complaint", "question")
DATE = re.compile(r"2[0-9]{3}-[0-9]{2}-[0-9]{2}")  # the digest's dates: years 2000 to 2999
DIGITS = re.compile(r"[0-9]{1,12}")
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL


# --- response and request models (the document's components) ------------------------------------

class Out(BaseModel):
    """Every field of a response is always present (``null`` when empty)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class Error(BaseModel):
    error: str = Field(description="What went wrong, in a few words.")
    reason: str | None = Field(None, description="Why, when there is more to say.")


class ShopOut(Out):
    id: int
    name: str
    domain: str
    platform: str
    store_url: str | None
    currency: str
    timezone: str
    language: str
    status: str


class Variant(Out):
    id: int
    title: str
    sku: str | None
    price: str | None
    compare_at_price: str | None
    inventory_quantity: int | None


class Keyword(Out):
    term: str
    source: str = Field(description="auto (from the catalog), owner (added), removed")
    needs_context: bool


class ProductOut(Out):
    id: int
    external_id: str
    title: str
    handle: str | None
    vendor: str | None
    product_type: str | None
    tags: list[str]
    status: str
    url: str | None
    price: str | None = Field(description="The lowest variant price, as a decimal string.")
    compare_at_price: str | None
    inventory_quantity: int | None
    in_stock: bool | None
    deleted_at: dt.datetime | None


class Mentions(Out):
    window_days: int
    recent: int = Field(description="Posts naming the product in the last window_days days.")
    total: int


class ProductDetail(ProductOut):
    description: str | None
    variants: list[Variant]
    keywords: list[Keyword]
    mentions: Mentions


class OrderOut(Out):
    id: int
    external_id: str
    name: str
    number: int | None
    created_at: dt.datetime
    customer_id: int | None
    email: str | None
    shipping_name: str | None
    financial_status: str | None
    fulfillment_status: str | None
    cancelled_at: dt.datetime | None
    total_price: str
    currency: str


class OrderLineOut(Out):
    id: int
    product_id: int | None
    title: str
    variant_title: str | None
    sku: str | None
    quantity: int
    price: str


class FulfillmentOut(Out):
    id: int
    status: str | None
    shipment_status: str | None
    tracking_company: str | None
    tracking_number: str | None
    tracking_url: str | None
    created_at: dt.datetime | None


class CustomerOut(Out):
    id: int
    first_name: str | None
    last_name: str | None
    email: str | None


class OrderDetail(OrderOut):
    shipping_city: str | None
    shipping_postcode: str | None
    cancel_reason: str | None
    discount_codes: list[str]
    customer: CustomerOut | None
    lines: list[OrderLineOut]
    fulfillments: list[FulfillmentOut]


class PostOut(Out):
    id: int
    network: str
    external_id: str
    author_id: str
    author_handle: str
    author_name: str | None
    text: str
    lang: str | None
    created_at: dt.datetime
    url: str | None
    source: str
    intent: str | None
    sentiment: float | None
    addresses_shop: bool
    is_own: bool
    case_id: int | None
    product_ids: list[int]
    correction: Literal[LABELS] | None = Field(  # type: ignore[valid-type]
        description="The owner's correction of how the post was read, if any.")


class CaseOut(Out):
    id: int
    network: str
    author_handle: str
    author_name: str | None
    intent: str
    state: str
    addresses_shop: bool
    lang: str | None
    order_id: int | None
    customer_id: int | None
    link_confidence: float | None
    opened_at: dt.datetime
    last_message_at: dt.datetime
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    sla_flagged_at: dt.datetime | None


class OrderLinkOut(Out):
    order_id: int
    order_name: str
    confidence: float
    reasons: list[str]
    status: str = Field(description="suggested, auto, confirmed, rejected or verified")


class Reply(Out):
    id: int
    channel: str = Field(description="public or dm")
    state: str = Field(description="draft, approved, sending, sent, failed or cancelled")
    text: str
    automated: bool
    recipient_handle: str | None
    in_reply_to_post_id: int | None
    approved_at: dt.datetime | None
    sent_at: dt.datetime | None
    external_id: str | None
    last_error: str | None


class CaseDetail(CaseOut):
    posts: list[PostOut]
    order: OrderOut | None
    order_links: list[OrderLinkOut]
    messages: list[Reply]


class Approval(BaseModel):
    """The owner's approval of a reply draft, optionally with their edited text."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, min_length=1, max_length=MAX_TEXT, pattern=NO_NUL,
                             description="The text to send instead of the draft's.")


class Approved(Out):
    message: Reply
    queued: bool = Field(description="False when the job queue did not answer: the approved "
                                     "reply waits for the worker.")


class CorrectionIn(BaseModel):
    """The owner's correction of how a post was read."""

    model_config = ConfigDict(extra="forbid")

    label: Literal[LABELS] = Field(  # type: ignore[valid-type]
        description="not_complaint, question (this is a question), resolved (already "
                    "resolved), not_about_us; also complaint and praise.")


class Corrected(Out):
    post: PostOut = Field(description="The post as it now reads, with its correction.")
    case: CaseOut | None = Field(description="The post's case after the correction (closed, "
                                             "opened or unchanged); null when it has none.")
    changed: bool = Field(description="False when the post already was so (the same "
                                      "correction again, or no correction to undo).")
    queued: int = Field(description="Replies approved for sending by the case the correction "
                                    "opened (the shop's automatic replies).")


class PromotionOut(Out):
    id: int
    source: str
    external_id: str
    title: str
    code: str | None
    value: str | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    state: str = Field(description="pending_approval, approved, sending, done, cancelled or "
                                   "expired")
    approved_at: dt.datetime | None
    created_at: dt.datetime
    product_ids: list[int]


class Audience(Out):
    watcher: int = Field(description="Asked to be told: an automatic reply after approval.")
    engaged: int = Field(description="Wrote to the shop first: an automatic reply.")
    owner: int = Field(description="Talked about the product: the owner's own queue.")
    excluded: dict[str, int] = Field(description="People left out, per reason.")


class PromotionDetail(PromotionOut):
    audience: Audience
    outreach: dict[str, dict[str, int]] = Field(
        description="Stored outreach per group (watcher, engaged, owner) and state.")
    conversions: int
    revenue: str


class PromotionApproved(Out):
    promotion: PromotionOut
    queued: int = Field(description="Messages approved for the outbox.")


class Page(Out):
    page: int
    per_page: int
    total: int
    next_page: int | None


class ProductPage(Page):
    items: list[ProductOut]


class OrderPage(Page):
    items: list[OrderOut]


class PostPage(Page):
    items: list[PostOut]


class CasePage(Page):
    items: list[CaseOut]


class PromotionPage(Page):
    items: list[PromotionOut]


class DigestShop(Out):
    id: int
    name: str
    timezone: str
    currency: str


class DigestPeriod(Out):
    start: str
    end: str
    day: str


class WaitingCase(Out):
    id: int
    network: str
    handle: str
    name: str | None
    opened_at: str
    age_hours: int
    order: str | None
    overdue: bool
    text: str
    url: str


class Quote(Out):
    text: str
    handle: str
    network: str
    url: str
    aspects: list[str] = Field(default_factory=list, description="What the post is about: "
                               "delivery, packaging, quality, price, payment, fit, service.")


class AspectCount(Out):
    aspect: str
    count: int


class DigestProduct(Out):
    id: int
    title: str
    mentions: int
    previous: int
    change: int
    complaints: int
    works: list[Quote]
    fails: list[Quote]
    works_aspects: list[AspectCount] = Field(default_factory=list)
    fails_aspects: list[AspectCount] = Field(default_factory=list)
    url: str


class DigestPromotion(Out):
    id: int
    title: str
    state: str
    code: str | None
    value: str | None
    reached: int
    conversions: int
    revenue: str


class DigestPromotions(Out):
    sent: int
    replies: int
    opt_outs: int
    new_watchers: int
    conversions: int
    revenue: str
    items: list[DigestPromotion]
    pending: list[DigestPromotion]
    activity: bool


class XBudget(Out):
    handle: str
    used: int
    budget: int | None
    share: float


class ChartDay(Out):
    date: str
    mentions: int
    complaints: int


class Action(Out):
    kind: str
    url: str
    handle: str | None = None
    hours: int | None = None
    count: int | None = None
    title: str | None = None
    percent: int | None = None


class Digest(Out):
    """The daily digest's content (what the e-mail says), for the shop's local date."""

    shop: DigestShop
    language: str
    quiet_setting: str
    date: str
    period: DigestPeriod
    generated_at: str
    admin_url: str
    complaints: list[WaitingCase]
    complaints_total: int
    complaints_overdue: int
    questions: list[WaitingCase]
    questions_total: int
    products: list[DigestProduct]
    mentions_total: int
    mentions_previous: int
    promotions: DigestPromotions
    x_budget: list[XBudget]
    chart: list[ChartDay]
    actions: list[Action]
    quiet: bool
