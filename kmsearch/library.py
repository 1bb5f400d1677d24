"""The library as one viewer may see it: records, visibility and search for web, API and CLI."""

from __future__ import annotations

import datetime
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .access import Viewer, can_see
from .config import Settings
from .errors import NotFound, Problem
from .records import Attachment, Evaluation, Lesson, Recommendation
from .store.cases import Store, StoredCase
from .taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:
    from .files.attachments import Attachments
    from .files.briefs import Brief
    from .search.service import SearchService


@dataclass
class RecommendationView:
    """A recommendation with the published cases and lessons this viewer may see."""

    recommendation: Recommendation
    evaluation: Evaluation
    cases: list[StoredCase]
    lessons: list[tuple[Lesson, StoredCase]]


class Library:
    """Settings, taxonomy, store and search service of one process, created once and shared."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.from_env()
        self._lock = threading.Lock()

    @cached_property
    def taxonomy(self) -> Taxonomy:
        return load_taxonomy(self.settings.taxonomy_file)

    @cached_property
    def store(self) -> Store:
        return Store(self.settings.db_path)

    @cached_property
    def search(self) -> SearchService:
        from .search.service import SearchService

        with self._lock:
            return SearchService(self.store, self.taxonomy, self.settings)

    @cached_property
    def attachments(self) -> Attachments:
        """Attached files: kept outside the database, their text extracted once."""
        from .files.attachments import Attachments

        return Attachments(self.store, self.settings)

    def attached_file(self, case_id: str, sha256: str, viewer: Viewer) -> tuple[Attachment, Path]:
        """A file attached to a note this viewer may see (in any workflow state the viewer may
        see it in), and where its bytes are; NotFound for anyone else, as for a missing file."""
        from .workflow.permissions import may_view

        stored = self.store.get_case(case_id)
        found = stored and next((a for a in stored.note.attachments if a.sha256 == sha256), None)
        if stored is None or found is None or not may_view(viewer, stored):
            raise NotFound("No such attached file.")
        path = self.attachments.path(found)
        if not path.is_file():
            raise NotFound(f"The file {found.name} is missing from the attachments folder.")
        return found, path

    def import_response(
        self, name: str, data: bytes, *, evaluation_id: str, title: str | None = None,
        period: str | None = None, date: datetime.date | None = None, default: bool = False,
    ) -> tuple[Evaluation, str, list[Problem]]:
        """Parse a management response (.txt, .docx or .pdf), save its evaluation and keep the
        original file with it: the evaluation, "created", "updated" or "unchanged", and
        warnings (pages of a PDF without text)."""
        from .files.responsedocs import read_response

        evaluation, found = read_response(name, data, evaluation_id=evaluation_id, title=title,
                                          period=period, date=date)
        evaluation.default = default
        added = self.attachments.add(name, data)
        action = self.store.save_evaluation(evaluation)
        self.attachments.files.keep_for_evaluation(evaluation.id, added.attachment)
        return evaluation, action, found.warnings(name)

    def evaluation_file(self, evaluation_id: str, sha256: str) -> tuple[Attachment, Path]:
        """An original document of an evaluation (evaluations are public, like their pages)."""
        files = self.attachments.files
        found = next((a for a in files.evaluation_files(evaluation_id) if a.sha256 == sha256),
                     None)
        if found is None or not files.path(sha256).is_file():
            raise NotFound("No such document of this evaluation.")
        return found, files.path(sha256)

    def export_attachments(self, notes: list, folder: Path) -> int:
        """Copy the notes' attached files beside an exported corpus, where its files name them."""
        import shutil

        from .files.export import exported_path

        copied = 0
        for note in notes:
            for attachment in note.attachments:
                target = Path(folder) / exported_path(note.id, attachment.name)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(self.attachments.path(attachment), target)
                copied += 1
        return copied

    def brief(self, case_id: str, viewer: Viewer) -> Brief:
        """The printable one-page brief of a published note this viewer may see."""
        from .files.briefs import make_brief

        stored = self.get_case(case_id, viewer)
        recs = [rec for rec_id in stored.note.recommendations
                if (rec := self.store.get_recommendation(rec_id)) is not None]
        return make_brief(stored.note, self.taxonomy, recs)

    def visible(self, stored: StoredCase | None, viewer: Viewer) -> bool:
        return (
            stored is not None
            and stored.state == "published"
            and can_see(viewer, stored.note.visibility, stored.note.division)
        )

    def get_case(self, case_id: str, viewer: Viewer) -> StoredCase:
        """The case note, or NotFound when it does not exist or this viewer may not see it."""
        stored = self.store.get_case(case_id)
        if not self.visible(stored, viewer):
            raise NotFound(f"No case note with id {case_id!r}.")
        return stored

    def get_lesson(self, lesson_id: str, viewer: Viewer) -> tuple[Lesson, StoredCase]:
        found = self.store.get_lesson(lesson_id)
        if found is None or not self.visible(found[1], viewer):
            raise NotFound(f"No lesson with id {lesson_id!r}.")
        return found

    def cases(self, viewer: Viewer) -> list[StoredCase]:
        """Every published case note this viewer may see, newest first."""
        visible = [s for s in self.store.iter_cases() if self.visible(s, viewer)]
        return sorted(visible, key=lambda s: (-(s.note.start_year or 0), s.note.title))

    def recommendation(self, rec_id: str, viewer: Viewer) -> RecommendationView:
        rec = self.store.get_recommendation(rec_id)
        if rec is None:
            raise NotFound(f"No recommendation with id {rec_id!r}.")
        evaluation = self.store.get_evaluation(rec.evaluation_id)
        cases = [
            stored
            for case_id in self.store.case_ids_for("recommendation", rec_id)
            if self.visible(stored := self.store.get_case(case_id), viewer)
        ]
        lessons = [(lesson, stored) for stored in cases for lesson in stored.note.lessons]
        return RecommendationView(rec, evaluation, cases, lessons)
