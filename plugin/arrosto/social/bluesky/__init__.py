"""Bluesky, through the ``atproto`` SDK: the network (:mod:`.network`), its text and record
formats (:mod:`.text`) and what its servers answer (:mod:`.answers`)."""
from __future__ import annotations

from .network import BlueskyNetwork
from .text import graphemes, parse_time

__all__ = ["BlueskyNetwork", "graphemes", "parse_time"]
