"""``arrosto classify``, ``arrosto eval`` and ``arrosto model``: classify a file of posts,
measure the models, train and show the shipped classifier."""
from __future__ import annotations

from pathlib import Path

import click

from .context import Context, find_shop, pass_ctx


@click.command("classify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-",
              show_default=True, help="Where to write the results (JSON lines).")
@click.option("--shop", "shop_ref", help="Match products of this shop's catalog (id or domain).")
@pass_ctx
def classify_cmd(ctx: Context, file: Path, output, shop_ref: str | None) -> None:
    """Classify the posts of a JSONL file ({"id", "text"} a line): intent, sentiment, language,
    and the shop's products they name (with --shop)."""
    import json

    from ..listening.classify import classify_posts

    match = None
    if shop_ref:
        from ..listening.match import Matcher
        from ..models import Shop

        shop = find_shop(ctx, shop_ref)
        with ctx.db.transaction(shop.id) as s:
            matcher = Matcher.for_shop(s, s.get(Shop, shop.id))

        def match(text: str) -> list:
            return [m.product_id for m in matcher.match(text) if m.product_id is not None]

    def posts():
        with file.open(encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    post = json.loads(line)
                except ValueError:
                    click.echo(f"  skipped line {n}: not JSON", err=True)
                    continue
                if not isinstance(post, dict):
                    click.echo(f"  skipped line {n}: not an object", err=True)
                    continue
                yield post

    for result in classify_posts(posts(), match=match):
        result.pop("complaint_score", None)
        output.write(json.dumps(result, ensure_ascii=False) + "\n")


@click.group("eval")
def eval_() -> None:
    """Measure Arrosto's models (from a source checkout: the evaluation code and its data live in
    benchmarks/, not in the installed package)."""


def _benchmarks_on_path() -> None:
    """Put the checkout's ``benchmarks/`` on ``sys.path``, or say why it cannot be done."""
    import sys

    import arrosto

    benchmarks = Path(arrosto.__file__).resolve().parents[2] / "benchmarks"
    if not (benchmarks / "classifier_eval" / "evaluate.py").is_file():
        raise click.ClickException(
            "arrosto eval runs from a source checkout: its code and data (benchmarks/"
            "classifier_eval) are not installed with the package")
    if str(benchmarks) not in sys.path:
        sys.path.insert(0, str(benchmarks))


@eval_.command("classifier")
@click.option("--k", default=5, show_default=True, type=click.IntRange(0, 20),
              help="Folds of the cross-validation of the architecture on the English "
                   "complaints corpus (0: skip it, a few minutes).")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def eval_classifier(k: int, seed: int, as_json: bool) -> None:
    """The trained classifier's figures on held-out splits of real data, each beside the legacy
    classifier's on the same split: complaints corpus, positive tweets called complaints,
    sentiment macro-F1 on XLM-T validation tweets in six languages."""
    import json

    _benchmarks_on_path()
    from classifier_eval.evaluate import compare, format_comparison

    report = compare(k=k, seed=seed, progress=lambda m: click.echo(f"  {m}", err=True))
    click.echo(json.dumps(report, indent=1) if as_json else format_comparison(report))


@click.group("model")
def model_() -> None:
    """The trained post classifier: train it, show what is shipped."""


@model_.command("train")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the artifact (default: the package's listening/data/model).")
@click.option("--data", "data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The labelled data folder (nlu/ with xlm-t-sentiment/ and cesamard/).")
def model_train(output: Path | None, data_dir: Path | None) -> None:
    """Train the sentiment and complaint heads on the licensed sources and write the versioned
    artifact (joblib + manifest.json). About a minute on one core."""
    import time

    from ..listening import model

    start = time.perf_counter()
    fitted = model.train(root=data_dir, progress=lambda m: click.echo(
        f"  [{time.perf_counter() - start:5.1f} s] {m}", err=True))
    path = model.save(fitted, output or model.ARTIFACT)
    click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in "
               f"{time.perf_counter() - start:.0f} s; sources: "
               + ", ".join(f"{k} ({v['licence']})" for k, v in model.SOURCES.items()))


@model_.command("show")
def model_show() -> None:
    """Print the shipped artifact's manifest (version, sources and licences, sizes)."""
    import json

    from ..listening import model

    path = model.ARTIFACT / "manifest.json"
    if not path.exists():
        raise click.ClickException("no trained model: run `arrosto model train`")
    click.echo(json.dumps(json.loads(path.read_text()), indent=1))
