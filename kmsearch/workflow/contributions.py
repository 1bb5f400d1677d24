"""Contributions and their review: drafts, submission, publication, return, archive, restore.

Every permission (the rules are in ``permissions.py``) is checked here, so the web pages and
the CLI cannot forget one. New notes move draft -> submitted -> published (or back to draft
when a reviewer returns them), and to archived instead of being deleted; each save and each
move is a revision in the store. An edit of a published note is a pending change: it waits
beside the live revision, which stays searchable, and goes through the same steps until a
reviewer publishes it in the live one's place (``readiness.py`` has the rules of each step).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from ..access import Viewer
from ..config import Settings
from ..errors import Conflict, Forbidden, NotFound, Problem, ValidationError
from ..files.slugs import slug
from ..files.validation import note_from_fields
from ..records import CaseNote
from ..store.cases import Revision, SaveResult, Store, StoredCase
from ..store.drafts import Draft, Drafts
from ..store.schema import row_id
from ..taxonomy import Taxonomy
from .attaching import Attaching
from .importing import Importing, note_fields
from .notediff import NoteDiff, diff_revisions
from .notifying import Notifying
from .permissions import may_contribute, may_edit_division, may_review
from .readiness import (
    UPLOAD_SOURCE,
    change_of,
    require_changed_since_return,
    require_minimum,
    require_other_publisher,
    written_here,
)
from .worklists import MyNotes, WorkItem, Worklists, require

__all__ = ["Contributions", "EditConflict", "MyNotes", "SaveOutcome", "WorkItem", "note_fields"]



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
    pending: bool = False  # saved as a change beside the live, published revision

    @property
    def saved(self) -> bool:
        return not self.problems


class EditConflict(Conflict):
    """A save from a stale revision: refused, and the refused version kept as ``draft``."""

    def __init__(self, message: str, draft: Draft, current: StoredCase):
        super().__init__(message)
        self.draft = draft
        self.current = current


def slugify(text: str) -> str:
    return slug(text) or "case-note"


class CaseWriter(Protocol):
    """Saves a note as a revision and brings what derives from it (the indexes) up to date."""

    def save_case(self, note: CaseNote, *, author: str, comment: str = "",
                  state: str = "published", origin: str = "web",
                  expected_revision: int | None = None) -> SaveResult: ...


class Contributions(Worklists, Attaching, Importing):
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
        require(may_contribute(viewer), "Only contributors, reviewers and admins add notes.")
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
            who, when, number = self._last_change(latest)
            message = (
                f"This note was changed by {who} at {readable_time(when)} (revision {number}) "
                f"since you opened revision {expected_revision}; your version is kept as a "
                "draft copy below: compare and merge, then save again."
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
        require(may_contribute(viewer), "Only contributors, reviewers and admins add notes.")
        if case_id:
            self._editable(viewer, case_id)
        return self.drafts.save(viewer.username, fields, body, draft_id=draft_id,
                                case_id=case_id or None, base_revision=expected_revision)

    def draft(self, viewer: Viewer, draft_id: int) -> Draft:
        """One of the viewer's own drafts."""
        require(viewer.signed_in, "Sign in to see your drafts.")
        if not row_id(draft_id):
            raise NotFound(f"No draft {str(draft_id)[:20]} of yours.")
        return self.drafts.get(draft_id, viewer.username)

    def discard_draft(self, viewer: Viewer, draft_id: int) -> None:
        self.draft(viewer, draft_id)
        self.drafts.delete(draft_id, viewer.username)

    def submit(self, viewer: Viewer, case_id: str, expected_revision: int | None = None,
               comment: str = "") -> StoredCase:
        """Send a draft (or the draft change of a published note) to the reviewers: it needs
        the minimum of ``readiness``, and a returned one needs a change since."""
        stored = self._editable(viewer, case_id)
        if stored.state == "published" and not stored.pending_revision:
            raise ValidationError([Problem("form", "", "Nothing to submit: this note is "
                                           "published as it is. Edit it and save; your change "
                                           "then waits for review beside it.")])

        def ready(note: CaseNote) -> None:
            require_changed_since_return(note, self.work_item(stored).returned)
            if written_here(stored):
                require_minimum(note)

        return self._move(viewer, stored, "submitted", comment, expected_revision, ("draft",),
                          check=ready)

    def publish(self, viewer: Viewer, case_id: str, comment: str = "") -> StoredCase:
        """Make a submitted note searchable, or a submitted change the live note in place of
        the one before; reviewers and admins only, never the change's author when the
        four-eyes rule is on."""
        require(may_review(viewer), "Only reviewers and admins publish notes.")
        stored = self.view(viewer, case_id)
        self._check_four_eyes(viewer, stored)
        return self._move(viewer, stored, "published", comment, None, ("submitted",),
                          check=require_minimum if written_here(stored) else None)

    def may_publish(self, viewer: Viewer, stored: StoredCase) -> bool:
        """Whether the four-eyes rule lets this viewer publish the note's change."""
        try:
            self._check_four_eyes(viewer, stored)
        except Forbidden:
            return False
        return may_review(viewer)

    def publish_import(self, viewer: Viewer, case_id: str, comment: str = "") -> StoredCase:
        """Publish an imported note whether it waits as a draft or submitted: a reviewer
        releasing a whole import submits and publishes it in one step."""
        require(may_review(viewer), "Only reviewers and admins publish notes.")
        stored = self.view(viewer, case_id)
        self._check_four_eyes(viewer, stored)
        if stored.state == "draft" and stored.origin == "import":
            stored = self._move(viewer, stored, "submitted", comment, None, ("draft",))
        return self._move(viewer, stored, "published", comment, None, ("submitted",),
                          check=require_minimum if written_here(stored) else None)

    def return_to_author(self, viewer: Viewer, case_id: str, comment: str) -> StoredCase:
        """Send a submitted note or change back to draft, saying what to change; a published
        note's live revision stays."""
        require(may_review(viewer), "Only reviewers and admins return notes.")
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
                          ("draft", "submitted", "published"), change=False)

    def restore(self, viewer: Viewer, case_id: str, comment: str = "") -> StoredCase:
        """Bring an archived note back in the state it had before; admins only."""
        require(viewer.signed_in and "admin" in viewer.roles, "Only admins restore notes.")
        stored = self.view(viewer, case_id)
        if stored.state != "archived":
            raise Conflict(f"Case note {case_id!r} is {stored.state}, not archived.")
        return self._move(viewer, stored, self._state_before_archive(stored), comment, None,
                          ("archived",), change=False)

    def _change(self, viewer: Viewer, stored: StoredCase, note: CaseNote, comment: str,
                expected_revision: int | None) -> SaveOutcome:
        state, pending = self._state_after_edit(viewer, stored)
        result = self.cases.save_case(
            note, author=viewer.username, comment=comment, state=state, pending=pending,
            expected_revision=stored.latest_revision if expected_revision is None
            else expected_revision,
        )
        return SaveOutcome(result.action, stored.id, result.revision, state, pending=pending)

    # Reading a draft against its note (the other reads are in worklists.py)

    def compare_draft(self, viewer: Viewer, draft_id: int) -> NoteDiff | None:
        """The viewer's draft copy of a note against the note as it is now, or None when the
        copy no longer validates (compare it in the form instead)."""
        draft = self.draft(viewer, draft_id)
        if draft.case_id is None:
            return None
        item = self.work_item(self.view(viewer, draft.case_id))
        current = item.note
        try:
            note = self._validate({**current.extra, **draft.fields, "id": item.id},
                                  draft.body, "draft")
        except ValidationError:
            return None
        note.attachments = list(current.attachments)
        who, when, number = self._last_change(item.stored)
        state = item.pending.state if item.pending else item.stored.state
        theirs = Revision(number, "", who, when, "", current, state)
        yours = Revision(0, "", viewer.username or "", draft.updated_at, "", note, state)
        return diff_revisions(theirs, yours, self.taxonomy, self._recommendation_labels())

    # Helpers

    def _save(self, viewer: Viewer, fields: dict[str, Any], body: str,
              current: StoredCase | None, expected_revision: int | None, comment: str, *,
              draft_id: int | None = None, source: str = "form") -> SaveOutcome:
        fields = dict(fields)
        base = self.work_item(current).note if current is not None else None
        if current is not None:
            fields = {**base.extra, **fields, "id": current.id}
            if current.state == "archived":
                raise Conflict(f"Case note {current.id!r} is archived; an admin must restore "
                               "it before it can be edited.")
        explicit_id = bool(fields.get("id"))
        fields["id"] = fields.get("id") or self._free_id(fields.get("title"))
        self._check_division(viewer, fields.get("division"), source)
        note = self._validate(fields, body, source)
        # Files are attached and removed on their own (``attach``), never through the form.
        note.attachments = list(base.attachments) if base is not None else [
            a for a in note.attachments if a.sha256]
        if base is not None:
            note = _keep_order(note, base)
        if current is None and explicit_id and self.store.get_case(note.id) is not None:
            raise ValidationError([Problem(source, "id", f"expected a new id; {note.id!r} is "
                                           "already used by another note")])
        state, pending = self._state_after_edit(viewer, current)
        result = self.cases.save_case(
            note, author=viewer.username, comment=comment, state=state, origin="web",
            source=None if source == "form" else UPLOAD_SOURCE,
            expected_revision=0 if current is None else expected_revision, pending=pending,
        )
        if draft_id is not None:
            self.drafts.delete(draft_id, viewer.username)
        return SaveOutcome(result.action, note.id, result.revision, state, title=note.title,
                           pending=pending)

    def _state_after_edit(self, viewer: Viewer, current: StoredCase | None) -> tuple[str, bool]:
        """The state an edit saves in, and whether as a change beside the live note: an edit of
        a published note, by anyone, is a pending change (a reviewer's edit of a submitted
        change keeps it submitted); elsewhere reviewers' edits keep the state and a
        contributor's goes back to draft."""
        if current is None:
            return "draft", False
        if current.state == "published":
            pending = self.pending(current)
            keep = pending is not None and pending.state == "submitted" and may_review(viewer)
            return ("submitted" if keep else "draft"), True
        return (current.state if may_review(viewer) else "draft"), False

    def _check_four_eyes(self, viewer: Viewer, stored: StoredCase) -> None:
        if self.settings.four_eyes:
            change = change_of(self.store.revisions(stored.id),
                               stored.revision if stored.pending_revision else None)
            require_other_publisher(viewer.username or "", change)

    def _validate(self, fields: dict[str, Any], body: str, source: str) -> CaseNote:
        settings = self.settings
        return note_from_fields(
            fields, body or "", source=source, taxonomy=self.taxonomy,
            default_evaluation=settings.default_evaluation,
            known_recommendations=self.store.recommendation_ids(),
        )

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

    def _move(self, viewer: Viewer, stored: StoredCase, state: str, comment: str,
              expected_revision: int | None, allowed_from: tuple[str, ...], *,
              change: bool = True, check: Callable[[CaseNote], None] | None = None,
              ) -> StoredCase:
        """Move the note, or its pending change (unless ``change`` is False: archive and
        restore move the live note), to ``state`` after ``check`` accepts the note."""
        pending = self.pending(stored) if change else None
        what, now = (("The change to case note", pending.state) if pending
                     else ("Case note", stored.state))
        if now not in allowed_from:
            raise Conflict(f"{what} {stored.id!r} is {now}; this step needs it "
                           f"{' or '.join(allowed_from)}. Reload the page to see its state.")
        if pending and stored.state != "published":
            raise Conflict(f"Case note {stored.id!r} is {stored.state}; an admin must restore "
                           "it before its pending change can move on.")
        note = pending.note if pending else stored.note
        expected = stored.latest_revision if expected_revision is None else expected_revision
        if expected != stored.latest_revision:
            raise self._moved_on(stored, expected)
        if check is not None:
            check(note)
        live = pending is not None and state == "published"
        try:
            self.cases.save_case(note, author=viewer.username, comment=comment, state=state,
                                 expected_revision=expected, pending=bool(pending) and not live,
                                 replaces_pending=live)
        except Conflict as error:
            raise self._moved_on(self.store.get_case(stored.id) or stored, expected) from error
        self.notifying.moved(viewer, stored, state, comment, was=now,
                             author=pending.author if pending else stored.author)
        return self.store.get_case(stored.id) or stored

    def _moved_on(self, latest: StoredCase, expected: int) -> Conflict:
        who, when, number = self._last_change(latest)
        return Conflict(f"Case note {latest.id!r} was changed by {who} at {readable_time(when)} "
                        f"(revision {number}) since you opened revision {expected}; reload it "
                        "and try again.")

    def _state_before_archive(self, stored: StoredCase) -> str:
        revisions = [r for r in self.store.revisions(stored.id) if not r.pending]
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


def readable_time(stamp: str) -> str:
    """A stored timestamp as the pages show one: ``2026-11-30 12:32:47 UTC``."""
    return f"{stamp.replace('T', ' ').replace('+00:00', '')} UTC"
