"""The workflow as people read it: a note with the state of the work on it, each author's notes,
the review queue, and a note's history; every read checks who may see what."""

from __future__ import annotations

from dataclasses import dataclass

from ..access import Viewer
from ..errors import Forbidden, NotFound
from ..records import CaseNote
from ..store.cases import Revision, StoredCase
from ..store.drafts import Draft
from .notediff import NoteDiff, diff_revisions
from .permissions import may_edit_division, may_review, may_see_history, may_view
from .readiness import change_of, returned_by

WORK_STATES = ("draft", "returned", "submitted", "published", "archived")


@dataclass
class WorkItem:
    """A note in the workflow: the state of the work on it as its author sees it, and its
    latest revision. With a ``pending`` change, both are the change's; the note stays live."""

    stored: StoredCase
    status: str  # one of WORK_STATES; "returned" is a draft a reviewer sent back
    last: Revision | None
    pending: Revision | None = None
    returned: Revision | None = None  # the reviewer's return, until the note is resubmitted

    @property
    def id(self) -> str:
        return self.stored.id

    @property
    def note(self) -> CaseNote:
        """The note as the work left it: the pending change if any, else the stored note."""
        return self.pending.note if self.pending else self.stored.note


@dataclass
class MyNotes:
    drafts: list[Draft]  # unfinished forms and refused versions, not notes yet
    notes: dict[str, list[WorkItem]]  # by status, in WORK_STATES order


class Worklists:
    """The reading steps of ``Contributions`` (whose store, taxonomy and drafts they use)."""

    def view(self, viewer: Viewer, case_id: str) -> StoredCase:
        """A note in any state, if this viewer may see it; NotFound otherwise."""
        stored = self.store.get_case(case_id)
        if stored is None or not may_view(viewer, stored):
            raise NotFound(f"No case note with id {case_id!r}.")
        return stored

    def editable(self, viewer: Viewer, case_id: str) -> StoredCase:
        """A note this viewer may edit; NotFound if unseen, Forbidden if only seen."""
        return self._editable(viewer, case_id)

    def my_notes(self, viewer: Viewer) -> MyNotes:
        """The viewer's drafts and the notes they created, grouped by workflow status."""
        require(viewer.signed_in, "Sign in to see your notes.")
        grouped: dict[str, list[WorkItem]] = {status: [] for status in WORK_STATES}
        for case_id in self.drafts.case_ids_by(viewer.username):
            stored = self.store.get_case(case_id)
            if stored is not None:
                item = self.work_item(stored)
                grouped[item.status].append(item)
        return MyNotes(self.drafts.of_author(viewer.username), grouped)

    def review_queue(self, viewer: Viewer) -> list[WorkItem]:
        """Submitted notes, the longest waiting first; reviewers and admins only."""
        require(may_review(viewer), "Only reviewers and admins see the review queue.")
        waiting = [*self.store.iter_cases(states=("submitted",)),
                   *self.store.iter_with_pending("submitted")]
        items = [self.work_item(stored) for stored in waiting]
        return sorted(items, key=lambda item: (item.last.created_at if item.last else "",
                                               item.id))

    def history(self, viewer: Viewer, case_id: str) -> tuple[StoredCase, list[Revision]]:
        """A note and every revision of it, oldest first."""
        stored = self._history_access(viewer, case_id)
        return stored, self.store.revisions(case_id)

    def diff(self, viewer: Viewer, case_id: str, from_rev: int, to_rev: int) -> NoteDiff:
        """What changed between two revisions: field by field, and the body line by line."""
        self._history_access(viewer, case_id)
        old, new = self.store.revision(case_id, from_rev), self.store.revision(case_id, to_rev)
        missing = [str(n) for n, rev in ((from_rev, old), (to_rev, new)) if rev is None]
        if missing:
            raise NotFound(f"Case note {case_id!r} has no revision {' or '.join(missing)}.")
        return diff_revisions(old, new, self.taxonomy, self._recommendation_labels())

    def pending(self, stored: StoredCase) -> Revision | None:
        """The change waiting beside a published note, if there is one."""
        if not stored.pending_revision:
            return None
        return self.store.revision(stored.id, stored.pending_revision)

    def work_item(self, stored: StoredCase) -> WorkItem:
        """A note with its workflow status (``returned`` included) and latest revision: those
        of its pending change when it has one."""
        pending = self.pending(stored)
        last = pending or self.store.revision(stored.id, stored.revision)
        change = change_of(self.store.revisions(stored.id), stored.revision if pending else None)
        returned = returned_by(change)
        status = pending.state if pending else stored.state
        if status == "draft" and returned is not None:
            status = "returned"
        return WorkItem(stored, status, last, pending, returned)

    def compared_with(self, item: WorkItem) -> int | None:
        """The revision a reviewer compares a waiting note with: the live revision a pending
        change waits beside, else the note's last published one (None: never published)."""
        return item.stored.revision if item.pending else self.published_revision(item.id)

    def published_revision(self, case_id: str, before: int | None = None) -> int | None:
        """The latest revision (before ``before``) in which the note was published."""
        numbers = [rev.number for rev in self.store.revisions(case_id)
                   if rev.state == "published" and (before is None or rev.number < before)]
        return numbers[-1] if numbers else None

    def _recommendation_labels(self) -> dict[str, str]:
        """Each recommendation as the pages name it: "Recommendation 2: Establish a…"."""
        labels = {}
        for rec in self.store.list_recommendations():
            text = " ".join(rec.text.split())
            short = text if len(text) <= 70 else text[:70].rsplit(" ", 1)[0] + "\u2026"
            labels[rec.id] = f"Recommendation {rec.number}: {short}"
        return labels

    def _last_change(self, stored: StoredCase) -> tuple[str, str, int]:
        """Who made the note's latest revision (its pending change's, if any), when, and its
        number."""
        pending = self.pending(stored)
        if pending is not None:
            return pending.author, pending.created_at, pending.number
        return stored.updated_by or stored.author, stored.updated_at, stored.revision

    def _editable(self, viewer: Viewer, case_id: str) -> StoredCase:
        stored = self.view(viewer, case_id)
        if not may_edit_division(viewer, stored.note.division):
            division = self.taxonomy.divisions.name_of(stored.note.division)
            raise Forbidden(f"Only {division} contributors, reviewers and admins may change "
                            f"case note {case_id!r}.")
        return stored

    def _history_access(self, viewer: Viewer, case_id: str) -> StoredCase:
        stored = self.view(viewer, case_id)
        if not may_see_history(viewer, stored):
            raise Forbidden("Revision history is for the note's author, its division's "
                            "contributors, reviewers and admins.")
        return stored


def require(allowed: bool, message: str) -> None:
    """Refuse (Forbidden, with ``message``) unless ``allowed``."""
    if not allowed:
        raise Forbidden(message)
