"""The support inbox: cases to answer, each with its thread, the order panel, the linker's
suggestions and the reply drafts to edit and approve. The owner's reply settings and templates
are :mod:`.replies`.

Every read goes through the signed-in shop's session (:func:`.admin.shop_required`), so another
shop's case, message or order is a 404. The work itself is the support package's: this module
reads, calls it, and shows what came of it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
from sqlalchemy import case as case_when
from sqlalchemy import false, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from ..models import (
    Case,
    Message,
    Order,
    OrderLink,
    Post,
    PostCorrection,
    PostProduct,
    Product,
    utcnow,
)
from ..outbox import send as outbox
from ..social import length_rule
from ..support import drafts, linking, sla
from ..support.cases import RESOLVERS
from ..support.cases import reopen as reopen_case
from ..support.cases import resolve as resolve_case
from .admin import PAGE, shop_required
from .base import current_db

log = logging.getLogger(__name__)
bp = Blueprint("inbox", __name__, url_prefix="/admin")

STATES = ("open", "waiting", "resolved")
INTENTS = ("complaint", "question")
SUGGESTED = ("suggested", "auto")
EDITABLE = ("draft", "failed")  # states the owner may still edit, approve or mark as sent
EXCERPT_WORDS = 14


def _settings():
    return current_app.config["ARROSTO"]


# --- small formatting helpers ---------------------------------------------------------------------

def _duration(delta: dt.timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 60:
        return gettext("%(minutes)d min", minutes=minutes)
    if minutes < 6 * 60 and minutes % 60:  # a promise of a few hours: to the minute
        return gettext("%(hours)d h %(minutes)d min", hours=minutes // 60, minutes=minutes % 60)
    if minutes < 48 * 60:
        return gettext("%(hours)d h", hours=minutes // 60)
    return gettext("%(days)d d", days=minutes // (24 * 60))


def _first_words(text: str, count: int = EXCERPT_WORDS) -> str:
    words = text.split()
    return " ".join(words[:count]) + (" …" if len(words) > count else "")


def _zone() -> dt.tzinfo:
    try:
        return ZoneInfo(g.shop.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


@bp.app_template_filter("shop_time")
def shop_time(value: dt.datetime | None) -> str:
    """A stored UTC time in the shop's own time zone (the admin's edge)."""
    if value is None:
        return ""
    zone = _zone() if g.get("shop") is not None else dt.UTC
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


@bp.app_context_processor
def inbox_counts() -> dict[str, Any]:
    return {"open_complaints": _open_complaints}


def _open_complaints() -> int | None:
    """The nav's count, once per request, only for a signed-in shop."""
    if "open_complaints" not in g:
        s, count = g.get("db_session"), None
        if s is not None and g.get("shop") is not None:
            try:
                count = s.scalar(select(func.count(Case.id)).where(
                    Case.state == "open", Case.intent == "complaint"))
            except SQLAlchemyError:  # an error page after a failed query: no count, no crash
                log.debug("no inbox count for this page", exc_info=True)
        g.open_complaints = count
    return g.open_complaints


# --- the inbox ------------------------------------------------------------------------------------

@dataclasses.dataclass
class Row:
    case: Case
    age: str
    excerpt: str
    order_name: str | None
    suggestions: int
    sla: str | None  # "overdue", "due in 3 h", or None
    reply: str  # where the reply stands


REPLY_STATES = (  # most urgent first: what the inbox shows when a case has several messages
    ("failed", lazy_gettext("not sent: see the problem")),
    ("draft", lazy_gettext("draft to approve")),
    ("approved", lazy_gettext("sending")),
    ("sending", lazy_gettext("sending")),
    ("sent", lazy_gettext("sent")),
    ("cancelled", lazy_gettext("cancelled")),
)
#: a reply's state in the owner's words (as the templates' admin/_labels.html say it)
MESSAGE_STATE_NAMES = {
    "draft": lazy_gettext("draft"), "approved": lazy_gettext("approved"),
    "sending": lazy_gettext("sending"), "sent": lazy_gettext("sent"),
    "failed": lazy_gettext("failed"), "cancelled": lazy_gettext("cancelled"),
    "superseded": lazy_gettext("replaced"),
}


def _state_name(state: str) -> str:
    return str(MESSAGE_STATE_NAMES.get(state, state))


@bp.get("/inbox")
@shop_required
def index():
    s = g.db_session
    args = request.args
    state = args.get("state", "open")
    state = state if state in (*STATES, "all") else "open"
    intent = args.get("intent", "")
    intent = intent if intent in INTENTS else ""
    product_id = args.get("product", type=int)
    overdue = args.get("overdue") == "1"
    by = args.get("by", "")
    by = by if by in RESOLVERS else ""
    state = "resolved" if by else state  # who resolved it: among the resolved cases
    page = max(args.get("page", 1, type=int), 1)
    now = utcnow()

    overdue_ids = {c.id for c in sla.overdue_cases(s, now)}
    stmt = select(Case)
    if state != "all":
        stmt = stmt.where(Case.state == state)
    if intent:
        stmt = stmt.where(Case.intent == intent)
    if product_id:
        stmt = stmt.where(Case.id.in_(
            select(Post.case_id).join(PostProduct, PostProduct.post_id == Post.id)
            .where(PostProduct.product_id == product_id)))
    if overdue:
        stmt = stmt.where(Case.id.in_(overdue_ids))
    if by:
        stmt = stmt.where(Case.resolved_by == by)
    total = s.scalar(select(func.count()).select_from(stmt.subquery()))
    if state == "resolved":
        ordering = (Case.resolved_at.desc(), Case.id.desc())
    else:  # the oldest complaint first, then the oldest question
        ordering = (case_when((Case.intent == "complaint", 0), else_=1), Case.opened_at, Case.id)
    cases = s.scalars(stmt.order_by(*ordering).limit(PAGE).offset((page - 1) * PAGE)).all()

    filters = {k: v for k, v in {"state": state if state != "open" else None, "intent": intent,
                                 "product": product_id, "overdue": 1 if overdue else None,
                                 "by": by}.items()
               if v}
    pages = max((total + PAGE - 1) // PAGE, 1)
    products = s.execute(select(Product.id, Product.title).where(Product.id.in_(
        select(PostProduct.product_id).join(Post, Post.id == PostProduct.post_id)
        .where(Post.case_id.is_not(None)))).order_by(Product.title)).all()
    return render_template(
        "admin/inbox.html", rows=_rows(s, cases, overdue_ids, now), total=total, page=page,
        pages=pages, state=state, intent=intent, product_id=product_id, overdue=overdue,
        products=products, states=STATES, intents=INTENTS, by=by, resolvers=RESOLVERS,
        prev_url=url_for("inbox.index", page=page - 1, **filters) if page > 1 else None,
        next_url=url_for("inbox.index", page=page + 1, **filters) if page < pages else None)


def _rows(s: Session, cases: list[Case], overdue_ids: set[int], now: dt.datetime) -> list[Row]:
    ids = [c.id for c in cases]
    if not ids:
        return []
    latest: dict[int, Post] = {}
    for post in s.scalars(select(Post).where(Post.case_id.in_(ids), Post.is_own.is_(False))
                          .order_by(Post.created_at, Post.id)):
        latest[post.case_id] = post
    order_names = dict(s.execute(select(Order.id, Order.name).where(
        Order.id.in_({c.order_id for c in cases if c.order_id}))).all())
    suggestions = dict(s.execute(
        select(OrderLink.case_id, func.count(OrderLink.id))
        .where(OrderLink.case_id.in_(ids), OrderLink.status.in_(SUGGESTED))
        .group_by(OrderLink.case_id)).all())
    replies: dict[int, set[str]] = {}
    for case_id, state in s.execute(select(Message.case_id, Message.state).where(
            Message.case_id.in_(ids), Message.kind == "reply")):
        replies.setdefault(case_id, set()).add(state)
    hours = sla.sla_hours(g.shop)
    rows = []
    for case in cases:
        post = latest.get(case.id)
        states = replies.get(case.id, set())
        reply = next((str(label) for state, label in REPLY_STATES if state in states),
                     gettext("no draft"))
        rows.append(Row(case=case, age=_duration(now - case.opened_at),
                        excerpt=_first_words(post.text) if post else "",
                        order_name=order_names.get(case.order_id),
                        suggestions=suggestions.get(case.id, 0),
                        sla=_sla(case, overdue_ids, hours, now), reply=reply))
    return rows


def _sla(case: Case, overdue_ids: set[int], hours: float, now: dt.datetime) -> str | None:
    """Flagged by the periodic check, or past the promise and about to be; else the time left
    for an open complaint nobody has answered yet."""
    if case.id in overdue_ids:
        return "overdue"
    if case.intent != "complaint" or case.state != "open" or case.first_response_at:
        return None
    due = case.opened_at + dt.timedelta(hours=hours)
    return "overdue" if due <= now else gettext("due in %(time)s", time=_duration(due - now))


# --- a case ---------------------------------------------------------------------------------------

def _case_or_404(s: Session, case_id: int) -> Case:
    case = s.scalar(select(Case).where(Case.id == case_id))
    if case is None:
        abort(404)
    return case


def _message_or_404(s: Session, case_id: int, message_id: int) -> Message:
    message = s.scalar(select(Message).where(Message.id == message_id,
                                             Message.case_id == case_id,
                                             Message.kind == "reply"))
    if message is None:
        abort(404)
    return message


def _limit(network: str, channel: str) -> tuple[int | None, Any]:
    """The most characters a message may have and how the network counts them."""
    limit, length = length_rule(network)
    if channel == "dm" and network == "x":
        from ..social.x import DM_MAX_LENGTH

        limit = DM_MAX_LENGTH
    return limit, length


@bp.get("/cases/<int:case_id>")
@shop_required
def case(case_id: int):
    return _case_page(case_id)


def _case_page(case_id: int, *, problem: tuple[int, str] | None = None,
               edited: dict[int, str] | None = None, status: int = 200):
    """The case; ``problem`` (message id, reason) and ``edited`` (message id → text) put a
    refused approval back on the page with the owner's text."""
    s = g.db_session
    case = _case_or_404(s, case_id)
    posts = s.scalars(select(Post).where(Post.case_id == case.id)
                      .order_by(Post.created_at, Post.id)).all()
    order = None
    if case.order_id:
        order = s.scalar(select(Order).where(Order.id == case.order_id).options(
            selectinload(Order.lines), selectinload(Order.fulfillments),
            selectinload(Order.customer)))
    others = []
    if case.customer_id:
        others = s.scalars(select(Case).where(Case.customer_id == case.customer_id,
                                              Case.id != case.id)
                           .order_by(Case.opened_at.desc()).limit(20)).all()
    links = s.execute(select(OrderLink, Order).join(Order, Order.id == OrderLink.order_id)
                      .where(OrderLink.case_id == case.id)
                      .order_by(OrderLink.confidence.desc(), OrderLink.id)).all()
    current = next((lk for lk, _ in links if lk.order_id == case.order_id), None)
    suggestions = [(lk, o) for lk, o in links
                   if lk.status in SUGGESTED and o.id != case.order_id]
    rejected = [o for lk, o in links if lk.status == "rejected"]
    messages = s.scalars(select(Message).where(Message.case_id == case.id,
                                               Message.kind == "reply",
                                               Message.state != "superseded")
                         .order_by(Message.id)).all()
    corrected = {c.post_id: c for c in s.scalars(select(PostCorrection).where(
        PostCorrection.post_id.in_([p.id for p in posts])))} if posts else {}
    edited = edited or {}
    editors = {}
    for m in messages:
        limit, length = _limit(case.network, m.channel)
        text = edited.get(m.id, m.text)
        editors[m.id] = {"text": text, "limit": limit, "length": length(text)}
    return render_template(
        "admin/case.html", case=case, posts=posts, order=order,
        order_state=drafts.order_state(order) if order is not None else None,
        current_link=current, others=others, suggestions=suggestions, rejected=rejected,
        messages=messages, editors=editors, editable=EDITABLE, problem=problem,
        corrected=corrected,
        sla_state=_sla(case, {c.id for c in sla.overdue_cases(s)}, sla.sla_hours(g.shop),
                       utcnow())), status


def _redraft(s: Session, case: Case) -> str:
    """Draft the case's replies again (after its order changed, or on request); says how it
    went, in the owner's words."""
    messages = drafts.draft_replies(s, case, settings=_settings(), replace=True)
    if not messages:
        return gettext("there is no post of the author to reply to")
    done = {m.state for m in messages} - {"draft"}
    if done:
        return gettext("the reply to the author's latest post is already %(state)s, so it was "
                       "left as it is", state=gettext(" and ").join(
                           _state_name(state) for state in sorted(done)))
    return gettext("the drafts were written again")


@bp.post("/cases/<int:case_id>/orders/<int:order_id>/confirm")
@shop_required
def confirm_order(case_id: int, order_id: int):
    """"This is the order": the case is linked, the handle recorded as the customer's, and the
    drafts written again with the order."""
    with current_db().transaction(g.shop.id) as s:
        case = _case_or_404(s, case_id)
        order = s.scalar(select(Order).join(OrderLink, OrderLink.order_id == Order.id).where(
            OrderLink.case_id == case.id, Order.id == order_id))
        if order is None:
            abort(404)
        name = order.name
        linking.confirm_link(s, case, order.id)
        outcome = _redraft(s, case)
    flash(gettext("Linked to order %(name)s: %(outcome)s.", name=name, outcome=outcome), "ok")
    return redirect(url_for("inbox.case", case_id=case_id))


@bp.post("/cases/<int:case_id>/orders")
@shop_required
def link_order(case_id: int):
    """The owner names the order (none of the suggestions was it)."""
    wanted = request.form.get("order", "").strip()
    digits = wanted.lstrip("#").strip()
    with current_db().transaction(g.shop.id) as s:
        case = _case_or_404(s, case_id)
        order = s.scalar(select(Order).where(or_(
            func.lower(Order.name).in_({wanted.lower(), f"#{digits.lower()}"}),
            Order.number == int(digits) if digits.isdigit() and len(digits) < 16 else false()))
            .order_by(Order.created_at.desc()).limit(1)) if wanted else None
        if order is None:
            flash(gettext("There is no order “%(order)s” in this shop.", order=wanted),
                  "error")
            return redirect(url_for("inbox.case", case_id=case_id))
        name = order.name
        linking.confirm_link(s, case, order.id)
        outcome = _redraft(s, case)
    flash(gettext("Linked to order %(name)s: %(outcome)s.", name=name, outcome=outcome), "ok")
    return redirect(url_for("inbox.case", case_id=case_id))


@bp.post("/cases/<int:case_id>/orders/<int:order_id>/reject")
@shop_required
def reject_order(case_id: int, order_id: int):
    """"Not this one": never suggested or linked again; if it was the linked order, the drafts
    no longer carry it."""
    with current_db().transaction(g.shop.id) as s:
        case = _case_or_404(s, case_id)
        order = s.scalar(select(Order).join(OrderLink, OrderLink.order_id == Order.id).where(
            OrderLink.case_id == case.id, Order.id == order_id))
        if order is None:
            abort(404)
        name, was_linked = order.name, case.order_id == order.id
        linking.reject_link(s, case, order.id)
        outcome = _redraft(s, case) if was_linked else None
    flash(gettext("Order %(name)s is not this case's: %(outcome)s.", name=name,
                  outcome=outcome) if outcome else
          gettext("Order %(name)s is not this case's.", name=name), "ok")
    return redirect(url_for("inbox.case", case_id=case_id))


@bp.post("/cases/<int:case_id>/redraft")
@shop_required
def redraft(case_id: int):
    with current_db().transaction(g.shop.id) as s:
        outcome = _redraft(s, _case_or_404(s, case_id))
    flash(outcome[0].upper() + outcome[1:] + ".", "ok")
    return redirect(url_for("inbox.case", case_id=case_id))


@bp.post("/cases/<int:case_id>/messages/<int:message_id>/approve")
@shop_required
def approve_message(case_id: int, message_id: int):
    """The owner's approval, with their edits; the send is queued once it is committed. A
    refusal (the never-public check, an opt-out, ...) keeps the edited text on the page."""
    text = request.form.get("text", "")
    try:
        with current_db().transaction(g.shop.id) as s:
            outbox.approve(s, _message_or_404(s, case_id, message_id), text=text)
    except outbox.NotAllowed as exc:
        return _case_page(case_id, problem=(message_id, str(exc)), edited={message_id: text},
                          status=400)
    try:
        outbox.queue_sends([message_id])
    except Exception:  # noqa: BLE001 - the queue's backend; the approval itself stands
        log.exception("message %s approved but not queued", message_id)
        flash(gettext("Approved, but the job queue did not answer: the reply waits until the "
                      "worker is back."), "error")
        return redirect(url_for("inbox.case", case_id=case_id))
    with current_db().transaction(g.shop.id) as s:  # jobs may run inline (demo, tests)
        state, error = s.execute(select(Message.state, Message.last_error)
                                 .where(Message.id == message_id)).one()
    if state == "sent":
        flash(gettext("Approved and sent."), "ok")
    elif state == "failed":
        flash(gettext("Approved, but not sent: %(reason)s", reason=error), "error")
    else:
        flash(gettext("Approved: it is being sent."), "ok")
    return redirect(url_for("inbox.case", case_id=case_id))


@bp.post("/cases/<int:case_id>/messages/<int:message_id>/sent")
@shop_required
def sent_by_hand(case_id: int, message_id: int):
    """The owner sent it themselves: recorded as sent, with the text they used."""
    text = request.form.get("text", "").strip()
    with current_db().transaction(g.shop.id) as s:
        message = _message_or_404(s, case_id, message_id)
        if message.state not in EDITABLE:
            flash(gettext("This message is already %(state)s.",
                          state=_state_name(message.state)), "error")
            return redirect(url_for("inbox.case", case_id=case_id))
        if text:
            message.text = text
        outbox.mark_sent_by_hand(s, message)
    flash(gettext("Recorded as sent by you: the case now waits for the customer."), "ok")
    return redirect(url_for("inbox.case", case_id=case_id))


@bp.post("/cases/<int:case_id>/resolve")
@shop_required
def resolve(case_id: int):
    return _set_state(case_id, "resolved")


@bp.post("/cases/<int:case_id>/reopen")
@shop_required
def reopen(case_id: int):
    return _set_state(case_id, "open")


def _set_state(case_id: int, state: str):
    with current_db().transaction(g.shop.id) as s:
        case = _case_or_404(s, case_id)
        if state == "resolved":
            resolve_case(case, "owner")
        else:
            reopen_case(case)
    flash(gettext("Case resolved.") if state == "resolved" else gettext("Case reopened."), "ok")
    return redirect(url_for("inbox.case", case_id=case_id))
