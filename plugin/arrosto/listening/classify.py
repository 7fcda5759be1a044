"""Classify social posts: intent, sentiment, language, complaint score, signals and aspects,
offline on CPU, from the trained model in ``listening/model.py`` (loaded from its shipped artifact;
nothing is trained at run time). The intent is one decision over the model's heads: its complaint
and sentiment probabilities, a question cue, the lexicon's purchase phrases and the signals of
``listening/signals.py`` (a restock request or a resolved thank-you is never a complaint).
The previous classifier is in ``benchmarks/classifier_eval/legacy.py``, for comparison. See
docs/classifier.md.
"""
from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .cues import CATEGORIES, LANGUAGES, QUESTION_OPENERS, LanguageGuesser, cues, fold

logger = logging.getLogger(__name__)

__all__ = ["INTENTS", "LANGUAGES", "Classification", "Classifier", "LanguageGuesser", "classify",
           "classify_posts", "get_classifier"]

INTENTS = ("complaint", "question", "praise", "purchase_intent", "other")
SENTIMENTS = ("negative", "neutral", "positive")
COMPLAINT_THRESHOLD = 0.5
# A complaint said in a neutral tone must be clearer: the complaint head learnt from reviews, where
# a neutral, short text is rare, and questions or plans read as complaints to it. Set before any
# evaluation, like the legacy classifier's 0.8 for purchase phrases; never one when positive.
NEUTRAL_COMPLAINT_THRESHOLD = 0.8


@dataclass(frozen=True, slots=True)
class Classification:
    intent: str
    sentiment: float
    """P(positive) - P(negative) from the sentiment head, in [-1, 1]."""
    lang: str | None
    """ISO 639-1 code, or None when the text has too few letters to tell."""
    complaint_score: float
    """P(complaint) from the complaint head, in [0, 1]; 0.5 is the decision threshold."""
    sentiment_label: str = "neutral"
    signals: frozenset[str] = frozenset()
    aspects: tuple[str, ...] = ()


_WORD = re.compile(r"[a-z0-9'-]+")


def asks(text: str, lang: str | None, opener: bool) -> bool:
    """A question mark, or a sentence that opens with an interrogative word."""
    if "?" in text or opener:
        return True
    openers = QUESTION_OPENERS.get(lang or "") if lang not in ("it", "en") else None
    if not openers:
        return False
    for sentence in re.split(r"[.!\n]+", fold(text)):
        words = [w for w in _WORD.findall(sentence) if w != "@user"]
        if len(words) > 2 and words[0] in openers:
            return True
    return False


def decide(complaint_score: float, sentiment_label: str, signals: frozenset[str],
           question: bool, purchase: bool) -> str:
    """One intent from the heads and cues; the shop must answer complaints and questions first,
    but a restock request and a thank-you after a fix are invitations, not complaints."""
    if "restock_request" in signals:
        return "question" if question else "purchase_intent"
    if "resolved" in signals:
        # the heads read the problem it names ("picked the wrong grind"); the post is the thanks
        return "praise"
    if sentiment_label == "negative" and complaint_score >= COMPLAINT_THRESHOLD:
        return "complaint"
    if sentiment_label == "neutral" and complaint_score >= NEUTRAL_COMPLAINT_THRESHOLD:
        return "complaint"
    if purchase and sentiment_label != "negative":
        return "purchase_intent"
    if question:
        return "question"
    if sentiment_label == "positive":
        return "praise"
    return "other"


def _signals() -> Callable[[str, str | None], tuple[frozenset[str], tuple[str, ...]]] | None:
    try:
        from .signals import detect
    except ImportError:
        return None
    return detect


class Classifier:
    """Intent, sentiment, language, complaint score, signals and aspects of posts, from a
    trained ``model.Model``. Build with ``get_classifier()`` (loads the shipped artifact)."""

    def __init__(self, model, languages: LanguageGuesser | None = None,
                 detect: Callable | None = None) -> None:
        self.model = model
        self.languages = languages or LanguageGuesser()
        self.detect = detect if detect is not None else _signals()

    def classify(self, texts: Sequence[str]) -> list[Classification]:
        texts = [t if isinstance(t, str) else "" for t in texts]
        if not texts:
            return []
        langs = [self.languages.guess(t) for t in texts]
        found = [cues(t, lang if lang in ("it", "en") else None)
                 for t, lang in zip(texts, langs, strict=True)]
        purchase = CATEGORIES.index("purchase")
        p = self.model.predict(texts, langs)
        out = []
        for i, (text, lang, c) in enumerate(zip(texts, langs, found, strict=True)):
            signals, aspects = (self.detect(text, lang) if self.detect else (frozenset(), ()))
            signals = frozenset(signals)
            label = SENTIMENTS[int(np.argmax(p.sentiment[i]))]
            score = float(p.complaint[i])
            intent = decide(score, label, signals, asks(text, lang, c.question_opener),
                            bool(c.counts[purchase]))
            out.append(Classification(
                intent, round(float(p.sentiment[i, 2] - p.sentiment[i, 0]), 4), lang,
                round(score, 4), label, signals, tuple(aspects)))
        return out


_lock = threading.Lock()
_classifier: Classifier | None = None


def get_classifier() -> Classifier:
    """The process's classifier over the shipped model artifact, loaded on first use."""
    global _classifier
    with _lock:
        if _classifier is None:
            from .model import shipped

            _classifier = Classifier(shipped())
        return _classifier


def classify(texts: Sequence[str]) -> list[Classification]:
    return get_classifier().classify(texts)


def classify_posts(lines: Iterable[dict], match: Callable[[str], list] | None = None,
                   batch: int = 500) -> Iterable[dict]:
    """``{"id", "text"}`` records in, ``{"id", "intent", "sentiment", "sentiment_label", "lang",
    "signals", "aspects", "products"}`` out (and ``complaint_score``); ``match(text)`` names the
    products a post is about, when a matcher is given."""
    classifier = get_classifier()
    pending: list[dict] = []

    def flush() -> Iterable[dict]:
        results = classifier.classify([str(p.get("text") or "") for p in pending])
        for post, r in zip(pending, results, strict=True):
            yield {"id": post.get("id"), "intent": r.intent, "sentiment": r.sentiment,
                   "sentiment_label": r.sentiment_label, "lang": r.lang,
                   "complaint_score": r.complaint_score, "signals": sorted(r.signals),
                   "aspects": list(r.aspects),
                   "products": list(match(str(post.get("text") or ""))) if match else []}
        pending.clear()

    for line in lines:
        pending.append(line)
        if len(pending) >= batch:
            yield from flush()
    if pending:
        yield from flush()
