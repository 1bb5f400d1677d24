"""Keep the derived indexes in step with the database: open, detect staleness, sync, rebuild."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..documents import IndexDoc, documents_for
from ..errors import KmsearchError
from ..store.cases import Store
from ..taxonomy import Taxonomy
from .catalog import Catalog
from .keyword import IndexCorrupt as KeywordCorrupt
from .keyword import KeywordIndex
from .vectors import CACHE_FILE, EmbeddingCache, VectorIndex
from .vectors import IndexCorrupt as VectorCorrupt

log = logging.getLogger(__name__)
SEARCHABLE_STATES = ("published",)
SAVE_QUIET = 2.0  # seconds without edits before the vector index is written to disk
SAVE_AT_LEAST_EVERY = 30.0  # ... but no later than this during a long run of edits


@dataclass
class SyncReport:
    """What opening or syncing the indexes did, for the CLI and the logs."""

    rebuilt: list[str] = field(default_factory=list)  # "keyword" / "vectors", with reasons
    updated: list[str] = field(default_factory=list)  # case ids re-indexed
    deleted: list[str] = field(default_factory=list)  # case ids dropped from the indexes
    documents: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.rebuilt or self.updated or self.deleted)


class Indexes:
    """The keyword index, the vector index and the catalog of one index folder."""

    def __init__(
        self,
        directory: Path,
        taxonomy: Taxonomy | None = None,
        embedder_factory=None,
        cache_path: Path | None = None,
    ):
        self.directory = Path(directory)
        self.taxonomy = taxonomy
        self._embedder_factory = embedder_factory
        self._cache_path = cache_path or self.directory / CACHE_FILE
        self._cache: EmbeddingCache | None = None
        self._save_guard = threading.Lock()
        self._save_pending = False
        self._last_change = 0.0
        self._saver: threading.Thread | None = None
        self._lock = threading.RLock()
        self.keyword: KeywordIndex | None = None
        self.vectors: VectorIndex | None = None
        self.catalog = Catalog()
        self._docs: dict[str, list[IndexDoc]] = {}

    def open(self, store: Store, progress: Callable[..., None] | None = None) -> SyncReport:
        """Open both indexes, rebuilding a missing or corrupt one, then sync with the store."""
        with self._lock:
            report = SyncReport()
            docs = self._load_docs(store)
            self.directory.mkdir(parents=True, exist_ok=True)
            self.keyword = self._open_keyword(docs, report, progress)
            self.vectors = self._open_vectors(docs, report, progress)
            self._sync(report, progress)
            self.catalog = Catalog(docs)
            report.documents = len(docs)
            return report

    def rebuild(self, store: Store, progress: Callable[..., None] | None = None) -> SyncReport:
        """Rebuild everything from the database (the embedding cache is kept)."""
        with self._lock:
            docs = self._load_docs(store)
            self.keyword = KeywordIndex.create(self.directory / "keyword", self.taxonomy)
            self.keyword.rebuild(docs, progress=_documents(progress, len(docs)))
            self.vectors = self._new_vectors()
            self.vectors.rebuild(docs, progress=_passages(progress))
            self.vectors.save()
            self.catalog = Catalog(docs)
            return SyncReport(rebuilt=["keyword", "vectors"], documents=len(docs))

    def sync(self, store: Store, progress: Callable[..., None] | None = None) -> SyncReport:
        """Bring open indexes up to the store after many notes changed at once (an import, a
        bulk publication): one pass, embedding only what changed, instead of one per note."""
        with self._lock:
            report = SyncReport()
            docs = self._load_docs(store)
            self._sync(report, progress)
            self.catalog = Catalog(docs)
            report.documents = len(docs)
        self._save_vectors_later()
        return report

    def _load_docs(self, store: Store) -> list[IndexDoc]:
        """Read every searchable note from the store into documents, grouped by note."""
        self._docs = {s.note.id: documents_for(s.note, s.state) for s in _searchable(store)}
        return [doc for group in self._docs.values() for doc in group]

    def keys_of(self, case_id: str) -> list[str]:
        """The document keys of one note: its case document and its lessons."""
        return [d.key for d in self._docs.get(case_id, [])]

    def refresh_case(self, store: Store, case_id: str) -> None:
        """Re-index one note after it changed in the store; searchable when this returns."""
        with self._lock:
            stored = store.get_case(case_id)
            old_keys = {d.key for d in self._docs.get(case_id, [])}
            if stored is not None and stored.state in SEARCHABLE_STATES:
                docs = documents_for(stored.note, stored.state)
                self._docs[case_id] = docs
                self.keyword.upsert(docs)
                self.vectors.upsert(docs)
                stale = old_keys - {d.key for d in docs}
                if stale:
                    self.vectors.delete(stale)
            else:
                self._docs.pop(case_id, None)
                self.keyword.delete_case(case_id)
                self.vectors.delete(old_keys)
            docs = (d for group in self._docs.values() for d in group)
            self.catalog = Catalog(docs, previous=self.catalog)
        self._save_vectors_later()

    def _save_vectors_later(self) -> None:
        """Write the vector index to disk and merge the keyword index's small segments in the
        background, once a burst of edits is over.

        The note is searchable before this; the file is only a cache of the database, and a
        start after a crash finds what it lacks by content hash and re-indexes just that.
        """
        with self._save_guard:
            self._save_pending = True
            self._last_change = time.monotonic()
            if self._saver is not None and self._saver.is_alive():
                return
            self._saver = threading.Thread(target=self._save_loop, name="vector-save",
                                           daemon=True)
            self._saver.start()

    def _save_loop(self) -> None:
        first_pending = time.monotonic()
        while True:
            time.sleep(SAVE_QUIET)
            with self._save_guard:
                now = time.monotonic()
                busy = now - self._last_change < SAVE_QUIET
                if busy and now - first_pending < SAVE_AT_LEAST_EVERY:
                    continue  # saving rewrites the whole matrix: not in the middle of a burst
                if not self._save_pending:
                    return
                self._save_pending = False
                first_pending = now
            try:
                self.vectors.save()
                self.keyword.merge_segments()
            except (OSError, KmsearchError):
                log.exception("index upkeep failed; the indexes are checked again at next start")

    def flush(self) -> None:
        """Wait until the vector index on disk matches memory (for shutdown and tests)."""
        while True:
            with self._save_guard:
                saver = self._saver
            if saver is None or not saver.is_alive():
                return
            saver.join()

    def _open_keyword(self, docs: list[IndexDoc], report: SyncReport, progress) -> KeywordIndex:
        path = self.directory / "keyword"
        try:
            index = KeywordIndex(path, self.taxonomy)
            if index.doc_count() or not docs:
                return index
            reason = "missing"
        except KeywordCorrupt as exc:
            log.warning("keyword index at %s unusable (%s); rebuilding", path, exc)
            reason = str(exc)
        report.rebuilt.append(f"keyword ({reason})")
        index = KeywordIndex.create(path, self.taxonomy)
        index.rebuild(docs, progress=_documents(progress, len(docs)))
        return index

    def _open_vectors(self, docs: list[IndexDoc], report: SyncReport, progress) -> VectorIndex:
        index = self._new_vectors()
        try:
            if index.load():
                return index
            reason = "missing"
        except VectorCorrupt as exc:
            log.warning("vector index in %s unusable (%s); rebuilding", self.directory, exc)
            reason = str(exc)
        report.rebuilt.append(f"vectors ({reason})")
        index.rebuild(docs, progress=_passages(progress))
        index.save()
        return index

    def _new_vectors(self) -> VectorIndex:
        """A vector index sharing one embedding cache, kept beside it so rebuilds reuse it."""
        if self._cache is None:
            self._cache_path.parent.mkdir(parents=True, exist_ok=True)
            self._cache = EmbeddingCache(self._cache_path)
        options = {"cache": self._cache}
        if self._embedder_factory is not None:
            options["embedder_factory"] = self._embedder_factory
        return VectorIndex(self.directory / "vectors", **options)

    def _sync(self, report: SyncReport, progress: Callable[..., None] | None = None) -> None:
        """Bring both indexes to the store's content, touching only notes whose hash changed."""
        wanted = {d.key: d.content_hash for group in self._docs.values() for d in group}
        for index in (self.keyword, self.vectors):
            have = index.doc_hashes()
            changed = {_case_of(k) for k, h in wanted.items() if have.get(k) != h}
            gone = {_case_of(k) for k in have.keys() - wanted.keys()} - changed
            if not changed and not gone:
                continue
            docs = [d for case_id in sorted(changed) for d in self._docs[case_id]]
            stale = [k for k in have.keys() - wanted.keys()]
            if index is self.keyword:
                if docs:
                    index.upsert(docs)
                for case_id in sorted(gone):
                    index.delete_case(case_id)
            else:
                if docs:
                    index.upsert(docs, progress=_passages(progress))
                if stale:
                    index.delete(stale)
                index.save()
            report.updated = sorted(set(report.updated) | changed)
            report.deleted = sorted(set(report.deleted) | gone)


def _documents(progress: Callable[..., None] | None, total: int) -> Callable[[int], None] | None:
    """Keyword indexing as ``progress("keyword index", done, total)``."""
    return None if progress is None else lambda done: progress("keyword index", done, total)


def _passages(progress: Callable[..., None] | None) -> Callable[[int, int], None] | None:
    """Embedding as ``progress("embedding", done, total)``, in passages."""
    return None if progress is None else lambda done, total: progress("embedding", done, total)


def _searchable(store: Store) -> Iterable:
    return store.iter_cases(states=SEARCHABLE_STATES)


def _case_of(key: str) -> str:
    """The case id of a document key: ``case:<id>`` or ``lesson:<id>--<n>``."""
    kind, _, rest = key.partition(":")
    return rest.rsplit("--", 1)[0] if kind == "lesson" else rest
