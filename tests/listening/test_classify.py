"""The post classifier (the trained model of listening/model.py behind get_classifier()):
intents, languages, sentiment, the intent decision and its signals. Its figures on real data are
in ``arrosto eval classifier`` (docs/classifier.md), not asserted here; speed is in
benchmarks/classify.py."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arrosto.listening.classify import (
    INTENTS,
    SENTIMENTS,
    Classification,
    Classifier,
    classify_posts,
    decide,
    get_classifier,
)


@pytest.fixture(scope="module")
def classifier():
    return get_classifier()


def intents(classifier, texts):
    return [r.intent for r in classifier.classify(texts)]


# Written for these tests, not taken from the Italian evaluation set or the demo posts.
@pytest.mark.parametrize("text, intent", [
    ("Ho ordinato le tazzine tre settimane fa e non sono mai arrivate, nessuno risponde alle "
     "mail. Vergognoso", "complaint"),
    ("Il frullatore è arrivato rotto e il rimborso ancora non si vede. Pessimo servizio",
     "complaint"),
    ("Quanto costa la spedizione per Torino? Spedite anche il sabato?", "question"),
    ("Le sneakers sono comodissime, consegna velocissima. Bravi, lo consiglio!", "praise"),
    ("Devo assolutamente provare il vostro decaffeinato, al prossimo ordine lo prendo",
     "purchase_intent"),
    ("Stasera guardo la partita con gli amici", "other"),
    ("@AcmeHelp my parcel never arrived and your support has ignored me for two weeks. "
     "Absolutely ridiculous", "complaint"),
    ("Do you ship to Ireland, and how long does delivery usually take?", "question"),
    ("Love this blend, best espresso I've had at home. Thank you!", "praise"),
    ("Just ordered the tasting box, can't wait to try it", "purchase_intent"),
])
def test_clear_intents(classifier, text, intent):
    assert intents(classifier, [text]) == [intent]


@pytest.mark.parametrize("text, lang", [
    ("Buongiorno, vorrei sapere quando arriva il mio ordine di caffè", "it"),
    ("Good morning, I would like to know when my coffee order arrives", "en"),
    ("¿Cuándo llega mi pedido? Lo compré hace una semana en la tienda online", "es"),
    ("Bonjour, quand est-ce que ma commande arrivera chez moi ?", "fr"),
    ("Wann kommt meine Bestellung an? Ich warte schon seit einer Woche", "de"),
    ("grazie mille", "it"),
    ("thanks a lot", "en"),
    ("😂😂😂", None),
    ("", None),
])
def test_languages(classifier, text, lang):
    assert classifier.classify([text])[0].lang == lang


def test_sentiment_sign(classifier):
    good, bad, flat = classifier.classify([
        "Caffè buonissimo, servizio eccellente, grazie!",
        "Pacco danneggiato e assistenza pessima, che schifo",
        "Il pacco arriva domani",
    ])
    assert good.sentiment > 0.3 and bad.sentiment < -0.3 and bad.sentiment < flat.sentiment
    assert flat.sentiment < good.sentiment
    assert (good.sentiment_label, bad.sentiment_label) == ("positive", "negative")


def test_deterministic(classifier):
    texts = ["Ordine in ritardo, nessuna risposta", "love it", "boh", "Is it decaf?"] * 5
    assert classifier.classify(texts) == classifier.classify(texts)
    assert classifier.classify(texts[:1])[0] == classifier.classify(texts)[0]  # batch-free


def test_classify_posts_lines(classifier):
    out = list(classify_posts([{"id": "1", "text": "Spedite in Svizzera?"}, {"id": 2}],
                              match=lambda text: [7004] if "Svizzera" in text else []))
    assert [o["id"] for o in out] == ["1", 2]
    assert out[0]["intent"] == "question" and out[0]["products"] == [7004]
    assert out[1]["products"] == [] and out[1]["intent"] in INTENTS


@given(st.one_of(st.text(), st.text(min_size=1, max_size=64).map(lambda s: (s * 10_240)[:10_240]),
                 st.sampled_from(["", " ", "🙃🙃", "???", "!!!", "@user", "http://x.y", "\x00"])))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.data_too_large])
def test_any_text_gives_a_classification(text):
    (result,) = get_classifier().classify([text])
    assert isinstance(result, Classification)
    assert result.intent in INTENTS
    assert -1.0 <= result.sentiment <= 1.0
    assert 0.0 <= result.complaint_score <= 1.0
    assert result.lang is None or (isinstance(result.lang, str) and len(result.lang) == 2)


def test_new_fields_and_old_constructor(classifier):
    (result,) = classifier.classify(["Ordine arrivato rotto, nessuna risposta dal negozio"])
    assert result.sentiment_label in SENTIMENTS
    assert isinstance(result.signals, frozenset) and isinstance(result.aspects, tuple)
    old = Classification("other", 0.0, "it", 0.1)
    assert (old.sentiment_label, old.signals, old.aspects) == ("neutral", frozenset(), ())


@pytest.mark.parametrize("score, label, signals, question, purchase, intent", [
    (0.99, "negative", {"restock_request"}, True, False, "question"),
    (0.99, "negative", {"restock_request"}, False, False, "purchase_intent"),
    (0.99, "negative", {"resolved"}, False, False, "praise"),
    (0.99, "neutral", {"resolved"}, False, False, "praise"),
    (0.99, "positive", set(), False, False, "praise"),
    (0.99, "positive", set(), True, False, "question"),
    (0.6, "negative", set(), True, False, "complaint"),
    (0.6, "neutral", set(), True, False, "question"),
    (0.9, "neutral", set(), True, False, "complaint"),
    (0.2, "neutral", set(), False, True, "purchase_intent"),
    (0.2, "neutral", set(), False, False, "other"),
])
def test_decision(score, label, signals, question, purchase, intent):
    """A restock request or a resolved thank-you is never a complaint, nor is a positive post."""
    assert decide(score, label, frozenset(signals), question, purchase) == intent


def test_signals_steer_the_intent(classifier):
    text = "Il mio ordine è arrivato rotto e nessuno risponde, vergogna"
    plain = Classifier(classifier.model, classifier.languages, detect=lambda t, lang: (
        frozenset(), ()))
    restock = Classifier(classifier.model, classifier.languages, detect=lambda t, lang: (
        frozenset({"restock_request"}), ("delivery",)))
    assert plain.classify([text])[0].intent == "complaint"
    result = restock.classify([text])[0]
    assert result.intent == "purchase_intent" and result.aspects == ("delivery",)
    assert result.signals == frozenset({"restock_request"})
