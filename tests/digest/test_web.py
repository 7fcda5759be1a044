"""The admin's digest page (preview, settings, test send) and the ``arrosto digest`` command."""
from __future__ import annotations

import email
import email.policy

from sqlalchemy import select

from arrosto.cli import cli
from arrosto.demo import write_demo_digest
from arrosto.models import DigestRecipient, Shop

from ..web.forms import csrf_token, post_form
from ..web.test_admin import sign_in
from .data import add_recipients, busy_shop


def test_digest_page_previews_and_saves_settings(client, db):
    shop_id = busy_shop(db)
    add_recipients(db, shop_id, "titolare@brace.example")
    sign_in(client, db, shop_id)
    page = client.get("/admin/digest")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "titolare@brace.example" in text and 'name="csrf_token"' in text
    assert 'src="/admin/digest/preview"' in text
    preview = client.get("/admin/digest/preview")
    assert preview.status_code == 200 and "Reclami in attesa di risposta" in preview.get_data(
        as_text=True)
    assert "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"]

    res = post_form(client, "/admin/digest", {
        "recipients": "Titolare@brace.example\nnuovo@brace.example\n", "hour": "7",
        "language": "en", "quiet": "none"})
    assert res.status_code == 302
    with db.transaction(shop_id) as s:
        assert s.get(Shop, shop_id).settings["digest_hour"] == 7
        assert s.get(Shop, shop_id).settings["digest_language"] == "en"
        assert sorted(s.scalars(select(DigestRecipient.email))) == [
            "nuovo@brace.example", "titolare@brace.example"]
    assert "Complaints waiting for an answer" in client.get("/admin/digest/preview").get_data(
        as_text=True)
    bad = post_form(client, "/admin/digest", {"recipients": "not an address", "hour": "7",
                                              "language": "en", "quiet": "none"})
    assert bad.status_code == 400 and "is not an e-mail address" in bad.get_data(as_text=True)
    # every form needs its token
    assert client.post("/admin/digest", data={"hour": "9", "language": "it",
                                              "quiet": "short"}).status_code == 400


def test_send_a_test(client, db, make_app, monkeypatch):
    sent = []
    monkeypatch.setattr("arrosto.digest.send.Mailer.send", lambda self, msg: sent.append(msg))
    app = make_app(smtp_host="smtp.example", mail_from="digest@arrosto.example")
    client = app.test_client()
    db = app.extensions["arrosto.db"]
    shop_id = busy_shop(db)
    add_recipients(db, shop_id, "titolare@brace.example")
    sign_in(client, db, shop_id)
    res = client.post("/admin/digest/test", data={"csrf_token": csrf_token(client,
                                                                            "/admin/digest")},
                      follow_redirects=True)
    assert "Test digest sent to 1 recipient." in res.get_data(as_text=True)
    assert [m["To"] for m in sent] == ["titolare@brace.example"]


def test_cli_print_html_and_send(app, db, runner, tmp_path, monkeypatch):
    monkeypatch.setattr("arrosto.cli.Context.app", lambda self: app)
    shop_id = busy_shop(db)
    res = runner.invoke(cli, ["digest", "--shop", "brace.example", "--date", "2026-11-23",
                              "--print"])
    assert res.exit_code == 0, res.output
    assert "Ieri, 22 novembre 2026" in res.output and "Moka Inox 3 tazze" in res.output
    out = tmp_path / "digest.html"
    res = runner.invoke(cli, ["digest", "--shop", str(shop_id), "--html", str(out)])
    assert res.exit_code == 0, res.output
    assert "data:image/png;base64," in out.read_text(encoding="utf-8")
    assert runner.invoke(cli, ["digest", "--shop", str(shop_id)]).exit_code == 2

    sent = []
    monkeypatch.setattr("arrosto.digest.send.Mailer.send", lambda self, msg: sent.append(msg))
    settings = app.config["ARROSTO"]
    monkeypatch.setattr(settings, "smtp_host", "smtp.example")
    monkeypatch.setattr(settings, "mail_from", "digest@arrosto.example")
    add_recipients(db, shop_id, "titolare@brace.example")
    res = runner.invoke(cli, ["digest", "--shop", str(shop_id), "--date", "2026-11-23",
                              "--send"])
    assert res.exit_code == 0, res.output
    assert "Digest of 2026-11-23: sent (1 sent)" in res.output
    msg = email.message_from_bytes(sent[0].as_bytes(), policy=email.policy.default)
    assert msg["To"] == "titolare@brace.example"
    again = runner.invoke(cli, ["digest", "--shop", str(shop_id), "--date", "2026-11-23",
                                "--send"])
    assert again.exit_code != 0  # once per date


def test_demo_digest_file(app, db, tmp_path):
    shop_id = busy_shop(db)
    path = write_demo_digest(db, app.config["ARROSTO"], shop_id, tmp_path / "d.html")
    assert path.exists() and "Torrefazione Brace" in path.read_text(encoding="utf-8")
