"""What the lexicons say about a post: counts of opinion, problem, service, request, question,
praise and purchase cues, a polarity score and surface marks (question marks, capitals, handles),
as plain features for the trained model (``model.cue_features``), never as rules over it; and the
language guesser. The word lists are data (``data/lexicons.json``), written from general
knowledge of how people write about orders and products, not fitted to an evaluation set."""
from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..text import fold as fold_letters

LEXICON_FILE = Path(__file__).parent / "data" / "lexicons.json"
LANGUAGES = ("it", "en", "es", "fr", "de", "pt")
CATEGORIES = ("neg", "pos", "problem", "waiting", "service", "request", "negation", "question",
              "praise", "purchase")

with LEXICON_FILE.open(encoding="utf-8") as _f:
    _DATA = json.load(_f)
EMOJI: dict[str, float] = _DATA["emoji"]
NEGATORS = frozenset(_DATA["negators"])
#: words that open a direct question, by language (the cues read the Italian and English ones)
QUESTION_OPENERS: dict[str, frozenset[str]] = {
    lang: frozenset(words) for lang, words in _DATA["question_openers"].items()}
_CUE_OPENERS = {lang: QUESTION_OPENERS[lang] for lang in ("en", "it")}
FUNCTION_WORDS = {lang: frozenset(words) for lang, words in _DATA["function_words"].items()}

TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[?!,;:]")
URL = re.compile(r"https?://\S+|www\.\S+")
MENTION = re.compile(r"@\w+")
ELONGATED = re.compile(r"([a-z])\1{2,}")
_PHONE_ACCENT = re.compile(r"([a-z])'(?=\s|$|[.,!?;:])")


def fold(text: str) -> str:
    """``arrosto.text.fold`` without URLs, with handles as "@user", the phone accents ("perche'",
    "e'") without their apostrophe and no "sooooo"."""
    folded = fold_letters(MENTION.sub(" @user ", URL.sub(" ", text)))
    return ELONGATED.sub(r"\1\1", _PHONE_ACCENT.sub(r"\1", folded))


class Lexicon:
    """Word, prefix and phrase entries of one language, counted by category in one pass."""

    def __init__(self, *tables: dict[str, dict[str, float]], purchase: Iterable[str] = ()):
        self.words: dict[str, list[tuple[int, float]]] = {}
        self.prefixes: dict[str, list[tuple[int, float]]] = {}
        self.phrases: dict[str, list[tuple[int, float]]] = {}
        patterns: dict[str, list[tuple[int, float]]] = {}
        for table in tables:
            for category, entries in table.items():
                c = CATEGORIES.index(category)
                for entry, valence in entries.items():
                    if " " in entry or not re.fullmatch(r"[a-z0-9']+\*?", entry):
                        target = patterns if entry.endswith("*") else self.phrases
                    elif entry.endswith("*"):
                        target, entry = self.prefixes, entry[:-1]
                    else:
                        target = self.words
                    target.setdefault(entry, []).append((c, float(valence)))
        self.prefix_lengths = sorted({len(p) for p in self.prefixes}, reverse=True)
        alternation = "|".join(re.escape(p) for p in sorted(self.phrases, key=len, reverse=True))
        self.phrase_re = re.compile(rf"\b(?:{alternation})\b") if alternation else None
        self.patterns = [(re.compile(r"\b" + re.escape(p[:-1]) + r"\w*"), info)
                         for p, info in patterns.items()]
        self.purchase_re = (re.compile("|".join(f"(?:{p})" for p in purchase))
                            if purchase else None)

    def lookup(self, token: str) -> list[tuple[int, float]]:
        hit = self.words.get(token)
        if hit is not None:
            return hit
        for n in self.prefix_lengths:
            if n > len(token):
                continue
            hit = self.prefixes.get(token[:n])
            if hit is not None:
                return hit
        return []


@dataclass(slots=True)
class Cues:
    counts: list[float]
    valence: float
    question_mark: bool
    question_opener: bool
    exclamations: int
    caps_words: int
    mentions: int
    starts_with_mention: bool
    tokens: int


def build_lexicons() -> dict[str, Lexicon]:
    en, it = _DATA["words"]["en"], _DATA["words"]["it"]
    purchase = _DATA["purchase"]
    return {"en": Lexicon(en, purchase=purchase["en"]),
            "it": Lexicon(it, purchase=purchase["it"]),
            "*": Lexicon(en, it, purchase=purchase["en"] + purchase["it"])}


LEXICONS = build_lexicons()


def cues(text: str, lang: str | None) -> Cues:
    """Lexicon counts and surface marks of one post, in the lexicon of ``lang`` (both if unsure)."""
    lex = LEXICONS.get(lang or "*", LEXICONS["*"])
    folded = fold(text)
    counts = [0.0] * len(CATEGORIES)
    valence = 0.0
    tokens = TOKEN.findall(folded)
    negated_until = -1
    for i, tok in enumerate(tokens):
        if tok in ",;:":
            negated_until = -1  # "non arrivato, vergogna": a negation stops at the comma
            continue
        bare = tok.replace("'", "")
        hits = lex.lookup(tok) or lex.lookup(bare)
        if not hits and "'" in tok:
            hits = lex.lookup(tok.split("'", 1)[1])  # Italian elision: l'ordine, dell'app
        for c, v in hits:
            counts[c] += 1
            # "not good" counts against, "not bad" only half for (people rarely mean praise)
            valence += (-v * (0.5 if v < 0 else 1.0)) if i <= negated_until and v else v
        if bare in NEGATORS or tok.endswith("n't"):
            negated_until = i + 3
    if lex.phrase_re is not None:
        for m in lex.phrase_re.finditer(folded):
            for c, v in lex.phrases[m.group(0)]:
                counts[c] += 1
                valence += v
    for pattern, info in lex.patterns:
        if pattern.search(folded):
            for c, v in info:
                counts[c] += 1
                valence += v
    if lex.purchase_re is not None:
        counts[CATEGORIES.index("purchase")] += len(lex.purchase_re.findall(folded))
    if not text.isascii():
        for ch in text:
            v = EMOJI.get(ch)
            if v is not None:
                valence += v
                counts[0 if v < 0 else 1] += 1
    sentences = re.split(r"[.!?\n]+", folded)
    openers = _CUE_OPENERS.get(lang or "", _CUE_OPENERS["en"] | _CUE_OPENERS["it"])
    question_opener = False
    for s in sentences:
        words = [w for w in TOKEN.findall(s) if w != "@user" and w not in ",;:"]
        if words and words[0] in openers and len(words) > 2:
            question_opener = True
            break
    words = text.split()
    return Cues(
        counts=counts, valence=valence, question_mark="?" in text,
        question_opener=question_opener, exclamations=text.count("!"),
        caps_words=sum(1 for w in words if len(w) > 2 and w.isupper() and w.isalpha()),
        mentions=folded.count("@user"), starts_with_mention=folded.lstrip().startswith("@user"),
        tokens=sum(1 for t in tokens if t not in ",;:"))


def sentiment_of(c: Cues) -> float:
    """VADER-style squashing of the summed polarity into [-1, 1]."""
    return round(c.valence / math.sqrt(c.valence * c.valence + 8.0), 4) if c.valence else 0.0


N_DENSE = len(CATEGORIES) + 10


def dense(c: Cues) -> list[float]:
    """The cue features the models see: the same meaning in every language the lexicons cover."""
    log1p = math.log1p
    return [*(log1p(n) for n in c.counts),
            max(-c.valence, 0.0) / 4.0, max(c.valence, 0.0) / 4.0, sentiment_of(c),
            float(c.question_mark), float(c.question_opener), log1p(c.exclamations),
            log1p(c.caps_words), log1p(c.mentions), float(c.starts_with_mention),
            log1p(c.tokens) / 4.0]


LINGUA_CODES = {"it": "ITALIAN", "en": "ENGLISH", "es": "SPANISH", "fr": "FRENCH",
                "de": "GERMAN", "pt": "PORTUGUESE"}
LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)


class LanguageGuesser:
    """lingua restricted to six languages, in low-accuracy mode (trigram models only: about
    15 MB instead of 180 MB), helped by function-word votes between Italian and English."""

    def __init__(self, languages: Sequence[str] = LANGUAGES) -> None:
        from lingua import Language, LanguageDetectorBuilder

        self.languages = tuple(languages)
        chosen = [getattr(Language, LINGUA_CODES[code]) for code in self.languages]
        self.detector = (LanguageDetectorBuilder.from_languages(*chosen)
                         .with_low_accuracy_mode().build())
        self.codes = {lang: code for lang, code in zip(chosen, self.languages, strict=True)}

    def guess(self, text: str) -> str | None:
        body = MENTION.sub(" ", URL.sub(" ", text))
        letters = len(LETTERS.findall(body))
        if letters < 2:
            return None
        words = TOKEN.findall(fold(body))
        votes = {lang: sum(w in vocab for w in words) for lang, vocab in FUNCTION_WORDS.items()}
        it, en = votes["it"], votes["en"]
        if len(words) < 4 or letters < 20:
            # lingua is unreliable on a handful of letters: trust the function words, if any
            if it != en:
                return "it" if it > en else "en"
            if letters < 8:
                return None
        found = self.detector.detect_language_of(body)
        lang = self.codes.get(found) if found is not None else None
        # low-accuracy mode sometimes takes a brand name or an English loanword for a language
        # (only between the two: Spanish shares "la", "una", "mi" with Italian)
        if lang in ("it", "en", None) and max(it, en) >= 2 and max(it, en) >= 2 * min(it, en) + 1:
            return "it" if it > en else "en"
        return lang
