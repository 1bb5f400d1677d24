"""Language-aware analysis: words stemmed in their text's language, accents folded.

A text's language (English, French or Russian) comes from ``kmsearch.languages.detect``; a query
is analysed word by word in the language detected for the whole query. A Cyrillic word is always
stemmed as Russian. English uses Porter's stemmer (as before), French and Russian
Whoosh's Snowball stemmers; then every word's accents are folded, so "Cukurova" finds
"Çukurova" and "Guleryuz" finds "Güleryüz" (Cyrillic letters are left as they are).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from functools import lru_cache

from whoosh.analysis import Analyzer, LowercaseFilter, RegexTokenizer, Token
from whoosh.lang import stemmer_for_language
from whoosh.lang.porter import stem as porter_stem
from whoosh.support.charset import accent_map

from ..languages import CYRILLIC, DEFAULT, STOP_WORDS, detect

_SNOWBALL = {language: stemmer_for_language(language) for language in ("fr", "ru")}
# a query's language, set while the query parser analyses its words one at a time
query_language: ContextVar[str | None] = ContextVar("query_language", default=None)


@lru_cache(maxsize=200_000)
def stem(word: str, language: str = DEFAULT) -> str:
    """The lowercase ``word``'s stem in ``language`` (Russian for Cyrillic), accents folded."""
    if CYRILLIC.search(word):
        language = "ru"
    stemmed = porter_stem(word) if language == "en" else _SNOWBALL[language](word)
    return stemmed.translate(accent_map)


def is_stop_word(word: str, language: str = DEFAULT) -> bool:
    if CYRILLIC.search(word):
        return word in STOP_WORDS["ru"]
    return word in STOP_WORDS[language]


class LanguageAnalyzer(Analyzer):
    """Words, lowercased, stop words of the text's language dropped, stemmed, accents folded.

    Positions count only the words kept, as Whoosh's StopFilter renumbers them, so a quoted
    phrase with stop words in it ("sponsorship of a road safety campaign") still matches.
    """

    version = 2  # part of the schema's signature: a change means a rebuild

    def __init__(self):
        self.tokenizer = RegexTokenizer()
        self.lowercase = LowercaseFilter()

    def __eq__(self, other):
        return type(other) is type(self) and other.version == self.version

    def __hash__(self):
        return hash((type(self).__name__, self.version))

    def __call__(self, value: str, mode: str = "", **kwargs) -> Iterator[Token]:
        language = (query_language.get() if mode == "query" else None) or detect(value)
        removestops = kwargs.pop("removestops", True)
        position = 0
        for token in self.lowercase(self.tokenizer(value, mode=mode, **kwargs)):
            text = token.text
            if len(text) < 2 or is_stop_word(text, language):
                if removestops:
                    continue
                token.stopped = True
                yield token
                continue
            token.stopped = False
            token.text = stem(text, language)
            if token.positions:
                token.pos = position
            position += 1
            yield token
