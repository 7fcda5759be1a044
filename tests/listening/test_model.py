"""The trained model's shipped form: numpy arrays that score like the scikit-learn model they
come from, and an artifact that lists only licensed sources."""
from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from arrosto.listening import model

TEXTS = ["Ordine arrivato rotto, vergogna", "Love it, thanks!", "Where is my parcel???",
         "Il caffè è buonissimo  grazie", "meh", "a", "", "Wann kommt meine Bestellung?"] * 3


def test_compiled_scores_like_scikit_learn(tmp_path):
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(TEXTS), 512)).astype(np.float32)
    features = model.Features().fit(TEXTS * 3)
    x = features.transform(TEXTS, vectors)
    fitted = model.Model(features,
                         LogisticRegression(max_iter=500).fit(x, np.arange(len(TEXTS)) % 3),
                         LogisticRegression(max_iter=500).fit(x, np.arange(len(TEXTS)) % 2),
                         {"version": model.VERSION})
    model.save(fitted, tmp_path)
    compiled = model.load(tmp_path)
    a, b = fitted.predict(TEXTS, embeddings=vectors), compiled.predict(TEXTS, embeddings=vectors)
    assert np.allclose(a.sentiment, b.sentiment, atol=1e-5)
    assert np.allclose(a.complaint, b.complaint, atol=1e-5)


def test_missing_artifact(tmp_path):
    with pytest.raises(model.ArtifactMissing):
        model.load(tmp_path)


def test_shipped_manifest_lists_licensed_sources_only():
    manifest = json.loads((model.ARTIFACT / "manifest.json").read_text())
    assert manifest["version"] == model.VERSION
    assert set(manifest["sources"]) <= set(model.SOURCES)
    assert not any("complaints" in k for k in manifest["training_sizes"])
