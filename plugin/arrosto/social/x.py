"""X connector: the X API v2 through ``tweepy.Client`` (tweepy 4.x).

Follows the X API v2 documentation, https://docs.x.com/x-api/ — search recent posts
(``GET /2/tweets/search/recent``, posts/search/introduction) with the query syntax of
posts/search/integrate/build-a-query and its list of operators; the mentions timeline
(``GET /2/users/:id/mentions``, posts/timelines); manage posts (``POST /2/tweets``,
posts/manage-tweets); direct messages (``POST /2/dm_conversations/with/:participant_id/messages``,
direct-messages/manage); follows (``POST /2/users/:id/following``, users/follows); rate limits
(fundamentals/rate-limits) and error responses (fundamentals/response-codes-and-errors).
Post length is counted as twitter-text's v3 configuration counts it
(fundamentals/counting-characters). Accounts are connected with the OAuth 2.0 Authorization Code
Flow with PKCE (fundamentals/authentication/oauth-2-0/user-access-token), at the end of this module.

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
* A 429 carries ``x-rate-limit-reset`` (epoch seconds): waits up to ``max_wait`` go through the
  injected ``sleep`` and the same page is asked again (tweepy's own ``wait_on_rate_limit`` would
  call ``time.sleep``); longer ones, and the monthly usage cap, raise ``RetryableError``.
* A 403 is not always about credentials: an access level without the endpoint (Free has no
  search) is :class:`NotSupported`; on a write, X refusing this post or this person (duplicate
  text, reply not allowed, DMs closed) is a ``FatalPlatformError``; only the app's permissions
  and a 403 on a read are ``AuthError``.
* Recent search refuses (400) a ``since_id`` older than its seven-day window; such a checkpoint is
  dropped, since every post the window holds is newer anyway.
* X has no idempotency key: :meth:`XNetwork.find_sent` compares normalised text, because X
  escapes ``& < >`` and replaces links with t.co links in the text it returns.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import logging
import re
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import requests
import tweepy
from oauthlib.oauth2 import OAuth2Error
from requests.adapters import HTTPAdapter
from requests_oauthlib import OAuth2Session

from ..errors import (
    AuthError,
    ConfigError,
    FatalPlatformError,
    PlatformError,
    RetryableError,
    error_for_status,
)
from .base import Batch, Capabilities, NotSupported, PostData, Sent, SocialNetwork

if TYPE_CHECKING:
    from ..models import SocialAccount

log = logging.getLogger(__name__)

T = TypeVar("T")

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
MAX_WAITS = 3  # consecutive 429s on one request before handing over to the job's retry
DM_MAX_LENGTH = 10_000
TIMEOUT = (10, 30)  # connect, read; tweepy sets none, and a hung socket would hold a worker
SNOWFLAKE_EPOCH_MS = 1288834974657

ACCESS_LEVEL_PROBLEMS = frozenset({"client-forbidden", "client-not-enrolled"})
CREDENTIAL_PROBLEMS = frozenset({"oauth1-permissions", "unsupported-authentication"})
USAGE_CAP_PROBLEMS = frozenset({"usage-capped", "UsageCapExceeded", "SpendCapReached"})
WRITES = frozenset({"reply", "publish", "direct message", "follow"})
SEARCH_NOT_SUPPORTED = "search needs X API Basic access or above"

# twitter-text v3: code points in these ranges weigh 1, every other one 2; a link weighs 23
_LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
URL_WEIGHT = 23
_SCHEME_URL = re.compile(r"(?i)\bhttps?://\S+")
_BARE_URL = re.compile(r"(?i)\b(?:www\.)?(?:[a-z0-9-]+\.)+[a-z]{2,}(?:/\S*)?")
_LEADING_MENTIONS = re.compile(r"^(?:@\w+\s+)+")
_BARE_TERM = re.compile(r"\w+")
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[a-z]{2,4})?")


# --- text -----------------------------------------------------------------------------------------

def _chars_weight(text: str) -> int:
    return sum(1 if any(lo <= ord(c) <= hi for lo, hi in _LIGHT_RANGES) else 2 for c in text)


def weighted_length(text: str) -> int:
    """A post's length as X counts it (twitter-text v3): links 23, Latin and common punctuation
    1, other code points (emoji, CJK) 2. Where we simplify we count more, never less: an emoji
    sequence counts per code point, and a bare domain counts at least 23."""
    text = unicodedata.normalize("NFC", text)
    total, pos = 0, 0
    for match in _SCHEME_URL.finditer(text):
        total += _bare_weight(text[pos:match.start()]) + URL_WEIGHT
        pos = match.end()
    return total + _bare_weight(text[pos:])


def _bare_weight(text: str) -> int:
    total, pos = 0, 0
    for match in _BARE_URL.finditer(text):
        total += _chars_weight(text[pos:match.start()])
        total += max(URL_WEIGHT, _chars_weight(match.group()))
        pos = match.end()
    return total + _chars_weight(text[pos:])


def normalise(text: str) -> str:
    """Text compared by :meth:`XNetwork.find_sent`: X returns ``&amp;`` for ``&``, t.co links
    for links, and may lead a reply with the mentions it answers."""
    text = unicodedata.normalize("NFC", html.unescape(text)).strip()
    text = _SCHEME_URL.sub(" <link> ", text)
    text = _BARE_URL.sub(" <link> ", text)
    text = _LEADING_MENTIONS.sub("", text)
    return " ".join(text.split()).casefold()


def snowflake_time(post_id: int | str) -> dt.datetime:
    """When X created an id (X ids are snowflakes: milliseconds since X's epoch, shifted 22)."""
    ms = (int(post_id) >> 22) + SNOWFLAKE_EPOCH_MS
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def _query_atom(term: str) -> str | None:
    term = " ".join(term.split())
    if not term:
        return None
    if _BARE_TERM.fullmatch(term) and term.upper() not in ("OR", "AND"):
        return term
    # inside a phrase X treats punctuation as whitespace: the escaped quote only keeps the query
    # well formed, and a backslash is dropped so it cannot escape our closing quote
    return '"' + term.replace("\\", " ").replace('"', '\\"') + '"'


def _language_clause(languages: list[str]) -> str:
    codes: list[str] = []
    for language in languages:
        code = language.strip().lower()
        if not _LANGUAGE.fullmatch(code):
            raise ConfigError(f"listening languages: {language!r} is not a language code")
        if code not in codes:
            codes.append(code)
    if not codes:
        return ""
    if len(codes) == 1:
        return f"lang:{codes[0]}"
    return "(" + " OR ".join(f"lang:{code}" for code in codes) + ")"


# --- HTTP -----------------------------------------------------------------------------------------

class _TimeoutAdapter(HTTPAdapter):
    def send(self, request: Any, **kwargs: Any) -> Any:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = TIMEOUT
        return super().send(request, **kwargs)


def _problem(response: Any) -> dict[str, Any]:
    """X's error body: an RFC 7807 problem (``title``, ``detail``, ``type``, ``reason``) or
    ``{"errors": [...]}``; {} when it is not JSON."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _problem_names(problem: dict[str, Any]) -> set[str]:
    """``reason`` and the last segment of ``type``, of the body and of each of its ``errors``
    (X sends the client-forbidden problem either way)."""
    names: set[str] = set()
    errors = problem.get("errors")
    for item in [problem, *(errors if isinstance(errors, list) else [])]:
        if isinstance(item, dict):
            names.add(str(item.get("reason") or ""))
            names.add(str(item.get("type") or "").rstrip("/").rsplit("/", 1)[-1])
            names.add(str(item.get("title") or ""))
    return names - {""}


def _detail(exc: tweepy.HTTPException, problem: dict[str, Any]) -> str:
    return str(problem.get("detail") or "; ".join(map(str, exc.api_messages))
               or problem.get("title") or exc.response.reason or "")


def _is_usage_cap(problem: dict[str, Any]) -> bool:
    """The app's monthly cap or spend cap (429, lately also 403): no wait of ours ends it."""
    return bool(_problem_names(problem) & USAGE_CAP_PROBLEMS)


def _read_credentials(account: SocialAccount) -> dict[str, str]:
    if not account.credentials:
        raise ConfigError(f"x account {account.handle!r}: no credentials; connect it again")
    try:
        data = json.loads(account.credentials)
    except ValueError:
        raise ConfigError(f"x account {account.handle!r}: credentials are not JSON") from None
    if not isinstance(data, dict):
        raise ConfigError(f"x account {account.handle!r}: credentials are not a JSON object")
    return {key: value for key, value in data.items() if isinstance(value, str) and value}


# --- the network ----------------------------------------------------------------------------------

class XNetwork(SocialNetwork):
    """One shop's X account."""

    name: ClassVar[str] = "x"
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_length=280, can_dm=True, can_follow=True, query_max_length=512, private_inbox=True)

    @classmethod
    def text_length(cls, text: str) -> int:
        return weighted_length(text)

    def __init__(self, account: SocialAccount, *, clock: Callable[[], float] = time.time,
                 **kwargs: Any):
        super().__init__(account, **kwargs)
        self.clock = clock
        creds = _read_credentials(account)
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
        self._client.session.mount("https://", _TimeoutAdapter())
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
            response = self._retrying("account lookup", lambda: self._client.get_me(
                user_auth=self._write_user_auth))
        elif self.account.handle:
            username = self.account.handle.lstrip("@")
            response = self._retrying("account lookup", lambda: self._client.get_user(
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
        suffix = " -is:retweet"
        clause = _language_clause(languages)
        if clause:
            suffix += " " + clause
        budget = self.capabilities.query_max_length - len(suffix)
        atoms = list(dict.fromkeys(a for a in map(_query_atom, terms) if a))

        def body(group: list[str]) -> str:
            return group[0] if len(group) == 1 else "(" + " OR ".join(group) + ")"

        queries: list[str] = []
        group: list[str] = []
        length = 2  # the parentheses
        for atom in atoms:
            if len(atom) > budget:
                log.warning("x query: a term of %d characters does not fit in a query; skipped",
                            len(atom))
                continue
            added = len(atom) + (4 if group else 0)  # " OR "
            if group and length + added > budget:
                queries.append(body(group) + suffix)
                group, length, added = [], 2, len(atom)
            group.append(atom)
            length += added
        if group:
            queries.append(body(group) + suffix)
        return queries

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

        def page_size(wanted: int | None) -> int:
            return largest if wanted is None else max(smallest, min(largest, wanted))

        pages = iter(tweepy.Paginator(
            method, max_results=page_size(limit), expansions=EXPANSIONS,
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
                pages.kwargs["max_results"] = page_size(limit - len(posts))
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
        response = self._retrying(operation, lambda: self._client.create_tweet(
            text=text, user_auth=user_auth, **params))
        post_id = str(response.data["id"])
        log.info("x %s %s sent as post %s", operation, idempotency_key, post_id)
        return Sent(external_id=post_id, url=self._post_url(post_id, self._handle()))

    def direct_message(self, user_id: str, text: str, *, idempotency_key: str) -> Sent:
        if len(text) > DM_MAX_LENGTH:
            raise ValueError(f"x direct message: {len(text)} characters, more than "
                             f"{DM_MAX_LENGTH}")
        user_auth = self._user_context("direct message")
        response = self._retrying("direct message", lambda: self._client.create_direct_message(
            participant_id=user_id, text=text, user_auth=user_auth))
        event_id = str(response.data["dm_event_id"])
        log.info("x direct message %s sent as event %s", idempotency_key, event_id)
        return Sent(external_id=event_id)

    def follow(self, user_id: str) -> None:
        user_auth = self._user_context("follow")
        self._retrying("follow", lambda: self._client.follow_user(user_id, user_auth=user_auth))

    def find_sent(self, text: str, since: dt.datetime) -> Sent | None:
        """The shop's own post with this text since ``since``, from its recent posts (X has no
        idempotency key); None when none of the last few pages has it."""
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
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
            page = self._retrying(operation, lambda: next(pages, done))
            if page is done:
                return
            yield page

    def _retrying(self, operation: str, request: Callable[[], T]) -> T:
        waits = 0
        while True:
            try:
                return request()
            except tweepy.TooManyRequests as exc:
                wait = self._rate_limit_wait(exc, operation)
                self.wait_out_rate_limit(wait, waits, MAX_WAITS,
                                         f"x {operation}: rate limited for {wait:.0f} s")
                waits += 1
            except tweepy.HTTPException as exc:
                raise self._error(exc, operation) from exc
            except requests.RequestException as exc:
                raise RetryableError(f"x {operation}: {type(exc).__name__}",
                                     platform=self.name) from exc

    def _rate_limit_wait(self, exc: tweepy.TooManyRequests, operation: str) -> float:
        problem = _problem(exc.response)
        if _is_usage_cap(problem):
            raise RetryableError(f"x {operation}: the app's usage cap is reached "
                                 f"({_detail(exc, problem)})", status=429,
                                 platform=self.name) from exc
        reset = exc.response.headers.get("x-rate-limit-reset")
        try:
            # reset is in whole seconds and X's clock is not ours: one second more
            wait = max(0.0, float(reset) - self.clock()) + 1.0
        except (TypeError, ValueError):
            raise RetryableError(f"x {operation}: rate limited", status=429,
                                 platform=self.name) from exc
        return wait

    def _error(self, exc: tweepy.HTTPException, operation: str) -> PlatformError:
        status = exc.response.status_code
        problem = _problem(exc.response)
        names = _problem_names(problem)
        message = f"x {operation}: {status} {_detail(exc, problem)}".rstrip()
        if _is_usage_cap(problem):
            return RetryableError(f"x {operation}: the app's usage cap is reached "
                                  f"({_detail(exc, problem)})", status=status,
                                  platform=self.name)
        if status == 403:
            if names & ACCESS_LEVEL_PROBLEMS:
                text = SEARCH_NOT_SUPPORTED if operation == "search" else \
                    f"x {operation}: not available at this X API access level"
                return NotSupported(text, status=status, platform=self.name)
            if operation in WRITES and not names & CREDENTIAL_PROBLEMS:
                return FatalPlatformError(message, status=status, platform=self.name)
            return AuthError(message, status=status, platform=self.name)
        if status == 401:
            return AuthError(message, status=status, platform=self.name)
        return error_for_status(status, message, platform=self.name)


# --- OAuth 2.0 user context: connecting an account ----------------------------------------------
# The Authorization Code Flow with PKCE of fundamentals/authentication/oauth-2-0/user-access-token
# and authorization-code: authorize on x.com, tokens from api.x.com/2/oauth2/token (HTTP Basic with
# the app's client id and secret: Arrosto is a confidential client). Access tokens last two hours;
# ``offline.access`` brings a refresh token, which rotates: each refresh answers a new one and the
# used one stops working.

AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
TOKEN_URL = "https://api.x.com/2/oauth2/token"
USER_SCOPES = ("tweet.read", "tweet.write", "users.read", "follows.write", "offline.access",
               "dm.write", "dm.read")


@dataclass(frozen=True)
class UserTokens:
    """What X's token endpoint answered; the tokens never appear in ``repr``."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: dt.datetime | None = None
    scope: str | None = None

    @classmethod
    def from_answer(cls, answer: dict[str, Any], now: dt.datetime,
                    previous_refresh: str | None = None) -> UserTokens:
        expires_in = answer.get("expires_in")
        return cls(access_token=str(answer["access_token"]),
                   refresh_token=str(answer.get("refresh_token") or previous_refresh or "")
                   or None,
                   expires_at=now + dt.timedelta(seconds=int(expires_in))
                   if expires_in not in (None, "") else None,
                   scope=answer.get("scope") if isinstance(answer.get("scope"), str) else
                   " ".join(answer.get("scope") or []) or None)

    def credentials(self) -> dict[str, str]:
        """The account's ``credentials`` JSON (read by :class:`XNetwork` as an OAuth 2.0 user
        token; ``refresh_token`` and ``expires_at`` by the refresh)."""
        values = {"access_token": self.access_token, "refresh_token": self.refresh_token,
                  "expires_at": self.expires_at.isoformat() if self.expires_at else None,
                  "scope": self.scope}
        return {key: value for key, value in values.items() if value}


class XUserAuth(tweepy.OAuth2UserHandler):
    """tweepy's Authorization Code Flow with PKCE (an ``OAuth2Session``), for a web app that
    keeps the flow's state and PKCE verifier server-side between the redirect and the callback:
    tweepy 4.x makes both itself, keeps them on the handler object, and names twitter.com's
    hosts; it has no refresh grant. Every answer of the token endpoint is checked here, so a
    refusal is an :class:`AuthError` and an outage a :class:`RetryableError`."""

    def __init__(self, client_id: str, client_secret: str | None, redirect_uri: str | None = None,
                 *, scopes: tuple[str, ...] | None = USER_SCOPES):
        super().__init__(client_id=client_id, redirect_uri=redirect_uri,
                         scope=list(scopes) if scopes else None, client_secret=client_secret)
        self.mount("https://", _TimeoutAdapter())
        self.register_compliance_hook("access_token_response", self._checked("code exchange"))
        self.register_compliance_hook("refresh_token_response", self._checked("token refresh"))

    def __repr__(self) -> str:  # never the client secret
        return f"<XUserAuth {self.client_id}>"

    def authorization_url_for(self, state: str, code_verifier: str) -> str:
        """Where to send the owner: X's consent page for these scopes, with an S256 challenge
        of ``code_verifier`` (43 to 128 characters the caller keeps for :meth:`exchange`)."""
        challenge = self._client.create_code_challenge(code_verifier, "S256")
        url, _state = self.authorization_url(AUTHORIZE_URL, state=state,
                                             code_challenge=challenge,
                                             code_challenge_method="S256")
        return url

    def exchange(self, code: str, code_verifier: str, *, now: dt.datetime | None = None
                 ) -> UserTokens:
        """The callback's ``code`` for the account's tokens (the caller checked ``state``)."""
        try:
            # OAuth2Session's own fetch_token: tweepy's takes only the callback URL, whose
            # state it compares with the one it made itself
            answer = OAuth2Session.fetch_token(
                self, TOKEN_URL, code=code, code_verifier=code_verifier, auth=self.auth,
                include_client_id=True, timeout=TIMEOUT)
        except Warning as changed:  # oauthlib: X granted other scopes than asked; keep them
            answer = getattr(changed, "token", None)
            if answer is None:
                raise
        except requests.RequestException as exc:
            raise RetryableError(f"x code exchange: {type(exc).__name__}", platform="x") from exc
        except OAuth2Error as exc:
            raise FatalPlatformError(f"x code exchange: unexpected answer ({exc.error})",
                                     platform="x") from exc
        return UserTokens.from_answer(dict(answer), now or _utcnow())

    def refresh(self, refresh_token: str, *, now: dt.datetime | None = None) -> UserTokens:
        """New tokens for a refresh token (which X then no longer accepts)."""
        try:
            answer = self.refresh_token(TOKEN_URL, refresh_token=refresh_token, auth=self.auth,
                                        timeout=TIMEOUT, client_id=self.client_id)
        except requests.RequestException as exc:
            raise RetryableError(f"x token refresh: {type(exc).__name__}", platform="x") from exc
        except OAuth2Error as exc:
            raise FatalPlatformError(f"x token refresh: unexpected answer ({exc.error})",
                                     platform="x") from exc
        return UserTokens.from_answer(dict(answer), now or _utcnow(), refresh_token)

    @staticmethod
    def _checked(what: str) -> Callable[[requests.Response], requests.Response]:
        def check(response: requests.Response) -> requests.Response:
            if response.status_code == 200:
                return response
            message = f"X refused the {what} (HTTP {response.status_code}{_oauth_reason(response)})"
            if response.status_code in (400, 401, 403):
                raise AuthError(message, status=response.status_code, platform="x")
            raise error_for_status(response.status_code, message, platform="x",
                                   retry_after=_retry_after(response))
        return check


def _oauth_reason(response: requests.Response) -> str:
    """The OAuth error code and description X answered (never anything we sent)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts = [str(body[key])[:200] for key in ("error", "error_description") if body.get(key)]
    return f": {' - '.join(parts)}" if parts else ""


def _retry_after(response: requests.Response) -> float | None:
    try:
        return max(float(response.headers.get("retry-after", "")), 0.0)
    except ValueError:
        return None


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
