"""What a change needs before it moves on: the minimum a note must have to be submitted or
published, the four-eyes rule, and no return to the reviewers of a returned note unchanged."""

from __future__ import annotations

from ..errors import Forbidden, Problem, ValidationError
from ..records import CaseNote
from ..store.cases import Revision, StoredCase

MIN_BODY_CHARACTERS = 200  # about three sentences: context, what was done, results
CONTENT_ACTIONS = ("created", "updated")
UPLOAD_SOURCE = "upload"  # the source of notes created from /contribute/upload


def written_here(stored: StoredCase) -> bool:
    """Whether a note was written in the form, so that the minimum applies: notes brought in
    by ``kmsearch ingest``, ``kmsearch import`` or an upload keep what their source has."""
    return stored.origin == "web" and stored.source != UPLOAD_SOURCE


def missing_for_review(note: CaseNote, source: str = "form") -> list[Problem]:
    """What a note lacks to be submitted or published, one problem per field; a draft may lack
    all of it."""
    problems = []
    if not (note.summary or "").strip():
        problems.append(Problem(source, "summary", "required to submit: one or two sentences "
                                "that readers see in search results"))
    if not note.partners:
        problems.append(Problem(source, "partners", "required to submit: at least one partner, "
                                "with its name and type"))
    if note.start_year is None:
        problems.append(Problem(source, "start_year", "required to submit: the year the "
                                "partnership started"))
    length = len((note.body or "").strip())
    if length < MIN_BODY_CHARACTERS:
        problems.append(Problem(source, "body", f"required to submit: a story of at least "
                                f"{MIN_BODY_CHARACTERS} characters (context, what was done, "
                                f"results); this one has {length}"))
    return problems


def require_minimum(note: CaseNote) -> None:
    """Refuse a submission or publication of a note that lacks the minimum, naming each field."""
    problems = missing_for_review(note)
    if problems:
        raise ValidationError(problems)


def change_of(revisions: list[Revision], live: int | None) -> list[Revision]:
    """The revisions of the change now under work: those after the ``live`` revision that a
    pending change waits beside, or, for a note without one, every live-side revision since
    its last publication."""
    if live is not None:
        return [r for r in revisions if r.number > live]
    own = [r for r in revisions if not r.pending]
    published = [i for i, r in enumerate(own) if r.state == "published"]
    return own[published[-1] + 1:] if published else own


def returned_by(change: list[Revision]) -> Revision | None:
    """The revision in which a reviewer returned this change, if it has not been submitted
    again since."""
    for before, revision in reversed(list(zip(change, change[1:], strict=False))):
        if revision.state == "submitted":
            return None
        if revision.action == "state" and revision.state == "draft" and before.state == "submitted":
            return revision
    return None


def require_changed_since_return(note: CaseNote, returned: Revision | None) -> None:
    """Refuse to resubmit a returned note as it was returned."""
    if returned is not None and note.content_hash() == returned.note.content_hash():
        message = (f"{returned.author} returned this note asking: “{returned.comment}”. Change "
                   "the note as asked and save it, then submit it again; it cannot go back to "
                   "the reviewers unchanged.")
        raise ValidationError([Problem("form", "", message)])


def require_other_publisher(publisher: str, change: list[Revision]) -> None:
    """The four-eyes rule: nobody publishes a change they wrote."""
    if publisher in authors(change):
        raise Forbidden("Nobody publishes their own change here (KMSEARCH_FOUR_EYES is on): "
                        "you wrote part of this one, so another reviewer must publish it.")


def authors(change: list[Revision]) -> set[str]:
    """Who wrote the content of a change (not who moved it between states)."""
    return {r.author for r in change if r.action in CONTENT_ACTIONS}
