"""The one interface every social network implements, and the records it returns.

A network object is bound to one of the shop's accounts (:class:`arrosto.models.SocialAccount`).
Connectors turn SDK objects into :class:`PostData`; nothing outside ``social/`` reads an SDK
object. Waiting (rate limits) goes through the injected ``sleep`` so tests wait for nothing, and
longer waits than ``max_wait`` raise :class:`~arrosto.errors.RetryableError` for the job to retry.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import FatalPlatformError, RetryableError

if TYPE_CHECKING:
    from ..models import SocialAccount

log = logging.getLogger(__name__)


@dataclass
class PostData:
    """A post as Arrosto sees it, whatever network it came from."""

    network: str
    external_id: str
    author_id: str
    author_handle: str
    text: str
    created_at: dt.datetime
    author_name: str | None = None
    lang: str | None = None
    url: str | None = None
    reply_to_id: str | None = None
    thread_id: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    addresses_shop: bool = False  # a mention of, reply to or message for the shop's account
    is_dm: bool = False


@dataclass
class Batch:
    """What one search or mentions call brought back.

    ``checkpoint`` is the value to pass as ``since`` next time (X: newest id; Bluesky: newest
    ``indexedAt``/``createdAt``; Mastodon: newest status id for searches, newest notification id
    for mentions), None if nothing new. ``reads`` is how
    many posts the network counted as read (X bills per post read)."""

    posts: list[PostData]
    checkpoint: str | None = None
    reads: int = 0


@dataclass
class Sent:
    """A message the network accepted."""

    external_id: str
    url: str | None = None


@dataclass(frozen=True)
class Capabilities:
    max_length: int
    can_search: bool = True
    can_dm: bool = False
    can_follow: bool = False
    query_max_length: int = 512
    # the network honours an idempotency key on posting (Mastodon's Idempotency-Key header)
    idempotent_posting: bool = False
    # direct messages live apart from posts (X): a private conversation is answered with
    # direct_message, not with a reply (on Mastodon a reply to a direct post stays direct)
    private_inbox: bool = False


class NotSupported(FatalPlatformError):
    """The network (or this account's access level) does not allow this operation."""


class SocialNetwork(ABC):
    """A network bound to one of the shop's accounts.

    Subclasses declare ``name`` and ``capabilities``; they implement ``search`` and
    ``mentions`` and whichever of ``reply``, ``publish``, ``direct_message``, ``follow`` the
    network allows (the others raise :class:`NotSupported`)."""

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    def __init__(self, account: SocialAccount, *, sleep: Callable[[float], None] = time.sleep,
                 max_wait: float = 900.0, **options: Any):
        self.account = account
        self.sleep = sleep
        self.max_wait = max_wait
        self.options = options

    @classmethod
    def text_length(cls, text: str) -> int:
        """A post's length as the network counts it against ``capabilities.max_length``
        (characters; networks that weigh them differently override this)."""
        return len(text)

    def wait_out_rate_limit(self, wait: float | None, waited: int, limit: int, message: str
                            ) -> None:
        """The one rate-limit rule of every connector: sleep (injected) through a wait no longer
        than ``max_wait`` while fewer than ``limit`` waits were made for this request; otherwise
        raise RetryableError(retry_after=wait) for the job to come back later."""
        if wait is None or wait > self.max_wait or waited >= limit:
            raise RetryableError(message, status=429, platform=self.name, retry_after=wait)
        log.info("%s: rate limited, waiting %.0f s", self.name, wait)
        self.sleep(wait)

    # reading -------------------------------------------------------------------------------------
    @abstractmethod
    def build_queries(self, terms: list[str], languages: list[str]) -> list[str]:
        """Network search queries covering ``terms`` (each a phrase), each within the network's
        query length limit, split into several when needed; reposts excluded and languages
        restricted where the network's syntax allows."""

    @abstractmethod
    def search(self, query: str, since: str | None, *, limit: int | None = None) -> Batch:
        """Posts matching ``query`` newer than the checkpoint ``since``, at most ``limit``."""

    @abstractmethod
    def mentions(self, since: str | None, *, limit: int | None = None) -> Batch:
        """Posts that mention or reply to the shop's account, newer than ``since``."""

    # writing -------------------------------------------------------------------------------------
    def reply(self, post: PostData, text: str, *, idempotency_key: str) -> Sent:
        raise NotSupported(f"{self.name}: replies are not supported")

    def publish(self, text: str, *, idempotency_key: str) -> Sent:
        raise NotSupported(f"{self.name}: posting is not supported")

    def direct_message(self, user_id: str, text: str, *, idempotency_key: str) -> Sent:
        raise NotSupported(f"{self.name}: direct messages are not supported")

    def follow(self, user_id: str) -> None:
        raise NotSupported(f"{self.name}: following is not supported")

    def find_sent(self, text: str, since: dt.datetime) -> Sent | None:
        """The shop's own post with this text since ``since``, if the network has it: how the
        outbox reconciles a send whose outcome it did not record (crash after the network
        accepted it). None when not found (or not searchable)."""
        return None
