"""Signals and aspects of a post: a request to be told of a restock, a thank-you for a problem
already fixed, sarcasm, and what the post talks about (delivery, packaging, quality, price,
payment, fit, service), in Italian, English, Spanish, French, German and Portuguese.

The patterns are data (``data/signals.json``), written from general knowledge of how people write
to shops. Sarcasm also has a trained head: a logistic regression over the multilingual sentence
embeddings (``encoder.embed``), trained on CESAMARD's ``Sarcastic`` column (English reviews,
Singh et al., ECIR 2023, MIT licence) and stored in ``data/signals_sarcasm.json``; it is read only
when the caller passes embeddings (``detect_many``), so ``detect`` stays a few regex searches.

Its scoring on a held-out split of CESAMARD, and the training of the sarcasm head, are
``benchmarks/classifier_eval/signals_eval.py`` (run by ``benchmarks/signals.py``).
"""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..text import fold as fold_letters

logger = logging.getLogger(__name__)

DATA = Path(__file__).parent / "data"
PATTERNS = DATA / "signals.json"
SARCASM_HEAD = DATA / "signals_sarcasm.json"
LANGUAGES = ("it", "en", "es", "fr", "de", "pt")
SIGNALS = ("restock_request", "resolved", "sarcasm")
ASPECTS = ("delivery", "packaging", "quality", "price", "payment", "fit", "service")

_SPACE = re.compile(r"\s+")
_URL = re.compile(r"https?://\S+|www\.\S+")
_PHONE_ACCENT = re.compile(r"([a-z])'(?=\s|$|[.,!?;:])")
_CLAUSE_END = re.compile(r"[.!?;:,\n]")
_LEAD = r"(?:^|[.!?…;\n]\s*)(?:{})\s*(?:[,!…]|\.\.\.)"


def fold(text: str) -> str:
    """``arrosto.text.fold`` without links, single spaces, and the phone accents ("e'",
    "perche'") without their apostrophe."""
    text = fold_letters(_URL.sub(" ", text))
    return _SPACE.sub(" ", _PHONE_ACCENT.sub(r"\1", text)).strip()


@lru_cache(maxsize=1)
def _data() -> dict:
    with PATTERNS.open(encoding="utf-8") as f:
        return json.load(f)


def _languages(lang: str | None) -> tuple[str, ...]:
    """The pattern sets read for a post: its language, English (mixed in everywhere) and the
    language-free entries; every language when the language is unknown."""
    if lang not in LANGUAGES:
        return (*LANGUAGES, "xx")
    return tuple(dict.fromkeys((lang, "en", "xx")))


def _entries(table: dict, langs: tuple[str, ...]) -> list[str]:
    return [p for lang in langs for p in table.get(lang, [])]


def _union(patterns: list[str]) -> re.Pattern | None:
    if not patterns:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(f"(?:{p})" for p in patterns) + r")(?!\w)")


@lru_cache(maxsize=64)
def _compiled(section: str, key: str | None, langs: tuple[str, ...]) -> re.Pattern | None:
    table = _data()[section] if key is None else _data()[section][key]
    return _union(_entries(table, langs))


@lru_cache(maxsize=16)
def _lead(langs: tuple[str, ...]) -> re.Pattern | None:
    entries = _entries(_data()["sarcasm"]["lead"], langs)
    return re.compile(_LEAD.format("|".join(entries))) if entries else None


@lru_cache(maxsize=16)
def _negation(langs: tuple[str, ...]) -> re.Pattern | None:
    entries = _entries({k: v for k, v in _data()["negation"].items() if k != "_about"}, langs)
    return re.compile(r"(?<!\w)(?:" + "|".join(entries) + r")(?!\w)") if entries else None


# --- the signals ----------------------------------------------------------------------------------

def _search(section: str, key: str | None, langs: tuple[str, ...], text: str) -> bool:
    rx = _compiled(section, key, langs)
    return bool(rx and rx.search(text))


def _negated(text: str, start: int, langs: tuple[str, ...]) -> bool:
    """A negation within the same clause, at most about five words before ``start``."""
    window = text[max(0, start - 32):start]
    cut = max((m.end() for m in _CLAUSE_END.finditer(window)), default=0)
    rx = _negation(langs)
    return bool(rx and rx.search(window[cut:]))


def is_resolved(text: str, langs: tuple[str, ...]) -> bool:
    rx = _compiled("resolved", None, langs)
    if rx is None:
        return False
    hits = [m for m in rx.finditer(text)
            if not _negated(text, m.start(), langs)
            and not text[m.end():m.end() + 2].lstrip().startswith("?")]
    if not hits:
        return False
    still = _compiled("still_open", None, langs)
    # "refund came through... still waiting for the rest": the last word is the open problem
    return not (still and any(m.start() > hits[-1].end() for m in still.finditer(text)))


def is_sarcastic(text: str, langs: tuple[str, ...]) -> bool:
    """Praise next to an event nobody praises: "grazie tante per il pacco distrutto 👏"."""
    if _search("sarcasm", "self", langs, text):
        return True
    neg_rx = _compiled("sarcasm", "negative", langs)
    if neg_rx is None:
        return False
    negatives = [(m.start(), m.end()) for m in neg_rx.finditer(text)]
    if not negatives:
        return False
    strong = _compiled("sarcasm", "strong", langs)
    for m in strong.finditer(text) if strong else ():
        if any(0 <= s - m.end() <= 60 or 0 <= m.start() - e <= 60 for s, e in negatives):
            return True
    thanks_for = _compiled("sarcasm", "object", langs)
    for m in thanks_for.finditer(text) if thanks_for else ():
        if any(0 <= s - m.end() <= 40 for s, _ in negatives):
            return True
    lead = _lead(langs)
    for m in lead.finditer(text) if lead else ():
        if any(0 <= s - m.end() <= 80 for s, _ in negatives):
            return True
    return False


def aspects_of(text: str, langs: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(a for a in ASPECTS if _search("aspects", a, langs, text))


def detect(text: str, lang: str | None) -> tuple[frozenset[str], tuple[str, ...]]:
    """``(signals, aspects)`` of one post from the patterns alone; ``lang`` is the classifier's
    guess (``None`` reads every language)."""
    if not text or not text.strip():
        return frozenset(), ()
    folded = fold(text)
    langs = _languages(lang)
    found = set()
    # every language: a short post's language guess is often wrong ("Quando torna disponibile
    # il Mandheling?" reads as Portuguese), and a missed restock request loses a watcher
    if _search("restock_request", None, _languages(None), folded):
        found.add("restock_request")
    if is_resolved(folded, langs):
        found.add("resolved")
    elif is_sarcastic(folded, langs):
        # a thank-you for a fixed problem names the problem: it is not sarcasm
        found.add("sarcasm")
    return frozenset(found), aspects_of(folded, langs)


# --- the trained sarcasm head ---------------------------------------------------------------------

@dataclass(frozen=True)
class SarcasmHead:
    """``P(sarcastic) = sigmoid(w · embedding + b)``; sarcastic when it reaches ``threshold``."""

    weights: np.ndarray
    bias: float
    threshold: float
    meta: dict

    def probability(self, embeddings: np.ndarray) -> np.ndarray:
        z = np.asarray(embeddings, dtype=np.float64) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def predict(self, embeddings: np.ndarray) -> np.ndarray:
        return self.probability(embeddings) >= self.threshold

    def save(self, path: Path = SARCASM_HEAD) -> None:
        body = {**self.meta, "bias": round(float(self.bias), 6),
                "threshold": round(float(self.threshold), 6),
                "weights": [round(float(w), 6) for w in self.weights]}
        path.write_text(json.dumps(body, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = SARCASM_HEAD) -> SarcasmHead:
        body = json.loads(path.read_text(encoding="utf-8"))
        meta = {k: v for k, v in body.items() if k not in ("weights", "bias", "threshold")}
        return cls(np.asarray(body["weights"], dtype=np.float64), float(body["bias"]),
                   float(body["threshold"]), meta)


@lru_cache(maxsize=1)
def sarcasm_head() -> SarcasmHead | None:
    if not SARCASM_HEAD.exists():
        return None
    return SarcasmHead.load()


def detect_many(texts: Sequence[str], langs: Sequence[str | None] | None = None,
                embeddings: np.ndarray | None = None
                ) -> list[tuple[frozenset[str], tuple[str, ...]]]:
    """``detect`` over a batch; with ``embeddings`` (``encoder.embed(texts)``), the trained
    sarcasm head adds ``sarcasm`` where the patterns missed it (never on a resolved post)."""
    langs = list(langs) if langs is not None else [None] * len(texts)
    out = [detect(t, lang) for t, lang in zip(texts, langs, strict=True)]
    head = sarcasm_head() if embeddings is not None else None
    if head is None or not out:
        return out
    flagged = head.predict(embeddings)
    return [(sig | {"sarcasm"}, asp) if flag and "resolved" not in sig else (sig, asp)
            for (sig, asp), flag in zip(out, flagged, strict=True)]
