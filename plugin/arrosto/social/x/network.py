"""The X network: the X API v2 through ``tweepy.Client`` (tweepy 4.x).

Follows the X API v2 documentation, https://docs.x.com/x-api/ — search recent posts
(``GET /2/tweets/search/recent``, posts/search/introduction) with the query syntax of
posts/search/integrate/build-a-query and its list of operators; the mentions timeline
(``GET /2/users/:id/mentions``, posts/timelines); manage posts (``POST /2/tweets``,
posts/manage-tweets); direct messages (``POST /2/dm_conversations/with/:participant_id/messages``,
direct-messages/manage); follows (``POST /2/users/:id/following``, users/follows); rate limits
(fundamentals/rate-limits) and error responses (fundamentals/response-codes-and-errors).
Post length and queries: :mod:`.text`; X's error answers: :mod:`.answers`; connecting an account
with OAuth 2.0 user context: :mod:`.oauth`.

Quirks handled here, so that nothing else has to know them:

* Credentials (``account.credentials``, JSON): ``bearer_token`` (app-only) and/or user context —
  an OAuth 2.0 user ``access_token`` (with ``refresh_token`` and ``expires_at`` when connected
  from the admin; :mod:`arrosto.social.accounts` refreshes it before use), or OAuth 1.0a
  ``consumer_key``, ``consumer_secret``, ``access_token``, ``access_token_secret``. One
  ``tweepy.Client`` holds them: reads go with the bearer token when there is one, writes with the
  user context. An OAuth 2.0 user token is itself a bearer token, so it replaces an app
  ``bearer_token`` given alongside it.
* X bills every post read. ``limit`` (the caller's remaining budget) stops the pagination, and
  the last page asks only for what is still needed (never fewer than the endpoint's minimum);
  ``Batch.reads`` counts every post X returned, including any beyond ``limit``.
* A rate-limited page is waited out (:meth:`SocialNetwork.calling`, never tweepy's own
  ``wait_on_rate_limit``, which would call ``time.sleep``) and the same page asked again.
* Recent search refuses (400) a ``since_id`` older than its seven-day window; such a checkpoint is
  dropped, since every post the window holds is newer anyway.
* X has no idempotency key: :meth:`XNetwork.find_sent` compares normalised text, because X
  escapes ``& < >`` and replaces links with t.co links in the text it returns.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

import tweepy

from ...errors import ArrostoError, ConfigError
from ..base import (
    Batch,
    Capabilities,
    NotSupported,
    PostData,
    Sent,
    SocialNetwork,
    aware,
    page_size,
    read_credentials,
)
from .answers import TimeoutAdapter, error_for
from .text import build_queries, normalise, snowflake_time, weighted_length

if TYPE_CHECKING:
    from ...models import SocialAccount

log = logging.getLogger(__name__)

TWEET_FIELDS = ["created_at", "lang", "conversation_id", "in_reply_to_user_id",
                "referenced_tweets", "public_metrics", "entities"]
USER_FIELDS = ["username", "name"]
EXPANSIONS = ["author_id"]
OAUTH1_KEYS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")

# max_results bounds of each endpoint (its API reference)
SEARCH_PAGE = (10, 100)
TIMELINE_PAGE = (5, 100)
FIND_SENT_PAGES = 3  # the shop's own posts since a send: a few pages at most, each billed
RECENT_SEARCH_WINDOW = dt.timedelta(days=7) - dt.timedelta(minutes=5)
DM_MAX_LENGTH = 10_000


class XNetwork(SocialNetwork):
    """One shop's X account."""

    name: ClassVar[str] = "x"
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_length=280, can_dm=True, can_follow=True, query_max_length=512, private_inbox=True)

    rate_limit_waits: ClassVar[int] = 3

    @classmethod
    def text_length(cls, text: str) -> int:
        return weighted_length(text)

    def __init__(self, account: SocialAccount, *, clock: Callable[[], float] = time.time,
                 **kwargs: Any):
        super().__init__(account, **kwargs)
        self.clock = clock
        creds = {key: value for key, value in
                 read_credentials(account, f"x account {account.handle!r}").items()
                 if isinstance(value, str) and value}
        oauth1_given = [key for key in OAUTH1_KEYS if key in creds]
        oauth1 = len(oauth1_given) == len(OAUTH1_KEYS)
        if oauth1_given and not oauth1 and oauth1_given != ["access_token"]:
            raise ConfigError(f"x account {account.handle!r}: OAuth 1.0a needs "
                              f"{', '.join(OAUTH1_KEYS)}")
        user_token = None if oauth1 else creds.get("access_token")  # OAuth 2.0 user context
        bearer = user_token or creds.get("bearer_token")
        if not bearer and not oauth1:
            raise ConfigError(f"x account {account.handle!r}: needs bearer_token, an OAuth 2.0 "
                              f"access_token, or the four OAuth 1.0a keys")
        self._client = tweepy.Client(
            bearer_token=bearer,
            **({key: creds[key] for key in OAUTH1_KEYS} if oauth1 else {}))
        self._client.session.mount("https://", TimeoutAdapter())
        # tweepy: user_auth=True signs with OAuth 1.0a, False sends the bearer token
        self._read_user_auth = bearer is None
        self._write_user_auth: bool | None = True if oauth1 else (False if user_token else None)

    # the shop's account ---------------------------------------------------------------------------
    def shop_user_id(self) -> str:
        """The shop's X user id: ``account.external_id``, or — when it is empty — looked up once
        (``get_me`` with user context, else ``get_user`` by ``account.handle``) and written into
        ``account.external_id`` (and an empty ``display_name`` and ``handle``) in place, for the
        caller to store with the account."""
        if self.account.external_id:
            return str(self.account.external_id)
        if self._write_user_auth is not None:
            response = self.calling("account lookup", lambda: self._client.get_me(
                user_auth=self._write_user_auth))
        elif self.account.handle:
            username = self.account.handle.lstrip("@")
            response = self.calling("account lookup", lambda: self._client.get_user(
                username=username, user_auth=self._read_user_auth))
        else:
            raise ConfigError("x account: neither its user id nor its handle is known")
        user = response.data
        self.account.external_id = str(user.id)
        if not self.account.display_name:
            self.account.display_name = user.name
        if not self.account.handle:
            self.account.handle = user.username
        log.info("x account %s is user %s", user.username, user.id)
        return self.account.external_id

    # reading --------------------------------------------------------------------------------------
    def build_queries(self, terms: list[str], languages: list[str]) -> list[str]:
        """``(a OR "b c" OR ...) -is:retweet (lang:it OR lang:en)``, as few queries as fit in
        ``query_max_length``; a term too long for a query of its own is left out and logged."""
        return build_queries(terms, languages, self.capabilities.query_max_length)

    def search(self, query: str, since: str | None, *, limit: int | None = None) -> Batch:
        since_id = self._since_id(since, window=RECENT_SEARCH_WINDOW)
        return self._read(
            "search", self._client.search_recent_tweets, SEARCH_PAGE, limit,
            addresses_shop=None, query=query, since_id=since_id)

    def mentions(self, since: str | None, *, limit: int | None = None) -> Batch:
        shop_id = self.shop_user_id()
        return self._read(
            "mentions", self._client.get_users_mentions, TIMELINE_PAGE, limit,
            addresses_shop=True, id=shop_id, since_id=self._since_id(since))

    def _read(self, operation: str, method: Callable[..., Any], page_bounds: tuple[int, int],
              limit: int | None, *, addresses_shop: bool | None, **params: Any) -> Batch:
        if limit is not None and limit <= 0:
            return Batch(posts=[], checkpoint=None, reads=0)
        shop_id = self.account.external_id or None
        if addresses_shop is None and not shop_id:
            shop_id = self.shop_user_id()
        smallest, largest = page_bounds
        pages = iter(tweepy.Paginator(
            method, max_results=page_size(limit, 0, largest, smallest), expansions=EXPANSIONS,
            tweet_fields=TWEET_FIELDS, user_fields=USER_FIELDS,
            user_auth=self._read_user_auth, **params))
        posts: list[PostData] = []
        reads = 0
        newest: int | None = None
        for page in self._paged(operation, pages):
            tweets = page.data or []
            reads += len(tweets)
            users = {user.id: user for user in page.includes.get("users", [])}
            for tweet in tweets:
                newest = max(newest or 0, tweet.id)
                posts.append(self._post(tweet, users, shop_id, addresses_shop))
            if page.meta.get("newest_id"):
                newest = max(newest or 0, int(page.meta["newest_id"]))
            if limit is not None:
                if len(posts) >= limit:
                    break
                # the Paginator sends its kwargs again for the next page: ask only for what
                # the budget still allows, as X bills every post it returns
                pages.kwargs["max_results"] = page_size(limit, len(posts), largest, smallest)
        if limit is not None:
            posts = posts[:limit]
        log.debug("x %s: %d posts, %d read", operation, len(posts), reads)
        return Batch(posts=posts, checkpoint=str(newest) if newest else None, reads=reads)

    def _since_id(self, since: str | None, *, window: dt.timedelta | None = None) -> str | None:
        if not since:
            return None
        if not str(since).isdigit():
            raise ValueError(f"x checkpoint must be a post id, got {since!r}")
        if window is not None:
            now = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
            if snowflake_time(since) < now - window:
                log.info("x search: checkpoint %s is older than the search window; dropped",
                         since)
                return None
        return str(since)

    def _post(self, tweet: Any, users: dict[int, Any], shop_id: str | None,
              addresses_shop: bool | None) -> PostData:
        author = users.get(tweet.author_id)
        username = author.username if author else None
        mentions = (tweet.entities or {}).get("mentions") or []
        if addresses_shop is None:
            handle = (self.account.handle or "").lstrip("@").casefold()
            replies_to_shop = bool(shop_id) and str(tweet.in_reply_to_user_id or "") == shop_id
            mentions_shop = any(
                (shop_id and str(m.get("id") or "") == shop_id)
                or (handle and str(m.get("username") or "").casefold() == handle)
                for m in mentions)
            addresses_shop = replies_to_shop or mentions_shop
        if shop_id and str(tweet.author_id or "") == shop_id:
            addresses_shop = False  # the shop's own post, even in its own thread
        reply_to = next((str(ref.id) for ref in tweet.referenced_tweets or []
                         if ref.type == "replied_to"), None)
        return PostData(
            network=self.name,
            external_id=str(tweet.id),
            # X sends author_id whenever the author_id expansion is asked for, as it always is
            author_id=str(tweet.author_id) if tweet.author_id else "",
            author_handle=username or "",
            author_name=author.name if author else None,
            text=tweet.text,
            created_at=tweet.created_at or snowflake_time(tweet.id),
            lang=tweet.lang,
            url=self._post_url(tweet.id, username),
            reply_to_id=reply_to,
            thread_id=str(tweet.conversation_id) if tweet.conversation_id else None,
            metrics=dict(tweet.public_metrics or {}),
            addresses_shop=addresses_shop,
        )

    @staticmethod
    def _post_url(post_id: int | str, username: str | None) -> str:
        # x.com/i/web/status/<id> opens a post whoever wrote it
        return f"https://x.com/{username or 'i/web'}/status/{post_id}"

    # writing --------------------------------------------------------------------------------------
    def reply(self, post: PostData, text: str, *, idempotency_key: str) -> Sent:
        return self._create_post("reply", text, idempotency_key,
                                 in_reply_to_tweet_id=post.external_id)

    def publish(self, text: str, *, idempotency_key: str) -> Sent:
        return self._create_post("publish", text, idempotency_key)

    def _create_post(self, operation: str, text: str, idempotency_key: str,
                     **params: Any) -> Sent:
        length = weighted_length(text)
        if length > self.capabilities.max_length:
            raise ValueError(f"x {operation}: {length} characters as X counts them, "
                             f"more than {self.capabilities.max_length}")
        user_auth = self._user_context(operation)
        response = self.calling(operation, lambda: self._client.create_tweet(
            text=text, user_auth=user_auth, **params))
        post_id = str(response.data["id"])
        log.info("x %s %s sent as post %s", operation, idempotency_key, post_id)
        return Sent(external_id=post_id, url=self._post_url(post_id, self._handle()))

    def direct_message(self, user_id: str, text: str, *, idempotency_key: str) -> Sent:
        if len(text) > DM_MAX_LENGTH:
            raise ValueError(f"x direct message: {len(text)} characters, more than "
                             f"{DM_MAX_LENGTH}")
        user_auth = self._user_context("direct message")
        response = self.calling("direct message", lambda: self._client.create_direct_message(
            participant_id=user_id, text=text, user_auth=user_auth))
        event_id = str(response.data["dm_event_id"])
        log.info("x direct message %s sent as event %s", idempotency_key, event_id)
        return Sent(external_id=event_id)

    def follow(self, user_id: str) -> None:
        user_auth = self._user_context("follow")
        self.calling("follow", lambda: self._client.follow_user(user_id, user_auth=user_auth))

    def find_sent(self, text: str, since: dt.datetime) -> Sent | None:
        """The shop's own post with this text since ``since``, from its recent posts (X has no
        idempotency key); None when none of the last few pages has it."""
        since = aware(since)
        wanted = normalise(text)
        pages = iter(tweepy.Paginator(
            self._client.get_users_tweets, self.shop_user_id(), start_time=since,
            max_results=TIMELINE_PAGE[1], tweet_fields=["created_at"],
            user_auth=self._read_user_auth))
        for number, page in enumerate(self._paged("find sent", pages), 1):
            for tweet in page.data or []:
                if normalise(tweet.text) == wanted:
                    return Sent(external_id=str(tweet.id),
                                url=self._post_url(tweet.id, self._handle()))
            if number >= FIND_SENT_PAGES:
                break
        return None

    def _handle(self) -> str | None:
        return (self.account.handle or "").lstrip("@") or None

    def _user_context(self, operation: str) -> bool:
        if self._write_user_auth is None:
            raise NotSupported(f"x {operation}: needs user-context credentials (an OAuth 2.0 "
                               f"access token or OAuth 1.0a keys); this account has only an "
                               f"app bearer token", platform=self.name)
        return self._write_user_auth

    # requests, rate limits and errors -------------------------------------------------------------
    def _paged(self, operation: str, pages: Iterator[Any]) -> Iterator[Any]:
        """Pages of a ``tweepy.Paginator``; a rate-limited page is asked again after the wait
        (the iterator keeps its token until a page succeeds)."""
        done = object()
        while True:
            page = self.calling(operation, lambda: next(pages, done))
            if page is done:
                return
            yield page

    def translate(self, exc: BaseException, what: str) -> ArrostoError | None:
        return error_for(exc, what, self.clock())
