"""Reply drafts for support cases, in the post's language, with substance from the order.

A case gets a public reply (never any personal or order data: :mod:`arrosto.outbox.public`
checks it) and, where the network has direct messages, a private one with the order's details.
Both are stored as ``Message`` rows in state ``draft``, one per channel and interaction (the
author's newest post), for the owner to edit and approve, or sent at once when the shop turned on
an auto-send rule for the case's intent and the author addressed the shop first (:mod:`.send`;
sending itself is :mod:`arrosto.outbox.send`).

Templates (:mod:`.templates`) are Jinja, rendered in the sandbox (:mod:`arrosto.outbox.render`);
the owner's versions (``Shop.settings["reply_templates"]``) win, and one that fails to render or
would put personal data in public falls back to the default, with the reason kept on the draft.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import ConfigError
from ..models import (
    Case,
    Customer,
    Message,
    Order,
    Post,
    PostProduct,
    Product,
    Shop,
    utcnow,
)
from ..outbox.consent import NOTIFY_WORDS
from ..outbox.public import PersonalDataInPublic, check_public, private_data
from ..outbox.render import TemplateProblem, price_text, render
from ..outbox.send import sending_account
from ..social import length_rule
from .templates import DEFAULTS, LANGUAGES, STATUS_WORDS, template_key

log = logging.getLogger(__name__)

ORDER_WORDS = ("ordine", "order", "spedizione", "spedito", "pacco", "consegna", "tracking",
               "shipping", "shipped", "parcel", "delivery", "package")


@dataclasses.dataclass
class Composed:
    situation: str
    lang: str
    public: str
    private: str | None
    problems: list[str]


# --- what the case is about -----------------------------------------------------------------------

def order_state(order: Order) -> str:
    """not_shipped | in_transit | delivered | cancelled."""
    if order.cancelled_at is not None:
        return "cancelled"
    shipments = [f.shipment_status for f in order.fulfillments]
    if any(status == "delivered" for status in shipments):
        return "delivered"
    if order.fulfillments or order.fulfillment_status in ("fulfilled", "partial", "shipped"):
        return "in_transit"
    return "not_shipped"


def situation(case: Case, order: Order | None, product: Product | None, texts: list[str]) -> str:
    if case.intent == "complaint":
        if order is None:
            return "complaint_unlinked"
        state = order_state(order)
        if state in ("delivered", "in_transit"):
            from .linking import find_topics

            topics = find_topics(" ".join(texts))
            if "refund" in topics:
                return "complaint_refund"
            if "partial" in topics:
                return "complaint_partial"
        return f"complaint_{state}"
    words = " ".join(texts).casefold()
    if order is not None or any(w in words for w in ORDER_WORDS):
        return "question_order"
    return "question_product" if product is not None else "question_general"


def reply_language(case: Case, shop: Shop) -> str:
    for lang in (case.lang, shop.language):
        if lang and lang[:2] in LANGUAGES:
            return lang[:2]
    return "en"


# --- rendering ------------------------------------------------------------------------------------

def template_for(shop: Shop, key: str) -> tuple[str, bool]:
    """The owner's template for ``key`` if there is one, else the default; (text, is_owner's)."""
    owned = ((shop.settings or {}).get("reply_templates") or {}).get(key)
    if owned:
        return owned, True
    return DEFAULTS[key], False


def public_context(shop: Shop, product: Product | None, lang: str, *, dm: bool,
                   verify_url: str | None) -> dict[str, Any]:
    """Only public facts: nothing here can hold a customer's data."""
    settings = shop.settings or {}
    facts = None
    if product is not None:
        available = product.status == "active" and product.deleted_at is None and (
            product.inventory_quantity is None or product.inventory_quantity > 0)
        title = product.title if len(product.title) <= 60 else product.title[:57] + "…"
        facts = {"title": title, "url": product.url, "available": available,
                 "price": price_text(product.price, shop.currency, lang)}
    tips = settings.get("tips") or {}
    return {"shop_name": shop.name, "product": facts, "dm": dm, "verify_url": verify_url,
            "contact": settings.get("support_email"), "notify_word": NOTIFY_WORDS[lang],
            "tip": tips.get(str(product.id)) if product is not None else None, "answer": None}


def faq_answer(shop: Shop, texts: list[str], lang: str) -> str | None:
    """The shop's own answer to a common question (``Shop.settings["faq"]``: a list of
    ``{"keywords": [...], "it": "...", "en": "..."}``), the entry with most keywords in the
    question; None when none fits (the owner then writes the answer)."""
    from ..text import fold

    words = f" {fold(' '.join(texts))} "
    best, hits = None, 0
    for entry in (shop.settings or {}).get("faq") or []:
        if not isinstance(entry, dict):  # settings are JSON: skip what is not an entry
            continue
        answer = next((a for a in (entry.get(lang), entry.get("en")) if a and isinstance(a, str)),
                      None)
        keywords = [k for k in entry.get("keywords") or () if isinstance(k, str) and k.strip()]
        found = sum(1 for k in keywords if f" {fold(k)} " in words
                    or (len(k) > 4 and fold(k) in words))
        if found > hits and answer:
            best, hits = answer, found
    return best


def private_context(public: dict[str, Any], order: Order | None, customer: Customer | None,
                    lang: str, now: dt.datetime) -> dict[str, Any]:
    context = dict(public, first_name=None, order_name=None, items="", status=None,
                   tracking=None, days=0, cancel_reason=None, refunded=False)
    if order is None:
        return context
    tracked = next((f for f in order.fulfillments if f.tracking_number or f.tracking_url), None)
    first = (customer.first_name if customer is not None else None) or \
        ((order.shipping_name or "").split() or [None])[0]
    context.update(
        first_name=first, order_name=order.name,
        items=", ".join(f"{line.quantity}× {line.title}" for line in order.lines),
        status=STATUS_WORDS[lang][order_state(order)],
        tracking={"company": tracked.tracking_company, "number": tracked.tracking_number,
                  "url": tracked.tracking_url} if tracked else None,
        days=max((now - order.created_at).days, 0), cancel_reason=order.cancel_reason,
        refunded=(order.financial_status or "") in ("refunded", "partially_refunded"))
    return context


def compose(shop: Shop, case: Case, *, order: Order | None, customer: Customer | None,
            product: Product | None, texts: list[str], can_dm: bool,
            verify_url: str | None = None, max_length: int | None = None,
            length=len, now: dt.datetime | None = None) -> Composed:
    """The public and private texts for a case (no database access: everything is passed)."""
    lang = reply_language(case, shop)
    what = situation(case, order, product, texts)
    # the private message: the situation's own (it uses the order); an order question
    # without an order asks for its number; a question about a product or the shop has none
    private_key = template_key(lang, what, "private")
    if what == "question_order" and order is None:
        private_key = template_key(lang, "complaint_unlinked", "private")
    elif private_key not in DEFAULTS:
        private_key = None
    dm = can_dm and private_key is not None
    # the "is this your order?" link goes in the private message where there is one: a link
    # posted in public can be opened by anyone (they still need an order number and its
    # e-mail or postcode, but could attach their own order to someone else's case)
    link = verify_url if what == "complaint_unlinked" else None
    public = public_context(shop, product, lang, dm=dm, verify_url=None if dm else link)
    if what == "question_general":
        public["answer"] = faq_answer(shop, texts, lang)
    secret = private_data(customer=customer, order=order)
    allowed = [u for u in (verify_url, product.url if product else None) if u]
    problems: list[str] = []

    def public_text(context: dict[str, Any]) -> str:
        key = template_key(lang, what, "public")
        template, owned = template_for(shop, key)
        if owned:
            try:
                text = render(template, context)
                check_public(text, secret, allowed=allowed)
                return text
            except (TemplateProblem, PersonalDataInPublic) as exc:
                problems.append(f"your template {key} was not used: {exc}")
        try:
            text = render(DEFAULTS[key], context)
            check_public(text, secret, allowed=allowed)
        except (TemplateProblem, PersonalDataInPublic) as exc:
            # the defaults hold no personal data, but the shop's own words in them (a tip, a
            # FAQ answer, the contact address) may be too long or match this customer's
            problems.append(f"the shop's tip, FAQ answer and contact address were left out: "
                            f"{exc}")
            text = render(DEFAULTS[key], dict(context, tip=None, answer=None, contact=None))
            check_public(text, secret, allowed=allowed)
        return text

    text = public_text(public)
    if max_length is not None and length(text) > max_length:
        shorter = dict(public, tip=None)
        if shorter["product"]:
            shorter["product"] = dict(shorter["product"], url=None)
        text = public_text(shorter)
        if length(text) > max_length:
            problems.append(f"the reply is {length(text)} characters; the network allows "
                            f"{max_length}: shorten it before sending")
    if what == "question_general" and not public["answer"]:
        problems.append("no answer in the shop's FAQ fits this question: write the answer "
                        "before sending")
    private = None
    if dm:
        template, owned = template_for(shop, private_key)
        context = private_context(dict(public, verify_url=link), order, customer, lang,
                                  now or utcnow())
        try:
            private = render(template, context)
        except TemplateProblem as exc:
            if not owned:
                raise
            problems.append(f"your template {private_key} was not used: {exc}")
            private = render(DEFAULTS[private_key], context)
    return Composed(what, lang, text, private, problems)


# --- drafts in the database -----------------------------------------------------------------------

def latest_post(s: Session, case: Case) -> Post | None:
    """The author's newest post in the case: the interaction a reply answers."""
    return s.scalar(select(Post).where(Post.case_id == case.id, Post.is_own.is_(False),
                                       Post.author_id == case.author_id)
                    .order_by(Post.created_at.desc(), Post.id.desc()).limit(1))


def case_product(s: Session, case: Case) -> Product | None:
    return s.scalar(select(Product).join(PostProduct, PostProduct.product_id == Product.id)
                    .join(Post, Post.id == PostProduct.post_id)
                    .where(Post.case_id == case.id).order_by(Post.created_at.desc()).limit(1))


def can_dm(network: str) -> bool:
    from ..social import network_class

    try:
        return network_class(network).capabilities.can_dm
    except ConfigError:
        return False


def draft_replies(s: Session, case: Case, *, settings: Any = None, replace: bool = False,
                  now: dt.datetime | None = None) -> list[Message]:
    """The case's drafts for the author's newest post: created if missing (older unsent
    drafts are superseded); re-rendered when ``replace`` (the owner asked, e.g. after
    confirming the order), unless one was already approved or sent."""
    post = latest_post(s, case)
    if post is None:
        return []
    shop = s.get(Shop, case.shop_id)
    existing = list(s.scalars(select(Message).where(Message.case_id == case.id,
                                                    Message.kind == "reply")))
    current = [m for m in existing if m.in_reply_to_post_id == post.id]
    if current and (not replace or any(m.state != "draft" for m in current)):
        return current
    for old in existing:
        if old.state == "draft" and old.in_reply_to_post_id != post.id:
            old.state = "superseded"
    order = s.get(Order, case.order_id) if case.order_id else None
    customer = s.get(Customer, case.customer_id) if case.customer_id else None
    product = case_product(s, case)
    account = sending_account(s, post)
    dm = can_dm(case.network)
    verify_url = None
    if order is None and case.intent == "complaint" and settings is not None:
        from .verify import verification_url

        verify_url = verification_url(settings, case)
    max_length, length = length_rule(case.network)
    texts = [p.text for p in s.scalars(select(Post).where(Post.case_id == case.id))]
    composed = compose(shop, case, order=order, customer=customer, product=product,
                       texts=texts, can_dm=dm, verify_url=verify_url, max_length=max_length,
                       length=length, now=now)
    problems = "; ".join(composed.problems) or None
    wanted = [("public", composed.public)]
    if composed.private:
        wanted.append(("dm", composed.private))
    by_channel = {m.channel: m for m in current}
    messages = []
    for channel, text in wanted:
        message = by_channel.get(channel)
        if message is None:
            message = Message(kind="reply", network=case.network, channel=channel,
                              idempotency_key=f"reply:{post.id}:{channel}")
            s.add(message)
        message.social_account_id = account.id if account is not None else None
        message.case_id, message.in_reply_to_post_id = case.id, post.id
        message.recipient_id, message.recipient_handle = case.author_id, case.author_handle
        message.audience_basis = "engaged" if case.addresses_shop else None
        message.text, message.state, message.last_error = text, "draft", problems
        messages.append(message)
    s.flush()
    return messages
