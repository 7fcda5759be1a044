"""Posts classified per second by ``arrosto.listening.classify`` on one core, model loaded once.

N posts (the demo posts and the English corpus, repeated to N) go through ``Classifier.classify``
in batches of 500. Baseline, measured in the same run on the same texts: a bare TF-IDF (word and
character n-grams) + LogisticRegression predict. Keys: ``posts_per_s``, ``baseline_posts_per_s``,
``ratio`` (ours / baseline), ``load_seconds`` (training at first use), ``posts``. Goal: at least
200 posts/s.

    python benchmarks/classify.py [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit  # noqa: E402

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")  # one core, as promised

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugin"))

BATCH = 500


def texts(n: int) -> list[str]:
    from arrosto.listening.classify import load_corpus

    demo = ROOT / "plugin" / "arrosto" / "demo" / "data" / "posts.jsonl"
    pool = [json.loads(line)["text"] for line in demo.open(encoding="utf-8") if line.strip()]
    pool += load_corpus()[0]
    return [pool[i % len(pool)] for i in range(n)]


def rate(fn, items: list[str]) -> float:
    start = time.perf_counter()
    for i in range(0, len(items), BATCH):
        fn(items[i:i + BATCH])
    return len(items) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 posts instead of 20,000")
    args = parser.parse_args()
    n = 2_000 if args.quick else 20_000

    start = time.perf_counter()
    from arrosto.listening.classify import get_classifier, load_corpus

    classifier = get_classifier()
    load_seconds = time.perf_counter() - start
    items = texts(n)
    classifier.classify(items[:50])  # warm caches before timing
    ours = rate(classifier.classify, items)

    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    corpus, labels, _ = load_corpus()
    word = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(corpus)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2,
                           sublinear_tf=True).fit(corpus)
    bare = LogisticRegression(max_iter=1000).fit(
        hstack([word.transform(corpus), char.transform(corpus)]).tocsr(), labels)
    baseline = rate(lambda batch: bare.predict(
        hstack([word.transform(batch), char.transform(batch)]).tocsr()), items)

    print(f"classified {n} posts: {ours:,.0f}/s (bare TF-IDF + LogReg: {baseline:,.0f}/s); "
          f"model trained in {load_seconds:.1f} s", file=sys.stderr)
    emit({"posts_per_s": round(ours, 1), "baseline_posts_per_s": round(baseline, 1),
          "ratio": round(ours / baseline, 3), "load_seconds": round(load_seconds, 2),
          "posts": n})


if __name__ == "__main__":
    main()
