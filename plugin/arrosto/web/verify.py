"""The public "is this your order?" page (:mod:`arrosto.support.verify`): a small form for the
order number and the e-mail or postcode used for it.

Every refusal — a wrong pair, an order that does not exist or is another shop's, too many tries,
an expired or used link — is the same page with the same status, so the page tells nothing to
someone who does not know both values; only a token we did not sign is a bare 404. No page shows
anything of the order.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import force_locale

from ..models import Case, Shop
from ..support.verify import MAX_NUMBER_CHARS, MAX_SECRET_CHARS, check_order, read_link
from .base import current_db

bp = Blueprint("verify", __name__, url_prefix="/verify")

#: the page speaks the customer's language (their post's, else the shop's), not the owner's;
#: its words are in the admin's catalog (web/translations)
LANGUAGES = ("en", "it")


def page_language(lang: str | None) -> str:
    code = (lang or "").lower()[:2]
    return code if code in LANGUAGES else "en"


@bp.after_request
def private_page(response):
    # the URL is a credential: never cached, never sent on as a Referer, never indexed
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.route("/<token>", methods=["GET", "POST"])
def page(token: str):
    settings = current_app.config["ARROSTO"]
    link = read_link(settings, token)
    if link is None:
        abort(404)
    with current_db().transaction(link.shop_id) as s:
        shop = s.get(Shop, link.shop_id)
        case = s.get(Case, link.case_id)
        if shop is None or case is None or shop.status == "uninstalled":
            abort(404)
        lang = page_language(case.lang or shop.language)
        if request.method == "GET":
            return _form(shop, lang)
        ok = not link.expired and check_order(
            s, case, request.form.get("order_number", "")[:MAX_NUMBER_CHARS],
            request.form.get("email_or_postcode", "")[:MAX_SECRET_CHARS],
            request.remote_addr or "", settings=settings, nonce=link.nonce)
    if ok:
        with force_locale(lang):
            return render_template("verify/thanks.html", shop_name=shop.name, lang=lang)
    return _form(shop, lang, refused=True)


def _form(shop: Shop, lang: str, *, refused: bool = False):
    # the same page and status for every refusal, and nothing typed is echoed back
    with force_locale(lang):
        return render_template("verify/form.html", shop_name=shop.name, lang=lang,
                               refused=refused)
