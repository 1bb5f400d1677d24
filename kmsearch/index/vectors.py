"""The semantic arm of search: the passage vectors of every document, searched by one product."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

import numpy as np

from ..documents import IndexDoc
from ..errors import KmsearchError
from .embedder import (
    Embedder,
    EmbeddingCache,
    Progress,
    embed_cached,
    get_embedder,
    passages_for,
)

FORMAT_VERSION = 1
MATRIX_FILE = "vectors.npy"
MAP_FILE = "vectors.json"
CACHE_FILE = "embedding-cache.sqlite"


class IndexCorrupt(KmsearchError):
    """A saved vector index is unreadable or was built differently; rebuild it from the database."""


@dataclass(frozen=True)
class VectorHit:
    """A document, its best passage's cosine similarity to the query, and that passage."""

    key: str
    score: float
    passage: str


@dataclass(frozen=True)
class VectorSnapshot:
    """One immutable state of the index; searches read a snapshot while writers build the next.

    Each doc's passages are contiguous rows; a doc keeps its ordinal while the index lives, and a
    deleted doc leaves an empty key in ``doc_keys`` (its ordinal has no rows).
    """

    matrix: np.ndarray  # (rows, dimension) float32, L2-normalised
    row_doc: np.ndarray  # (rows,) doc ordinal of each row
    passages: np.ndarray  # (rows,) passage text of each row
    doc_keys: tuple[str, ...]
    doc_hashes: Mapping[str, str]
    version: int
    ordinals: Mapping[str, int] = field(repr=False)
    group_starts: np.ndarray = field(repr=False)  # first row of each doc's run of rows
    group_ends: np.ndarray = field(repr=False)
    group_doc: np.ndarray = field(repr=False)  # doc ordinal of each run

    @classmethod
    def build(cls, matrix, row_doc, passages, doc_keys, doc_hashes, version) -> VectorSnapshot:
        boundaries = np.flatnonzero(row_doc[1:] != row_doc[:-1]) + 1
        starts = np.concatenate([[0], boundaries]) if len(row_doc) else np.zeros(0, np.intp)
        ends = np.append(starts[1:], len(row_doc)) if len(row_doc) else starts
        ordinals = {key: ordinal for ordinal, key in enumerate(doc_keys) if key}
        return cls(
            matrix,
            row_doc,
            passages,
            tuple(doc_keys),
            MappingProxyType(dict(doc_hashes)),
            version,
            MappingProxyType(ordinals),
            starts.astype(np.intp),
            ends.astype(np.intp),
            row_doc[starts],
        )

    def search(
        self, query_vector: np.ndarray, *, doc_mask: np.ndarray | None = None, k: int = 100
    ) -> list[VectorHit]:
        """The top ``k`` docs by their best passage; docs False in ``doc_mask`` are never ranked.

        ``doc_mask`` is aligned with ``doc_keys``; a mask shorter than ``doc_keys`` (built before
        docs were added) hides the docs it does not cover.
        """
        return self.scores(query_vector).top(doc_mask, k)

    def scores(self, query_vector: np.ndarray) -> DocScores:
        """Every doc's best-passage similarity to the query: one product, ranked under any mask."""
        query = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        if query.shape[0] != self.matrix.shape[1]:
            raise ValueError(
                f"query vector has {query.shape[0]} dimensions, the index {self.matrix.shape[1]}"
            )
        scores = self.matrix @ query
        best = (np.maximum.reduceat(scores, self.group_starts) if len(self.group_starts)
                else np.zeros(0, np.float32))
        return DocScores(self, scores, best)

    def doc_vector(self, key: str) -> np.ndarray | None:
        """The normalised mean of a doc's passage vectors, or None if the doc is not indexed."""
        ordinal = self.ordinals.get(key)
        if ordinal is None:
            return None
        rows = self.matrix[self.row_doc == ordinal]
        mean = rows.mean(axis=0)
        return (mean / np.linalg.norm(mean)).astype(np.float32)

    def _aligned(self, doc_mask: np.ndarray) -> np.ndarray:
        mask = np.asarray(doc_mask, dtype=bool).reshape(-1)
        if len(mask) > len(self.doc_keys):
            raise ValueError(
                f"doc_mask has {len(mask)} entries but the index has {len(self.doc_keys)} docs;"
                " build the mask from this index's doc_keys"
            )
        return np.concatenate([mask, np.zeros(len(self.doc_keys) - len(mask), dtype=bool)])


@dataclass(frozen=True)
class DocScores:
    """One query's similarities over a snapshot, so that several masks cost one product."""

    snapshot: VectorSnapshot
    passage_scores: np.ndarray
    best: np.ndarray  # per run of rows (one doc each)

    def top(self, doc_mask: np.ndarray | None, k: int) -> list[VectorHit]:
        """The ``k`` best docs that ``doc_mask`` (aligned with ``doc_keys``) allows."""
        snapshot = self.snapshot
        group_doc = snapshot.group_doc
        candidates = np.arange(len(group_doc))
        if doc_mask is not None:
            candidates = np.flatnonzero(snapshot._aligned(doc_mask)[group_doc])
        k = min(k, len(candidates))
        if k <= 0:
            return []
        best = self.best[candidates]
        if k < len(candidates):
            top = np.argpartition(-best, k - 1)[:k]
            candidates, best = candidates[top], best[top]
        order = np.lexsort((group_doc[candidates], -best))
        hits = []
        for group, score in zip(candidates[order], best[order], strict=True):
            start, end = snapshot.group_starts[group], snapshot.group_ends[group]
            row = start + int(np.argmax(self.passage_scores[start:end]))
            hits.append(
                VectorHit(snapshot.doc_keys[group_doc[group]], float(score), snapshot.passages[row])
            )
        return hits


def _rows_of(snapshot: VectorSnapshot, ordinal: int) -> tuple[int, int]:
    """The run of rows that holds one doc's passages ((0, 0) when it has none)."""
    found = np.flatnonzero(snapshot.group_doc == ordinal)
    if not len(found):
        return 0, 0
    return int(snapshot.group_starts[found[0]]), int(snapshot.group_ends[found[0]])


def _rewritten(old: VectorSnapshot, rows, vectors, texts, doc_keys, hashes) -> VectorSnapshot:
    """A copy of ``old`` with the same number of passages rewritten in place for each doc:
    the usual edit, one memory copy instead of gathering and concatenating every row."""
    matrix, passages = old.matrix.copy(), old.passages.copy()
    offset = 0
    for start, end in rows:
        matrix[start:end] = vectors[offset : offset + end - start]
        passages[start:end] = texts[offset : offset + end - start]
        offset += end - start
    return VectorSnapshot.build(matrix, old.row_doc, passages, doc_keys, hashes, old.version + 1)


def _empty_snapshot(dimension: int, version: int = 0) -> VectorSnapshot:
    return VectorSnapshot.build(
        np.zeros((0, dimension), np.float32),
        np.zeros(0, np.intp),
        np.array([], object),
        (),
        {},
        version,
    )


class VectorIndex:
    """The passage vectors of many IndexDocs, searchable by one matrix product, saved to a folder.

    Writers are serialised and publish a new VectorSnapshot when done; readers never wait.
    """

    def __init__(
        self,
        directory: Path,
        embedder_factory: Callable[[], Embedder] = get_embedder,
        cache: EmbeddingCache | None = None,
    ):
        self.directory = Path(directory)
        self._embedder_factory = embedder_factory
        self.cache = cache if cache is not None else EmbeddingCache(self.directory / CACHE_FILE)
        self._write_lock = threading.Lock()
        self._save_lock = threading.Lock()
        self._snapshot = _empty_snapshot(self.embedder.dimension)

    @cached_property
    def embedder(self) -> Embedder:
        return self._embedder_factory()

    def snapshot(self) -> VectorSnapshot:
        """The current state; take it once to build a mask and search against the same docs."""
        return self._snapshot

    @property
    def matrix(self) -> np.ndarray:
        return self._snapshot.matrix

    @property
    def row_doc(self) -> np.ndarray:
        return self._snapshot.row_doc

    @property
    def passages(self) -> np.ndarray:
        return self._snapshot.passages

    @property
    def doc_keys(self) -> tuple[str, ...]:
        return self._snapshot.doc_keys

    def doc_hashes(self) -> dict[str, str]:
        """The content hash each indexed doc was built from, to sync only what changed."""
        return dict(self._snapshot.doc_hashes)

    @property
    def version(self) -> int:
        return self._snapshot.version

    def embed_query(self, text: str) -> np.ndarray:
        return self.embedder.embed([text])[0]

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        return self.embedder.embed(texts)

    def doc_vector(self, key: str) -> np.ndarray | None:
        """A vector standing for the whole doc, to find docs related to it."""
        return self._snapshot.doc_vector(key)

    def search(
        self, query_vector: np.ndarray, *, doc_mask: np.ndarray | None = None, k: int = 100
    ) -> list[VectorHit]:
        return self._snapshot.search(query_vector, doc_mask=doc_mask, k=k)

    def scores(self, query_vector: np.ndarray) -> DocScores:
        """The query's similarities over the current snapshot, to rank under several masks."""
        return self._snapshot.scores(query_vector)

    def rebuild(self, docs: Iterable[IndexDoc], progress: Progress | None = None) -> None:
        """Replace the whole index with ``docs``; cached passages are not embedded again."""
        with self._write_lock:
            docs = _latest_by_key(docs)
            stale = set(self._snapshot.ordinals) - {doc.key for doc in docs}
            self._commit(docs, stale, progress)

    def upsert(self, docs: Iterable[IndexDoc], progress: Progress | None = None) -> None:
        """Add or replace every passage of ``docs``; searchable as soon as this returns."""
        with self._write_lock:
            self._commit(_latest_by_key(docs), set(), progress)

    def delete(self, keys: Iterable[str]) -> None:
        """Remove every passage of these doc keys (unknown keys are ignored)."""
        with self._write_lock:
            self._commit([], set(keys) & set(self._snapshot.ordinals), None)

    def _commit(self, docs: list[IndexDoc], deleted: set[str], progress: Progress | None) -> None:
        if not docs and not deleted:
            return
        texts = [passages_for(doc, self.embedder) for doc in docs]
        flat = [text for doc_texts in texts for text in doc_texts]
        vectors = embed_cached(flat, self.embedder, self.cache, progress)
        old = self._snapshot
        doc_keys, hashes = list(old.doc_keys), dict(old.doc_hashes)
        for key in deleted:
            doc_keys[old.ordinals[key]] = ""
            del hashes[key]
        ordinals = []
        for doc in docs:
            if doc.key not in old.ordinals:
                doc_keys.append(doc.key)
            ordinals.append(old.ordinals.get(doc.key, len(doc_keys) - 1))
            hashes[doc.key] = doc.content_hash
        counts = [len(doc_texts) for doc_texts in texts]
        if not deleted and len(doc_keys) == len(old.doc_keys):
            rows = [_rows_of(old, ordinal) for ordinal in ordinals]
            if all(end - start == n for (start, end), n in zip(rows, counts, strict=True)):
                self._snapshot = _rewritten(old, rows, vectors, flat, doc_keys, hashes)
                return
        replaced = [old.ordinals[key] for key in deleted] + ordinals
        keep = ~np.isin(old.row_doc, replaced)
        self._snapshot = VectorSnapshot.build(
            np.concatenate([old.matrix[keep], vectors]),
            np.concatenate([old.row_doc[keep], np.repeat(np.array(ordinals, np.intp), counts)]),
            np.concatenate([old.passages[keep], np.array(flat, object)]),
            doc_keys,
            hashes,
            old.version + 1,
        )

    def save(self) -> None:
        """Write the current snapshot; temp files and ``os.replace`` leave no half-written index."""
        with self._save_lock:
            snap = self._snapshot
            self.directory.mkdir(parents=True, exist_ok=True)
            docs = [
                {
                    "key": snap.doc_keys[snap.row_doc[start]],
                    "hash": snap.doc_hashes[snap.doc_keys[snap.row_doc[start]]],
                    "passages": list(snap.passages[start:end]),
                }
                for start, end in zip(snap.group_starts, snap.group_ends, strict=True)
            ]
            meta = {
                "format": FORMAT_VERSION,
                "model": self.embedder.name,
                "dimension": int(snap.matrix.shape[1]),
                "rows": int(snap.matrix.shape[0]),
                "crc32": zlib.crc32(snap.matrix.data),
                "docs": docs,
            }
            # The matrix goes first: a crash between the two replaces fails the checksum on load.
            _write_atomically(self.directory / MATRIX_FILE, lambda f: np.save(f, snap.matrix))
            _write_atomically(
                self.directory / MAP_FILE,
                lambda f: f.write(json.dumps(meta, ensure_ascii=False).encode("utf-8")),
            )

    def load(self) -> bool:
        """Read the saved index; False if none was saved, IndexCorrupt if it cannot be used."""
        matrix_path, map_path = self.directory / MATRIX_FILE, self.directory / MAP_FILE
        if not matrix_path.exists() and not map_path.exists():
            return False
        try:
            meta = json.loads(map_path.read_bytes().decode("utf-8"))
            matrix = np.load(matrix_path, allow_pickle=False)
        except (OSError, ValueError, EOFError) as exc:
            raise IndexCorrupt(f"{self._where()} cannot be read ({exc}); rebuild it") from exc
        with self._write_lock:
            self._snapshot = self._validated(meta, matrix, self._snapshot.version + 1)
        return True

    def _validated(self, meta: object, matrix: np.ndarray, version: int) -> VectorSnapshot:
        def require(condition: bool, problem: str) -> None:
            if not condition:
                raise IndexCorrupt(f"{self._where()}: {problem}; rebuild the vector index")

        require(isinstance(meta, dict), "the map is not a JSON object")
        require(
            meta.get("format") == FORMAT_VERSION,
            f"format {meta.get('format')!r} is not {FORMAT_VERSION}",
        )
        require(
            meta.get("model") == self.embedder.name,
            f"it was built with {meta.get('model')!r}, not {self.embedder.name!r}",
        )
        dimension = self.embedder.dimension
        require(
            matrix.dtype == np.float32 and matrix.ndim == 2 and matrix.shape[1] == dimension,
            f"the matrix is {matrix.dtype} {matrix.shape}, not float32 (rows, {dimension})",
        )
        require(matrix.shape[0] == meta.get("rows"), "the matrix and the map disagree on rows")
        require(zlib.crc32(matrix.data) == meta.get("crc32"), "the matrix fails its checksum")
        docs = meta.get("docs")
        require(isinstance(docs, list), "the map lists no docs")
        try:
            keys = [str(doc["key"]) for doc in docs]
            hashes = {str(doc["key"]): str(doc["hash"]) for doc in docs}
            counts = [len(doc["passages"]) for doc in docs]
            flat = [str(text) for doc in docs for text in doc["passages"]]
        except (KeyError, TypeError) as exc:
            raise IndexCorrupt(f"{self._where()}: a doc entry lacks {exc}; rebuild it") from exc
        require(len(set(keys)) == len(keys) and all(keys), "doc keys are empty or repeated")
        require(
            min(counts, default=1) > 0 and sum(counts) == len(flat) == matrix.shape[0],
            "the passages do not match the matrix rows",
        )
        return VectorSnapshot.build(
            np.ascontiguousarray(matrix),
            np.repeat(np.arange(len(keys), dtype=np.intp), counts),
            np.array(flat, object),
            keys,
            hashes,
            version,
        )

    def _where(self) -> str:
        return f"vector index {self.directory / MATRIX_FILE} + {MAP_FILE}"


def _latest_by_key(docs: Iterable[IndexDoc]) -> list[IndexDoc]:
    return list({doc.key: doc for doc in docs}.values())


def _write_atomically(path: Path, write: Callable) -> None:
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
