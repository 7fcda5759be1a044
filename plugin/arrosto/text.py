"""The one way Arrosto folds text for comparison: lower case, no diacritics, one apostrophe."""
from __future__ import annotations

import unicodedata

_SPECIAL = str.maketrans({"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d",
                          "’": "'", "`": "'", "´": "'", "ı": "i"})


def fold(text: str) -> str:
    """Lower case without diacritics: "Niccolò Orrù" -> "niccolo orru", "perché’" -> "perche'"."""
    text = text.lower().translate(_SPECIAL)
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text)
                       if not unicodedata.combining(c))
    return text
