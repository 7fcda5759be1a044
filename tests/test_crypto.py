"""Secrets are encrypted at rest and survive a key rotation."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import column, select, table, text

from arrosto import crypto
from arrosto.errors import ConfigError
from arrosto.models import Shop
from arrosto.secrets_rotation import encrypted_columns, rotate_all

TOKEN = "shpat_0123456789abcdef0123456789abcdef"


def add_shop(db, token=TOKEN) -> int:
    with db.transaction() as s:
        shop = Shop(platform="shopify", domain="a.myshopify.com", name="A", access_token=token,
                    refresh_token="refresh-" + token, webhook_secret="whsec-secret-value")
        s.add(shop)
        s.flush()
        return shop.id


def raw_values(db, table_name, col):
    t = table(table_name, column(col))
    with db.engine.connect() as conn:
        return [v for (v,) in conn.execute(select(t.c[col]))]


def test_token_not_in_database_in_clear(app, db, settings):
    shop_id = add_shop(db)
    db.dispose()
    if db.url.startswith("sqlite"):
        path = Path(db.engine.url.database)
        data = path.read_bytes() + (path.with_name(path.name + "-wal").read_bytes()
                                    if path.with_name(path.name + "-wal").exists() else b"")
        assert TOKEN.encode() not in data
        assert b"whsec-secret-value" not in data
    # on every backend: the stored value is ciphertext, and it reads back in clear
    stored = raw_values(db, "shops", "access_token")
    assert stored and all(TOKEN not in v and v.startswith("gAAAAA") for v in stored)
    with db.transaction() as s:
        assert s.get(Shop, shop_id).access_token == TOKEN
    with db.engine.connect() as conn:
        dump = " ".join(str(r) for r in conn.execute(text("SELECT * FROM shops")))
    assert TOKEN not in dump


def test_every_secret_column_is_encrypted():
    cols = set(encrypted_columns())
    for expected in [("shops", "access_token"), ("shops", "refresh_token"),
                     ("shops", "api_secret"), ("shops", "webhook_secret"),
                     ("social_accounts", "credentials"), ("social_accounts", "session_string")]:
        assert expected in cols


def test_rotation_keeps_old_secrets_readable_then_rewrites_them(make_app, settings):
    old_app = make_app(secret_key="old-key-aaaaaaaaaaaaaaaa")
    db = old_app.extensions["arrosto.db"]
    shop_id = add_shop(db)
    before = raw_values(db, "shops", "access_token")
    # new key first, old key kept: reads work, rotation rewrites with the new key
    make_app(secret_key="new-key-bbbbbbbbbbbbbbbb,old-key-aaaaaaaaaaaaaaaa")
    with db.transaction() as s:
        assert s.get(Shop, shop_id).access_token == TOKEN
    assert rotate_all(db) == 3
    assert raw_values(db, "shops", "access_token") != before
    # old key dropped: still readable
    make_app(secret_key="new-key-bbbbbbbbbbbbbbbb")
    with db.transaction() as s:
        assert s.get(Shop, shop_id).access_token == TOKEN
    # a key that never encrypted it: a clear error, not garbage
    make_app(secret_key="other-key-cccccccccccccccc")
    with pytest.raises(ConfigError, match="cannot be decrypted"), db.transaction() as s:
        s.get(Shop, shop_id).access_token  # noqa: B018
    crypto.configure([settings["secret_key"]])
