"""The API's views: authentication by token, reading the request, converting rows to the
response models."""
from __future__ import annotations

import datetime as dt
import json
import logging
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, current_app, g, jsonify, request
from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ...access import verify_api_token
from ...errors import ConfigError
from ...listening.classify import INTENTS as POST_INTENTS
from ...models import (
    Case,
    Conversion,
    Message,
    Order,
    OrderLink,
    Outreach,
    Post,
    PostCorrection,
    PostProduct,
    Product,
    ProductKeyword,
    Promotion,
    PromotionProduct,
    Shop,
    utcnow,
)
from ..base import current_db
from .openapi import QUERY_NAMES, openapi_document
from .schemas import (
    CASE_INTENTS,
    CASE_STATES,
    DATE,
    DIGITS,
    MAX_ID,
    MAX_PAGE,
    MAX_PER_PAGE,
    MENTIONS_WINDOW_DAYS,
    PER_PAGE,
    PREFIX,
    Approval,
    Approved,
    Audience,
    CaseDetail,
    CaseOut,
    CasePage,
    CustomerOut,
    Digest,
    Error,
    FulfillmentOut,
    Keyword,
    Mentions,
    OrderDetail,
    OrderLineOut,
    OrderLinkOut,
    OrderOut,
    OrderPage,
    PostOut,
    PostPage,
    ProductDetail,
    ProductPage,
    PromotionApproved,
    PromotionDetail,
    PromotionOut,
    PromotionPage,
    Reply,
    ShopOut,
    Variant,
)

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix=PREFIX)


class Invalid(Exception):
    """A request the API refuses: answered as ``{"error": ...}`` with ``status``."""

    def __init__(self, status: int, error: str, reason: str | None = None):
        super().__init__(error)
        self.status, self.error, self.reason = status, error, reason


# --- authentication and errors --------------------------------------------------------------------

@bp.before_request
def authenticate():
    if request.endpoint == "api.openapi":
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    row = verify_api_token(current_db(), token.strip()) if scheme.lower() == "bearer" else None
    if row is None:
        response = jsonify(error="unauthorized",
                           reason="send one of the shop's API tokens as "
                                  "'Authorization: Bearer <token>' (arrosto api-token create)")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="arrosto"'
        return response
    with current_db().transaction() as s:
        g.shop = s.get(Shop, row.shop_id)
    g.api_token_name = row.name
    g.db_session = current_db().shop_session(row.shop_id)
    _check_query()
    return None


def _check_query() -> None:
    """A query parameter the operation does not take, or one given twice, is a mistake worth
    saying (``?stat=open`` would otherwise list every case)."""
    allowed = QUERY_NAMES.get(request.endpoint, frozenset())
    for name in request.args:
        if name not in allowed:
            raise Invalid(400, "unknown parameter",
                          f"{name!r}: this operation takes "
                          f"{', '.join(sorted(allowed)) or 'no query parameters'}")
        if len(request.args.getlist(name)) > 1:
            raise Invalid(400, f"invalid {name}", f"{name} is given more than once")


@bp.errorhandler(Invalid)
def invalid(exc: Invalid):
    return jsonify(Error(error=exc.error, reason=exc.reason).model_dump(exclude_none=True)), \
        exc.status


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def _ok(model: BaseModel):
    return jsonify(_dump(model))


# --- reading the request ------------------------------------------------------------------------

def _int_arg(name: str, default: int | None, maximum: int) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not DIGITS.fullmatch(raw) or not 1 <= int(raw) <= maximum:
        raise Invalid(400, f"invalid {name}", f"{name} is a whole number from 1 to {maximum}")
    return int(raw)


def _choice_arg(name: str, choices: tuple[str, ...]) -> str | None:
    raw = request.args.get(name)
    if raw is not None and raw not in choices:
        raise Invalid(400, f"invalid {name}", f"{name} is one of {', '.join(choices)}")
    return raw


def _paging() -> tuple[int, int]:
    return _int_arg("page", 1, MAX_PAGE), _int_arg("per_page", PER_PAGE, MAX_PER_PAGE)


NO_BODY = object()


def _json_body() -> Any:
    """The request's JSON body, or NO_BODY when it has none; 415 for another content type."""
    if not request.get_data(cache=True):
        return NO_BODY
    if request.mimetype != "application/json":
        raise Invalid(415, "unsupported media type", "send the body as application/json")
    try:
        return json.loads(request.get_data(as_text=False))
    except ValueError:  # includes bytes that are not UTF-8
        raise Invalid(400, "invalid JSON") from None


def _id_or_404(value: int) -> int:
    if not 1 <= value <= MAX_ID:
        abort(404)
    return value


def _page(stmt, model, convert, page: int, per_page: int, s: Session):
    total = s.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = s.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return model(items=convert(rows), page=page, per_page=per_page, total=total,
                 next_page=page + 1 if page * per_page < total else None)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


# --- converting rows ------------------------------------------------------------------------------

def _product(p: Product) -> dict[str, Any]:
    return dict(id=p.id, external_id=p.external_id, title=p.title, handle=p.handle,
                vendor=p.vendor, product_type=p.product_type,
                tags=[str(t) for t in p.tags or []], status=p.status, url=p.url,
                price=_money(p.price), compare_at_price=_money(p.compare_at_price),
                inventory_quantity=p.inventory_quantity, in_stock=p.in_stock,
                deleted_at=p.deleted_at)


def _order(o: Order) -> dict[str, Any]:
    return dict(id=o.id, external_id=o.external_id, name=o.name, number=o.number,
                created_at=o.created_at, customer_id=o.customer_id, email=o.email,
                shipping_name=o.shipping_name, financial_status=o.financial_status,
                fulfillment_status=o.fulfillment_status, cancelled_at=o.cancelled_at,
                total_price=_money(o.total_price) or "0.00", currency=o.currency)


def _product_ids(s: Session, owner, product, rows: list) -> dict[int, list[int]]:
    """Each row's product ids, in order, from a link table (one query for the page)."""
    found: dict[int, list[int]] = {}
    if rows:
        for row_id, product_id in s.execute(select(owner, product)
                                            .where(owner.in_([r.id for r in rows]))
                                            .order_by(product)):
            found.setdefault(row_id, []).append(product_id)
    return found


def _posts(s: Session, posts: list[Post]) -> list[PostOut]:
    products = _product_ids(s, PostProduct.post_id, PostProduct.product_id, posts)
    labels = {post_id: label for post_id, label in s.execute(
        select(PostCorrection.post_id, PostCorrection.label)
        .where(PostCorrection.post_id.in_([p.id for p in posts])))} if posts else {}
    return [PostOut(id=p.id, network=p.network, external_id=p.external_id,
                    author_id=p.author_id, author_handle=p.author_handle,
                    author_name=p.author_name, text=p.text, lang=p.lang,
                    created_at=p.created_at, url=p.url, source=p.source, intent=p.intent,
                    sentiment=p.sentiment, addresses_shop=p.addresses_shop, is_own=p.is_own,
                    case_id=p.case_id, product_ids=products.get(p.id, []),
                    correction=labels.get(p.id))
            for p in posts]


def _case(c: Case) -> dict[str, Any]:
    return {f: getattr(c, f) for f in CaseOut.model_fields}


def _reply(m: Message) -> Reply:
    return Reply(**{f: getattr(m, f) for f in Reply.model_fields})


def _promotions(s: Session, rows: list[Promotion]) -> list[PromotionOut]:
    products = _product_ids(s, PromotionProduct.promotion_id, PromotionProduct.product_id, rows)
    return [PromotionOut(id=p.id, source=p.source, external_id=p.external_id, title=p.title,
                         code=p.code, value=p.value, starts_at=p.starts_at, ends_at=p.ends_at,
                         state=p.state, approved_at=p.approved_at, created_at=p.created_at,
                         product_ids=products.get(p.id, []))
            for p in rows]


# --- the shop, products, orders, posts ------------------------------------------------------------

@bp.get("/shop")
def shop():
    sh = g.shop
    return _ok(ShopOut(id=sh.id, name=sh.name or sh.domain, domain=sh.domain,
                       platform=sh.platform, store_url=sh.store_url, currency=sh.currency,
                       timezone=sh.timezone, language=sh.language, status=sh.status))


@bp.get("/products")
def products():
    page, per_page = _paging()
    stmt = select(Product).where(Product.deleted_at.is_(None)).order_by(Product.title,
                                                                       Product.id)
    return _ok(_page(stmt, ProductPage, lambda rows: [_product(p) for p in rows], page,
                     per_page, g.db_session))


@bp.get("/products/<int:product_id>")
def product(product_id: int):
    s = g.db_session
    row = s.scalar(select(Product).where(Product.id == _id_or_404(product_id)).options(
        selectinload(Product.variants)))
    if row is None:
        abort(404)
    keywords = s.scalars(select(ProductKeyword).where(ProductKeyword.product_id == row.id)
                         .order_by(ProductKeyword.term)).all()
    since = utcnow() - dt.timedelta(days=MENTIONS_WINDOW_DAYS)
    recent = s.scalar(select(func.count(PostProduct.id)).where(
        PostProduct.product_id == row.id, PostProduct.post_created_at >= since))
    total = s.scalar(select(func.count(PostProduct.id)).where(PostProduct.product_id == row.id))
    return _ok(ProductDetail(
        **_product(row), description=row.description,
        variants=[Variant(id=v.id, title=v.title, sku=v.sku, price=_money(v.price),
                          compare_at_price=_money(v.compare_at_price),
                          inventory_quantity=v.inventory_quantity) for v in row.variants],
        keywords=[Keyword(term=k.term, source=k.source, needs_context=k.needs_context)
                  for k in keywords],
        mentions=Mentions(window_days=MENTIONS_WINDOW_DAYS, recent=recent, total=total)))


@bp.get("/orders")
def orders():
    page, per_page = _paging()
    stmt = select(Order).order_by(Order.created_at.desc(), Order.id.desc())
    return _ok(_page(stmt, OrderPage, lambda rows: [_order(o) for o in rows], page, per_page,
                     g.db_session))


@bp.get("/orders/<int:order_id>")
def order(order_id: int):
    row = g.db_session.scalar(select(Order).where(Order.id == _id_or_404(order_id)).options(
        selectinload(Order.lines), selectinload(Order.fulfillments),
        selectinload(Order.customer)))
    if row is None:
        abort(404)
    customer = row.customer
    return _ok(OrderDetail(
        **_order(row), shipping_city=row.shipping_city, shipping_postcode=row.shipping_postcode,
        cancel_reason=row.cancel_reason, discount_codes=[str(c) for c in row.discount_codes or []],
        customer=CustomerOut(id=customer.id, first_name=customer.first_name,
                             last_name=customer.last_name, email=customer.email)
        if customer is not None else None,
        lines=[OrderLineOut(id=li.id, product_id=li.product_id, title=li.title,
                            variant_title=li.variant_title, sku=li.sku, quantity=li.quantity,
                            price=_money(li.price) or "0.00") for li in row.lines],
        fulfillments=[FulfillmentOut(id=f.id, status=f.status, shipment_status=f.shipment_status,
                                     tracking_company=f.tracking_company,
                                     tracking_number=f.tracking_number,
                                     tracking_url=f.tracking_url, created_at=f.created_at)
                      for f in row.fulfillments]))


@bp.get("/posts")
def posts():
    page, per_page = _paging()
    intent = _choice_arg("intent", POST_INTENTS)
    product_id = _int_arg("product_id", None, MAX_ID)
    stmt = select(Post).order_by(Post.created_at.desc(), Post.id.desc())
    if intent:
        stmt = stmt.where(Post.intent == intent)
    if product_id:
        stmt = stmt.where(Post.id.in_(select(PostProduct.post_id)
                                      .where(PostProduct.product_id == product_id)))
    s = g.db_session
    return _ok(_page(stmt, PostPage, lambda rows: _posts(s, list(rows)), page, per_page, s))


# --- support cases ------------------------------------------------------------------------------

@bp.get("/cases")
def cases():
    page, per_page = _paging()
    state = _choice_arg("state", CASE_STATES)
    intent = _choice_arg("intent", CASE_INTENTS)
    product_id = _int_arg("product_id", None, MAX_ID)
    stmt = select(Case).order_by(Case.opened_at.desc(), Case.id.desc())
    if state:
        stmt = stmt.where(Case.state == state)
    if intent:
        stmt = stmt.where(Case.intent == intent)
    if product_id:  # the inbox's product filter: a post of the case names the product
        stmt = stmt.where(Case.id.in_(
            select(Post.case_id).join(PostProduct, PostProduct.post_id == Post.id)
            .where(PostProduct.product_id == product_id)))
    return _ok(_page(stmt, CasePage, lambda rows: [_case(c) for c in rows], page, per_page,
                     g.db_session))


def _row_or_404(s: Session, model: type[Any], row_id: int) -> Any:
    """The shop's row of ``model`` by id (the shop session filters it), else a 404."""
    row = s.scalar(select(model).where(model.id == _id_or_404(row_id)))
    if row is None:
        abort(404)
    return row


def _replies(s: Session, case_id: int) -> list[Message]:
    return list(s.scalars(select(Message).where(Message.case_id == case_id,
                                               Message.kind == "reply",
                                               Message.state != "superseded")
                          .order_by(Message.id)))


@bp.get("/cases/<int:case_id>")
def case(case_id: int):
    s = g.db_session
    row = _row_or_404(s, Case, case_id)
    thread = s.scalars(select(Post).where(Post.case_id == row.id)
                       .order_by(Post.created_at, Post.id)).all()
    linked = s.scalar(select(Order).where(Order.id == row.order_id)) if row.order_id else None
    links = s.execute(select(OrderLink, Order.name).join(Order, Order.id == OrderLink.order_id)
                      .where(OrderLink.case_id == row.id)
                      .order_by(OrderLink.confidence.desc(), OrderLink.id)).all()
    return _ok(CaseDetail(
        **_case(row), posts=_posts(s, list(thread)),
        order=OrderOut(**_order(linked)) if linked is not None else None,
        order_links=[OrderLinkOut(order_id=lk.order_id, order_name=name,
                                  confidence=lk.confidence,
                                  reasons=[str(r) for r in lk.reasons or []], status=lk.status)
                     for lk, name in links],
        messages=[_reply(m) for m in _replies(s, row.id)]))


@bp.post("/cases/<int:case_id>/messages/<int:message_id>/approve")
def approve_reply(case_id: int, message_id: int):
    """The inbox's approval: the never-public check and the sending rules, then the send is
    queued once the approval is committed."""
    from ...outbox import send

    body = _json_body()
    try:
        approval = Approval.model_validate({} if body is NO_BODY else body)
    except ValidationError as exc:
        raise Invalid(422, "invalid body", _first_problem(exc)) from None
    db = current_db()
    try:
        with db.transaction(g.shop.id) as s:
            _row_or_404(s, Case, case_id)
            message = s.scalar(select(Message).where(
                Message.id == _id_or_404(message_id), Message.case_id == case_id,
                Message.kind == "reply"))
            if message is None:
                abort(404)
            send.approve(s, message, text=approval.text)
    except send.NotAllowed as exc:
        raise Invalid(409, "not approved", str(exc)) from None
    queued = True
    try:
        send.queue_sends([message_id])
    except Exception:  # noqa: BLE001 - the queue's backend; the approval itself stands
        log.exception("message %s approved through the API but not queued", message_id)
        queued = False
    with db.transaction(g.shop.id) as s:  # jobs may run inline (demo, tests)
        return _ok(Approved(message=_reply(s.get(Message, message_id)), queued=queued))


def _first_problem(exc: ValidationError) -> str:
    problem = exc.errors()[0]
    where = ".".join(str(p) for p in problem.get("loc", ())) or "body"
    return f"{where}: {problem.get('msg', 'invalid')}"


# --- promotions -----------------------------------------------------------------------------------

@bp.get("/promotions")
def promotions():
    page, per_page = _paging()
    s = g.db_session
    stmt = select(Promotion).order_by(Promotion.id.desc())
    return _ok(_page(stmt, PromotionPage, lambda rows: _promotions(s, list(rows)), page,
                     per_page, s))


@bp.get("/promotions/<int:promotion_id>")
def promotion(promotion_id: int):
    """The promotion with its audience as the preview would build it now (nothing stored)."""
    from ...promotions.audience import build_audience
    from ...promotions.outreach import SETTINGS, promotion_settings

    s = g.db_session
    row = _row_or_404(s, Promotion, promotion_id)
    try:
        options = promotion_settings(g.shop)
    except ConfigError:
        log.warning("shop %s: promotion settings unreadable, using the defaults", g.shop.id)
        options = SETTINGS
    audience = build_audience(s, row, utcnow(), days=options["days"],
                              cooldown_days=options["cooldown_days"], store=False)
    stored: dict[str, dict[str, int]] = {}
    for group, state, count in s.execute(
            select(Outreach.audience, Outreach.state, func.count(Outreach.id))
            .where(Outreach.promotion_id == row.id)
            .group_by(Outreach.audience, Outreach.state)):
        stored.setdefault(group, {})[state] = count
    conversions, revenue = s.execute(
        select(func.count(Conversion.id), func.coalesce(func.sum(Conversion.revenue), 0))
        .where(Conversion.promotion_id == row.id)).one()
    return _ok(PromotionDetail(
        **_dump(_promotions(s, [row])[0]),
        audience=Audience(watcher=len(audience.watchers), engaged=len(audience.engaged),
                          owner=len(audience.owner),
                          excluded={reason: len(people)
                                    for reason, people in audience.excluded.items()}),
        outreach=stored, conversions=conversions or 0,
        revenue=f"{Decimal(revenue or 0):.2f}"))


@bp.post("/promotions/<int:promotion_id>/approve")
def approve_promotion(promotion_id: int):
    """What ``arrosto promotions approve`` does: the automated groups get their messages, one
    announcement per account; the owner's group waits in the owner's queue."""
    from ...outbox.send import NotAllowed
    from ...promotions.outreach import approve_promotion as approve

    body = _json_body()
    if body is not NO_BODY and body != {}:
        raise Invalid(422, "invalid body", "this operation takes no body (or {})")
    try:
        with current_db().transaction(g.shop.id) as s:
            row = _row_or_404(s, Promotion, promotion_id)
            queued = approve(s, row, utcnow())
            out = _promotions(s, [row])[0]
    except (NotAllowed, ConfigError) as exc:
        raise Invalid(409, "not approved", str(exc)) from None
    return _ok(PromotionApproved(promotion=out, queued=len(queued)))


# --- the digest -----------------------------------------------------------------------------------

@bp.get("/digest")
def digest():
    from ...digest.content import build_digest, shop_zone

    raw = request.args.get("date")
    if raw is None:
        day = utcnow().astimezone(shop_zone(g.shop)).date()
    else:
        try:
            if not DATE.fullmatch(raw):
                raise ValueError(raw)
            day = dt.date.fromisoformat(raw)
        except ValueError:
            raise Invalid(400, "invalid date",
                          "date is the shop's local date, YYYY-MM-DD, from 2000 to 2999") \
                from None
    settings = current_app.config["ARROSTO"]
    data = build_digest(g.db_session, g.shop, day, public_url=settings.public_url,
                        settings=settings)
    return _ok(Digest.model_validate(data))


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())
