"""The rules of the workflow's steps as plain functions over revisions: what a submission needs,
which revisions make up the change under work, when a return still holds, four eyes, and which
revision a pending change is compared with."""

import pytest

from kmsearch.errors import Forbidden, ValidationError
from kmsearch.records import CaseNote, Partner
from kmsearch.store.cases import Revision
from kmsearch.workflow.notediff import compare_bases
from kmsearch.workflow.readiness import (
    MIN_BODY_CHARACTERS,
    change_of,
    missing_for_review,
    require_changed_since_return,
    require_other_publisher,
    returned_by,
)

COMPLETE = CaseNote(id="n", title="A note", division="trade", summary="Short summary.",
                    partners=[Partner("Acme", "business")], start_year=2022,
                    body="x" * MIN_BODY_CHARACTERS)


def rev(number, action, state, author="tina", *, pending=False, body="one", comment=""):
    note = CaseNote.from_dict(COMPLETE.to_dict() | {"body": body})
    return Revision(number, action, author, f"2026-11-30T10:00:0{number}+00:00", comment, note,
                    state, pending)


def test_a_complete_note_lacks_nothing_and_each_missing_field_is_named():
    assert missing_for_review(COMPLETE) == []
    thin = CaseNote(id="n", title="A note", division="trade", body="Too short.")
    problems = {p.field: p.message for p in missing_for_review(thin)}
    assert set(problems) == {"summary", "partners", "start_year", "body"}
    assert problems["body"].endswith("this one has 10")


def test_the_change_of_a_published_note_starts_after_its_live_revision():
    revisions = [rev(1, "created", "published"), rev(2, "updated", "draft", pending=True),
                 rev(3, "state", "submitted", pending=True),
                 rev(4, "state", "draft", "rita", pending=True, comment="Say more."),
                 rev(5, "archived", "archived", "rita")]
    assert [r.number for r in change_of(revisions, 1)] == [2, 3, 4, 5]
    assert returned_by(change_of(revisions, 1)).comment == "Say more."
    assert [r.number for r in change_of(revisions, None)] == [5]  # the live side alone


def test_a_return_holds_until_the_note_is_submitted_again_and_refuses_it_unchanged():
    revisions = [rev(1, "created", "draft"), rev(2, "state", "submitted"),
                 rev(3, "state", "draft", "rita", comment="Name the partner.")]
    returned = returned_by(revisions)
    with pytest.raises(ValidationError, match="cannot go back to the reviewers unchanged"):
        require_changed_since_return(returned.note, returned)
    changed = CaseNote.from_dict(returned.note.to_dict() | {"body": "two"})
    require_changed_since_return(changed, returned)
    revisions += [rev(4, "updated", "draft", body="two"), rev(5, "state", "submitted")]
    assert returned_by(revisions) is None


def test_four_eyes_counts_who_wrote_the_change_not_who_moved_it():
    change = [rev(2, "updated", "draft", pending=True),
              rev(3, "state", "submitted", "rita", pending=True)]
    require_other_publisher("rita", change)  # rita only moved it
    with pytest.raises(Forbidden, match="another reviewer must publish it"):
        require_other_publisher("tina", change)


def test_a_pending_revision_is_compared_with_the_live_one_before_it():
    revisions = [rev(1, "created", "published"), rev(2, "updated", "draft", pending=True),
                 rev(3, "updated", "draft", pending=True), rev(4, "state", "published")]
    assert compare_bases(revisions) == {2: 1, 3: 1, 4: 1}
    plain = [rev(1, "created", "draft"), rev(2, "state", "submitted")]
    assert compare_bases(plain) == {2: 1}
