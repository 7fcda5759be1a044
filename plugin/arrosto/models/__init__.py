"""The tables. Every row but a ``Shop`` belongs to a shop (:class:`ShopOwned`), and the session
refuses to read those tables without a shop scope (see :mod:`arrosto.db`).

Times are timezone-aware UTC (:class:`UTCDateTime`); secrets are encrypted (:class:`EncryptedText`).
Uniqueness constraints are the final guard of every idempotent job and webhook handler. One module
per area; every name is importable from ``arrosto.models``.
"""
from .base import (
    NAMING,
    Base,
    EncryptedText,
    JSONType,
    ShopOwned,
    Timestamps,
    UTCDateTime,
    utcnow,
)
from .outbox import (
    Message,
)
from .plumbing import (
    AdminSession,
    ApiToken,
    AuthState,
    DataExport,
    DigestRecipient,
    DigestRun,
    LoginToken,
    ScheduleRun,
    WebhookDelivery,
)
from .posts import (
    Case,
    ClassifierOverlay,
    OrderLink,
    Post,
    PostCorrection,
    PostProduct,
    VerificationAttempt,
    VerificationWindow,
)
from .promotions import (
    Conversion,
    Follow,
    OptOut,
    Outreach,
    Promotion,
    PromotionProduct,
    Watcher,
)
from .shops import (
    Customer,
    Fulfillment,
    Order,
    OrderLine,
    Product,
    ProductKeyword,
    ProductVariant,
    Redaction,
    Shop,
    SocialAccount,
    SocialIdentity,
    SyncBookmark,
)

__all__ = [
    "AdminSession",
    "ApiToken",
    "AuthState",
    "Base",
    "Case",
    "ClassifierOverlay",
    "Conversion",
    "Customer",
    "DataExport",
    "DigestRecipient",
    "DigestRun",
    "EncryptedText",
    "Follow",
    "Fulfillment",
    "JSONType",
    "LoginToken",
    "Message",
    "NAMING",
    "OptOut",
    "Order",
    "OrderLine",
    "OrderLink",
    "Outreach",
    "Post",
    "PostCorrection",
    "PostProduct",
    "Product",
    "ProductKeyword",
    "ProductVariant",
    "Promotion",
    "PromotionProduct",
    "Redaction",
    "ScheduleRun",
    "Shop",
    "ShopOwned",
    "SocialAccount",
    "SocialIdentity",
    "SyncBookmark",
    "Timestamps",
    "UTCDateTime",
    "VerificationAttempt",
    "VerificationWindow",
    "Watcher",
    "WebhookDelivery",
    "utcnow",
]
