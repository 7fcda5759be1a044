"""Sending the digest over SMTP (``smtplib``: STARTTLS, TLS or none; login when a user is set),
one message per recipient so each carries its own signed one-click unsubscribe link.

Every message is recorded in the outbox (:class:`~arrosto.models.Message`, kind ``digest``, one
idempotency key per shop, date and recipient) before it goes out and marked after, so a run taken
over after a crash skips the recipients already served. The day's :class:`DigestRun` is marked
``sent`` only when every recipient's message went out; a failure leaves it ``failed`` for the
scheduler to retry with backoff. :func:`claim_run` lets one caller at a time send a day's digest.
"""
from __future__ import annotations

import datetime as dt
import logging
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..crypto import derive_key
from ..db import Database
from ..errors import ArrostoError, ConfigError
from ..models import DigestRecipient, DigestRun, Message, Shop, utcnow
from .content import build_digest, digest_settings
from .render import build_message

log = logging.getLogger(__name__)

RETRY_DELAYS = (5.0, 30.0)  # seconds between the tries of one send, inside one run
Transport = Callable[[EmailMessage], None]


class DigestSendError(ArrostoError):
    """The SMTP server refused or could not be reached, after the retries."""


# --- SMTP ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Mailer:
    host: str
    port: int
    security: str
    user: str | None
    password: str | None
    sender: str
    timeout: float

    @classmethod
    def from_settings(cls, settings: Any) -> Mailer:
        if not settings.smtp_host:
            raise ConfigError("ARROSTO_SMTP_HOST is not set: the digest cannot be sent by e-mail")
        if not settings.mail_from:
            raise ConfigError("ARROSTO_MAIL_FROM is not set: the digest needs a sender address")
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return cls(settings.smtp_host, settings.smtp_port, settings.smtp_security,
                   settings.smtp_user or None, password, settings.mail_from,
                   settings.smtp_timeout)

    def __repr__(self) -> str:  # never the password
        return f"<Mailer {self.security}://{self.host}:{self.port}>"

    def send(self, msg: EmailMessage) -> None:
        context = ssl.create_default_context()
        if self.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                                  context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            smtp.ehlo()
            if self.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(msg)


def deliver(transport: Transport, msg: EmailMessage, *,
            delays: tuple[float, ...] = RETRY_DELAYS,
            wait: Callable[[float], None] = time.sleep) -> None:
    """Send with retries and growing waits; permanent refusals (5xx) are not retried."""
    for attempt in range(len(delays) + 1):
        try:
            transport(msg)
            return
        except smtplib.SMTPResponseException as exc:
            error: Exception = exc
            if 500 <= exc.smtp_code < 600:
                break
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPAuthenticationError,
                UnicodeEncodeError) as exc:
            error = exc  # refused, a wrong login, or a non-ASCII login smtplib cannot send
            break
        except (smtplib.SMTPException, OSError) as exc:
            error = exc
        if attempt < len(delays):
            log.info("digest: send failed (%s), retrying in %.0f s", type(error).__name__,
                     delays[attempt])
            wait(delays[attempt])
    raise DigestSendError(f"{type(error).__name__}: {str(error)[:300]}") from error


# --- unsubscribe tokens -------------------------------------------------------------------------

UNSUBSCRIBE_SALT = "digest-unsubscribe"


def _serializer(secrets: list[str]) -> URLSafeSerializer:
    # itsdangerous signs with the last key and verifies with all: newest (secrets[0]) last. No
    # expiry: the link in a digest sent months ago must still work (RFC 8058)
    keys = [derive_key(secret, UNSUBSCRIBE_SALT) for secret in reversed(secrets)]
    return URLSafeSerializer(keys, salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(secrets: list[str], shop_id: int, recipient_id: int) -> str:
    return _serializer(secrets).dumps([shop_id, recipient_id])


def read_unsubscribe_token(secrets: list[str], token: str) -> tuple[int, int] | None:
    """(shop id, recipient id) of a valid token (any configured key), else None."""
    try:
        shop_id, recipient_id = _serializer(secrets).loads(token)
    except (BadSignature, TypeError, ValueError):
        return None
    if not (isinstance(shop_id, int) and isinstance(recipient_id, int)):
        return None
    return shop_id, recipient_id


def unsubscribe_url(settings: Any, shop_id: int, recipient_id: int) -> str:
    token = unsubscribe_token(settings.secret_keys(), shop_id, recipient_id)
    return f"{settings.public_url}/digest/unsubscribe/{token}"


def unsubscribe(db: Database, secrets: list[str], token: str,
                now: dt.datetime | None = None) -> str | None:
    """Mark the token's recipient unsubscribed; returns the address, None for a bad token."""
    found = read_unsubscribe_token(secrets, token)
    if found is None:
        return None
    shop_id, recipient_id = found
    with db.transaction(shop_id) as s:
        recipient = s.get(DigestRecipient, recipient_id)
        if recipient is None or recipient.shop_id != shop_id:
            return None
        if recipient.unsubscribed_at is None:
            recipient.unsubscribed_at = now or utcnow()
            log.info("shop %d: digest recipient %d unsubscribed", shop_id, recipient_id)
        return recipient.email


# --- the day's run ------------------------------------------------------------------------------

STALE = dt.timedelta(minutes=30)  # a claimed run older than this belongs to a dead worker
FIRST_RETRY = dt.timedelta(minutes=15)
LONGEST_RETRY = dt.timedelta(hours=4)


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed try: 15 min, 30 min, 1 h, ... at most 4 h."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def claim_run(db: Database, shop_id: int, day: dt.date, now: dt.datetime | None = None
              ) -> int | None:
    """The run id for the one caller allowed to send ``day``'s digest now, else None."""
    now = now or utcnow()
    try:
        with db.transaction(shop_id) as s:
            run = DigestRun(local_date=day, state="claimed", attempts=1, claimed_at=now)
            s.add(run)
            s.flush()
            return run.id
    except IntegrityError:
        pass
    with db.transaction(shop_id) as s:
        run = s.scalar(select(DigestRun).where(DigestRun.local_date == day))
        if run is None:
            return None
        retry = (run.state == "failed" and now >= run.claimed_at + backoff(run.attempts)) or \
            (run.state == "claimed" and now >= run.claimed_at + STALE)
        if not retry:
            return None
        taken = s.execute(update(DigestRun).where(
            DigestRun.id == run.id, DigestRun.state == run.state,
            DigestRun.attempts == run.attempts)
            .values(state="claimed", attempts=run.attempts + 1, claimed_at=now)
            .execution_options(synchronize_session=False)).rowcount
        return run.id if taken == 1 else None


# --- one shop's digest --------------------------------------------------------------------------

@dataclass
class SendResult:
    state: str  # sent | failed | skipped | busy (another worker has it, or already done)
    sent: int = 0
    skipped: int = 0
    error: str | None = None


def active_recipients(s) -> list[DigestRecipient]:
    return list(s.scalars(select(DigestRecipient).where(DigestRecipient.unsubscribed_at.is_(None))
                          .order_by(DigestRecipient.id)))


def send_digest(db: Database, settings: Any, shop_id: int, day: dt.date, *,
                now: dt.datetime | None = None, transport: Transport | None = None,
                wait: Callable[[float], None] = time.sleep) -> SendResult:
    """Claim the shop's run for ``day``, then send the digest to each active recipient."""
    now = now or utcnow()
    run_id = claim_run(db, shop_id, day, now)
    if run_id is None:
        return SendResult("busy")
    try:
        return _send_claimed(db, settings, shop_id, day, run_id, now, transport, wait)
    except Exception as exc:  # a bug or a bad setting: the day stays unsent, retried later
        _finish(db, shop_id, run_id, "failed", error=f"{type(exc).__name__}: {exc}"[:500])
        raise


def _send_claimed(db: Database, settings: Any, shop_id: int, day: dt.date, run_id: int,
                  now: dt.datetime, transport: Transport | None,
                  wait: Callable[[float], None]) -> SendResult:
    sender = settings.mail_from or "arrosto@localhost"
    if transport is None:
        mailer = Mailer.from_settings(settings)
        transport, sender = mailer.send, mailer.sender
    with db.transaction(shop_id) as s:
        shop = s.get(Shop, shop_id)
        digest = build_digest(s, shop, day, public_url=settings.public_url, settings=settings,
                              now=now)
        recipients = [(r.id, r.email) for r in active_recipients(s)]
    if not recipients or (digest["quiet"] and digest_settings(shop).quiet == "none"):
        _finish(db, shop_id, run_id, "skipped")
        return SendResult("skipped")
    result = SendResult("sent")
    first_id = None
    for recipient_id, address in recipients:
        key = f"digest:{shop_id}:{day.isoformat()}:{recipient_id}"
        message_id = _record(db, shop_id, key, address, now)
        if message_id is None:
            result.skipped += 1  # sent by an earlier try of this run
            continue
        msg = build_message(digest, sender=sender, recipient=address, now=now,
                            unsubscribe_url=unsubscribe_url(settings, shop_id, recipient_id))
        try:
            deliver(transport, msg, wait=wait)
        except DigestSendError as exc:
            result.state, result.error = "failed", str(exc)
            _mark(db, shop_id, message_id, "failed", error=str(exc))
            log.warning("shop %d: digest of %s not sent to recipient %d: %s", shop_id, day,
                        recipient_id, exc)
            continue
        _mark(db, shop_id, message_id, "sent", external_id=msg["Message-ID"], now=utcnow())
        first_id = first_id or msg["Message-ID"]
        result.sent += 1
    _finish(db, shop_id, run_id, result.state, error=result.error, message_id=first_id)
    return result


def _record(db: Database, shop_id: int, key: str, address: str, now: dt.datetime) -> int | None:
    """The outbox row of one recipient's digest, marked sending; None when already sent."""
    with db.transaction(shop_id) as s:
        message = s.scalar(select(Message).where(Message.idempotency_key == key))
        if message is None:
            message = Message(kind="digest", network="email", channel="email",
                              recipient_id=address, recipient_handle=address, automated=True,
                              text="daily digest", idempotency_key=key)
            s.add(message)
        elif message.state == "sent":
            return None
        message.state, message.attempt_started_at = "sending", now
        message.attempts = (message.attempts or 0) + 1
        s.flush()
        return message.id


def _mark(db: Database, shop_id: int, message_id: int, state: str, *, error: str | None = None,
          external_id: str | None = None, now: dt.datetime | None = None) -> None:
    with db.transaction(shop_id) as s:
        message = s.get(Message, message_id)
        message.state, message.last_error = state, error
        if state == "sent":
            message.sent_at, message.external_id = now, external_id


def _finish(db: Database, shop_id: int, run_id: int, state: str, *, error: str | None = None,
            message_id: str | None = None) -> None:
    with db.transaction(shop_id) as s:
        values: dict[str, Any] = {"state": state, "last_error": error}
        if state == "sent":
            values.update(sent_at=utcnow(), message_id=message_id)
        s.execute(update(DigestRun).where(DigestRun.id == run_id).values(**values)
                  .execution_options(synchronize_session=False))


def send_test(db: Database, settings: Any, shop_id: int, day: dt.date, *,
              transport: Transport | None = None, to: list[str] | None = None) -> int:
    """Send the digest of ``day`` now to ``to`` (default: the active recipients), outside the
    schedule: no run is claimed, nothing is marked. Returns how many were sent."""
    mailer = None
    if transport is None:
        mailer = Mailer.from_settings(settings)
        transport = mailer.send
    sender = mailer.sender if mailer else (settings.mail_from or "arrosto@localhost")
    with db.transaction(shop_id) as s:
        shop = s.get(Shop, shop_id)
        digest = build_digest(s, shop, day, public_url=settings.public_url, settings=settings)
        recipients = [(r.id, r.email) for r in active_recipients(s)]
    if to is not None:
        recipients = [(0, address) for address in to]
    for recipient_id, address in recipients:
        url = unsubscribe_url(settings, shop_id, recipient_id) if recipient_id else \
            f"{settings.public_url}/admin/digest"
        deliver(transport, build_message(digest, sender=sender, recipient=address,
                                         unsubscribe_url=url), delays=(1.0,))
    return len(recipients)
