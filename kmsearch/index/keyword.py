"""The Whoosh keyword index of case notes and lessons: schema, writes, search, suggestions.

Uses whoosh-reloaded (imported as ``whoosh``), the maintained fork of Whoosh 2.7: the original
2.7.4 is unmaintained since 2016 and warns or breaks on Python 3.11-3.13.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from whoosh import index, query
from whoosh.analysis import StandardAnalyzer
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.searching import Searcher
from whoosh.writing import CLEAR, MERGE_SMALL, NO_MERGE

from ..documents import IndexDoc
from ..errors import KmsearchError
from ..taxonomy import Taxonomy
from .postings import SegmentArrays, Snapshot
from .querysyntax import STEMMING, TEXT_FIELDS, QuerySyntax, without_negations
from .snippets import located_snippet, snippet
from .spelling import suggest

__all__ = [
    "Allowed", "IndexBusy", "IndexCorrupt", "KeywordHit", "KeywordIndex", "KeywordResult",
    "keyword_schema",
]

# Given the keys of the index version searched (by document number), which documents may match.
Allowed = Callable[[np.ndarray], np.ndarray]

FILTER_FIELDS = ("division", "nexus", "sdg", "ptype", "partnertype", "year", "status", "kind",
                 "good_practice", "visibility", "state", "document")
SNIPPETS = 20
BATCH = 1000
SPELLING = StandardAnalyzer()


def keyword_schema() -> Schema:
    """Stored, stemmed text fields for scoring and snippets; exact-valued fields for filters."""
    return Schema(
        key=ID(unique=True, stored=True, sortable=True),
        type=ID(stored=True),
        id=ID(stored=True),
        case_id=ID(stored=True),
        start_year=NUMERIC(int, sortable=True),
        content_hash=COLUMN(VarBytesColumn()),
        # the vocabulary, unstemmed, for "did you mean" suggestions (see _spelling_words)
        spelling=TEXT(analyzer=SPELLING, phrase=False),
        **{name: TEXT(analyzer=STEMMING, stored=True) for name in TEXT_FIELDS},
        **{name: KEYWORD(commas=True) for name in FILTER_FIELDS},
    )


# Edits commit without merging segments, which can take most of a second on a large index;
# ``merge_segments`` does that later, off the path between a save and its searchability.
QUICK = {"mergetype": NO_MERGE}
# ... unless the edits come faster than that chore runs: every reader opens every segment's
# file, so segments must stay few (a soak run of 300 publications in 10 minutes reached 1,024
# open files); past this many, an edit's commit merges the small ones.
MAX_SEGMENTS = 24


class IndexCorrupt(KmsearchError):
    """The index folder holds an index that cannot be read; rebuild it from the database."""


class IndexBusy(KmsearchError):
    """Another process kept the index's write lock for longer than the bounded wait."""


@dataclass
class KeywordHit:
    key: str
    score: float
    snippet: str = ""
    page: int | None = None  # the snippet is from this attached page (index into doc.pages)


@dataclass
class KeywordResult:
    """Ranked hits, the number and keys of ALL matching visible documents, and a suggestion."""

    hits: list[KeywordHit] = field(default_factory=list)
    total: int = 0
    suggestion: str | None = None
    # every matching visible document, as document numbers into ``keys`` (the keys of the
    # index version searched, one shared array per version, so callers can cache a mapping)
    docnums: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, object))
    # every live document the query matches, allowed or not (callers mask them again)
    unfiltered: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def matched(self) -> list[str]:
        return self.keys[self.docnums].tolist()


_write_locks: dict[Path, threading.Lock] = {}
_write_locks_guard = threading.Lock()


def _write_lock(directory: Path) -> threading.Lock:
    """One lock per index folder for the whole process, whichever object writes."""
    with _write_locks_guard:
        return _write_locks.setdefault(directory, threading.Lock())


class KeywordIndex:
    """The keyword index in ``directory``, created empty when the folder holds none."""

    def __init__(self, directory: Path, taxonomy: Taxonomy | None = None, *,
                 lock_timeout: float = 60.0):
        self.directory = Path(directory).resolve()
        self.syntax = QuerySyntax(taxonomy)
        self.lock_timeout = lock_timeout
        self._ix = _open(self.directory)
        self._snapshot: Snapshot | None = None
        self._segments: dict[str, SegmentArrays] = {}
        self._read_lock = threading.RLock()
        self._warm = False

    @classmethod
    def create(cls, directory: Path, taxonomy: Taxonomy | None = None, **options) -> KeywordIndex:
        """A new, empty index in ``directory``, replacing whatever was there, corrupt or not."""
        directory = Path(directory).resolve()
        directory.mkdir(parents=True, exist_ok=True)
        with _write_lock(directory):
            for path in _index_files(directory):
                path.unlink()
            index.create_in(str(directory), keyword_schema())
        return cls(directory, taxonomy, **options)

    def parse_query(self, text: str) -> query.Query:
        return self.syntax.parse(text)

    # Writing

    def rebuild(self, docs: Iterable[IndexDoc],
                progress: Callable[[int], None] | None = None) -> int:
        """Replace the whole index with ``docs`` in one commit; searches see the old one until then.

        ``progress`` is called with the number of documents written after every batch.
        """
        count = 0
        seen: set[str] = set()
        with self._writer(commit={"mergetype": CLEAR, "optimize": False}, limitmb=256) as writer:
            for doc in docs:
                writer.add_document(**_fields(doc, _spelling_words(doc, seen)))
                count += 1
                if progress is not None and count % BATCH == 0:
                    progress(count)
        if progress is not None and count % BATCH:
            progress(count)
        return count

    def upsert(self, docs: list[IndexDoc]) -> None:
        """Add or replace documents; searchable when this returns.

        A note whose case document is among ``docs`` is replaced whole, so lessons removed from
        it disappear; any other document replaces the one with its key.
        """
        replaced = {doc.case_id for doc in docs if doc.type == "case"}
        with self._writer(commit=self._edit_commit()) as writer:
            for case_id in replaced:
                writer.delete_by_term("case_id", case_id)
            for doc in docs:
                fields = _fields(doc, _spelling_words(doc))
                if doc.case_id in replaced:
                    writer.add_document(**fields)
                else:
                    writer.update_document(**fields)

    upsert_case = upsert

    def delete_case(self, case_id: str) -> None:
        """Remove a note's document and all its lesson documents."""
        with self._writer(commit=self._edit_commit()) as writer:
            writer.delete_by_term("case_id", case_id)

    def segment_count(self) -> int:
        return len(self._current().leaves)

    def _edit_commit(self) -> dict:
        """How an edit commits: quickly, or merging small segments when there are too many."""
        return QUICK if self.segment_count() < MAX_SEGMENTS else {"mergetype": MERGE_SMALL}

    def merge_segments(self) -> None:
        """Merge the small segments that quick commits leave behind (a background chore)."""
        with self._writer(commit={"mergetype": MERGE_SMALL}):
            pass

    @contextmanager
    def _writer(self, commit: dict | None = None, **options) -> Iterator:
        """The index writer, under the process-wide lock, waiting for other processes' writers."""
        with _write_lock(self.directory):
            try:
                writer = self._ix.writer(timeout=self.lock_timeout, delay=0.05, **options)
            except index.LockError as exc:
                raise IndexBusy(
                    f"{self.directory}: another process held the keyword index write lock for "
                    f"over {self.lock_timeout:g} s; try again when it has finished"
                ) from exc
            try:
                yield writer
            except BaseException:
                writer.cancel()
                raise
            writer.commit(**(commit or {}))
        self._current()

    # Reading

    def warm(self) -> None:
        """Load the frequent words' postings (about 2 s for 10,000 notes) so that no query pays
        for them; later versions of the index are kept warm too. For long-running servers."""
        with self._read_lock:
            self._warm = True
            self._current().warm(TEXT_FIELDS + FILTER_FIELDS)

    def doc_count(self) -> int:
        with self._read_lock:
            return self._current().searcher.doc_count()

    def doc_hashes(self) -> dict[str, str]:
        """Key -> content hash of every indexed document, to skip unchanged notes on re-ingest."""
        with self._read_lock:
            snapshot = self._current()
            hashes: dict[str, str] = {}
            for leaf, base, arrays in snapshot.leaves:
                for docnum, value in enumerate(leaf.column_reader("content_hash")):
                    if snapshot.live[base + docnum]:
                        hashes[arrays.keys[docnum]] = value.decode()
            return hashes

    def search(self, text: str, *, allowed: Allowed | None = None, limit: int = 100,
               by_date: bool = False, snippets: int = SNIPPETS) -> KeywordResult:
        """Rank the documents matching ``text`` among those ``allowed`` accepts.

        ``allowed`` maps the searched version's keys to a mask (the caller's filters and
        visibility): documents it rejects are excluded before ranking, counting and suggesting
        (None searches everything, hidden notes included). Only the first ``snippets`` hits get
        a snippet (highlighting is the slow part); see ``snippets_for``. Scores are BM25F, also
        when sorting by date (newest first).
        """
        q = self.parse_query(text)
        with self._read_lock:
            snapshot = self._current()
            permitted = None if allowed is None else allowed(snapshot.keys)
            mask, scores = snapshot.evaluate(q)
            unfiltered = np.flatnonzero(mask)
            if permitted is not None:
                mask &= permitted
            docnums = np.flatnonzero(mask)
            hits: list[KeywordHit] = []
            if limit > 0 and len(docnums):
                ranked = snapshot.ranked(mask, scores, limit, by_date=by_date)
                hits = [KeywordHit(snapshot.keys[d], float(scores[d])) for d in ranked]
                terms = _snippet_terms(q, snapshot.searcher)
                for hit, docnum in zip(hits[:snippets], ranked, strict=False):
                    stored = snapshot.searcher.stored_fields(docnum)
                    hit.snippet, hit.page = located_snippet(stored, terms)
            suggestion = suggest(snapshot, self.syntax, text, q, permitted)
            return KeywordResult(hits, len(docnums), suggestion, docnums, snapshot.keys,
                                 unfiltered)

    def matching(self, q: query.Query) -> KeywordResult:
        """Every live document ``q`` matches (no ranking): how query-text filters are applied."""
        with self._read_lock:
            snapshot = self._current()
            docnums = np.flatnonzero(snapshot.evaluate(q)[0])
            return KeywordResult([], len(docnums), None, docnums, snapshot.keys, docnums)

    def informative_words(self, text: str, limit: int) -> tuple[list[str], int]:
        """The ``limit`` words of ``text`` found in fewest documents (but in some), in text order,
        and how many distinct searchable words the text had: long text cut to what counts."""
        seen: dict[str, str] = {}
        for token in STEMMING(text, mode="query", positions=False):
            seen.setdefault(token.text, token.text)
        words = list(seen)
        if len(words) <= limit:
            return [w for w in _plain_words(text)], len(words)
        with self._read_lock:
            searcher = self._current().searcher
            frequency = {w: sum(searcher.doc_frequency(f, w) for f in TEXT_FIELDS) for w in words}
        ranked = sorted((w for w in words if frequency[w]), key=lambda w: (frequency[w], w))
        keep = set(ranked[:limit])
        chosen, used = [], set()
        for word in _plain_words(text):
            stems = [t.text for t in STEMMING(word, mode="query")]
            if stems and stems[0] in keep and stems[0] not in used:
                used.add(stems[0])
                chosen.append(word)
        return chosen, len(words)

    def snippets_for(self, text: str, keys: Iterable[str]) -> dict[str, str]:
        """Snippets of the documents with ``keys`` for the query ``text``; unknown keys left out."""
        q = self.parse_query(text)
        with self._read_lock:
            searcher = self._current().searcher
            terms = _snippet_terms(q, searcher)
            found = {key: searcher.document_number(key=key) for key in keys}
            return {key: snippet(searcher.stored_fields(docnum), terms)
                    for key, docnum in found.items() if docnum is not None}

    def _current(self) -> Snapshot:
        """The latest committed version of the index, reopened when it has changed.

        Not ``Searcher.refresh()``: it reuses the readers of segments that gained deletions,
        so documents deleted since would still be found (whoosh-reloaded 2.7.5).
        """
        with self._read_lock:
            if self._snapshot is not None:
                if self._snapshot.searcher.up_to_date():
                    return self._snapshot
                self._snapshot.searcher.close()
            self._snapshot = Snapshot(self._ix.searcher(), self._segments, TEXT_FIELDS)
            if self._warm:
                self._snapshot.warm(TEXT_FIELDS + FILTER_FIELDS)
            live = {leaf.segment().segment_id() for leaf, _, _ in self._snapshot.leaves}
            for segid in set(self._segments) - live:
                del self._segments[segid]
            return self._snapshot

    def close(self) -> None:
        with self._read_lock:
            if self._snapshot is not None:
                self._snapshot.searcher.close()
                self._snapshot = None


def _plain_words(text: str) -> list[str]:
    """The words of ``text`` with every query-syntax character dropped."""
    return re.findall(r"\w+", text)


def _open(directory: Path) -> index.Index:
    """Open the index in ``directory``, creating it when absent; IndexCorrupt when unreadable."""
    directory.mkdir(parents=True, exist_ok=True)
    with _write_lock(directory):
        if not any(directory.glob("_MAIN_*.toc")):
            if any(path.suffix != "" for path in _index_files(directory)):
                raise IndexCorrupt(
                    f"{directory}: the keyword index has segment files but no table of contents; "
                    "rebuild it from the database"
                )
            return index.create_in(str(directory), keyword_schema())
    try:
        ix = index.open_dir(str(directory))
        ix.reader().close()
    except Exception as exc:  # noqa: BLE001 - whatever broke, the remedy is the same
        raise IndexCorrupt(
            f"{directory}: the keyword index cannot be read ({type(exc).__name__}: {exc}); "
            "rebuild it from the database"
        ) from exc
    if _signature(ix.schema) != _signature(keyword_schema()):
        raise IndexCorrupt(
            f"{directory}: the keyword index was built with a different schema; "
            "rebuild it from the database"
        )
    return ix


def _index_files(directory: Path) -> list[Path]:
    """Whoosh's files for the index (named after its default index name, MAIN), nothing else."""
    return [path for path in directory.iterdir()
            if path.is_file() and path.name.startswith(("MAIN_", "_MAIN_"))]


def _signature(schema: Schema) -> list[tuple]:
    """What must match for an index to be readable by this code (column objects lack ==)."""
    return [
        (name, type(f).__name__, f.stored, type(f.column_type).__name__, f.format,
         getattr(f, "analyzer", None))
        for name, f in schema.items()
    ]


def _spelling_words(doc: IndexDoc, seen: set[str] | None = None) -> str:
    """The document's distinct words, less those already in ``seen`` (which gains them).

    The spelling field only needs the vocabulary, not every occurrence: a rebuild indexes each
    word once, which halves its cost. A word can thus drop out of suggestions when the note
    that brought it is deleted, until the next rebuild; it never makes a suggestion wrong.
    """
    text = "\n".join((doc.title, doc.summary, doc.body, doc.lessons, doc.partners))
    words = {token.text for token in SPELLING(text)}
    if seen is not None:
        words -= seen
        seen |= words
    return " ".join(sorted(words))


def _fields(doc: IndexDoc, spelling: str) -> dict:
    """The Whoosh fields of one document; ``spelling`` is the words for suggestions.

    A lesson is matched by its own words only: its note's title and partners are shown beside
    it but not indexed with it, or every lesson would rank with its note on the note's title.
    """
    own = doc.type != "lesson"
    fields = {
        "key": doc.key, "type": doc.type, "id": doc.id, "case_id": doc.case_id,
        "title": doc.title if own else "", "summary": doc.summary, "body": doc.body,
        "lessons": doc.lessons, "partners": doc.partners if own else "",
        "attachments": doc.attachments if own else "",
        "spelling": spelling,
        "division": doc.division,
        "nexus": ",".join(doc.nexus_areas),
        "sdg": ",".join(str(n) for n in doc.sdgs),
        "ptype": ",".join(doc.partnership_types),
        "partnertype": ",".join(doc.partner_types),
        "year": ",".join(f"{year:04d}" for year in doc.years),
        "status": doc.status,
        "kind": doc.kind,
        "good_practice": "true" if doc.good_practice else "false",
        "visibility": doc.visibility,
        "state": doc.state,
        "document": ",".join(doc.document_types),
        "content_hash": doc.content_hash.encode(),
    }
    if doc.start_year is not None:
        fields["start_year"] = doc.start_year
    return fields


def _snippet_terms(q: query.Query, searcher: Searcher) -> dict[str, set[str]]:
    """Field -> the words the query looks for there (wildcards expanded, NOTs left out)."""
    terms: dict[str, set[str]] = {}
    for leaf in without_negations(q).leaves():
        # Query.existing_terms would do, but it skips every field after the first one it meets
        for fieldname, text in leaf.expanded_terms(searcher.reader(), phrases=True):
            word = text.decode("utf-8") if isinstance(text, bytes) else text
            terms.setdefault(fieldname, set()).add(word)
    return terms
