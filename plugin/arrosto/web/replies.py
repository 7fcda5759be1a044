"""The owner's reply settings: auto-send rules, the response-time promise, the support e-mail,
and the reply templates with a preview on example data (rendered in the support package's
sandbox, checked like a real reply).

Every read and write goes through the signed-in shop (:func:`.admin.shop_required`).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

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
from flask_babel import format_decimal, gettext, lazy_gettext

from ..models import Shop, utcnow
from ..outbox import render as rendering
from ..outbox import sandbox
from ..outbox.public import PersonalDataInPublic, check_public, private_data
from ..support import drafts, linking, send, sla
from ..support.templates import DEFAULTS, LANGUAGES, template_key
from .admin import shop_required
from .base import current_db

bp = Blueprint("replies", __name__, url_prefix="/admin")

# an address a customer can write to: no spaces, quotes or markup, a dot in the domain
EMAIL = re.compile(r"[^@\s<>\"'`;,()\[\]\\]{1,64}@[^\W_](?:[\w-]*[^\W_])?"
                   r"(?:\.[^\W_](?:[\w-]*[^\W_])?)+")


def _settings():
    return current_app.config["ARROSTO"]


SITUATION_NAMES = {
    "complaint_unlinked": lazy_gettext("Complaint, order not found yet"),
    "complaint_not_shipped": lazy_gettext("Complaint, order not shipped"),
    "complaint_in_transit": lazy_gettext("Complaint, order on its way"),
    "complaint_delivered": lazy_gettext("Complaint, order delivered"),
    "complaint_partial": lazy_gettext("Complaint, part of the order missing"),
    "complaint_refund": lazy_gettext("Complaint, asking for a refund"),
    "complaint_cancelled": lazy_gettext("Complaint, order cancelled"),
    "question_order": lazy_gettext("Question about an order"),
    "question_product": lazy_gettext("Question about a product"),
    "question_general": lazy_gettext("Other question"),
}
LANGUAGE_NAMES = {"it": lazy_gettext("Italian"), "en": lazy_gettext("English")}
CHANNEL_NAMES = {"public": lazy_gettext("public reply"),
                 "private": lazy_gettext("private message")}
#: variables only private templates have (the order's): named when a public one uses them
PRIVATE_VARIABLES = ("first_name", "order_name", "items", "status", "tracking", "days",
                     "cancel_reason", "refunded")
EXAMPLE_VERIFY_URL = "https://arrosto.example/verify/EXAMPLE-LINK"


def _example(now: dt.datetime) -> SimpleNamespace:
    """An example product, customer and order for previews: the never-public check looks for
    this customer's data in what a public template makes."""
    customer = SimpleNamespace(first_name="Giulia", last_name="Bianchi",
                               email="giulia.bianchi@example.com", phone="+39 347 123 4567",
                               postcode="20121")
    order = SimpleNamespace(
        name="#1001", number=1001, external_id="5823014561", email=customer.email,
        shipping_name="Giulia Bianchi", shipping_postcode="20121", customer=customer,
        total_price=Decimal("34.50"), currency="EUR", created_at=now - dt.timedelta(days=6),
        lines=[SimpleNamespace(title="Miscela Oro 250 g", quantity=2, price=Decimal("14.50"))],
        fulfillments=[SimpleNamespace(tracking_company="BRT", tracking_number="RR123456785IT",
                                      tracking_url="https://track.example.com/RR123456785IT",
                                      shipment_status="in_transit")],
        fulfillment_status="fulfilled", cancelled_at=None, cancel_reason=None,
        financial_status="paid")
    product = SimpleNamespace(id=0, title="Miscela Oro 250 g", status="active", deleted_at=None,
                              inventory_quantity=12, price=Decimal("14.50"),
                              url="https://shop.example/products/miscela-oro")
    return SimpleNamespace(customer=customer, order=order, product=product)


def _order_for(situation: str, order: SimpleNamespace, now: dt.datetime) -> SimpleNamespace | None:
    """The example order in the state the situation is about."""
    if situation == "complaint_unlinked":
        return None
    if situation == "complaint_not_shipped":
        return SimpleNamespace(**{**vars(order), "fulfillments": [], "fulfillment_status": None})
    if situation in ("complaint_delivered", "complaint_partial", "complaint_refund"):
        shipped = SimpleNamespace(**{**vars(order.fulfillments[0]),
                                     "shipment_status": "delivered"})
        return SimpleNamespace(**{**vars(order), "fulfillments": [shipped],
                                  "fulfillment_status": "partial"
                                  if situation == "complaint_partial" else "fulfilled"})
    if situation == "complaint_cancelled":
        return SimpleNamespace(**{**vars(order), "fulfillments": [], "fulfillment_status": None,
                                  "cancelled_at": now, "cancel_reason": "inventory",
                                  "financial_status": "refunded"})
    return order


@dataclasses.dataclass
class Preview:
    label: str
    text: str | None
    problems: list[str]


def preview(shop: Shop, key: str, template: str, now: dt.datetime | None = None
            ) -> list[Preview]:
    """``template`` rendered as ``key`` would be, in the sandbox, with example data; a public
    one also goes through the never-public check against the example customer's order. A
    public reply is shown in each case the drafts meet: with and without a private message
    following it, with and without an answer from the shop's FAQ."""
    now = now or utcnow()
    lang, rest = key.split("/", 1)
    situation, channel = rest.rsplit(".", 1)
    example = _example(now)
    product = None if situation == "question_general" else example.product
    verify_url = EXAMPLE_VERIFY_URL if situation == "complaint_unlinked" else None
    if channel == "private":
        context = drafts.private_context(
            drafts.public_context(shop, product, lang, dm=True, verify_url=verify_url),
            _order_for(situation, example.order, now), example.customer, lang, now)
        return _render_all(template, [(context, gettext("As a private message"), None)])
    check = (private_data(customer=example.customer, order=example.order),
             [EXAMPLE_VERIFY_URL, example.product.url])
    if situation == "question_general":
        answer = _faq_example(shop, lang)
        return _render_all(template, [
            ({**drafts.public_context(shop, None, lang, dm=False, verify_url=None),
              "answer": found}, label, check)
            for found, label in ((answer, gettext("With an answer from your FAQ")),
                                 (None, gettext("When no answer fits (you write it)")))])
    has_private = situation == "question_order" or \
        template_key(lang, situation, "private") in DEFAULTS
    variants = ((True, gettext("Where a private message follows (X, Mastodon)")),
                (False, gettext("Where none can (Bluesky)"))) if has_private else \
        ((False, gettext("Public")),)
    return _render_all(template, [
        (drafts.public_context(shop, product, lang, dm=dm,
                               verify_url=None if dm else verify_url), label, check)
        for dm, label in variants])


FAQ_EXAMPLE = {"it": "Tostiamo ogni lunedì e spediamo entro due giorni lavorativi.",
               "en": "We roast every Monday and ship within two working days."}


def _faq_example(shop: Shop, lang: str) -> str:
    """One of the shop's own FAQ answers, else an example."""
    for entry in (shop.settings or {}).get("faq") or []:
        if entry.get(lang):
            return entry[lang]
    return FAQ_EXAMPLE.get(lang, FAQ_EXAMPLE["en"])


def _render_all(template: str, variants: list[tuple[dict[str, Any], str, Any]]
                ) -> list[Preview]:
    """Each variant rendered; a template over the sandbox's bounds is shown once, with why,
    without spending the work again on the other variants."""
    shown = []
    for context, label, check in variants:
        try:
            shown.append(_render(template, context, label, check))
        except rendering.TemplateLimit as exc:
            return [Preview(label, None, [limit_reason(exc)])]
    return shown


def limit_reason(exc: rendering.TemplateLimit) -> str:
    """Why the sandbox stopped an owner's template, in the owner's language."""
    most = format_decimal(exc.most)
    if exc.limit in ("work", "time"):
        return gettext("This template does too much work: it went past %(most)s steps (loop "
                       "iterations, filters and calls) or %(seconds)s seconds, the most one "
                       "reply may take. Remove loops that print nothing and nested loops.",
                       most=format_decimal(sandbox.MAX_WORK),
                       seconds=format_decimal(sandbox.MAX_SECONDS))
    if exc.limit == "value":
        return gettext("This template builds text or a list larger than %(most)s characters "
                       "or items (by repeating, joining, padding or formatting): no reply "
                       "needs that much.", most=most)
    if exc.limit == "output":
        return gettext("This template makes more than %(most)s characters: no reply needs "
                       "that much.", most=most)
    return gettext("This template is longer than %(most)s characters.", most=most)


def _render(template: str, context: dict[str, Any], label: str, check) -> Preview:
    """One variant rendered; raises rendering.TemplateLimit for :func:`_render_all`."""
    try:
        text = rendering.render(template, context)
    except rendering.TemplateLimit:
        raise
    except rendering.TemplateProblem as exc:
        reason = str(exc)
        named = re.search(r"'(\w+)' is undefined", reason)
        if check is not None and named and named.group(1) in PRIVATE_VARIABLES:
            reason = gettext("%(reason)s — %(name)s is the customer's order data: only "
                             "private messages have it", reason=reason, name=named.group(1))
        return Preview(label, None, [reason])
    problems = []
    if check is not None:
        secret, allowed = check
        try:
            check_public(text, secret, allowed=allowed)
        except PersonalDataInPublic as exc:
            problems.append(str(exc))
        bare = text
        for url in allowed:
            bare = bare.replace(url, " ")
        numbers = [m.raw for m in linking.find_order_numbers(bare) if m.strong]
        if numbers and not any("order number" in p for p in problems):
            problems.append(gettext("it contains what looks like an order number "
                                    "(%(numbers)s): a public reply never carries one",
                                    numbers=", ".join(numbers)))
    return Preview(label, text, problems)


def _templates(shop_settings: dict[str, Any], texts: dict[str, str]) -> list[dict[str, Any]]:
    owned = shop_settings.get("reply_templates") or {}
    rows = []
    for key, default in DEFAULTS.items():
        lang, rest = key.split("/", 1)
        situation, channel = rest.rsplit(".", 1)
        rows.append({"key": key, "default": default, "owned": bool(owned.get(key)),
                     "text": texts.get(key, owned.get(key, "")), "lang": lang,
                     "name": gettext("%(situation)s, %(channel)s",
                                     situation=SITUATION_NAMES.get(situation, situation),
                                     channel=CHANNEL_NAMES[channel]),
                     "anchor": _anchor(key)})
    return rows


def _anchor(key: str) -> str:
    return "tpl-" + re.sub(r"[^a-z_]", "-", key)


@bp.get("/settings/replies")
@shop_required
def reply_settings():
    return _settings_page()


def _settings_page(*, error: str | None = None, status: int = 200,
                   form: dict[str, str] | None = None, texts: dict[str, str] | None = None,
                   previews: dict[str, list[Preview]] | None = None):
    shop_settings = g.shop.settings or {}
    values = {"sla_hours": sla.hours_text(sla.sla_hours(g.shop)),
              "support_email": shop_settings.get("support_email") or "",
              **{f"auto_{intent}": on for intent, on in send.auto_send_rules(g.shop).items()}}
    if form is not None:
        values.update(sla_hours=form.get("sla_hours", ""),
                      support_email=form.get("support_email", ""),
                      **{f"auto_{i}": form.get(f"auto_{i}") == "on" for i in send.AUTO_INTENTS})
    example = _example(utcnow())
    return render_template(
        "admin/reply_settings.html", error=error, values=values,
        templates=_templates(shop_settings, texts or {}), previews=previews or {},
        languages=[(lang, str(LANGUAGE_NAMES.get(lang, lang))) for lang in LANGUAGES],
        example=example, example_verify_url=EXAMPLE_VERIFY_URL,
        private_variables=PRIVATE_VARIABLES), status


@bp.post("/settings/replies")
@shop_required
def save_reply_settings():
    form = request.form
    rules = {intent: form.get(f"auto_{intent}") == "on" for intent in send.AUTO_INTENTS}
    email = form.get("support_email", "").strip()
    hours = sla.parse_hours(form.get("sla_hours", ""))
    if hours is None:
        return _settings_page(error=gettext("The response-time promise is a number of hours "
                                            "between 0 and %(most)d.", most=sla.MAX_HOURS),
                              status=400, form=form)
    if email and not EMAIL.fullmatch(email):
        return _settings_page(error=gettext("“%(address)s” is not an e-mail address.",
                                            address=email), status=400, form=form)
    with current_db().transaction(g.shop.id) as s:
        shop = s.get(Shop, g.shop.id)
        settings = dict(shop.settings or {})  # a new dict: the JSON column tracks assignment
        settings.update(auto_send=rules, sla_hours=hours)
        if email:
            settings["support_email"] = email
        else:
            settings.pop("support_email", None)
        shop.settings = settings
    flash(gettext("Reply settings saved."), "ok")
    return redirect(url_for("replies.reply_settings"))


def _template_form() -> tuple[str, str]:
    key = request.form.get("key", "")
    if key not in DEFAULTS:
        abort(400)
    return key, request.form.get("text", "")


@bp.post("/settings/replies/preview")
@shop_required
def preview_template():
    key, text = _template_form()
    shown = preview(g.shop, key, text if text.strip() else DEFAULTS[key])
    if not text.strip():
        for pv in shown:
            pv.label = gettext("%(label)s (your box is empty: this is the default)",
                               label=pv.label)
    return _settings_page(texts={key: text}, previews={key: shown})


@bp.post("/settings/replies/templates")
@shop_required
def save_template():
    """The owner's version of one template; an empty one brings the default back. A version
    the preview finds a problem in is not saved."""
    key, text = _template_form()
    text = text.strip()
    if text:
        shown = preview(g.shop, key, text)
        if any(p.problems for p in shown):
            return _settings_page(error=gettext("Your version of %(key)s was not saved: see the "
                                                "problems below.", key=key), status=400,
                                  texts={key: text}, previews={key: shown})
    with current_db().transaction(g.shop.id) as s:
        shop = s.get(Shop, g.shop.id)
        settings = dict(shop.settings or {})
        templates = dict(settings.get("reply_templates") or {})
        if text:
            templates[key] = text
        else:
            templates.pop(key, None)
        settings["reply_templates"] = templates
        shop.settings = settings
    flash(gettext("Your version of %(key)s is saved: new drafts use it.", key=key) if text
          else gettext("%(key)s: the default is back.", key=key), "ok")
    return redirect(url_for("replies.reply_settings", _anchor=_anchor(key)))
