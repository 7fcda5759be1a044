"""The social networks' rows of the conformance table (the shape: ``tests/conformance.py``; the
runner: ``tests/test_conformance.py``): each network of the registry built on its real SDK client,
its HTTP answered from the runner's script (``responses`` under tweepy's and Mastodon.py's
requests sessions, an httpx ``MockTransport`` under atproto's), the good answer a recorded
payload of ``tests/fixtures/<network>/``."""
from __future__ import annotations

import json
import time
from typing import Any

from arrosto.models import SocialAccount
from arrosto.social.bluesky import BlueskyNetwork
from arrosto.social.mastodon import MastodonNetwork
from arrosto.social.x import XNetwork

from ..conformance import Answer, Case, Row
from . import test_bluesky as bsky
from . import test_mastodon as masto
from . import test_x as x

INSTANCE = "https://mastodon.example"  # never resolved: the runner's ``responses`` answers first


def _x(case: Case, credentials: str | None = json.dumps(x.BEARER)) -> XNetwork:
    account = SocialAccount(network="x", handle="TweepyDev", external_id=x.SHOP_ID,
                            credentials=credentials)
    return XNetwork(account, sleep=case.sleep, max_wait=case.max_wait, clock=time.time)


def _bluesky(case: Case, credentials: dict[str, Any] | None = None, *,
             stored: bool = True) -> BlueskyNetwork:
    """On a stored session (tokens valid for two hours), so the call is the first request; or
    without one, so that the first request is the login (createSession)."""
    session = bsky.FakeBluesky().session_string() if stored else None
    creds = {"handle": bsky.SHOP_HANDLE, "app_password": bsky.APP_PASSWORD} \
        if credentials is None else credentials
    account = SocialAccount(network="bluesky", handle=bsky.SHOP_HANDLE,
                            credentials=json.dumps(creds), session_string=session)
    return BlueskyNetwork(account, sleep=case.sleep, max_wait=case.max_wait, clock=time.time,
                          transport=case.script.httpx_transport())


def _mastodon(case: Case, credentials: dict[str, Any] | None = None) -> MastodonNetwork:
    creds = {"access_token": masto.TOKEN} if credentials is None else credentials
    account = SocialAccount(network="mastodon", handle="mastodonpy_test", instance_url=INSTANCE,
                            external_id=masto.TEST, credentials=json.dumps(creds))
    return MastodonNetwork(account, sleep=case.sleep, max_wait=case.max_wait)


ROWS: list[Row] = [
    Row(name="x", build=_x,
        call=lambda network: network.search('"miscela oro" -is:retweet', None, limit=10),
        ok=Answer(body=x.RECORDED_PAGE),
        unauthorized=Answer(401, body=x.ERRORS["unauthorized_401"]),
        bad_config=lambda case: _x(case, credentials="not json")),
    Row(name="bluesky", build=_bluesky,
        call=lambda network: network.search('"miscela oro"', None),
        ok=Answer(body={"posts": bsky.real_post_views()}),
        bad_config=lambda case: _bluesky(case, credentials={"handle": bsky.SHOP_HANDLE})),
    # logging in is rate limited on its own (30 per 5 minutes): the same rules hold there
    Row(name="bluesky", id="bluesky-log-in", build=lambda case: _bluesky(case, stored=False),
        call=lambda network: network.log_in(),
        ok=Answer(body=bsky.FakeBluesky().issue()),
        bad_config=lambda case: _bluesky(case, credentials={"handle": bsky.SHOP_HANDLE},
                                         stored=False)),
    Row(name="mastodon", build=_mastodon,
        call=lambda network: network.mentions(None),
        ok=Answer(body=masto.recorded_json("test_notifications_mentions_only.yaml", "GET",
                                           "/api/v1/notifications")),
        bad_config=lambda case: _mastodon(case, credentials={"client_id": "no token"})),
]
