"""What support does with posts the listening pipeline read: complaints and questions become
cases, linked to their orders, with their replies drafted (and approved where the shop's rule
allows; their ids go on the event, to be queued once the pipeline's transaction commits)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from .. import events
from ..models import Shop
from .cases import attend, route_posts


def on_posts_read(s: Session, shop: Shop, event: events.PostsRead, key: str) -> None:
    cases = route_posts(s, shop, event.post_ids)
    event.approved.extend(attend(s, shop, cases, event.settings))


def register() -> None:
    events.on(events.PostsRead, on_posts_read)
