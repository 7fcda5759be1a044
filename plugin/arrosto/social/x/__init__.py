"""X, through ``tweepy``: the network (:mod:`.network`), how X counts and searches text
(:mod:`.text`), its error answers (:mod:`.answers`) and connecting an account (:mod:`.oauth`)."""
from __future__ import annotations

from .network import DM_MAX_LENGTH, XNetwork
from .oauth import AUTHORIZE_URL, TOKEN_URL, USER_SCOPES, UserTokens, XUserAuth
from .text import normalise, snowflake_time, weighted_length

__all__ = ["AUTHORIZE_URL", "DM_MAX_LENGTH", "TOKEN_URL", "USER_SCOPES", "UserTokens",
           "XNetwork", "XUserAuth", "normalise", "snowflake_time", "weighted_length"]
