"""The search service that web pages, the JSON API and the CLI all call."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..access import ANONYMOUS, Viewer
from ..config import Settings
from ..errors import Problem, ValidationError
from ..filters import Filters
from ..index.indexer import Indexes, SyncReport
from ..index.snippets import shorten
from ..limits import lone_surrogate
from ..store.cases import Store
from ..taxonomy import Taxonomy
from .engine import EngineSettings, SearchEngine
from .request import Limits, SearchRequest
from .results import Hit, SearchResults

log = logging.getLogger(__name__)


@dataclass
class LinkSuggestion:
    code: str
    label: str
    score: float


@dataclass
class LinkSuggestions:
    """What a text is about, by similarity to the taxonomy's and recommendations' descriptions."""

    nexus_areas: list[LinkSuggestion] = field(default_factory=list)
    recommendations: list[LinkSuggestion] = field(default_factory=list)
    sdgs: list[LinkSuggestion] = field(default_factory=list)
    cases: list[Hit] = field(default_factory=list)


class SearchService:
    """Search, related notes and link suggestions over the indexes derived from the store."""

    def __init__(self, store: Store, taxonomy: Taxonomy, settings: Settings, embedder_factory=None):
        self.store = store
        self.taxonomy = taxonomy
        self.settings = settings
        self.indexes = Indexes(
            settings.index_dir, taxonomy, embedder_factory, settings.embedding_cache_file
        )
        self._lock = threading.Lock()
        self._opened: SyncReport | None = None
        self._engine: SearchEngine | None = None
        self._engine_parts: tuple | None = None
        self._label_vectors: dict[str, tuple[list[LinkSuggestion], np.ndarray]] = {}

    def open(self, progress: Callable[..., None] | None = None) -> SyncReport:
        """Open (and if needed rebuild or sync) the indexes; later calls return the first report."""
        with self._lock:
            if self._opened is None:
                self._opened = self.indexes.open(self.store, progress)
                if self._opened.rebuilt:
                    log.warning("rebuilt indexes: %s", ", ".join(self._opened.rebuilt))
            return self._opened

    def reindex(self, progress: Callable[..., None] | None = None) -> SyncReport:
        with self._lock:
            self._opened = self.indexes.rebuild(self.store, progress)
            return self._opened

    def warm(self) -> None:
        """Load the model and the frequent postings now, so that no user's query pays for it."""
        self.open()
        self.indexes.keyword.warm()
        self.indexes.vectors.embed_query("warm up")

    def sync(self, progress: Callable[..., None] | None = None) -> SyncReport:
        """Bring the indexes up to date after many notes changed in the store at once."""
        if self._opened is None:  # opening syncs with the store anyway
            return self.open(progress)
        return self.indexes.sync(self.store, progress)

    def case_changed(self, case_id: str) -> None:
        """Bring the indexes up to date with one note the store just saved, archived or deleted."""
        self.open()
        self.indexes.refresh_case(self.store, case_id)

    @property
    def engine(self) -> SearchEngine:
        """The engine over the current indexes; a new one only after the indexes changed."""
        self.open()
        indexes = self.indexes
        parts = (indexes.keyword, indexes.vectors, indexes.catalog)
        engine = self._engine
        if engine is None or self._engine_parts != parts:
            engine = SearchEngine.over(*parts, taxonomy=self.taxonomy,
                                       settings=EngineSettings.of(self.settings, self.limits))
            self._engine, self._engine_parts = engine, parts
        return engine

    @property
    def limits(self) -> Limits:
        """The one set of bounds every search request is held to, from the settings."""
        return Limits(max_query_length=self.settings.max_query_length,
                      max_per_page=self.settings.max_per_page)

    def search(self, request: SearchRequest, viewer: Viewer = ANONYMOUS) -> SearchResults:
        """Answer one validated request for ``viewer``."""
        return self.engine.search(request, viewer)

    def related(self, case_id: str, viewer: Viewer = ANONYMOUS, k: int = 5) -> list[Hit]:
        """The case notes nearest to this one in meaning, among those the viewer may see."""
        return self._nearest(f"case:{case_id}", Filters(type=("case",)), viewer, k, case_id)

    def related_lessons(self, lesson_id: str, viewer: Viewer = ANONYMOUS, k: int = 5) -> list[Hit]:
        """Lessons of other notes nearest to this lesson."""
        case_id = lesson_id.rsplit("--", 1)[0]
        return self._nearest(f"lesson:{lesson_id}", Filters(type=("lesson",)), viewer, k, case_id)

    def _nearest(self, key: str, filters: Filters, viewer: Viewer, k: int, case_id: str):
        engine = self.engine
        vector = self.indexes.vectors.doc_vector(key)
        if vector is None:  # not searchable (a draft, or archived): nothing is related to it
            return []
        catalog = engine.catalog
        mask = catalog.mask(filters, viewer)
        for own in self.indexes.keys_of(case_id):
            if own in catalog.rows:
                mask[catalog.rows[own]] = False
        hits = engine.semantic.nearest(vector, mask, k)
        return [
            Hit(doc, h.score, shorten(h.passage))
            for h in hits
            for doc in [catalog.docs[catalog.rows[h.key]]]
        ]

    def suggest_links(self, text: str, viewer: Viewer = ANONYMOUS, k: int = 3) -> LinkSuggestions:
        """Nexus areas, recommendations and SDGs a text illustrates, and similar case notes."""
        text = " ".join((text or "").split())
        if not text:
            raise ValidationError([Problem("request", "text", "expected some text to link")])
        if len(text) > 20_000:
            raise ValidationError([Problem("request", "text", "expected at most 20000 characters")])
        if bad := lone_surrogate(text):
            raise ValidationError([Problem("request", "text", "the text contains the unpaired "
                                           f"surrogate U+{ord(bad):04X}, which is not a "
                                           "character; remove it")])
        engine = self.engine
        vector = self.indexes.vectors.embed_query(text)
        ranked = {}
        for group in ("nexus_areas", "recommendations", "sdgs"):
            labels, matrix = self._labels(group)
            scores = matrix @ vector if len(labels) else np.zeros(0)
            order = np.argsort(-scores)[:k]
            ranked[group] = [
                LinkSuggestion(labels[i].code, labels[i].label, round(float(scores[i]), 4))
                for i in order
            ]
        request = SearchRequest(text, "semantic", Filters(type=("case",)), per_page=k, like=True,
                                group=False)
        cases = engine.search(request, viewer).hits
        return LinkSuggestions(**ranked, cases=cases)

    def _labels(self, group: str) -> tuple[list[LinkSuggestion], np.ndarray]:
        if group not in self._label_vectors:
            labels, texts = self._label_texts(group)
            self.open()
            vectors = self.indexes.vectors.embed_texts(texts) if texts else np.zeros((0, 1))
            self._label_vectors[group] = (labels, vectors)
        return self._label_vectors[group]

    def _label_texts(self, group: str) -> tuple[list[LinkSuggestion], list[str]]:
        taxonomy = self.taxonomy
        if group == "nexus_areas":
            terms = list(taxonomy.nexus_areas)
            return ([LinkSuggestion(t.code, t.name, 0.0) for t in terms],
                    [f"{t.name}. {t.description}" for t in terms])
        if group == "sdgs":
            terms = list(taxonomy.sdgs)
            return ([LinkSuggestion(t.code, taxonomy.sdg_label(int(t.code)), 0.0) for t in terms],
                    [f"Sustainable Development Goal {t.code}: {t.name}" for t in terms])
        recs = self.store.list_recommendations()
        return ([LinkSuggestion(r.id, f"Recommendation {r.number}", 0.0) for r in recs],
                [r.text for r in recs])
