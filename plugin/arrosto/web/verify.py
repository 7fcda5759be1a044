"""The public "is this your order?" page (:mod:`arrosto.support.verify`): a small form for the
order number and the e-mail or postcode used for it.

Every refusal — a wrong pair, an order that does not exist or is another shop's, too many tries,
an expired or used link — is the same page with the same status, so the page tells nothing to
someone who does not know both values; only a token we did not sign is a bare 404. No page shows
anything of the order.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from ..models import Case, Shop
from ..support.verify import MAX_NUMBER_CHARS, MAX_SECRET_CHARS, check_order, read_link
from . import current_db

bp = Blueprint("verify", __name__, url_prefix="/verify")

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Is this your order?",
        "shop": "The shop",
        "intro": "{shop} would like to help you with your order. So that we can find it and be "
                 "sure it is yours, enter its number and the e-mail address or the postcode "
                 "you used for it.",
        "order_number": "Order number",
        "order_hint": "As in the order confirmation, for example #1001.",
        "secret": "E-mail or postcode",
        "submit": "Check",
        "refused": "We could not confirm these details. Check them and try again, or reply to "
                   "our message and we will help you there.",
        "privacy": "We use these details only to find your order. They are never shown here "
                   "or anywhere in public.",
        "thanks_title": "Thank you",
        "thanks": "We have found your order. We will get back to you in our conversation "
                  "shortly.",
    },
    "it": {
        "title": "È il tuo ordine?",
        "shop": "Il negozio",
        "intro": "{shop} vuole aiutarti con il tuo ordine. Per trovarlo ed essere sicuri che "
                 "sia tuo, scrivi il numero dell'ordine e l'indirizzo e-mail o il CAP che hai "
                 "usato.",
        "order_number": "Numero d'ordine",
        "order_hint": "Come nella conferma d'ordine, per esempio #1001.",
        "secret": "E-mail o CAP",
        "submit": "Verifica",
        "refused": "Non siamo riusciti a confermare questi dati. Controllali e riprova, oppure "
                   "rispondi al nostro messaggio e ti aiuteremo lì.",
        "privacy": "Usiamo questi dati solo per trovare il tuo ordine. Non vengono mai mostrati "
                   "qui né altrove in pubblico.",
        "thanks_title": "Grazie",
        "thanks": "Abbiamo trovato il tuo ordine. Ti risponderemo a breve nella nostra "
                  "conversazione.",
    },
}


def strings_for(lang: str | None) -> tuple[str, dict[str, str]]:
    code = (lang or "").lower()[:2]
    code = code if code in STRINGS else "en"
    return code, STRINGS[code]


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
        lang, words = strings_for(case.lang or shop.language)
        if request.method == "GET":
            return _form(shop, lang, words)
        ok = not link.expired and check_order(
            s, case, request.form.get("order_number", "")[:MAX_NUMBER_CHARS],
            request.form.get("email_or_postcode", "")[:MAX_SECRET_CHARS],
            request.remote_addr or "", settings=settings, nonce=link.nonce)
    if ok:
        return render_template("verify/thanks.html", shop_name=shop.name, lang=lang, t=words)
    return _form(shop, lang, words, refused=True)


def _form(shop: Shop, lang: str, words: dict[str, str], *, refused: bool = False):
    # the same page and status for every refusal, and nothing typed is echoed back
    return render_template("verify/form.html", shop_name=shop.name, lang=lang, t=words,
                           intro=words["intro"].format(shop=shop.name or words["shop"]),
                           refused=refused)
