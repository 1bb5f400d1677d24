"""Writing through the library: every save goes to the store, then to the indexes, here once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..access import Viewer
from ..config import Settings
from ..errors import NotFound
from ..files.importer import ImportReport, import_rows
from ..files.ingest import IngestReport, source_name
from ..files.ingest import ingest as ingest_corpus
from ..files.mapping import Mapping
from ..files.sheets import Row
from ..index.indexer import SEARCHABLE_STATES, SyncReport
from ..records import CaseNote, Evaluation
from ..store.cases import ProgressNote, SaveResult, Store, StoredCase
from ..taxonomy import Taxonomy
from ..workflow import bulk
from ..workflow.bulk import BulkReport

if TYPE_CHECKING:
    from ..search.service import SearchService
    from ..workflow.contributions import Contributions

__all__ = ["IngestReport", "Writing"]
log = logging.getLogger(__name__)
# Called with the stage ("ingest", "import", "keyword index", "embedding") and, where known,
# how far it got: ``progress(stage)`` for one more step, ``progress(stage, done, total)``.
Progress = Callable[..., None]


class Writing:
    """Writing methods of ``Library``: save, change state, ingest, import, record follow-up."""

    settings: Settings
    store: Store
    taxonomy: Taxonomy
    search: SearchService
    contributions: Contributions
    _parts: dict[str, Any]  # the parts built so far (see Library._once)
    _deferred: threading.local  # per thread: notes saved inside deferred_indexing()

    def initialise(self) -> None:
        """Create the database (applying its migrations) and the index folder."""
        self.store  # noqa: B018 - opening the store migrates it
        self.settings.index_dir.mkdir(parents=True, exist_ok=True)

    def save_case(
        self,
        note: CaseNote,
        *,
        author: str,
        comment: str = "",
        state: str = "published",
        origin: str = "web",
        source: str | None = None,
        expected_revision: int | None = None,
        pending: bool = False,
        replaces_pending: bool = False,
    ) -> SaveResult:
        """Save a note as a new revision, then make search show it as saved. A ``pending``
        revision waits beside the live note and search keeps the live one; a save that
        ``replaces_pending`` (a publication) makes it live, in the database and search at once."""
        result = self.store.save_case(note, author=author, comment=comment, state=state,
                                      origin=origin, source=source,
                                      expected_revision=expected_revision, pending=pending,
                                      replaces_pending=replaces_pending)
        if result.action != "unchanged" and not pending:
            self._case_changed(note.id, result.previous_state, state)
        return result

    # The workflow's moves, named for what they do, so that whatever follows one (a
    # notification, say) is added here once for the web, the API and the CLI.

    def submit(self, viewer: Viewer, case_id: str, expected_revision: int | None = None,
               comment: str = "") -> StoredCase:
        """Send a draft, or a draft change of a published note, to the reviewers."""
        return self.contributions.submit(viewer, case_id, expected_revision, comment)

    def return_to_author(self, viewer: Viewer, case_id: str, comment: str) -> StoredCase:
        """Send a submitted note or change back to its author with what to change."""
        return self.contributions.return_to_author(viewer, case_id, comment)

    def publish(self, viewer: Viewer, case_id: str, comment: str = "") -> StoredCase:
        """Publish a submitted note, or make a submitted change the live note (search follows
        at once)."""
        return self.contributions.publish(viewer, case_id, comment)

    def publish_import(self, viewer: Viewer, case_id: str, comment: str = "") -> StoredCase:
        """Publish an imported note whether it waits as a draft or submitted."""
        return self.contributions.publish_import(viewer, case_id, comment)

    def set_state(self, case_id: str, state: str, *, author: str, comment: str = "",
                  expected_revision: int | None = None) -> SaveResult:
        """Move a note to another workflow state (publish, return, archive, restore) as a new
        revision; search follows. Permission checks belong to ``contributions``."""
        stored = self.store.get_case(case_id)
        if stored is None:
            raise NotFound(f"No case note with id {case_id!r}.")
        expected = stored.latest_revision if expected_revision is None else expected_revision
        return self.save_case(stored.note, author=author, comment=comment, state=state,
                              expected_revision=expected)

    def ingest(self, path: Path | None = None, *, author: str = "corpus", index: bool = True,
               source: str | None = None, progress: Progress | None = None) -> IngestReport:
        """Load the corpus folder at ``path`` (default: the configured one) into the store,
        then, unless ``index`` is False, bring the indexes up to date with it. The folder's
        notes belong to ``source`` (default: "corpus" for the configured folder, else the
        folder's path), and only that source's notes are reported missing."""
        folder = Path(path or self.settings.corpus_dir)
        tick = progress or _nothing
        report = ingest_corpus(
            self.store, folder, self.taxonomy,
            default_evaluation=self.settings.default_evaluation, author=author,
            source=source or source_name(folder, self.settings.corpus_dir),
            progress=lambda _: tick("ingest"), settings=self.settings,
        )
        if index:
            self.sync_indexes(progress)
        return report

    def import_sheet(self, path: Path, mapping: Mapping, rows: Iterable[Row], *, source: str,
                     author: str = "import", state: str = "draft", dry_run: bool = False,
                     index: bool = True, progress: Progress | None = None) -> ImportReport:
        """Import the rows of a register kept as a sheet as notes of ``source`` (see
        ``files.importer``), then bring the indexes up to date with what changed."""
        tick = progress or _nothing
        report = import_rows(
            self.store, self.taxonomy, Path(path).name, rows, mapping, source=source,
            author=author, state=state, default_evaluation=self.settings.default_evaluation,
            dry_run=dry_run, progress=lambda _: tick("import"),
        )
        if index and report.saved and not dry_run:
            self.sync_indexes(progress)
        return report

    def review_many(self, viewer: Viewer, action: str, case_ids: Iterable[str], comment: str = "",
                    progress: Progress | None = None) -> BulkReport:
        """Publish, return or submit many notes as ``viewer`` (each checked as if alone; see
        ``workflow.bulk``); search catches up in one pass at the end."""
        tick = progress or _nothing
        return bulk.apply(self, viewer, action, case_ids, comment,
                          progress=lambda done, total: tick(action, done, total),
                          deferred=self.deferred_indexing(progress))

    def sources_waiting(self, viewer: Viewer) -> list[tuple[str, int]]:
        """Imports and folders whose notes wait for review, with their counts (reviewers)."""
        return bulk.sources_waiting(self.contributions, viewer)

    def waiting_from(self, viewer: Viewer, source: str) -> list[str]:
        """The notes of one source still waiting to be published (reviewers only)."""
        return bulk.waiting_from(self.contributions, viewer, source)

    @contextmanager
    def deferred_indexing(self, progress: Progress | None = None) -> Iterator[None]:
        """Within this block, this thread's saves reach search in one pass at its end: what a
        bulk publication of thousands of notes needs, instead of one index update per note."""
        self._deferred.pending = set()
        try:
            yield
        finally:
            pending, self._deferred.pending = self._deferred.pending, None
            if pending:
                try:
                    self.sync_indexes(progress)
                except Exception:
                    log.exception("could not index %d notes; the next start catches up",
                                  len(pending))

    def sync_indexes(self, progress: Progress | None = None) -> SyncReport:
        """Bring the indexes up to date with the store after many changes, in one pass."""
        return self.search.sync(progress=_stages(progress))

    def open_indexes(self, progress: Progress | None = None) -> SyncReport:
        """Open the indexes, rebuilding or syncing them with the store (once per process)."""
        return self.search.open(progress=_stages(progress))

    def reindex(self, progress: Progress | None = None) -> SyncReport:
        """Rebuild the indexes from the store; the embedding cache is kept."""
        return self.search.reindex(progress=_stages(progress))

    def import_evaluation(self, evaluation: Evaluation) -> str:
        """Import or re-import an evaluation: "created", "updated" or "unchanged"."""
        return self.store.save_evaluation(evaluation)

    def record_progress(self, rec_id: str, status: str, *, text: str, author: str,
                        when: date | None = None) -> ProgressNote:
        """A recommendation's new implementation status with a dated progress note."""
        return self.store.set_recommendation_status(rec_id, status, text=text, author=author,
                                                    date=when)

    def _case_changed(self, case_id: str, *states: str | None) -> None:
        """Search follows a saved note at once when it is or was searchable; a failure is
        logged, and the next start brings the indexes up to date."""
        if not set(states) & set(SEARCHABLE_STATES):
            return
        pending = getattr(self._deferred, "pending", None)
        if pending is not None:
            pending.add(case_id)
            return
        try:
            self.search.case_changed(case_id)
        except Exception:
            log.exception("could not re-index %s; the indexes sync at the next start", case_id)


def _nothing(_stage: str, _done: int | None = None, _total: int | None = None) -> None:
    return None


def _stages(progress: Progress | None) -> Callable[..., None] | None:
    """The indexes report ``(stage, done, total)``: "keyword index" documents, "embedding"
    passages; passed on as they are, so a bar can show counts and the time left."""
    return None if progress is None else lambda stage, done, total: progress(stage, done, total)
