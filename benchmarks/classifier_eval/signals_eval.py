"""The signal detector scored on real reviews, and its sarcasm head trained: CESAMARD-Aspect
(Singh et al., ECIR 2023, MIT licence), split 80/20 stratified by sarcasm with a fixed seed. Kept
beside the benchmarks, out of the package (``arrosto.listening.signals`` only reads the head).
Run by ``benchmarks/signals.py``."""
from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from arrosto.listening.model import NLU
from arrosto.listening.signals import SarcasmHead, detect

_SPACE = re.compile(r"\s+")

# --- CESAMARD: training the head and scoring the detector -----------------------------------------

NLU_DATA = NLU
CESAMARD = NLU_DATA / "cesamard" / "CESAMARD-Aspect_Dataset.csv"
# CESAMARD's aspect categories that name one of ours; the others (books' content, electronics'
# design/software/hardware, fashion's colour/style) have no counterpart. Its "service" covers
# both the courier and the seller's service, so it is scored against our delivery ∪ service.
CESAMARD_ASPECTS = {
    "packaging": ("packaging",), "price": ("price",),
    "quality": ("quality", "taste", "smell", "fabric", "texture", "category"),
    "fit": ("fit", "shape"), "service": ("service", "sevice"),
}
OURS_FOR_CESAMARD = {"packaging": ("packaging",), "price": ("price",), "quality": ("quality",),
                     "fit": ("fit",), "service": ("service", "delivery")}
SPLIT_SEED = 18


@dataclass(frozen=True)
class Review:
    text: str
    domain: str
    sarcastic: bool
    aspects: frozenset[str]


def load_cesamard(path: Path = CESAMARD) -> list[Review]:
    """Title and text of each review (the file's literal "\\n" made spaces), its sarcasm label
    and its aspect categories mapped onto ours (``CESAMARD_ASPECTS``)."""
    inverse = {raw: ours for ours, raws in CESAMARD_ASPECTS.items() for raw in raws}
    reviews = []
    with path.open(encoding="utf-8", newline="") as f:
        rows = csv.reader(f)
        header = next(rows)
        i_title, i_text, i_sarc = header.index("Title"), header.index("Review_S"), \
            header.index("Sarcastic")
        i_aspects = [i for i, h in enumerate(header) if h == "Aspect Term"]
        for r in rows:
            if r[i_sarc] not in ("sarcastic", "non-sarcastic"):
                continue  # one row has no sarcasm label
            text = f"{r[i_title].strip()}. {r[i_text].replace(chr(92) + 'n', ' ').strip()}"
            found = {inverse[a] for i in i_aspects
                     if (a := r[i].strip().lower()) in inverse}
            reviews.append(Review(_SPACE.sub(" ", text), r[header.index("Domain")],
                                  r[i_sarc] == "sarcastic", frozenset(found)))
    return reviews


def split(reviews: Sequence[Review], seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Stratified (by sarcasm) 80/20 split: the indices of the training and the test rows."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(reviews))
    y = np.array([r.sarcastic for r in reviews])
    train, test = train_test_split(idx, test_size=0.2, stratify=y, random_state=seed)
    return np.sort(train), np.sort(test)


def _prf(truth: np.ndarray, predicted: np.ndarray) -> dict:
    tp = int(np.sum(truth & predicted))
    p = tp / max(1, int(predicted.sum()))
    r = tp / max(1, int(truth.sum()))
    return {"precision": round(p, 3), "recall": round(r, 3),
            "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0,
            "support": int(truth.sum()), "predicted": int(predicted.sum())}


def train_sarcasm_head(embeddings: np.ndarray, labels: np.ndarray, seed: int = SPLIT_SEED,
                       cs: Sequence[float] = (0.1, 0.3, 1.0, 3.0, 10.0)) -> SarcasmHead:
    """A balanced logistic regression; its C and threshold are the best F1 over 5 inner folds of
    the training rows (out-of-fold probabilities), so the test rows are never looked at."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    def fit(x, y, c):
        return LogisticRegression(C=c, class_weight="balanced", max_iter=2000).fit(x, y)

    folds = list(StratifiedKFold(5, shuffle=True, random_state=seed).split(embeddings, labels))
    best = (-1.0, 1.0, 0.5)  # inner F1, C, threshold
    for c in cs:
        oof = np.zeros(len(labels))
        for tr, te in folds:
            oof[te] = fit(embeddings[tr], labels[tr], c).predict_proba(embeddings[te])[:, 1]
        grid = np.unique(np.round(oof, 3))
        f1s = [_prf(labels, oof >= t)["f1"] for t in grid]
        if max(f1s) > best[0]:
            best = (max(f1s), c, float(grid[int(np.argmax(f1s))]))
    f1, c, threshold = best
    model = fit(embeddings, labels, c)
    return SarcasmHead(model.coef_[0].astype(np.float64), float(model.intercept_[0]), threshold,
                       {"source": "CESAMARD-Aspect (Singh et al., ECIR 2023), MIT licence",
                        "trained_on": f"stratified 80 % split, seed {seed} "
                                      f"({len(labels)} reviews, {int(labels.sum())} sarcastic)",
                        "inner_cv_f1": round(f1, 3), "C": c,
                        "encoder": "multilingual USE v3 (arrosto.listening.encoder)"})


def evaluate(path: Path = CESAMARD, embeddings: np.ndarray | None = None,
             save_head: bool = False) -> dict:
    """Sarcasm F1 (patterns, head, both) and per-aspect precision/recall on the held-out 20 % of
    CESAMARD. ``embeddings`` are ``encoder.embed`` of the reviews' texts (computed if None)."""
    reviews = load_cesamard(path)
    train, test = split(reviews)
    y = np.array([r.sarcastic for r in reviews])
    detected = [detect(r.text, "en") for r in reviews]
    pattern = np.array([("sarcasm" in s) for s, _ in detected])
    result: dict = {"reviews": len(reviews), "train": len(train), "test": len(test),
                    "split": f"stratified 80/20 by sarcasm, seed {SPLIT_SEED}"}
    result["sarcasm_pattern"] = _prf(y[test], pattern[test])
    if embeddings is None:
        from arrosto.listening.encoder import embed

        embeddings = embed([r.text for r in reviews])
    head = train_sarcasm_head(embeddings[train], y[train])
    flagged = head.predict(embeddings)
    resolved = np.array([("resolved" in s) for s, _ in detected])
    result["sarcasm_head"] = _prf(y[test], flagged[test])
    result["sarcasm_pattern_or_head"] = _prf(y[test], (pattern | (flagged & ~resolved))[test])
    result["sarcasm_head_threshold"] = round(head.threshold, 3)
    result["sarcasm_head_c"] = head.meta["C"]
    result["sarcasm_head_inner_cv_f1"] = head.meta["inner_cv_f1"]
    if save_head:
        head.save()
    aspects = {}
    for theirs, ours in OURS_FOR_CESAMARD.items():
        truth = np.array([theirs in reviews[i].aspects for i in test])
        pred = np.array([any(a in detected[i][1] for a in ours) for i in test])
        aspects[theirs] = _prf(truth, pred)
    result["aspects_test"] = aspects
    result["aspects_macro_f1_test"] = round(float(np.mean([a["f1"] for a in aspects.values()])), 3)
    return result
