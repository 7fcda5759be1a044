"""The admin's promotions: the list with what each one brought, a promotion's preview (the texts,
its three groups, who is left out and why) and approval, the owner's own queue with people worth
following, and the watchers per product.

Every read goes through the signed-in shop's session (:func:`.admin.shop_required`), so another
shop's promotion, person or product is a 404. The rules are the promotions package's: this module
calls the same functions as ``arrosto promotions`` (``prepare``, ``approve_promotion``,
``owner_queue``, ``send_by_owner``, ``follow_person``) and shows what came of them.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from decimal import Decimal
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
from flask_babel import gettext, ngettext
from sqlalchemy import case as case_when
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from ..errors import ArrostoError
from ..models import (
    Conversion,
    Message,
    OptOut,
    Order,
    Outreach,
    Post,
    Product,
    Promotion,
    Watcher,
    utcnow,
)
from ..outbox.send import NotAllowed
from ..promotions.attribution import promotion_results
from ..promotions.audience import Person, people_to_follow
from ..promotions.outreach import (
    approve_promotion,
    edit_draft,
    follow_person,
    owner_queue,
    owner_sent_by_hand,
    owner_sent_today,
    prepare,
    promotion_settings,
    send_by_owner,
)
from ..promotions.triggers import create_manual_promotion
from .admin import PAGE, shop_required
from .base import current_db, networks

log = logging.getLogger(__name__)
bp = Blueprint("promotions", __name__, url_prefix="/admin")

GROUPS = ("watcher", "engaged", "owner")
LIVE = ("approved", "sending")  # approved and not finished: the queue and following are open
SENT = ("approved", "sending", "done")  # owner_queue's states
FOLLOW_SHOWN = 5  # people worth following shown per product
FOLLOW_CHECKED = 100  # how far down the list a follow click is checked against
EXCERPT_WORDS = 24


def _settings():
    return current_app.config["ARROSTO"]


def _zone() -> dt.tzinfo:
    try:
        return ZoneInfo(g.shop.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _excerpt(text: str | None) -> str:
    words = (text or "").split()
    return " ".join(words[:EXCERPT_WORDS]) + (" …" if len(words) > EXCERPT_WORDS else "")


def _ended(promotion: Promotion, now: dt.datetime) -> bool:
    return promotion.ends_at is not None and promotion.ends_at <= now


def _promotion_or_404(s: Session, promotion_id: int) -> Promotion:
    promotion = s.scalar(select(Promotion).where(Promotion.id == promotion_id))
    if promotion is None:
        abort(404)
    return promotion


def _outreach_or_404(s: Session, outreach_id: int) -> Outreach:
    row = s.scalar(select(Outreach).where(Outreach.id == outreach_id))
    if row is None:
        abort(404)
    return row


def _product_titles(s: Session, ids) -> dict[int, str]:
    ids = set(ids)
    if not ids:
        return {}
    return dict(s.execute(select(Product.id, Product.title).where(Product.id.in_(ids))).all())


# --- what each promotion brought ------------------------------------------------------------------

@dataclasses.dataclass
class Results:
    reached: int = 0  # people told, automatically or by the owner
    replies: int = 0  # replies to the promotion's messages
    opt_outs: int = 0  # people told who said "stop" afterwards
    conversions: int = 0  # orders, cancelled ones left out (as promotion_results counts)
    revenue: Decimal = Decimal("0")  # in the shop's currency


def results_of(s: Session, ids: list[int], currency: str) -> dict[int, Results]:
    """Each promotion's results in a few grouped queries (the list page's columns)."""
    out = {i: Results() for i in ids}
    if not ids:
        return out
    for pid, count in s.execute(
            select(Outreach.promotion_id, func.count(Outreach.id))
            .where(Outreach.promotion_id.in_(ids), Outreach.state.in_(("sent", "owner_sent")))
            .group_by(Outreach.promotion_id)):
        out[pid].reached = count
    # the promotion's sent messages: its outreach (automated and the owner's) and announcements
    sent: dict[tuple[str, str], int] = {}
    for pid, network, external_id in s.execute(
            select(Outreach.promotion_id, Message.network, Message.external_id)
            .join(Message, Message.id == Outreach.message_id)
            .where(Outreach.promotion_id.in_(ids), Message.state == "sent",
                   Message.external_id.is_not(None))):
        sent[(network, external_id)] = pid
    for key, network, external_id in s.execute(
            select(Message.idempotency_key, Message.network, Message.external_id)
            .where(Message.kind == "announcement", Message.state == "sent",
                   Message.external_id.is_not(None),
                   Message.idempotency_key.in_([f"announcement:{i}:{n}" for i in ids
                                                for n in networks()]))):
        sent[(network, external_id)] = int(key.split(":")[1])
    if sent:
        for network, reply_to, count in s.execute(
                select(Post.network, Post.reply_to_id, func.count(Post.id))
                .where(Post.is_own.is_(False),
                       Post.reply_to_id.in_({external for _n, external in sent}))
                .group_by(Post.network, Post.reply_to_id)):
            pid = sent.get((network, reply_to))
            if pid is not None:
                out[pid].replies += count
    for pid, count in s.execute(
            select(Outreach.promotion_id, func.count(OptOut.id))
            .join(OptOut, (OptOut.network == Outreach.network)
                  & (OptOut.person_id == Outreach.person_id))
            .join(Promotion, Promotion.id == Outreach.promotion_id)
            .where(Outreach.promotion_id.in_(ids), Outreach.state.in_(("sent", "owner_sent")),
                   OptOut.created_at >= Promotion.approved_at)
            .group_by(Outreach.promotion_id)):
        out[pid].opt_outs = count
    for pid, count, revenue in s.execute(
            select(Conversion.promotion_id, func.count(Conversion.id),
                   func.coalesce(func.sum(case_when((Order.currency == currency,
                                                     Conversion.revenue), else_=0)), 0))
            .join(Order, Order.id == Conversion.order_id)
            .where(Conversion.promotion_id.in_(ids), Order.cancelled_at.is_(None))
            .group_by(Conversion.promotion_id)):
        out[pid].conversions, out[pid].revenue = count, Decimal(str(revenue or 0))
    return out


# --- the list, and a promotion made by hand -------------------------------------------------------

@bp.get("/promotions")
@shop_required
def index():
    return _index_page()


def _index_page(*, error: str | None = None, status: int = 200, form=None):
    s = g.db_session
    page = max(request.args.get("page", 1, type=int), 1)
    total = s.scalar(select(func.count(Promotion.id)))
    promotions = s.scalars(select(Promotion).options(selectinload(Promotion.products))
                           .order_by(Promotion.created_at.desc(), Promotion.id.desc())
                           .limit(PAGE).offset((page - 1) * PAGE)).all()
    titles = _product_titles(s, (pp.product_id for p in promotions for pp in p.products))
    catalog = s.execute(select(Product.id, Product.title).where(
        Product.deleted_at.is_(None), Product.status == "active").order_by(Product.title)).all()
    pages = max((total + PAGE - 1) // PAGE, 1)
    values = {"title": "", "code": "", "value": "", "ends_on": "", "products": []}
    if form is not None:
        values.update(title=form.get("title", ""), code=form.get("code", ""),
                      value=form.get("value", ""), ends_on=form.get("ends_on", ""),
                      products=form.getlist("products"))
    return render_template(
        "admin/promotions.html", promotions=promotions, titles=titles, total=total,
        results=results_of(s, [p.id for p in promotions], g.shop.currency), catalog=catalog,
        values=values, error=error, page=page, pages=pages,
        prev_url=url_for("promotions.index", page=page - 1) if page > 1 else None,
        next_url=url_for("promotions.index", page=page + 1) if page < pages else None), status


@bp.post("/promotions")
@shop_required
def create():
    """A promotion the owner makes by hand: waiting for approval like the others."""
    form = request.form
    try:
        product_ids = [int(i) for i in form.getlist("products")]
    except ValueError:
        abort(400)
    ends_at = None
    if form.get("ends_on", "").strip():
        try:
            last_day = dt.date.fromisoformat(form["ends_on"].strip())
        except ValueError:
            return _index_page(error=gettext("The last day is a date (YYYY-MM-DD)."),
                               status=400, form=form)
        # the sale lasts to the end of its last day, shop time
        ends_at = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(),
                                      tzinfo=_zone()).astimezone(dt.UTC)
    try:
        with current_db().transaction(g.shop.id) as s:
            promotion = create_manual_promotion(
                s, title=form.get("title", ""), product_ids=product_ids,
                code=form.get("code"), value=form.get("value"), ends_at=ends_at)
            promotion_id = promotion.id
    except ValueError as exc:
        return _index_page(error=gettext("Not created: %(reason)s.", reason=str(exc)),
                           status=400, form=form)
    flash(gettext("Promotion created: check who would hear about it, then approve it."), "ok")
    return redirect(url_for("promotions.promotion", promotion_id=promotion_id))


# --- a promotion: preview, approval, results ------------------------------------------------------

@dataclasses.dataclass
class Row:
    """One person in a group, as the page shows them."""

    network: str
    handle: str
    audience: str
    at: dt.datetime | None  # their post (the consent, the post to the shop, the latest)
    product: str | None
    post_text: str
    post_url: str | None
    outreach: Outreach | None = None
    message: Message | None = None


@bp.get("/promotions/<int:promotion_id>")
@shop_required
def promotion(promotion_id: int):
    now = utcnow()
    # the preview stores the audience and its drafts (as `arrosto promotions preview` does):
    # building again only adds new people, so a reload is safe
    with current_db().transaction(g.shop.id) as s:
        row = _promotion_or_404(s, promotion_id)
        preview = prepare(s, row, now) \
            if row.state == "pending_approval" and not _ended(row, now) else None
        context = _promotion_context(s, row, preview, now)
    return render_template("admin/promotion.html", **context)


def _promotion_context(s: Session, promotion: Promotion, preview, now: dt.datetime
                       ) -> dict[str, Any]:
    product_ids = [pp.product_id for pp in promotion.products]
    stored = list(s.scalars(select(Outreach).where(Outreach.promotion_id == promotion.id)
                            .order_by(Outreach.id)))
    by_key = {(o.network, o.person_id): o for o in stored}
    people: list[Person] = []
    if preview is not None:
        people = [p for group in preview.audience.groups().values() for p in group]
        excluded_people = [p for group in preview.audience.excluded.values() for p in group]
    else:
        excluded_people = []
    post_ids = {p.post_id for p in people + excluded_people if p.post_id} | \
        {o.post_id for o in stored if o.post_id}
    posts = {p.id: p for p in s.scalars(select(Post).where(Post.id.in_(post_ids)))} \
        if post_ids else {}
    titles = _product_titles(s, [*product_ids, *(p.product_id for p in people + excluded_people
                                                 if p.product_id)])
    messages = {m.id: m for m in s.scalars(select(Message).where(
        Message.id.in_([o.message_id for o in stored if o.message_id])))} \
        if any(o.message_id for o in stored) else {}

    first_title = titles.get(product_ids[0]) if len(product_ids) == 1 else None

    def from_person(person: Person) -> Row:
        post = posts.get(person.post_id)
        outreach = by_key.get(person.key)
        return Row(person.network, person.handle, person.audience,
                   person.last_post_at or (post.created_at if post else None),
                   titles.get(person.product_id), _excerpt(post.text if post else ""),
                   post.url if post else None, outreach,
                   messages.get(outreach.message_id) if outreach and outreach.message_id
                   else None)

    def from_outreach(outreach: Outreach) -> Row:
        post = posts.get(outreach.post_id)
        return Row(outreach.network, outreach.handle, outreach.audience,
                   post.created_at if post else None, first_title,
                   _excerpt(post.text if post else ""), post.url if post else None, outreach,
                   messages.get(outreach.message_id) if outreach.message_id else None)

    groups: dict[str, list[Row]] = {group: [] for group in GROUPS}
    excluded: dict[str, list[Row]] = {}
    if preview is not None:
        for group, persons in preview.audience.groups().items():
            groups[group] = [from_person(p) for p in persons]
        for reason, persons in preview.audience.excluded.items():
            excluded[reason] = [from_person(p) for p in persons]
    else:
        for outreach in stored:
            groups.setdefault(outreach.audience, []).append(from_outreach(outreach))
    announcements = list(s.scalars(select(Message).where(
        Message.kind == "announcement",
        Message.idempotency_key.in_([f"announcement:{promotion.id}:{n}" for n in networks()]))
        .order_by(Message.network)))
    states: dict[str, dict[str, int]] = {}
    for outreach in stored:
        counts = states.setdefault(outreach.audience, {})
        counts[outreach.state] = counts.get(outreach.state, 0) + 1
    return {
        "promotion": promotion, "products": [(i, titles.get(i, "")) for i in product_ids],
        "preview": preview, "groups": groups, "excluded": excluded,
        "announcements": announcements, "states": states, "ended": _ended(promotion, now),
        "results": promotion_results(s, promotion.id),
        "summary": results_of(s, [promotion.id], g.shop.currency)[promotion.id],
        "in_queue": sum(1 for o in stored if o.audience == "owner" and o.state == "proposed"),
        "networks": networks(),
    }


@bp.post("/promotions/<int:promotion_id>/approve")
@shop_required
def approve(promotion_id: int):
    """The owner's approval, with the announcements as they left them: the same function as
    ``arrosto promotions approve``; the worker's outbox sends what it queued."""
    texts = {n: " ".join(request.form.get(f"announcement_{n}", "").split()) for n in networks()}
    try:
        with current_db().transaction(g.shop.id) as s:
            promotion = _promotion_or_404(s, promotion_id)
            if promotion.state != "pending_approval":
                raise NotAllowed(gettext("it is already %(state)s", state=promotion.state))
            queued = approve_promotion(s, promotion, utcnow(),
                                       announcement_texts={n: t for n, t in texts.items() if t})
    except NotAllowed as exc:
        flash(gettext("Not approved: %(reason)s.", reason=str(exc)), "error")
        return redirect(url_for("promotions.promotion", promotion_id=promotion_id))
    flash(ngettext("Approved: %(num)d message is queued and goes out within minutes; the "
                   "people left to you are in your queue.",
                   "Approved: %(num)d messages are queued and go out within minutes; the "
                   "people left to you are in your queue.", len(queued)), "ok")
    return redirect(url_for("promotions.promotion", promotion_id=promotion_id))


@bp.post("/promotions/<int:promotion_id>/outreach/<int:outreach_id>/draft")
@shop_required
def save_draft(promotion_id: int, outreach_id: int):
    """The owner's edit of one person's message, before approval or before sending it."""
    try:
        with current_db().transaction(g.shop.id) as s:
            row = _outreach_or_404(s, outreach_id)
            if row.promotion_id != promotion_id:
                abort(404)
            edit_draft(s, row, request.form.get("text", ""))
            handle = row.handle
    except NotAllowed as exc:
        flash(gettext("Not saved: %(reason)s.", reason=str(exc)), "error")
    else:
        flash(gettext("The message to @%(handle)s is saved.", handle=handle), "ok")
    back = request.form.get("back")
    if back == "queue":
        return redirect(url_for("promotions.queue"))
    return redirect(url_for("promotions.promotion", promotion_id=promotion_id,
                            _anchor=f"o{outreach_id}"))


# --- the owner's own queue ------------------------------------------------------------------------

@bp.get("/promotions/queue")
@shop_required
def queue():
    s = g.db_session
    now = utcnow()
    try:
        cap = promotion_settings(g.shop)["owner_daily_cap"]
    except ArrostoError:
        cap = 0
    done_today = owner_sent_today(s, g.shop, now)
    left = max(cap - done_today, 0)
    promotions = s.scalars(select(Promotion).where(Promotion.state.in_(SENT))
                           .order_by(Promotion.approved_at.desc(), Promotion.id.desc())).all()
    items: list[tuple[Promotion, Outreach]] = []
    for promotion in promotions:
        if _ended(promotion, now):  # a sale that is over is not worth a message
            continue
        for row in owner_queue(s, promotion, now)[:left - len(items)]:
            items.append((promotion, row))
        if len(items) >= left:
            break
    posts = {p.id: p for p in s.scalars(select(Post).where(
        Post.id.in_([r.post_id for _p, r in items if r.post_id])))} if items else {}
    live = [p for p in promotions if p.state in LIVE and not _ended(p, now)]
    product_ids = sorted({pp.product_id for p in live for pp in p.products})
    titles = _product_titles(s, product_ids)
    follow = [(pid, titles.get(pid, ""), candidates) for pid in product_ids
              if (candidates := people_to_follow(s, pid, FOLLOW_SHOWN, now=now))]
    return render_template("admin/promotion_queue.html", items=items, posts=posts, cap=cap,
                           done_today=done_today, left=left, follow=follow)


@bp.post("/promotions/queue/<int:outreach_id>/send")
@shop_required
def send(outreach_id: int):
    """The owner sends one drafted reply as a person, now, through the send path."""
    handle = _outreach_or_404(g.db_session, outreach_id).handle
    text = request.form.get("text", "").strip() or None
    try:
        state = send_by_owner(current_db(), _settings(), outreach_id, shop_id=g.shop.id,
                              text=text, now=utcnow())
    except NotAllowed as exc:
        flash(gettext("Not sent: %(reason)s.", reason=str(exc)), "error")
        return redirect(url_for("promotions.queue"))
    if state == "sent":
        flash(gettext("Sent to @%(handle)s.", handle=handle), "ok")
    elif state == "failed":
        with current_db().transaction(g.shop.id) as s:
            error = s.scalar(select(Message.last_error).join(
                Outreach, Outreach.message_id == Message.id).where(Outreach.id == outreach_id))
        flash(gettext("Not sent to @%(handle)s: %(reason)s", handle=handle,
                      reason=error or gettext("no reason given")), "error")
    else:
        flash(gettext("The network did not answer: the message to @%(handle)s is retried in "
                      "a few minutes.", handle=handle), "ok")
    return redirect(url_for("promotions.queue"))


@bp.post("/promotions/queue/<int:outreach_id>/sent")
@shop_required
def sent_by_hand(outreach_id: int):
    """The owner wrote to them from the network's own app: recorded, counted in the cap."""
    text = request.form.get("text", "").strip() or None
    try:
        with current_db().transaction(g.shop.id) as s:
            row = owner_sent_by_hand(s, _outreach_or_404(s, outreach_id).id, utcnow(), text)
            handle = row.handle
    except NotAllowed as exc:
        flash(gettext("Not recorded: %(reason)s.", reason=str(exc)), "error")
    else:
        flash(gettext("Recorded as sent by you to @%(handle)s.", handle=handle), "ok")
    return redirect(url_for("promotions.queue"))


@bp.post("/promotions/follow")
@shop_required
def follow():
    """Follow ONE person the list proposes for a product, on the owner's click."""
    product_id = request.form.get("product_id", type=int)
    network, person_id = request.form.get("network", ""), request.form.get("person_id", "")
    s = g.db_session
    if product_id is None or s.scalar(select(Product.id).where(Product.id == product_id)) is None:
        abort(404)
    candidate = next((c for c in people_to_follow(s, product_id, FOLLOW_CHECKED, now=utcnow())
                      if (c.network, c.person_id) == (network, person_id)), None)
    if candidate is None:
        flash(gettext("This person is not on the list of people worth following (any more)."),
              "error")
        return redirect(url_for("promotions.queue"))
    try:
        followed = follow_person(current_db(), _settings(), g.shop.id, network, person_id,
                                 handle=candidate.handle, product_id=product_id, now=utcnow())
    except NotAllowed as exc:
        flash(gettext("Not followed: %(reason)s.", reason=str(exc)), "error")
    except ArrostoError as exc:
        flash(gettext("%(network)s did not follow @%(handle)s: %(reason)s", network=network,
                      handle=candidate.handle, reason=str(exc)), "error")
    else:
        flash(gettext("You follow @%(handle)s on %(network)s.", handle=candidate.handle,
                      network=network) if followed else
              gettext("You already followed @%(handle)s.", handle=candidate.handle), "ok")
    return redirect(url_for("promotions.queue"))


# --- watchers -------------------------------------------------------------------------------------

def watchers_of(s: Session, product_id: int | None = None) -> list[tuple[Watcher, Post | None]]:
    """Who asked to be told (not revoked), each with the post that gave consent; one product's
    or every product's."""
    stmt = (select(Watcher, Post).outerjoin(Post, Post.id == Watcher.consent_post_id)
            .where(Watcher.revoked_at.is_(None))
            .order_by(Watcher.product_id, Watcher.consented_at.desc(), Watcher.id))
    if product_id is not None:
        stmt = stmt.where(Watcher.product_id == product_id)
    return [(w, p) for w, p in s.execute(stmt).all()]


@bp.get("/promotions/watchers")
@shop_required
def watchers():
    s = g.db_session
    rows = watchers_of(s)
    titles = _product_titles(s, {w.product_id for w, _p in rows})
    by_product: dict[int, list[tuple[Watcher, Post | None]]] = {}
    for watcher, post in rows:
        by_product.setdefault(watcher.product_id, []).append((watcher, post))
    products = sorted(by_product, key=lambda pid: titles.get(pid, "").lower())
    stopped = s.scalar(select(func.count(Watcher.id)).where(Watcher.revoked_at.is_not(None)))
    return render_template("admin/watchers.html", products=products, titles=titles,
                           by_product=by_product, total=len(rows), stopped=stopped)


@bp.app_context_processor
def product_watchers_helper() -> dict[str, Any]:
    """``product_watchers(id)`` for the product page's short watchers section."""
    return {"product_watchers": _product_watchers}


def _product_watchers(product_id: int) -> list[tuple[Watcher, Post | None]]:
    s = g.get("db_session")
    if s is None or g.get("shop") is None:
        return []
    try:
        return watchers_of(s, product_id)
    except SQLAlchemyError:  # an error page after a failed query: no list, no crash
        log.debug("no watchers for this page", exc_info=True)
        return []
