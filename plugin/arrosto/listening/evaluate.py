"""How well the classifier does: cross-validation on the English complaints corpus, and the
Italian evaluation set written by the Arrosto developers (never trained on: the Italian model
learns from a separate file, ``italian_train.jsonl``). ``arrosto eval classifier``.

    python -m arrosto.listening.evaluate [--k 10] [--seed 0]
"""
from __future__ import annotations

import argparse
import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .classify import (
    DATA,
    INTENTS,
    ITALIAN_TRAINING,
    RANDOM_DOMAINS,
    Classifier,
    ComplaintModel,
    cues,
    dense,
    get_classifier,
    is_complaint,
    load_corpus,
)

logger = logging.getLogger(__name__)

ITALIAN = DATA / "italian_labelled.jsonl"


@dataclass
class ClassFigures:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class ComplaintReport:
    """Complaint vs not. ``macro_f1`` averages the F1 of both classes over the annotated posts
    (the corpus's nine domains); ``random_complaint_rate`` is the share of the random tweets
    (``random_reply``, ``random_tweet``, all non-complaints) called complaints."""

    name: str
    posts: int
    macro_f1: float
    per_class: dict[str, ClassFigures]
    random_complaint_rate: float | None = None
    random_posts: int = 0
    per_intent: dict[str, ClassFigures] = field(default_factory=dict)
    intent_accuracy: float | None = None
    notes: str = ""


def figures(truth: np.ndarray, predicted: np.ndarray, positive) -> ClassFigures:
    t, p = truth == positive, predicted == positive
    tp = int(np.sum(t & p))
    precision = tp / int(np.sum(p)) if np.sum(p) else 0.0
    recall = tp / int(np.sum(t)) if np.sum(t) else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ClassFigures(round(precision, 4), round(recall, 4), round(f1, 4), int(np.sum(t)))


def complaint_figures(truth: np.ndarray, predicted: np.ndarray) -> tuple[float, dict]:
    per_class = {"complaint": figures(truth, predicted, 1),
                 "not_complaint": figures(truth, predicted, 0)}
    macro = (per_class["complaint"].f1 + per_class["not_complaint"].f1) / 2
    return round(macro, 4), per_class


def evaluate_complaints(k: int = 10, seed: int = 0, inner_folds: int = 5) -> ComplaintReport:
    """Stratified k-fold cross-validation (by domain and label) of the English complaint decision.

    Every fold fits a new ``ComplaintModel`` on the other k-1 folds (vectorisers, regressions and
    the thresholds, which the model picks by its own inner cross-validation) and scores the
    held-out fold, so no figure is computed on a post that shaped the model. The decision is the
    classifier's own (``is_complaint``), English posts being taken as English. ``k=5,
    inner_folds=3`` is the quick variant the tests run (about a quarter of the time).
    """
    from sklearn.model_selection import StratifiedKFold

    texts, labels, domains = load_corpus()
    is_random = np.isin(domains, RANDOM_DOMAINS)
    strata = [f"{d}:{label}" for d, label in zip(domains, labels, strict=True)]
    predicted = np.zeros(len(texts), dtype=int)
    for train, held in StratifiedKFold(k, shuffle=True, random_state=seed).split(texts, strata):
        model = ComplaintModel(seed=seed, inner_folds=inner_folds).fit(
            [texts[i] for i in train], labels[train], domains[train])
        held_texts = [texts[i] for i in held]
        found = [cues(t, "en") for t in held_texts]
        rows = np.array([dense(c) for c in found], dtype=float)
        margins = model.margins(held_texts, rows, np.ones(len(held), dtype=bool))
        predicted[held] = [int(is_complaint(c, 1.0 / (1.0 + np.exp(-m))))
                           for c, m in zip(found, margins, strict=True)]
    annotated = ~is_random
    macro, per_class = complaint_figures(labels[annotated], predicted[annotated])
    return ComplaintReport(
        name=f"English complaints corpus, {k}-fold cross-validation (seed {seed}, "
             f"thresholds by {inner_folds}-fold inner cross-validation)",
        posts=int(annotated.sum()), macro_f1=macro, per_class=per_class,
        random_complaint_rate=round(float(predicted[is_random].mean()), 4),
        random_posts=int(is_random.sum()))


def load_italian(path: Path = ITALIAN) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def evaluate_italian(classifier: Classifier | None = None,
                     path: Path = ITALIAN) -> ComplaintReport:
    """The Italian set, classified by the model trained on the whole English corpus."""
    rows = load_italian(path)
    classifier = classifier or get_classifier()
    results = classifier.classify([r["text"] for r in rows])
    truth = np.array([int(r["complaint"]) for r in rows])
    predicted = np.array([int(r.intent == "complaint") for r in results])
    macro, per_class = complaint_figures(truth, predicted)
    want = np.array([r["intent"] for r in rows])
    got = np.array([r.intent for r in results])
    per_intent = {intent: figures(want, got, intent) for intent in INTENTS}
    not_italian = sum(r.lang != "it" for r in results)
    return ComplaintReport(
        name=f"Italian set ({path.name}), never trained on",
        posts=len(rows), macro_f1=macro, per_class=per_class, per_intent=per_intent,
        intent_accuracy=round(float(np.mean(want == got)), 4),
        notes=f"{not_italian} of {len(rows)} posts not detected as Italian; the Italian "
              f"complaint model is trained on {ITALIAN_TRAINING.name} only")


def format_report(*reports: ComplaintReport) -> str:
    lines = []
    for r in reports:
        lines.append(r.name)
        lines.append(f"  posts: {r.posts}   complaint macro-F1: {r.macro_f1:.3f}")
        if r.random_complaint_rate is not None:
            lines.append(f"  random tweets called complaints: {r.random_complaint_rate:.1%} "
                         f"of {r.random_posts}")
        lines.append(f"  {'class':<16}{'precision':>10}{'recall':>8}{'F1':>8}{'posts':>7}")
        for name, f in {**r.per_class, **r.per_intent}.items():
            lines.append(f"  {name:<16}{f.precision:>10.3f}{f.recall:>8.3f}{f.f1:>8.3f}"
                         f"{f.support:>7}")
        if r.intent_accuracy is not None:
            lines.append(f"  intent accuracy: {r.intent_accuracy:.3f}")
        if r.notes:
            lines.append(f"  {r.notes}")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    reports = [evaluate_complaints(args.k, args.seed), evaluate_italian()]
    if args.json:
        print(json.dumps([asdict(r) for r in reports], indent=1))
    else:
        print(format_report(*reports))


if __name__ == "__main__":
    main()
