"""'Did you mean': corrected query strings for misspelt words, that never reveal hidden notes.

A word is only corrected when it is neither in the index (in more than RARE documents the
search may show) nor a common word of the query's language (``wordfreq``'s Zipf frequency at
least COMMON_ZIPF, offline): "car", "went", "men" and "leak" are left alone even in a library
that never mentions them. Candidates come from the unstemmed ``spelling`` field of the whole
index, but a correction is only offered when the corrected word matches a document that the
search's filter lets through (words found only in hidden notes are never suggested), and the
corrected query finds a document that the original query does not.

Measured on ``tests/data/spelling``: see the README's "Did you mean" figures.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from whoosh import query
from whoosh.reading import IndexReader

from .postings import Snapshot
from .querysyntax import STEMMING, TEXT_FIELDS, QuerySyntax

MAX_EDITS = 2
# Shorter words get one edit only: two edits turn most short English words into other words
# ("anyone" -> "alone"), which is noise, not help.
TWO_EDITS_FROM = 8
LONGEST_WORD = 30  # longer "words" are pasted codes or noise, not misspellings
# A word in at most RARE allowed documents may still be a typo when a neighbour one edit away
# is at least COMMONER times more frequent (a typo that slipped into a note, say).
RARE = 2
COMMONER = 20
# Zipf frequency (log10 of uses per billion words) from which a word is common in its language:
# the commonest real misspelling in tests/data/spelling ("goverment") is at 2.7, the rarest
# correct word of the correct queries absent from the sample library ("invoices") at 3.1.
COMMON_ZIPF = 3.0


def suggest(snapshot: Snapshot, syntax: QuerySyntax, text: str, q: query.Query,
            allowed: np.ndarray | None, language: str = "en") -> str | None:
    """The query ``text`` with its misspelt words corrected, or None when nothing is better.

    ``q`` is ``text`` parsed and ``allowed`` the documents the search may show: a word is
    misspelt when no allowed document has it (or very few, and a neighbour is much commoner)
    and it is not a common word of ``language``.
    """
    reader = snapshot.searcher.reader()
    text = syntax.clip(text)
    corrections: dict[tuple[int, int], str] = {}
    # The original ranks worse when a corrected word matched no note at all (it scored nothing),
    # or was a non-word whose stem matched by chance (same notes; the spelling is still wrong).
    ranks_worse = False
    for (start, end), stem in syntax.spans(q).items():
        word = text[start:end].casefold()
        if end - start > LONGEST_WORD or not word.isalpha() or common(word, language):
            continue
        known = reader.doc_frequency("spelling", word) > 0
        count = _count(snapshot, _anywhere(stem), allowed)
        if known and count > RARE:
            continue
        for candidate, edits, frequency in _candidates(snapshot, reader, word):
            candidate_stem = _stem(candidate)
            if not candidate_stem or (known and candidate_stem == stem):
                continue
            if known and count and (edits > 1 or frequency < COMMONER * count):
                break
            if _count(snapshot, _anywhere(candidate_stem), allowed):
                corrections[(start, end)] = candidate
                ranks_worse = ranks_worse or count == 0 or candidate_stem == stem
                break
    if not corrections:
        return None
    corrected = text
    for (start, end), candidate in sorted(corrections.items(), reverse=True):
        corrected = corrected[:start] + candidate + corrected[end:]
    found = snapshot.evaluate(syntax.parse(corrected))[0]
    missed = found & ~snapshot.evaluate(q)[0]
    return corrected if ranks_worse or _count_mask(missed, allowed) else None


@lru_cache(maxsize=4096)
def common(word: str, language: str = "en") -> bool:
    """Whether ``word`` is a common word of ``language`` (English when the language is unknown)."""
    from wordfreq import zipf_frequency

    try:
        return zipf_frequency(word, language) >= COMMON_ZIPF
    except LookupError:
        return zipf_frequency(word, "en") >= COMMON_ZIPF


def _candidates(snapshot: Snapshot, reader: IndexReader, word: str
                ) -> list[tuple[str, int, int]]:
    """(word, edits, documents) within MAX_EDITS of ``word``: closest first, then commonest."""
    ranked = []
    seen = {word}
    for edits in range(1, (MAX_EDITS if len(word) >= TWO_EDITS_FROM else 1) + 1):
        found = snapshot.words_within("spelling", word, edits) - seen
        seen |= found
        # among candidates as many typos away, a swap of two neighbouring letters comes first
        frequencies = [(w, edits, _doc_frequency(reader, _stem(w)), _swaps(word, w))
                       for w in found]
        frequencies.sort(key=lambda item: (-item[3], -item[2], item[0]))
        ranked += [item[:3] for item in frequencies]
    return ranked


def _swaps(word: str, candidate: str) -> int:
    """1 when ``candidate`` is ``word`` with two neighbouring letters swapped, else 0."""
    if len(word) != len(candidate):
        return 0
    diff = [i for i, (a, b) in enumerate(zip(word, candidate, strict=True)) if a != b]
    return int(len(diff) == 2 and diff[1] == diff[0] + 1
               and word[diff[0]] == candidate[diff[1]] and word[diff[1]] == candidate[diff[0]])


def _stem(word: str) -> str:
    return next((token.text for token in STEMMING(word, mode="query")), "")


def _doc_frequency(reader: IndexReader, stem: str) -> int:
    if not stem:
        return 0
    return max(reader.doc_frequency(fieldname, stem) for fieldname in TEXT_FIELDS)


def _anywhere(stem: str) -> query.Query:
    return query.Or([query.Term(fieldname, stem) for fieldname in TEXT_FIELDS])


def _count(snapshot: Snapshot, q: query.Query, allowed: np.ndarray | None) -> int:
    """How many documents the search may show match ``q``."""
    return _count_mask(snapshot.evaluate(q)[0], allowed)


def _count_mask(mask: np.ndarray, allowed: np.ndarray | None) -> int:
    return int(np.count_nonzero(mask if allowed is None else mask & allowed))
