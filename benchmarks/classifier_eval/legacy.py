"""The previous post classifier (lexicons + TF-IDF ensembles, trained at first use), kept beside the
benchmarks to compare the trained model against it (``arrosto eval classifier``); its lexicon
cues and language guesser live on in ``arrosto.listening.cues``, which the new model reuses. Not
part of the runtime package.


English complaints come from an ensemble of four linear models (TF-IDF word and character n-grams,
negation-marked words, naive-Bayes-weighted n-grams, and dense cues: lexicon counts, pragmatic
patterns, VADER scores) behind a gate that sets apart posts not written to or about a business,
trained at first use from the English complaints corpus shipped in ``listening/data``
(Preoţiuc-Pietro et al., ACL 2019). Italian posts are scored by a regression trained on
``italian_train.jsonl`` (posts the developers wrote for training, apart from the evaluation set);
other languages by a regression over the lexicon cues alone, trained on the English corpus.
Intents other than complaints, and the sentiment score, come from the lexicons and a few
patterns. See docs/classifier.md.

The lexicons were written after the Italian evaluation set, from general knowledge of how people
write about orders and products, and were not adjusted to lines of that set.
"""
from __future__ import annotations

import csv
import json
import logging
import math
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from arrosto.listening.cues import (
    CATEGORIES,
    MENTION,
    N_DENSE,
    NEGATORS,
    URL,
    Cues,
    LanguageGuesser,
    cues,
    dense,
    fold,
    sentiment_of,
)

logger = logging.getLogger(__name__)

DATA = Path(__file__).parent / "data"
CORPUS = DATA / "complaints_train.csv"
ITALIAN_TRAINING = DATA / "italian_train.jsonl"
INTENTS = ("complaint", "question", "praise", "purchase_intent", "other")
RANDOM_DOMAINS = ("random_reply", "random_tweet")


@dataclass(frozen=True, slots=True)
class Classification:
    intent: str
    sentiment: float
    """Document polarity in [-1, 1] from the lexicons (0 when no opinion word is found)."""
    lang: str | None
    """ISO 639-1 code, or None when the text has too few letters to tell."""
    complaint_score: float
    """In [0, 1]; 0.5 is the decision threshold chosen by cross-validation on the corpus."""


PROBLEM_FEATURE = CATEGORIES.index("problem")
SENTIMENT_FEATURE = len(CATEGORIES) + 2
RULE_MARGIN = 0.5  # a complaint by the lexicon rule scores sigmoid(0.5) = 0.62
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


# --- the complaint model --------------------------------------------------------------------------

# How English complaints are phrased, beyond single words: the strategies of complaint speech acts
# (a rhetorical "why", an expectation broken, a threat to leave, sarcastic thanks, a story of what
# was ordered and what happened) and of the posts that are not complaints (asking for information,
# a short reply in an ongoing exchange). Written from general knowledge of how people write to
# businesses, like the lexicons; they are matched on the folded text without handles.
EN_PRAGMATICS = {
    "info_request": r"\b(how (do|can|would|should) (i|we)|is (there|it possible)|do you (have|know|"
                    r"sell|ship|offer|guys)|can (i|we|you tell)|will (there|you be)|when (will|is|"
                    r"are|does|do)|where (can|do|is)|which (one|is)|what (time|is the|are the)|any "
                    r"(idea|chance|news|plans)|does anyone|wondering|could you (tell|let)|would "
                    r"(it|you) be)\b",
    "rhetorical": r"\b(why (is|does|do|did|are|can't|cant|won't|wont|would|has|have|am)|how come|"
                  r"seriously|what's the point|whats the point|how hard (is|can)|is it too much|"
                  r"really\?|are you (kidding|serious)|what the (hell|heck|fuck)|who (thought|"
                  r"decided))\b",
    "second_person": r"\b(you guys|your (service|staff|app|website|site|store|company|customer|"
                     r"team|product|employees|driver|system|support|agents?)|you people|y'all)\b",
    "expectation": r"\b(supposed to|should (have|be|'ve)|was told|were told|i was promised|"
                   r"promised|expected|meant to|paid for|i paid|for the price|guaranteed)\b",
    "escalation": r"\b(switch(ing)? to|cancel(l?ing)? my|taking my (business|money)|lose a "
                  r"customer|lost a customer|last time i|never (again|buying|using|shopping|"
                  r"flying|ordering)|report(ing)? (you|this)|lawyer|sue|trading standards|"
                  r"ombudsman|better business bureau|bbb|unfollow|done with)\b",
    "sarcasm": r"\b(thanks for nothing|thanks a lot|great job|well done|love (how|when|that you)|"
               r"nothing like|just what i needed|so much for|bravo|way to go|good job)\b",
    "narrative": r"\b(i (ordered|bought|paid|called|emailed|contacted|tried|went|asked|was|have "
                 r"been|'ve been|got)|we (ordered|bought|paid|called|waited)|after (waiting|"
                 r"\d+))\b",
    "time": r"\b(\d+ (hours?|hrs?|days?|weeks?|months?|mins?|minutes?|years?)|yesterday|last "
            r"(week|night|month|time)|this morning|all day|two weeks|three weeks|a week|a month|"
            r"an hour)\b",
    "reply": r"^\W*(thanks|thank you|thx|ty|ok|okay|great|cheers|perfect|awesome|will do|done|"
             r"sent|dm sent|followed)\b",
    "polite": r"\b(please|pls|plz|kindly|hi|hello|hey|good morning|dear)\b",
}
_PRAGMATICS = [re.compile(p) for p in EN_PRAGMATICS.values()]
_HANDLES = re.compile(r"@user\s*")


N_PRAGMATICS = len(_PRAGMATICS) + 4


@lru_cache(maxsize=1)
def _vader():
    """VADER (Hutto and Gilbert, ICWSM 2014): an English sentiment lexicon of 7,500 entries with
    rules for negation, intensifiers and capitals, shipped in its package (no download)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def pragmatics(text: str) -> list[float]:
    """English-only dense features: the pragmatic patterns and VADER's four scores."""
    folded = _HANDLES.sub("", fold(text)).strip()
    vader = _vader().polarity_scores(URL.sub(" ", text))
    return [*(math.log1p(len(p.findall(folded))) for p in _PRAGMATICS),
            vader["neg"], vader["pos"], vader["neu"], vader["compound"]]


def tfidf_text(text: str) -> str:
    text = URL.sub(" URL ", text)
    return NUMBER.sub("0", MENTION.sub("@USER", text)).lower()


def raw_text(text: str) -> str:
    return NUMBER.sub("0", URL.sub(" URL ", text)).lower()


def handle_text(text: str) -> str:
    """The handles a post mentions: "@UPSHelp" or "@AdobeCare" say who it is addressed to."""
    return " ".join(MENTION.findall(text)).lower()


_WORDS = re.compile(r"[@\w']+|[!?.,;:]")


def negated_text(text: str) -> str:
    """Words within three of a negation carry a mark ("not happy" -> "not happy_NEG"), up to the
    next punctuation: "still not working" and "working" are different evidence."""
    out, left = [], 0
    for w in _WORDS.findall(tfidf_text(text)):
        if w in ".,;:!?":
            left = 0
            out.append(w)
            continue
        out.append(w + "_NEG" if left else w)
        if w.replace("'", "") in NEGATORS or w.endswith("n't"):
            left = 3
        elif left:
            left -= 1
    return " ".join(out)


@dataclass(frozen=True, slots=True)
class Thresholds:
    complaint: float
    gate: float
    cues: float


def _vectorisers():
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

    common = {"min_df": 2, "sublinear_tf": True}
    return {
        "word": TfidfVectorizer(preprocessor=tfidf_text, ngram_range=(1, 2),
                                token_pattern=r"[@\w']+|[!?]", **common),
        "negated": TfidfVectorizer(preprocessor=negated_text, ngram_range=(1, 2),
                                   token_pattern=r"\S+", lowercase=False, **common),
        "char": TfidfVectorizer(preprocessor=tfidf_text, analyzer="char", ngram_range=(2, 5),
                                **common),
        "char_wb": TfidfVectorizer(preprocessor=tfidf_text, analyzer="char_wb",
                                   ngram_range=(2, 5), **common),
        "binary": CountVectorizer(preprocessor=tfidf_text, ngram_range=(1, 3), binary=True,
                                  token_pattern=r"[@\w']+|[!?]", min_df=2),
        "raw": TfidfVectorizer(preprocessor=raw_text, analyzer="char_wb", ngram_range=(2, 5),
                               **common),
        "handle": TfidfVectorizer(preprocessor=handle_text, analyzer="char_wb",
                                  ngram_range=(3, 5), **common),
    }


def _logreg(c: float, dual: bool = True):
    """Balanced-class L2 logistic regression. The dual solver is for the n-gram models (far more
    features than posts: the same solution, about thirty times faster); the primal one for the
    few dense cue features."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight="balanced", solver="liblinear", dual=dual,
                              max_iter=5000)


class NBLogReg:
    """Logistic regression on binary n-grams scaled by their naive-Bayes log-count ratios
    (Wang and Manning's NBSVM, ACL 2012): strong on short texts and unlike the TF-IDF models."""

    def __init__(self, c: float = 1.0, alpha: float = 1.0) -> None:
        self.c, self.alpha = c, alpha

    def fit(self, x, y: np.ndarray) -> NBLogReg:
        p = self.alpha + np.asarray(x[y == 1].sum(0)).ravel()
        q = self.alpha + np.asarray(x[y == 0].sum(0)).ravel()
        self.ratio = np.log((p / p.sum()) / (q / q.sum()))
        self.model = _logreg(self.c).fit(x.multiply(self.ratio).tocsr(), y)
        return self

    def decision_function(self, x) -> np.ndarray:
        return self.model.decision_function(x.multiply(self.ratio).tocsr())


class Ensemble:
    """The complaint members, each scaled by the spread of its scores on its training data and
    averaged, so that no member dominates by the size of its margins."""

    def __init__(self, members: dict[str, Callable[[], object]]) -> None:
        self.members = members

    def fit(self, blocks: dict[str, object], y: np.ndarray) -> Ensemble:
        self.fitted = {}
        for name, make in self.members.items():
            model = make().fit(blocks[name], y)
            spread = float(np.std(model.decision_function(blocks[name]))) or 1.0
            self.fitted[name] = (model, spread)
        return self

    def decision_function(self, blocks: dict[str, object]) -> np.ndarray:
        return sum(model.decision_function(blocks[name]) / spread
                   for name, (model, spread) in self.fitted.items()) / len(self.fitted)


def macro_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Mean of the F1 of both classes (complaint and not), as in the paper."""
    scores = []
    for positive in (True, False):
        t, p = truth == positive, predicted == positive
        tp = float(np.sum(t & p))
        denominator = float(np.sum(t) + np.sum(p))
        scores.append(2 * tp / denominator if denominator else 0.0)
    return sum(scores) / 2


def tune_thresholds(complaint: np.ndarray, gate: np.ndarray, cue: np.ndarray,
                    labels: np.ndarray, is_random: np.ndarray,
                    max_random_rate: float) -> Thresholds:
    """Thresholds that maximise macro-F1 on the annotated domains while at most
    ``max_random_rate`` of the random tweets are called complaints (out-of-fold scores)."""
    dom, truth = ~is_random, labels.astype(bool)

    def best(candidates: Iterable[tuple[float, float]], score) -> tuple[float, float]:
        top = (-1.0, 0.0, 0.0)
        for a, b in candidates:
            predicted = score(a, b)
            if predicted[is_random].mean() <= max_random_rate:
                f = macro_f1(truth[dom], predicted[dom])
                if f > top[0]:
                    top = (f, a, b)
        return top[1], top[2]

    qs = np.linspace(0.05, 0.95, 46)
    grid = [(a, b) for a in np.quantile(complaint, qs) for b in np.quantile(gate, qs[:31])]
    tc, tg = best(grid, lambda a, b: (complaint > a) & (gate > b))
    tq, _ = best(((a, 0.0) for a in np.quantile(cue, qs)), lambda a, b: cue > a)
    return Thresholds(float(tc), float(tg), float(tq))


class ComplaintModel:
    """Complaint or not, from the English corpus.

    ``complaint`` is an ensemble of four linear models trained on the annotated domains, each
    seeing the text another way: (1) word 1-2-grams, character 2-5-grams and the dense cues
    (lexicon counts, the pragmatic patterns above and VADER's scores); (2) words marked for
    negation, character 2-5-grams within words, and the dense cues; (3) binary word 1-3-grams
    with naive-Bayes weights; (4) the dense cues alone. ``gate`` (does the post read as written
    to or about a business at all? trained to tell the annotated domains from the random tweets)
    and ``cues`` (lexicon cues only, the part that carries over to other languages) are single
    regressions.
    English posts are complaints when both ``complaint`` and ``gate`` clear their thresholds;
    posts in other languages when ``cues`` does (Italian has its own model, ``ItalianModel``).
    Thresholds are chosen by an inner cross-validation on the training data, so a model fitted on
    part of the corpus never sees the rest. No member sees the handles a post is addressed to:
    brand names would not carry over to a shop's own posts.
    """

    def __init__(self, *, c_complaint: float = 4.0, c_nb: float = 1.0, c_dense: float = 1.0,
                 c_gate: float = 10.0, c_cues: float = 1.0, max_random_rate: float = 0.04,
                 inner_folds: int = 5, seed: int = 0) -> None:
        self.c_complaint, self.c_nb, self.c_dense = c_complaint, c_nb, c_dense
        self.c_gate, self.c_cues = c_gate, c_cues
        self.max_random_rate = max_random_rate
        self.inner_folds, self.seed = inner_folds, seed
        self.thresholds: Thresholds | None = None

    def _ensemble(self) -> Ensemble:
        return Ensemble({
            "words": lambda: _logreg(self.c_complaint),
            "negated": lambda: _logreg(self.c_complaint),
            "nb": lambda: NBLogReg(self.c_nb),
            "dense": lambda: _logreg(self.c_dense, dual=False),
        })

    def _blocks(self, texts: Sequence[str], cue_rows: np.ndarray, fit: bool = False):
        from scipy.sparse import csr_matrix, hstack

        m = {name: (vec.fit_transform(texts) if fit else vec.transform(texts))
             for name, vec in self.vectorisers.items()}
        extra = np.array([pragmatics(t) for t in texts]).reshape(len(texts), N_PRAGMATICS)
        dense_part = csr_matrix(np.hstack([cue_rows, extra]))
        blocks = {
            "words": hstack([m["word"], m["char"], dense_part], format="csr"),
            "negated": hstack([m["negated"], m["char_wb"], dense_part], format="csr"),
            "nb": m["binary"].tocsr(),
            "dense": dense_part,
        }
        return blocks, hstack([m["raw"], m["handle"]], format="csr")

    @staticmethod
    def _rows(blocks: dict, index: np.ndarray) -> dict:
        return {name: x[index] for name, x in blocks.items()}

    def fit(self, texts: Sequence[str], labels: Sequence[int],
            domains: Sequence[str]) -> ComplaintModel:
        from sklearn.model_selection import StratifiedKFold

        texts = list(texts)
        y = np.asarray(labels, dtype=int)
        is_random = np.isin(np.asarray(domains), RANDOM_DOMAINS)
        cue_rows = np.array([dense(cues(t, "en")) for t in texts])
        self.vectorisers = _vectorisers()
        blocks, xg = self._blocks(texts, cue_rows, fit=True)
        in_gate = (~is_random).astype(int)

        # Out-of-fold scores for the thresholds. The vectorisers' vocabulary and IDF come from all
        # of the training texts here (no labels involved); the regressions never see their fold.
        oof = np.zeros((3, len(texts)))
        strata = [f"{d}:{label}" for d, label in zip(domains, y, strict=True)]
        folds = StratifiedKFold(self.inner_folds, shuffle=True, random_state=self.seed)
        for train, held in folds.split(texts, strata):
            annotated = train[~is_random[train]]
            oof[0, held] = self._ensemble().fit(
                self._rows(blocks, annotated), y[annotated]).decision_function(
                self._rows(blocks, held))
            oof[1, held] = _logreg(self.c_gate).fit(
                xg[train], in_gate[train]).decision_function(xg[held])
            oof[2, held] = _logreg(self.c_cues, dual=False).fit(
                cue_rows[train], y[train]).decision_function(cue_rows[held])
        self.thresholds = tune_thresholds(oof[0], oof[1], oof[2], y, is_random,
                                          self.max_random_rate)
        annotated = np.flatnonzero(~is_random)
        self.complaint = self._ensemble().fit(self._rows(blocks, annotated), y[annotated])
        self.gate = _logreg(self.c_gate).fit(xg, in_gate)
        self.cues = _logreg(self.c_cues, dual=False).fit(cue_rows, y)
        return self

    def cue_margins(self, cue_rows: np.ndarray) -> np.ndarray:
        """The language-independent regression's margins past its threshold."""
        if self.thresholds is None:
            raise RuntimeError("ComplaintModel.fit first")
        return self.cues.decision_function(cue_rows) - self.thresholds.cues

    def margins(self, texts: Sequence[str], cue_rows: np.ndarray,
                english: np.ndarray) -> np.ndarray:
        """Signed distance past the decision threshold (> 0: complaint), one per text."""
        if self.thresholds is None:
            raise RuntimeError("ComplaintModel.fit first")
        th = self.thresholds
        out = np.zeros(len(texts))
        en = np.flatnonzero(english)
        if len(en):
            blocks, xg = self._blocks([texts[i] for i in en], cue_rows[en])
            out[en] = np.minimum(self.complaint.decision_function(blocks) - th.complaint,
                                 self.gate.decision_function(xg) - th.gate)
        other = np.flatnonzero(~english)
        if len(other):
            margin = self.cue_margins(cue_rows[other])
            # The cue regression learnt its weights and threshold where only the English lexicon
            # fires; elsewhere a named problem (broken, late, refund, no answer...) said in a
            # negative tone is a complaint on its own. (On English posts this rule adds false
            # complaints among the random tweets, so it is not used there.)
            named = ((cue_rows[other, PROBLEM_FEATURE] > 0)
                     & (cue_rows[other, SENTIMENT_FEATURE] < 0))
            out[other] = np.where(named, np.maximum(margin, RULE_MARGIN), margin)
        return out


class ItalianModel:
    """Complaint or not for Italian posts, trained on ``italian_train.jsonl`` (posts the Arrosto
    developers wrote and labelled for training, kept apart from the evaluation set).

    One logistic regression over character 2-5-grams within words, the cue features read with
    the Italian lexicon, and the margin of the English corpus's cue regression (what the English
    data says about the same cues). Its decision threshold is 0 (balanced class weights); the
    choice of features and C was made by cross-validation on the training file alone.
    """

    def __init__(self, *, c: float = 4.0) -> None:
        self.c = c
        self.fitted = False

    def _matrix(self, texts: Sequence[str], cue_rows: np.ndarray, cue_margins: np.ndarray,
                fit: bool = False):
        from scipy.sparse import csr_matrix, hstack

        x = self.vectoriser.fit_transform(texts) if fit else self.vectoriser.transform(texts)
        return hstack([x, csr_matrix(cue_rows), csr_matrix(cue_margins[:, None])], format="csr")

    def fit(self, texts: Sequence[str], labels: Sequence[int],
            english: ComplaintModel) -> ItalianModel:
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = list(texts)
        self.english = english
        self.vectoriser = TfidfVectorizer(preprocessor=tfidf_text, analyzer="char_wb",
                                          ngram_range=(2, 5), sublinear_tf=True)
        cue_rows = np.array([dense(cues(t, "it")) for t in texts])
        x = self._matrix(texts, cue_rows, english.cue_margins(cue_rows), fit=True)
        self.model = _logreg(self.c).fit(x, np.asarray(labels, dtype=int))
        self.fitted = True
        return self

    def margins(self, texts: Sequence[str], cue_rows: np.ndarray) -> np.ndarray:
        """``cue_rows`` read with the Italian lexicon; > 0: complaint."""
        if not self.fitted:
            raise RuntimeError("ItalianModel.fit first")
        if not len(texts):
            return np.zeros(0)
        x = self._matrix(texts, cue_rows, self.english.cue_margins(cue_rows))
        return self.model.decision_function(x)


def load_corpus(path: Path = CORPUS) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The English complaints corpus: texts, labels (1 = complaint) and domains."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return ([r["text"] for r in rows], np.array([int(r["label"]) for r in rows]),
            np.array([r["domain"] for r in rows]))


def load_italian_training(path: Path = ITALIAN_TRAINING) -> tuple[list[str], np.ndarray]:
    """The Italian training posts: texts and labels (1 = complaint)."""
    with path.open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [r["text"] for r in rows], np.array([int(r["complaint"]) for r in rows])


# --- the classifier -------------------------------------------------------------------------------

class Classifier:
    """Intent, sentiment, language and complaint score of posts. Build with ``get_classifier()``
    (trains once per process, a few seconds) or from a fitted ``ComplaintModel`` (and, for
    Italian posts, an ``ItalianModel``; without one they are scored like other languages)."""

    def __init__(self, model: ComplaintModel, languages: LanguageGuesser | None = None,
                 italian: ItalianModel | None = None) -> None:
        self.model = model
        self.italian = italian
        self.languages = languages or LanguageGuesser()
        self._purchase = CATEGORIES.index("purchase")
        self._praise = CATEGORIES.index("praise")
        self._question = CATEGORIES.index("question")

    def classify(self, texts: Sequence[str]) -> list[Classification]:
        texts = [t if isinstance(t, str) else "" for t in texts]
        if not texts:
            return []
        langs = [self.languages.guess(t) for t in texts]
        found = [cues(t, lang if lang in ("it", "en") else None)
                 for t, lang in zip(texts, langs, strict=True)]
        rows = np.array([dense(c) for c in found], dtype=float).reshape(len(texts), N_DENSE)
        english = np.array([lang in ("en", None) for lang in langs])
        margins = self.model.margins(texts, rows, english)
        if self.italian is not None:
            it = np.flatnonzero([lang == "it" for lang in langs])
            if len(it):
                margins[it] = self.italian.margins([texts[i] for i in it], rows[it])
        out = []
        for lang, c, margin in zip(langs, found, margins, strict=True):
            sentiment = sentiment_of(c)
            score = 1.0 / (1.0 + math.exp(-float(np.clip(margin, -30, 30))))
            out.append(Classification(self.intent_of(c, score, sentiment), sentiment, lang,
                                      round(score, 4)))
        return out

    def intent_of(self, c: Cues, complaint_score: float, sentiment: float) -> str:
        """Complaints first (the shop must answer them), then what the writer wants to do."""
        if is_complaint(c, complaint_score):
            return "complaint"
        praise = c.counts[self._praise]
        if c.counts[self._purchase]:
            return "purchase_intent"
        if c.question_mark or c.question_opener:
            # "Miracolo? Comunque bravi": a rhetorical question inside plain praise
            if praise >= 2 and sentiment >= 0.5 and not c.question_opener:
                return "praise"
            return "question"
        if praise or sentiment >= 0.4:
            return "praise"
        return "other"


def is_complaint(c: Cues, complaint_score: float) -> bool:
    """The model's decision, except that a plain wish to buy ("just ordered, can't wait to try
    it") in a tone that is not negative stays a purchase unless the model is quite sure."""
    if complaint_score < 0.5:
        return False
    purchase = c.counts[CATEGORIES.index("purchase")]
    return not (purchase and c.valence >= 0 and complaint_score < 0.8)


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _trained() -> Classifier:
    texts, labels, domains = load_corpus()
    model = ComplaintModel().fit(texts, labels, domains)
    italian_texts, italian_labels = load_italian_training()
    italian = ItalianModel().fit(italian_texts, italian_labels, model)
    logger.info("complaint model trained on %d English posts (thresholds %s) and %d Italian posts",
                len(texts), model.thresholds, len(italian_texts))
    return Classifier(model, italian=italian)


def get_classifier() -> Classifier:
    """The process's classifier, trained from the shipped corpus on first use."""
    with _lock:
        return _trained()


def classify(texts: Sequence[str]) -> list[Classification]:
    return get_classifier().classify(texts)
