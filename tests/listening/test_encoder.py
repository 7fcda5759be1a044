"""The sentence encoder embeds a text once: the shop's overlay reads the rows the classifier has
just computed for the same posts."""
from __future__ import annotations

import numpy as np

from arrosto.listening import encoder


class CountingModel:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts):
        self.seen += texts
        return np.array([[len(t), 1.0] + [0.0] * (encoder.DIMENSIONS - 2) for t in texts])


def test_recent_texts_are_not_embedded_again(monkeypatch):
    model = CountingModel()
    monkeypatch.setattr(encoder, "_encoder", lambda: model)
    monkeypatch.setattr(encoder, "_recent", type(encoder._recent)())
    first = encoder.embed(["il pacco è arrivato rotto", "grazie!", "grazie!"])
    again = encoder.embed(["grazie!", "il pacco è arrivato rotto", "nuovo"])
    assert model.seen == ["il pacco è arrivato rotto", "grazie!", "nuovo"]
    assert np.allclose(again[0], first[1]) and np.allclose(again[1], first[0])
    assert np.allclose(np.linalg.norm(again, axis=1), 1.0)
