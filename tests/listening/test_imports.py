"""``arrosto import posts``: JSONL, CSV and X archives; a second import adds nothing."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from arrosto.cli import cli
from arrosto.listening.imports import import_file
from arrosto.models import Post, Shop

from ..factories import make_shop


def shop_with_handles(db):
    shop_id = make_shop(db, "brace-caffe.example", platform="demo")
    with db.transaction() as s:
        s.get(Shop, shop_id).settings = {"handles": {"x": "bracecaffe"}}
    return shop_id


def test_jsonl_import_is_idempotent_and_reports_bad_lines(db, tmp_path):
    shop_id = shop_with_handles(db)
    path = tmp_path / "posts.jsonl"
    lines = [json.dumps({"network": "x", "id": "1", "author": "giulia", "text": "@bracecaffe "
                         "dov'è il mio ordine?", "created_at": "2026-11-20T10:00:00Z"}),
             json.dumps({"network": "x", "id": "2", "author": "marco", "text": "buonissimo",
                         "created_at": "2026-11-20T11:00:00+01:00", "lang": "it"}),
             "{broken json",
             json.dumps({"network": "x", "id": "3", "text": "no author",
                         "created_at": "2026-11-20T11:00:00Z"})]
    path.write_text("\n".join(lines) + "\n")
    first = import_file(db, shop_id, path)
    assert (first.read, first.new, first.duplicates, len(first.problems)) == (2, 2, 0, 2)
    assert [p.where for p in first.problems] == ["line 3", "line 4"]
    second = import_file(db, shop_id, path)
    assert (second.new, second.duplicates) == (0, 2)
    with db.transaction(shop_id) as s:
        posts = {p.external_id: p for p in s.scalars(select(Post))}
    assert posts["1"].addresses_shop and not posts["2"].addresses_shop
    assert posts["2"].created_at.isoformat() == "2026-11-20T10:00:00+00:00"


def test_csv_import_without_ids_is_still_idempotent(db, tmp_path):
    shop_id = shop_with_handles(db)
    path = tmp_path / "export.csv"
    path.write_text("Text,Author,Date,URL\n"
                    "\"Adoro la miscela, grazie!\",@anna,2026-11-01 09:30,https://example.org/1\n"
                    "Where is order #1002?,bob,2026-11-02T10:00:00Z,\n")
    assert import_file(db, shop_id, path).new == 2
    assert import_file(db, shop_id, path).new == 0


def test_x_archive_tweets_js(db, tmp_path):
    shop_id = shop_with_handles(db)
    path = tmp_path / "tweets.js"
    path.write_text('window.YTD.tweets.part0 = [{"tweet": {"id_str": "1850000000000000001", '
                    '"full_text": "Nuova miscela in arrivo", "created_at": '
                    '"Wed Oct 30 08:00:00 +0000 2024", "lang": "it", "favorite_count": "3", '
                    '"retweet_count": "1"}}]')
    summary = import_file(db, shop_id, path, "x", author="bracecaffe")
    assert summary.new == 1 and not summary.problems
    with db.transaction(shop_id) as s:
        post = s.scalar(select(Post))
    assert post.is_own and post.metrics == {"likes": 3, "reposts": 1}


def test_cli_import_prints_a_summary(runner, db, tmp_path, monkeypatch):
    shop_id = shop_with_handles(db)
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"id": "9", "author": "x", "text": "hi",
                                "created_at": "2026-11-01T00:00:00Z"}) + "\n")
    app = runner.app
    monkeypatch.setattr("arrosto.cli.Context.app", lambda self: app)
    res = runner.invoke(cli, ["import", "posts", str(path), "--shop", str(shop_id)])
    assert res.exit_code == 0, res.output
    assert "1 posts read: 1 new, 0 already stored, 0 skipped" in res.output
    with db.transaction(shop_id) as s:
        assert s.scalar(select(func.count(Post.id))) == 1
