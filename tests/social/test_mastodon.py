"""The Mastodon connector through real Mastodon.py calls, answered at the transport by
``responses`` with Mastodon.py's own recorded cassettes (tests/fixtures/mastodon, see SOURCES.md);
paging, rate limits, errors and OAuth answers are built to the shapes docs.joinmastodon.org
documents, around recorded statuses. What every network does alike (bad config, 401, 429 with
Retry-After, 5xx, timeouts) is Mastodon's row of the conformance table,
``tests/social/conformance.py``; here are Mastodon's own data and quirks."""
from __future__ import annotations

import copy
import datetime as dt
import email.utils
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
import yaml

from arrosto.errors import (
    AuthError,
    ConfigError,
    FatalPlatformError,
    RetryableError,
)
from arrosto.models import SocialAccount
from arrosto.social.base import PostData, Sent
from arrosto.social.mastodon import (
    MastodonNetwork,
    authorization_url,
    exchange_code,
    hashtag_for,
    html_to_text,
    register_app,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mastodon"
BASE = "http://localhost:3000"
TOKEN = "__MASTODON_PY_TEST_ACCESS_TOKEN"

# the accounts of the recordings
ADMIN = "117020565693913441"
TEST = "117020565966271181"  # mastodonpy_test
TEST_2 = "117020566092212359"  # mastodonpy_test_2


# --- serving the cassettes ----------------------------------------------------------------------

def interactions(cassette: str) -> list[dict[str, Any]]:
    return yaml.safe_load((FIXTURES / cassette).read_text())["interactions"]


def recorded(cassette: str, method: str, path: str, n: int = 0) -> dict[str, Any]:
    """The ``n``-th recorded answer to ``method path`` (query string ignored)."""
    found = [i for i in interactions(cassette)
             if i["request"]["method"] == method and urlsplit(i["request"]["uri"]).path == path]
    return found[n]["response"]


def recorded_json(cassette: str, method: str, path: str, n: int = 0) -> Any:
    return json.loads(recorded(cassette, method, path, n)["body"]["string"])


def serve(mock: responses.RequestsMock, cassette: str, method: str, path: str, n: int = 0, *,
          at: str | None = None) -> None:
    """Answer ``method BASE+path`` with the recorded answer, status and headers; with ``at``
    (``"GET /api/v1/statuses/1"``), answer that request with it instead."""
    answer = recorded(cassette, method, path, n)
    headers = {k: ", ".join(v) for k, v in answer["headers"].items()
               if k.lower() not in ("content-length", "transfer-encoding", "content-encoding")}
    if at:
        method, path = at.split(" ", 1)
    mock.add(method, BASE + path, body=answer["body"]["string"],
             status=answer["status"]["code"], headers=headers)


def params(call: Any) -> dict[str, list[str]]:
    request = call.request
    if request.method == "GET":
        return parse_qs(urlsplit(request.url).query)
    return parse_qs(request.body if isinstance(request.body, str) else request.body.decode())


def calls_to(mock: responses.RequestsMock, method: str, path: str) -> list[Any]:
    return [c for c in mock.calls
            if c.request.method == method and urlsplit(c.request.url).path == path]


def instance_v2(max_characters: int = 500) -> dict[str, Any]:
    """An /api/v2/instance answer with the fields of docs.joinmastodon.org/entities/Instance
    that Mastodon.py and we read (no v2 instance was recorded)."""
    return {
        "domain": "localhost:3000", "title": "Mastodon", "version": "4.4.0",
        "source_url": "https://github.com/mastodon/mastodon", "description": "",
        "usage": {"users": {"active_month": 4}}, "languages": ["en"],
        "api_versions": {"mastodon": 6},
        "configuration": {
            "urls": {"streaming": "ws://localhost:4000"},
            "statuses": {"max_characters": max_characters, "max_media_attachments": 4,
                         "characters_reserved_per_url": 23},
            "timelines_access": {
                "live_feeds": {"local": "public", "remote": "public"},
                "hashtag_feeds": {"local": "public", "remote": "public"},
                "trending_link_feeds": {"local": "public", "remote": "public"}}},
        "registrations": {"enabled": True, "approval_required": False, "message": None},
        "contact": {"email": "", "account": None}, "rules": []}


def rate_limited(reset_in: float) -> dict[str, Any]:
    """A 429 with the headers of docs.joinmastodon.org/api/rate-limits."""
    now = dt.datetime.now(dt.UTC)
    reset = (now + dt.timedelta(seconds=reset_in)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {"status": 429, "json": {"error": "Too many requests"},
            "headers": {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                        "X-RateLimit-Reset": reset,
                        "Date": email.utils.format_datetime(now, usegmt=True)}}


@pytest.fixture(autouse=True)
def _instance_at_localhost(allow_loopback):
    """The cassettes were recorded at http://localhost:3000: ARROSTO_ALLOW_LOOPBACK_HOSTS."""


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        # Mastodon.py asks the instance whether hashtag timelines are open before reading one
        rsps.add(responses.GET, f"{BASE}/api/v2/instance/", json=instance_v2())
        yield rsps


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def network(sleeps: list[float]) -> Callable[..., MastodonNetwork]:
    def make(own_id: str | None = ADMIN, handle: str = "admin", **kw: Any) -> MastodonNetwork:
        account = SocialAccount(
            network="mastodon", handle=handle, instance_url=BASE, external_id=own_id,
            credentials=json.dumps({"client_id": "__MASTODON_PY_TEST_CLIENT_ID",
                                    "client_secret": "__MASTODON_PY_TEST_CLIENT_SECRET",
                                    "access_token": TOKEN}))
        return MastodonNetwork(account, sleep=sleeps.append, **kw)
    return make


# --- building answers around recorded statuses --------------------------------------------------

HOOT = recorded_json("test_hashtag_tl.yaml", "GET", "/api/v1/timelines/tag/hoot")[0]


def status_with(id_: int | str, base: dict[str, Any] | None = None, **changes: Any
                ) -> dict[str, Any]:
    status = copy.deepcopy(base or HOOT)
    status.update(id=str(id_), url=f"{BASE}/@mastodonpy_test/{id_}",
                  uri=f"{BASE}/users/mastodonpy_test/statuses/{id_}", **changes)
    return status


class Timeline:
    """A hashtag timeline answering ``min_id``/``max_id``/``limit`` as the docs' paging
    describes: newest first; ``min_id`` gives the page just after it, ``max_id`` the one
    before it."""

    def __init__(self, statuses: list[dict[str, Any]]):
        self.statuses = sorted(statuses, key=lambda s: int(s["id"]), reverse=True)

    def __call__(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
        limit = int(query.get("limit", 20))
        items = self.statuses
        if "max_id" in query:
            items = [s for s in items if int(s["id"]) < int(query["max_id"])][:limit]
        elif "min_id" in query:
            items = [s for s in items if int(s["id"]) > int(query["min_id"])][-limit:]
        else:
            items = items[:limit]
        return 200, {"Content-Type": "application/json"}, json.dumps(items)


def serve_timeline(mock: responses.RequestsMock, tag: str, statuses: list[dict[str, Any]]
                   ) -> None:
    mock.add_callback(responses.GET, f"{BASE}/api/v1/timelines/tag/{tag}",
                      callback=Timeline(statuses))


# --- queries --------------------------------------------------------------------------------------

def test_build_queries_hashtags_first_then_phrases(network):
    net = network()
    queries = net.build_queries(["Miscela Vesuvio", "Caffè  Sospeso", "moka", "1882"],
                                ["it", "en"])
    assert queries == ["#miscelavesuvio", "#caffesospeso", "#moka",
                       '"Miscela Vesuvio"', '"Caffè Sospeso"', "moka", "1882"]
    assert net.build_queries(["moka"], ["it"]) == ["#moka", "moka language:it"]
    assert hashtag_for("東京 コーヒー") == "東京コーヒー"
    assert hashtag_for("#Ça Va") == "cava"


def test_html_to_text_keeps_line_breaks_and_whole_links():
    html = ('<p>Line one<br />line two</p><p>Caff&egrave; &amp; co '
            '<a href="https://example.com/x"><span class="invisible">https://</span>'
            '<span class="">example.com/x</span></a></p>')
    assert html_to_text(html) == "Line one\nline two\n\nCaffè & co https://example.com/x"


# --- search ---------------------------------------------------------------------------------------

def test_hashtag_search_maps_the_recorded_timeline(mock, network):
    serve(mock, "test_hashtag_tl.yaml", "GET", "/api/v1/timelines/tag/hoot")
    batch = network().search("#hoot", None)

    [call] = calls_to(mock, "GET", "/api/v1/timelines/tag/hoot")
    assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert params(call) == {"limit": ["40"]}
    [post] = batch.posts
    assert post == PostData(
        network="mastodon", external_id="109440153064280358",
        author_id="109440137734600341", author_handle="mastodonpy_test@localhost:3000",
        author_name="John Lennon", text="#hoot (hashtag toot)",
        created_at=dt.datetime(2022, 12, 1, 19, 50, 10, 577000, tzinfo=dt.UTC), lang="ja",
        url="http://localhost:3000/@mastodonpy_test/109440153064280358",
        reply_to_id=None, thread_id="109440153064280358",
        metrics={"likes": 0, "reposts": 0, "replies": 0}, addresses_shop=False, is_dm=False)
    assert batch.checkpoint == "109440153064280358"
    assert batch.reads == 1


def test_checkpoint_is_passed_so_nothing_is_fetched_twice(mock, network):
    serve(mock, "test_hashtag_tl.yaml", "GET", "/api/v1/timelines/tag/hoot")
    net = network()
    first = net.search("#hoot", None)
    mock.upsert(responses.GET, f"{BASE}/api/v1/timelines/tag/hoot", json=[])  # nothing newer

    again = net.search("#hoot", first.checkpoint)

    second_call = calls_to(mock, "GET", "/api/v1/timelines/tag/hoot")[-1]
    assert params(second_call)["min_id"] == ["109440153064280358"]
    assert again.posts == [] and again.checkpoint is None


def test_paging_walks_forward_from_the_checkpoint_and_stops_at_limit(mock, network):
    serve_timeline(mock, "moka", [status_with(1000 + n) for n in range(1, 101)])

    batch = network().search("#moka", "1000", limit=50)

    pages = [params(c) for c in calls_to(mock, "GET", "/api/v1/timelines/tag/moka")]
    assert pages == [{"min_id": ["1000"], "limit": ["40"]},
                     {"min_id": ["1040"], "limit": ["10"]}]
    assert [p.external_id for p in batch.posts] == [str(1000 + n) for n in range(1, 51)]
    assert batch.checkpoint == "1050"  # the next run starts right after the last one taken


def test_paging_until_caught_up_skips_boosts(mock, network):
    statuses = [status_with(1000 + n) for n in range(1, 46)]
    statuses[4]["reblog"] = copy.deepcopy(HOOT)  # 1005 is a boost
    serve_timeline(mock, "moka", statuses)

    batch = network().search("#moka", "1000")

    assert len(calls_to(mock, "GET", "/api/v1/timelines/tag/moka")) == 2  # 40, then 5
    assert "1005" not in {p.external_id for p in batch.posts}
    assert len(batch.posts) == 44 and batch.reads == 45
    assert batch.checkpoint == "1045"


def test_first_run_takes_the_newest_pages_up_to_limit(mock, network):
    serve_timeline(mock, "moka", [status_with(1000 + n) for n in range(1, 101)])

    batch = network().search("#moka", None, limit=50)

    pages = [params(c) for c in calls_to(mock, "GET", "/api/v1/timelines/tag/moka")]
    assert pages == [{"limit": ["40"]}, {"max_id": ["1061"], "limit": ["10"]}]
    assert [p.external_id for p in batch.posts] == [str(1000 + n) for n in range(51, 101)]
    assert batch.checkpoint == "1100"


def test_full_text_search_asks_search_v2_for_statuses(mock, network):
    serve(mock, "test_search.yaml", "GET", "/api/v2/search", 2)  # the type=statuses answer

    batch = network().search("mastodonpy_test", None)

    [call] = calls_to(mock, "GET", "/api/v2/search")
    assert params(call) == {"q": ["mastodonpy_test"], "type": ["statuses"], "limit": ["40"]}
    assert batch.posts == [] and batch.checkpoint is None  # no search engine: not an error


def test_full_text_search_results_become_posts(mock, network):
    reply = recorded_json("test_status_reply.yaml", "POST", "/api/v1/statuses", 1)
    mock.add(responses.GET, f"{BASE}/api/v2/search",
             json={"accounts": [], "statuses": [reply], "hashtags": []})
    serve(mock, "test_instance.yaml", "GET", "/api/v1/instance/")  # min_id needs 2.8.0+

    batch = network(own_id=TEST_2).search("same", "117020583245459824")

    assert params(calls_to(mock, "GET", "/api/v2/search")[0])["min_id"] == ["117020583245459824"]
    [post] = batch.posts
    assert post.external_id == "117020583258292382"
    assert post.author_handle == "admin@localhost:3000"
    assert post.text == "@mastodonpy_test_2 same!"
    assert post.reply_to_id == "117020583245459824" and post.thread_id is None
    assert post.addresses_shop  # it mentions and answers the shop's account
    assert batch.checkpoint == "117020583258292382"


@pytest.mark.parametrize("status", [503, 422])
def test_a_failing_full_text_search_is_skipped(mock, network, status):
    mock.add(responses.GET, f"{BASE}/api/v2/search", status=status, json={"error": "nope"})
    batch = network().search('"miscela vesuvio"', None)
    assert batch.posts == [] and batch.checkpoint is None


# --- mentions -------------------------------------------------------------------------------------

def test_mentions_from_the_recorded_notifications(mock, network):
    serve(mock, "test_notifications_mentions_only.yaml", "GET", "/api/v1/notifications")

    batch = network(own_id=TEST, handle="mastodonpy_test").mentions(None)

    [call] = calls_to(mock, "GET", "/api/v1/notifications")
    assert params(call) == {"types[]": ["mention"], "limit": ["40"]}
    [post] = batch.posts
    assert post.external_id == "117020577157693549"
    assert post.author_id == ADMIN and post.author_handle == "admin@localhost:3000"
    assert post.author_name is None
    assert post.text == "@mastodonpy_test hello!"
    assert post.addresses_shop and not post.is_dm
    assert post.thread_id == post.external_id
    assert batch.checkpoint == "21"  # notification ids are what notifications page on


def test_mentions_continue_from_the_checkpoint(mock, network):
    serve(mock, "test_notifications.yaml", "GET", "/api/v1/notifications")

    batch = network(own_id=TEST).mentions("19")

    assert params(calls_to(mock, "GET", "/api/v1/notifications")[0])["min_id"] == ["19"]
    assert [p.external_id for p in batch.posts] == ["117020576916218297"]
    assert batch.checkpoint == "20"


def test_direct_replies_are_dms_with_their_thread(mock, network):
    [note] = recorded_json("test_notifications_mentions_only.yaml", "GET",
                           "/api/v1/notifications")
    direct = copy.deepcopy(note)
    direct["id"] = "22"
    direct["status"].update(id="117020577157693600", visibility="direct",
                            in_reply_to_id="117020577157693580",
                            in_reply_to_account_id=TEST)
    orphan = copy.deepcopy(note)  # a reply whose parent this account cannot see
    orphan["id"] = "23"
    orphan["status"].update(id="117020585487094447", in_reply_to_id="117020585487094400")
    mock.add(responses.GET, f"{BASE}/api/v1/notifications", json=[orphan, direct])
    root = status_with("117020577157693500")
    mock.add(responses.GET, f"{BASE}/api/v1/statuses/117020577157693600/context",
             json={"ancestors": [root, status_with("117020577157693580")], "descendants": []})
    serve(mock, "test_status_context.yaml", "GET",
          "/api/v1/statuses/117020585487094447/context")

    batch = network(own_id=TEST).mentions("21")

    dm, other = batch.posts
    assert dm.is_dm and dm.addresses_shop and dm.thread_id == "117020577157693500"
    assert not other.is_dm and other.thread_id is None  # ingest falls back to reply_to_id
    assert batch.checkpoint == "23"


# --- writing --------------------------------------------------------------------------------------

def test_publish_sends_the_idempotency_key(mock, network):
    serve(mock, "test_status_post[None-public].yaml", "POST", "/api/v1/statuses")

    sent = network(own_id=TEST).publish("Toot!", idempotency_key="promo-7-x")

    [call] = calls_to(mock, "POST", "/api/v1/statuses")
    assert call.request.headers["Idempotency-Key"] == "promo-7-x"
    sent_params = params(call)
    assert sent_params["status"] == ["Toot!"] and sent_params["visibility"] == ["public"]
    assert sent == Sent("117020585924712638",
                        "http://localhost:3000/@mastodonpy_test/117020585924712638")


def test_reply_answers_in_thread_mentioning_the_author(mock, network):
    # the post replied to, as the instance shows it (its recorded creation answer)
    serve(mock, "test_status_reply.yaml", "POST", "/api/v1/statuses", 0,
          at="GET /api/v1/statuses/117020583245459824")
    serve(mock, "test_status_reply.yaml", "POST", "/api/v1/statuses", 1)
    post = PostData(network="mastodon", external_id="117020583245459824", author_id=TEST_2,
                    author_handle="mastodonpy_test_2@localhost:3000", text="Toot, finally!",
                    created_at=dt.datetime(2026, 8, 1, 13, 53, 15, tzinfo=dt.UTC))

    sent = network(own_id=ADMIN).reply(post, "same!", idempotency_key="reply-42")

    [call] = calls_to(mock, "POST", "/api/v1/statuses")
    assert call.request.headers["Idempotency-Key"] == "reply-42"
    sent_params = params(call)
    assert sent_params["status"] == ["@mastodonpy_test_2@localhost:3000 same!"]
    assert sent_params["in_reply_to_id"] == ["117020583245459824"]
    assert sent_params["visibility"] == ["public"]
    assert sent == Sent("117020583258292382", "http://localhost:3000/@admin/117020583258292382")


def test_reply_keeps_the_original_visibility(mock, network):
    serve(mock, "test_status_context.yaml", "POST", "/api/v1/statuses",
          at="GET /api/v1/statuses/117020585487094447")  # recorded as "unlisted"
    serve(mock, "test_status_reply.yaml", "POST", "/api/v1/statuses", 1)
    unlisted = PostData(network="mastodon", external_id="117020585487094447", author_id=TEST,
                        author_handle="mastodonpy_test@localhost:3000", text="Toot!",
                        created_at=dt.datetime(2026, 8, 1, tzinfo=dt.UTC))
    direct = PostData(**{**unlisted.__dict__, "is_dm": True})
    net = network(own_id=ADMIN)

    net.reply(unlisted, "@mastodonpy_test grazie", idempotency_key="a")
    net.reply(direct, "grazie", idempotency_key="b")

    first, second = (params(c) for c in calls_to(mock, "POST", "/api/v1/statuses"))
    assert first["visibility"] == ["unlisted"]
    assert first["status"] == ["@mastodonpy_test grazie"]  # already mentioned
    assert second["visibility"] == ["direct"]
    assert len(calls_to(mock, "GET", "/api/v1/statuses/117020585487094447")) == 1


def test_direct_message_is_a_direct_status_mentioning_the_person(mock, network):
    accounts = recorded_json("test_search.yaml", "GET", "/api/v2/search")["accounts"]
    mock.add(responses.GET, f"{BASE}/api/v1/accounts/{TEST_2}", json=accounts[1])
    serve(mock, "test_status_reply.yaml", "POST", "/api/v1/statuses", 1)

    sent = network().direct_message(TEST_2, "il tuo codice: CIAO10", idempotency_key="dm-1")

    [call] = calls_to(mock, "POST", "/api/v1/statuses")
    sent_params = params(call)
    assert sent_params["status"] == ["@mastodonpy_test_2@localhost:3000 il tuo codice: CIAO10"]
    assert sent_params["visibility"] == ["direct"]
    assert call.request.headers["Idempotency-Key"] == "dm-1"
    assert sent.external_id == "117020583258292382"


def test_follow(mock, network):
    mock.add(responses.POST, f"{BASE}/api/v1/accounts/{TEST_2}/follow",
             json={"id": TEST_2, "following": True, "showing_reblogs": True, "notifying": False,
                   "followed_by": False, "blocking": False, "muting": False, "requested": False})
    network().follow(TEST_2)
    [call] = calls_to(mock, "POST", f"/api/v1/accounts/{TEST_2}/follow")
    assert params(call)["reblogs"] == ["1"]


def test_find_sent_recognises_our_own_status(mock, network):
    mine = recorded_json("test_status_reply.yaml", "POST", "/api/v1/statuses", 1)
    mock.add(responses.GET, f"{BASE}/api/v1/accounts/{ADMIN}/statuses", json=[mine])
    net = network(own_id=ADMIN)
    since = dt.datetime(2026, 8, 1, 13, 0, tzinfo=dt.UTC)

    found = net.find_sent("@mastodonpy_test_2@localhost:3000 same!", since)

    assert found == Sent("117020583258292382", "http://localhost:3000/@admin/117020583258292382")
    assert params(calls_to(mock, "GET", f"/api/v1/accounts/{ADMIN}/statuses")[0]) == {
        "exclude_reblogs": ["1"], "limit": ["40"]}
    assert net.find_sent("something else", since) is None
    assert net.find_sent("same!", dt.datetime(2026, 8, 2, tzinfo=dt.UTC)) is None  # too old


# --- rate limits and errors -----------------------------------------------------------------------

def test_rate_limit_waits_then_resumes(mock, network, sleeps):
    mock.add(responses.GET, f"{BASE}/api/v1/timelines/tag/hoot", **rate_limited(30))
    serve(mock, "test_hashtag_tl.yaml", "GET", "/api/v1/timelines/tag/hoot")

    batch = network().search("#hoot", None)

    assert len(sleeps) == 1 and 28 <= sleeps[0] <= 32
    assert [p.external_id for p in batch.posts] == ["109440153064280358"]


def test_refused_token_is_an_auth_error(mock, network):
    mock.add(responses.GET, f"{BASE}/api/v1/notifications", status=401,
             json={"error": "The access token is invalid"})
    with pytest.raises(AuthError) as err:
        network().mentions(None)
    assert err.value.status == 401 and TOKEN not in str(err.value)


def test_a_missing_post_is_fatal(mock, network):
    mock.add(responses.GET, f"{BASE}/api/v1/statuses/1", status=404,
             json={"error": "Record not found"})
    gone = PostData(network="mastodon", external_id="1", author_id="2", author_handle="a@b.c",
                    text="", created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    net = network()

    with pytest.raises(FatalPlatformError) as err:
        net.reply(gone, "ciao", idempotency_key="k")
    assert not isinstance(err.value, AuthError) and err.value.status == 404


def test_bad_configuration(network):
    account = SocialAccount(network="mastodon", handle="shop", instance_url=BASE,
                            credentials=json.dumps({"client_id": "x"}))
    with pytest.raises(ConfigError):
        MastodonNetwork(account)
    account.credentials, account.instance_url = json.dumps({"access_token": "t"}), None
    with pytest.raises(ConfigError):
        MastodonNetwork(account)
    assert TOKEN not in repr(network())


# --- the instance's limits ------------------------------------------------------------------------

def test_capabilities_read_the_instance_limit(mock, network):
    mock.upsert(responses.GET, f"{BASE}/api/v2/instance/", json=instance_v2(5000))
    net = network()
    assert net.load_capabilities().max_length == 5000
    assert net.capabilities.max_length == 5000
    assert MastodonNetwork.capabilities.max_length == 500  # other accounts keep the default


def test_capabilities_fall_back_to_the_v1_instance(mock, network):
    mock.upsert(responses.GET, f"{BASE}/api/v2/instance/", status=404, json={"error": "x"})
    serve(mock, "test_instance.yaml", "GET", "/api/v1/instance/")
    assert network().load_capabilities().max_length == 500
    assert calls_to(mock, "GET", "/api/v1/instance/")


# --- app registration and OAuth -------------------------------------------------------------------

SHOP_CALLBACK = "https://shop.example/social/mastodon/callback"


def test_register_app(mock):
    # an Application as docs.joinmastodon.org/methods/apps shows it (none was recorded)
    mock.add(responses.POST, "https://social.example/api/v1/apps", json={
        "id": "563419", "name": "Arrosto", "website": None, "scopes": ["read", "write", "follow"],
        "redirect_uri": SHOP_CALLBACK, "redirect_uris": [SHOP_CALLBACK],
        "client_id": "TWhM-tNSuncnqN7DBJmoyeLnk6K3iJJ71KKXxgL1hPM",
        "client_secret": "ZEaFUFmF0umgBX1qKJDjaU99Q31lDkOU8NutzTOoliw",
        "vapid_key": "BCk-QqERU0q-CfYZjcuB6lnyyOYfJ2AifKqfeGIm7Z-HiTU5T9eTG5GxVA0_OH5mMlI4Ukk"
                     "DTpaZwozy0TzdZ2M="})

    client_id, secret = register_app("Social.Example/", SHOP_CALLBACK)

    assert (client_id, secret) == ("TWhM-tNSuncnqN7DBJmoyeLnk6K3iJJ71KKXxgL1hPM",
                                   "ZEaFUFmF0umgBX1qKJDjaU99Q31lDkOU8NutzTOoliw")
    assert params(mock.calls[0]) == {"client_name": ["Arrosto"], "scopes": ["read write follow"],
                                     "redirect_uris": [SHOP_CALLBACK]}


@pytest.mark.parametrize(("status", "error"), [(422, FatalPlatformError),
                                                (503, RetryableError)])
def test_register_app_refused(mock, status, error):
    mock.add(responses.POST, "https://social.example/api/v1/apps", status=status,
             json={"error": "Validation failed: Redirect URI must be an absolute URI."})
    with pytest.raises(error) as err:
        register_app("https://social.example", "not a uri")
    assert err.value.status == status


def test_authorization_url_uses_the_published_endpoint(mock):
    serve(mock, "test_auth_request_url.yaml", "GET", "/.well-known/oauth-authorization-server")

    url = authorization_url(BASE, "cid", "csecret", SHOP_CALLBACK, "st4te")

    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{BASE}/oauth/authorize"
    query = parse_qs(parts.query)
    assert query["client_id"] == ["cid"] and query["state"] == ["st4te"]
    assert query["redirect_uri"] == [SHOP_CALLBACK] and query["scope"] == ["read write follow"]
    assert query["response_type"] == ["code"]
    assert "csecret" not in url


def test_exchange_code(mock):
    serve(mock, "test_auth_request_url.yaml", "GET", "/.well-known/oauth-authorization-server")
    serve(mock, "test_instance.yaml", "GET", "/api/v1/instance/")
    # a Token as docs.joinmastodon.org/methods/oauth shows it
    mock.add(responses.POST, f"{BASE}/oauth/token", json={
        "access_token": "ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0", "token_type": "Bearer",
        "scope": "read write follow", "created_at": int(time.time())})

    token = exchange_code(BASE, "cid", "csecret", "the-code", SHOP_CALLBACK)

    assert token == "ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0"
    [call] = calls_to(mock, "POST", "/oauth/token")
    sent = params(call)
    assert sent["grant_type"] == ["authorization_code"] and sent["code"] == ["the-code"]
    assert sent["redirect_uri"] == [SHOP_CALLBACK] and sent["client_id"] == ["cid"]
    assert sent["client_secret"] == ["csecret"] and sent["scope"] == ["read write follow"]


def test_refused_code_is_an_auth_error(mock):
    serve(mock, "test_auth_request_url.yaml", "GET", "/.well-known/oauth-authorization-server")
    mock.add(responses.POST, f"{BASE}/oauth/token", status=400, json={
        "error": "invalid_grant",
        "error_description": "The provided authorization grant is invalid, expired, revoked, "
                             "does not match the redirection URI used in the authorization "
                             "request, or was issued to another client."})
    with pytest.raises(AuthError) as err:
        exchange_code(BASE, "cid", "csecret", "old-code", SHOP_CALLBACK)
    assert err.value.status == 400 and "csecret" not in str(err.value)
