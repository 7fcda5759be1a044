"""The Bluesky connector through the real ``atproto`` client, its HTTP answered at the transport
(an httpx ``MockTransport``) by a fake PDS/AppView serving recorded and lexicon-built data
(tests/fixtures/bluesky/SOURCES.md). What every network does alike (bad config, 401, 429 with
Retry-After, 5xx, timeouts) is Bluesky's row of the conformance table,
``tests/social/conformance.py``; here are Bluesky's own data and quirks."""
from __future__ import annotations

import base64
import copy
import datetime as dt
import itertools
import json
import logging
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from sqlalchemy import select

from arrosto.errors import AuthError, ConfigError, FatalPlatformError, RetryableError
from arrosto.models import SocialAccount
from arrosto.social.base import Batch, NotSupported, PostData, Sent
from arrosto.social.bluesky import BlueskyNetwork, graphemes, parse_time

from ..factories import make_shop

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bluesky"
SHOP_HANDLE = "test.marshal.dev"
SHOP_DID = "did:plc:kvwvcn5iqfooopmyzvb4qzba"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
NOW = 1_700_000_000.0  # the injected clock, for ratelimit-reset
UTC = dt.UTC

SHOP_POST = f"at://{SHOP_DID}/app.bsky.feed.post/3kaheyt6vpc22"  # real (the recorded thread)
SHOP_POST_CID = "bafyreigb666sdjyyaczcahxmf5tzh7dec6bwr3nhdab7llebn7vhsxzgr4"
QUOTED_POST = f"at://{SHOP_DID}/app.bsky.feed.post/3kahesw26il2z"  # real (its embed)
DIVY_POST = "at://did:plc:l3rouwludahu3ui3bt66mfvj/app.bsky.feed.post/3kahjxbwnbk2c"
WHY_REPLY = "at://did:plc:vpkhqolt662uhesyj6nxm7ys/app.bsky.feed.post/3kahix5nq3s2p"
MARSHAL_MENTION = "at://did:plc:s6jnht6koorxz7trghirytmf/app.bsky.feed.post/3kahhp2yfhk2x"
WHY_DID = "did:plc:vpkhqolt662uhesyj6nxm7ys"
MARSHAL_DID = "did:plc:s6jnht6koorxz7trghirytmf"
JAY_DID = "did:plc:oky5czdrnfjpqslsw2a5iclo"

SEARCH_LEXICON = json.loads((FIXTURES / "app.bsky.feed.searchPosts.json").read_text())
SEARCH_PARAMS = SEARCH_LEXICON["defs"]["main"]["parameters"]["properties"]


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def real_post_views() -> list[dict]:
    """The recorded thread's postView, and its embedded viewRecord as the postView it is a view of
    (``value`` is the record; ``embeds`` has no place in a postView)."""
    post = load("thread_view_post_with_embed_media.json")["thread"]["post"]
    quoted = copy.deepcopy(post["embed"]["record"]["record"])
    quoted.pop("$type")
    quoted.pop("embeds")
    quoted["record"] = quoted.pop("value")
    return [post, quoted]


def sort_at(view: dict) -> dt.datetime:
    return min(parse_time(view["record"]["createdAt"]), parse_time(view["indexedAt"]))


def profile(handle: str) -> dict:
    """A real profile of get_follows.json (the shop's is its ``subject``) as profileViewBasic."""
    data = load("get_follows.json")
    found = next(p for p in [*data["follows"], data["subject"]] if p["handle"] == handle)
    return {k: found[k] for k in ("did", "handle", "displayName", "avatar", "associated",
                                  "viewer", "labels", "createdAt")}


def quote_of_shop_post(at: str) -> dict:
    """A new post built in the test: jay.bsky.team quoting the shop's real post."""
    post = {"$type": "app.bsky.feed.post", "createdAt": at, "langs": ["en"],
            "text": "this roastery ships fast",
            "embed": {"$type": "app.bsky.embed.record",
                      "record": {"uri": SHOP_POST, "cid": SHOP_POST_CID}}}
    return {"uri": f"at://{JAY_DID}/app.bsky.feed.post/3kaiq7kcdvd2y",
            "cid": "bafyreihfq3gyv3yzg7ijwwdqyeqxk5gmhbjf7h3ty4u5sdu6yobs2wd5ta",
            "author": profile("jay.bsky.team"), "record": post, "replyCount": 0,
            "repostCount": 0, "likeCount": 2, "quoteCount": 0, "indexedAt": at, "labels": []}


def jwt(payload: dict) -> str:
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")
    return f"{part({'typ': 'at+jwt', 'alg': 'ES256K'})}.{part(payload)}.c2lnbmF0dXJl"


def xrpc_error(status: int, error: str, message: str, headers: dict | None = None
               ) -> httpx.Response:
    return httpx.Response(status, json={"error": error, "message": message}, headers=headers)


def rate_limited(reset: float) -> httpx.Response:
    return xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded", headers={
        "ratelimit-limit": "3000", "ratelimit-remaining": "0",
        "ratelimit-reset": str(int(reset)), "ratelimit-policy": "3000;w=300"})


class FakeBluesky:
    """The PDS and AppView of the tests: checks the bearer token, answers each NSID from the
    fixtures, records every request; ``scripted`` answers (or raises) first, per NSID."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.scripted: dict[str, list[httpx.Response | Exception]] = defaultdict(list)
        self.access: set[str] = set()
        self.refresh: set[str] = set()
        self.expired: set[str] = set()
        self.password = APP_PASSWORD
        self.index = sorted([*real_post_views(), *load("built_posts.json")], key=sort_at,
                            reverse=True)  # the hits of any query, newest first
        self.notifications = load("built_list_notifications.json")["notifications"]
        self.author_feed: list[dict] = []
        self.page_cap = 100
        self.serial = itertools.count(1)

    # plumbing
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        nsid = request.url.path.rsplit("/", 1)[-1]
        if self.scripted[nsid]:
            answer = self.scripted[nsid].pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        if nsid not in ("com.atproto.server.createSession", "com.atproto.server.refreshSession"):
            token = bearer(request)
            if token in self.expired:
                return xrpc_error(400, "ExpiredToken", "Token has expired")
            if token not in self.access:
                return xrpc_error(401, "AuthenticationRequired", "Invalid token")
        return getattr(self, nsid.rsplit(".", 1)[-1])(request)

    def calls(self, nsid: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.endswith("/" + nsid)]

    def issue(self, *, expires_in: float = 7200) -> dict:
        """A session (com.atproto.server.createSession output) with fresh tokens."""
        n = next(self.serial)
        now = int(time.time())
        access = jwt({"scope": "com.atproto.appPass", "sub": SHOP_DID, "iat": now,
                      "exp": int(now + expires_in), "aud": "did:web:pds.test", "n": n})
        refresh = jwt({"scope": "com.atproto.refresh", "sub": SHOP_DID, "iat": now,
                       "exp": now + 90 * 86400, "jti": f"refresh-{n}", "aud": "did:web:pds.test"})
        self.access.add(access)
        self.refresh.add(refresh)
        return {"accessJwt": access, "refreshJwt": refresh, "handle": SHOP_HANDLE,
                "did": SHOP_DID, "active": True}

    def session_string(self, **kw: Any) -> str:
        s = self.issue(**kw)
        return ":::".join([SHOP_HANDLE, SHOP_DID, s["accessJwt"], s["refreshJwt"],
                           "https://bsky.social/xrpc"])

    # com.atproto
    def createSession(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body.get("identifier") != SHOP_HANDLE or body.get("password") != self.password:
            return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
        return httpx.Response(200, json=self.issue())

    def refreshSession(self, request: httpx.Request) -> httpx.Response:
        token = bearer(request)
        if token not in self.refresh:
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        self.refresh.discard(token)  # refresh tokens rotate
        return httpx.Response(200, json=self.issue())

    def resolveHandle(self, request: httpx.Request) -> httpx.Response:
        handle = request.url.params["handle"]
        dids = {p["handle"]: p["did"] for p in load("get_follows.json")["follows"]}
        if handle not in dids:
            return xrpc_error(400, "InvalidRequest", "Unable to resolve handle")
        return httpx.Response(200, json={"did": dids[handle]})

    def createRecord(self, request: httpx.Request) -> httpx.Response:
        created = load("post_record.json")
        return httpx.Response(200, json={
            "uri": created["uri"], "cid": created["cid"], "validationStatus": "valid",
            "commit": {"cid": "bafyreibjifzpqj6o6wcq3hejh7y4z4z2vmiklkvykc57tw3pcbx3kxifpm",
                       "rev": "3k2yihcrp6f2c"}})

    # app.bsky
    def searchPosts(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        unknown = set(params) - set(SEARCH_PARAMS)
        limit = int(params.get("limit", SEARCH_PARAMS["limit"]["default"]))
        if unknown or not params.get("q") or not 1 <= limit <= SEARCH_PARAMS["limit"]["maximum"]:
            return xrpc_error(400, "InvalidRequest", f"bad parameters {sorted(unknown)}")
        hits = self.index
        if "since" in params:  # inclusive, on sortAt, as the lexicon says
            hits = [v for v in hits if sort_at(v) >= parse_time(params["since"])]
        start = int(params.get("cursor", "0"))
        page = hits[start:start + min(limit, self.page_cap)]
        body: dict[str, Any] = {"hitsTotal": len(hits), "posts": page}
        if start + len(page) < len(hits):
            body["cursor"] = str(start + len(page))
        return httpx.Response(200, json=body)

    def listNotifications(self, request: httpx.Request) -> httpx.Response:
        reasons = request.url.params.get_list("reasons")
        notes = [n for n in self.notifications if not reasons or n["reason"] in reasons]
        return httpx.Response(200, json={"notifications": notes,
                                         "seenAt": "2023-09-28T13:10:00.000Z"})

    def getPosts(self, request: httpx.Request) -> httpx.Response:
        views = {v["uri"]: v for v in self.index}
        uris = request.url.params.get_list("uris")
        return httpx.Response(200, json={"posts": [views[u] for u in uris if u in views]})

    def getAuthorFeed(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"feed": self.author_feed})


def bearer(request: httpx.Request) -> str:
    return request.headers.get("authorization", "").removeprefix("Bearer ")


def body(request: httpx.Request) -> dict:
    return json.loads(request.content)


def params(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(request.url.query.decode())


def account(session_string: str | None = None, **credentials: Any) -> SocialAccount:
    creds = {"handle": SHOP_HANDLE, "app_password": APP_PASSWORD, **credentials}
    return SocialAccount(network="bluesky", handle=SHOP_HANDLE, credentials=json.dumps(creds),
                         session_string=session_string)


@pytest.fixture
def fake() -> FakeBluesky:
    return FakeBluesky()


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def connect(fake: FakeBluesky, slept: list[float]):
    """A network on ``account`` (by default one with a stored, valid session)."""
    def make(acct: SocialAccount | None = None, **options: Any) -> BlueskyNetwork:
        acct = acct if acct is not None else account(fake.session_string())
        return BlueskyNetwork(acct, sleep=slept.append, clock=lambda: NOW,
                              transport=fake.transport(), **options)
    return make


# --- reading ------------------------------------------------------------------------------------

def test_search_maps_real_post_views(connect, fake: FakeBluesky):
    batch = connect().search('"miscela oro"', None)

    assert [p.external_id for p in batch.posts] == [
        DIVY_POST, WHY_REPLY, MARSHAL_MENTION, SHOP_POST, QUOTED_POST]
    assert batch.reads == 5
    assert batch.checkpoint == "2023-09-28T13:40:11.204Z"  # the newest sortAt
    [request] = fake.calls("app.bsky.feed.searchPosts")
    assert params(request) == {"q": ['"miscela oro"'], "sort": ["latest"], "limit": ["100"]}
    posts = {p.external_id: p for p in batch.posts}
    assert posts[SHOP_POST] == PostData(  # the recorded postView, field by field
        network="bluesky", external_id=SHOP_POST, author_id=SHOP_DID,
        author_handle="test.marshal.dev", author_name="Python SDK", text="",
        created_at=dt.datetime(2023, 9, 28, 12, 49, 36, 735000, tzinfo=UTC), lang="en",
        url="https://bsky.app/profile/test.marshal.dev/post/3kaheyt6vpc22",
        reply_to_id=None, thread_id=None,
        metrics={"likes": 0, "reposts": 0, "replies": 0, "quotes": 0},
        addresses_shop=False)  # the shop's own post quoting itself
    assert (posts[QUOTED_POST].text, posts[QUOTED_POST].created_at) == (
        "test", dt.datetime(2023, 9, 28, 12, 46, 18, 414000, tzinfo=UTC))
    assert posts[MARSHAL_MENTION] == PostData(
        network="bluesky", external_id=MARSHAL_MENTION, author_id=MARSHAL_DID,
        author_handle="marshal.dev", author_name="Ilya (Marshal)",
        text="Il caffè di @test.marshal.dev è arrivato: la miscela oro è buonissima ☕",
        created_at=dt.datetime(2023, 9, 28, 13, 5, tzinfo=UTC), lang="it",
        url="https://bsky.app/profile/marshal.dev/post/3kahhp2yfhk2x",
        metrics={"likes": 7, "reposts": 2, "replies": 1, "quotes": 1},
        addresses_shop=True)  # its mention facet names the shop's DID
    reply = posts[WHY_REPLY]
    assert (reply.reply_to_id, reply.thread_id, reply.addresses_shop) == (
        SHOP_POST, SHOP_POST, True)  # a reply in the shop's thread
    assert posts[DIVY_POST].addresses_shop is False


def test_quote_of_the_shops_post_addresses_the_shop(connect, fake: FakeBluesky):
    fake.index.insert(0, quote_of_shop_post("2023-09-28T14:00:00.000Z"))

    [quote] = connect().search('"roastery"', None, limit=1).posts

    assert (quote.author_handle, quote.addresses_shop, quote.reply_to_id) == (
        "jay.bsky.team", True, None)


def test_search_pages_by_cursor_and_stops_at_limit(connect, fake: FakeBluesky):
    fake.page_cap = 2  # the server answers fewer posts than asked, with a cursor

    batch = connect().search('"miscela oro"', None, limit=3)

    assert [p.external_id for p in batch.posts] == [DIVY_POST, WHY_REPLY, MARSHAL_MENTION]
    first, second = fake.calls("app.bsky.feed.searchPosts")
    assert params(first) == {"q": ['"miscela oro"'], "sort": ["latest"], "limit": ["3"]}
    assert params(second) == {"q": ['"miscela oro"'], "sort": ["latest"], "limit": ["1"],
                              "cursor": ["2"]}
    assert batch.checkpoint == "2023-09-28T13:40:11.204Z"


def test_search_without_limit_reads_every_page(connect, fake: FakeBluesky):
    fake.page_cap = 2

    batch = connect().search('"miscela oro"', None)

    assert len(batch.posts) == 5
    assert [params(r).get("cursor") for r in fake.calls("app.bsky.feed.searchPosts")] == [
        None, ["2"], ["4"]]


def test_checkpoint_is_passed_as_since_and_nothing_comes_twice(connect, fake: FakeBluesky):
    network = connect()
    first = network.search('"miscela oro"', None)
    newer = quote_of_shop_post("2023-09-29T08:15:30.250Z")
    fake.index.insert(0, newer)

    second = network.search('"miscela oro"', first.checkpoint)
    third = network.search('"miscela oro"', second.checkpoint)

    sent_since = [params(r).get("since") for r in fake.calls("app.bsky.feed.searchPosts")]
    assert sent_since == [None, ["2023-09-28T13:40:11.204Z"], ["2023-09-29T08:15:30.250Z"]]
    # the server's since is inclusive: the boundary post came back and was dropped
    assert [p.external_id for p in second.posts] == [newer["uri"]]
    assert second.checkpoint == "2023-09-29T08:15:30.250Z"
    assert (third.posts, third.checkpoint, third.reads) == ([], None, 1)


def test_build_queries_one_quoted_phrase_per_term_and_language(connect, fake: FakeBluesky):
    network = connect()

    queries = network.build_queries(
        ["miscela oro", "Miscela  Oro", 'say "ciao"', "", "x" * 300], ["it", "EN", "not a lang"])

    assert queries == ['"miscela oro" lang:it', '"miscela oro" lang:en',
                       '"say ciao" lang:it', '"say ciao" lang:en']
    assert network.build_queries(["miscela oro"], []) == ['"miscela oro"']
    assert all(len(q) <= BlueskyNetwork.capabilities.query_max_length for q in queries)
    assert fake.requests == []  # building queries asks nothing


def test_search_sends_the_language_as_the_lang_parameter(connect, fake: FakeBluesky):
    connect().search('"miscela oro" lang:it', "2023-09-28T13:00:00.000Z")

    [request] = fake.calls("app.bsky.feed.searchPosts")
    assert params(request) == {"q": ['"miscela oro"'], "lang": ["it"], "sort": ["latest"],
                               "since": ["2023-09-28T13:00:00.000Z"], "limit": ["100"]}


def test_mentions_from_notifications(connect, fake: FakeBluesky):
    network = connect()

    batch = network.mentions(None)

    assert [(p.external_id, p.author_handle, p.addresses_shop) for p in batch.posts] == [
        (WHY_REPLY, "why.bsky.team", True), (MARSHAL_MENTION, "marshal.dev", True)]
    assert batch.posts[0].text == "does the miscela oro come in whole beans?"
    assert batch.checkpoint == "2023-09-28T13:20:42.630Z"  # newest indexedAt
    [listing] = fake.calls("app.bsky.notification.listNotifications")
    assert params(listing) == {"reasons": ["mention", "reply", "quote"], "limit": ["100"]}
    [fetch] = fake.calls("app.bsky.feed.getPosts")
    assert params(fetch) == {"uris": [WHY_REPLY, MARSHAL_MENTION]}

    quote = quote_of_shop_post("2023-09-29T09:00:00.000Z")
    fake.index.insert(0, quote)
    fake.notifications.insert(0, {
        "uri": quote["uri"], "cid": quote["cid"], "author": quote["author"], "reason": "quote",
        "reasonSubject": SHOP_POST, "record": quote["record"], "isRead": False,
        "indexedAt": "2023-09-29T09:00:00.480Z", "labels": []})

    later = network.mentions(batch.checkpoint)

    assert [p.external_id for p in later.posts] == [quote["uri"]]
    assert later.checkpoint == "2023-09-29T09:00:00.480Z"
    assert params(fake.calls("app.bsky.feed.getPosts")[-1]) == {"uris": [quote["uri"]]}
    assert network.mentions(later.checkpoint) == Batch(posts=[], checkpoint=None, reads=0)


# --- writing ------------------------------------------------------------------------------------

REPLY_TEXT = "@why.bsky.team sì, la miscela oro è anche in grani ☕ — chiedi pure a @marshal.dev!"


def test_reply_sends_thread_refs_and_mention_facets(connect, fake: FakeBluesky):
    # a post as the caller keeps it: no cid, so the connector fetches it
    post = PostData(network="bluesky", external_id=WHY_REPLY, author_id=WHY_DID,
                    author_handle="why.bsky.team", text="does the miscela oro come in beans?",
                    created_at=dt.datetime(2023, 9, 28, 13, 20, 42, tzinfo=UTC), lang="en",
                    reply_to_id=SHOP_POST, thread_id=SHOP_POST)
    before = dt.datetime.now(UTC)

    sent = connect().reply(post, REPLY_TEXT, idempotency_key="reply-1")

    assert sent == Sent(external_id="at://did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.post/"
                                    "3k2yihcrp6f2c",
                        url="https://bsky.app/profile/test.marshal.dev/post/3k2yihcrp6f2c")
    assert params(fake.calls("app.bsky.feed.getPosts")[0]) == {"uris": [WHY_REPLY]}
    # why.bsky.team is the post's author: only marshal.dev needs resolving
    [resolve] = fake.calls("com.atproto.identity.resolveHandle")
    assert params(resolve) == {"handle": ["marshal.dev"]}
    [create] = fake.calls("com.atproto.repo.createRecord")
    sent_body = body(create)
    created_at = sent_body["record"].pop("createdAt")
    assert before <= parse_time(created_at) <= dt.datetime.now(UTC)
    why_cid = "bafyrei4s4lmmy76p2gdk5hy3eqgvferr46oqwmo6bmq5ukq7ys7q63v4xa"  # built_posts.json
    assert sent_body == {
        "collection": "app.bsky.feed.post",
        "repo": SHOP_DID,
        "record": {
            "$type": "app.bsky.feed.post",
            "text": REPLY_TEXT,
            "facets": [
                {"$type": "app.bsky.richtext.facet",
                 "features": [{"$type": "app.bsky.richtext.facet#mention", "did": WHY_DID}],
                 "index": {"$type": "app.bsky.richtext.facet#byteSlice",
                           "byteStart": 0, "byteEnd": 14}},
                {"$type": "app.bsky.richtext.facet",
                 "features": [{"$type": "app.bsky.richtext.facet#mention", "did": MARSHAL_DID}],
                 "index": {"$type": "app.bsky.richtext.facet#byteSlice",
                           "byteStart": 75, "byteEnd": 87}},
            ],
            "langs": ["en"],
            "reply": {
                "$type": "app.bsky.feed.post#replyRef",
                "parent": {"$type": "com.atproto.repo.strongRef", "uri": WHY_REPLY,
                           "cid": why_cid},
                "root": {"$type": "com.atproto.repo.strongRef", "uri": SHOP_POST,
                         "cid": SHOP_POST_CID},
            },
        },
        "validate": True,
    }
    # the byte offsets, not the character offsets (69..81): è, ì, ☕ and — are multi-byte
    assert REPLY_TEXT.encode()[75:87] == b"@marshal.dev"
    assert REPLY_TEXT.index("@marshal.dev") == 69


def test_reply_to_a_post_just_searched_needs_no_fetch(connect, fake: FakeBluesky):
    network = connect()
    [post] = network.search('"miscela oro"', None, limit=1).posts

    network.reply(post, "grazie!", idempotency_key="reply-2")

    assert fake.calls("app.bsky.feed.getPosts") == []
    record = body(fake.calls("com.atproto.repo.createRecord")[0])["record"]
    assert record["reply"]["parent"]["uri"] == record["reply"]["root"]["uri"] == DIVY_POST
    assert "facets" not in record


def test_text_over_300_graphemes_is_refused_before_any_request(connect, fake: FakeBluesky):
    network = connect()
    family = "👨\u200d👩\u200d👧"  # one grapheme of five code points, 18 bytes
    assert (graphemes(family), graphemes("🇮🇹🇫🇷"), graphemes("e\u0301\r\n")) == (1, 2, 2)
    network.publish("🇮🇹" * 300, idempotency_key="ok")  # 300 graphemes, 2400 bytes: accepted
    fake.requests.clear()

    with pytest.raises(ValueError, match="301 graphemes"):
        network.publish("a" * 301, idempotency_key="p-1")
    with pytest.raises(ValueError, match="5400 bytes"):
        network.publish(family * 300, idempotency_key="p-2")  # 300 graphemes, over 3000 bytes
    with pytest.raises(ValueError):
        network.reply(PostData(network="bluesky", external_id=WHY_REPLY, author_id=WHY_DID,
                               author_handle="why.bsky.team", text="?",
                               created_at=dt.datetime.now(UTC)),
                      "é" * 301, idempotency_key="r-1")
    assert fake.requests == []


def test_publish_and_follow_write_records(connect, fake: FakeBluesky):
    network = connect(language="it")

    sent = network.publish("Nuova miscela: #arrosto https://example.com/oro",
                           idempotency_key="promo-1")
    network.follow(JAY_DID)
    network.follow("why.bsky.team")

    assert sent.url == "https://bsky.app/profile/test.marshal.dev/post/3k2yihcrp6f2c"
    post, *follows = (body(r) for r in fake.calls("com.atproto.repo.createRecord"))
    assert post["record"]["langs"] == ["it"]
    assert "reply" not in post["record"]
    assert [f["features"][0]["$type"] for f in post["record"]["facets"]] == [
        "app.bsky.richtext.facet#tag", "app.bsky.richtext.facet#link"]
    assert [(f["collection"], f["repo"], f["record"]["subject"]) for f in follows] == [
        ("app.bsky.graph.follow", SHOP_DID, JAY_DID), ("app.bsky.graph.follow", SHOP_DID, WHY_DID)]


def test_direct_messages_are_not_supported(connect, fake: FakeBluesky):
    assert BlueskyNetwork.capabilities.can_dm is False
    with pytest.raises(NotSupported, match="chat"):
        connect().direct_message(WHY_DID, "ciao", idempotency_key="dm-1")
    assert fake.requests == []


def test_find_sent_matches_the_shops_own_posts_by_text(connect, fake: FakeBluesky):
    created = load("post_record.json")  # "new text114", created 2024-02-22T19:58:13.903293
    own = {"uri": created["uri"], "cid": created["cid"], "author": profile(SHOP_HANDLE),
           "record": created["value"], "indexedAt": "2024-02-22T19:58:14.120Z", "labels": []}
    reposted = {"post": dict(real_post_views()[0], record={
        **real_post_views()[0]["record"], "text": "new text114"}),
        "reason": {"$type": "app.bsky.feed.defs#reasonRepost", "by": profile(SHOP_HANDLE),
                   "indexedAt": "2024-02-22T20:00:00.000Z"}}
    fake.author_feed = [reposted, {"post": own}]
    network = connect()

    found = network.find_sent("New   TEXT114 ", dt.datetime(2024, 2, 22, 19, 50, tzinfo=UTC))
    missing = network.find_sent("another text", dt.datetime(2024, 2, 22, 19, 50, tzinfo=UTC))
    too_old = network.find_sent("new text114", dt.datetime(2024, 2, 23, tzinfo=UTC))

    assert found == Sent(external_id=created["uri"],
                         url="https://bsky.app/profile/test.marshal.dev/post/3k2yihcrp6f2c")
    assert (missing, too_old) == (None, None)
    assert params(fake.calls("app.bsky.feed.getAuthorFeed")[0]) == {
        "actor": [SHOP_DID], "filter": ["posts_with_replies"], "includePins": ["false"],
        "limit": ["50"]}


# --- rate limits and errors ---------------------------------------------------------------------

def test_rate_limit_waits_until_reset_and_resumes(connect, fake: FakeBluesky, slept):
    fake.scripted["app.bsky.feed.searchPosts"].append(rate_limited(NOW + 30))

    batch = connect().search('"miscela oro"', None)

    assert slept == [30.0]
    assert len(batch.posts) == 5
    assert len(fake.calls("app.bsky.feed.searchPosts")) == 2


def test_rate_limit_that_does_not_lift_is_retryable(connect, fake: FakeBluesky, slept):
    fake.scripted["app.bsky.feed.searchPosts"].extend(rate_limited(NOW + 5) for _ in range(5))

    with pytest.raises(RetryableError):
        connect().search('"miscela oro"', None)

    assert slept == [5.0, 5.0, 5.0]


def test_a_bad_request_is_fatal(connect, fake: FakeBluesky):
    fake.scripted["app.bsky.feed.searchPosts"].append(
        xrpc_error(400, "BadQueryString", "bad query"))

    with pytest.raises(FatalPlatformError) as info:
        connect().search('"miscela oro"', None)

    assert type(info.value) is FatalPlatformError
    assert info.value.status == 400


# --- sessions -----------------------------------------------------------------------------------

def test_first_use_logs_in_and_saves_the_session(connect, fake: FakeBluesky):
    acct = account()

    connect(acct).search('"miscela oro"', None)

    [login] = fake.calls("com.atproto.server.createSession")
    assert body(login) == {"identifier": SHOP_HANDLE, "password": APP_PASSWORD}
    handle, did, access, refresh, pds = acct.session_string.split(":::")
    assert (handle, did, pds) == (SHOP_HANDLE, SHOP_DID, "https://bsky.social/xrpc")
    assert bearer(fake.calls("app.bsky.feed.searchPosts")[0]) == access
    assert refresh in fake.refresh
    assert acct.external_id == SHOP_DID

    connect(acct).mentions(None)  # the next job reuses it

    assert len(fake.calls("com.atproto.server.createSession")) == 1


def test_stored_session_is_reused_through_the_database(db, fake: FakeBluesky, slept):
    shop_id = make_shop(db, "bottega.myshopify.com")
    with db.transaction(shop_id) as s:
        s.add(account())
    for _ in range(2):  # two jobs, each loading the account and committing it
        with db.transaction(shop_id) as s:
            acct = s.scalars(select(SocialAccount)).one()
            BlueskyNetwork(acct, sleep=slept.append, transport=fake.transport()).search(
                '"miscela oro"', None)

    with db.transaction(shop_id) as s:
        stored = s.scalars(select(SocialAccount)).one().session_string
    assert len(fake.calls("com.atproto.server.createSession")) == 1
    assert len(fake.calls("app.bsky.feed.searchPosts")) == 2
    assert stored.split(":::")[2] in fake.access


def test_stored_session_makes_no_login(connect, fake: FakeBluesky):
    stored = fake.session_string()
    acct = account(stored)

    connect(acct).search('"miscela oro"', None)

    assert fake.calls("com.atproto.server.createSession") == []
    assert acct.session_string == stored


def test_expiring_access_token_is_refreshed_and_saved(connect, fake: FakeBluesky):
    stored = fake.session_string(expires_in=300)  # the SDK refreshes 15 minutes early
    acct = account(stored)

    connect(acct).search('"miscela oro"', None)

    [refresh] = fake.calls("com.atproto.server.refreshSession")
    assert bearer(refresh) == stored.split(":::")[3]
    assert fake.calls("com.atproto.server.createSession") == []
    new_access, new_refresh = acct.session_string.split(":::")[2:4]
    assert new_access != stored.split(":::")[2]
    assert new_refresh in fake.refresh
    assert bearer(fake.calls("app.bsky.feed.searchPosts")[0]) == new_access


def test_refused_session_logs_in_again_once(connect, fake: FakeBluesky):
    stored = fake.session_string()
    fake.expired.add(stored.split(":::")[2])  # the server no longer takes it: 400 ExpiredToken
    acct = account(stored)

    batch = connect(acct).search('"miscela oro"', None)

    assert len(batch.posts) == 5
    assert len(fake.calls("com.atproto.server.createSession")) == 1
    assert acct.session_string != stored
    assert [r.url.path for r in fake.requests] == [
        "/xrpc/app.bsky.feed.searchPosts", "/xrpc/com.atproto.server.createSession",
        "/xrpc/app.bsky.feed.searchPosts"]


def test_bad_app_password_is_an_auth_error(connect, fake: FakeBluesky, caplog):
    fake.password = "revoked-app-password"
    acct = account()
    caplog.set_level(logging.DEBUG)

    with pytest.raises(AuthError) as info:
        connect(acct).search('"miscela oro"', None)

    assert info.value.status == 401
    assert "Invalid identifier or password" in str(info.value)
    assert acct.session_string is None
    assert fake.calls("app.bsky.feed.searchPosts") == []
    assert APP_PASSWORD not in caplog.text and APP_PASSWORD not in str(info.value)


def test_refused_session_and_refused_password_is_an_auth_error(connect, fake: FakeBluesky,
                                                               caplog):
    stored = fake.session_string()
    fake.expired.add(stored.split(":::")[2])
    fake.password = "revoked-app-password"
    caplog.set_level(logging.DEBUG)

    with pytest.raises(AuthError):
        connect(account(stored)).mentions(None)

    assert len(fake.calls("com.atproto.server.createSession")) == 1
    assert stored.split(":::")[2] not in caplog.text
    assert stored not in caplog.text


def test_login_rate_limit_waits_like_any_call(connect, fake: FakeBluesky, slept):
    fake.scripted["com.atproto.server.createSession"].append(rate_limited(NOW + 60))
    acct = account()

    connect(acct).mentions(None)

    assert slept == [60.0]
    assert acct.session_string is not None


@pytest.mark.parametrize("credentials", [None, "not json", '["handle"]',
                                         json.dumps({"handle": SHOP_HANDLE})])
def test_missing_or_bad_credentials_are_a_config_error(credentials):
    acct = SocialAccount(network="bluesky", handle=SHOP_HANDLE, credentials=credentials)
    with pytest.raises(ConfigError, match="bluesky"):
        BlueskyNetwork(acct)
