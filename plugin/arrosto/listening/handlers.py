"""What listening does when the shop's catalog changes: the products' keywords are rebuilt."""
from __future__ import annotations

from sqlalchemy.orm import Session

from .. import events
from ..models import Shop
from .keywords import refresh_keywords


def on_catalog_changed(s: Session, shop: Shop, event: events.CatalogChanged, key: str) -> None:
    refresh_keywords(s, shop)


def register() -> None:
    events.on(events.CatalogChanged, on_catalog_changed)
