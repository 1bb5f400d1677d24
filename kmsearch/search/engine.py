"""One search over every arm: filtered once from the catalog, ranked per arm, fused, grouped, paged.

Visibility, URL filters and the filters typed in the query become one catalog mask that every
arm ranks within, so each mode honours them identically.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ..access import Viewer
from ..config import Settings
from ..documents import DOCUMENT_LABELS, PageRef
from ..filters import FACETS, Filters
from ..index.catalog import FACET_NAMES, Catalog
from ..index.keyword import KeywordIndex
from ..index.querysyntax import QueryParts
from ..index.snippets import shorten
from ..index.vectors import VectorIndex
from ..taxonomy import Taxonomy
from .arms import LONG_QUERY_WORDS, Arm, ArmQuery, ArmResult, KeywordArm, Restricting, SemanticArm
from .fusion import FusionSettings, fuse
from .grouping import group_count, page_of_groups
from .request import Limits, SearchRequest, check_request
from .results import FacetValue, Hit, SearchResults

MAX_SNIPPETS = 50  # keyword highlights are made for the hits up to the page shown, at most
MODE_ARMS = {"keyword": ("keyword",), "semantic": ("semantic",)}  # hybrid: every arm


@dataclass(frozen=True)
class EngineSettings:
    fusion: FusionSettings = FusionSettings()  # how hybrid mode fuses the two arms
    depth: int = 100  # how many hits each arm contributes to fusion
    limits: Limits = Limits()

    @classmethod
    def of(cls, settings: Settings, limits: Limits | None = None) -> EngineSettings:
        """The library's settings for the engine: the app, the CLI and ``kmsearch eval`` alike."""
        weight = settings.fusion_semantic_weight
        fusion = FusionSettings(settings.fusion, (1.0 - weight, weight), settings.rrf_k)
        return cls(fusion=fusion, limits=limits or Limits())


class SearchEngine:
    """Search a catalog of documents through its arms (keyword and semantic, or others)."""

    def __init__(self, catalog: Catalog, arms: Mapping[str, Arm], *,
                 taxonomy: Taxonomy | None = None, settings: EngineSettings = EngineSettings()):
        self.catalog = catalog
        self.arms = dict(arms)
        self.taxonomy = taxonomy
        self.settings = settings
        self.restricting = next((a for a in self.arms.values() if isinstance(a, Restricting)),
                                None)

    @classmethod
    def over(cls, keyword: KeywordIndex, vectors: VectorIndex, catalog: Catalog,
             **options) -> SearchEngine:
        """The usual engine: BM25F keyword arm and embedding arm over one catalog."""
        arms = {"keyword": KeywordArm(keyword, catalog), "semantic": SemanticArm(vectors, catalog)}
        return cls(catalog, arms, **options)

    @property
    def semantic(self) -> SemanticArm:
        return self.arms["semantic"]  # type: ignore[return-value]

    def search(self, request: SearchRequest, viewer: Viewer) -> SearchResults:
        """Rank what the viewer may see; a query with no words lists every match, newest first."""
        request = check_request(request, self.settings.limits)
        text, notes = self._clip(request.q)
        clipped = bool(notes)
        long = request.like or len(text.split()) > LONG_QUERY_WORDS
        parts = self._split(text, long)
        notes += parts.notes
        catalog = self.catalog
        base = catalog.visible(viewer)
        restricted = self.restricting.restrict(parts) if self.restricting else None
        if restricted is not None:
            base &= restricted
        filter_masks = catalog.filter_masks(request.filters)
        allowed = _all(base, filter_masks.values())
        sort = request.sort
        results: list[ArmResult] = []
        if not parts.searchable:
            if text and restricted is None:  # words, but none that can be searched
                allowed = np.zeros(len(catalog), dtype=bool)
            sort = "date"
        else:
            depth = max(self.settings.depth, request.page * request.per_page
                        * (3 if request.group else 1))
            highlighted = min(request.page * request.per_page, MAX_SNIPPETS)
            query = ArmQuery("" if long else (parts.text or text), parts.words, long)
            arms = [self.arms[name] for name in MODE_ARMS.get(request.mode, tuple(self.arms))]
            results = _search_arms(arms, query, allowed, depth, highlighted)
        matched = self._matched(results, allowed)
        rows, scores = self._rank(results, request.mode)
        if sort == "date":
            rows, scores = self._by_date(matched, rows, scores)
        suggestion = next((r.suggestion for r in results if r.suggestion), None)
        if (suggestion is None and parts.searchable and not long
                and "keyword" not in MODE_ARMS.get(request.mode, ("keyword",))
                and self.restricting is not None):
            suggestion = self.restricting.suggest(text, allowed)
        for result in results:
            notes += [n for n in result.notes if n not in notes]
        total, hits = self._page(request, rows, scores, matched, allowed, results)
        return SearchResults(
            query=request.q, mode=request.mode, filters=request.filters, total=total,
            page=request.page, per_page=request.per_page, hits=hits,
            facets=self._facets(results, base, filter_masks, matched, request.filters),
            suggestion=suggestion, sort=sort, notes=notes, grouped=request.group,
            shortened=clipped or any(r.shortened for r in results),
        )

    def _page(self, request: SearchRequest, rows: np.ndarray, scores: np.ndarray,
              matched: np.ndarray, allowed: np.ndarray, results: list[ArmResult]
              ) -> tuple[int, list[Hit]]:
        """The total and the hits of the page asked for, lessons grouped under their case."""
        start = (request.page - 1) * request.per_page
        if not request.group:
            end = start + request.per_page
            return len(matched), [self._hit(int(r), float(s), results)
                                  for r, s in zip(rows[start:end], scores[start:end], strict=True)]
        groups = page_of_groups(self.catalog, rows, scores, matched, allowed, start,
                                request.per_page, request.expand)
        hits = [self._hit(g.row, g.score, results) for g in groups]
        for hit, group in zip(hits, groups, strict=True):
            hit.lessons = [self._hit(row, score, results) for row, score in group.lessons]
            hit.lesson_count = group.lesson_count
        return group_count(self.catalog, matched), hits

    def _clip(self, text: str) -> tuple[str, list[str]]:
        limit = self.settings.limits.max_query_length
        if len(text) <= limit:
            return text, []
        cut = text[:limit].rsplit(" ", 1)[0]
        return cut, [f"The text was cut to its first {len(cut):,} characters "
                     f"(of {len(text):,})."]

    def _split(self, text: str, long: bool) -> QueryParts:
        if not text:
            return QueryParts(None, "", False)
        if long or self.restricting is None:
            words = " ".join(text.split())
            return QueryParts(None, words, bool(words))
        return self.restricting.split(text)

    def _matched(self, results: list[ArmResult], mask: np.ndarray) -> np.ndarray:
        """Every row that some arm matches within ``mask`` (every row of it for a browse)."""
        if not results:
            return np.flatnonzero(mask)
        found = [r.matched(mask) for r in results]
        if len(found) == 1:
            return found[0]
        union = np.zeros(len(self.catalog), dtype=bool)
        for rows in found:
            union[rows] = True
        return np.flatnonzero(union)

    def _rank(self, results: list[ArmResult], mode: str) -> tuple[np.ndarray, np.ndarray]:
        if not results:
            return np.zeros(0, np.int64), np.zeros(0)
        if len(results) > 1:
            ranked = fuse([([k for k, _ in r.ranked], dict(r.ranked)) for r in results],
                          self.settings.fusion)
        else:
            ranked = results[0].ranked
        known = self.catalog.rows
        pairs = [(known[key], score) for key, score in ranked if key in known]
        rows = np.fromiter((r for r, _ in pairs), np.int64, len(pairs))
        return rows, np.fromiter((s for _, s in pairs), np.float64, len(pairs))

    def _by_date(self, matched: np.ndarray, rows: np.ndarray, scores: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Every match, newest first; relevance, then catalog order, breaks ties."""
        relevance = np.zeros(len(self.catalog), dtype=np.float64)
        relevance[rows] = scores
        order = np.lexsort((matched, -relevance[matched], -self.catalog.start_years[matched]))
        ordered = matched[order]
        return ordered, relevance[ordered]

    def _hit(self, row: int, score: float, results: list[ArmResult]) -> Hit:
        doc = self.catalog.docs[row]
        snippet, page = _snippet(results, doc.key)
        return Hit(doc, score, snippet or shorten(doc.summary or doc.lessons or doc.body),
                   page=page)

    def _facets(self, results: list[ArmResult], base: np.ndarray,
                filter_masks: dict[str, np.ndarray], matched: np.ndarray, filters: Filters
                ) -> dict[str, list[FacetValue]]:
        """Counts of each facet's values among the matches; a facet in force is counted
        without its own filter, so its other values stay on offer (disjunctive facets)."""
        counts = self.catalog.facet_counts(matched)
        for name in filter_masks:
            others = _all(base, (m for n, m in filter_masks.items() if n != name))
            rows = self._matched(results, others)
            counts[name] = self.catalog.facet_counts(rows)[name]
        facets: dict[str, list[FacetValue]] = {}
        for name in FACET_NAMES:
            selected = _selected(filters, name)
            values = [
                FacetValue(value, self._label(name, value), count, value in selected)
                for value, count in counts[name].items()
            ]
            values += [FacetValue(value, self._label(name, value), 0, True)
                       for value in selected if value not in counts[name]]
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


def _search_arms(arms: list[Arm], query: ArmQuery, allowed: np.ndarray, depth: int,
                 highlighted: int) -> list[ArmResult]:
    """Every arm's answer, in order. The arms after the first run on other threads meanwhile:
    embedding a query and scoring passages leave Python's lock free while the keyword arm runs
    (hybrid: 27 -> 18 ms median at 10,000 notes on two cores)."""
    later = [_arm_threads().submit(arm.search, query, allowed, depth, highlighted)
             for arm in arms[1:]]
    first = [arms[0].search(query, allowed, depth, highlighted)] if arms else []
    return first + [future.result() for future in later]


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _forget_pool() -> None:
    """In a forked child: the parent's threads are not there, so start new ones when needed."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


def _arm_threads() -> ThreadPoolExecutor:
    """The threads arms run on, one per core, started at the first hybrid search."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(os.cpu_count() or 2, thread_name_prefix="kmsearch-arm")
        return _pool


def _snippet(results: list[ArmResult], key: str) -> tuple[str | None, PageRef | None]:
    """A document's snippet: a highlighted passage first, else the later arm's passage; and the
    attached page the chosen snippet comes from."""
    chosen: tuple[str | None, PageRef | None] = (None, None)
    for result in results:
        if "<mark>" not in (chosen[0] or ""):
            chosen = result.snippet(key) or chosen
    return chosen


def _all(base: np.ndarray, masks) -> np.ndarray:
    mask = base.copy()
    for part in masks:
        mask &= part
    return mask


def _selected(filters: Filters, name: str) -> set:
    if name == "year":
        return set()
    if name == "good_practice":
        return {True} if filters.good_practice else set()
    return set(getattr(filters, name))
