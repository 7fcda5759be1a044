"""The owner's admin panel (standalone sign-in by one-time link, or embedded in the Shopify
admin): the dashboard, catalog, orders, posts, social accounts and the digest's settings.

Connecting a social account goes through the network's own sign-in: :mod:`.connect`.
"""
from __future__ import annotations

import datetime as dt
import functools
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
    session,
    url_for,
)
from flask_babel import gettext, ngettext
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ..access import redeem_login_token
from ..errors import ArrostoError
from ..listening.keywords import add_keyword, remove_keyword
from ..listening.pipeline import budget_left, monthly_read_budget
from ..models import (
    Case,
    Customer,
    Order,
    Post,
    PostProduct,
    Product,
    ProductKeyword,
    Shop,
    SocialAccount,
    utcnow,
)
from ..support.sla import overdue_cases
from . import embedded, sessions
from .base import current_db

log = logging.getLogger(__name__)
bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE = 50
MENTIONS_WINDOW = dt.timedelta(days=30)  # "recently", on a product's page


def shop_required(view):
    """Sign-in for every admin page: a Shopify session token when embedded in the Shopify
    admin (on every request, see :mod:`.embedded`), else the signed session cookie of the
    standalone admin, whose session the server must still hold (see :mod:`.sessions`).
    Anything else (a tampered cookie, a session ended on the server, an uninstalled shop)
    signs out."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        db = current_db()
        if embedded.embedded_request():
            claims = embedded.claims()
            if claims is None:
                return embedded.bounce()
            with db.transaction(all_shops=True) as s:
                shop = embedded.shop_for(s, claims)
            if shop is None or shop.status == "uninstalled":
                if request.method == "GET" and embedded.session_token():
                    # not installed (or reinstalled): token exchange first, then back here
                    return redirect(url_for("install.shopify_app",
                                            id_token=embedded.session_token()))
                return render_template("admin/signed_out.html", embedded=True), 401
            g.embedded = True
            g.frame_shop = shop.domain
        else:
            shop_id = sessions.signed_in_shop()
            if shop_id is None:
                if "shop_id" in session or (not session and current_app.config[
                        "SESSION_COOKIE_NAME"] in request.cookies):
                    session.clear()  # ended on the server, or tampered: the cookie goes
                return render_template("admin/signed_out.html"), 401
            with db.transaction() as s:
                shop = s.get(Shop, shop_id)
            if shop is None or shop.status in ("uninstalled", "pending"):
                sessions.sign_out()
                return render_template("admin/signed_out.html"), 401
        g.shop = shop
        g.db_session = db.shop_session(shop.id)
        return view(*args, **kwargs)
    return wrapped


@bp.get("/session-token-bounce")
def session_token_bounce():
    return embedded.bounce_page()


@bp.get("/login/<token>")
def login(token: str):
    shop_id = redeem_login_token(current_db(), token)
    if shop_id is None:
        return render_template("admin/signed_out.html", expired=True), 403
    sessions.sign_in(shop_id)
    return redirect(url_for("admin.dashboard"))


@bp.post("/logout")
def logout():
    sessions.sign_out()  # on the server: a copy of the cookie signs in no more
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
        "open_cases": s.scalar(select(func.count(Case.id)).where(Case.state == "open")),
        "overdue": len(overdue_cases(s)),
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


def _product_or_404(product_id: int) -> Product:
    row = g.db_session.scalar(select(Product).where(Product.id == product_id))
    if row is None:
        abort(404)
    return row


@bp.get("/products/<int:product_id>")
@shop_required
def product(product_id: int):
    """A product, the terms that name it in posts (the owner's to change), and how often
    posts mentioned it lately."""
    s = g.db_session
    row = _product_or_404(product_id)
    keywords = s.scalars(select(ProductKeyword).where(ProductKeyword.product_id == row.id)
                         .order_by(ProductKeyword.term)).all()
    since = utcnow() - MENTIONS_WINDOW
    mentions = s.scalar(select(func.count(PostProduct.id)).where(
        PostProduct.product_id == row.id, PostProduct.post_created_at >= since))
    recent = s.scalars(select(Post).join(PostProduct, PostProduct.post_id == Post.id).where(
        PostProduct.product_id == row.id).order_by(Post.created_at.desc()).limit(5)).all()
    return render_template(
        "admin/product.html", product=row, mentions=mentions, recent=recent,
        window_days=MENTIONS_WINDOW.days,
        in_use=[k for k in keywords if k.source != "removed"],
        removed=[k for k in keywords if k.source == "removed"])


@bp.post("/products/<int:product_id>/keywords")
@shop_required
def add_product_keyword(product_id: int):
    """The owner's term for a product ("auto" context: the same rule as the catalog's terms)."""
    context = {"yes": True, "no": False}.get(request.form.get("needs_context", "auto"))
    return _edit_keyword(product_id, lambda s, shop, term: add_keyword(
        s, shop, product_id, term, needs_context=context), added=True)


@bp.post("/products/<int:product_id>/keywords/remove")
@shop_required
def remove_product_keyword(product_id: int):
    return _edit_keyword(product_id, lambda s, shop, term: remove_keyword(
        s, shop, product_id, term), added=False)


def _edit_keyword(product_id: int, edit, *, added: bool):
    term = request.form.get("term", "").strip()
    try:
        with current_db().transaction(g.shop.id) as s:
            row = edit(s, s.get(Shop, g.shop.id), term)
            saved = row.term
    except LookupError:
        abort(404)
    except ValueError as exc:
        flash(str(exc), "error")
    else:
        flash(gettext("“%(term)s” added: it counts from the next posts read, and re-syncing "
                      "the catalog keeps it.", term=saved) if added else
              gettext("“%(term)s” removed: it counts from the next posts read, and "
                      "re-syncing the catalog keeps it.", term=saved), "ok")
    return redirect(url_for("admin.product", product_id=product_id))


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


# --- social accounts ------------------------------------------------------------------------------

def _settings():
    return current_app.config["ARROSTO"]


def _account_or_404(account_id: int) -> SocialAccount:
    row = g.db_session.scalar(select(SocialAccount).where(SocialAccount.id == account_id))
    if row is None:
        abort(404)
    return row


@bp.get("/accounts")
@shop_required
def accounts():
    return accounts_page()


def accounts_page(error: str | None = None, status: int = 200, **form):
    """The accounts page, with ``error`` (and the form values given back) when a connection
    was refused."""
    settings = _settings()
    rows = g.db_session.scalars(select(SocialAccount).where(SocialAccount.network != "archive")
                                .order_by(SocialAccount.network, SocialAccount.handle)).all()
    now = utcnow()
    budgets = {}
    for account in rows:
        budget = monthly_read_budget(settings, account)
        if budget is not None:
            left = budget_left(account, budget, now)
            budgets[account.id] = {"budget": budget, "left": left, "used": budget - left}
    return render_template("admin/accounts.html", accounts=rows, budgets=budgets, error=error,
                           x_ready=bool(settings.x_client_id), form=form), status


@bp.post("/accounts/<int:account_id>/pause")
@shop_required
def pause_account(account_id: int):
    return _set_active(account_id, False)


@bp.post("/accounts/<int:account_id>/resume")
@shop_required
def resume_account(account_id: int):
    return _set_active(account_id, True)


def _set_active(account_id: int, active: bool):
    handle = _account_or_404(account_id).handle
    with current_db().transaction(g.shop.id) as s:
        s.get(SocialAccount, account_id).active = active
    flash(gettext("@%(handle)s: listening resumed.", handle=handle) if active else
          gettext("@%(handle)s: listening paused.", handle=handle), "ok")
    return redirect(url_for("admin.accounts"))


# --- the daily digest: preview and settings ---------------------------------------------------

DIGEST_EMAIL_MAX = 20


def _digest_day():
    from ..digest.content import shop_zone

    return utcnow().astimezone(shop_zone(g.shop)).date()


@bp.get("/digest")
@shop_required
def digest():
    return _digest_page()


def _digest_page(error: str | None = None, status: int = 200, form=None):
    from ..digest.content import LANGUAGES, QUIET_CHOICES, digest_settings
    from ..digest.send import active_recipients
    from ..models import DigestRecipient, DigestRun

    prefs = digest_settings(g.shop)
    s = g.db_session
    recipients = active_recipients(s)
    unsubscribed = s.scalars(select(DigestRecipient).where(
        DigestRecipient.unsubscribed_at.is_not(None)).order_by(DigestRecipient.email)).all()
    values = {"recipients": "\n".join(r.email for r in recipients), "hour": prefs.hour,
              "language": prefs.language, "quiet": prefs.quiet}
    if form is not None:
        values.update({k: form.get(k, "") for k in values})
    runs = s.scalars(select(DigestRun).order_by(DigestRun.local_date.desc()).limit(7)).all()
    return render_template("admin/digest.html", values=values, error=error, runs=runs,
                           unsubscribed=unsubscribed, languages=LANGUAGES,
                           quiet_choices=QUIET_CHOICES,
                           smtp_ready=bool(_settings().smtp_host and _settings().mail_from),
                           timezone=g.shop.timezone), status


@bp.get("/digest/preview")
@shop_required
def digest_preview():
    from ..digest.content import build_digest
    from ..digest.render import render_file

    data = build_digest(g.db_session, g.shop, _digest_day(), public_url=_settings().public_url,
                        settings=_settings())
    response = current_app.response_class(render_file(data), mimetype="text/html")
    # the digest's HTML carries inline styles and a data: image; shown only inside our page
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
    return response


@bp.post("/digest")
@shop_required
def save_digest():
    from ..digest.content import LANGUAGES, QUIET_CHOICES
    from ..models import DigestRecipient

    form = request.form
    addresses = []
    for line in form.get("recipients", "").replace(",", "\n").splitlines():
        address = line.strip().lower()
        if not address:
            continue
        if "@" not in address or " " in address or len(address) > 320:
            return _digest_page(error=gettext("“%(address)s” is not an e-mail address.",
                                              address=address), status=400, form=form)
        if address not in addresses:
            addresses.append(address)
    if len(addresses) > DIGEST_EMAIL_MAX:
        return _digest_page(error=gettext("At most %(num)d recipients.", num=DIGEST_EMAIL_MAX),
                            status=400, form=form)
    try:
        hour = int(form.get("hour", ""))
    except ValueError:
        hour = -1
    if not 0 <= hour <= 23:
        return _digest_page(error=gettext("The hour is a whole number from 0 to 23."),
                            status=400, form=form)
    language, quiet = form.get("language"), form.get("quiet")
    if language not in LANGUAGES or quiet not in QUIET_CHOICES:
        abort(400)
    with current_db().transaction(g.shop.id) as s:
        shop = s.get(Shop, g.shop.id)
        shop.settings = {**(shop.settings or {}), "digest_hour": hour,
                         "digest_language": language, "digest_quiet": quiet}
        existing = {r.email.lower(): r for r in s.scalars(select(DigestRecipient))}
        for address, row in existing.items():
            if address not in addresses and row.unsubscribed_at is None:
                s.delete(row)
        for address in addresses:
            row = existing.get(address)
            if row is None:
                s.add(DigestRecipient(email=address))
            elif row.unsubscribed_at is not None:
                row.unsubscribed_at = None  # the owner added it back
    flash(gettext("Digest settings saved."), "ok")
    return redirect(url_for("admin.digest"))


@bp.post("/digest/test")
@shop_required
def digest_test():
    from ..digest.send import send_test

    try:
        sent = send_test(current_db(), _settings(), g.shop.id, _digest_day())
    except ArrostoError as exc:
        flash(gettext("The test was not sent: %(reason)s", reason=exc), "error")
    else:
        flash(ngettext("Test digest sent to %(num)d recipient.",
                       "Test digest sent to %(num)d recipients.", sent) if sent else
              gettext("No recipient to send a test to: add an address first."),
              "ok" if sent else "error")
    return redirect(url_for("admin.digest"))
