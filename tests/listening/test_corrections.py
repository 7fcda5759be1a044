"""The owner's corrections: each label re-routes the post at once (its case closed or opened,
its intent changed, "not about us" off its products), undo puts everything back, and the shop's
overlay learnt from them changes that shop's new posts only."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from arrosto.listening import classify as classify_module
from arrosto.listening import overlay
from arrosto.listening.classify import Classification
from arrosto.listening.pipeline import classify_stored_posts
from arrosto.models import Case, ClassifierOverlay, Post, PostCorrection, PostProduct, Shop, utcnow
from arrosto.support.corrections import correct, undo

from ..web.forms import csrf_token
from ..web.test_admin import sign_in
from ..web.test_inbox import support_shop


def _post_of(s, case_id: int) -> Post:
    return s.scalar(select(Post).where(Post.case_id == case_id))


def test_not_a_complaint_closes_the_case_and_undo_reopens_it(db):
    w = support_shop(db)
    with db.transaction(w.shop) as s:
        post = _post_of(s, w.complaint)
        correct(s, s.get(Shop, w.shop), post, "not_complaint")
        case = s.get(Case, w.complaint)
        assert post.intent in ("praise", "other")
        assert (case.state, case.resolved_by) == ("resolved", "correction")
        assert s.scalar(select(PostCorrection.label)) == "not_complaint"
    with db.transaction(w.shop) as s:
        post = _post_of(s, w.complaint)
        assert undo(s, post)
        case = s.get(Case, w.complaint)
        assert post.intent == "complaint"
        assert (case.state, case.resolved_by, case.resolved_at) == ("open", None, None)
        assert s.scalar(select(func.count(PostCorrection.id))) == 0


def test_this_is_a_question_opens_a_case_and_undo_removes_it(db):
    w = support_shop(db)
    with db.transaction(w.shop) as s:
        post = Post(network="x", external_id="q-1", author_id="55", author_handle="anna",
                    text="Il Kenya AA è adatto alla moka?", created_at=utcnow(), intent="other",
                    addresses_shop=True, lang="it", thread_id="q-1")
        s.add(post)
        s.flush()
        correct(s, s.get(Shop, w.shop), post, "question")
        case = s.get(Case, post.case_id)
        assert post.intent == "question"
        assert (case.intent, case.state) == ("question", "open")
        post_id, case_id = post.id, case.id
    with db.transaction(w.shop) as s:
        undo(s, s.get(Post, post_id))
        assert s.get(Post, post_id).intent == "other"
        assert s.get(Post, post_id).case_id is None
        assert s.get(Case, case_id) is None


def test_a_complaint_corrected_to_a_question_keeps_its_case_as_a_question(db):
    w = support_shop(db)
    with db.transaction(w.shop) as s:
        correct(s, s.get(Shop, w.shop), _post_of(s, w.younger), "question")
        case = s.get(Case, w.younger)
        assert (case.intent, case.state) == ("question", "open")


def test_not_about_us_takes_the_post_off_its_products_and_closes_its_case(db):
    w = support_shop(db)
    with db.transaction(w.shop) as s:
        post = _post_of(s, w.complaint)
        assert s.scalar(select(func.count(PostProduct.id)).where(
            PostProduct.post_id == post.id)) == 1
        correct(s, s.get(Shop, w.shop), post, "not_about_us")
        assert s.scalar(select(func.count(PostProduct.id)).where(
            PostProduct.post_id == post.id)) == 0
        assert s.get(Case, w.complaint).state == "resolved"
        assert post.intent == "other"
    with db.transaction(w.shop) as s:
        post = _post_of(s, w.complaint)
        undo(s, post)
        assert s.scalar(select(PostProduct.product_id).where(
            PostProduct.post_id == post.id)) == w.oro
        assert s.get(Case, w.complaint).state == "open"


def test_already_resolved_adds_the_signal_and_closes_the_case(db):
    w = support_shop(db)
    with db.transaction(w.shop) as s:
        post = _post_of(s, w.younger)
        correct(s, s.get(Shop, w.shop), post, "resolved")
        assert "resolved" in post.signals and post.intent != "complaint"
        assert s.get(Case, w.younger).state == "resolved"


def test_a_second_correction_replaces_the_first(db):
    w = support_shop(db)
    with db.transaction(w.shop) as s:
        post = _post_of(s, w.complaint)
        correct(s, s.get(Shop, w.shop), post, "not_complaint")
        correct(s, s.get(Shop, w.shop), post, "question")
        assert s.scalar(select(func.count(PostCorrection.id))) == 1
        assert s.get(Case, w.complaint).state == "open"
        undo(s, post)
        assert post.intent == "complaint"


def test_the_case_page_corrects_a_post_and_undoes_it(app, client, db):
    w = support_shop(db)
    sign_in(client, db, w.shop)
    with db.transaction(w.shop) as s:
        post_id = _post_of(s, w.complaint).id
    page = client.get(f"/admin/cases/{w.complaint}").get_data(as_text=True)
    assert "Not a complaint" in page and "Not about us" in page
    token = csrf_token(client, f"/admin/cases/{w.complaint}")
    assert client.post(f"/admin/posts/{post_id}/correct",
                       data={"label": "not_complaint"}).status_code == 400  # no CSRF token
    res = client.post(f"/admin/posts/{post_id}/correct",
                      data={"label": "not_complaint", "back": "case", "csrf_token": token})
    assert res.status_code == 302 and res.headers["Location"].endswith(f"/cases/{w.complaint}")
    with db.transaction(w.shop) as s:
        assert s.get(Case, w.complaint).state == "resolved"
        assert s.scalar(select(ClassifierOverlay.corrections)) == 1  # the job ran inline
    assert "Undo" in client.get(f"/admin/posts/{post_id}").get_data(as_text=True)
    client.post(f"/admin/posts/{post_id}/correct/undo", data={"csrf_token": token})
    with db.transaction(w.shop) as s:
        assert s.get(Case, w.complaint).state == "open"
        assert s.scalar(select(ClassifierOverlay.corrections)) == 0
    assert client.post(f"/admin/posts/{post_id}/correct",
                       data={"label": "nonsense", "csrf_token": token}).status_code == 400


class Always:
    """The base classifier as a stub: everything reads as a complaint."""

    def classify(self, texts):
        return [Classification("complaint", -0.5, "it", 0.9) for _ in texts]


@pytest.fixture
def stub_classifier(monkeypatch):
    monkeypatch.setattr(classify_module, "get_classifier", lambda: Always())


def _new_post(s, external_id: str, text: str) -> int:
    post = Post(network="x", external_id=external_id, author_id="a-" + external_id,
                author_handle="h" + external_id, text=text, created_at=utcnow(), lang="it")
    s.add(post)
    s.flush()
    return post.id


def test_the_overlay_changes_only_the_shop_that_made_the_corrections(db, stub_classifier):
    a = support_shop(db, "a.example")
    b = support_shop(db, "b.example")
    text = "Quando torna disponibile il Kenya AA? Avvisatemi per favore"
    with db.transaction(a.shop) as s:
        post = s.get(Post, _new_post(s, "a-old", text))
        post.intent = "complaint"
        correct(s, s.get(Shop, a.shop), post, "question")
    assert overlay.rebuild(db, a.shop) == 1
    assert overlay.rebuild(db, b.shop) == 0
    similar = "Quando torna disponibile il Kenya AA? Avvisatemi"
    unrelated = "Il caffè è arrivato rotto e nessuno risponde alle mail"
    for shop, expected in ((a.shop, "question"), (b.shop, "complaint")):
        with db.transaction(shop) as s:
            ids = [_new_post(s, f"{shop}-new", similar), _new_post(s, f"{shop}-far", unrelated)]
            classify_stored_posts(s, ids)
            assert s.get(Post, ids[0]).intent == expected
            assert s.get(Post, ids[1]).intent == "complaint"


def test_the_job_builds_the_overlay_from_the_shops_corrections(app, db):
    w = support_shop(db)
    with db.transaction(w.shop) as s:
        correct(s, s.get(Shop, w.shop), _post_of(s, w.complaint), "not_about_us")
        correct(s, s.get(Shop, w.shop), _post_of(s, w.question), "not_complaint")
    with app.app_context():
        overlay.rebuild_overlay_job(w.shop)
    with db.transaction(w.shop) as s:
        row = s.scalar(select(ClassifierOverlay))
        assert row.corrections == 2
        assert sorted(x["label"] for x in row.labels) == ["not_about_us", "not_complaint"]
        loaded = overlay.load(s)
        assert loaded.vectors.shape == (2, 512)
        assert row.built_at >= utcnow() - dt.timedelta(minutes=5)


def test_the_pipeline_stores_signals_aspects_and_the_sentiment_label(db, monkeypatch):
    class Reads:
        def classify(self, texts):
            return [Classification("question", 0.1, "it", 0.2, "neutral",
                                   frozenset({"restock_request"}), ("delivery",))
                    for _ in texts]

    monkeypatch.setattr(classify_module, "get_classifier", lambda: Reads())
    shop = support_shop(db)
    with db.transaction(shop.shop) as s:
        post_id = _new_post(s, "sig-1", "Quando torna il Kenya? Spedite in Svizzera?")
        classify_stored_posts(s, [post_id])
        post = s.get(Post, post_id)
        assert (post.intent, post.sentiment_label) == ("question", "neutral")
        assert (post.signals, post.aspects) == (["restock_request"], ["delivery"])


def test_one_correction_moves_only_its_near_copies():
    """The overlay's rule: a post takes a corrected label when two of its three nearest corrected
    posts agree on it, or one is nearly the same post; a single similar correction is not enough."""
    import numpy as np

    def unit(*xs):
        v = np.zeros(512, dtype=np.float32)
        v[:len(xs)] = xs
        return v / np.linalg.norm(v)

    question = {"label": "question", "intent": "question"}
    praise = {"label": "not_complaint", "intent": "praise"}
    one = overlay.Overlay(np.vstack([unit(1, 0)]), [question])
    similar, copy = unit(1, 0.6), unit(1, 0.1)  # cosine 0.86 and 0.995 to the correction
    assert one.nearest(np.vstack([similar, copy])) == [None, question]
    two = overlay.Overlay(np.vstack([unit(1, 0), unit(1, 1.2), unit(0, 1)]),
                          [question, question, praise])
    assert two.nearest(np.vstack([unit(1, 0.6)])) == [question]
    split = overlay.Overlay(np.vstack([unit(1, 0.6), unit(1, -0.6)]), [question, praise])
    assert split.nearest(np.vstack([unit(1, 0)])) == [None]
