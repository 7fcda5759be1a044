"""The owner's corrections through the JSON API: a post with its correction, a correction
re-routing the post as the post page's buttons do (its case closed or opened, the overlay
rebuilt), the same one again changing nothing, undo putting everything back; another shop's
post → 404 and bad bodies → 4xx, every answer checked against the served document."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from arrosto.models import Case, ClassifierOverlay, Post, PostCorrection, PostProduct, utcnow

from .test_api import PREFIX, api_shops, call


@pytest.fixture
def api(db):
    return api_shops(db)


def _post_id(db, data, case_id: int) -> int:
    with db.transaction(data.shop) as s:
        return s.scalar(select(Post.id).where(Post.case_id == case_id))


def test_a_post_with_its_products_and_correction(client, db, api):
    post_id = _post_id(db, api, api.complaint)
    post = call(client, "get", "/posts/{post_id}", api.token, post_id=post_id)
    assert (post["id"], post["case_id"], post["product_ids"], post["correction"]) == \
        (post_id, api.complaint, [api.oro], None)
    assert all(p["correction"] is None
               for p in call(client, "get", "/posts", api.token)["items"])


def test_a_correction_through_the_api_re_routes_the_post_and_undo_puts_it_back(client, db, api):
    post_id = _post_id(db, api, api.complaint)
    template = "/posts/{post_id}/correction"
    out = call(client, "post", template, api.token, body={"label": "not_complaint"},
               post_id=post_id)
    assert out["changed"] is True and out["queued"] == 0
    assert out["post"]["correction"] == "not_complaint"
    assert out["post"]["intent"] in ("praise", "other")
    assert (out["case"]["id"], out["case"]["state"]) == (api.complaint, "resolved")
    with db.transaction(api.shop) as s:
        row = s.scalar(select(PostCorrection))
        assert (row.post_id, row.label, row.corrected_by) == (post_id, "not_complaint",
                                                               "api:tests")
        assert s.scalar(select(ClassifierOverlay.corrections)) == 1  # the job ran inline
        corrected_at = row.corrected_at
    listed = {p["id"]: p["correction"]
              for p in call(client, "get", "/posts", api.token)["items"]}
    assert listed[post_id] == "not_complaint"
    assert call(client, "get", "/posts/{post_id}", api.token,
                post_id=post_id)["correction"] == "not_complaint"

    # the same correction again changes nothing
    again = call(client, "post", template, api.token, body={"label": "not_complaint"},
                 post_id=post_id)
    assert again["changed"] is False
    assert {k: v for k, v in again.items() if k != "changed"} == \
        {k: v for k, v in out.items() if k != "changed"}
    with db.transaction(api.shop) as s:
        assert s.scalar(select(PostCorrection.corrected_at)) == corrected_at

    # another label replaces it: "not about us" takes the post off its product
    other = call(client, "post", template, api.token, body={"label": "not_about_us"},
                 post_id=post_id)
    assert other["changed"] is True and other["post"]["correction"] == "not_about_us"
    assert other["post"]["product_ids"] == [] and other["case"]["state"] == "resolved"

    undone = call(client, "delete", template, api.token, post_id=post_id)
    assert undone["changed"] is True and undone["post"]["correction"] is None
    assert (undone["post"]["intent"], undone["post"]["product_ids"]) == ("complaint", [api.oro])
    assert (undone["case"]["state"], undone["case"]["resolved_at"]) == ("open", None)
    with db.transaction(api.shop) as s:
        assert s.scalars(select(PostCorrection)).all() == []
        assert s.scalar(select(ClassifierOverlay.corrections)) == 0
    nothing = call(client, "delete", template, api.token, post_id=post_id)
    assert nothing["changed"] is False and nothing["post"] == undone["post"]


def test_this_is_a_question_through_the_api_opens_a_case_and_undo_removes_it(client, db, api):
    with db.transaction(api.shop) as s:
        post = Post(network="x", external_id="q-1", author_id="55", author_handle="anna",
                    text="Is the Kenya AA good for a moka pot?", created_at=utcnow(),
                    intent="other", addresses_shop=True, lang="en", thread_id="q-1")
        s.add(post)
        s.flush()
        post_id = post.id
    out = call(client, "post", "/posts/{post_id}/correction", api.token,
               body={"label": "question"}, post_id=post_id)
    assert out["post"]["intent"] == "question" and out["post"]["case_id"] == out["case"]["id"]
    assert (out["case"]["intent"], out["case"]["state"]) == ("question", "open")
    undone = call(client, "delete", "/posts/{post_id}/correction", api.token, post_id=post_id)
    assert (undone["post"]["intent"], undone["post"]["case_id"], undone["case"]) == \
        ("other", None, None)
    with db.transaction(api.shop) as s:
        assert s.get(Case, out["case"]["id"]) is None


def test_a_correction_of_another_shops_post_is_404_and_bad_bodies_are_4xx(client, db, api):
    theirs = _post_id(db, api.other, api.other.complaint)
    template = "/posts/{post_id}/correction"
    call(client, "get", "/posts/{post_id}", api.token, status=404, post_id=theirs)
    call(client, "post", template, api.token, status=404, body={"label": "resolved"},
         post_id=theirs)
    call(client, "delete", template, api.token, status=404, post_id=theirs)
    call(client, "post", template, api.token, status=404, body={"label": "resolved"},
         post_id=2**31 - 1)
    with db.transaction(api.other.shop) as s:
        assert s.scalars(select(PostCorrection)).all() == []
        assert s.get(Case, api.other.complaint).state == "open"
    assert call(client, "get", "/posts/{post_id}", api.other.token,
                post_id=theirs)["correction"] is None  # theirs to read

    ours = _post_id(db, api, api.complaint)
    for body in ({"label": "rant"}, {"label": None}, {}, {"label": "resolved", "why": "x"},
                 ["resolved"], "resolved", 0):
        res = call(client, "post", template, api.token, status=422, body=body, post_id=ours)
        assert res["error"] == "invalid body" and res["reason"], body
    res = call(client, "post", template, api.token, status=422, body={"label": "rant"},
               post_id=ours)
    assert res["reason"].startswith("label: ") and "not_about_us" in res["reason"]
    sent = {"Authorization": f"Bearer {api.token}"}
    url = PREFIX + template.format(post_id=ours)
    res = client.post(url, headers=sent)
    assert res.status_code == 422 and "not_complaint" in res.get_json()["reason"]
    res = client.post(url, data="{not json", headers=sent, content_type="application/json")
    assert res.status_code == 400 and res.get_json() == {"error": "invalid JSON"}
    res = client.post(url, data="label=resolved", headers=sent,
                      content_type="application/x-www-form-urlencoded")
    assert res.status_code == 415
    call(client, "post", template, None, status=401, body={"label": "resolved"}, post_id=ours)
    with db.transaction(api.shop) as s:
        assert s.scalars(select(PostCorrection)).all() == []
        assert s.get(Case, api.complaint).state == "open"
        assert s.scalar(select(PostProduct.product_id).where(PostProduct.post_id == ours)) \
            == api.oro
