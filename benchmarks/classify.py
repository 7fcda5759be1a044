"""Speed of the trained post classifier (``arrosto.listening.classify``) on one core, against a
bare TF-IDF (word and character n-grams) + LogisticRegression in the same run on the same texts.

Keys: ``posts_per_s`` (batches of 256) and ``baseline_posts_per_s``; ``single_p50_ms`` and
``baseline_single_p50_ms`` (one post a call); ``first_result_s`` (a fresh Python process, from
start to the first classified post: imports, artifact, language detector and encoder loaded);
``load_seconds`` (reading the artifact alone, in that process); ``posts``. Goals: at least 200
posts/s, p50 under 20 ms, first result under 2 s.

    python benchmarks/classify.py [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit  # noqa: E402

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")  # one core, as promised

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugin"))

BATCH = 256
FRESH = """
import json, time
start = time.perf_counter()
from arrosto.listening import model
t = time.perf_counter(); model.shipped(); load = time.perf_counter() - t
from arrosto.listening.classify import get_classifier
get_classifier().classify(["Il mio ordine non è ancora arrivato, qualcuno mi risponde?"])
print(json.dumps({"first": time.perf_counter() - start, "load": load}))
"""


def texts(n: int) -> list[str]:
    from classifier_eval.legacy import load_corpus

    demo = ROOT / "plugin" / "arrosto" / "demo" / "data" / "posts.jsonl"
    pool = [json.loads(line)["text"] for line in demo.open(encoding="utf-8") if line.strip()]
    pool += load_corpus()[0]
    return [pool[i % len(pool)] for i in range(n)]


def rate(fn, items: list[str]) -> float:
    start = time.perf_counter()
    for i in range(0, len(items), BATCH):
        fn(items[i:i + BATCH])
    return len(items) / (time.perf_counter() - start)


def p50_ms(fn, items: list[str]) -> float:
    times = []
    for text in items:
        start = time.perf_counter()
        fn([text])
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 posts instead of 5,000")
    args = parser.parse_args()
    n = 1_000 if args.quick else 5_000

    fresh = json.loads(subprocess.run([sys.executable, "-c", FRESH], check=True,
                                      capture_output=True, text=True,
                                      cwd=ROOT).stdout.strip().splitlines()[-1])
    from classifier_eval.legacy import load_corpus

    from arrosto.listening.classify import get_classifier

    classifier = get_classifier()
    items = texts(n)
    classifier.classify(items[:50])  # warm caches before timing
    ours = rate(classifier.classify, items)
    single = p50_ms(classifier.classify, items[:300])

    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    corpus, labels, _ = load_corpus()
    word = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(corpus)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2,
                           sublinear_tf=True).fit(corpus)
    bare = LogisticRegression(max_iter=1000).fit(
        hstack([word.transform(corpus), char.transform(corpus)]).tocsr(), labels)

    def baseline_fn(batch):
        return bare.predict(hstack([word.transform(batch), char.transform(batch)]).tocsr())

    baseline = rate(baseline_fn, items)
    baseline_single = p50_ms(baseline_fn, items[:300])

    print(f"classified {n} posts: {ours:,.0f}/s, single post p50 {single:.1f} ms (bare TF-IDF + "
          f"LogReg: {baseline:,.0f}/s, p50 {baseline_single:.1f} ms); first result in a fresh "
          f"process {fresh['first']:.2f} s (artifact {fresh['load']:.2f} s)", file=sys.stderr)
    emit({"posts_per_s": round(ours, 1), "baseline_posts_per_s": round(baseline, 1),
          "single_p50_ms": round(single, 2), "baseline_single_p50_ms": round(baseline_single, 2),
          "first_result_s": round(fresh["first"], 2), "load_seconds": round(fresh["load"], 3),
          "posts": n})


if __name__ == "__main__":
    main()
