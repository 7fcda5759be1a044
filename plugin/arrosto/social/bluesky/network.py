"""The Bluesky network, over the AT Protocol with the ``atproto`` SDK (its httpx client).

Lexicons followed (github.com/bluesky-social/atproto, ``lexicons/``): app.bsky.feed.searchPosts,
getPosts, getAuthorFeed, app.bsky.feed.post (replyRef), app.bsky.richtext.facet (mentions as
UTF-8 byte slices), app.bsky.notification.listNotifications, app.bsky.graph.follow,
com.atproto.server.createSession/refreshSession, com.atproto.repo.createRecord,
com.atproto.identity.resolveHandle. Docs: docs.bsky.app "Rate Limits" (``ratelimit-*`` headers;
createSession 30 per 5 minutes and 300 a day per account, hence the stored session), "Posts"
(300 graphemes, replies, facets) and the search tips of bsky.social/about/blog/05-31-2024-search.
Text and record formats: :mod:`.text`; what the server answers: :mod:`.answers`.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from atproto_client import Client, models
from atproto_client.client.session import Session, SessionEvent
from atproto_client.request import Request
from atproto_client.utils import facet_detection
from atproto_core.exceptions import AtProtocolError

from ... import outbound
from ...errors import ArrostoError, AuthError, ConfigError, FatalPlatformError
from ..base import (
    Batch,
    Capabilities,
    NotSupported,
    PostData,
    Sent,
    SocialNetwork,
    aware,
    comparable,
    page_size,
    read_credentials,
)
from .answers import error_for, login_error_for, reason, session_refused, status
from .text import (
    MAX_GRAPHEMES,
    QUERY_MAX_LENGTH,
    build_queries,
    check_length,
    format_time,
    parse_time,
    post_url,
    sort_at,
    split_query,
    uri_authority,
)

if TYPE_CHECKING:
    from ...models import SocialAccount

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_SERVICE = "https://bsky.social"
PAGE_SIZE = 100  # searchPosts and listNotifications: limit 1..100
GET_POSTS_MAX = 25  # getPosts: at most 25 uris a call
AUTHOR_FEED_PAGES = 5  # find_sent looks at most this many pages (50 posts each) back
MENTION_REASONS = ("mention", "reply", "quote")


class BlueskyNetwork(SocialNetwork):
    """The shop's Bluesky account, logged in with an app password.

    ``account.credentials`` is JSON: ``{"handle": ..., "app_password": ...}`` (``"password"`` is
    accepted too) and optionally ``"service"``, the PDS or entryway URL (else
    ``account.instance_url``, else bsky.social). The session is kept in ``account.session_string``
    and reused; every new or refreshed session is written back there for the caller to commit.

    The service, and the PDS its sessions name, are someone else's to choose: requests go
    through :class:`arrosto.outbound.GuardedTransport` (public addresses only, every redirect
    checked) unless a test gives its own transport.

    Options: ``transport`` (an httpx transport, for tests), ``timeout`` (seconds, 30),
    ``clock`` (epoch seconds, for ``ratelimit-reset``), ``language`` (``langs`` of published posts).

    Direct messages are not offered: Bluesky chat is a separate service reached through the
    ``atproto-proxy: did:web:api.bsky.chat#bsky_chat`` header, and only with an app password
    created with "allow access to your direct messages".
    """

    name = "bluesky"
    capabilities = Capabilities(max_length=MAX_GRAPHEMES, can_dm=False, can_follow=True,
                                query_max_length=QUERY_MAX_LENGTH)

    def __init__(self, account: SocialAccount, **options: Any):
        super().__init__(account, **options)
        self._handle, self._password, service = _read_credentials(account)
        self._service = _service_url(options.get("service") or service)
        self._clock: Callable[[], float] = options.get("clock", time.time)
        self._client: Client | None = None
        self._did: str | None = None
        self._own_handle: str | None = None
        # strong refs of posts seen by this object: uri -> (the post, the root of its thread)
        self._refs: dict[str, tuple[models.ComAtprotoRepoStrongRef.Main,
                                    models.ComAtprotoRepoStrongRef.Main]] = {}

    def __repr__(self) -> str:  # never the credentials
        return f"<BlueskyNetwork {self._handle}>"

    # reading -------------------------------------------------------------------------------------
    def build_queries(self, terms: list[str], languages: list[str]) -> list[str]:
        return build_queries(terms, languages)

    def search(self, query: str, since: str | None, *, limit: int | None = None) -> Batch:
        """Newest first (``sort=latest``), paged by cursor until ``limit`` or the last page.

        ``since`` goes to the server, which compares it inclusively with the posts' ``sortAt``
        (the earlier of ``createdAt`` and ``indexedAt``); posts at or before it are dropped here
        too, so the newest post of the last run does not come back. The checkpoint is the newest
        ``sortAt`` returned. When ``limit`` cuts a run short, older matches since the last
        checkpoint are skipped for good: the limit is a budget."""
        q, lang = split_query(query)
        since_at = parse_time(since)
        posts: list[PostData] = []
        newest: dt.datetime | None = None
        reads = 0
        cursor: str | None = None
        cursors: set[str] = set()
        while limit is None or len(posts) < limit:
            params: dict[str, Any] = {"q": q, "sort": "latest",
                                      "limit": page_size(limit, len(posts), PAGE_SIZE)}
            if since:
                params["since"] = since
            if lang:
                params["lang"] = lang
            if cursor:
                params["cursor"] = cursor
            response = self._call(
                "searchPosts", lambda c, p=params: c.app.bsky.feed.search_posts(params=p))
            reads += len(response.posts)
            fresh = [v for v in response.posts if since_at is None or sort_at(v) > since_at]
            for view in fresh[:None if limit is None else limit - len(posts)]:
                posts.append(self._post_data(view))
                newest = max(newest or sort_at(view), sort_at(view))
            cursor = response.cursor
            if (not cursor or cursor in cursors or not response.posts
                    or len(fresh) < len(response.posts)):
                break  # last page, a server repeating itself, or back at ``since``
            cursors.add(cursor)
        return Batch(posts=posts, checkpoint=format_time(newest) if newest else None, reads=reads)

    def mentions(self, since: str | None, *, limit: int | None = None) -> Batch:
        """Mentions, replies and quotes of the shop's account from its notifications (newest
        first, read back to ``since``), as full posts from getPosts. The checkpoint is the
        newest notification's ``indexedAt``."""
        since_at = parse_time(since)
        notes: list[str] = []
        newest: dt.datetime | None = None
        cursor: str | None = None
        done = False
        while not done and (limit is None or len(notes) < limit):
            params: dict[str, Any] = {"reasons": list(MENTION_REASONS),
                                      "limit": page_size(limit, len(notes), PAGE_SIZE)}
            if cursor:
                params["cursor"] = cursor
            response = self._call(
                "listNotifications",
                lambda c, p=params: c.app.bsky.notification.list_notifications(params=p))
            for note in response.notifications:
                at = parse_time(note.indexed_at)
                if at is None or (since_at is not None and at <= since_at) or (
                        limit is not None and len(notes) >= limit):
                    done = True
                    break
                newest = max(newest or at, at)
                if note.reason in MENTION_REASONS and note.uri not in notes:
                    notes.append(note.uri)
            if not response.cursor or response.cursor == cursor or not response.notifications:
                break
            cursor = response.cursor
        views: dict[str, models.AppBskyFeedDefs.PostView] = {}
        for start in range(0, len(notes), GET_POSTS_MAX):
            chunk = notes[start:start + GET_POSTS_MAX]
            response = self._call("getPosts", lambda c, u=chunk: c.get_posts(u))
            views.update((v.uri, v) for v in response.posts)
        posts = [self._post_data(views[uri], addresses_shop=True) for uri in notes
                 if uri in views]  # a post deleted since its notification is gone
        return Batch(posts=posts, checkpoint=format_time(newest) if newest else None,
                     reads=len(views))

    # writing -------------------------------------------------------------------------------------
    def reply(self, post: PostData, text: str, *, idempotency_key: str) -> Sent:
        """A reply in the post's thread. Bluesky takes no idempotency key: after an unknown
        outcome the outbox asks :meth:`find_sent` before sending again."""
        check_length(text)
        parent, root = self._thread_refs(post.external_id)
        known = ({post.author_handle.lower().lstrip("@"): post.author_id}
                 if post.author_id.startswith("did:") else {})
        facets = self._facets(text, known)
        reply_to = models.AppBskyFeedPost.ReplyRef(parent=parent, root=root)
        langs = [post.lang] if post.lang else self._langs()
        sent = self._send(text, reply_to=reply_to, facets=facets, langs=langs)
        log.info("bluesky: replied to %s as %s (%s)", post.external_id, sent.external_id,
                 idempotency_key)
        return sent

    def publish(self, text: str, *, idempotency_key: str) -> Sent:
        check_length(text)
        sent = self._send(text, reply_to=None, facets=self._facets(text, {}), langs=self._langs())
        log.info("bluesky: posted %s (%s)", sent.external_id, idempotency_key)
        return sent

    def direct_message(self, user_id: str, text: str, *, idempotency_key: str) -> Sent:
        raise NotSupported("bluesky: direct messages go through the separate chat service "
                           "(atproto-proxy did:web:api.bsky.chat), which Arrosto does not use")

    def follow(self, user_id: str) -> None:
        """Follow an account by DID (a handle is resolved first)."""
        subject = user_id if user_id.startswith("did:") else self._resolve(user_id)
        if subject is None:
            raise FatalPlatformError(f"bluesky: no account {user_id!r}", platform=self.name)
        record = models.AppBskyGraphFollow.Record(
            created_at=format_time(dt.datetime.now(dt.UTC)), subject=subject)
        # client.follow() wants client.me, which costs a getProfile at every login; the record
        # it writes is this one, in the repository of the session's DID
        self._call("createRecord",
                   lambda c: c.app.bsky.graph.follow.create(self._own_did(), record))
        log.info("bluesky: followed %s", subject)

    def find_sent(self, text: str, since: dt.datetime) -> Sent | None:
        """The shop's own post with this text (compared without case and spacing differences)
        written since ``since``, from its author feed."""
        since = aware(since)
        wanted = comparable(text)
        did = self._own_did()
        cursor: str | None = None
        for _ in range(AUTHOR_FEED_PAGES):
            response = self._call(
                "getAuthorFeed",
                lambda c, k=cursor: c.get_author_feed(actor=did, cursor=k,
                                                      filter="posts_with_replies", limit=50))
            for item in response.feed:
                view = item.post
                if item.reason is not None or view.author.did != did:
                    continue  # a repost, or another author's post in a thread
                if sort_at(view) < since:
                    return None
                if comparable(getattr(view.record, "text", "") or "") == wanted:
                    return Sent(external_id=view.uri, url=post_url(view.author.handle, view.uri))
            if not response.cursor:
                return None
            cursor = response.cursor
        return None

    # session -------------------------------------------------------------------------------------
    def log_in(self) -> str:
        """Log in with the app password now, whatever session is stored: how an app password
        is checked before it is saved. The new session is in ``account.session_string``, the DID
        in ``account.external_id``; returns the handle as the server spells it."""
        self.account.session_string = None
        self.account.external_id = None
        self._client = None
        self._connect()
        return self._own_handle or self._handle

    def _connect(self) -> Client:
        """The client, with the stored session if there is one: logging in is rate limited, so
        the app password is used only without a session or when the server refuses it."""
        if self._client is not None:
            return self._client
        request = Request(transport=self.options.get("transport") or outbound.GuardedTransport(),
                          timeout=self.options.get("timeout", 30.0))
        client = Client(base_url=self._service, request=request)
        client.on_session_change(self._session_changed)
        stored = self.account.session_string
        resumed = False
        if stored:
            try:
                client.login(session_string=stored, fetch_bsky_profile=False)  # makes no request
                resumed = True
            except (ValueError, AtProtocolError):
                log.warning("bluesky: stored session of %s unreadable, logging in", self._handle)
        if not resumed:
            self._login(client)
        self._client = client
        return client

    def _session_changed(self, event: SessionEvent, session: Session) -> None:
        self._did, self._own_handle = session.did, session.handle
        if event in (SessionEvent.CREATE, SessionEvent.REFRESH):
            self.account.session_string = session.encode()
            log.info("bluesky: session of %s %s", session.handle,
                     "created" if event is SessionEvent.CREATE else "refreshed")
        if not self.account.external_id:
            self.account.external_id = session.did

    def _login(self, client: Client) -> None:
        log.info("bluesky: logging in as %s", self._handle)
        self.calling("createSession",
                     lambda: client.login(self._handle, self._password, fetch_bsky_profile=False),
                     translate=lambda exc, _what: login_error_for(exc, self._handle, self._clock()))

    def _own_did(self) -> str:
        self._connect()
        if self._did is None:  # pragma: no cover - every session carries its DID
            raise AuthError("bluesky: the session names no account", platform=self.name)
        return self._did

    # calls ---------------------------------------------------------------------------------------
    def _call(self, what: str, fn: Callable[[Client], T]) -> T:
        """Run one SDK call (rate limits waited out, errors turned into Arrosto's by
        :meth:`translate`); log in again once when the server refuses the session."""
        client = self._connect()
        try:
            return self.calling(what, lambda: fn(client))
        except Exception as exc:
            if not session_refused(exc):
                raise
            log.info("bluesky: session of %s refused (%s), logging in again", self._handle,
                     reason(exc))
        self._login(client)
        try:
            return self.calling(what, lambda: fn(client))
        except Exception as exc:
            if not session_refused(exc):
                raise
            raise AuthError(f"bluesky: {what} refused a new session: {reason(exc)}",
                            status=status(exc), platform=self.name) from None

    def translate(self, exc: BaseException, what: str) -> ArrostoError | None:
        return error_for(exc, what, self._clock())

    def _resolve(self, handle: str) -> str | None:
        try:
            return self._call("resolveHandle", lambda c: c.resolve_handle(handle)).did
        except FatalPlatformError as exc:
            if exc.status == 400:  # no such handle
                return None
            raise

    # mapping -------------------------------------------------------------------------------------
    def _post_data(self, view: models.AppBskyFeedDefs.PostView, *,
                   addresses_shop: bool | None = None) -> PostData:
        record = view.record
        reply = getattr(record, "reply", None)
        langs = getattr(record, "langs", None) or []
        own = models.ComAtprotoRepoStrongRef.Main(uri=view.uri, cid=view.cid)
        root = (models.ComAtprotoRepoStrongRef.Main(uri=reply.root.uri, cid=reply.root.cid)
                if reply else own)  # a record failing its lexicon comes as a plain DotDict
        self._refs[view.uri] = (own, root)
        author = view.author
        return PostData(
            network=self.name, external_id=view.uri, author_id=author.did,
            author_handle=author.handle, author_name=author.display_name or None,
            text=getattr(record, "text", "") or "",
            created_at=parse_time(getattr(record, "created_at", None)) or sort_at(view),
            lang=langs[0] if langs else None, url=post_url(author.handle, view.uri),
            reply_to_id=reply.parent.uri if reply else None,
            thread_id=reply.root.uri if reply else None,
            metrics={"likes": view.like_count or 0, "reposts": view.repost_count or 0,
                     "replies": view.reply_count or 0, "quotes": view.quote_count or 0},
            addresses_shop=(self._addresses_shop(author.did, record) if addresses_shop is None
                            else addresses_shop))

    def _addresses_shop(self, author_did: str, record: Any) -> bool:
        """Another account's post with a mention facet naming the shop's DID, a reply in a
        thread of the shop's, or a quote of one of the shop's posts."""
        did = self._own_did()
        if author_did == did:
            return False
        for facet in getattr(record, "facets", None) or []:
            for feature in facet.features:
                if isinstance(feature, models.AppBskyRichtextFacet.Mention) and feature.did == did:
                    return True
        reply = getattr(record, "reply", None)
        if reply and did in (uri_authority(reply.parent.uri), uri_authority(reply.root.uri)):
            return True
        embed = getattr(record, "embed", None)
        if isinstance(embed, models.AppBskyEmbedRecordWithMedia.Main):
            embed = embed.record
        return (isinstance(embed, models.AppBskyEmbedRecord.Main)
                and uri_authority(embed.record.uri) == did)

    def _thread_refs(self, uri: str) -> tuple[models.ComAtprotoRepoStrongRef.Main,
                                              models.ComAtprotoRepoStrongRef.Main]:
        """Parent and root strong refs (uri + cid) of a reply to ``uri``."""
        if uri not in self._refs:
            response = self._call("getPosts", lambda c: c.get_posts([uri]))
            for view in response.posts:
                self._post_data(view)
        if uri not in self._refs:
            raise FatalPlatformError(f"bluesky: post {uri} not found (deleted?)", status=404,
                                     platform=self.name)
        return self._refs[uri]

    def _facets(self, text: str, known: dict[str, str]) -> list[models.AppBskyRichtextFacet.Main]:
        """Links, tags and @mentions (handles resolved to DIDs; unknown handles stay text)."""
        facets = facet_detection.detect_facets(text)
        known = {**known, (self._own_handle or self._handle).lower(): self._own_did()}
        for mention in facet_detection.detect_mentions(text):
            handle = mention.handle.lower()
            did = known.get(handle) or self._resolve(handle)
            if did:
                known[handle] = did
                facets.append(models.AppBskyRichtextFacet.Main(
                    features=[models.AppBskyRichtextFacet.Mention(did=did)],
                    index=models.AppBskyRichtextFacet.ByteSlice(byte_start=mention.byte_start,
                                                                byte_end=mention.byte_end)))
        return sorted(facets, key=lambda f: f.index.byte_start)

    def _send(self, text: str, *, reply_to: models.AppBskyFeedPost.ReplyRef | None,
              facets: list[models.AppBskyRichtextFacet.Main], langs: list[str] | None) -> Sent:
        did = self._own_did()
        response = self._call("createRecord", lambda c: c.send_post(
            text=text, profile_identify=did, reply_to=reply_to, facets=facets or None,
            langs=langs))
        return Sent(external_id=response.uri, url=post_url(self._own_handle or did, response.uri))

    def _langs(self) -> list[str] | None:
        language = self.options.get("language")
        return [language] if language else None


def _read_credentials(account: SocialAccount) -> tuple[str, str, str]:
    data = read_credentials(account, "bluesky account credentials (JSON with handle and "
                                     "app_password)")
    handle = str(data.get("handle") or account.handle or "").lstrip("@")
    password = data.get("app_password") or data.get("password")
    if not handle or not password:
        raise ConfigError("bluesky: account credentials need handle and app_password")
    service = str(data.get("service") or account.instance_url or DEFAULT_SERVICE)
    return handle, str(password), service


def _service_url(url: str) -> str:
    """The service (PDS or entryway) URL, refused before any request when it is not https or
    names an internal address (:mod:`arrosto.outbound`)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        host = None
    if not host:
        raise ConfigError("bluesky: the service must be an https:// address, e.g. "
                          f"{DEFAULT_SERVICE}")
    outbound.check_scheme(parts.scheme, what="bluesky: the service")
    outbound.check_host(host, what="bluesky: the service")
    return url.strip()

