"""'Did you mean': corrected query strings for misspelt words, that never reveal hidden notes.

Candidates come from the unstemmed ``spelling`` field of the whole index, but a correction is
only offered when the corrected word, and then the corrected query, match a document that the
search's filter lets through: words found only in hidden notes are never suggested.
"""

from __future__ import annotations

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


def suggest(snapshot: Snapshot, syntax: QuerySyntax, text: str, q: query.Query,
            allowed: np.ndarray | None) -> str | None:
    """The query ``text`` with its misspelt words corrected, or None when nothing is better.

    ``q`` is ``text`` parsed and ``allowed`` the documents the search may show: a word is
    misspelt when no allowed document has it (or very few, and a neighbour is much commoner).
    """
    reader = snapshot.searcher.reader()
    text = syntax.clip(text)
    corrections: dict[tuple[int, int], str] = {}
    for (start, end), stem in syntax.spans(q).items():
        if end - start > LONGEST_WORD:
            continue
        count = _count(snapshot, _anywhere(stem), allowed)
        if count > RARE:
            continue
        for candidate, edits, frequency in _candidates(reader, text[start:end].casefold()):
            candidate_stem = _stem(candidate)
            if not candidate_stem or candidate_stem == stem:
                continue
            if count and (edits > 1 or frequency < COMMONER * count):
                break
            if _count(snapshot, _anywhere(candidate_stem), allowed):
                corrections[(start, end)] = candidate
                break
    if not corrections:
        return None
    corrected = text
    for (start, end), candidate in sorted(corrections.items(), reverse=True):
        corrected = corrected[:start] + candidate + corrected[end:]
    return corrected if _count(snapshot, syntax.parse(corrected), allowed) else None


def _candidates(reader: IndexReader, word: str) -> list[tuple[str, int, int]]:
    """(word, edits, documents) within MAX_EDITS of ``word``: closest first, then commonest."""
    ranked = []
    seen = {word}
    for edits in range(1, (MAX_EDITS if len(word) >= TWO_EDITS_FROM else 1) + 1):
        found = set(reader.terms_within("spelling", word, edits, prefix=1)) - seen
        seen |= found
        frequencies = [(w, edits, _doc_frequency(reader, _stem(w))) for w in found]
        ranked += sorted(frequencies, key=lambda item: (-item[2], item[0]))
    return ranked


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
    mask, _ = snapshot.evaluate(q)
    return int(np.count_nonzero(mask if allowed is None else mask & allowed))
