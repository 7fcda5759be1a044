"""The previous post classifier (lexicons + TF-IDF ensembles, trained at first use), kept to compare
the trained model against it (``arrosto eval classifier``) and for its lexicon cues and language
guesser, which the new model reuses. Not used to classify posts any more.


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
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

DATA = Path(__file__).parent / "data"
CORPUS = DATA / "complaints_train.csv"
ITALIAN_TRAINING = DATA / "italian_train.jsonl"
INTENTS = ("complaint", "question", "praise", "purchase_intent", "other")
LANGUAGES = ("it", "en", "es", "fr", "de", "pt")
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


# --- lexicons -------------------------------------------------------------------------------------
# Entries are folded like the text (lower case, no accents). A trailing "*" matches any ending
# (Italian inflection: "rott*" covers rotto, rotta, rotti, rotte). Phrases are matched on word
# boundaries. The number is the entry's polarity for the sentiment score (0: a cue, no polarity).

EN_WORDS: dict[str, dict[str, float]] = {
    "neg": {
        "bad": -1, "worse": -2, "worst": -2, "terrible": -2, "awful": -2, "horrible": -2,
        "horrendous": -2, "poor": -1, "poorly": -1, "pathetic": -2, "useless": -2, "rubbish": -2,
        "crap": -2, "crappy": -2, "shit": -2, "shitty": -2, "sucks": -2, "suck": -1, "hate": -2,
        "hated": -2, "disappointed": -2, "disappointing": -2, "disappointment": -2, "annoyed": -1,
        "annoying": -1, "angry": -2, "furious": -2, "upset": -1, "frustrated": -2,
        "frustrating": -2, "sad": -1, "unhappy": -2, "ridiculous": -2, "unacceptable": -2,
        "disgrace": -2, "disgraceful": -2, "disgusting": -2, "shameful": -2, "shame": -1,
        "joke": -1, "nightmare": -2, "fail": -2, "failed": -2, "fails": -2, "failure": -2,
        "mess": -1, "incompetent": -2, "rude": -2, "scam": -2, "lie": -1, "lied": -2, "lies": -1,
        "misleading": -2, "overpriced": -1, "expensive": -1, "ugh": -1, "wtf": -2, "smh": -1,
        "fed": 0, "sick": -1, "tired": -1, "stupid": -2, "wrong": -1, "problem": -1,
        "problems": -1, "issue": -1, "issues": -1, "error": -1, "errors": -1, "bug": -1,
        "bugs": -1, "pain": -1, "unfortunately": -1, "sadly": -1, "cold": 0, "stale": -1,
        "bitter": -1, "burnt": -1, "tasteless": -2, "bland": -1, "gross": -2, "hopeless": -2,
        "never": 0, "nobody": 0, "waste": -2, "wasted": -2, "ruined": -2, "ruin": -1,
        "complaint": -1, "complain": -1, "complaining": -1, "cheated": -2, "ripped": -1,
    },
    "pos": {
        "good": 1, "great": 2, "excellent": 2, "amazing": 2, "awesome": 2, "fantastic": 2,
        "wonderful": 2, "brilliant": 2, "perfect": 2, "perfectly": 2, "love": 2, "loved": 2,
        "loving": 2, "loves": 2, "lovely": 2, "like": 0, "nice": 1, "best": 2, "better": 1,
        "happy": 2, "glad": 1, "pleased": 2, "delighted": 2, "delicious": 2, "tasty": 2,
        "yummy": 2, "superb": 2, "outstanding": 2, "impressed": 2, "impressive": 2,
        "recommend": 2, "recommended": 2, "thanks": 1, "thank": 1, "thx": 1, "ty": 1,
        "helpful": 2, "friendly": 1, "quick": 1, "fast": 1, "smooth": 1, "beautiful": 2,
        "gorgeous": 2, "favourite": 2, "favorite": 2, "fav": 2, "enjoy": 1, "enjoyed": 2,
        "enjoying": 1, "kudos": 2, "cheers": 1, "yay": 2, "wow": 1, "stunning": 2,
        "obsessed": 2, "addicted": 1, "fresh": 1, "flawless": 2, "cool": 1,
        "fine": 0, "appreciate": 2, "appreciated": 2, "grateful": 2, "rich": 1,
        "heaven": 2, "divine": 2, "legend": 2, "legends": 2, "top": 1, "solid": 1,
        "unreal": 2, "incredible": 2, "10/10": 2, "chef's kiss": 2, "spot on": 2,
        "well done": 2, "good job": 2, "great job": 2, "appreciation": 1,
    },
    "problem": {
        "broken": -2, "broke": -1, "damaged": -2, "damage": -1, "smashed": -2, "cracked": -2,
        "leaking": -2, "leaks": -1, "faulty": -2, "defective": -2, "late": -1, "delay": -1,
        "delayed": -1, "delays": -1, "missing": -1, "lost": -1, "refund": -1, "refunded": 0,
        "cancelled": -1, "canceled": -1, "overcharged": -2, "charged": -1, "stuck": -1,
        "crash": -1, "crashes": -1, "crashing": -1, "outage": -2, "down": 0, "freezes": -1,
        "frozen": -1, "unable": -1, "return": 0, "replacement": 0, "compensation": -1,
        "hold": 0, "waiting": -1,
        "waited": -1, "wait": 0, "ignored": -2, "ignoring": -2, "fix": 0, "fixed": 0,
        "locked": -1, "declined": -1, "rejected": -1, "expired": -1, "disconnected": -1,
        "wrong": -1, "incorrect": -1, "spilled": -1, "torn": -2, "ripped": -1, "dirty": -2,
        "never arrived": -2, "never received": -2, "never came": -2, "never showed": -2,
        "never got": -2, "still waiting": -2, "still not": -1, "still no": -1,
        "still hasn't": -1, "still haven't": -1, "still can't": -1, "still don't": -1,
        "not arrived": -2, "hasn't arrived": -2, "haven't received": -2, "not received": -2,
        "no answer": -2, "no reply": -2, "no response": -2, "no one": -1, "not working": -2,
        "doesn't work": -2, "does not work": -2, "stopped working": -2, "won't let": -1,
        "on hold": -1, "wrong item": -2, "wrong order": -2, "charged twice": -2,
        "not happy": -2, "fed up": -2, "never again": -2, "what a joke": -2,
        "let down": -2, "not good enough": -2, "sort it out": -1, "sort this out": -1,
        "out of stock": -1, "no longer": -1, "keeps crashing": -2, "keeps saying": -1,
        "been waiting": -2, "waste of": -2, "rip off": -2, "ripoff": -2,
        "never shipped": -2, "not shipped": -1, "no update": -1, "no updates": -1,
        "still nothing": -2, "thanks for nothing": -2, "keeps failing": -2,
        "went up": -1, "price increase": -1, "not great": -2, "not cheap": -1,
    },
    "waiting": {
        "still": 0, "yet": 0, "again": 0, "hours": 0, "days": 0, "weeks": 0, "months": 0,
        "since": 0, "already": 0, "ages": 0, "forever": 0, "hrs": 0, "mins": 0, "minutes": 0,
    },
    "service": {
        "customer": 0, "service": 0, "support": 0, "helpline": 0, "answer": 0, "reply": 0,
        "replied": 0, "respond": 0, "response": 0, "responded": 0, "call": 0, "called": 0,
        "calling": 0, "email": 0, "emailed": 0, "chat": 0, "phone": 0, "agent": 0,
        "manager": 0, "complaint": 0, "order": 0, "delivery": 0, "package": 0, "parcel": 0,
        "tracking": 0, "account": 0, "app": 0, "website": 0, "site": 0, "update": 0,
    },
    "request": {
        "please": 0, "pls": 0, "plz": 0, "help": 0, "dm": 0, "sort": 0, "urgent": 0,
        "asap": 0, "fix": 0, "explain": 0,
    },
    "negation": {
        "not": 0, "no": 0, "never": 0, "nobody": 0, "nothing": 0, "none": 0, "nor": 0,
        "neither": 0, "without": 0, "cannot": 0, "cant": 0, "dont": 0, "doesnt": 0,
        "didnt": 0, "wont": 0, "isnt": 0, "wasnt": 0, "havent": 0, "hasnt": 0, "aint": 0,
    },
    "question": {
        "what": 0, "how": 0, "why": 0, "when": 0, "where": 0, "which": 0, "who": 0,
        "whats": 0, "anyone": 0, "anybody": 0,
    },
    "praise": {
        "love": 0, "loved": 0, "amazing": 0, "awesome": 0, "delicious": 0, "best": 0,
        "recommend": 0, "excellent": 0, "fantastic": 0, "perfect": 0, "thanks": 0, "thank": 0,
        "brilliant": 0, "superb": 0, "great": 0, "kudos": 0, "obsessed": 0, "impressed": 0,
        "beautiful": 0, "wonderful": 0, "favourite": 0, "favorite": 0, "yummy": 0,
        "tasty": 0, "outstanding": 0, "gorgeous": 0, "flawless": 0, "lovely": 0,
        "unreal": 0, "incredible": 0, "10/10": 0, "chef's kiss": 0, "spot on": 0,
        "well done": 0, "good job": 0, "great job": 0, "appreciation": 0, "highly": 0,
    },
    "purchase": {},
}

IT_WORDS: dict[str, dict[str, float]] = {
    "neg": {
        "male": -1, "malissimo": -2, "peggio": -2, "peggiore": -2, "pessim*": -2,
        "orribil*": -2, "terribil*": -2, "schifo": -2, "schifezza": -2, "fa schifo": -2,
        "deludente": -2, "delus*": -2, "delusione": -2, "vergogna": -2, "vergognoso": -2,
        "vergognosa": -2, "scandal*": -2, "ridicol*": -2, "assurd*": -2, "inaccettabil*": -2,
        "inammissibil*": -2, "indecent*": -2, "vergognatevi": -2, "incompetent*": -2,
        "maleducat*": -2, "scortes*": -2, "truffa": -2, "truffatori": -2, "ladri": -2,
        "fregatura": -2, "arrabbiat*": -2, "incazzat*": -2, "furios*": -2, "stufo": -2,
        "stufa": -2, "stufat*": -2, "nervos*": -1, "triste": -1, "tristezza": -1,
        "peccato": -1, "purtroppo": -1, "scadente": -2, "scadenti": -2, "inutil*": -2,
        "uffa": -1, "mannaggia": -1, "disastro": -2, "incubo": -2, "odio": -2, "odiare": -2,
        "amaro": 0, "bruciat*": -1, "insapor*": -2, "immangiabil*": -2, "imbevibil*": -2,
        "caro": -1, "cari": -1, "costoso": -1, "problema": -1, "problemi": -1, "errore": -1,
        "errori": -1, "indignat*": -2, "schifat*": -2, "pazzesc*": 0, "mah": -1, "bah": -1,
        "boh": 0, "basta": -1, "brutto": -2, "brutta": -2, "brutti": -2, "sporc*": -2,
        "lament*": -1, "reclamo": -1, "reclami": -1, "ingannevol*": -2, "presa in giro": -2,
        "soldi buttati": -2, "mai piu": -2, "che schifo": -2,
    },
    "pos": {
        "buono": 1, "buona": 1, "buoni": 1, "buone": 1, "buonissim*": 2, "ottim*": 2,
        "eccellent*": 2, "fantastic*": 2, "meraviglios*": 2, "stupend*": 2, "splendid*": 2,
        "perfett*": 2, "bellissim*": 2, "bello": 1, "bella": 1, "belli": 1, "belle": 1,
        "adoro": 2, "amo": 2, "adorat*": 2, "felice": 2, "felicissim*": 2, "content*": 2,
        "soddisfatt*": 2, "grazie": 1, "complimenti": 2, "bravi": 2, "brava": 2, "bravo": 2,
        "bravissim*": 2, "consiglio": 1, "consigliat*": 2, "consigliatissim*": 2,
        "squisit*": 2, "delizios*": 2, "gustos*": 2, "spettacol*": 2, "top": 2, "super": 1,
        "favolos*": 2, "favola": 2, "magnific*": 2, "incredibil*": 1, "gentil*": 2,
        "gentilissim*": 2, "disponibil*": 0, "veloc*": 1, "velocissim*": 2, "puntual*": 2,
        "impeccabil*": 2, "comod*": 1, "comodissim*": 2, "morbid*": 1, "profumat*": 1,
        "fresc*": 1, "freschissim*": 2, "cremos*": 1, "strepitos*": 2, "eccezional*": 2,
        "wow": 1, "evviva": 2, "finalmente": 1, "qualita": 0, "migliore": 2, "migliori": 2,
        "grandi": 1, "grande": 1, "promoss*": 2, "capolavoro": 2, "sublime": 2, "divin*": 2,
        "fenomenal*": 2, "preferit*": 2, "felicita": 2, "gioia": 2, "goduria": 2,
        "innamorat*": 2, "mi piace": 1, "merita": 1, "meritano": 1, "approvat*": 1,
        "chapeau": 2, "voto 10": 2, "10/10": 2, "apprezzat*": 1,
    },
    "problem": {
        "rott*": -2, "rompe": -1, "rotto": -2, "danneggiat*": -2, "ammaccat*": -2,
        "distrutt*": -2, "frantumi": -2, "pezzi": 0, "graffiat*": -2, "graffio": -1,
        "strappat*": -2, "macchiat*": -1, "difettos*": -2, "difetto": -2, "guast*": -2,
        "ritardo": -1, "ritardi": -1, "ritardat*": -1, "ritardare": -1, "rimandat*": -1,
        "slitta": -1, "slittat*": -1, "rinvio": -1, "rinviat*": -1, "mancant*": -1,
        "manca": -1, "mancava": -1, "mancavano": -1, "mancano": -1, "perso": -1, "persa": -1,
        "smarrit*": -2, "sbagliat*": -1, "rimborso": -1, "rimborsi": -1, "rimborsat*": 0,
        "annullat*": -1, "cancellat*": -1, "bloccat*": -1, "fermo": -1, "ferma": -1,
        "addebitat*": -1, "addebito": -1, "scadut*": -2, "crasha*": -1, "errore": -1,
        "perde": -1, "perdite": -1, "reso": 0, "resi": 0, "restituzione": 0, "sostituzione": 0,
        "cambio": 0, "giacenza": -1, "attesa": -1, "aspetto": -1, "aspettando": -1,
        "aspettare": -1, "aspettato": -1, "disagio": -1, "disservizio": -2, "scus*": 0,
        "freddo": -1, "fredda": -1, "crudo": -1, "cruda": -1, "aperto": 0, "aperta": 0,
        "non funziona": -2, "non va": -1, "non arriva": -1, "non e arrivato": -2,
        "non e mai arrivato": -2, "mai arrivat*": -2, "mai ricevut*": -2,
        "non ho ricevuto": -2, "non mi e arrivato": -2, "non ancora arrivato": -2,
        "ancora non arrivato": -2, "ancora niente": -2, "ancora nulla": -2,
        "nessuna risposta": -2, "nessuno risponde": -2, "non risponde": -2,
        "non rispondete": -2, "non risponde nessuno": -2, "zero risposte": -2,
        "nessun riscontro": -2, "nessuna notizia": -2, "in ritardo": -1,
        "da giorni": -1, "da settimane": -1, "da mesi": -1, "numero verde": 0,
        "non si accende": -2, "non si collega": -2, "non carica": -2,
        "voglio i miei soldi": -2, "rivoglio i miei soldi": -2, "soldi indietro": -1,
        "mai spedit*": -2, "non spedit*": -1, "zero aggiornamenti": -2,
        "nessun aggiornamento": -2, "nessuna mail": -1,
        "grazie per niente": -2, "grazie tante": -1, "pagato due volte": -2,
        "doppio addebito": -2, "non passa": -1, "si blocca": -1, "bucat*": -2,
        "amarissim*": -2, "non ci siamo": -2, "non e normale": -1, "non va bene": -2,
    },
    "waiting": {
        "ancora": 0, "gia": 0, "di nuovo": 0, "ennesim*": -1, "ore": 0, "giorni": 0,
        "settimane": 0, "settimana": 0, "mesi": 0, "mese": 0, "minuti": 0, "tuttora": 0,
        "sempre": 0, "ogni volta": 0, "ogni santo giorno": -1, "ancora una volta": -1,
        "per l'ennesima volta": -1, "seconda volta": 0, "terza volta": -1,
    },
    "service": {
        "assistenza": 0, "servizio clienti": 0, "supporto": 0, "customer care": 0,
        "risposta": 0, "rispondere": 0, "risposto": 0, "rispondete": 0, "risponde": 0,
        "chiamato": 0, "chiamata": 0, "telefono": 0, "mail": 0, "email": 0, "chat": 0,
        "operatore": 0, "ordine": 0, "ordini": 0, "pacco": 0, "spedizione": 0,
        "consegna": 0, "corriere": 0, "tracking": 0, "account": 0, "app": 0, "sito": 0,
        "fattura": 0, "garanzia": 0,
    },
    "request": {
        "per favore": 0, "perfavore": 0, "pf": 0, "aiuto": 0, "aiutatemi": 0,
        "aiutarmi": 0, "sistemate": 0, "fatemi sapere": 0, "mi dite": 0, "urgente": 0,
    },
    "negation": {
        "non": 0, "nn": 0, "mai": 0, "nessuno": 0, "nessuna": 0, "nessun": 0, "niente": 0,
        "nulla": 0, "neanche": 0, "nemmeno": 0, "neppure": 0, "senza": 0, "ne": 0,
    },
    "question": {
        "come": 0, "quando": 0, "dove": 0, "perche": 0, "xke": 0, "xche": 0, "quale": 0,
        "quali": 0, "quanto": 0, "quanta": 0, "quanti": 0, "quante": 0, "chi": 0, "cosa": 0,
        "che cosa": 0, "c'e": 0, "ci sono": 0, "avete": 0, "fate": 0, "spedite": 0,
        "si puo": 0, "posso": 0, "potete": 0, "potreste": 0, "sapete": 0, "qualcuno sa": 0,
        "qualcuno ha": 0, "vorrei sapere": 0, "info": 0, "informazioni": 0, "domanda": 0,
        "mi consigliate": 0, "consigliate": 0, "conviene": 0, "esiste": 0, "accettate": 0,
        "funziona": 0, "differenza": 0,
    },
    "praise": {
        "buonissim*": 0, "ottim*": 0, "eccellent*": 0, "fantastic*": 0, "stupend*": 0,
        "perfett*": 0, "adoro": 0, "complimenti": 0, "bravi": 0, "bravissim*": 0,
        "grazie": 0, "consiglio": 0, "consigliatissim*": 0, "lo consiglio": 0,
        "consiglio vivamente": 0, "squisit*": 0, "delizios*": 0, "spettacol*": 0, "top": 0,
        "favolos*": 0, "una favola": 0, "impeccabil*": 0, "strepitos*": 0, "eccezional*": 0,
        "il migliore": 0, "la migliore": 0, "gentilissim*": 0, "velocissim*": 0,
        "meraviglios*": 0, "innamorat*": 0, "capolavoro": 0, "sublime": 0, "promoss*": 0,
        "soddisfattissim*": 0, "contentissim*": 0, "bellissim*": 0, "dipendente": 0,
        "mi piace": 0, "merita": 0, "chapeau": 0, "voto 10": 0, "10/10": 0, "incredibil*": 0,
        "apprezzat*": 0,
    },
    "purchase": {},
}

# Phrases that say the writer means to buy or try (or has just bought): regular expressions on the
# folded text. Kept apart from the word lists because single words ("order", "ordine") are just
# as frequent in complaints.
PURCHASE = {
    "en": [
        r"(want|wanna|need|have|got|going|gonna|dying|must|plan(ning)?|hope|hoping) (to )?"
        r"(buy|order|try|get|grab|pick up|purchase)",
        r"(can'?t|cannot) wait (to|for|till|until)", r"(just|finally) (ordered|bought|purchased)",
        r"\bi'?(m| am) (ordering|buying|getting|grabbing)", r"\bi'?ll (order|buy|take|get)",
        r"\b(will|shall) (re-?order|order|buy|get|try)\b(?! again)",
        r"(in|to) (my|the) (cart|basket|wishlist)",
        r"\b(pre-?order(ed)?|preordering)\b", r"\b(thinking|think) (of|about) (buying|getting|"
        r"ordering|trying)", r"treat(ing)? myself", r"\b(ordering|buying) (some|a|more|another)",
        r"\bshut up and take my money\b", r"\btake my money\b", r"\bmust[- ]have\b",
        r"\bwhere (can|do) i (buy|get|order)", r"\b(next|first) order\b", r"\bsign me up\b",
        r"\bstock(ing)? up\b", r"\b(re-?order|restock(ing)? my)\b", r"\bsubscrib(e|ing)\b",
    ],
    "it": [
        r"\b(devo|voglio|vorrei|dovrei|devi|dobbiamo|vogliamo) (assolutamente |proprio |"
        r"subito )?(provar\w*|comprar\w*|ordinar\w*|prender\w*|acquistar\w*|regalar\w*)",
        r"\b(ordino|ordinero|ordiniamo|compro|comprero|prendero|provero|"
        r"mi compro|mi prendo|me lo compro|me la compro|me li compro|mi regalo)\b",
        r"\b(ho|abbiamo) appena (ordinato|comprato|acquistato|preso|prenotato)",
        r"\bnon vedo l'ora\b", r"\b(nel|al|dal) carrello\b", r"\bquasi quasi\b",
        r"\blista dei desideri\b", r"\bwishlist\b", r"\b(prossimo|primo) ordine\b",
        r"\b(rifaccio|rifare|faccio) (l'ordine|la scorta|scorta)\b", r"\bscorta\b",
        r"\bmi (ispira|tenta|attira)\b", r"\bpreordin\w*", r"\bprenotat[oa]\b",
        r"\b(sto|stiamo) per (ordinare|comprare|prendere|acquistare)",
        r"\b(pensavo|penso|pensando) di (prendere|comprare|ordinare|provare|passare)",
        r"\bvoglio (quel|quella|quello|quei|quelle|questo|questa|il|la|lo|un|una)\b",
        r"\b(provo|ricompro|riordino)\b", r"\bda provare\b", r"\bcedero\b",
    ],
}

# Polar emoji, usable in any language (the corpus itself has lost its emoji to "?" marks).
EMOJI = {
    "😍": 2, "🥰": 2, "😊": 1, "🙂": 1, "😀": 1, "😁": 1, "😃": 1, "😄": 1, "🤩": 2, "😋": 2,
    "❤": 2, "♥": 2, "💕": 2, "💖": 2, "💯": 1, "🔥": 1, "👍": 1, "🙏": 1, "✨": 1, "🥹": 1,
    "🤌": 1, "☺": 1, "😎": 1, "🎉": 1, "👌": 1, "💪": 1,
    "😡": -2, "😠": -2, "🤬": -2, "😤": -2, "😞": -2, "😢": -1, "😭": -1, "😩": -2, "😫": -2,
    "🙄": -2, "👎": -2, "💔": -2, "😒": -2, "😑": -1, "🤦": -2, "😖": -2, "😣": -1, "🤮": -2,
    "🤢": -2, "😔": -1, "😓": -1, "😬": -1, "🙃": -1, "😕": -1,
}

CATEGORIES = ("neg", "pos", "problem", "waiting", "service", "request", "negation", "question",
              "praise", "purchase")
NEGATORS = {"not", "no", "never", "non", "nn", "mai", "nessuno", "niente", "nulla",
            "neanche", "nemmeno", "neppure", "nor", "cant", "cannot", "dont", "doesnt",
            "didnt", "wont", "isnt", "wasnt", "havent", "hasnt", "aint", "nothing"}
# Words that open a direct question (checked on the first word of a sentence).
QUESTION_OPENERS = {
    "en": {"what", "how", "why", "when", "where", "which", "who", "whats", "is", "are", "do",
           "does", "did", "can", "could", "would", "will", "should", "has", "have", "any",
           "anyone", "anybody"},
    "it": {"come", "quando", "dove", "perche", "quale", "quali", "quanto", "quanta", "quanti",
           "quante", "chi", "cosa", "avete", "fate", "spedite", "posso", "potete", "si",
           "esiste", "ci", "c'e", "qualcuno", "sapete", "accettate", "mi"},
}

TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[?!,;:]")
URL = re.compile(r"https?://\S+|www\.\S+")
MENTION = re.compile(r"@\w+")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
ELONGATED = re.compile(r"([a-z])\1{2,}")


def fold(text: str) -> str:
    """Lower case, no accents, one kind of apostrophe, no URLs or handles, no "sooooo"."""
    text = URL.sub(" ", text)
    text = MENTION.sub(" @user ", text)
    text = text.lower().replace("’", "'").replace("`", "'").replace("´", "'")
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text)
                       if not unicodedata.combining(c))
    # "perche'" and "e'" are how accents are typed on many phones
    text = re.sub(r"([a-z])'(?=\s|$|[.,!?;:])", r"\1", text)
    return ELONGATED.sub(r"\1\1", text)


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
    en = Lexicon(EN_WORDS, purchase=PURCHASE["en"])
    it = Lexicon(IT_WORDS, purchase=PURCHASE["it"])
    both = Lexicon(EN_WORDS, IT_WORDS, purchase=PURCHASE["en"] + PURCHASE["it"])
    return {"en": en, "it": it, "*": both}


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
    openers = QUESTION_OPENERS.get(lang or "", QUESTION_OPENERS["en"] | QUESTION_OPENERS["it"])
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
PROBLEM_FEATURE = CATEGORIES.index("problem")
SENTIMENT_FEATURE = len(CATEGORIES) + 2
RULE_MARGIN = 0.5  # a complaint by the lexicon rule scores sigmoid(0.5) = 0.62


def dense(c: Cues) -> list[float]:
    """The cue features the models see: the same meaning in every language the lexicons cover."""
    log1p = math.log1p
    return [*(log1p(n) for n in c.counts),
            max(-c.valence, 0.0) / 4.0, max(c.valence, 0.0) / 4.0, sentiment_of(c),
            float(c.question_mark), float(c.question_opener), log1p(c.exclamations),
            log1p(c.caps_words), log1p(c.mentions), float(c.starts_with_mention),
            log1p(c.tokens) / 4.0]


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


# --- language -------------------------------------------------------------------------------------

# Short function words: enough to tell Italian from English in posts too short for lingua.
FUNCTION_WORDS = {
    "it": {"il", "lo", "la", "gli", "le", "di", "da", "che", "non", "per", "con", "del", "della",
           "sono", "ho", "hai", "ha", "abbiamo", "mi", "ti", "ci", "vi", "ma", "anche", "ancora",
           "grazie", "ciao", "buongiorno", "buonasera", "questo", "questa", "quello", "come",
           "perche", "quando", "dove", "molto", "tutto", "tutti", "sempre", "mai", "niente",
           "bravi", "buono", "buonissimo", "ottimo", "nel", "nella", "sul", "sulla", "un", "una",
           "e", "io", "voi", "noi", "pure", "proprio", "poi", "gia", "oggi", "domani", "ieri"},
    "en": {"the", "a", "an", "is", "are", "was", "were", "be", "been", "of", "to", "in", "on",
           "for", "with", "and", "but", "not", "my", "your", "you", "i", "me", "we", "our", "it",
           "this", "that", "what", "how", "why", "when", "where", "thanks", "thank", "hi",
           "hello", "love", "great", "good", "please", "just", "still", "have", "has", "had",
           "do", "does", "did", "can", "will", "would", "so", "very", "again", "from", "at"},
}
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
