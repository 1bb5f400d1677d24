"""Writing through the library: every save goes to the store, then to the indexes, here once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Settings
from ..errors import NotFound
from ..files.ingest import IngestReport
from ..files.ingest import ingest as ingest_corpus
from ..index.indexer import SEARCHABLE_STATES, SyncReport
from ..records import CaseNote, Evaluation
from ..store.cases import ProgressNote, SaveResult, Store
from ..taxonomy import Taxonomy

if TYPE_CHECKING:
    from ..search.service import SearchService

__all__ = ["IngestReport", "Writing"]
log = logging.getLogger(__name__)
Progress = Callable[[str], None]  # called with the stage, "ingest" or "index", per step


class Writing:
    """Writing methods of ``Library``: save, change state, ingest, import, record follow-up."""

    settings: Settings
    store: Store
    taxonomy: Taxonomy
    search: SearchService
    _parts: dict[str, Any]  # the parts built so far (see Library._once)

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
        expected_revision: int | None = None,
    ) -> SaveResult:
        """Save a note as a new revision, then make search show it as saved."""
        result = self.store.save_case(note, author=author, comment=comment, state=state,
                                      origin=origin, expected_revision=expected_revision)
        if result.action != "unchanged":
            self._case_changed(note.id, result.previous_state, state)
        return result

    def set_state(self, case_id: str, state: str, *, author: str, comment: str = "",
                  expected_revision: int | None = None) -> SaveResult:
        """Move a note to another workflow state (publish, return, archive, restore) as a new
        revision; search follows. Permission checks belong to ``contributions``."""
        stored = self.store.get_case(case_id)
        if stored is None:
            raise NotFound(f"No case note with id {case_id!r}.")
        expected = stored.revision if expected_revision is None else expected_revision
        return self.save_case(stored.note, author=author, comment=comment, state=state,
                              expected_revision=expected)

    def ingest(self, path: Path | None = None, *, author: str = "corpus", index: bool = True,
               progress: Progress | None = None) -> IngestReport:
        """Load the corpus folder at ``path`` (default: the configured one) into the store,
        then, unless ``index`` is False, bring the indexes up to date with it."""
        tick = progress or _nothing
        report = ingest_corpus(
            self.store, path or self.settings.corpus_dir, self.taxonomy,
            default_evaluation=self.settings.default_evaluation, author=author,
            progress=lambda _: tick("ingest"),
        )
        if index:
            already_open = "search" in self._parts
            self.search.open(progress=lambda *_: tick("index"))  # syncs everything it opens
            if already_open:
                for case_id in report.created + report.updated:
                    self._case_changed(case_id, *SEARCHABLE_STATES)
        return report

    def open_indexes(self, progress: Progress | None = None) -> SyncReport:
        """Open the indexes, rebuilding or syncing them with the store (once per process)."""
        tick = progress or _nothing
        return self.search.open(progress=lambda *_: tick("index"))

    def reindex(self, progress: Progress | None = None) -> SyncReport:
        """Rebuild the indexes from the store; the embedding cache is kept."""
        tick = progress or _nothing
        return self.search.reindex(progress=lambda *_: tick("index"))

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
        try:
            self.search.case_changed(case_id)
        except Exception:
            log.exception("could not re-index %s; the indexes sync at the next start", case_id)


def _nothing(_stage: str) -> None:
    return None
