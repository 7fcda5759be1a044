"""Access for owners and their programs: one-time sign-in links and server-side sessions for the
standalone admin, per-shop tokens for the JSON API. Only a digest of any token is stored."""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from .crypto import token_digest
from .db import Database
from .models import AdminSession, ApiToken, LoginToken, Shop, utcnow


def create_login_token(db: Database, shop_id: int, minutes: int = 15) -> str:
    token = secrets.token_urlsafe(32)
    with db.transaction(shop_id) as s:
        s.add(LoginToken(token_digest=token_digest(token),
                         expires_at=utcnow() + dt.timedelta(minutes=minutes)))
    return token


def redeem_login_token(db: Database, token: str) -> int | None:
    """The shop id for a valid, unused, unexpired token, which is used up; else None."""
    digest = token_digest(token)
    now = utcnow()
    with db.transaction(all_shops=True) as s:
        row = s.scalar(select(LoginToken).where(LoginToken.token_digest == digest))
        if row is None or row.used_at is not None or row.expires_at < now:
            return None
        # compare-and-swap: two clicks on the same link sign in once
        used = s.execute(update(LoginToken).where(LoginToken.id == row.id,
                                                   LoginToken.used_at.is_(None))
                         .values(used_at=now))
        return row.shop_id if used.rowcount == 1 else None


# --- admin sessions: a random id in the signed cookie, its digest here ----------------------------

ADMIN_SESSION_TOUCH = dt.timedelta(minutes=5)  # last_seen_at is written at most this often


def start_admin_session(db: Database, shop_id: int, lifetime: dt.timedelta, *,
                        previous: str | None = None) -> str:
    """A new session of the shop's admin, ending at the latest after ``lifetime``; returns the
    id for the cookie. ``previous``, this browser's earlier session (any shop's), ends."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    if previous:
        end_admin_session(db, previous)
    with db.transaction(shop_id) as s:
        s.add(AdminSession(token_digest=token_digest(token), created_at=now, last_seen_at=now,
                           expires_at=now + lifetime))
    return token


def admin_session_shop(db: Database, token: str, now: dt.datetime | None = None) -> int | None:
    """The shop of a live session (not ended, not expired); else None."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    now = now or utcnow()
    with db.transaction(all_shops=True) as s:
        row = s.scalar(select(AdminSession).where(AdminSession.token_digest ==
                                                  token_digest(token)))
        if row is None or row.expires_at <= now:
            return None
        if now - row.last_seen_at >= ADMIN_SESSION_TOUCH:
            row.last_seen_at = now
        return row.shop_id


def end_admin_session(db: Database, token: str) -> None:
    """End one session (logout): its cookie, or any copy of it, signs in no more."""
    if isinstance(token, str) and token:
        with db.transaction(all_shops=True) as s:
            s.execute(delete(AdminSession).where(AdminSession.token_digest ==
                                                 token_digest(token)))


def end_shop_sessions(s: Session, shop_id: int, *, keep: str | None = None) -> int:
    """End every admin session of the shop but ``keep`` (the caller's own), inside the caller's
    transaction; returns how many ended."""
    stmt = delete(AdminSession).where(AdminSession.shop_id == shop_id)
    if keep:
        stmt = stmt.where(AdminSession.token_digest != token_digest(keep))
    return s.execute(stmt).rowcount


def prune_admin_sessions(db: Database, now: dt.datetime | None = None) -> int:
    """Delete the rows of expired sessions (they sign nobody in already)."""
    with db.transaction(all_shops=True) as s:
        return s.execute(delete(AdminSession).where(
            AdminSession.expires_at <= (now or utcnow()))).rowcount


# --- API tokens: per shop, long-lived, revocable; only their digest is stored --------------------

API_TOKEN_PREFIX = "arrosto_"  # recognisable in logs and by secret scanners
API_TOKEN_TOUCH = dt.timedelta(minutes=1)  # last_used_at is written at most this often


def create_api_token(db: Database, shop_id: int, name: str) -> tuple[int, str]:
    """A new token for the shop's JSON API: its id and the token, which is shown only now."""
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise ValueError("an API token's name is 1 to 100 characters")
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with db.transaction(shop_id) as s:
        row = ApiToken(name=name, token_digest=token_digest(token))
        s.add(row)
        s.flush()
        return row.id, token


def verify_api_token(db: Database, token: str, now: dt.datetime | None = None
                     ) -> ApiToken | None:
    """The token's row for a known, unrevoked token of an installed shop; else None. Records
    when it was last used (at most once a minute: reads stay reads)."""
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    with db.transaction(all_shops=True) as s:
        row = s.scalar(select(ApiToken).where(ApiToken.token_digest == token_digest(token)))
        if row is None or row.revoked_at is not None:
            return None
        shop = s.get(Shop, row.shop_id)
        if shop is None or shop.status == "uninstalled":
            return None
        if row.last_used_at is None or now - row.last_used_at >= API_TOKEN_TOUCH:
            row.last_used_at = now
        return row


def list_api_tokens(db: Database, shop_id: int) -> list[ApiToken]:
    with db.transaction(shop_id) as s:
        return list(s.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke_api_token(db: Database, shop_id: int, token_id: int) -> ApiToken | None:
    """Revoke one of the shop's tokens (again is a no-op); None if the shop has no such token."""
    with db.transaction(shop_id) as s:
        row = s.scalar(select(ApiToken).where(ApiToken.id == token_id))
        if row is not None and row.revoked_at is None:
            row.revoked_at = utcnow()
        return row
