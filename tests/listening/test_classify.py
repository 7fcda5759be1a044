"""The post classifier: intents, languages, sentiment, speed, and its cross-validated figures."""
from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arrosto.listening.classify import (
    EN_PRAGMATICS,
    INTENTS,
    ITALIAN_TRAINING,
    Classification,
    classify_posts,
    cues,
    get_classifier,
    negated_text,
    pragmatics,
    sentiment_of,
)
from arrosto.listening.evaluate import (
    ITALIAN,
    evaluate_complaints,
    evaluate_italian,
    format_report,
    load_italian,
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
    assert good.sentiment > 0.3 and bad.sentiment < -0.3 and flat.sentiment == 0
    assert sentiment_of(cues("not good at all", "en")) < 0


def test_deterministic(classifier):
    texts = ["Ordine in ritardo, nessuna risposta", "love it", "boh", "Is it decaf?"] * 5
    assert classifier.classify(texts) == classifier.classify(texts)
    assert classifier.classify(texts[:1])[0] == classifier.classify(texts)[0]  # batch-free


def test_speed_floor(classifier):
    texts = [f"Il mio ordine n. {i} è in ritardo, qualcuno mi risponde?" if i % 2 else
             f"Order #{i} arrived today, the beans smell amazing!" for i in range(400)]
    start = time.perf_counter()
    classifier.classify(texts)
    assert len(texts) / (time.perf_counter() - start) >= 200


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


def test_english_features():
    assert negated_text("@UPSHelp still not working, thanks") == (
        "@user still not working_NEG , thanks")
    why, thanks = pragmatics("Why does my order keep failing?"), pragmatics("thanks, will do")
    rhetorical, reply = list(EN_PRAGMATICS).index("rhetorical"), list(EN_PRAGMATICS).index("reply")
    assert why[rhetorical] > 0 and why[reply] == 0
    assert thanks[reply] > 0 and thanks[rhetorical] == 0


@pytest.mark.slow
def test_english_cross_validated_figures():
    """The issue's targets, on the nested 10-fold cross-validation of the shipped corpus that
    docs/classifier.md reports (seed 0; about 20 s). Seeds 1 and 2 are in the docs."""
    report = evaluate_complaints(k=10, seed=0)
    print(format_report(report))
    assert report.macro_f1 >= 0.80
    assert report.random_complaint_rate <= 0.05
    assert report.per_class["complaint"].precision >= 0.80


def five_grams(text: str) -> set[str]:
    text = " ".join(text.lower().split())
    return {text[i:i + 5] for i in range(len(text) - 4)}


def test_italian_training_set_is_not_the_evaluation_set():
    """The Italian model trains on italian_train.jsonl only; no post there is one of the
    evaluation set's or a close rewording of one (character 5-gram Jaccard under 0.3)."""
    train, held = load_italian(ITALIAN_TRAINING), load_italian(ITALIAN)
    assert len(train) >= 300 and len(held) >= 200
    assert not {r["id"] for r in train} & {r["id"] for r in held}
    held_grams = [five_grams(r["text"]) for r in held]
    for row in train:
        grams = five_grams(row["text"])
        closest = max(len(grams & h) / len(grams | h) for h in held_grams)
        assert closest < 0.3, row["text"]
    for row in train:
        assert row["intent"] in INTENTS and row["complaint"] == int(row["intent"] == "complaint")


def test_italian_figures(classifier):
    """Floors a little under what the model reaches (docs/classifier.md has the figures)."""
    report = evaluate_italian(classifier)
    print(format_report(report))
    assert report.posts >= 220
    assert report.macro_f1 >= 0.82
    assert report.per_class["complaint"].precision >= 0.75
    assert report.per_class["complaint"].recall >= 0.85
    assert report.per_class["complaint"].f1 >= 0.80
    assert report.intent_accuracy >= 0.75
