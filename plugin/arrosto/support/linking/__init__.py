"""Linking a support case to its order: candidate orders ranked from what the author wrote and
who they are, each with a confidence in [0, 1] and the reasons the owner sees.

Signals: an order number in a post or a direct message (``#1001``, ``ordine n. 1001``,
``order no. 1001``, ``n°1001``, prefixed names such as ``#BR1001``, WooCommerce ids); an e-mail
in a direct message; a handle already verified as a customer's; the display name or handle close
to a customer's name (diacritics folded, Italian nicknames, first name + initial, handles such as
``giuliabianchi_``); a product of the order named in the posts; and whether the order's age and
fulfilment fit the complaint (late, stuck in transit, failed delivery, cancelled, partly shipped).


The package, one job a module: :mod:`.names` (people's names, nicknames from ``names.json``),
:mod:`.signals` (what the posts say), :mod:`.index` (the shop in memory), :mod:`.lookup` (an
index for one case by indexed queries), :mod:`.rank` (confidences and reasons) and :mod:`.store`
(OrderLink rows and the owner's decisions). Domain code: no Flask here.
"""
from __future__ import annotations

from .index import LinkIndex
from .rank import Candidate, rank_candidates
from .signals import find_order_numbers, find_topics
from .store import (
    AUTO_LINK_THRESHOLD,
    LinkOutcome,
    confirm_link,
    link_case,
    link_cases,
    record_identity,
    reject_link,
)

__all__ = ["AUTO_LINK_THRESHOLD", "Candidate", "LinkIndex", "LinkOutcome", "confirm_link",
           "find_order_numbers", "find_topics", "link_case", "link_cases", "rank_candidates",
           "record_identity", "reject_link"]
