"""One-time sign-in links for the standalone admin: only a digest of the token is stored."""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select, update

from .crypto import token_digest
from .db import Database
from .models import LoginToken, utcnow


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
