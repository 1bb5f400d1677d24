"""Contributions and their review: drafts, submission, publication, return, archive, restore.

Every permission (the rules are in ``permissions.py``) is checked here, so the web pages and
the CLI cannot forget one. Notes move
draft -> submitted -> published (or back to draft when a reviewer returns them), and to
archived instead of being deleted; each save and each move is a revision in the store.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from ..access import Viewer
from ..config import Settings
from ..errors import Conflict, Forbidden, NotFound, Problem, ValidationError
from ..files.corpus import parse_case_text
from ..files.slugs import slug
from ..files.synonyms import synonym
from ..files.validation import note_from_fields
from ..limits import BACKGROUND_UPLOAD_SECONDS, UPLOAD_SECONDS
from ..records import CaseNote
from ..store.cases import Revision, SaveResult, Store, StoredCase
from ..store.drafts import Draft, Drafts
from ..store.schema import row_id
from ..taxonomy import Taxonomy
from .attaching import Attaching
from .notediff import NoteDiff, diff_revisions
from .notifying import Notifying
from .permissions import may_contribute, may_edit_division, may_review, may_see_history, may_view
from .uploads import Budget, Entry, check_files, read_upload, teach

WORK_STATES = ("draft", "returned", "submitted", "published", "archived")


@dataclass
class SaveOutcome:
    """What saving a form did: ``created``/``updated``/``unchanged`` a note, or ``kept`` the
    form as an unfinished draft because of ``problems``."""

    action: str
    case_id: str | None
    revision: int | None
    state: str | None
    draft_id: int | None = None
    problems: list[Problem] = field(default_factory=list)
    title: str = ""

    @property
    def saved(self) -> bool:
        return not self.problems


class EditConflict(Conflict):
    """A save from a stale revision: refused, and the refused version kept as ``draft``."""

    def __init__(self, message: str, draft: Draft, current: StoredCase):
        super().__init__(message)
        self.draft = draft
        self.current = current


@dataclass
class WorkItem:
    """A note in the workflow: its state as its author sees it, and its latest revision."""

    stored: StoredCase
    status: str  # one of WORK_STATES; "returned" is a draft a reviewer sent back
    last: Revision | None

    @property
    def id(self) -> str:
        return self.stored.id


@dataclass
class MyNotes:
    drafts: list[Draft]  # unfinished forms and refused versions, not notes yet
    notes: dict[str, list[WorkItem]]  # by status, in WORK_STATES order


@dataclass
class ImportReport:
    saved: list[SaveOutcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def note_fields(note: CaseNote) -> dict[str, Any]:
    """The field mapping ``note_from_fields`` turns back into ``note``: what a form starts from."""
    return {
        **note.extra,
        "id": note.id, "title": note.title, "summary": note.summary, "division": note.division,
        "partners": [{"name": p.name, "type": p.type} for p in note.partners],
        "partnership_types": list(note.partnership_types),
        "nexus_areas": list(note.nexus_areas), "sdgs": list(note.sdgs),
        "recommendations": list(note.recommendations),
        "start_year": note.start_year, "end_year": note.end_year, "status": note.status,
        "good_practice": note.good_practice, "visibility": note.visibility,
        "risk_level": note.risk_level,
        "lessons": [{"kind": lesson.kind, "text": lesson.text} for lesson in note.lessons],
    }


def slugify(text: str) -> str:
    return slug(text) or "case-note"


class CaseWriter(Protocol):
    """Saves a note as a revision and brings what derives from it (the indexes) up to date."""

    def save_case(self, note: CaseNote, *, author: str, comment: str = "",
                  state: str = "published", origin: str = "web",
                  expected_revision: int | None = None) -> SaveResult: ...


class Contributions(Attaching):
    """The contribution and review service: reads from the store, saves notes through
    ``cases`` (the Library), so search follows every save and every move."""

    def __init__(self, store: Store, taxonomy: Taxonomy, settings: Settings, cases: CaseWriter):
        self.store = store
        self.taxonomy = taxonomy
        self.settings = settings
        self.cases = cases

    @cached_property
    def drafts(self) -> Drafts:
        return Drafts(self.store)

    @cached_property
    def notifying(self) -> Notifying:
        """Tells reviewers and authors about moves (see ``_move``)."""
        return Notifying(self.store, self.taxonomy, self.settings)


    # Writing

    def save_draft(
        self,
        viewer: Viewer,
        fields: dict[str, Any],
        body: str,
        *,
        case_id: str | None = None,
        expected_revision: int | None = None,
        comment: str = "",
        draft_id: int | None = None,
    ) -> SaveOutcome:
        """Validate and save a note as a revision; a form with problems is kept as a draft.

        ``expected_revision`` is the revision the form was opened at: a note saved meanwhile
        raises ``EditConflict`` and keeps this version as a draft copy linked to the note.
        """
        _require(may_contribute(viewer), "Only contributors, reviewers and admins add notes.")
        current = self._editable(viewer, case_id) if case_id else None
        try:
            return self._save(viewer, fields, body, current, expected_revision, comment,
                              draft_id=draft_id)
        except ValidationError as error:
            draft = self.drafts.save(viewer.username, fields, body, draft_id=draft_id,
                                     case_id=case_id, base_revision=expected_revision)
            return SaveOutcome("kept", case_id, current and current.revision,
                               current and current.state, draft.id, error.problems)
        except Conflict as error:
            if current is None:
                raise
            latest = self.store.get_case(current.id) or current
            message = (
                f"This note was changed by {latest.updated_by or latest.author} at "
                f"{latest.updated_at} (revision {latest.revision}) since you opened revision "
                f"{expected_revision}; your version is kept as a draft copy below: compare and "
                "merge, then save again."
            )
            draft = self.drafts.save(viewer.username, fields, body, draft_id=draft_id,
                                     case_id=current.id, kind="conflict",
                                     base_revision=expected_revision, message=message)
            raise EditConflict(message, draft, latest) from error

    def autosave(
        self,
        viewer: Viewer,
        fields: dict[str, Any],
        body: str,
        *,
        case_id: str | None = None,
        draft_id: int | None = None,
        expected_revision: int | None = None,
    ) -> Draft:
        """Keep a form as it is, unvalidated, without a revision: a browser may close anytime."""
        _require(may_contribute(viewer), "Only contributors, reviewers and admins add notes.")
        if case_id:
            self._editable(viewer, case_id)
        return self.drafts.save(viewer.username, fields, body, draft_id=draft_id,
                                case_id=case_id or None, base_revision=expected_revision)

    def draft(self, viewer: Viewer, draft_id: int) -> Draft:
        """One of the viewer's own drafts."""
        _require(viewer.signed_in, "Sign in to see your drafts.")
        if not row_id(draft_id):
            raise NotFound(f"No draft {str(draft_id)[:20]} of yours.")
        return self.drafts.get(draft_id, viewer.username)

    def discard_draft(self, viewer: Viewer, draft_id: int) -> None:
        self.draft(viewer, draft_id)
        self.drafts.delete(draft_id, viewer.username)

    def submit(self, viewer: Viewer, case_id: str, expected_revision: int | None = None,
               comment: str = "") -> StoredCase:
        """Send a draft to the reviewers."""
        stored = self._editable(viewer, case_id)
        return self._move(viewer, stored, "submitted", comment, expected_revision, ("draft",))

    def publish(self, viewer: Viewer, case_id: str, comment: str = "") -> StoredCase:
        """Make a submitted note searchable; reviewers and admins only."""
        _require(may_review(viewer), "Only reviewers and admins publish notes.")
        stored = self.view(viewer, case_id)
        return self._move(viewer, stored, "published", comment, None, ("submitted",))

    def publish_import(self, viewer: Viewer, case_id: str, comment: str = "") -> StoredCase:
        """Publish an imported note whether it waits as a draft or submitted: a reviewer
        releasing a whole import submits and publishes it in one step."""
        _require(may_review(viewer), "Only reviewers and admins publish notes.")
        stored = self.view(viewer, case_id)
        if stored.state == "draft" and stored.origin == "import":
            stored = self._move(viewer, stored, "submitted", comment, None, ("draft",))
        return self._move(viewer, stored, "published", comment, None, ("submitted",))

    def return_to_author(self, viewer: Viewer, case_id: str, comment: str) -> StoredCase:
        """Send a submitted note back to draft, saying what to change."""
        _require(may_review(viewer), "Only reviewers and admins return notes.")
        if not (comment or "").strip():
            message = "required: say what the author should change before resubmitting"
            raise ValidationError([Problem("review", "comment", message)])
        stored = self.view(viewer, case_id)
        return self._move(viewer, stored, "draft", comment, None, ("submitted",))

    def archive(self, viewer: Viewer, case_id: str, comment: str = "") -> StoredCase:
        """Take a note out of the library without deleting it. Contributors archive their
        division's unpublished notes; reviewers and admins any note."""
        stored = self._editable(viewer, case_id)
        if stored.state == "published" and not may_review(viewer):
            raise Forbidden("Only reviewers and admins archive a published note.")
        return self._move(viewer, stored, "archived", comment, None,
                          ("draft", "submitted", "published"))

    def restore(self, viewer: Viewer, case_id: str, comment: str = "") -> StoredCase:
        """Bring an archived note back in the state it had before; admins only."""
        _require(viewer.signed_in and "admin" in viewer.roles, "Only admins restore notes.")
        stored = self.view(viewer, case_id)
        if stored.state != "archived":
            raise Conflict(f"Case note {case_id!r} is {stored.state}, not archived.")
        return self._move(viewer, stored, self._state_before_archive(stored), comment, None,
                          ("archived",))

    def _change(self, viewer: Viewer, stored: StoredCase, note: CaseNote, comment: str,
                expected_revision: int | None) -> SaveOutcome:
        state = stored.state if may_review(viewer) else "draft"
        result = self.cases.save_case(
            note, author=viewer.username, comment=comment, state=state,
            expected_revision=stored.revision if expected_revision is None else expected_revision,
        )
        return SaveOutcome(result.action, stored.id, result.revision, state)

    def import_files(
        self, viewer: Viewer, files: list[tuple[str, bytes]],
        progress: Callable[[int, int], None] | None = None, *, atomic: bool = True,
    ) -> ImportReport:
        """Each good uploaded note becomes a draft; problems are reported per file and row, and
        a bad type or size refuses the whole upload before anything is saved. ``progress(done,
        total)`` follows the notes as they are saved.

        An ``atomic`` upload (one sent to a request thread) is one transaction, within
        ``UPLOAD_SECONDS``: an unexpected failure part-way leaves nothing saved. A background
        upload (``atomic=False``) saves note by note, so that it never holds the database's
        write lock for long, within ``BACKGROUND_UPLOAD_SECONDS``."""
        _require(may_contribute(viewer), "Only contributors, reviewers and admins add notes.")
        refused = check_files(files)
        if refused:
            raise ValidationError(refused)
        report = ImportReport()
        budget = Budget(UPLOAD_SECONDS if atomic else BACKGROUND_UPLOAD_SECONDS)
        uploads = [read_upload(name, data, self._is_partner_type, budget) for name, data in files]
        entries = [entry for upload in uploads for entry in upload.entries]
        for upload in uploads:
            report.problems.extend(upload.problems)
        with self.store.write() if atomic else nullcontext():
            for done, entry in enumerate(entries, 1):
                if budget.spent():
                    report.problems.append(budget.problem(entry.source))
                    break
                try:
                    report.saved.append(self._import(viewer, entry))
                except ValidationError as error:
                    report.problems.extend(map(teach, error.problems))
                if progress:
                    progress(done, len(entries))
        return report

    # Reading

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
        _require(viewer.signed_in, "Sign in to see your notes.")
        grouped: dict[str, list[WorkItem]] = {status: [] for status in WORK_STATES}
        for case_id in self.drafts.case_ids_by(viewer.username):
            stored = self.store.get_case(case_id)
            if stored is not None:
                item = self.work_item(stored)
                grouped[item.status].append(item)
        return MyNotes(self.drafts.of_author(viewer.username), grouped)

    def review_queue(self, viewer: Viewer) -> list[WorkItem]:
        """Submitted notes, the longest waiting first; reviewers and admins only."""
        _require(may_review(viewer), "Only reviewers and admins see the review queue.")
        waiting = sorted(self.store.iter_cases(states=("submitted",)),
                         key=lambda stored: (stored.updated_at, stored.id))
        return [self.work_item(stored) for stored in waiting]

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
        return diff_revisions(old, new, self.taxonomy)

    def compare_draft(self, viewer: Viewer, draft_id: int) -> NoteDiff | None:
        """The viewer's draft copy of a note against the note as it is now, or None when the
        copy no longer validates (compare it in the form instead)."""
        draft = self.draft(viewer, draft_id)
        if draft.case_id is None:
            return None
        current = self.view(viewer, draft.case_id)
        try:
            note = self._validate({**current.note.extra, **draft.fields, "id": current.id},
                                  draft.body, "draft")
        except ValidationError:
            return None
        note.attachments = list(current.note.attachments)
        theirs = Revision(current.revision, "", current.updated_by, current.updated_at, "",
                          current.note, current.state)
        yours = Revision(0, "", viewer.username or "", draft.updated_at, "", note, current.state)
        return diff_revisions(theirs, yours, self.taxonomy)

    def work_item(self, stored: StoredCase) -> WorkItem:
        """A note with its workflow status (``returned`` included) and latest revision."""
        last = self.store.revision(stored.id, stored.revision)
        status = stored.state
        if stored.state == "draft" and last is not None and stored.revision > 1:
            before = self.store.revision(stored.id, stored.revision - 1)
            if before is not None and before.state == "submitted" and last.action == "state":
                status = "returned"
        return WorkItem(stored, status, last)

    def published_revision(self, case_id: str, before: int | None = None) -> int | None:
        """The latest revision (before ``before``) in which the note was published."""
        numbers = [rev.number for rev in self.store.revisions(case_id)
                   if rev.state == "published" and (before is None or rev.number < before)]
        return numbers[-1] if numbers else None

    # Helpers

    def _save(self, viewer: Viewer, fields: dict[str, Any], body: str,
              current: StoredCase | None, expected_revision: int | None, comment: str, *,
              draft_id: int | None = None, source: str = "form") -> SaveOutcome:
        fields = dict(fields)
        if current is not None:
            fields = {**current.note.extra, **fields, "id": current.id}
            if current.state == "archived":
                raise Conflict(f"Case note {current.id!r} is archived; an admin must restore "
                               "it before it can be edited.")
        explicit_id = bool(fields.get("id"))
        fields["id"] = fields.get("id") or self._free_id(fields.get("title"))
        self._check_division(viewer, fields.get("division"), source)
        note = self._validate(fields, body, source)
        # Files are attached and removed on their own (``attach``), never through the form.
        note.attachments = list(current.note.attachments) if current is not None else [
            a for a in note.attachments if a.sha256]
        if current is not None:
            note = _keep_order(note, current.note)
        if current is None and explicit_id and self.store.get_case(note.id) is not None:
            raise ValidationError([Problem(source, "id", f"expected a new id; {note.id!r} is "
                                           "already used by another note")])
        # Reviewers' edits keep the state; a contributor's change goes back through review.
        state = current.state if current is not None and may_review(viewer) else "draft"
        result = self.cases.save_case(
            note, author=viewer.username, comment=comment, state=state, origin="web",
            expected_revision=0 if current is None else expected_revision,
        )
        if draft_id is not None:
            self.drafts.delete(draft_id, viewer.username)
        return SaveOutcome(result.action, note.id, result.revision, state, title=note.title)

    def _validate(self, fields: dict[str, Any], body: str, source: str) -> CaseNote:
        settings = self.settings
        return note_from_fields(
            fields, body or "", source=source, taxonomy=self.taxonomy,
            default_evaluation=settings.default_evaluation,
            known_recommendations=self.store.recommendation_ids(),
        )

    def _import(self, viewer: Viewer, entry: Entry) -> SaveOutcome:
        fields, body = entry.fields, entry.body
        if entry.text is not None:
            note = parse_case_text(
                entry.text, source=entry.source, taxonomy=self.taxonomy,
                default_evaluation=self.settings.default_evaluation,
                known_recommendations=self.store.recommendation_ids(),
            )
            fields, body = note_fields(note), note.body
        current = self._reuploaded(viewer, fields.get("id"), entry.source)
        try:
            return self._save(viewer, fields, body, current,
                              current.revision if current else None,
                              f"uploaded from {entry.source}", source=entry.source)
        except Forbidden as error:
            raise ValidationError([Problem(entry.source, "division", str(error))]) from error

    def _reuploaded(self, viewer: Viewer, case_id: Any, source: str) -> StoredCase | None:
        """The viewer's own unpublished note that a corrected upload of the same row replaces;
        None for a new id. A published note is edited on its page, never over an upload."""
        stored = self.store.get_case(case_id) if isinstance(case_id, str) and case_id else None
        if stored is None:
            return None
        if stored.state == "draft" and stored.author == viewer.username:
            return stored
        where = "published; edit it from its page" if stored.state == "published" else \
            f"{stored.state}, by {stored.author}"
        raise ValidationError([Problem(source, "id", f"expected a new id or one of your drafts; "
                                       f"{case_id!r} is already used by a note that is {where}")])

    def _is_partner_type(self, value: str) -> bool:
        return self.taxonomy.partner_types.resolve(value) is not None or \
            synonym("partner_types", value) is not None

    def _check_division(self, viewer: Viewer, value: Any, source: str) -> None:
        term = self.taxonomy.divisions.resolve(value) if isinstance(value, str) else None
        if term is not None and not may_edit_division(viewer, term.code):
            yours = ", ".join(sorted(self.taxonomy.divisions.name_of(code)
                                     for code in viewer.divisions)) or "no division"
            raise Forbidden(f"You contribute to {yours}, not to {term.name}; choose one of "
                            "your divisions or ask a reviewer.")

    def _free_id(self, title: Any) -> str:
        base = slugify(title if isinstance(title, str) else "")
        candidate, number = base, 1
        while self.store.get_case(candidate) is not None:
            number += 1
            candidate = f"{base}-{number}"
        return candidate

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

    def _move(self, viewer: Viewer, stored: StoredCase, state: str, comment: str,
              expected_revision: int | None, allowed_from: tuple[str, ...]) -> StoredCase:
        if stored.state not in allowed_from:
            raise Conflict(f"Case note {stored.id!r} is {stored.state}; this step needs it "
                           f"{' or '.join(allowed_from)}. Reload the page to see its state.")
        expected = stored.revision if expected_revision is None else expected_revision
        try:
            self.cases.save_case(stored.note, author=viewer.username, comment=comment,
                                 state=state, expected_revision=expected)
        except Conflict as error:
            latest = self.store.get_case(stored.id) or stored
            raise Conflict(f"Case note {stored.id!r} was changed by {latest.updated_by} at "
                           f"{latest.updated_at} (revision {latest.revision}) since you opened "
                           f"revision {expected}; reload it and try again.") from error
        self.notifying.moved(viewer, stored, state, comment)
        return self.store.get_case(stored.id) or stored

    def _state_before_archive(self, stored: StoredCase) -> str:
        revisions = self.store.revisions(stored.id)
        for earlier, later in zip(revisions[-2::-1], revisions[::-1], strict=False):
            if later.state == "archived" and earlier.state != "archived":
                return earlier.state
        return "draft"


def _keep_order(note: CaseNote, before: CaseNote) -> CaseNote:
    """``note`` with its linked codes in the order ``before`` had them, new ones last: a form
    lists checkboxes in taxonomy order, which is no reason for a new revision."""
    for name in ("partnership_types", "nexus_areas", "sdgs", "recommendations"):
        new, old = getattr(note, name), getattr(before, name)
        setattr(note, name, [v for v in old if v in new] + [v for v in new if v not in old])
    return note


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise Forbidden(message)
