"""The owner's admin panel (standalone sign-in by one-time link; Shopify embedding comes later)."""
from __future__ import annotations

import functools

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ..access import redeem_login_token
from ..models import Customer, Order, Post, Product, Shop
from . import current_db

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE = 50


def shop_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        shop_id = session.get("shop_id")
        if not isinstance(shop_id, int):
            return render_template("admin/signed_out.html"), 401
        db = current_db()
        with db.transaction() as s:
            shop = s.get(Shop, shop_id)
        if shop is None or shop.status == "uninstalled":
            session.clear()
            return render_template("admin/signed_out.html"), 401
        g.shop = shop
        g.db_session = db.shop_session(shop_id)
        return view(*args, **kwargs)
    return wrapped


@bp.get("/login/<token>")
def login(token: str):
    shop_id = redeem_login_token(current_db(), token)
    if shop_id is None:
        return render_template("admin/signed_out.html", expired=True), 403
    session.clear()
    session["shop_id"] = shop_id
    session.permanent = True
    return redirect(url_for("admin.dashboard"))


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("admin.dashboard"))


@bp.get("/")
@shop_required
def dashboard():
    s = g.db_session
    counts = {
        "products": s.scalar(select(func.count(Product.id)).where(Product.deleted_at.is_(None))),
        "orders": s.scalar(select(func.count(Order.id))),
        "customers": s.scalar(select(func.count(Customer.id))),
        "posts": s.scalar(select(func.count(Post.id))),
        "unfulfilled": s.scalar(select(func.count(Order.id)).where(
            Order.fulfillment_status.is_(None), Order.cancelled_at.is_(None))),
    }
    recent = s.scalars(select(Post).order_by(Post.created_at.desc()).limit(8)).all()
    return render_template("admin/dashboard.html", counts=counts, recent=recent)


@bp.get("/products")
@shop_required
def products():
    s = g.db_session
    q = request.args.get("q", "").strip()
    stmt = select(Product).where(Product.deleted_at.is_(None)).options(
        selectinload(Product.variants)).order_by(Product.title)
    if q:
        stmt = stmt.where(or_(Product.title.ilike(f"%{q}%"), Product.vendor.ilike(f"%{q}%")))
    return render_template("admin/products.html", products=s.scalars(stmt).all(), q=q)


@bp.get("/orders")
@shop_required
def orders():
    s = g.db_session
    page = max(request.args.get("page", 1, type=int), 1)
    q = request.args.get("q", "").strip().lstrip("#")
    stmt = select(Order).options(selectinload(Order.customer)).order_by(Order.created_at.desc())
    if q:
        stmt = stmt.where(or_(Order.name.ilike(f"%{q}%"), Order.shipping_name.ilike(f"%{q}%")))
    total = s.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = s.scalars(stmt.limit(PAGE).offset((page - 1) * PAGE)).all()
    return render_template("admin/orders.html", orders=rows, q=q, page=page,
                           pages=max((total + PAGE - 1) // PAGE, 1), total=total)


@bp.get("/orders/<int:order_id>")
@shop_required
def order(order_id: int):
    row = g.db_session.scalar(select(Order).where(Order.id == order_id).options(
        selectinload(Order.lines), selectinload(Order.fulfillments),
        selectinload(Order.customer)))
    if row is None:
        abort(404)
    return render_template("admin/order.html", order=row)


@bp.get("/posts")
@shop_required
def posts():
    s = g.db_session
    page = max(request.args.get("page", 1, type=int), 1)
    stmt = select(Post).order_by(Post.created_at.desc())
    total = s.scalar(select(func.count(Post.id)))
    rows = s.scalars(stmt.limit(PAGE).offset((page - 1) * PAGE)).all()
    return render_template("admin/posts.html", posts=rows, page=page,
                           pages=max((total + PAGE - 1) // PAGE, 1), total=total)
