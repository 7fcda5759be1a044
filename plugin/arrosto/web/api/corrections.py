"""A post, and the owner's correction of how it was read ("not a complaint", "this is a
question", "already resolved", "not about us"), through the API: what the post page's buttons
do (:mod:`arrosto.web.corrections`) — :mod:`arrosto.support.corrections` re-routes the post at
once, and the shop's classifier overlay is rebuilt by a job once the correction is committed."""
from __future__ import annotations

import logging

from flask import abort, current_app, g, request
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Case, Post, Shop
from ...support import corrections
from ..base import current_db
from .schemas import CaseOut, Corrected, CorrectionIn
from .views import (
    NO_BODY,
    Invalid,
    _case,
    _first_problem,
    _id_or_404,
    _json_body,
    _ok,
    _posts,
    bp,
)

log = logging.getLogger(__name__)


def _post_or_404(s: Session, post_id: int) -> Post:
    row = s.scalar(select(Post).where(Post.id == _id_or_404(post_id)))
    if row is None:
        abort(404)
    return row


@bp.get("/posts/<int:post_id>")
def post(post_id: int):
    s = g.db_session
    return _ok(_posts(s, [_post_or_404(s, post_id)])[0])


def _answer(post_id: int, changed: bool, queued: int):
    """The post as it now reads and its case (jobs may have run inline: read afresh)."""
    with current_db().transaction(g.shop.id) as s:
        row = _post_or_404(s, post_id)
        case = s.get(Case, row.case_id) if row.case_id else None
        return _ok(Corrected(post=_posts(s, [row])[0],
                             case=CaseOut(**_case(case)) if case is not None else None,
                             changed=changed, queued=queued))



# One rule for both methods: with a rule per method, an id past the largest row id would be
# answered 405 (the router matches the other method's rule before the id is converted).
@bp.route("/posts/<int:post_id>/correction", methods=["POST", "DELETE"])
def correction(post_id: int):
    return correct_post(post_id) if request.method == "POST" else undo_correction(post_id)


def correct_post(post_id: int):
    """Apply the owner's correction (replacing another one of the post); the same correction
    again changes nothing."""
    from ...outbox.send import queue_sends

    with current_db().transaction(g.shop.id) as s:
        _post_or_404(s, post_id)  # another shop's post is a 404 whatever the body says
    body = _json_body()
    if body is NO_BODY:
        raise Invalid(422, "invalid body",
                      f"send {{\"label\": …}}, one of {', '.join(corrections.LABELS)}")
    try:
        label = CorrectionIn.model_validate(body).label
    except ValidationError as exc:
        raise Invalid(422, "invalid body", _first_problem(exc)) from None
    approved: list[int] = []
    with current_db().transaction(g.shop.id) as s:
        row = _post_or_404(s, post_id)
        earlier = corrections.correction_of(s, row.id)
        changed = earlier is None or earlier.label != label
        if changed:
            _, approved = corrections.correct(s, s.get(Shop, g.shop.id), row, label,
                                              by=f"api:{g.api_token_name}",
                                              settings=current_app.config["ARROSTO"])
    if changed:
        try:
            queue_sends(approved)
        except Exception:  # noqa: BLE001 - the queue's backend; the approvals stand
            log.exception("post %d corrected through the API, replies %s not queued",
                          post_id, approved)
        corrections.queue_overlay_rebuild(g.shop.id)
    return _answer(post_id, changed, len(approved))


def undo_correction(post_id: int):
    """Take the post's correction back: the post and its case as they were. A post without a
    correction is answered as it is."""
    with current_db().transaction(g.shop.id) as s:
        changed = corrections.undo(s, _post_or_404(s, post_id))
    if changed:
        corrections.queue_overlay_rebuild(g.shop.id)
    return _answer(post_id, changed, 0)
