"""The digest through a real SMTP server in this process (aiosmtpd), and its one-click
unsubscribe (RFC 8058) stopping the next digest."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import socket
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from arrosto.digest import schedule
from arrosto.digest.send import read_unsubscribe_token, send_digest, unsubscribe_token
from arrosto.models import DigestRecipient, DigestRun, Message

from .data import DAY, NOW, add_recipients, busy_shop


class Inbox:
    def __init__(self):
        self.envelopes = []
        self.refuse = 0  # answer this many DATA commands with a temporary failure

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 try again later"
        self.envelopes.append((session.authenticated, envelope))
        return "250 OK"

    def messages(self):
        return [email.message_from_bytes(e.original_content, policy=email.policy.default)
                for _, e in self.envelopes]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"arrosto" and auth_data.password == b"s3cret"
        return AuthResult(success=ok)

    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(),
                            authenticator=authenticator, auth_require_tls=False)
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture
def mail_app(make_app, smtp_server):
    controller, _ = smtp_server
    return make_app(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_security="none",
                    smtp_user="arrosto", smtp_password="s3cret",
                    mail_from="Arrosto <digest@arrosto.example>",
                    public_url="https://arrosto.example")


def test_digest_arrives_as_multipart_alternative_with_inline_chart(mail_app, smtp_server):
    _, inbox = smtp_server
    db, settings = mail_app.extensions["arrosto.db"], mail_app.config["ARROSTO"]
    shop_id = busy_shop(db)
    add_recipients(db, shop_id, "titolare@brace.example")
    result = send_digest(db, settings, shop_id, DAY, now=NOW, wait=lambda s: None)
    assert (result.state, result.sent) == ("sent", 1)

    (authenticated, envelope), = inbox.envelopes
    assert authenticated and envelope.rcpt_tos == ["titolare@brace.example"]
    msg, = inbox.messages()
    assert msg.get_content_type() == "multipart/alternative"
    text, related = msg.get_payload()
    assert text.get_content_type() == "text/plain" and text.get_content_charset() == "utf-8"
    assert related.get_content_type() == "multipart/related"
    html, image = related.get_payload()
    assert html.get_content_type() == "text/html"
    assert image.get_content_type() == "image/png"
    assert image["Content-ID"] == "<digest-chart>"
    assert image.get_content().startswith(b"\x89PNG")
    assert 'src="cid:digest-chart"' in html.get_content()
    # Italian survives the trip, in both parts
    assert "Il caffè è arrivato rotto" in text.get_content()
    assert "Il caffè è arrivato rotto" in html.get_content()
    # the headers parse
    assert email.utils.parsedate_to_datetime(msg["Date"]) == NOW
    assert email.utils.parseaddr(msg["From"]) == ("Arrosto", "digest@arrosto.example")
    assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith(
        "@arrosto.example>")
    assert "Torrefazione Brace" in msg["Subject"]
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = msg["List-Unsubscribe"].strip("<>")
    assert url.startswith("https://arrosto.example/digest/unsubscribe/")
    with db.transaction(shop_id) as s:
        run = s.scalar(select(DigestRun))
        assert (run.state, run.local_date, run.message_id) == ("sent", DAY, msg["Message-ID"])
        sent = s.scalar(select(Message).where(Message.kind == "digest"))
        assert (sent.state, sent.recipient_id) == ("sent", "titolare@brace.example")


def test_one_click_unsubscribe_stops_the_next_digest(mail_app, smtp_server):
    _, inbox = smtp_server
    db, settings = mail_app.extensions["arrosto.db"], mail_app.config["ARROSTO"]
    shop_id = busy_shop(db)
    owner, partner = add_recipients(db, shop_id, "titolare@brace.example", "socia@brace.example")
    assert schedule.run_due(db, settings, NOW, wait=lambda s: None) == {shop_id: "sent"}
    first = {m["To"]: m for m in inbox.messages()}
    assert set(first) == {"titolare@brace.example", "socia@brace.example"}
    url = first["socia@brace.example"]["List-Unsubscribe"].strip("<>")
    assert url != first["titolare@brace.example"]["List-Unsubscribe"].strip("<>")

    client = mail_app.test_client()
    path = urlsplit(url).path
    page = client.get(path)  # a person (or a link scanner) following it: nothing changes yet
    assert page.status_code == 200 and b"Unsubscribe" in page.data
    with db.transaction(shop_id) as s:
        assert s.get(DigestRecipient, partner).unsubscribed_at is None
    # what a mail client sends for one click: no session, no CSRF token
    res = client.post(path, data="List-Unsubscribe=One-Click",
                      content_type="application/x-www-form-urlencoded")
    assert res.status_code == 200 and b"socia@brace.example" in res.data
    assert client.post(path).status_code == 200  # twice is harmless
    with db.transaction(shop_id) as s:
        assert s.get(DigestRecipient, partner).unsubscribed_at is not None
        assert s.get(DigestRecipient, owner).unsubscribed_at is None

    inbox.envelopes.clear()
    tomorrow = NOW + dt.timedelta(days=1)
    assert schedule.run_due(db, settings, tomorrow, wait=lambda s: None) == {shop_id: "sent"}
    assert [m["To"] for m in inbox.messages()] == ["titolare@brace.example"]


def test_bad_or_forged_tokens_change_nothing(mail_app, smtp_server):
    db = mail_app.extensions["arrosto.db"]
    shop_id = busy_shop(db)
    add_recipients(db, shop_id, "titolare@brace.example")
    client = mail_app.test_client()
    assert client.post("/digest/unsubscribe/garbage").status_code == 404
    assert client.post("/digest/unsubscribe/MS4x.00000000000000000000000000000000"
                       ).status_code == 404
    assert client.get("/digest/unsubscribe/MS4x.0").status_code == 404
    with db.transaction(shop_id) as s:
        assert s.scalar(select(DigestRecipient)).unsubscribed_at is None


def test_temporary_smtp_failure_is_retried(mail_app, smtp_server):
    _, inbox = smtp_server
    db, settings = mail_app.extensions["arrosto.db"], mail_app.config["ARROSTO"]
    shop_id = busy_shop(db)
    add_recipients(db, shop_id, "titolare@brace.example")
    inbox.refuse = 1
    waits = []
    result = send_digest(db, settings, shop_id, DAY, now=NOW, wait=waits.append)
    assert result.state == "sent" and len(inbox.envelopes) == 1
    assert waits == [5.0]


def test_server_down_never_marks_the_day_sent(make_app):
    app = make_app(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none",
                   mail_from="digest@arrosto.example")
    db, settings = app.extensions["arrosto.db"], app.config["ARROSTO"]
    shop_id = busy_shop(db)
    add_recipients(db, shop_id, "titolare@brace.example")
    waits = []
    result = send_digest(db, settings, shop_id, DAY, now=NOW, wait=waits.append)
    assert result.state == "failed" and "ConnectionRefused" in result.error
    assert waits == [5.0, 30.0]  # three tries, growing waits
    with db.transaction(shop_id) as s:
        run = s.scalar(select(DigestRun))
        assert (run.state, run.sent_at) == ("failed", None)
        assert s.scalar(select(Message.state).where(Message.kind == "digest")) == "failed"


def test_unsubscribe_links_survive_a_key_rotation_and_refuse_forgeries():
    old, new = "old-secret-key-0123456789abcdef", "new-secret-key-0123456789abcdef"
    sent_before = unsubscribe_token([old], 3, 7)
    assert read_unsubscribe_token([new, old], sent_before) == (3, 7)  # a digest from before
    assert read_unsubscribe_token([new, old], unsubscribe_token([new, old], 3, 7)) == (3, 7)
    assert read_unsubscribe_token([new], sent_before) is None  # the old key retired
    forged = unsubscribe_token(["someone-else's-key-0123456789ab"], 3, 7)
    assert read_unsubscribe_token([new, old], forged) is None
    assert read_unsubscribe_token([new, old], sent_before.replace("Wz", "Wy", 1)) is None
