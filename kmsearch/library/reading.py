"""The library as one viewer may read it: case notes, lessons, evaluations and follow-up."""

from __future__ import annotations

from dataclasses import dataclass

from ..access import Viewer, can_see
from ..errors import NotFound
from ..records import CaseNote, Evaluation, Lesson, Recommendation
from ..store.cases import ProgressNote, Revision, Store, StoredCase


@dataclass
class RecommendationView:
    """A recommendation with the published cases and lessons this viewer may see."""

    recommendation: Recommendation
    evaluation: Evaluation
    cases: list[StoredCase]
    lessons: list[tuple[Lesson, StoredCase]]


class Reading:
    """Reading methods of ``Library``; published notes only, as far as the viewer may see."""

    store: Store

    def visible(self, stored: StoredCase | None, viewer: Viewer) -> bool:
        """Whether a stored note is published and this viewer may see it."""
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
        """A lesson and its note, or NotFound when this viewer may not see the note."""
        found = self.store.get_lesson(lesson_id)
        if found is None or not self.visible(found[1], viewer):
            raise NotFound(f"No lesson with id {lesson_id!r}.")
        return found

    def cases(self, viewer: Viewer) -> list[StoredCase]:
        """Every published case note this viewer may see, newest first."""
        visible = [s for s in self.store.iter_cases() if self.visible(s, viewer)]
        return sorted(visible, key=lambda s: (-(s.note.start_year or 0), s.note.title))

    def revisions(self, case_id: str) -> list[Revision]:
        """Every version of a note, oldest first (callers check who may see history)."""
        return self.store.revisions(case_id)

    def notes(self, states: tuple[str, ...] = ("published",)) -> list[CaseNote]:
        """Every note in one of ``states``, by id: what an export writes out."""
        return [stored.note for stored in self.store.iter_cases(states=states)]

    def counts(self) -> dict[str, int]:
        """Rows per table, and case notes per workflow state."""
        return self.store.counts()

    # Evaluations, recommendations and their follow-up

    def evaluations(self) -> list[Evaluation]:
        """Every evaluation with its recommendations: the default first, then newest first."""
        return self.store.list_evaluations()

    def default_evaluation(self) -> Evaluation | None:
        """The evaluation that plain recommendation numbers refer to, if one is imported."""
        default = self.store.default_evaluation_id()
        return self.store.get_evaluation(default) if default else None

    def recommendations(self) -> list[Recommendation]:
        """Every recommendation, by evaluation and number."""
        return self.store.list_recommendations()

    def get_recommendation(self, rec_id: str) -> Recommendation:
        """One recommendation, or NotFound."""
        rec = self.store.get_recommendation(rec_id)
        if rec is None:
            raise NotFound(f"No recommendation with id {rec_id!r}.")
        return rec

    def linked_recommendations(self, note: CaseNote) -> list[Recommendation]:
        """The recommendations a note illustrates, in their evaluation's order."""
        found = (self.store.get_recommendation(rec_id) for rec_id in note.recommendations)
        return sorted((rec for rec in found if rec), key=lambda r: (r.evaluation_id, r.number))

    def progress_notes(self, rec_id: str) -> list[ProgressNote]:
        """A recommendation's dated progress notes, oldest first."""
        return self.store.progress_notes(rec_id)

    def recommendation(self, rec_id: str, viewer: Viewer) -> RecommendationView:
        """A recommendation with the published notes and lessons that illustrate it."""
        rec = self.get_recommendation(rec_id)
        evaluation = self.store.get_evaluation(rec.evaluation_id)
        cases = [
            stored
            for case_id in self.store.case_ids_for("recommendation", rec_id)
            if self.visible(stored := self.store.get_case(case_id), viewer)
        ]
        lessons = [(lesson, stored) for stored in cases for lesson in stored.note.lessons]
        return RecommendationView(rec, evaluation, cases, lessons)
