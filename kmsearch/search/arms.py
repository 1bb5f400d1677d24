"""The search arms behind one interface: what the engine asks of any arm, and the two it has.

An arm ranks the catalog's documents for a query among the rows a mask allows; the engine
loops over the arms of a mode and fuses their rankings. Another arm (a PostgreSQL or OpenSearch
one, say) implements ``Arm`` and is passed to the engine; nothing in the engine changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from ..documents import PageRef
from ..index.catalog import Catalog
from ..index.keyword import KeywordIndex, KeywordResult
from ..index.querysyntax import QueryParts
from ..index.snippets import shorten
from ..index.vectors import DocScores, VectorHit, VectorIndex, VectorSnapshot

LONG_QUERY_WORDS = 48  # more distinct words than this: the keyword arm keeps the rarest ones


class Embedder(Protocol):
    """A sentence-embedding model: texts in, L2-normalised float32 rows out."""

    name: str
    dimension: int

    @property
    def max_text_tokens(self) -> int: ...

    def count_tokens(self, text: str) -> int: ...

    def token_spans(self, texts: list[str]) -> list[list[tuple[int, int]]]: ...

    def embed(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class ArmQuery:
    """The query as each arm may use it: typed (with syntax) and as free-text words."""

    text: str  # as typed; "" when only free words are to be searched
    words: str  # the free-text words, filters and syntax removed
    long: bool = False  # a long text ("more like this"): search its words, not its syntax


@dataclass
class ArmResult:
    """One arm's answer: a ranking among the allowed rows, snippets, and the rows it matches."""

    ranked: list[tuple[str, float]]
    snippets: dict[str, str] = field(default_factory=dict)
    pages: dict[str, PageRef] = field(default_factory=dict)  # snippets from attached pages
    suggestion: str | None = None
    notes: list[str] = field(default_factory=list)
    matching: MatchedRows | None = None
    shortened: bool = False  # the arm searched only part of a long text
    # snippets worked out on demand, for the hits a page shows (instead of ``snippets``)
    snippet_of: SnippetOf | None = None

    def matched(self, mask: np.ndarray) -> np.ndarray:
        """Catalog rows this arm counts as matching among ``mask`` (for totals and facets)."""
        return self.matching(mask) if self.matching is not None else np.zeros(0, np.int64)

    def snippet(self, key: str) -> tuple[str, PageRef | None] | None:
        """This arm's snippet of a document, and the attached page it is from (None: no snippet)."""
        if self.snippet_of is not None:
            return self.snippet_of(key)
        text = self.snippets.get(key)
        return (text, self.pages.get(key)) if text else None


class MatchedRows(Protocol):
    def __call__(self, mask: np.ndarray) -> np.ndarray: ...


class SnippetOf(Protocol):
    def __call__(self, key: str) -> tuple[str, PageRef | None] | None: ...


class Arm(Protocol):
    """Anything that ranks catalog documents for a query among allowed rows."""

    name: str

    def search(self, query: ArmQuery, allowed: np.ndarray, depth: int,
               snippets: int) -> ArmResult: ...


@runtime_checkable
class Restricting(Protocol):
    """An arm that evaluates the filters typed in a query (``division:x``) to catalog rows."""

    def restrict(self, parts: QueryParts) -> np.ndarray | None: ...

    def split(self, text: str) -> QueryParts: ...

    def suggest(self, text: str, allowed: np.ndarray) -> str | None: ...


class KeywordArm:
    """BM25F over the Whoosh index: the query language, typed filters and snippets live here."""

    name = "keyword"

    def __init__(self, index: KeywordIndex, catalog: Catalog):
        self.index = index
        self.catalog = catalog
        self._map: tuple[np.ndarray, np.ndarray] | None = None

    def split(self, text: str) -> QueryParts:
        return self.index.syntax.split(text)

    def restrict(self, parts: QueryParts) -> np.ndarray | None:
        """The catalog rows the query's typed filters accept (None: it has none)."""
        if parts.restriction is None:
            return None
        mask = np.zeros(len(self.catalog), dtype=bool)
        mask[self._rows(self.index.matching(parts.restriction), "docnums")] = True
        return mask

    def search(self, query: ArmQuery, allowed: np.ndarray, depth: int,
               snippets: int) -> ArmResult:
        notes = []
        text = query.text
        if query.long:
            words, count = self.index.informative_words(query.words, LONG_QUERY_WORDS)
            text = " ".join(words)
            if count > LONG_QUERY_WORDS:
                notes.append(f"Keyword search used the {len(words)} most distinctive of the "
                             f"text's {count} words.")
        result = self.index.search(text, allowed=self._allowed(allowed), limit=depth,
                                   snippets=snippets)
        unfiltered = self._rows(result, "unfiltered")
        docs, rows = self.catalog.docs, self.catalog.rows
        return ArmResult(
            ranked=[(h.key, h.score) for h in result.hits],
            snippets={h.key: h.snippet for h in result.hits if h.snippet},
            pages={h.key: docs[rows[h.key]].pages[h.page] for h in result.hits
                   if h.page is not None and h.key in rows},
            suggestion=None if query.long else result.suggestion,
            notes=notes,
            matching=lambda mask: unfiltered[mask[unfiltered]],
            shortened=bool(notes),
        )

    def suggest(self, text: str, allowed: np.ndarray) -> str | None:
        """"Did you mean" for a query searched by other arms."""
        return self.index.search(text, allowed=self._allowed(allowed), limit=0).suggestion

    def _allowed(self, allowed: np.ndarray):
        padded = np.append(allowed, False)  # documents unknown to the catalog land on False
        return lambda keys: padded[self._mapping(keys)]

    def _mapping(self, keys: np.ndarray) -> np.ndarray:
        """Document number -> catalog row (-1 when unknown), once per index version."""
        mapping = self._map  # read once: another request may replace it meanwhile
        if mapping is None or mapping[0] is not keys:
            rows = self.catalog.rows
            mapping = (keys, np.fromiter((rows.get(k, -1) for k in keys), np.int64, len(keys)))
            self._map = mapping
        return mapping[1]

    def _rows(self, result: KeywordResult, attribute: str) -> np.ndarray:
        found = self._mapping(result.keys)[getattr(result, attribute)]
        return found[found >= 0]


class SemanticArm:
    """Cosine similarity of the query's embedding to every passage, best passage per document."""

    name = "semantic"

    def __init__(self, vectors: VectorIndex, catalog: Catalog):
        self.vectors = vectors
        self.catalog = catalog
        self._alignment: tuple[VectorSnapshot, np.ndarray] | None = None

    def search(self, query: ArmQuery, allowed: np.ndarray, depth: int,
               snippets: int) -> ArmResult:
        text, notes = self._window(query.words)
        # one snapshot for the whole request: a note published meanwhile changes the index
        snapshot = self.vectors.snapshot()
        scores = snapshot.scores(self.vectors.embed_query(text))
        hits = scores.top(self.vector_mask(allowed, snapshot), depth)
        by_key = {hit.key: hit for hit in hits}
        ranked_rows = self.catalog.rows_of(by_key)

        def matching(mask: np.ndarray) -> np.ndarray:
            if mask is allowed or np.array_equal(mask, allowed):  # the ranking's own rows
                return ranked_rows
            return self._top_rows(scores, mask, depth)

        return ArmResult(
            ranked=[(h.key, h.score) for h in hits],
            notes=notes,
            matching=matching,
            shortened=bool(notes),
            snippet_of=lambda key: self._snippet(by_key[key]) if key in by_key else None,
        )

    def _snippet(self, hit: VectorHit) -> tuple[str, PageRef | None]:
        """The hit's best passage, shortened, and the attached page it is from."""
        row = self.catalog.rows.get(hit.key)
        doc = self.catalog.docs[row] if row is not None else None
        ref = doc.page_of(hit.passage) if doc is not None else None
        text = hit.passage
        if ref is not None:  # the title a passage starts with is not on the page
            title = " ".join(doc.title.split())
            text = " ".join(text.split())[len(title):].lstrip(". ") or text
        return shorten(text), ref

    def nearest(self, vector: np.ndarray, allowed: np.ndarray, k: int):
        """The ``k`` documents nearest to ``vector`` among the allowed rows."""
        snapshot = self.vectors.snapshot()
        return snapshot.search(vector, doc_mask=self.vector_mask(allowed, snapshot), k=k)

    def _window(self, text: str) -> tuple[str, list[str]]:
        """``text`` cut to the model's window, with a note when that dropped words."""
        embedder = self.vectors.embedder
        budget = embedder.max_text_tokens
        if len(text) < budget * 2:  # a token is at least one character, [CLS] and [SEP] aside
            return text, []
        spans = embedder.token_spans([text])[0]
        if len(spans) <= budget:
            return text, []
        cut = text[: spans[budget - 1][1]]
        kept = len(cut.split())
        return cut, [f"Semantic search read the first {kept} of the text's "
                     f"{len(text.split())} words (the model's window is {budget} tokens)."]

    def _top_rows(self, scores: DocScores, mask: np.ndarray, depth: int) -> np.ndarray:
        snapshot = scores.snapshot
        return self.catalog.rows_of(
            h.key for h in scores.top(self.vector_mask(mask, snapshot), depth))

    def vector_mask(self, mask: np.ndarray, snapshot: VectorSnapshot) -> np.ndarray:
        """The catalog mask re-ordered to ``snapshot``'s documents (unknown ones hidden).

        Requests run in parallel while notes are published: the alignment is kept per snapshot
        and read into a local, never re-read from the shared attribute after another thread
        may have replaced it."""
        alignment = self._alignment
        if alignment is None or alignment[0] is not snapshot:
            rows = self.catalog.rows
            order = np.fromiter((rows.get(k, -1) for k in snapshot.doc_keys), dtype=np.int64)
            alignment = (snapshot, order)
            self._alignment = alignment
        padded = np.append(mask, False)  # index -1 lands on this False
        return padded[alignment[1]]
