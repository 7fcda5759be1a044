"""How well the classifier does, each figure next to the previous (legacy) classifier's on the same
split in the same run (``arrosto eval classifier``, :func:`compare`): the English complaints corpus
(the shipped model on the whole file, which it never saw, and a k-fold cross-validation of the
architecture trained on k-1 folds plus the licensed sources), the share of positive XLM-T
validation tweets called complaints, and sentiment macro-F1 on the XLM-T validation split of six
languages (held out from training). The old functions (:func:`evaluate_complaints`,
:func:`evaluate_italian`) are kept for the legacy model's own figures.

    cd benchmarks && PYTHONPATH=../plugin python -m classifier_eval.evaluate [--k 5] [--seed 0]

(``arrosto eval classifier`` runs :func:`compare` from a source checkout.)
"""
from __future__ import annotations

import argparse
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .legacy import (
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


def evaluate_complaints(k: int = 10, seed: int = 0, inner_folds: int = 5,
                        predictions: bool = False):
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
    if predictions:
        return predicted
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


# --- the trained model against the legacy one -----------------------------------------------

GOALS = {"complaints_cv": 0.85, "positives_called_complaints": 0.05,
         "sentiment": {"it": 0.70, "en": 0.70, "es": 0.65, "fr": 0.65, "de": 0.65, "pt": 0.65}}


def _macro(truth: np.ndarray, predicted: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return round(float(f1_score(truth, predicted, average="macro")), 4)


def _legacy_label(sentiment: float) -> int:
    """The legacy score's sign as a 3-class label (0 is neutral)."""
    return 2 if sentiment > 0 else 0 if sentiment < 0 else 1


class _Cache:
    """``encoder.embed`` with a memory, so the folds embed each text once."""

    def __init__(self) -> None:
        self.rows: dict[str, np.ndarray] = {}

    def __call__(self, texts):
        from arrosto.listening.encoder import embed

        missing = list(dict.fromkeys(t for t in texts if t not in self.rows))
        if missing:
            self.rows.update(zip(missing, embed(missing), strict=True))
        return np.vstack([self.rows[t] for t in texts])


def architecture_cv(k: int = 5, seed: int = 0, progress=logger.info) -> np.ndarray:
    """Complaint decisions (intent == complaint) of the new pipeline on the English corpus, each
    post predicted by a model trained on the licensed sources plus the other k-1 folds (same
    folds as :func:`evaluate_complaints`)."""
    from sklearn.model_selection import StratifiedKFold

    from arrosto.listening import classify, model

    texts, labels, domains = load_corpus()
    strata = [f"{d}:{label}" for d, label in zip(domains, labels, strict=True)]
    predicted = np.zeros(len(texts), dtype=int)
    cache, languages = _Cache(), None
    folds = StratifiedKFold(k, shuffle=True, random_state=seed).split(texts, strata)
    for n, (train, held) in enumerate(folds, 1):
        progress(f"fold {n} of {k}")
        fitted = model.train(extra=([texts[i] for i in train], labels[train]), embedder=cache,
                             progress=lambda _: None)
        fold = classify.Classifier(fitted, languages=languages)
        languages = fold.languages
        results = fold.classify([texts[i] for i in held])
        predicted[held] = [int(r.intent == "complaint") for r in results]
    return predicted


def compare(k: int = 5, seed: int = 0, progress=logger.info) -> dict:
    """Every figure of the new classifier beside the legacy one's, on the same split."""
    from arrosto.listening import classify, model

    progress("loading the trained model and training the legacy one (about 20 s)")
    new, old = classify.get_classifier(), get_classifier()
    rows: list[dict] = []
    texts, labels, domains = load_corpus()
    annotated = ~np.isin(domains, RANDOM_DOMAINS)

    def complaint_rows(split: str, new_pred: np.ndarray, old_pred: np.ndarray, goal=None) -> None:
        rows.append({"figure": "complaint macro-F1", "split": split, "new":
                     complaint_figures(labels[annotated], new_pred[annotated])[0],
                     "old": complaint_figures(labels[annotated], old_pred[annotated])[0],
                     "goal": goal})
        rows.append({"figure": "random tweets called complaints", "split": split,
                     "new": round(float(new_pred[~annotated].mean()), 4),
                     "old": round(float(old_pred[~annotated].mean()), 4), "goal": None})
        # with the random tweets (all non-complaints, easy) as the paper's full set counts them
        rows.append({"figure": "complaint macro-F1, with random", "split": split,
                     "new": complaint_figures(labels, new_pred)[0],
                     "old": complaint_figures(labels, old_pred)[0], "goal": None})

    progress("the English complaints corpus, whole file")
    new_whole = np.array([int(r.intent == "complaint") for r in new.classify(texts)])
    old_whole = np.array([int(r.intent == "complaint") for r in old.classify(texts)])
    complaint_rows(f"complaints corpus, all {len(texts)} posts (shipped model never saw it; "
                   "the legacy one was trained on it)", new_whole, old_whole)
    if k:
        progress(f"the English complaints corpus, {k}-fold cross-validation (a few minutes)")
        new_cv = architecture_cv(k, seed, progress)
        old_cv = evaluate_predictions_legacy(k, seed)
        complaint_rows(f"complaints corpus, {k}-fold CV (seed {seed}), 9 annotated domains",
                       new_cv, old_cv, GOALS["complaints_cv"])
    progress("XLM-T validation split, six languages")
    for lang in model.XLMT_LANGUAGES:
        val_texts, truth = model.load_xlmt(lang, "val")
        got_new, got_old = new.classify(val_texts), old.classify(val_texts)
        rows.append({"figure": "sentiment macro-F1", "split": f"XLM-T val {lang}",
                     "new": _macro(truth, np.array([classify.SENTIMENTS.index(r.sentiment_label)
                                                    for r in got_new])),
                     "old": _macro(truth, np.array([_legacy_label(r.sentiment)
                                                    for r in got_old])),
                     "goal": GOALS["sentiment"][lang], "posts": len(truth)})
        if lang in ("en", "it"):
            positive = truth == 2
            rows.append({
                "figure": "positive posts called complaints", "split": f"XLM-T val {lang}",
                "new": round(float(np.mean([got_new[i].intent == "complaint"
                                            for i in np.flatnonzero(positive)])), 4),
                "old": round(float(np.mean([got_old[i].intent == "complaint"
                                            for i in np.flatnonzero(positive)])), 4),
                "goal": GOALS["positives_called_complaints"], "posts": int(positive.sum())})
    return {"model": new.model.manifest, "figures": rows}


def evaluate_predictions_legacy(k: int, seed: int) -> np.ndarray:
    """The legacy classifier's complaint decisions under the same k folds."""
    return evaluate_complaints(k=k, seed=seed, predictions=True)


def format_comparison(report: dict) -> str:
    lines = [f"trained model v{report['model'].get('version', '?')} "
             f"(trained {report['model'].get('trained', '?')}) against the legacy classifier",
             f"{'figure':<34}{'new':>7}{'old':>7}{'goal':>7}  split"]
    for r in report["figures"]:
        goal = "" if r["goal"] is None else f"{r['goal']:.2f}"
        lines.append(f"{r['figure']:<34}{r['new']:>7.3f}{r['old']:>7.3f}{goal:>7}  {r['split']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    report = compare(args.k, args.seed, progress=print)
    print(json.dumps(report, indent=1) if args.json else format_comparison(report))


if __name__ == "__main__":
    main()
