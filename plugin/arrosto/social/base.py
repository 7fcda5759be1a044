"""The one interface every social network implements, and the post record it returns."""
from __future__ import annotations

import datetime as dt
from abc import ABC
from dataclasses import dataclass, field
from typing import Any, ClassVar


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
    addresses_shop: bool = False


@dataclass(frozen=True)
class Capabilities:
    max_length: int
    can_search: bool = True
    can_dm: bool = False
    can_follow: bool = False


class SocialNetwork(ABC):  # noqa: B024 - the methods are filled in per network
    """A network bound to one of the shop's accounts. Subclasses declare ``name`` and
    ``capabilities`` and implement what the network allows."""

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]
