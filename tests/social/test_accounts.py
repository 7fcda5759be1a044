"""``arrosto social add`` connects accounts through the same functions as the admin's Accounts
page (:mod:`arrosto.social.accounts`): Bluesky logs in once and keeps the session, Mastodon
stores the account the token belongs to."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses
import yaml
from atproto_client.request import Request
from click.testing import CliRunner
from sqlalchemy import select

from arrosto.cli import cli
from arrosto.models import Shop, SocialAccount
from arrosto.social.bluesky import network as bluesky

from ..factories import make_shop
from .test_bluesky import APP_PASSWORD, SHOP_DID, SHOP_HANDLE, FakeBluesky

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def arrosto(app, monkeypatch):
    """Run ``arrosto ...`` on the test app's database."""
    monkeypatch.setattr("arrosto.cli.Context.app", lambda self: app)

    def run(*args: str):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return run


def accounts(db, shop: int) -> list[SocialAccount]:
    with db.transaction(shop) as s:
        return list(s.scalars(select(SocialAccount)))


def test_social_add_bluesky_logs_in_and_keeps_the_session(arrosto, db, monkeypatch):
    fake = FakeBluesky()
    monkeypatch.setattr(bluesky, "Request", lambda transport=None, timeout=30.0: Request(
        transport=fake.transport(), timeout=timeout))
    shop = make_shop(db, "brace.example")

    res = arrosto("social", "add", "bluesky", "--shop", str(shop), "--handle", SHOP_HANDLE,
                  "--app-password", APP_PASSWORD)

    assert res.exit_code == 0, res.output
    assert f"bluesky account @{SHOP_HANDLE} saved" in res.output
    [account] = accounts(db, shop)
    assert (account.handle, account.external_id) == (SHOP_HANDLE, SHOP_DID)
    assert account.session_string and len(fake.calls("com.atproto.server.createSession")) == 1
    with db.transaction() as s:
        assert s.get(Shop, shop).settings["handles"] == {"bluesky": SHOP_HANDLE}


def test_social_add_mastodon_stores_the_tokens_account(allow_loopback, arrosto, db):
    interactions = yaml.safe_load((FIXTURES / "mastodon" / "test_status_reply.yaml").read_text())
    [me] = [i["response"] for i in interactions["interactions"]
            if i["request"]["uri"].endswith("/api/v1/accounts/verify_credentials")]
    shop = make_shop(db, "brace.example")
    with responses.RequestsMock() as instance:
        instance.get("https://localhost:3000/api/v1/accounts/verify_credentials",
                     body=me["body"]["string"], content_type="application/json")
        res = arrosto("social", "add", "mastodon", "--shop", str(shop), "--instance",
                      "http://localhost:3000/", "--handle", "shop", "--access-token", "tok")
        assert instance.calls[0].request.headers["Authorization"] == "Bearer tok"

    assert res.exit_code == 0, res.output
    assert "belongs to @admin@localhost:3000, not @shop" in res.output
    [account] = accounts(db, shop)
    assert (account.handle, account.instance_url, account.external_id) == (
        "admin@localhost:3000", "https://localhost:3000", "117020565693913441")
    assert json.loads(account.credentials) == {"access_token": "tok"}
