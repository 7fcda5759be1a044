"""The Mastodon network, through Mastodon.py on the REST API of any instance (v1; v2 for search
and instance).

Follows https://docs.joinmastodon.org/: methods/timelines (``/api/v1/timelines/tag/:hashtag``),
methods/search (``/api/v2/search``), methods/notifications, methods/statuses (``Idempotency-Key``),
methods/accounts, methods/instance, entities/Status, api/guidelines (paginating with
``min_id``/``max_id``, ids are strings) and api/rate-limits (``X-RateLimit-*``). Connecting an
account: :mod:`.oauth`; the instance's address: :mod:`.instance`; its errors: :mod:`.answers`.

Query format (what :meth:`MastodonNetwork.build_queries` returns and :meth:`~MastodonNetwork.search`
takes): ``#tag`` — one word after ``#``, no spaces — reads the hashtag timeline, the reliable
way to find posts; anything else is a full-text ``/api/v2/search`` query, which finds only posts
whose authors opted in to search, on instances that run a search engine (an empty answer or a
failure there is logged, never fatal).
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from mastodon import MastodonError, MastodonRatelimitError

from ...errors import (
    ArrostoError,
    AuthError,
    ConfigError,
    FatalPlatformError,
    PlatformError,
    RetryableError,
)
from ..base import (
    Batch,
    Capabilities,
    PostData,
    Sent,
    SocialNetwork,
    aware,
    page_size,
    read_credentials,
)
from .answers import NETWORK, error_for, rate_limit_wait
from .instance import DEFAULT_TIMEOUT, Transport, client, normalize_instance_url
from .statuses import field, hashtag_for, html_to_text, id_key, own_text

if TYPE_CHECKING:
    from ...models import SocialAccount

log = logging.getLogger(__name__)

PAGE_SIZE = 40  # the most a timeline, notifications or search page returns
MAX_PAGES = 25  # per call: catching up on 1000 posts is enough for one run
TEXT_SEARCH_PAGES = 5
FIND_SENT_PAGES = 5

HASHTAG_QUERY = re.compile(r"#(\w+)")
VISIBILITIES = ("public", "unlisted", "private", "direct")


class MastodonNetwork(SocialNetwork):
    """The shop's account on one Mastodon instance.

    ``account.instance_url`` names the instance; ``account.credentials`` is JSON with
    ``client_id``, ``client_secret`` (the app registered there) and ``access_token``.
    ``account.external_id`` is the shop's account id on its instance (looked up once when
    missing, and set on the account for the caller to keep). Options: ``request_timeout``."""

    name = NETWORK
    capabilities = Capabilities(max_length=500, can_dm=True, can_follow=True,
                                idempotent_posting=True)

    rate_limit_waits: ClassVar[int] = 2

    def __init__(self, account: SocialAccount, **options: Any):
        super().__init__(account, **options)
        self.base_url = normalize_instance_url(account.instance_url)
        self.host = urlsplit(self.base_url).netloc
        what = f"SocialAccount.credentials of mastodon account {account.handle!r}"
        credentials = read_credentials(account, what)
        if not credentials.get("access_token"):
            raise ConfigError(f"{what}: no access_token; connect the account again")
        self.transport = Transport()
        self.client = client(self.base_url, self.transport,
                             float(options.get("request_timeout", DEFAULT_TIMEOUT)),
                             access_token=str(credentials["access_token"]))
        self._own_id: str | None = str(account.external_id) if account.external_id else None

    def __repr__(self) -> str:  # never the credentials
        return f"<MastodonNetwork {self.account.handle}@{self.host}>"

    # calling Mastodon.py -----------------------------------------------------------------------
    def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self.calling(what, lambda: fn(*args, **kwargs))

    def translate(self, exc: BaseException, what: str) -> ArrostoError | None:
        if isinstance(exc, MastodonRatelimitError):
            headers = self.transport.last.headers if self.transport.last is not None else {}
            wait = rate_limit_wait(headers, self.client.ratelimit_reset)
            return RetryableError(
                f"mastodon {what}: rate limited on {self.host}, resets in {wait:.0f}s",
                status=429, platform=NETWORK, retry_after=wait)
        if not isinstance(exc, MastodonError):
            return None
        error = error_for(what, exc)
        log.info("mastodon %s on %s failed: %s", what, self.host, error)
        return error

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
        self.account.display_name = field(me, "display_name") or self.account.display_name
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
            statuses = field(field(info, "configuration", {}), "statuses", {})
            limit = field(statuses, "max_characters") or field(info, "max_toot_chars")
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
                size = page_size(limit, len(posts), PAGE_SIZE)
                page = list(fetch(limit=size, **({"max_id": max_id} if max_id else {})))
                reads += len(page)
                for item in page:
                    if newest is None or id_key(item["id"]) > id_key(newest):
                        newest = str(item["id"])
                    post = convert(item)
                    if post is not None and (limit is None or len(posts) < limit):
                        posts.append(post)
                if not page or len(page) < size or limit is None or len(posts) >= limit:
                    break
                max_id = str(min((item["id"] for item in page), key=id_key))
            posts.sort(key=lambda p: id_key(p.external_id))
            return Batch(posts=posts, checkpoint=newest, reads=reads)
        cursor = since
        for _ in range(MAX_PAGES):
            if limit is not None and len(posts) >= limit:
                break
            size = page_size(limit, len(posts), PAGE_SIZE)
            page = list(fetch(min_id=cursor, limit=size))
            reads += len(page)
            start, full = cursor, False
            for item in sorted(page, key=lambda i: id_key(i["id"])):
                if id_key(item["id"]) <= id_key(cursor):
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
        size = page_size(limit, 0, PAGE_SIZE)
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
                statuses = list(field(result, "statuses", []))
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
        for key in sorted(found, key=id_key):
            if since is not None and id_key(key) <= id_key(since):
                continue  # an instance that ignored min_id
            if limit is not None and len(posts) >= limit:
                break
            checkpoint = key
            post = self._post(found[key])
            if post is not None:
                posts.append(post)
        return Batch(posts=posts, checkpoint=checkpoint, reads=reads)

    def _mention(self, notification: Any) -> PostData | None:
        status = field(notification, "status")
        if field(notification, "type") != "mention" or status is None:
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
        ancestors = field(context, "ancestors", [])
        return str(ancestors[0]["id"]) if ancestors else None

    def _acct(self, acct: str) -> str:
        """user@instance for everyone: local accounts' acct has no domain."""
        acct = acct.lstrip("@")
        return acct if "@" in acct else f"{acct}@{self.host}"

    def _post(self, status: Any, *, addresses_shop: bool = False) -> PostData | None:
        if field(status, "reblog") is not None:
            return None  # a boost repeats a post; the original comes on its own
        account = status["account"]
        own = self.own_id()
        mentioned = {str(m["id"]) for m in field(status, "mentions", [])}
        reply_to_account = field(status, "in_reply_to_account_id")
        text = html_to_text(field(status, "content", ""))
        warning = field(status, "spoiler_text", "")
        if warning:  # the content warning often names the subject
            text = f"{warning}\n\n{text}" if text else warning
        created = status["created_at"]
        if isinstance(created, str):
            created = dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
        if created.tzinfo is None:
            created = created.replace(tzinfo=dt.UTC)
        reply_to = field(status, "in_reply_to_id")
        metrics = {"likes": int(field(status, "favourites_count", 0)),
                   "reposts": int(field(status, "reblogs_count", 0)),
                   "replies": int(field(status, "replies_count", 0))}
        if field(status, "quotes_count") is not None:
            metrics["quotes"] = int(status["quotes_count"])
        return PostData(
            network=NETWORK, external_id=str(status["id"]), author_id=str(account["id"]),
            author_handle=self._acct(str(account["acct"])),
            author_name=field(account, "display_name") or None, text=text,
            created_at=created.astimezone(dt.UTC), lang=field(status, "language"),
            url=field(status, "url") or field(status, "uri"),
            reply_to_id=str(reply_to) if reply_to else None,
            thread_id=None if reply_to else str(status["id"]), metrics=metrics,
            addresses_shop=addresses_shop or own in mentioned
            or (reply_to_account is not None and str(reply_to_account) == own),
            is_dm=field(status, "visibility") == "direct")

    # writing -----------------------------------------------------------------------------------
    def _sent(self, status: Any) -> Sent:
        return Sent(external_id=str(status["id"]),
                    url=field(status, "url") or field(status, "uri"))

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
            visibility = field(original, "visibility", "public")
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
        since = aware(since)
        target = own_text(text)
        own = self.own_id()
        max_id: str | None = None
        for _ in range(FIND_SENT_PAGES):
            page = list(self._call("own statuses", self.client.account_statuses, own,
                                   exclude_reblogs=True, limit=PAGE_SIZE,
                                   **({"max_id": max_id} if max_id else {})))
            for status in page:
                if status["created_at"] < since:
                    return None
                if own_text(html_to_text(field(status, "content", ""))) == target:
                    return self._sent(status)
            if len(page) < PAGE_SIZE:
                return None
            max_id = str(min((s["id"] for s in page), key=id_key))
        return None

