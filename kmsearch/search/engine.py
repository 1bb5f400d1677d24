"""One search over both indexes: keyword, semantic or hybrid, filtered, faceted and paged."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import numpy as np

from ..access import ANONYMOUS, Viewer
from ..documents import DOCUMENT_LABELS, PageRef
from ..errors import Problem, ValidationError
from ..filters import FACETS, NO_FILTERS, Filters
from ..index.catalog import FACET_NAMES, Catalog
from ..index.keyword import KeywordIndex, filter_query
from ..index.vectors import VectorIndex
from ..taxonomy import Taxonomy
from .fusion import reciprocal_rank_fusion
from .results import MODES, SORTS, FacetValue, Hit, SearchResults

SNIPPET_CHARS = 280
MAX_SNIPPETS = 50  # keyword highlights are made for the hits up to the page shown, at most


@dataclass(frozen=True)
class EngineSettings:
    rrf_k: int = 60
    depth: int = 100  # how many hits each arm contributes to fusion
    min_similarity: float = 0.25  # a semantic hit below this is not a match
    max_query_length: int = 1000
    max_per_page: int = 100


class SearchEngine:
    """Search a catalog of documents through a keyword index and a vector index."""

    def __init__(
        self,
        keyword: KeywordIndex,
        vectors: VectorIndex,
        catalog: Catalog,
        *,
        taxonomy: Taxonomy | None = None,
        settings: EngineSettings = EngineSettings(),
    ):
        self.keyword = keyword
        self.vectors = vectors
        self.catalog = catalog
        self.taxonomy = taxonomy
        self.settings = settings
        self._alignment: tuple[tuple[int, int], np.ndarray] | None = None
        self._keyword_map: tuple[np.ndarray, np.ndarray] | None = None

    def search(
        self,
        query: str,
        *,
        mode: str = "hybrid",
        filters: Filters = NO_FILTERS,
        viewer: Viewer = ANONYMOUS,
        page: int = 1,
        per_page: int = 10,
        sort: str = "relevance",
    ) -> SearchResults:
        """Rank what the viewer may see; an empty query lists every match, newest first."""
        query = " ".join((query or "").split())
        self._check(query, mode, page, per_page, sort)
        catalog = self.catalog
        mask = catalog.mask(filters, viewer)
        depth = max(self.settings.depth, page * per_page)
        keyword_hits: dict[str, str] = {}
        keyword_pages: dict[str, int] = {}
        passages: dict[str, str] = {}
        suggestion = None
        if not query:
            rows = np.flatnonzero(mask)
            ranked = []
            sort = "date"
        else:
            rankings, candidates = [], []
            if mode in ("keyword", "hybrid"):
                result = self.keyword.search(
                    query, filter=filter_query(filters, viewer), limit=depth,
                    snippets=min(page * per_page, MAX_SNIPPETS),
                )
                candidates.append(self._keyword_rows(result))
                keyword_hits = {h.key: h.snippet for h in result.hits}
                keyword_pages = {h.key: h.page for h in result.hits if h.page is not None}
                scores = {h.key: h.score for h in result.hits}
                rankings.append(([h.key for h in result.hits], scores))
                suggestion = result.suggestion
            if mode in ("semantic", "hybrid"):
                hits = self._semantic(query, mask, depth)
                passages = {h.key: h.passage for h in hits}
                candidates.append(catalog.rows_of(passages))
                rankings.append(([h.key for h in hits], {h.key: h.score for h in hits}))
            if mode == "semantic":
                suggestion = self.keyword.search(
                    query, filter=filter_query(filters, viewer), limit=1
                ).suggestion
            ranked = self._rank(rankings, mode)
            rows = candidates[0] if len(candidates) == 1 else np.unique(np.concatenate(candidates))
            rows = rows[mask[rows]]
            known = catalog.rows
            ranked = [(key, score) for key, score in ranked if key in known and mask[known[key]]]
        if sort == "date":
            ranked = self._by_date(rows, dict(ranked))
        start = (page - 1) * per_page
        hits = [
            Hit(doc, score, *self._snippet(doc.key, keyword_hits, keyword_pages, passages, doc))
            for key, score in ranked[start : start + per_page]
            for doc in [catalog.docs[catalog.rows[key]]]
        ]
        return SearchResults(
            query=query,
            mode=mode,
            filters=filters,
            total=len(rows),
            page=page,
            per_page=per_page,
            hits=hits,
            facets=self._facets(rows, filters),
            suggestion=suggestion,
            sort=sort,
        )

    def _keyword_rows(self, result) -> np.ndarray:
        """The catalog rows of every keyword match, through a per-version docnum -> row map."""
        if self._keyword_map is None or self._keyword_map[0] is not result.keys:
            rows = self.catalog.rows
            mapping = np.fromiter((rows.get(k, -1) for k in result.keys), np.int64,
                                  len(result.keys))
            self._keyword_map = (result.keys, mapping)
        found = self._keyword_map[1][result.docnums]
        return found[found >= 0]

    def _check(self, query: str, mode: str, page: int, per_page: int, sort: str) -> None:
        problems = []
        limit = self.settings.max_query_length
        if len(query) > limit:
            problems.append(Problem("query", "q", f"expected at most {limit} characters, "
                                    f"found {len(query)}"))
        if mode not in MODES:
            problems.append(Problem("query", "mode", f"expected one of {', '.join(MODES)}, "
                                    f"found {mode!r}"))
        if sort not in SORTS:
            problems.append(Problem("query", "sort", f"expected one of {', '.join(SORTS)}, "
                                    f"found {sort!r}"))
        if page < 1 or page > 10_000:
            problems.append(Problem("query", "page", f"expected a page from 1 to 10000, "
                                    f"found {page}"))
        if not 1 <= per_page <= self.settings.max_per_page:
            problems.append(Problem("query", "per_page", f"expected 1 to "
                                    f"{self.settings.max_per_page}, found {per_page}"))
        if problems:
            raise ValidationError(problems)

    def _semantic(self, query: str, mask: np.ndarray, k: int):
        vector = self.vectors.embed_query(query)
        hits = self.vectors.search(vector, doc_mask=self.vector_mask(mask), k=k)
        return [h for h in hits if h.score >= self.settings.min_similarity]

    def vector_mask(self, mask: np.ndarray) -> np.ndarray:
        """The catalog mask re-ordered to the vector index's documents (unknown ones hidden)."""
        version = (id(self.catalog), self.vectors.version)
        if self._alignment is None or self._alignment[0] != version:
            rows = self.catalog.rows
            order = np.fromiter((rows.get(k, -1) for k in self.vectors.doc_keys), dtype=np.int64)
            self._alignment = (version, order)
        order = self._alignment[1]
        padded = np.append(mask, False)  # index -1 lands on this False
        return padded[order]

    def _rank(self, rankings, mode: str) -> list[tuple[str, float]]:
        if mode == "hybrid":
            return reciprocal_rank_fusion([keys for keys, _ in rankings], k=self.settings.rrf_k)
        keys, scores = rankings[0]
        return [(key, float(scores[key])) for key in keys]

    def _by_date(self, rows: np.ndarray, scores: dict[str, float]) -> list[tuple[str, float]]:
        """Every candidate, newest first; relevance, then catalog order, breaks ties."""
        docs = self.catalog.docs
        relevance = np.zeros(len(rows), dtype=np.float64)
        if scores:  # a browse (no query) has none: skip a Python pass over every row
            relevance[:] = [scores.get(docs[r].key, 0.0) for r in rows]
        order = np.lexsort((rows, -relevance, -self.catalog.start_years[rows]))
        return [(docs[r].key, float(relevance[i])) for i, r in ((i, rows[i]) for i in order)]

    def _snippet(
        self, key: str, keyword_hits: dict, keyword_pages: dict, passages: dict, doc
    ) -> tuple[str, PageRef | None]:
        """The snippet, and the attached page it was found on (None: in the note itself)."""
        snippet = keyword_hits.get(key, "")
        if "<mark>" in snippet:
            page = keyword_pages.get(key)
            return snippet, doc.pages[page] if page is not None else None
        if key in passages:
            page_ref = doc.page_of(passages[key])
            text = passages[key]
            if page_ref is not None:  # the title the passage starts with is not on the page
                text = text[len(" ".join(doc.title.split())):].lstrip(". ") or text
            return escape(_shorten(text)), page_ref
        if snippet:
            return snippet, None
        return escape(_shorten(doc.summary or doc.lessons or doc.body)), None

    def _facets(self, rows: np.ndarray, filters: Filters) -> dict[str, list[FacetValue]]:
        counts = self.catalog.facet_counts(rows)
        facets: dict[str, list[FacetValue]] = {}
        for name in FACET_NAMES:
            selected = _selected(filters, name)
            values = [
                FacetValue(value, self._label(name, value), count, value in selected)
                for value, count in counts[name].items()
            ]
            if name == "year":
                values.sort(key=lambda v: -int(v.value))
            else:
                values.sort(key=lambda v: (-v.count, str(v.label)))
            facets[name] = values
        return facets

    def _label(self, name: str, value: object) -> str:
        vocabulary = FACETS.get(name, (None, None))[1]
        if self.taxonomy is not None and isinstance(vocabulary, str):
            if name == "sdg":
                return self.taxonomy.sdg_label(int(value))
            return self.taxonomy.vocabulary(vocabulary).name_of(value)
        if name == "good_practice":
            return "Good practice"
        if name == "document":
            return DOCUMENT_LABELS.get(str(value), str(value))
        return str(value).replace("-", " ").capitalize() if isinstance(value, str) else str(value)


def _selected(filters: Filters, name: str) -> set:
    if name == "year":
        return set()
    if name == "good_practice":
        return {True} if filters.good_practice else set()
    return set(getattr(filters, name))


def _shorten(text: str, limit: int = SNIPPET_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + " …"
