"""The owner's corrections of a post, on the post's page and on its case's page: "not a
complaint", "this is a question", "already resolved", "not about us", and undo. The work is
:mod:`arrosto.support.corrections`'s; the shop's classifier overlay is rebuilt by a job once the
correction is committed."""
from __future__ import annotations

import logging

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext, lazy_gettext
from sqlalchemy import select

from ..models import Case, Post, PostProduct, Product, Shop
from ..support import corrections
from .admin import shop_required
from .base import current_db

log = logging.getLogger(__name__)
bp = Blueprint("corrections", __name__, url_prefix="/admin")

#: the buttons, in the owner's words (the label stored is the key)
CHOICES = {
    "not_complaint": lazy_gettext("Not a complaint"),
    "question": lazy_gettext("This is a question"),
    "resolved": lazy_gettext("Already resolved"),
    "not_about_us": lazy_gettext("Not about us"),
}
NAMES = {**CHOICES, "complaint": lazy_gettext("A complaint"), "praise": lazy_gettext("Praise")}


def _post_or_404(s, post_id: int) -> Post:
    post = s.scalar(select(Post).where(Post.id == post_id))
    if post is None:
        abort(404)
    return post


@bp.app_context_processor
def correction_names():
    return {"correction_choices": CHOICES, "correction_names": NAMES}


@bp.get("/posts/<int:post_id>")
@shop_required
def post(post_id: int):
    s = g.db_session
    post = _post_or_404(s, post_id)
    case = s.scalar(select(Case).where(Case.id == post.case_id)) if post.case_id else None
    products = s.scalars(select(Product).join(PostProduct, PostProduct.product_id == Product.id)
                         .where(PostProduct.post_id == post.id).order_by(Product.title)).all()
    correction = corrections.correction_of(s, post.id)
    return render_template("admin/post.html", post=post, case=case, products=products,
                           correction=correction)


def _back(post_id: int, case_id: int | None):
    if request.form.get("back") == "case" and case_id:
        return redirect(url_for("inbox.case", case_id=case_id))
    return redirect(url_for("corrections.post", post_id=post_id))



@bp.post("/posts/<int:post_id>/correct")
@shop_required
def correct(post_id: int):
    with current_db().transaction(g.shop.id) as s:
        post = _post_or_404(s, post_id)
        label = request.form.get("label", "")
        if label not in corrections.LABELS:
            abort(400)
        corrections.correct(s, s.get(Shop, g.shop.id), post, label,
                                          settings=current_app.config["ARROSTO"])
        case_id = post.case_id
    flash(gettext("Corrected: %(label)s. You can undo it.", label=NAMES[label]), "ok")
    return _back(post_id, case_id)


@bp.post("/posts/<int:post_id>/correct/undo")
@shop_required
def undo(post_id: int):
    with current_db().transaction(g.shop.id) as s:
        post = _post_or_404(s, post_id)
        case_id = post.case_id
        done = corrections.undo(s, post)
        case_id = post.case_id or case_id
        if case_id and s.get(Case, case_id) is None:
            case_id = None
    if done:
        flash(gettext("Correction undone."), "ok")
    return _back(post_id, case_id)
