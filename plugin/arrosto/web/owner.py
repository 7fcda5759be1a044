"""The owner's own pages: the onboarding checklist, privacy (opt-outs, a customer's data export
and erasure) and the shop's settings (approval rules, schedules, language and time zone, the FAQ
the reply drafts answer questions from).

Every read and write goes through the signed-in shop (:func:`.admin.shop_required`), so another
shop's opt-out or export is a 404. The work is the domain's (:mod:`arrosto.privacy`,
:mod:`arrosto.outbox.consent`); the settings are the same ``Shop.settings`` keys the code
that uses them reads (``auto_send``, ``sla_hours``, ``promotions``, ``faq``), with the same
defaults. The log says what was done, never to whom.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import logging
import secrets
import zoneinfo
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
from flask_babel import gettext, ngettext
from sqlalchemy import func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..access import end_shop_sessions
from ..errors import ConfigError
from ..models import (
    AdminSession,
    Case,
    Customer,
    DataExport,
    DigestRecipient,
    OptOut,
    Order,
    Post,
    Product,
    Shop,
    SocialAccount,
    SocialIdentity,
    SyncBookmark,
    utcnow,
)
from ..outbox.consent import record_opt_out
from ..privacy import drop_exports, export_customer, redact_customer
from ..promotions.outreach import SETTINGS as PROMOTION_DEFAULTS
from ..promotions.outreach import promotion_settings
from ..support import send, sla
from . import sessions
from .admin import PAGE, shop_required
from .base import current_db, networks

log = logging.getLogger(__name__)
bp = Blueprint("owner", __name__, url_prefix="/admin")

SYNC_RESOURCES = ("products", "customers", "orders")
SHOP_LANGUAGES = ("it", "en")
# the promotion settings the owner may change, with their bounds (outreach.SETTINGS' keys)
PROMOTION_BOUNDS = {"days": (1, 365), "cooldown_days": (0, 365), "owner_daily_cap": (0, 100),
                    "per_minute": (1, 60)}
FAQ_MAX_ENTRIES = 100
FAQ_MAX_KEYWORDS = 30
FAQ_MAX_KEYWORD = 60
FAQ_MAX_ANSWER = 1000


# --- the onboarding checklist ---------------------------------------------------------------------

@dataclasses.dataclass
class Resource:
    name: str
    synced: bool  # a run has finished once: the first sync is done
    running: bool  # a run is under way (or was interrupted and resumes from its page)
    items: int  # synced in the last (or current) run
    finished_at: Any
    error: str | None


@dataclasses.dataclass
class Checklist:
    """What is done of the shop's set-up; the wording is the template's."""

    shop_connected: bool
    sync_done: bool
    sync_running: bool
    resources: list[Resource]
    counts: dict[str, int]
    networks: dict[str, list[SocialAccount]]  # network → the shop's accounts on it
    social_done: bool
    recipients: int
    faq_entries: int

    @property
    def steps(self) -> dict[str, bool]:
        return {"shop": self.shop_connected, "sync": self.sync_done, "social": self.social_done,
                "digest": self.recipients > 0, "faq": self.faq_entries > 0}

    @property
    def done(self) -> int:
        return sum(self.steps.values())

    @property
    def complete(self) -> bool:
        return all(self.steps.values())


def _resource(mark: SyncBookmark | None, name: str) -> Resource:
    if mark is None:
        return Resource(name, False, False, 0, None, None)
    # a run in progress (or interrupted, to resume) has a page cursor or started after the last
    # finish; a finished run moved finished_at past its start
    running = mark.cursor is not None or (
        mark.run_started_at is not None
        and (mark.finished_at is None or mark.finished_at < mark.run_started_at))
    synced = mark.finished_at is not None or mark.updated_since is not None
    return Resource(name, synced, running, mark.items_synced or 0, mark.finished_at,
                    mark.last_error)


def checklist(s: Session, shop: Shop) -> Checklist:
    marks = {m.resource: m for m in s.scalars(
        select(SyncBookmark).where(SyncBookmark.resource.in_(SYNC_RESOURCES)))}
    resources = [_resource(marks.get(name), name) for name in SYNC_RESOURCES]
    counts = {
        "products": s.scalar(select(func.count(Product.id)).where(Product.deleted_at.is_(None))),
        "customers": s.scalar(select(func.count(Customer.id))),
        "orders": s.scalar(select(func.count(Order.id))),
    }
    by_network: dict[str, list[SocialAccount]] = {n: [] for n in networks()}
    for account in s.scalars(select(SocialAccount)
                             .where(SocialAccount.network.in_(list(by_network)))
                             .order_by(SocialAccount.handle)):
        by_network[account.network].append(account)
    recipients = s.scalar(select(func.count(DigestRecipient.id)).where(
        DigestRecipient.unsubscribed_at.is_(None)))
    return Checklist(
        shop_connected=shop.status == "active",
        sync_done=all(r.synced for r in resources),
        sync_running=any(r.running for r in resources),
        resources=resources, counts=counts, networks=by_network,
        social_done=any(a.active for accounts in by_network.values() for a in accounts),
        recipients=recipients, faq_entries=len(_faq(shop)))


@bp.app_context_processor
def onboarding_state() -> dict[str, Any]:
    return {"onboarding": _onboarding}


def _onboarding() -> Checklist | None:
    """The checklist, once per request, only for a signed-in shop (the dashboard's card)."""
    if "onboarding" not in g:
        s, found = g.get("db_session"), None
        if s is not None and g.get("shop") is not None:
            try:
                found = checklist(s, g.shop)
            except SQLAlchemyError:  # an error page after a failed query: no card, no crash
                log.debug("no checklist for this page", exc_info=True)
        g.onboarding = found
    return g.onboarding


@bp.get("/start")
@shop_required
def start():
    return render_template("admin/start.html", checklist=checklist(g.db_session, g.shop),
                           listen_minutes=current_app.config["ARROSTO"].listen_interval_minutes)


# --- privacy: opt-outs ----------------------------------------------------------------------------

@bp.get("/privacy")
@shop_required
def privacy():
    return _privacy_page()


def _privacy_page(*, error: str | None = None, status: int = 200, form=None):
    s = g.db_session
    page = max(request.args.get("page", 1, type=int), 1)
    total = s.scalar(select(func.count(OptOut.id)))
    opt_outs = s.scalars(select(OptOut).order_by(OptOut.created_at.desc(), OptOut.id.desc())
                         .limit(PAGE).offset((page - 1) * PAGE)).all()
    exports = s.scalars(select(DataExport).order_by(DataExport.created_at.desc(),
                                                    DataExport.id.desc()).limit(20)).all()
    return render_template("admin/privacy.html", opt_outs=opt_outs, total=total, page=page,
                           pages=max((total + PAGE - 1) // PAGE, 1), exports=exports,
                           networks=networks(), error=error, form=form or {}, q=None), status


def _normal_handle(handle: str) -> str:
    return handle.strip().lstrip("@").strip().lower()


def person_for(s: Session, network: str, handle: str) -> tuple[str, str] | None:
    """(person id, handle as written) of the person using ``handle`` on ``network``, from the
    posts Arrosto read or a verified identity; None when nobody with it was ever seen."""
    row = s.execute(select(Post.author_id, Post.author_handle).where(
        Post.network == network, func.lower(Post.author_handle) == handle,
        Post.is_own.is_(False)).order_by(Post.created_at.desc()).limit(1)).first()
    if row is not None:
        return row[0], row[1]
    row = s.execute(select(SocialIdentity.author_id, SocialIdentity.handle).where(
        SocialIdentity.network == network, func.lower(SocialIdentity.handle) == handle,
        SocialIdentity.author_id.is_not(None)).limit(1)).first()
    return (row[0], row[1]) if row is not None else None


@bp.post("/privacy/opt-outs")
@shop_required
def add_opt_out():
    """The owner records that someone asked (by e-mail, in the shop...) never to be written to
    again: honoured at once, exactly like a "stop" read in a post."""
    network = request.form.get("network", "")
    handle = _normal_handle(request.form.get("handle", ""))
    form = {"network": network, "handle": request.form.get("handle", "")}
    if network not in networks():
        return _privacy_page(error=gettext("Choose the network the person is on."), status=400,
                             form=form)
    if not handle or len(handle) > 255 or " " in handle:
        return _privacy_page(error=gettext("Give the person's handle, e.g. @name."),
                             status=400, form=form)
    with current_db().transaction(g.shop.id) as s:
        found = person_for(s, network, handle)
        if found is None:
            return _privacy_page(error=gettext(
                "Arrosto has read no post by @%(handle)s on %(network)s, so it does not know "
                "this person yet. It only ever writes to people whose posts it read: nobody "
                "will write to them. Check the spelling, or add them after their first post.",
                handle=handle, network=network), status=400, form=form)
        person_id, written = found
        _opt_out, new = record_opt_out(s, network=network, person_id=person_id, handle=written)
    log.info("shop %d: opt-out added by the owner (%s)", g.shop.id, network)
    flash(gettext("@%(handle)s will not be written to again: their watch-lists are revoked and "
                  "messages waiting for them are cancelled.", handle=written) if new else
          gettext("@%(handle)s had already opted out.", handle=written), "ok")
    return redirect(url_for("owner.privacy"))


@bp.post("/privacy/opt-outs/<int:opt_out_id>/remove")
@shop_required
def remove_opt_out(opt_out_id: int):
    with current_db().transaction(g.shop.id) as s:
        row = s.scalar(select(OptOut).where(OptOut.id == opt_out_id))
        if row is None:
            abort(404)
        handle, network = row.handle, row.network
        s.delete(row)
    log.info("shop %d: opt-out removed by the owner (%s)", g.shop.id, network)
    flash(gettext("The opt-out of @%(handle)s is removed: Arrosto may write to them again under "
                  "the usual rules. Watch-lists they left are not restored.",
                  handle=handle or gettext("(erased)")), "ok")
    return redirect(url_for("owner.privacy"))


# --- privacy: a customer's data -------------------------------------------------------------------

@dataclasses.dataclass
class Subject:
    """Whom a data request is about: a customer record, or only an e-mail on orders."""

    external_id: str | None
    email: str | None
    customers: list[Customer]
    orders: int


def find_subject(s: Session, given: str) -> Subject | None:
    """The shop's customer with this e-mail (any case) or customer id, or the guest orders
    with this e-mail; None when the shop has neither."""
    given = given.strip()
    if not given or len(given) > 320:
        return None
    if "@" in given:
        email = given.lower()
        customers = list(s.scalars(select(Customer).where(func.lower(Customer.email) == email)))
        order_email = s.scalar(select(Order.email).where(func.lower(Order.email) == email)
                               .limit(1))
        email = customers[0].email if customers else order_email
    else:
        customers = list(s.scalars(select(Customer).where(Customer.external_id == given)))
        email = customers[0].email if customers else None
    ids = [c.id for c in customers]
    conditions = [Order.customer_id.in_(ids)]
    if email:
        conditions.append(func.lower(Order.email) == email.lower())
    orders = s.scalar(select(func.count(Order.id)).where(or_(*conditions)))
    if not customers and not orders:
        return None
    return Subject(customers[0].external_id if customers else None, email, customers, orders)


def _not_found(given: str):
    return _privacy_page(error=gettext("This shop has no customer and no order with “%(who)s”.",
                                       who=given.strip()), status=404, form={"who": given})


@bp.post("/privacy/export")
@shop_required
def export():
    given = request.form.get("who", "")
    with current_db().transaction(g.shop.id) as s:
        subject = find_subject(s, given)
        if subject is None:
            return _not_found(given)
        made = export_customer(s, f"admin:{secrets.token_hex(12)}",
                                subject.external_id, subject.email)
        export_id = made.id
    log.info("shop %d: customer data export %d made by the owner", g.shop.id, export_id)
    return redirect(url_for("owner.download_export", export_id=export_id))


@bp.get("/privacy/exports/<int:export_id>.json")
@shop_required
def download_export(export_id: int):
    with current_db().transaction(g.shop.id) as s:
        row = s.scalar(select(DataExport).where(DataExport.id == export_id))
        if row is None:
            abort(404)
        row.downloaded_at = utcnow()
        body = json.dumps({"shop": g.shop.domain, "created_at": row.created_at.isoformat(),
                           **row.data}, ensure_ascii=False, indent=2)
    log.info("shop %d: customer data export %d downloaded", g.shop.id, export_id)
    response = current_app.response_class(body, mimetype="application/json")
    response.headers["Content-Disposition"] = \
        f'attachment; filename="customer-data-{export_id}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/privacy/erase")
@shop_required
def erase():
    """First step: what would be erased, and a confirmation to tick."""
    given = request.form.get("who", "")
    subject = find_subject(g.db_session, given)
    if subject is None:
        return _not_found(given)
    return _erase_page(given, subject)


def _erase_page(given: str, subject: Subject, *, error: str | None = None, status: int = 200):
    s = g.db_session
    handles = s.scalars(select(SocialIdentity).where(SocialIdentity.customer_id.in_(
        [c.id for c in subject.customers]))).all()
    cases = s.scalar(select(func.count(Case.id)).where(Case.customer_id.in_(
        [c.id for c in subject.customers]))) if subject.customers else 0
    return render_template("admin/erase.html", who=given.strip(), subject=subject,
                           handles=handles, cases=cases, error=error), status


@bp.post("/privacy/erase/confirm")
@shop_required
def erase_confirmed():
    given = request.form.get("who", "")
    with current_db().transaction(g.shop.id) as s:
        subject = find_subject(s, given)
        if subject is None:
            return _not_found(given)
        if request.form.get("confirm") != "yes":
            return _erase_page(given, subject, status=400, error=gettext(
                "Tick the box to confirm: erasing cannot be undone."))
        emails = {e.lower() for e in [subject.email, *(c.email for c in subject.customers)]
                  if e}
        ids = {c.external_id for c in subject.customers}
        # each customer record and each spelling of the e-mail on guest orders
        erased = sum(redact_customer(s, c.external_id, c.email) for c in subject.customers)
        if subject.email:
            for spelling in set(s.scalars(select(Order.email).where(
                    func.lower(Order.email) == subject.email.lower()))):
                redact_customer(s, None, spelling)
        dropped = drop_exports(s, emails, ids)
    log.info("shop %d: customer data erased by the owner (%d customer records, %d orders, "
             "%d exports)", g.shop.id, erased, subject.orders, dropped)
    flash(gettext("The customer's personal data is erased. Their orders stay, for your books, "
                  "without name, e-mail or address."), "ok")
    return redirect(url_for("owner.privacy"))


# --- settings -------------------------------------------------------------------------------------

@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() | {"UTC"})


def _faq(shop: Shop) -> list[dict[str, Any]]:
    entries = (shop.settings or {}).get("faq") or []
    return [e for e in entries if isinstance(e, dict)]


def _values(shop: Shop) -> dict[str, Any]:
    rules = send.auto_send_rules(shop)
    try:
        promotions = promotion_settings(shop)
    except ConfigError:  # a hand-edited value that is not a number: show the defaults
        promotions = dict(PROMOTION_DEFAULTS)
    return {"auto_complaint": rules["complaint"], "auto_question": rules["question"],
            "sla_hours": sla.hours_text(sla.sla_hours(shop)), "language": shop.language or "en",
            "timezone": shop.timezone or "UTC",
            **{f"promo_{k}": str(promotions[k]) for k in PROMOTION_BOUNDS}}


@bp.get("/settings")
@shop_required
def settings():
    return _settings_page()


def _settings_page(*, error: str | None = None, status: int = 200, form=None,
                   faq_form: dict[str, Any] | None = None):
    from ..digest.content import digest_settings

    values = _values(g.shop)
    if form is not None:
        values.update({k: form.get(k, "") for k in values if not k.startswith("auto_")})
        values.update({f"auto_{i}": form.get(f"auto_{i}") == "on" for i in send.AUTO_INTENTS})
    faq = [{"keywords": ", ".join(e.get("keywords") or []), "it": e.get("it") or "",
            "en": e.get("en") or ""} for e in _faq(g.shop)]
    if faq_form is not None and faq_form["index"] is not None:
        faq[faq_form["index"]] = faq_form
    return render_template(
        "admin/settings.html", values=values, error=error, faq=faq,
        new_faq=faq_form if faq_form is not None and faq_form["index"] is None else {},
        faq_error=faq_form.get("error") if faq_form else None,
        faq_error_index=faq_form["index"] if faq_form else None,
        languages=SHOP_LANGUAGES, bounds=PROMOTION_BOUNDS, zones=sorted(_zones()),
        max_sla=sla.MAX_HOURS, listen_minutes=current_app.config["ARROSTO"]
        .listen_interval_minutes, digest_hour=digest_settings(g.shop).hour,
        faq_max=FAQ_MAX_ANSWER, signed_in=g.db_session.scalar(
            select(func.count(AdminSession.id)).where(AdminSession.expires_at > utcnow()))), \
        status


@bp.post("/settings")
@shop_required
def save_settings():
    form = request.form
    hours = sla.parse_hours(form.get("sla_hours", ""))
    if hours is None:
        return _settings_page(error=gettext(
            "The response-time promise is a number of hours between 0 and %(max)s.",
            max=sla.MAX_HOURS), status=400, form=form)
    promotions = {}
    for key, (low, high) in PROMOTION_BOUNDS.items():
        raw = form.get(f"promo_{key}", "").strip()
        if not raw.isdigit() or not low <= int(raw) <= high:
            return _settings_page(error=gettext(
                "%(what)s: a whole number from %(low)s to %(high)s.",
                what=_promotion_label(key), low=low, high=high), status=400, form=form)
        promotions[key] = int(raw)
    language = form.get("language", "")
    if language not in SHOP_LANGUAGES:
        return _settings_page(error=gettext("Choose Italian or English."), status=400,
                              form=form)
    zone = form.get("timezone", "").strip()
    if zone not in _zones():
        return _settings_page(error=gettext(
            "“%(zone)s” is not a time zone: write it as Continent/City, e.g. Europe/Rome.",
            zone=zone), status=400, form=form)
    with current_db().transaction(g.shop.id) as s:
        shop = s.get(Shop, g.shop.id)
        values = dict(shop.settings or {})  # a new dict: the JSON column tracks assignment
        values["auto_send"] = {i: form.get(f"auto_{i}") == "on" for i in send.AUTO_INTENTS}
        values["sla_hours"] = hours
        values["promotions"] = {**(values.get("promotions") or {}), **promotions}
        shop.settings = values
        shop.language, shop.timezone = language, zone
    log.info("shop %d: settings saved", g.shop.id)
    flash(gettext("Settings saved."), "ok")
    return redirect(url_for("owner.settings"))


@bp.post("/settings/sign-out-everywhere")
@shop_required
def sign_out_everywhere():
    """End every session of the shop's admin but this browser's own: any other browser, or a
    copied cookie, signs in again with a new link."""
    with current_db().transaction(g.shop.id) as s:
        ended = end_shop_sessions(s, g.shop.id, keep=sessions.current_session_id())
    log.info("shop %d: %d other admin sessions ended by the owner", g.shop.id, ended)
    flash(ngettext("%(num)d other session ended: this browser stays signed in.",
                   "%(num)d other sessions ended: this browser stays signed in.", ended)
          if ended else gettext("No other browser was signed in."), "ok")
    return redirect(url_for("owner.settings", _anchor="sessions"))


def _promotion_label(key: str) -> str:
    return {"days": gettext("Look for people who wrote in the last (days)"),
            "cooldown_days": gettext("Do not write to the same person again within (days)"),
            "owner_daily_cap": gettext("People in your own queue a day"),
            "per_minute": gettext("Automated messages a minute, per account")}[key]


def _faq_entry(form) -> tuple[dict[str, Any] | None, str | None]:
    """A FAQ entry from the form, or the reason it is not one."""
    keywords = []
    for word in form.get("keywords", "").replace("\n", ",").split(","):
        word = " ".join(word.split())
        if word and word.lower() not in (k.lower() for k in keywords):
            keywords.append(word)
    answers = {lang: form.get(lang, "").strip() for lang in SHOP_LANGUAGES}
    if not keywords:
        return None, gettext("Give at least one keyword: a word a question on this has.")
    if len(keywords) > FAQ_MAX_KEYWORDS or any(len(k) > FAQ_MAX_KEYWORD for k in keywords):
        return None, gettext("At most %(n)s keywords, each at most %(chars)s characters.",
                             n=FAQ_MAX_KEYWORDS, chars=FAQ_MAX_KEYWORD)
    if not any(answers.values()):
        return None, gettext("Write the answer, in Italian, English or both.")
    if any(len(a) > FAQ_MAX_ANSWER for a in answers.values()):
        return None, gettext("An answer has at most %(n)s characters.", n=FAQ_MAX_ANSWER)
    return {"keywords": keywords, **{k: v for k, v in answers.items() if v}}, None


def _save_faq(change) -> None:
    with current_db().transaction(g.shop.id) as s:
        shop = s.get(Shop, g.shop.id)
        values = dict(shop.settings or {})
        entries = [dict(e) for e in _faq(shop)]
        change(entries)
        values["faq"] = entries
        shop.settings = values


def _faq_form(index: int | None, error: str) -> dict[str, Any]:
    form = request.form
    return {"index": index, "keywords": form.get("keywords", ""), "it": form.get("it", ""),
            "en": form.get("en", ""), "error": error}


@bp.post("/settings/faq")
@shop_required
def add_faq():
    entry, problem = _faq_entry(request.form)
    if problem is None and len(_faq(g.shop)) >= FAQ_MAX_ENTRIES:
        problem = gettext("At most %(n)s answers.", n=FAQ_MAX_ENTRIES)
    if problem:
        return _settings_page(status=400, faq_form=_faq_form(None, problem))
    _save_faq(lambda entries: entries.append(entry))
    flash(gettext("Answer added: new reply drafts use it."), "ok")
    return redirect(url_for("owner.settings", _anchor="faq"))


def _faq_index_or_404(index: int) -> None:
    if not 0 <= index < len(_faq(g.shop)):
        abort(404)


@bp.post("/settings/faq/<int:index>")
@shop_required
def save_faq(index: int):
    _faq_index_or_404(index)
    entry, problem = _faq_entry(request.form)
    if problem:
        return _settings_page(status=400, faq_form=_faq_form(index, problem))

    def change(entries):
        old = {k: v for k, v in entries[index].items() if k not in ("keywords", *SHOP_LANGUAGES)}
        entries[index] = {**old, **entry}

    _save_faq(change)
    flash(gettext("Answer saved: new reply drafts use it."), "ok")
    return redirect(url_for("owner.settings", _anchor=f"faq-{index}"))


@bp.post("/settings/faq/<int:index>/remove")
@shop_required
def remove_faq(index: int):
    _faq_index_or_404(index)
    _save_faq(lambda entries: entries.pop(index))
    flash(gettext("Answer removed."), "ok")
    return redirect(url_for("owner.settings", _anchor="faq"))
