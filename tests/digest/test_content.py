"""What the digest says, and how it is rendered (HTML, text, chart)."""
from __future__ import annotations

import struct

from arrosto.digest.content import build_digest
from arrosto.digest.render import build_message, chart_png, render_file, render_html, render_text
from arrosto.models import Shop

from ..factories import make_shop
from .data import DAY, NOW, busy_shop


def digest_of(app, db, shop_id, day=DAY, now=NOW):
    settings = app.config["ARROSTO"]
    with db.transaction(shop_id) as s:
        return build_digest(s, s.get(Shop, shop_id), day, public_url="https://arrosto.example",
                            settings=settings, now=now)


def test_waiting_complaints_oldest_first_with_age_order_and_sla(app, db):
    d = digest_of(app, db, busy_shop(db))
    assert [c["handle"] for c in d["complaints"]] == ["giulia", "marco.bsky.social"]
    old, new = d["complaints"]
    assert (old["age_hours"], old["order"], old["overdue"]) == (30, "#1042", True)
    assert (new["age_hours"], new["order"], new["overdue"]) == (1, None, False)
    assert old["url"] == f"https://arrosto.example/admin/cases/{old['id']}"
    assert "manico" in old["text"]
    assert d["complaints_total"] == 2  # the answered one (state waiting) is not listed
    assert [q["handle"] for q in d["questions"]] == ["anna"]


def test_mentions_per_product_with_change_and_quotes(app, db):
    d = digest_of(app, db, busy_shop(db))
    by_title = {p["title"]: p for p in d["products"]}
    # a tie (3 each) goes to the older product
    assert [p["title"] for p in d["products"]] == ["Moka Inox 3 tazze", "Miscela Vesuvio"]
    vesuvio, moka = by_title["Miscela Vesuvio"], by_title["Moka Inox 3 tazze"]
    assert (vesuvio["mentions"], vesuvio["previous"], vesuvio["change"]) == (3, 1, 2)
    assert (moka["mentions"], moka["complaints"]) == (3, 2)  # the shop's own post not counted
    assert len(vesuvio["works"]) == 2 and "crema densa" in vesuvio["works"][0]["text"]
    assert [q["text"] for q in moka["fails"]][0] == "La moka perde dalla guarnizione"
    assert d["mentions_total"] == 6 and d["mentions_previous"] == 1


def test_promotions_budget_and_actions(app, db):
    d = digest_of(app, db, busy_shop(db))
    p = d["promotions"]
    assert (p["sent"], p["replies"], p["opt_outs"], p["new_watchers"], p["conversions"],
            p["revenue"]) == (1, 1, 1, 1, 1, "24.90")
    sconto = next(i for i in p["items"] if i["title"] == "Sconto moka")
    assert (sconto["reached"], sconto["conversions"], sconto["revenue"]) == (1, 1, "24.90")
    assert d["x_budget"] == [{"handle": "bracecaffe", "used": 8500, "budget": 10000,
                              "share": 0.85}]
    kinds = [a["kind"] for a in d["actions"]]
    assert kinds[0] == "answer_complaint"  # the overdue complaint first
    assert {"answer_questions", "check_product", "approve_promotion", "x_budget"} <= set(kinds)
    assert all(a["url"].startswith("https://arrosto.example/admin/") for a in d["actions"])


def test_chart_counts_fourteen_local_days(app, db):
    d = digest_of(app, db, busy_shop(db))
    assert len(d["chart"]) == 14
    assert d["chart"][-1] == {"date": "2026-11-22", "mentions": 7, "complaints": 2}
    png = chart_png(d["chart"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert struct.unpack(">II", png[16:24]) == (560, 140)
    assert len(png) < 10_000


def test_italian_html_and_text(app, db):
    d = digest_of(app, db, busy_shop(db))
    html = render_html(d, unsubscribe_url="https://arrosto.example/digest/unsubscribe/x")
    assert "<style" not in html and 'style="' in html  # CSS inlined
    assert "Reclami in attesa di risposta" in html and "Il caffè è arrivato rotto" in html
    assert "in ritardo" in html and "ordine #1042" in html
    text = render_text(d)
    assert "Riepilogo del giorno" in text and "Ieri, 22 novembre 2026" in text
    assert "crema densa" in text and "<" not in text.replace("<<", "")
    page = render_file(d)
    assert 'src="data:image/png;base64,' in page


def test_english_and_quiet_day(app, db):
    shop_id = make_shop(db, "quiet.example", timezone="America/New_York", language="en")
    d = digest_of(app, db, shop_id)
    assert d["quiet"] and d["language"] == "en" and d["actions"] == []
    text = render_text(d)
    assert "A quiet day" in text and "Complaints waiting" not in text


def test_message_headers(app, db):
    d = digest_of(app, db, busy_shop(db))
    msg = build_message(d, sender="Arrosto <digest@arrosto.example>", recipient="o@shop.example",
                        unsubscribe_url="https://arrosto.example/digest/unsubscribe/tok")
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["List-Unsubscribe"] == "<https://arrosto.example/digest/unsubscribe/tok>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["Message-ID"].endswith("@arrosto.example>")
    assert "2 in attesa di risposta" not in msg["Subject"]  # 2 complaints + 1 question
    assert "3 in attesa di risposta" in msg["Subject"]
