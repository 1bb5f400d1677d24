"""Which of UNECE's working languages (English, French, Russian) a text is written in, offline.

The guess is the language whose stop words are most frequent among the text's words; Cyrillic
script means Russian; a text too short to hold any stop word (a query) is French when its words
carry French accents (é, è, à ...). No model and no download: Whoosh's stop-word lists.
"""

from __future__ import annotations

import re

from whoosh.analysis import STOP_WORDS as WHOOSH_STOP_WORDS
from whoosh.lang import stopwords_for_language

LANGUAGES = ("en", "fr", "ru")
NAMES = {"en": "English", "fr": "French", "ru": "Russian"}
DEFAULT = "en"
SAMPLE_WORDS = 3000  # enough to tell a note's language; a long body is not read to the end
CYRILLIC = re.compile("[\u0400-\u04ff]")
_WORDS = re.compile(r"\w+")
_FRENCH_LETTERS = re.compile("[éèêàùâîôûëïœ]")  # not ç or ü, common in Turkish names
STOP_WORDS = {
    "en": WHOOSH_STOP_WORDS,  # as Whoosh's StemmingAnalyzer has always removed them
    "fr": frozenset(stopwords_for_language("fr")),
    "ru": frozenset(stopwords_for_language("ru")),
}
# the words that tell English from French (broader than what indexing drops)
_MARKERS = {"en": frozenset(stopwords_for_language("en")), "fr": STOP_WORDS["fr"]}


def detect(text: str) -> str:
    """"en", "fr" or "ru" for ``text``: Cyrillic script, else the more frequent stop words."""
    words = _WORDS.findall((text or "")[: SAMPLE_WORDS * 8].lower())[:SAMPLE_WORDS]
    if not words:
        return DEFAULT
    cyrillic = sum(1 for word in words if CYRILLIC.search(word))
    if cyrillic * 2 > len(words):
        return "ru"
    english = sum(1 for word in words if word in _MARKERS["en"])
    french = sum(1 for word in words if word in _MARKERS["fr"])
    if not english and not french:  # a few words, as queries are: French accents tell
        french = sum(1 for word in words if _FRENCH_LETTERS.search(word))
    return "fr" if french > english else DEFAULT


def name(code: str | None) -> str:
    """The language's English name ("French"), or the code itself when unknown."""
    return NAMES.get(code or DEFAULT, code or "")
