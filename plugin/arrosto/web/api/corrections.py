"""A post, and the owner's correction of how it was read ("not a complaint", "this is a
question", "already resolved", "not about us"), through the API: what the post page's buttons
do (:mod:`arrosto.web.corrections`) — :mod:`arrosto.support.corrections` re-routes the post at
once, and the shop's classifier overlay is rebuilt by a job once the correction is committed."""
from __future__ import annotations

import logging

from flask import current_app, g, request
from pydantic import ValidationError

from ...models import Case, Post, Shop
from ...support import corrections
from ..base import current_db
from .schemas import CaseOut, Corrected, CorrectionIn
from .views import (
    NO_BODY,
    Invalid,
    _case,
    _first_problem,
    _json_body,
    _ok,
    _posts,
    _row_or_404,
    bp,
)

log = logging.getLogger(__name__)


@bp.get("/posts/<int:post_id>")
def post(post_id: int):
    s = g.db_session
    return _ok(_posts(s, [_row_or_404(s, Post, post_id)])[0])


def _answer(post_id: int, changed: bool, queued: int):
    """The post as it now reads and its case (jobs may have run inline: read afresh)."""
    with current_db().transaction(g.shop.id) as s:
        row = _row_or_404(s, Post, post_id)
        case = s.get(Case, row.case_id) if row.case_id else None
        return _ok(Corrected(post=_posts(s, [row])[0],
                             case=CaseOut(**_case(case)) if case is not None else None,
                             changed=changed, queued=queued))



# One rule for both methods: with a rule per method, an id past the largest row id would be
# answered 405 (the router matches the other method's rule before the id is converted).
@bp.route("/posts/<int:post_id>/correction", methods=["POST", "DELETE"])
def correction(post_id: int):
    return correct_post(post_id) if request.method == "POST" else undo_correction(post_id)


def _label() -> str:
    """The correction's label from the JSON body, or a 422 naming what is wrong."""
    body = _json_body()
    if body is NO_BODY:
        raise Invalid(422, "invalid body",
                      f"send {{\"label\": …}}, one of {', '.join(corrections.LABELS)}")
    try:
        return CorrectionIn.model_validate(body).label
    except ValidationError as exc:
        raise Invalid(422, "invalid body", _first_problem(exc)) from None


def correct_post(post_id: int):
    """Apply the owner's correction (replacing another one of the post); the same correction
    again changes nothing."""
    with current_db().transaction(g.shop.id) as s:
        row = _row_or_404(s, Post, post_id)  # another shop's post: 404 whatever the body says
        label = _label()
        earlier = corrections.correction_of(s, row.id)
        changed = earlier is None or earlier.label != label
        approved: list[int] = []
        if changed:  # replies and the overlay rebuild are queued once this commits
            _, approved = corrections.correct(s, s.get(Shop, g.shop.id), row, label,
                                              by=f"api:{g.api_token_name}",
                                              settings=current_app.config["ARROSTO"])
    return _answer(post_id, changed, len(approved))


def undo_correction(post_id: int):
    """Take the post's correction back: the post and its case as they were. A post without a
    correction is answered as it is."""
    with current_db().transaction(g.shop.id) as s:
        changed = corrections.undo(s, _row_or_404(s, Post, post_id))
    return _answer(post_id, changed, 0)
