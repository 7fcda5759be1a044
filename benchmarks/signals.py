"""Signals and aspects on CESAMARD's held-out 20 % (stratified by sarcasm, fixed seed): sarcasm
F1 of the patterns, of the trained head and of both; per-aspect precision/recall of the lexicons;
and the speed of ``detect`` (patterns only). Prints one JSON line.

    OMP_NUM_THREADS=1 python benchmarks/signals.py [--save-head]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import emit  # noqa: E402
from classifier_eval import signals_eval  # noqa: E402

from arrosto.listening import signals  # noqa: E402

XLMT = {"italian": "it", "english": "en", "spanish": "es", "french": "fr", "german": "de",
        "portuguese": "pt"}


def tweets() -> list[tuple[str, str]]:
    """XLM-T's validation tweets in six languages (real posts, for speed and firing rates)."""
    out = []
    for folder, lang in XLMT.items():
        path = signals_eval.NLU_DATA / "xlm-t-sentiment" / folder / "val_text.txt"
        out += [(t, lang) for t in path.read_text(encoding="utf-8").splitlines()]
    return out


def speed(posts: list[tuple[str, str | None]], rounds: int = 3) -> float:
    """Microseconds a post for ``detect`` without the encoder (best of ``rounds``)."""
    signals.detect("warm up", None)
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for text, lang in posts:
            signals.detect(text, lang)
        best = min(best, (time.perf_counter() - start) / len(posts))
    return round(best * 1e6, 1)


def main() -> None:
    result = signals_eval.evaluate(save_head="--save-head" in sys.argv)
    posts = tweets()
    result["detect_us_per_tweet_with_lang"] = speed(posts)
    result["detect_us_per_tweet_lang_none"] = speed([(t, None) for t, _ in posts])
    # no labels for these: how often each signal fires on ordinary tweets, to read by eye
    found = [signals.detect(t, lang)[0] for t, lang in posts]
    result["xlmt_val_tweets"] = len(posts)
    result["xlmt_firing_rate"] = {s: round(sum(s in f for f in found) / len(posts), 4)
                                  for s in signals.SIGNALS}
    if "--save-head" in sys.argv:
        signals.sarcasm_head.cache_clear()
    from arrosto.listening.encoder import embed

    vectors = embed([t for t, _ in posts])
    tagged = signals.detect_many([t for t, _ in posts], [lang for _, lang in posts], vectors)
    result["xlmt_firing_rate_with_head"] = {
        s: round(sum(s in f for f, _ in tagged) / len(posts), 4) for s in signals.SIGNALS}
    emit(result)


if __name__ == "__main__":
    main()
