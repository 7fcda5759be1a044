"""When a support reply goes out by itself: the owner's auto-send rules, one per intent.

A case's drafts are approved automatically only if the owner turned on auto-send for the case's
intent and the author addressed the shop first; the outbox (:mod:`arrosto.outbox.send`) still
checks every one at approval and again before the network. Anything else waits in ``draft`` for
the owner.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..models import Case, Message, Shop
from ..outbox.send import NotAllowed, approve

AUTO_INTENTS = ("complaint", "question")


def auto_send_rules(shop: Shop) -> dict[str, bool]:
    rules = (shop.settings or {}).get("auto_send") or {}
    return {intent: bool(rules.get(intent, False)) for intent in AUTO_INTENTS}


def may_send_automatically(shop: Shop, case: Case) -> bool:
    """Only to an author who addressed the shop, and only if the owner asked for it."""
    return bool(case.addresses_shop) and auto_send_rules(shop).get(case.intent, False)


def auto_approve(s: Session, shop: Shop, case: Case, messages: list[Message]) -> list[int]:
    """Approve the case's new drafts when the auto-send rule allows it; returns their ids."""
    if not may_send_automatically(shop, case):
        return []
    approved = []
    for message in messages:
        if message.state != "draft" or message.last_error:
            continue  # a draft with a problem waits for the owner
        message.automated = True
        try:
            approve(s, message)
        except NotAllowed as exc:
            message.automated, message.last_error = False, str(exc)
            continue
        approved.append(message.id)
    return approved
