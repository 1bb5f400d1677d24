"""The keyword index as numpy arrays: queries matched and BM25F-scored in bulk.

Whoosh's matchers walk postings one document at a time in Python, about 100 ms for two common
words over 45,000 documents. Here each posting list is read once per (immutable) segment into
arrays, and queries combine them with numpy in a millisecond or two. An exact phrase is matched
from its words' positions, read only in the documents that hold all its words: at 10,000 notes,
a phrase of two words most notes contain takes about 0.1 s the first time (Whoosh's span
matchers: 0.3 s) and a millisecond once its documents are cached for the index version. Other
positional queries (a phrase with slop) fall back to Whoosh's matching.

Scoring is textbook BM25F (Robertson and Zaragoza, "The Probabilistic Relevance Framework",
2009, section 3.3): each word's frequencies in the fields are length-normalised per field and
weighted, summed into one pseudo-frequency, and saturated ONCE::

    tf~(w, d) = sum over fields f of weight_f * tf(w, d, f) / (1 - b_f + b_f * len_f / avglen_f)
    score(w, d) = idf(w) * tf~ * (k1 + 1) / (k1 + tf~)
    idf(w) = ln(1 + (N - df(w) + 0.5) / (df(w) + 0.5))

where df counts the documents holding the word in any field. A document's score is the sum over
the query's words. The parameters were tuned on SciFact's training claims (see the README).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA
from whoosh import query
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from . import postinglists
from .postinglists import NO_IDS, NO_WEIGHTS

# BM25F saturation and per-field length normalisation (fields not listed use DEFAULT_B).
# k1, and b of title and body, tuned on SciFact's training claims (benchmarks/tune_keyword.py;
# nDCG@10 there from 0.684 to 0.703). SciFact has no summary, lessons or partners: they keep
# the usual 0.75.
K1 = 2.0
FIELD_B = {"title": 0.9, "summary": 0.75, "body": 0.95, "lessons": 0.75, "partners": 0.75}
DEFAULT_B = 0.75
# Scores of an implicit OR of words are multiplied by (share of words matched) ** COORDINATION;
# 0 leaves plain BM25F, which already rewards matching more words.
COORDINATION = 0.0
CACHED_POSTINGS = 6_000_000  # per segment: at 8 bytes each, at most 48 MB
CACHED_PHRASES = 256  # phrases' matching documents kept per index version
WARM_DOC_FREQUENCY = 300  # warm() reads the posting lists of words in this many documents,
WARM_ALL_POSTINGS = 3_000_000  # or every list of a segment with at most this many postings
CACHED_FILTERS = 32
CACHED_WORDS = 5_000  # words' BM25F frequencies kept per index version
NO_YEAR = 0


class SegmentArrays:
    """What one segment holds that matching needs; segments never change, so neither does this."""

    def __init__(self, reader: IndexReader, scored_fields: tuple[str, ...]):
        size = reader.doc_count_all()
        self.keys = np.array(list(reader.column_reader("key")), dtype=object)
        years = np.array(list(reader.column_reader("start_year")), dtype=np.int64)
        self.start_years = np.where(years > 9999, NO_YEAR, years).astype(np.int32)
        # a document without the field has length 0 (Whoosh may say None)
        self.lengths = {
            name: np.fromiter((reader.doc_field_length(d, name, 0) or 0 for d in range(size)),
                              np.float32, size)
            for name in scored_fields
        }
        self._postings: OrderedDict[tuple[str, bytes], tuple[np.ndarray, np.ndarray]] = (
            OrderedDict())
        self._cached = 0
        self._words: dict[str, dict[str, list[str]]] = {}
        self.warmed = False

    def words(self, reader: IndexReader, fieldname: str) -> dict[str, list[str]]:
        """The field's distinct words in this segment, by first letter, read once."""
        found = self._words.get(fieldname)
        if found is None:
            found = {}
            for word in reader.lexicon(fieldname) if fieldname in reader.schema else ():
                text = word.decode("utf-8") if isinstance(word, bytes) else word
                found.setdefault(text[:1], []).append(text)
            self._words[fieldname] = found
        return found

    def warm(self, reader: IndexReader, fieldnames: tuple[str, ...]) -> None:
        """Read posting lists now, not during a search: every list when the segment holds at
        most WARM_ALL_POSTINGS postings, else the long lists only. A list costs about 30 µs to
        open whatever its length, which is most of a first query's time with rare words."""
        if self.warmed:
            return
        self.warmed = True
        terms = [(fieldname, btext, info.doc_frequency()) for fieldname in fieldnames
                 if fieldname in reader.schema for btext, info in reader.iter_field(fieldname)]
        everything = sum(frequency for _, _, frequency in terms) <= WARM_ALL_POSTINGS
        for fieldname, btext, frequency in terms:
            if everything or frequency >= WARM_DOC_FREQUENCY:
                self.postings(reader, fieldname, btext)

    def postings(self, reader: IndexReader, fieldname: str, btext: bytes
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Document numbers and weights of one term in this segment, read once then cached."""
        term = (fieldname, btext)
        if term in self._postings:
            self._postings.move_to_end(term)
            return self._postings[term]
        entry = postinglists.postings(reader, fieldname, btext)
        self._postings[term] = entry
        self._cached += len(entry[0])
        while self._cached > CACHED_POSTINGS and len(self._postings) > 1:
            _, (old, _) = self._postings.popitem(last=False)
            self._cached -= len(old)
        return entry


class Snapshot:
    """One version of the index: live documents, keys, lengths, years, and query evaluation."""

    def __init__(self, searcher: Searcher, segments: dict[str, SegmentArrays],
                 scored_fields: tuple[str, ...]):
        self.searcher = searcher
        reader = searcher.reader()
        self.size = reader.doc_count_all()
        self.leaves = []
        live = np.ones(self.size, dtype=bool)
        for leaf, base in reader.leaf_readers():
            if leaf.segment() is None:  # an empty index
                continue
            segid = leaf.segment().segment_id()
            if segid not in segments:
                segments[segid] = SegmentArrays(leaf, scored_fields)
            self.leaves.append((leaf, base, segments[segid]))
            deleted = np.fromiter(leaf.deleted_docs_set, dtype=np.int64)
            live[deleted + base] = False
        self.live = live
        arrays = [arrays for _, _, arrays in self.leaves]
        self.keys = _concatenate([a.keys for a in arrays], object)
        self.start_years = _concatenate([a.start_years for a in arrays], np.int32)
        self.lengths = {name: _concatenate([a.lengths[name] for a in arrays], np.float32)
                        for name in scored_fields}
        self.count = int(np.count_nonzero(live))
        # BM25F's average field length over the live documents (those without the field count 0)
        self.averages = {name: float(lengths[live].mean()) if self.count else 1.0
                         for name, lengths in self.lengths.items()}
        self.averages = {name: average or 1.0 for name, average in self.averages.items()}
        self._filters: OrderedDict[query.Query, np.ndarray] = OrderedDict()
        self._words: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self._phrases: dict[tuple, np.ndarray] = {}

    def allowed(self, q: query.Query) -> np.ndarray:
        """The documents a filter query accepts, cached for this version of the index."""
        if q in self._filters:
            self._filters.move_to_end(q)
        else:
            self._filters[q] = self.evaluate(q)[0]
            if len(self._filters) > CACHED_FILTERS:
                self._filters.popitem(last=False)
        return self._filters[q]

    def warm(self, fieldnames: tuple[str, ...]) -> None:
        for leaf, _, arrays in self.leaves:
            arrays.warm(leaf, fieldnames)

    def words_within(self, fieldname: str, word: str, edits: int) -> set[str]:
        """The field's words that start with ``word``'s first letter and are at most ``edits``
        typos from it: an insertion, deletion, change, or swap of neighbouring letters each count
        one (optimal string alignment distance). About 0.03 ms, where Whoosh's
        ``terms_within`` builds a Levenshtein automaton per query in 5-8 ms."""
        found: set[str] = set()
        for leaf, _, arrays in self.leaves:
            bucket = arrays.words(leaf, fieldname).get(word[:1], ())
            found.update(match for match, _, _ in process.extract_iter(
                word, bucket, scorer=OSA.distance, score_cutoff=edits))
        return found

    def postings(self, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
        parts = [(arrays.postings(leaf, fieldname, btext), base)
                 for leaf, base, arrays in self.leaves]
        docnums = np.concatenate([ids + base for (ids, _), base in parts] or [NO_IDS])
        weights = np.concatenate([w for (_, w), _ in parts] or [NO_WEIGHTS])
        return docnums, weights

    def evaluate(self, q: query.Query) -> tuple[np.ndarray, np.ndarray]:
        """(mask, scores) over all document numbers: which live documents match ``q``, how well."""
        mask, scores = self._evaluate(q)
        return mask & self.live, scores

    def _evaluate(self, q: query.Query) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(q, query.Term):
            return self._term(q)
        if q is query.NullQuery:
            return self._empty()
        if isinstance(q, query.Every):
            return self.live.copy(), np.zeros(self.size, dtype=np.float32)
        if isinstance(q, query.Or) and _one_word(q, self.lengths):
            return self._bm25f(q.subqueries, q.boost)
        if isinstance(q, query.And | query.Or):
            results = [self._evaluate(child) for child in q.subqueries]
            if not results:
                return self._empty()
            combine = np.logical_and if isinstance(q, query.And) else np.logical_or
            mask = results[0][0].copy()
            scores = np.zeros(self.size, dtype=np.float32)
            for child_mask, child_scores in results:
                combine(mask, child_mask, out=mask)
                scores += child_scores
            if (COORDINATION and isinstance(q, query.Or) and q.scale is not None
                    and len(results) > 1):
                # coordination: a document matching k of n words keeps (k/n)^c of its score
                matched = np.sum([child_mask for child_mask, _ in results], axis=0)
                share = matched.astype(np.float32) / np.float32(len(results))
                scores *= share ** np.float32(COORDINATION)
            return mask, _within(mask, scores, q.boost)
        if isinstance(q, query.Not):
            # like Whoosh, a constant score for every document the clause does not exclude
            mask = ~self._evaluate(q.query)[0]
            return mask, mask * np.float32(q.boost)
        if isinstance(q, query.AndNot | query.Require | query.AndMaybe):
            mask, scores = self._evaluate(q.a)
            other_mask, other_scores = self._evaluate(q.b)
            if isinstance(q, query.AndNot):
                mask &= ~other_mask
            elif isinstance(q, query.Require):
                mask &= other_mask
            else:
                scores = scores + other_scores
            return mask, _within(mask, scores, q.boost)
        if isinstance(q, query.Prefix | query.Wildcard | query.TermRange):
            # Whoosh scores expanded terms with the query's boost as a constant
            mask = np.zeros(self.size, dtype=bool)
            for fieldname, btext in q.expanded_terms(self.searcher.reader()):
                mask[self.postings(fieldname, btext)[0]] = True
            return mask, mask * np.float32(q.boost)
        if isinstance(q, query.Phrase) and q.slop == 1 and self._positional(q.fieldname):
            return self._phrase(q)
        return self._by_whoosh(q)

    def _positional(self, fieldname: str) -> bool:
        schema = self.searcher.schema
        return fieldname in schema and schema[fieldname].format.supports("positions")

    def _phrase(self, q: query.Phrase) -> tuple[np.ndarray, np.ndarray]:
        """Documents with the phrase's words at consecutive positions of the field (as Whoosh's
        ``Phrase`` with slop 1), scored like ``_by_whoosh``: the BM25F of its words."""
        key = (q.fieldname, tuple(q.words))
        found = self._phrases.get(key)
        if found is None:
            found = _keep(self._phrases, key, self._phrase_documents(q.fieldname, q.words),
                          CACHED_PHRASES)
        mask, _ = self._empty()
        mask[found] = True
        return mask, self._phrase_scores(q) * mask

    def _phrase_scores(self, q: query.Phrase) -> np.ndarray:
        """A phrase's score in every document: the BM25F of its words, times its boost."""
        scores = np.zeros(self.size, dtype=np.float32)
        for word in q.words:
            scores += self._bm25f([query.Term(q.fieldname, word)])[1]
        return scores * np.float32(q.boost)

    def _phrase_documents(self, fieldname: str, words: list[str]) -> np.ndarray:
        """The document numbers holding ``words`` one after the other in the field: positions
        are read only in the documents that have every word (from the cached posting lists)."""
        field = self.searcher.schema[fieldname]
        terms = [field.to_bytes(word) for word in words]
        candidates = self.postings(fieldname, terms[0])[0]
        for btext in terms[1:]:
            candidates = np.intersect1d(candidates, self.postings(fieldname, btext)[0])
        # an occurrence as one number: document * STRIDE + position - its place in the phrase
        starts = candidates.astype(np.int64) * _STRIDE
        for place, btext in enumerate(terms):
            if not len(starts):
                break
            docnums, positions = self.positions(fieldname, btext, np.unique(starts // _STRIDE))
            codes = docnums.astype(np.int64) * _STRIDE + positions - place
            starts = codes if place == 0 else np.intersect1d(starts, codes)
        return np.unique(starts // _STRIDE)

    def positions(self, fieldname: str, btext: bytes, within: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Every occurrence of a term in the documents ``within`` (ascending document numbers):
        document numbers and positions in the field."""
        docnums, positions = [NO_IDS], [NO_IDS]
        for leaf, base, _ in self.leaves:
            inside = within[(within >= base) & (within < base + leaf.doc_count_all())] - base
            if len(inside):
                found = postinglists.positions(leaf, fieldname, btext, inside)
                docnums.append(found[0] + base)
                positions.append(found[1])
        return np.concatenate(docnums), np.concatenate(positions)

    def _term(self, q: query.Term) -> tuple[np.ndarray, np.ndarray]:
        return self._bm25f([q])

    def _bm25f(self, terms: list[query.Term], boost: float = 1.0
               ) -> tuple[np.ndarray, np.ndarray]:
        """One word sought in several fields (``terms``, one per field, boost = field weight)."""
        found, pseudo = self._pseudo_frequency(terms)
        mask, scores = self._empty()
        mask[found] = True
        if len(found):
            idf = np.log(1 + (self.count - len(found) + 0.5) / (len(found) + 0.5))
            scores[found] = np.float32(boost * idf) * pseudo * np.float32(K1 + 1) / (pseudo + K1)
        return mask, scores

    def _pseudo_frequency(self, terms: list[query.Term]) -> tuple[np.ndarray, np.ndarray]:
        """The live documents holding the word in any of the fields, and their BM25F weighted,
        length-normalised frequency; cached for this version of the index (a query's words
        are each one dictionary lookup after the first search with them)."""
        key = tuple((t.fieldname, t.text, t.boost, FIELD_B.get(t.fieldname, DEFAULT_B))
                    for t in terms)
        cached = self._words.get(key)
        if cached is not None:
            return cached
        docs, contributions = [], []
        for term in terms:
            if term.fieldname not in self.searcher.schema:
                continue
            btext = self.searcher.schema[term.fieldname].to_bytes(term.text)
            docnums, weights = self.postings(term.fieldname, btext)
            if not len(docnums):
                continue
            docs.append(docnums)
            if term.fieldname in self.lengths:
                b = FIELD_B.get(term.fieldname, DEFAULT_B)
                lengths = self.lengths[term.fieldname][docnums]
                norm = (1 - b) + b * lengths / self.averages[term.fieldname]
                contributions.append(np.float32(term.boost) * weights / norm)
            else:
                contributions.append(np.zeros(len(docnums), dtype=np.float32))
        if docs:
            found, inverse = np.unique(np.concatenate(docs), return_inverse=True)
            pseudo = np.bincount(inverse, weights=np.concatenate(contributions)
                                 ).astype(np.float32)
            live = self.live[found]
            entry = (found[live], pseudo[live])
        else:
            entry = (NO_IDS, NO_WEIGHTS)
        return _keep(self._words, key, entry, CACHED_WORDS)

    def _by_whoosh(self, q: query.Query) -> tuple[np.ndarray, np.ndarray]:
        """Phrases and other positional queries: Whoosh finds them; their words give the score."""
        mask, _ = self._empty()
        mask[np.fromiter(self.searcher.docs_for_query(q), dtype=np.int64)] = True
        if not isinstance(q, query.Phrase):
            return mask, np.zeros(self.size, dtype=np.float32)
        return mask, self._phrase_scores(q) * mask

    def _empty(self) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(self.size, dtype=bool), np.zeros(self.size, dtype=np.float32)

    def ranked(self, mask: np.ndarray, scores: np.ndarray, limit: int, by_date: bool = False
               ) -> list[int]:
        """The ``limit`` best document numbers among ``mask``: by score, or newest first."""
        docnums = np.flatnonzero(mask)
        if by_date:
            order = np.lexsort((docnums, -scores[docnums], -self.start_years[docnums]))
            return docnums[order[:limit]].tolist()
        if len(docnums) > limit:
            keep = np.argpartition(-scores[docnums], limit - 1)[:limit]
            docnums = docnums[keep]
        order = np.lexsort((docnums, -scores[docnums]))
        return docnums[order].tolist()


_STRIDE = np.int64(2**32)  # more than any position in a field


def _keep(cache: dict, key: object, value, limit: int):
    """``value`` stored under ``key``, the oldest entry dropped first when ``limit`` are kept."""
    if len(cache) >= limit:
        cache.pop(next(iter(cache)))
    cache[key] = value
    return value


def _one_word(q: query.Or, scored: dict) -> bool:
    """Whether ``q`` is one word sought in several scored fields, to be scored as BM25F."""
    children = q.subqueries
    return bool(children) and all(
        type(child) is query.Term and child.fieldname in scored and child.text == children[0].text
        for child in children
    )


def _within(mask: np.ndarray, scores: np.ndarray, boost: float) -> np.ndarray:
    """Scores where ``mask`` holds, zero elsewhere, so that enclosing clauses can add them up."""
    return np.where(mask, scores * np.float32(boost), np.float32(0))


def _concatenate(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
