"""One shop's adjustment of the classifier, learnt from its owner's corrections.

A job (:func:`rebuild_overlay_job`) embeds the shop's corrected posts (multilingual USE, see
:mod:`.encoder`) and stores the vectors with their labels in the shop's own
``classifier_overlays`` row. When that shop's new posts are classified, a post whose nearest
corrected posts (cosine ≥ :data:`THRESHOLD`, at most :data:`K` of them) agree takes their label.
The row is read through the shop's scoped session, so one shop's corrections never reach another
shop's posts."""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import jobs
from ..db import Database
from ..models import ClassifierOverlay, Post, PostCorrection, PostProduct, utcnow

log = logging.getLogger(__name__)

#: a new post takes a corrected post's label only when it is this close in meaning. 0.7 is
#: the median of the thresholds benchmarks/corrections.py chose on the training halves of three
#: CESAMARD domains (0.70, 0.55, 0.75); their held-out halves played no part in it
THRESHOLD = 0.7
K = 3


@dataclass(frozen=True)
class Overlay:
    vectors: np.ndarray  # (n, 512) float32, unit rows
    labels: list[dict]   # {"label": ..., "intent": ...} per row

    def __len__(self) -> int:
        return len(self.labels)

    def nearest(self, vectors: np.ndarray, threshold: float = THRESHOLD, k: int = K
                ) -> list[dict | None]:
        """For each row of ``vectors``, the label of its close corrected neighbours (the most
        common among at most ``k`` above ``threshold``, the closest winning a tie), or None."""
        if not len(self) or not len(vectors):
            return [None] * len(vectors)
        sims = vectors @ self.vectors.T
        found: list[dict | None] = []
        for row in sims:
            order = np.argsort(-row)[:k]
            close = [i for i in order if row[i] >= threshold]
            if not close:
                found.append(None)
                continue
            votes = Counter(self.labels[i]["label"] for i in close)
            top = max(votes.values())
            winner = next(i for i in close if votes[self.labels[i]["label"]] == top)
            found.append(self.labels[winner])
        return found


def from_examples(texts: list[str], labels: list[dict]) -> Overlay:
    from .encoder import embed

    return Overlay(embed(texts).astype(np.float32), list(labels))


def build(s: Session) -> ClassifierOverlay:
    """(Re)build the overlay of the session's shop from its corrections."""
    rows = s.execute(select(Post.text, PostCorrection.label, PostCorrection.intent)
                     .join(Post, Post.id == PostCorrection.post_id)
                     .order_by(PostCorrection.id)).all()
    labels = [{"label": label, "intent": intent} for _, label, intent in rows]
    if rows:
        from .encoder import embed

        vectors = embed([text for text, _, _ in rows]).astype(np.float16).tobytes()
    else:
        vectors = b""
    row = s.scalar(select(ClassifierOverlay))
    if row is None:
        row = ClassifierOverlay(vectors=vectors, labels=labels)
        s.add(row)
    row.vectors, row.labels, row.corrections, row.built_at = vectors, labels, len(rows), utcnow()
    s.flush()
    return row


def load(s: Session) -> Overlay | None:
    """The session's shop overlay, or None when it has none (or no corrections in it)."""
    row = s.scalar(select(ClassifierOverlay))
    if row is None or not row.corrections or not row.vectors:
        return None
    vectors = np.frombuffer(row.vectors, dtype=np.float16).astype(np.float32)
    return Overlay(vectors.reshape(len(row.labels), -1), list(row.labels))


def adjust(s: Session, posts: list[Post]) -> int:
    """Apply the shop's overlay to freshly classified posts; returns how many it changed. A
    "not about us" neighbour takes the post off its products; "resolved" adds that signal."""
    overlay = load(s)
    if overlay is None or not posts:
        return 0
    from .encoder import embed

    changed = 0
    for post, hit in zip(posts, overlay.nearest(embed([p.text for p in posts])), strict=True):
        if hit is None:
            continue
        changed += 1
        post.intent = hit["intent"] or post.intent
        if hit["label"] == "resolved":
            post.signals = sorted(set(post.signals or []) | {"resolved"})
        if hit["label"] == "not_about_us":
            for match in s.scalars(select(PostProduct).where(PostProduct.post_id == post.id)):
                s.delete(match)
    return changed


def rebuild(db: Database, shop_id: int) -> int:
    with db.transaction(shop_id) as s:
        return build(s).corrections


@jobs.job(retries=2, retry_delay=60)
def rebuild_overlay_job(shop_id: int) -> None:
    """Rebuild one shop's overlay after its owner corrected (or un-corrected) a post."""
    count = rebuild(jobs.database(), shop_id)
    log.info("shop %d: classifier overlay rebuilt from %d corrections", shop_id, count)
