"""Cases: one per author and thread for complaints and questions; open → waiting → resolved,
reopened by a new message from the author — unless that message says it is sorted ("tutto
risolto, grazie", or thanks after the shop replied): then the case is resolved by the customer
(``resolved_by = "customer"``), and a thank-you never opens a case of its own. The unique
constraint on (shop, network, author, thread) is the final guard when two workers route the
same thread at once."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Case, Post, PostProduct, Shop, utcnow

log = logging.getLogger(__name__)

SUPPORT_INTENTS = ("complaint", "question")
RESOLVERS = ("owner", "customer", "correction")


def resolve(case: Case, by: str, at: dt.datetime | None = None) -> None:
    """Mark the case resolved by the owner, the customer or a correction, at ``at`` (now)."""
    if by not in RESOLVERS:
        raise ValueError(f"unknown resolver {by!r}")
    case.state, case.resolved_at, case.resolved_by = "resolved", at or utcnow(), by


def reopen(case: Case) -> None:
    """Open the case again: it is no longer resolved (nor waiting)."""
    case.state, case.resolved_at, case.resolved_by = "open", None, None


def route_posts(s: Session, shop: Shop, post_ids: list[int]) -> list[Case]:
    """Open or update the case of each new complaint or question (not the shop's own posts);
    a new post in a thread that already has a case joins it, whatever its intent."""
    posts = list(s.scalars(select(Post).where(Post.id.in_(post_ids), Post.is_own.is_(False))
                           .order_by(Post.created_at)))
    about_us = _about_the_shop(s, shop, [p for p in posts if p.intent in SUPPORT_INTENTS])
    cases = []
    for post in posts:
        existing = _case_for(s, post)
        if existing is None and post.addresses_shop:
            # "sorted now, thanks @shop" in a new thread: it answers the author's open case
            waiting = _open_case_of(s, post)
            if waiting is not None and says_sorted(post, waiting):
                add_to_case(s, post, waiting)
                continue
        if existing is None and (post.intent not in SUPPORT_INTENTS or post.id not in about_us
                                 or "resolved" in (post.signals or [])):
            continue
        cases.append(add_to_case(s, post, existing))
    return cases


def says_sorted(post: Post, case: Case) -> bool:
    """The customer closes the case themselves: the ``resolved`` signal, or thanks (praise)
    once the shop has replied."""
    if post.is_own:
        return False
    if "resolved" in (post.signals or []):
        return True
    replied = case.first_response_at is not None or case.state == "waiting"
    return replied and post.intent == "praise"


def _open_case_of(s: Session, post: Post) -> Case | None:
    """The author's most recent case still waiting for an end, on the same network."""
    return s.scalar(select(Case).where(
        Case.network == post.network, Case.author_id == post.author_id,
        Case.state.in_(("open", "waiting")), Case.last_message_at <= post.created_at)
        .order_by(Case.last_message_at.desc(), Case.id.desc()).limit(1))


def _about_the_shop(s: Session, shop: Shop, posts: list[Post]) -> set[int]:
    """The posts that concern the shop: written to it, or naming one of its products, its
    brand or its handles. A question about the weather found by a broad search is not a
    support case."""
    from ..listening.match import Matcher

    if not posts:
        return set()
    ids = {p.id for p in posts if p.addresses_shop}
    ids |= set(s.scalars(select(PostProduct.post_id).where(
        PostProduct.post_id.in_([p.id for p in posts]))))
    matcher = Matcher.for_shop(s, shop)
    ids |= {p.id for p in posts if p.id not in ids and matcher.match(p.text or "")}
    return ids


def thread_key(post: Post) -> str:
    return post.thread_id or post.reply_to_id or post.external_id


def _case_for(s: Session, post: Post) -> Case | None:
    return s.scalar(select(Case).where(Case.network == post.network,
                                       Case.author_id == post.author_id,
                                       Case.thread_key == thread_key(post)))


def add_to_case(s: Session, post: Post, case: Case | None = None) -> Case:
    case = case or _case_for(s, post)
    if case is None:
        case = Case(network=post.network, author_id=post.author_id,
                    author_handle=post.author_handle, author_name=post.author_name,
                    thread_key=thread_key(post), intent=post.intent or "question",
                    addresses_shop=post.addresses_shop, lang=post.lang,
                    opened_at=post.created_at, last_message_at=post.created_at)
        try:
            with s.begin_nested():
                s.add(case)
        except IntegrityError:  # another worker opened it first
            case = _case_for(s, post)
    else:
        later = post.created_at >= case.last_message_at
        if later and says_sorted(post, case):
            resolve(case, "customer", post.created_at)
        elif later and case.state in ("waiting", "resolved"):
            reopen(case)  # wrote again
        case.last_message_at = max(case.last_message_at, post.created_at)
        if post.intent == "complaint":
            case.intent = "complaint"
        case.addresses_shop = case.addresses_shop or post.addresses_shop
    post.case_id = case.id
    return case


# a batch this large is linked with one index of the whole shop; fewer cases, each by its own
# targeted queries (building the index costs more than a few single-case lookups)
BATCH_LINKING = 20


def attend(s: Session, shop: Shop, cases: list[Case], settings=None) -> list[int]:
    """What follows routing, for the cases just opened or updated: link each to its order,
    draft the replies for the author's newest post, and approve those the shop's auto-send
    rule allows. Returns the ids of approved messages, to queue once the transaction commits."""
    from .drafts import draft_replies
    from .linking import link_case, link_cases
    from .send import auto_approve

    cases = [c for c in {c.id: c for c in cases}.values() if c.state != "resolved"]
    if not cases:
        return []
    s.flush()
    if len(cases) >= BATCH_LINKING:
        link_cases(s, cases)
    else:
        for case in cases:
            link_case(s, case)
    approved = []
    for case in cases:
        messages = draft_replies(s, case, settings=settings)
        approved += auto_approve(s, shop, case, messages)
    return approved
