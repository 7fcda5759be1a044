"""The one interface every social network implements, and the records it returns.

A network object is bound to one of the shop's accounts (:class:`arrosto.models.SocialAccount`).
Connectors turn SDK objects into :class:`PostData`; nothing outside ``social/`` reads an SDK
object. Every SDK call goes through :meth:`SocialNetwork.calling`: the connector says what an SDK
exception means (:meth:`SocialNetwork.translate`), and rate limits are waited out by the one rule
of :class:`arrosto.http.WaitPolicy` (the injected ``sleep``, so tests wait for nothing; waits
longer than ``max_wait`` raise :class:`~arrosto.errors.RetryableError` for the job to retry).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ..errors import ArrostoError, ConfigError, FatalPlatformError
from ..http import WaitPolicy

if TYPE_CHECKING:
    from ..models import SocialAccount

log = logging.getLogger(__name__)

T = TypeVar("T")


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

    # waits for one call before the rate limit goes to the job as RetryableError
    rate_limit_waits: ClassVar[int] = 3

    def __init__(self, account: SocialAccount, *, sleep: Callable[[float], None] | None = None,
                 max_wait: float = 900.0, **options: Any):
        """``sleep`` (WaitPolicy's own by default; tests give theirs) and ``max_wait`` make the
        account's :class:`~arrosto.http.WaitPolicy`; ``options`` are the network's own."""
        self.account = account
        self.waits = WaitPolicy.sleeping_with(sleep, max_wait=max_wait,
                                              max_waits=self.rate_limit_waits)
        self.options = options

    def __repr__(self) -> str:  # never the credentials
        return f"<{type(self).__name__} {self.account.handle}>"

    @classmethod
    def text_length(cls, text: str) -> int:
        """A post's length as the network counts it against ``capabilities.max_length``
        (characters; networks that weigh them differently override this)."""
        return len(text)

    # calling the SDK -----------------------------------------------------------------------------
    def calling(self, what: str, request: Callable[[], T], *,
                translate: Callable[[BaseException, str], ArrostoError | None] | None = None
                ) -> T:
        """``request()``, the one way a connector calls its SDK: an exception is turned into
        Arrosto's by ``translate`` (default :meth:`translate`; None leaves it as it is); a rate
        limit (RetryableError, status 429, ``retry_after`` known) is waited out through
        :attr:`waits` and the same request made again."""
        translate = translate or self.translate

        def attempt() -> T:
            try:
                return request()
            except Exception as exc:
                error = translate(exc, what)
                if error is None:
                    raise
                raise error from exc

        return self.waits.run(attempt)

    def translate(self, exc: BaseException, what: str) -> ArrostoError | None:
        """Arrosto's error for an exception of the network's SDK during ``what``; None for one
        the connector handles itself."""
        return None

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


# helpers every connector shares ------------------------------------------------------------------

def read_credentials(account: SocialAccount, what: str) -> dict[str, Any]:
    """``account.credentials`` as the JSON object it must be; a ConfigError naming ``what``
    (e.g. "bluesky account 'shop.bsky.social'") and the fix otherwise."""
    if not account.credentials:
        raise ConfigError(f"{what}: no credentials; connect it again")
    try:
        data = json.loads(account.credentials)
    except ValueError:
        raise ConfigError(f"{what}: credentials are not JSON; connect it again") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{what}: credentials are not a JSON object; connect it again")
    return data


def page_size(limit: int | None, have: int, largest: int, smallest: int = 1) -> int:
    """How many items to ask for next: a full page without a limit, else what the limit still
    allows, within the endpoint's bounds."""
    return largest if limit is None else max(smallest, min(largest, limit - have))


def comparable(text: str) -> str:
    """Text as :meth:`SocialNetwork.find_sent` compares it: NFC, case folded, spacing collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def aware(moment: dt.datetime) -> dt.datetime:
    """A naive datetime read as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def oauth_refusal(response: Any) -> list[str]:
    """The ``error`` and ``error_description`` of an OAuth error answer (RFC 6749 §5.2), each
    cut to 200 characters; [] when the body is not one. Never anything we sent."""
    try:
        body = response.json()
    except ValueError:
        return []
    if not isinstance(body, dict):
        return []
    return [str(body[key])[:200] for key in ("error", "error_description") if body.get(key)]
