"""What the digest says, and how it is rendered (HTML, text, chart)."""
from __future__ import annotations

import datetime as dt
import struct

import pytest
from sqlalchemy import select

from arrosto.digest.content import build_digest, polarity, verdict
from arrosto.digest.render import build_message, chart_png, render_file, render_html, render_text
from arrosto.models import Post, PostProduct, Product, Shop

from ..factories import make_shop
from .data import DAY, NOW, YESTERDAY, busy_shop


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


def test_what_works_and_what_does_not_reads_intent_signals_and_aspects(app, db):
    """Purchase intent, a restock request, a resolved thank-you and a "complaint" the model
    itself reads as positive are never quoted as what does not work; each side names its
    aspects, in Italian and English."""
    shop_id = busy_shop(db)
    with db.transaction(shop_id) as s:
        blend = s.scalar(select(Product).where(Product.title == "Miscela Vesuvio"))
        posts = [
            ("Nel carrello: la Vesuvio. Manca solo il coraggio di premere paga.",
             "purchase_intent", "positive", [], []),
            ("Avvisatemi quando torna la Vesuvio", "complaint", "neutral",
             ["restock_request"], []),
            ("Doppio addebito per la Vesuvio stornato, tutto risolto 👍", "complaint",
             "positive", ["resolved"], ["payment"]),
            ("La Vesuvio sa di stantio, zero crema. Deluso.", "complaint", "negative", [],
             ["quality"]),
            ("Vesuvio arrivata in ritardo e col pacco distrutto", "complaint", "negative", [],
             ["delivery", "packaging"]),
            ("Ottima la Vesuvio, anche se sa un po' di bruciato", "complaint", "positive", [],
             ["quality"]),
            ("Vesuvio sbagliata, me l'hanno cambiata subito: grandi", "praise", "positive",
             ["resolved"], ["service"]),
        ]
        for n, (text, intent, label, signals, aspects) in enumerate(posts):
            when = YESTERDAY + dt.timedelta(minutes=n + 1)  # newer than the fixture's posts
            post = Post(network="x", external_id=f"wwd{n}", author_id=f"w{n}",
                        author_handle=f"writer{n}", text=text, created_at=when, intent=intent,
                        sentiment_label=label, signals=signals, aspects=aspects)
            s.add(post)
            s.flush()
            s.add(PostProduct(post_id=post.id, product_id=blend.id, post_created_at=when))
    d = digest_of(app, db, shop_id)
    vesuvio = next(p for p in d["products"] if p["title"] == "Miscela Vesuvio")
    assert [q["text"] for q in vesuvio["fails"]] == [
        "Vesuvio arrivata in ritardo e col pacco distrutto",
        "La Vesuvio sa di stantio, zero crema. Deluso."]
    assert vesuvio["fails"][0]["aspects"] == ["delivery", "packaging"]
    assert vesuvio["fails_aspects"] == [{"aspect": "quality", "count": 1},
                                        {"aspect": "delivery", "count": 1},
                                        {"aspect": "packaging", "count": 1}]
    assert vesuvio["works"][0]["text"] == "Vesuvio sbagliata, me l'hanno cambiata subito: grandi"
    assert vesuvio["works_aspects"] == [{"aspect": "service", "count": 1}]
    quoted = " ".join(q["text"] for q in vesuvio["works"] + vesuvio["fails"])
    for never in ("Nel carrello", "Avvisatemi", "stornato", "Ottima"):
        assert never not in quoted
    text = render_text(d)
    assert "Cosa non va: gusto e qualità (1), consegna (1), confezione (1)" in text
    assert "Cosa funziona: assistenza (1)" in text
    html = render_html(d)
    assert "Cosa non va: gusto e qualità (1), consegna (1), confezione (1)" in html
    d["language"] = "en"
    assert "What does not: taste and quality (1), delivery (1), packaging (1)" in \
        render_text(d)


@pytest.mark.parametrize(("intent", "label", "score", "signals", "side"), [
    ("complaint", "negative", -0.8, [], "fails"),
    ("complaint", "positive", 0.7, ["sarcasm"], "fails"),  # "grazie tante per il pacco rotto 👏"
    ("complaint", "positive", 0.7, [], None),
    ("complaint", None, 0.8, [], None),  # classified before labels: the score decides
    ("complaint", None, None, [], "fails"),
    ("complaint", "neutral", 0.0, ["restock_request"], None),
    ("complaint", "positive", 0.6, ["resolved"], None),
    ("praise", "positive", 0.9, ["resolved"], "works"),
    ("praise", "positive", 0.9, ["sarcasm"], None),
    ("praise", None, -0.7, [], None),
    ("purchase_intent", "positive", 0.6, [], None),
    ("question", "neutral", 0.0, [], None),
])
def test_which_side_a_post_is_quoted_on(intent, label, score, signals, side):
    assert verdict(intent, label or polarity(score), signals) == side
