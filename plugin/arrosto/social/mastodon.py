"""Mastodon, through Mastodon.py on the REST API of any instance (v1, and v2 for search/instance).

Follows https://docs.joinmastodon.org/: methods/timelines (``/api/v1/timelines/tag/:hashtag``),
methods/search (``/api/v2/search``), methods/notifications, methods/statuses (``Idempotency-Key``),
methods/accounts, methods/instance, entities/Status, api/guidelines (paginating with
``min_id``/``max_id``, ids are strings), api/rate-limits (``X-RateLimit-*``), and methods/apps plus
methods/oauth for the per-instance app registration and OAuth code flow (every instance is its
own OAuth provider, so each gets its own app).

Query format (what :meth:`MastodonNetwork.build_queries` returns and :meth:`~MastodonNetwork.search`
takes): ``#tag`` — one word after ``#``, no spaces — reads the hashtag timeline, the reliable
way to find posts; anything else is a full-text ``/api/v2/search`` query, which finds only posts
whose authors opted in to search, on instances that run a search engine (an empty answer or a
failure there is logged, never fatal).
"""
from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import requests
from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonError,
    MastodonIllegalArgumentError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from .. import outbound
from ..errors import (
    ArrostoError,
    AuthError,
    ConfigError,
    FatalPlatformError,
    PlatformError,
    RetryableError,
    error_for_status,
)
from .base import Batch, Capabilities, PostData, Sent, SocialNetwork

if TYPE_CHECKING:
    from ..models import SocialAccount

log = logging.getLogger(__name__)

T = TypeVar("T")

NETWORK = "mastodon"
SCOPES = ["read", "write", "follow"]
USER_AGENT = "Arrosto"
DEFAULT_TIMEOUT = 30.0
PAGE_SIZE = 40  # the most a timeline, notifications or search page returns
MAX_PAGES = 25  # per call: catching up on 1000 posts is enough for one run
TEXT_SEARCH_PAGES = 5
FIND_SENT_PAGES = 5
RATE_LIMIT_ATTEMPTS = 3
RATE_LIMIT_FALLBACK_WAIT = 60.0  # no usable reset time: Mastodon's windows are 5 minutes
RATE_LIMIT_MARGIN = 1.0

HASHTAG_QUERY = re.compile(r"#(\w+)")
MENTION = re.compile(r"(?<![\w@/])@[\w.\-]+(?:@[\w.\-]+(?::\d+)?)?", re.UNICODE)
VISIBILITIES = ("public", "unlisted", "private", "direct")


# --- instance URLs and OAuth ----------------------------------------------------------------------

def normalize_instance_url(url: str | None) -> str:
    """``mastodon.social`` or ``https://mastodon.social/`` → ``https://mastodon.social``.

    The instance is the owner's to name, so it gets the rule of :mod:`arrosto.outbound`: https
    only and no internal address (:class:`~arrosto.outbound.InternalAddress`), except this machine
    and plain http:// with ``ARROSTO_ALLOW_LOOPBACK_HOSTS`` (development and tests)."""
    value = (url or "").strip()
    if not value:
        raise ConfigError("SocialAccount.instance_url: empty; give the Mastodon instance's address")
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname \
            or not re.fullmatch(r"[\w.-]+", parts.hostname):
        raise ConfigError(f"SocialAccount.instance_url: {url!r} is not an http(s) address")
    outbound.check_scheme(parts.scheme, what="the Mastodon instance")
    outbound.check_host(parts.hostname, what="the Mastodon instance")
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


class _Transport:
    """A requests session that remembers the last answer: Mastodon.py's exceptions carry no
    headers (Retry-After, X-RateLimit-Reset) and its app registration checks no status. The
    session is :func:`arrosto.outbound.session`: public addresses only, every redirect checked."""

    def __init__(self) -> None:
        self.session = outbound.session()
        self.last: requests.Response | None = None
        self.session.hooks["response"].append(self._remember)

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.last = response


def _oauth_client(base: str, client_id: str, client_secret: str, transport: _Transport,
                  timeout: float) -> Mastodon:
    return Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base,
                    ratelimit_method="throw", request_timeout=timeout,
                    version_check_mode="none", session=transport.session, user_agent=USER_AGENT)


def _answer_error(what: str, response: requests.Response | None, *,
                  refused_is_auth: bool = False) -> PlatformError:
    """The error for an OAuth call that failed, from the HTTP answer it got (if any)."""
    if response is None:
        return RetryableError(f"mastodon {what}: no answer from the instance", platform=NETWORK)
    detail = ""
    try:
        body = response.json()
        if isinstance(body, dict):
            detail = str(body.get("error_description") or body.get("error") or "")
    except ValueError:
        pass
    message = f"mastodon {what}: HTTP {response.status_code}" + (f" ({detail})" if detail else "")
    if response.ok:
        return FatalPlatformError(f"mastodon {what}: unexpected answer from the instance",
                                  status=response.status_code, platform=NETWORK)
    if refused_is_auth and response.status_code in (400, 401, 403):
        return AuthError(message, status=response.status_code, platform=NETWORK)
    return error_for_status(response.status_code, message, platform=NETWORK,
                            retry_after=_retry_after(response.headers))


def register_app(instance_url: str, redirect_uri: str, app_name: str = "Arrosto", *,
                 website: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> tuple[str, str]:
    """Register Arrosto on one instance (``POST /api/v1/apps``); returns (client_id,
    client_secret), to keep per instance."""
    base = normalize_instance_url(instance_url)
    transport = _Transport()
    try:
        client_id, client_secret = Mastodon.create_app(
            app_name, scopes=SCOPES, redirect_uris=redirect_uri, website=website,
            api_base_url=base, request_timeout=timeout, session=transport.session,
            user_agent=USER_AGENT)
    except (MastodonError, KeyError, TypeError) as exc:
        refused = _refused("app registration", exc)
        if refused is not None:
            raise refused from None
        raise _answer_error("app registration", transport.last) from exc
    if transport.last is not None and not transport.last.ok:
        raise _answer_error("app registration", transport.last)
    return str(client_id), str(client_secret)


def authorization_url(instance_url: str, client_id: str, client_secret: str, redirect_uri: str,
                      state: str, *, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Where to send the owner to grant access: the instance's authorization endpoint (from its
    ``/.well-known/oauth-authorization-server`` when published, else ``/oauth/authorize``)."""
    base = normalize_instance_url(instance_url)
    transport = _Transport()
    client = _oauth_client(base, client_id, client_secret, transport, timeout)
    try:
        return client.auth_request_url(redirect_uris=redirect_uri, scopes=SCOPES, state=state,
                                       allow_http=base.startswith("http://"))
    except MastodonError as exc:
        raise _mastodon_error("authorization URL", exc) from exc


def exchange_code(instance_url: str, client_id: str, client_secret: str, code: str,
                  redirect_uri: str, *, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Trade the code of the OAuth callback for the account's access token."""
    base = normalize_instance_url(instance_url)
    transport = _Transport()
    client = _oauth_client(base, client_id, client_secret, transport, timeout)
    try:
        return str(client.log_in(code=code, redirect_uri=redirect_uri, scopes=SCOPES,
                                 allow_http=base.startswith("http://")))
    except MastodonIllegalArgumentError as exc:
        # log_in wraps every failure of the token request; its answer tells which it was
        refused = _refused("code exchange", exc)
        if refused is not None:
            raise refused from None
        token_answer = transport.last
        if token_answer is not None and token_answer.request.method == "POST":
            raise _answer_error("code exchange", token_answer, refused_is_auth=True) from exc
        if isinstance(exc.__context__, MastodonNetworkError):
            raise RetryableError("mastodon code exchange: no answer from the instance",
                                 platform=NETWORK) from exc
        raise FatalPlatformError(f"mastodon code exchange: {exc}", platform=NETWORK) from exc
    except MastodonAPIError as exc:  # granted fewer scopes than asked
        raise AuthError(f"mastodon code exchange: {exc.args[0]}", platform=NETWORK) from exc
    except MastodonError as exc:
        raise _mastodon_error("code exchange", exc) from exc


# --- errors and rate limits -----------------------------------------------------------------------

def _refused(what: str, exc: BaseException) -> outbound.InternalAddress | None:
    """The outbound guard's refusal, when that is what Mastodon.py wrapped."""
    found = outbound.found_refusal(exc)
    return None if found is None else outbound.InternalAddress(f"mastodon {what}: {found}")


def _mastodon_error(what: str, exc: MastodonError) -> ArrostoError:
    """Mastodon.py's exceptions → ours; HTTP statuses go through errors.error_for_status."""
    refused = _refused(what, exc)
    if refused is not None:
        return refused
    if isinstance(exc, MastodonNetworkError):
        return RetryableError(f"mastodon {what}: network error ({type(exc).__name__})",
                              platform=NETWORK)
    if isinstance(exc, MastodonRatelimitError):
        return RetryableError(f"mastodon {what}: rate limited", status=429, platform=NETWORK)
    if isinstance(exc, MastodonAPIError):
        args = exc.args
        status = args[1] if len(args) > 1 and isinstance(args[1], int) else None
        detail = args[3] if len(args) > 3 and args[3] else None
        if status is None:
            if isinstance(exc, MastodonUnauthorizedError):
                status = 401
            elif isinstance(exc, MastodonNotFoundError):
                status = 404
            elif isinstance(exc, MastodonServerError):
                status = 500
        message = f"mastodon {what}: " + (f"HTTP {status}" if status else str(args[0]))
        if detail:
            message += f" ({detail})"
        if status is not None:
            return error_for_status(status, message, platform=NETWORK)
        return FatalPlatformError(message, platform=NETWORK)
    return FatalPlatformError(f"mastodon {what}: {type(exc).__name__}: {exc}", platform=NETWORK)


def _retry_after(headers: Any) -> float | None:
    """Seconds to wait from an answer's headers: Retry-After, else X-RateLimit-Reset."""
    seconds = _retry_after_header(headers)
    return seconds if seconds is not None else _ratelimit_reset_header(headers)


def _retry_after_header(headers: Any) -> float | None:
    value = headers.get("Retry-After")
    if value:
        try:
            return max(float(value), 0.0)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
                return max((when - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)
            except (TypeError, ValueError):
                pass
    return None


def _ratelimit_reset_header(headers: Any) -> float | None:
    value = headers.get("X-RateLimit-Reset")
    if value and value.isdigit():  # GoToSocial sends a Unix time
        return max(int(value) - time.time(), 0.0)
    if value:
        try:
            when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)
            return max((when - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)
        except ValueError:
            pass
    return None


# --- turning statuses into text and records -------------------------------------------------------

class _Text(HTMLParser):
    """Status HTML → plain text: paragraphs and <br> become line breaks, entities unescaped,
    Mastodon's hidden parts of long links kept (the text then holds the whole URL)."""

    BLOCKS = {"p", "div", "blockquote", "li", "ul", "ol", "pre", "h1", "h2", "h3", "h4", "h5",
              "h6"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")
            if tag == "pre":
                self.pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n\n")
            if tag == "pre" and self.pre:
                self.pre -= 1

    def handle_data(self, data: str) -> None:
        self.parts.append(data if self.pre else re.sub(r"\s+", " ", data))


def html_to_text(content: str | None) -> str:
    if not content:
        return ""
    parser = _Text()
    parser.feed(content)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def hashtag_for(term: str) -> str | None:
    """``Miscela Vesuvio`` → ``miscelavesuvio``, ``Caffè`` → ``caffe`` (Mastodon folds case and
    accents of hashtags the same way); None when nothing usable is left or it is all digits."""
    out = []
    for ch in term.strip().lstrip("#"):
        base = unicodedata.normalize("NFKD", ch)
        if base[:1].isascii():  # a Latin letter with accents: keep the letter only
            out.extend(c for c in base if c.isascii() and (c.isalnum() or c == "_"))
        elif ch.isalnum() or ch == "_":  # other scripts keep their characters
            out.append(ch)
    tag = "".join(out).lower()
    return tag if tag and not tag.isdigit() else None


def _normalised(text: str) -> str:
    """For recognising our own post: mentions out (the instance shows "@user" for the
    "@user@domain" we wrote), whitespace collapsed, case folded."""
    return " ".join(MENTION.sub(" ", unicodedata.normalize("NFC", text)).split()).casefold()


def _id_key(value: Any) -> tuple[int, str]:
    """Order of Mastodon ids: strings of digits (or same-length ULIDs elsewhere)."""
    text = str(value)
    return len(text), text


def _field(obj: Any, name: str, default: Any = None) -> Any:
    try:
        value = obj[name]
    except (KeyError, TypeError, IndexError):
        return default
    return default if value is None else value


# --- the network ---------------------------------------------------------------------------------

class MastodonNetwork(SocialNetwork):
    """The shop's account on one Mastodon instance.

    ``account.instance_url`` names the instance; ``account.credentials`` is JSON with
    ``client_id``, ``client_secret`` (the app registered there) and ``access_token``.
    ``account.external_id`` is the shop's account id on its instance (looked up once when
    missing, and set on the account for the caller to keep). Options: ``request_timeout``."""

    name = NETWORK
    capabilities = Capabilities(max_length=500, can_dm=True, can_follow=True,
                                idempotent_posting=True)

    def __init__(self, account: SocialAccount, *, sleep: Callable[[float], None] = time.sleep,
                 max_wait: float = 900.0, **options: Any):
        super().__init__(account, sleep=sleep, max_wait=max_wait, **options)
        self.base_url = normalize_instance_url(account.instance_url)
        self.host = urlsplit(self.base_url).netloc
        try:
            credentials = json.loads(account.credentials or "")
        except ValueError:
            credentials = None
        if not isinstance(credentials, dict) or not credentials.get("access_token"):
            raise ConfigError(f"SocialAccount.credentials of mastodon account {account.handle!r}:"
                              " no access_token; connect the account again")
        self.transport = _Transport()
        self.client = Mastodon(
            api_base_url=self.base_url, access_token=str(credentials["access_token"]),
            ratelimit_method="throw",  # we wait ourselves, through self.sleep
            request_timeout=float(options.get("request_timeout", DEFAULT_TIMEOUT)),
            version_check_mode="none", session=self.transport.session, user_agent=USER_AGENT)
        self._own_id: str | None = str(account.external_id) if account.external_id else None

    def __repr__(self) -> str:  # never the credentials
        return f"<MastodonNetwork {self.account.handle}@{self.host}>"

    # calling Mastodon.py -----------------------------------------------------------------------
    def _call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One API call, waiting out rate limits up to ``max_wait`` and mapping errors."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn(*args, **kwargs)
            except MastodonRatelimitError:
                wait = self._rate_limit_wait()
                self.wait_out_rate_limit(
                    wait, attempt - 1, RATE_LIMIT_ATTEMPTS - 1,
                    f"mastodon {what}: rate limited on {self.host}, resets in {wait:.0f}s")
            except MastodonError as exc:
                error = _mastodon_error(what, exc)
                log.info("mastodon %s on %s failed: %s", what, self.host, error)
                raise error from exc

    def _rate_limit_wait(self) -> float:
        """Seconds until the limit resets: a proxy's Retry-After on the 429 first, then the
        X-RateLimit-Reset Mastodon.py read from it (corrected for the server's clock; dropped
        when already past, and then the header itself says so)."""
        headers = self.transport.last.headers if self.transport.last is not None else {}
        seconds = _retry_after_header(headers)
        if seconds is None and self.client.ratelimit_reset is not None:
            seconds = max(float(self.client.ratelimit_reset) - time.time(), 0.0)
        if seconds is None:
            seconds = _ratelimit_reset_header(headers)
        return RATE_LIMIT_FALLBACK_WAIT if seconds is None else seconds + RATE_LIMIT_MARGIN

    def own_id(self) -> str:
        """The shop's account id on its instance."""
        if self._own_id is None:
            me = self._call("verify credentials", self.client.account_verify_credentials)
            self._own_id = str(me["id"])
            self.account.external_id = self._own_id
        return self._own_id

    def verify_account(self) -> str:
        """The account the access token belongs to, as ``user@instance``; its id and display
        name are set on ``account`` for the caller to keep."""
        me = self._call("verify credentials", self.client.account_verify_credentials)
        self._own_id = self.account.external_id = str(me["id"])
        self.account.display_name = _field(me, "display_name") or self.account.display_name
        return self._acct(str(me["acct"]))

    def load_capabilities(self) -> Capabilities:
        """This instance's post length limit (``configuration.statuses.max_characters`` of
        ``/api/v2/instance``, else ``/api/v1/instance``), set on this object's capabilities."""
        limit = None
        for version, fetch in (("v2", self.client.instance_v2), ("v1", self.client.instance_v1)):
            try:
                info = self._call(f"instance {version}", fetch)
            except (FatalPlatformError, RetryableError):
                continue
            statuses = _field(_field(info, "configuration", {}), "statuses", {})
            limit = _field(statuses, "max_characters") or _field(info, "max_toot_chars")
            if limit:
                break
        caps = type(self).capabilities
        if limit:
            caps = replace(caps, max_length=int(limit))
        self.capabilities = caps  # type: ignore[misc]  # this instance's limit, not the default
        return caps

    # reading -----------------------------------------------------------------------------------
    def build_queries(self, terms: list[str], languages: list[str]) -> list[str]:
        """``#tag`` per term (hashtag timelines), then one full-text query per term: a phrase in
        quotes, with ``language:xx`` when only one language is asked for (Mastodon's search has
        no "or" between languages). Terms too long for a query are left to the hashtags."""
        max_len = self.capabilities.query_max_length
        queries: list[str] = []
        cleaned = [" ".join(t.split()) for t in terms if t and t.strip()]
        for term in cleaned:
            tag = hashtag_for(term)
            if tag and f"#{tag}" not in queries and len(tag) < max_len:
                queries.append(f"#{tag}")
        suffix = f" language:{languages[0]}" if len(languages) == 1 else ""
        for term in cleaned:
            if term.startswith("#"):
                continue
            text = term.replace('"', "")
            query = (f'"{text}"' if " " in text else text) + suffix
            if text and len(query) <= max_len and query not in queries:
                queries.append(query)
        return queries

    def search(self, query: str, since: str | None, *, limit: int | None = None) -> Batch:
        query = query.strip()
        match = HASHTAG_QUERY.fullmatch(query)
        if match:
            tag = match.group(1)
            return self._walk(
                lambda **kw: self._call(f"#{tag}", self.client.timeline_hashtag, tag, **kw),
                since, limit, self._post)
        return self._text_search(query, since, limit)

    def mentions(self, since: str | None, *, limit: int | None = None) -> Batch:
        """Mentions of the shop from its notifications; the checkpoint is the newest
        notification id (what ``/api/v1/notifications`` pages on), not a status id."""
        batch = self._walk(
            lambda **kw: self._call("mentions", self.client.notifications, types=["mention"],
                                    **kw),
            since, limit, self._mention)
        for post in batch.posts:
            if post.reply_to_id:
                post.thread_id = self._thread_root(post.external_id)
        return batch

    def _walk(self, fetch: Callable[..., Any], since: str | None, limit: int | None,
              convert: Callable[[Any], PostData | None]) -> Batch:
        """Page a newest-first list (statuses or notifications) past ``since``.

        With a checkpoint: pages of ``min_id`` (each the items just after it), oldest first,
        so stopping at ``limit`` leaves nothing unread below the new checkpoint. Without one
        (first run): the newest page, and older pages (``max_id``) only while ``limit`` asks."""
        if limit is not None and limit <= 0:
            return Batch(posts=[])
        posts: list[PostData] = []
        reads = 0
        if since is None:
            newest: str | None = None
            max_id: str | None = None
            for _ in range(MAX_PAGES):
                size = _page_size(limit, len(posts))
                page = list(fetch(limit=size, **({"max_id": max_id} if max_id else {})))
                reads += len(page)
                for item in page:
                    if newest is None or _id_key(item["id"]) > _id_key(newest):
                        newest = str(item["id"])
                    post = convert(item)
                    if post is not None and (limit is None or len(posts) < limit):
                        posts.append(post)
                if not page or len(page) < size or limit is None or len(posts) >= limit:
                    break
                max_id = str(min((item["id"] for item in page), key=_id_key))
            posts.sort(key=lambda p: _id_key(p.external_id))
            return Batch(posts=posts, checkpoint=newest, reads=reads)
        cursor = since
        for _ in range(MAX_PAGES):
            if limit is not None and len(posts) >= limit:
                break
            size = _page_size(limit, len(posts))
            page = list(fetch(min_id=cursor, limit=size))
            reads += len(page)
            start, full = cursor, False
            for item in sorted(page, key=lambda i: _id_key(i["id"])):
                if _id_key(item["id"]) <= _id_key(cursor):
                    continue
                if limit is not None and len(posts) >= limit:
                    full = True
                    break
                cursor = str(item["id"])
                post = convert(item)
                if post is not None:
                    posts.append(post)
            if full or len(page) < size or cursor == start:  # (a server ignoring min_id)
                break
        return Batch(posts=posts, checkpoint=cursor if cursor != since else None, reads=reads)

    def _text_search(self, query: str, since: str | None, limit: int | None) -> Batch:
        if limit is not None and limit <= 0:
            return Batch(posts=[])
        size = _page_size(limit, 0)
        found: dict[str, Any] = {}
        reads = 0
        try:
            for page_no in range(TEXT_SEARCH_PAGES):
                kwargs: dict[str, Any] = {"result_type": "statuses", "resolve": False,
                                          "exclude_unreviewed": False, "limit": size}
                if since:
                    kwargs["min_id"] = since
                if page_no:
                    kwargs["offset"] = page_no * size
                result = self._call("search", self.client.search_v2, query, **kwargs)
                statuses = list(_field(result, "statuses", []))
                reads += len(statuses)
                for status in statuses:
                    found[str(status["id"])] = status
                if len(statuses) < size or (limit is not None and len(found) >= limit):
                    break
        except AuthError:
            raise
        except RetryableError as exc:
            if exc.status == 429:
                raise
            log.warning("mastodon full-text search on %s failed, skipped: %s", self.host, exc)
            return Batch(posts=[], reads=reads)
        except FatalPlatformError as exc:
            log.warning("mastodon full-text search on %s unavailable, skipped: %s",
                        self.host, exc)
            return Batch(posts=[], reads=reads)
        posts: list[PostData] = []
        checkpoint: str | None = None
        for key in sorted(found, key=_id_key):
            if since is not None and _id_key(key) <= _id_key(since):
                continue  # an instance that ignored min_id
            if limit is not None and len(posts) >= limit:
                break
            checkpoint = key
            post = self._post(found[key])
            if post is not None:
                posts.append(post)
        return Batch(posts=posts, checkpoint=checkpoint, reads=reads)

    def _mention(self, notification: Any) -> PostData | None:
        status = _field(notification, "status")
        if _field(notification, "type") != "mention" or status is None:
            return None
        return self._post(status, addresses_shop=True)

    def _thread_root(self, status_id: str) -> str | None:
        """The first post of the thread a reply belongs to (None when it cannot be seen)."""
        try:
            context = self._call("thread", self.client.status_context, status_id)
        except AuthError:
            raise
        except PlatformError:
            return None
        ancestors = _field(context, "ancestors", [])
        return str(ancestors[0]["id"]) if ancestors else None

    def _acct(self, acct: str) -> str:
        """user@instance for everyone: local accounts' acct has no domain."""
        acct = acct.lstrip("@")
        return acct if "@" in acct else f"{acct}@{self.host}"

    def _post(self, status: Any, *, addresses_shop: bool = False) -> PostData | None:
        if _field(status, "reblog") is not None:
            return None  # a boost repeats a post; the original comes on its own
        account = status["account"]
        own = self.own_id()
        mentioned = {str(m["id"]) for m in _field(status, "mentions", [])}
        reply_to_account = _field(status, "in_reply_to_account_id")
        text = html_to_text(_field(status, "content", ""))
        warning = _field(status, "spoiler_text", "")
        if warning:  # the content warning often names the subject
            text = f"{warning}\n\n{text}" if text else warning
        created = status["created_at"]
        if isinstance(created, str):
            created = dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
        if created.tzinfo is None:
            created = created.replace(tzinfo=dt.UTC)
        reply_to = _field(status, "in_reply_to_id")
        metrics = {"likes": int(_field(status, "favourites_count", 0)),
                   "reposts": int(_field(status, "reblogs_count", 0)),
                   "replies": int(_field(status, "replies_count", 0))}
        if _field(status, "quotes_count") is not None:
            metrics["quotes"] = int(status["quotes_count"])
        return PostData(
            network=NETWORK, external_id=str(status["id"]), author_id=str(account["id"]),
            author_handle=self._acct(str(account["acct"])),
            author_name=_field(account, "display_name") or None, text=text,
            created_at=created.astimezone(dt.UTC), lang=_field(status, "language"),
            url=_field(status, "url") or _field(status, "uri"),
            reply_to_id=str(reply_to) if reply_to else None,
            thread_id=None if reply_to else str(status["id"]), metrics=metrics,
            addresses_shop=addresses_shop or own in mentioned
            or (reply_to_account is not None and str(reply_to_account) == own),
            is_dm=_field(status, "visibility") == "direct")

    # writing -----------------------------------------------------------------------------------
    def _sent(self, status: Any) -> Sent:
        return Sent(external_id=str(status["id"]),
                    url=_field(status, "url") or _field(status, "uri"))

    def _with_mention(self, text: str, acct: str) -> str:
        """Mastodon notifies only the accounts a status mentions: start with theirs."""
        user, _, domain = self._acct(acct).partition("@")
        pattern = rf"(?<![\w@/])@{re.escape(user)}(?:@{re.escape(domain)})?(?![\w@.\-])"
        if re.search(pattern, text, re.IGNORECASE):
            return text
        return f"@{user}@{domain} {text}"

    def reply(self, post: PostData, text: str, *, idempotency_key: str) -> Sent:
        """A reply as visible as the post it answers: public to public, followers-only to
        followers-only, direct (mentioning only the author) to a direct message."""
        if post.is_dm:
            visibility = "direct"
        else:
            original = self._call("status", self.client.status, post.external_id)
            visibility = _field(original, "visibility", "public")
            if visibility not in VISIBILITIES:  # e.g. "limited": keep it private
                visibility = "private"
        if post.author_id != self._own_id:
            text = self._with_mention(text, post.author_handle)
        status = self._call("reply", self.client.status_post, text,
                            in_reply_to_id=post.external_id, visibility=visibility,
                            idempotency_key=idempotency_key)
        return self._sent(status)

    def publish(self, text: str, *, idempotency_key: str) -> Sent:
        status = self._call("post", self.client.status_post, text, visibility="public",
                            idempotency_key=idempotency_key)
        return self._sent(status)

    def direct_message(self, user_id: str, text: str, *, idempotency_key: str) -> Sent:
        """A direct-visibility status mentioning the person (by account id, or by
        ``user@instance``)."""
        if "@" in user_id.lstrip("@"):
            acct = user_id
        else:
            acct = str(self._call("account", self.client.account, user_id)["acct"])
        status = self._call("direct message", self.client.status_post,
                            self._with_mention(text, acct), visibility="direct",
                            idempotency_key=idempotency_key)
        return self._sent(status)

    def follow(self, user_id: str) -> None:
        self._call("follow", self.client.account_follow, user_id)

    def find_sent(self, text: str, since: dt.datetime) -> Sent | None:
        """The shop's own status with this text (mentions aside) since ``since``."""
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        target = _normalised(text)
        own = self.own_id()
        max_id: str | None = None
        for _ in range(FIND_SENT_PAGES):
            page = list(self._call("own statuses", self.client.account_statuses, own,
                                   exclude_reblogs=True, limit=PAGE_SIZE,
                                   **({"max_id": max_id} if max_id else {})))
            for status in page:
                if status["created_at"] < since:
                    return None
                if _normalised(html_to_text(_field(status, "content", ""))) == target:
                    return self._sent(status)
            if len(page) < PAGE_SIZE:
                return None
            max_id = str(min((s["id"] for s in page), key=_id_key))
        return None


def _page_size(limit: int | None, have: int) -> int:
    return PAGE_SIZE if limit is None else max(1, min(PAGE_SIZE, limit - have))
