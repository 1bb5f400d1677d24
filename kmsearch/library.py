"""The library as one viewer may see it: records, visibility and search for web, API and CLI."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from .access import Viewer, can_see
from .config import Settings
from .errors import NotFound
from .files.duediligence import Rules, load_rules
from .records import Evaluation, Lesson, Recommendation
from .store.cases import Store, StoredCase
from .taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:
    from .search.service import SearchService
    from .workflow.partners import Partners
    from .workflow.proposals import Proposals
    from .workflow.screening import CaseScreenings


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

    # Partnership proposals, due-diligence screening and partner profiles (recommendations 7
    # and 5). The services check every permission; views and the CLI call them through here.

    @cached_property
    def due_diligence(self) -> Rules:
        """The due-diligence rules of the corpus (``due-diligence.yaml``), validated on load."""
        return load_rules(self.settings.corpus_dir / "due-diligence.yaml")

    @cached_property
    def proposals(self) -> Proposals:
        from .workflow.proposals import Proposals

        return Proposals(self)

    @cached_property
    def partners(self) -> Partners:
        from .workflow.partners import Partners

        return Partners(self)

    @cached_property
    def case_screenings(self) -> CaseScreenings:
        from .workflow.screening import CaseScreenings

        return CaseScreenings(self)
