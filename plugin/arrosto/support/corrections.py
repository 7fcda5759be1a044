"""The owner's corrections of how a post was read: "not a complaint", "this is a question",
"already resolved", "not about us" (and "complaint", "praise"). Each is stored as a label on the
post and re-routes it at once — the post's intent changes (so the promotion audience and the
digest, which read ``Post.intent`` and ``PostProduct``, follow), its case is closed or opened, and
"not about us" takes it off the products it was matched to. What a correction changed is kept on
it, so :func:`undo` puts everything back. The shop's corrections also feed its own classifier
overlay (:mod:`arrosto.listening.overlay`), rebuilt by a job."""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .. import jobs
from ..models import Case, Message, Post, PostCorrection, PostProduct, Shop, utcnow
from ..outbox.send import send_message_job
from .cases import SUPPORT_INTENTS, add_to_case, attend, reopen, resolve

log = logging.getLogger(__name__)

LABELS = ("not_complaint", "question", "resolved", "not_about_us", "complaint", "praise")
# messages that left (or are leaving): a case with one of these is closed, never deleted
GONE = ("approved", "sending", "sent", "owner_sent")


class UnknownLabel(ValueError):
    pass


def corrected_intent(label: str, post: Post) -> str:
    """The intent a label gives the post. A thank-you or a "not a complaint" reads as praise
    when the post is positive, else as other; never as a complaint."""
    if label in ("question", "complaint", "praise"):
        return label
    if label == "not_about_us":
        return "other"
    positive = post.sentiment_label == "positive" or (post.sentiment or 0) > 0.2
    return "praise" if positive else "other"


def correct(s: Session, shop: Shop, post: Post, label: str, *, by: str = "owner",
            settings: Any = None) -> tuple[PostCorrection, list[int]]:
    """Apply ``label`` to ``post`` (replacing an earlier correction of it). Returns the
    correction and the ids of replies approved for sending (a case opened by "this is a
    question" is drafted like any other). Once the transaction commits, those replies are
    queued and the shop's overlay is rebuilt by a job (:func:`arrosto.jobs.after_commit`)."""
    if label not in LABELS:
        raise UnknownLabel(label)
    undo(s, post)  # an earlier correction of the post, if any
    case = s.get(Case, post.case_id) if post.case_id else None
    before = {
        "intent": post.intent, "signals": list(post.signals or []), "case_id": post.case_id,
        "case": None if case is None else {
            "state": case.state, "intent": case.intent, "resolved_by": case.resolved_by,
            "resolved_at": case.resolved_at.isoformat() if case.resolved_at else None},
        "products": [],
    }
    intent = corrected_intent(label, post)
    post.intent = intent
    signals = set(post.signals or [])
    if label == "resolved":
        signals.add("resolved")
    elif label in ("question", "complaint"):
        signals.discard("resolved")
    post.signals = sorted(signals)
    if label == "not_about_us":
        rows = list(s.scalars(select(PostProduct).where(PostProduct.post_id == post.id)))
        before["products"] = [{"product_id": r.product_id, "terms": list(r.terms or [])}
                              for r in rows]
        for row in rows:
            s.delete(row)
    approved: list[int] = []
    if intent in SUPPORT_INTENTS and not post.is_own:
        case = add_to_case(s, post, case)
        if case.state == "resolved":
            reopen(case)
        _settle_intent(s, case)
        approved = attend(s, shop, [case], settings)
    elif case is not None:
        remaining = _settle_intent(s, case)
        closes = label in ("resolved", "not_about_us") or remaining is None
        if closes and case.state != "resolved":
            resolve(case, "correction")
    correction = PostCorrection(post_id=post.id, label=label, intent=intent, before=before,
                                corrected_by=by[:100], corrected_at=utcnow())
    s.add(correction)
    s.flush()
    log.info("post %d corrected: %s (was %s)", post.id, label, before["intent"])
    for message_id in approved:
        jobs.after_commit(s, send_message_job, message_id)
    _rebuild_after_commit(s, shop.id)
    return correction, approved


def _settle_intent(s: Session, case: Case) -> str | None:
    """The case's intent from its customer posts as they now read: a complaint if any is one,
    else a question; None when none of them is either (nothing left to answer)."""
    s.flush()
    intents = set(s.scalars(select(Post.intent).where(Post.case_id == case.id,
                                                      Post.is_own.is_(False))))
    found = "complaint" if "complaint" in intents else \
        "question" if "question" in intents else None
    if found:
        case.intent = found
    return found


def undo(s: Session, post: Post) -> bool:
    """Take back the post's correction: its intent, signals, product matches and case as they
    were; the shop's overlay is rebuilt once that commits. False when the post has no
    correction."""
    import datetime as dt

    correction = correction_of(s, post.id)
    if correction is None:
        return False
    before = correction.before or {}
    post.intent = before.get("intent")
    post.signals = before.get("signals", [])
    for row in before.get("products", []):
        if s.scalar(select(PostProduct.id).where(PostProduct.post_id == post.id,
                                                 PostProduct.product_id == row["product_id"])
                    ) is None:
            s.add(PostProduct(post_id=post.id, product_id=row["product_id"],
                              terms=row.get("terms", []), post_created_at=post.created_at))
    case = s.get(Case, post.case_id) if post.case_id else None
    if case is not None and before.get("case_id") is None:
        _drop_opened_case(s, post, case)  # the correction opened it
    elif case is not None and before.get("case"):
        was = before["case"]
        case.state, case.intent, case.resolved_by = was["state"], was["intent"], \
            was.get("resolved_by")
        case.resolved_at = dt.datetime.fromisoformat(was["resolved_at"]) \
            if was.get("resolved_at") else None
    s.delete(correction)
    s.flush()
    log.info("post %d: correction %s undone", post.id, correction.label)
    _rebuild_after_commit(s, post.shop_id)
    return True


def _drop_opened_case(s: Session, post: Post, case: Case) -> None:
    """A case that exists only because of the correction goes with it; one that other posts
    share keeps them (without this post), and one a reply already left for is closed."""
    others = s.scalar(select(Post.id).where(Post.case_id == case.id, Post.id != post.id,
                                            Post.is_own.is_(False)).limit(1))
    sent = s.scalar(select(Message.id).where(Message.case_id == case.id,
                                             Message.state.in_(GONE)).limit(1))
    post.case_id = None
    if others is not None:
        _settle_intent(s, case)
    elif sent is None:
        s.execute(delete(Message).where(Message.case_id == case.id))
        s.flush()
        s.delete(case)
    else:
        resolve(case, "correction")


def correction_of(s: Session, post_id: int) -> PostCorrection | None:
    return s.scalar(select(PostCorrection).where(PostCorrection.post_id == post_id))


def _rebuild_after_commit(s: Session, shop_id: int) -> None:
    """The shop's overlay is rebuilt by a job once ``s`` commits (imported here: the overlay
    needs numpy, which the web process does not load until a request needs it)."""
    from ..listening.overlay import rebuild_overlay_job

    jobs.after_commit(s, rebuild_overlay_job, shop_id)
