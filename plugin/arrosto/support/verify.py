"""The "is this your order?" link: a signed, expiring link to a public page where the author of a
case proves an order is theirs by giving its number and the e-mail or postcode used for it.

A link carries the shop, the case and a random nonce, signed with a key derived from
``ARROSTO_SECRET_KEY`` (every key of a rotation verifies, the first signs); nothing is stored
when it is made. :func:`check_order` answers only yes or no, so the page never tells whether an
order exists to someone who does not know both values; tries are limited per case and per
client address (kept only as an HMAC), each limit taken by one conditional statement
(``Case.verify_tries``, :class:`~arrosto.models.VerificationWindow`) so concurrent tries cannot
pass it, and recorded in :class:`~arrosto.models.VerificationAttempt`.
A match links the case through :func:`~arrosto.support.linking.confirm_link`, records the author's
handle as the customer's (``verified_by="verification_page"``) and uses up the link's nonce.
Domain code: no Flask here (an app is only read for its settings).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import case as case_when
from sqlalchemy import literal, or_, select, update
from sqlalchemy.orm import Session

from ..crypto import constant_time_equal, derive_key
from ..db import dialect_insert
from ..models import Case, Order, VerificationAttempt, VerificationWindow, utcnow
from ..settings import Settings
from .linking import confirm_link, find_order_numbers
from .linking.lookup import shop_prefixes
from .linking.signals import order_name_key

log = logging.getLogger(__name__)

SALT = "arrosto.verify"
#: how the identity is recorded (a key of link.K_IDENTITY, so the linker weighs it fully)
VERIFIED_BY = "verification_page"
#: the per-address limit counts the tries of this last window
ADDRESS_WINDOW = dt.timedelta(hours=1)
#: longest inputs looked at (anything longer cannot be an order number, an e-mail or a postcode)
MAX_NUMBER_CHARS = 40
MAX_SECRET_CHARS = 320

_DIGITS = re.compile(r"#?\s*(\d{1,15})")
_NUMBER_RUN = re.compile(r"\d+")
_POSTCODE_NOISE = re.compile(r"[\s\-]+")
_NONCE = re.compile(r"[A-Za-z0-9_\-]{16,64}")


@dataclass(frozen=True)
class VerificationLink:
    """What a genuine link says. ``expired``: signed by us but older than the lifetime (the
    page refuses it like a wrong answer)."""

    shop_id: int
    case_id: int
    nonce: str
    expired: bool = False


# --- the link -------------------------------------------------------------------------------------

def _settings(settings_or_app: Settings | Any) -> Settings:
    """The settings, or a Flask app's (read from its config, so no Flask import here)."""
    if isinstance(settings_or_app, Settings):
        return settings_or_app
    return settings_or_app.config["ARROSTO"]


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    # itsdangerous signs with the last key and verifies with all: newest last
    keys = [derive_key(k, SALT) for k in reversed(settings.secret_keys())]
    return URLSafeTimedSerializer(keys, salt=SALT)


def verification_url(settings_or_app: Settings | Any, case: Case) -> str:
    """A new link to the page for ``case`` (each call a new nonce), valid
    ``ARROSTO_VERIFY_LINK_DAYS`` days and until a successful check. Safe in a public reply:
    it carries no personal data, only signed ids."""
    settings = _settings(settings_or_app)
    token = _serializer(settings).dumps(
        {"s": case.shop_id, "c": case.id, "n": secrets.token_urlsafe(16)})
    return f"{settings.public_url}/verify/{token}"


def read_link(settings_or_app: Settings | Any, token: str) -> VerificationLink | None:
    """The link's contents; None for a token we did not sign (forged, tampered, malformed)."""
    settings = _settings(settings_or_app)
    serializer = _serializer(settings)
    expired = False
    try:
        payload = serializer.loads(token, max_age=settings.verify_link_days * 86400)
    except SignatureExpired:
        expired = True
        try:
            payload = serializer.loads(token)
        except BadSignature:
            return None
    except BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    shop_id, case_id, nonce = payload.get("s"), payload.get("c"), payload.get("n")
    if not (type(shop_id) is int and type(case_id) is int and isinstance(nonce, str)
            and _NONCE.fullmatch(nonce)):
        return None
    return VerificationLink(shop_id, case_id, nonce, expired)


def client_digest(settings_or_app: Settings | Any, address: str) -> str:
    """The client address as stored: an HMAC, so the table never holds an IP address."""
    key = derive_key(_settings(settings_or_app).secret_keys()[0], "arrosto.verify.client")
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


# --- what the customer types ----------------------------------------------------------------------

def order_number_keys(text: str, prefixes: set[str] | frozenset[str] = frozenset()
                      ) -> set[tuple[int, str | None]]:
    """The order numbers written in the form's field, as (number, name key or None), read the
    way the linker reads them (``#1001``, ``1001``, ``ordine n. 1001``, ``#BR1001`` and
    ``BR-1001`` when the shop's names carry that prefix, WooCommerce ids); a bare number of
    any length counts too (``2001`` is not a year here). A field with more than one number
    is no answer (empty): one try tests one order."""
    text = text.strip()[:MAX_NUMBER_CHARS]
    if len(_NUMBER_RUN.findall(text)) != 1:
        return set()
    keys = {(m.value, m.name_key) for m in find_order_numbers(text, prefixes=prefixes)
            if m.value is not None}
    whole = _DIGITS.fullmatch(text)
    if whole and not any(name for _, name in keys):
        keys.add((int(whole.group(1)), None))
    return keys


def normal_email(value: str) -> str:
    return value.strip().casefold()


def normal_postcode(value: str) -> str:
    """``"sw1a 1aa"`` and ``"SW1A1AA"``, ``"00-950"`` and ``"00950"`` are the same postcode."""
    return _POSTCODE_NOISE.sub("", value).upper()


# --- the check ------------------------------------------------------------------------------------

def check_order(s: Session, case: Case, order_number: str, email_or_postcode: str,
                client_address: str, *, settings: Settings, nonce: str,
                now: dt.datetime | None = None) -> bool:
    """Is ``order_number`` an order of the case's shop whose e-mail (any case) or shipping
    postcode (spaces, hyphens and case aside) is ``email_or_postcode``?

    ``s`` is the case's shop session (another shop's orders are out of its reach). Refused
    without a look at any order: a case with ``ARROSTO_VERIFY_TRIES_PER_CASE`` tries, an
    address with ``ARROSTO_VERIFY_TRIES_PER_ADDRESS`` tries in its current hour (from the first
    of them), a link whose nonce already succeeded (that post counts as a try). Every try
    looked at is recorded (address as an HMAC). On a match
    the case is linked (OrderLink ``confirmed``), the author's handle recorded as the
    customer's and the nonce used up. The caller commits, also after a no."""
    now = now or utcnow()
    digest = client_digest(settings, client_address or "unknown")
    if not _take_try(s, case, digest, settings, now):
        # not recorded: a flood of refused posts must not grow the table
        log.info("verification refused: too many tries (case %s)", case.id)
        return False
    # after the try is taken: the case's row is locked, so a nonce succeeds once
    used = s.scalar(select(VerificationAttempt.id).where(
        VerificationAttempt.case_id == case.id, VerificationAttempt.link_nonce == nonce,
        VerificationAttempt.succeeded.is_(True)).limit(1))
    if used is not None:
        log.info("verification refused: link already used (case %s)", case.id)
        return False
    order = _matching_order(s, order_number, email_or_postcode)
    s.add(VerificationAttempt(case_id=case.id, link_nonce=nonce, client_digest=digest,
                              succeeded=order is not None, created_at=now))
    s.flush()
    if order is None:
        log.info("verification failed (case %s)", case.id)
        return False
    confirm_link(s, case, order.id, now, verified_by=VERIFIED_BY)
    log.info("verification succeeded: case %s linked to order %s", case.id, order.id)
    return True


def _take_try(s: Session, case: Case, digest: str, settings: Settings,
              now: dt.datetime) -> bool:
    """Count one try against both limits, or against neither: each count is one conditional
    statement (the database compares and adds at once), so concurrent tries never pass a limit
    on SQLite or PostgreSQL. The case's UPDATE comes first and keeps its row locked (on SQLite
    the whole database) until the caller commits."""
    taken = s.execute(
        update(Case).where(Case.id == case.id,
                           Case.verify_tries < settings.verify_tries_per_case)
        .values(verify_tries=Case.verify_tries + 1)
        .execution_options(synchronize_session=False)).rowcount
    if taken != 1:
        return False
    if _take_address_try(s, case.shop_id, digest, settings.verify_tries_per_address, now):
        return True
    # the address is over its limit: this try was none, give the case its count back
    s.execute(update(Case).where(Case.id == case.id)
              .values(verify_tries=Case.verify_tries - 1)
              .execution_options(synchronize_session=False))
    return False


def _take_address_try(s: Session, shop_id: int, digest: str, limit: int,
                      now: dt.datetime) -> bool:
    """One try of an address in its current window (an hour from its first try): a new
    window row, a window past its hour started again, or one more try while under ``limit``;
    else nothing changes and no row is returned."""
    window = VerificationWindow
    stale = window.window_start <= now - ADDRESS_WINDOW
    start = literal(now, window.window_start.type)
    insert = dialect_insert(s.get_bind().dialect.name)
    statement = (
        insert(window)
        .values(shop_id=shop_id, client_digest=digest, window_start=now, tries=1)
        .on_conflict_do_update(
            index_elements=[window.shop_id, window.client_digest],
            set_={"tries": case_when((stale, 1), else_=window.tries + 1),
                  "window_start": case_when((stale, start), else_=window.window_start)},
            where=or_(stale, window.tries < limit))
        .returning(window.tries))
    return s.execute(statement).first() is not None


_NO_ORDER = ("-", "")  # compared against when no order has the number: the same work either way


def _matching_order(s: Session, order_number: str, email_or_postcode: str) -> Order | None:
    keys = order_number_keys(order_number, shop_prefixes(s))  # at most one
    secret = email_or_postcode.strip()[:MAX_SECRET_CHARS]
    email = normal_email(secret) if "@" in secret else ""
    postcode = "" if email else normal_postcode(secret)
    orders: list[Order] = []
    if len(keys) == 1:
        ((number, name_key),) = keys
        orders = [o for o in s.scalars(select(Order).where(Order.number == number)
                                       .order_by(Order.id.desc()))
                  if name_key is None or order_name_key(o.name) == name_key]
    stored = [(normal_email(o.email or ""), normal_postcode(o.shipping_postcode or ""))
              for o in orders] or [_NO_ORDER]
    found = None
    for order, (order_email, order_postcode) in zip(orders or [None], stored, strict=True):
        # both compared every time, in constant time, and never an empty value
        email_ok = constant_time_equal(email, order_email) and bool(email)
        postcode_ok = constant_time_equal(postcode, order_postcode) and len(postcode) >= 3
        if (email_ok or postcode_ok) and found is None:
            found = order
    return found
