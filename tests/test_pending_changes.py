"""Changes to published notes wait beside the live revision: search and readers keep the live
one until a reviewer publishes the change; the rules of each step (the minimum to submit,
no unchanged resubmission, four eyes) and how archive, restore and conflicts treat a change."""

from dataclasses import replace

import pytest
from contribution_library import ADMIN, REVIEWER, TRADE, contribution_app, form_fields, story
from web_library import signed_in

from kmsearch.access import ANONYMOUS, staff
from kmsearch.errors import Conflict, Forbidden, ValidationError
from kmsearch.library import Library
from kmsearch.search.request import SearchRequest
from kmsearch.workflow.contributions import EditConflict
from kmsearch.workflow.notediff import compare_bases
from kmsearch.workflow.readiness import MIN_BODY_CHARACTERS

pytestmark = pytest.mark.model  # a copy of the web tests' library, indexed with the model

TRADE_TOO = staff("theo", "contributor", divisions=("trade",))
OTHER_REVIEWER = staff("rosa", "reviewer")


@pytest.fixture(scope="module")
def library(library_copy):
    library = Library(library_copy("pending-changes"))
    yield library
    library.store.close()


@pytest.fixture(scope="module")
def service(library):
    return library.contributions


def found_ids(library, query):
    request = SearchRequest(query, mode="keyword", per_page=50, group=False)
    return {hit.doc.case_id for hit in library.search.search(request, ANONYMOUS).hits}


def published_note(library, title: str, opening: str) -> str:
    """A public note of Trade, written by tina and published by rita; its id."""
    service = library.contributions
    created = service.save_draft(TRADE, form_fields(title, visibility="public"), story(opening))
    library.submit(TRADE, created.case_id)
    library.publish(REVIEWER, created.case_id)
    return created.case_id


def change(library, viewer, case_id: str, title: str, opening: str, comment: str = ""):
    """``viewer``'s edit of the note's body, from its latest revision."""
    stored = library.store.get_case(case_id)
    return library.contributions.save_draft(
        viewer, form_fields(title, visibility="public"), story(opening), case_id=case_id,
        expected_revision=stored.latest_revision, comment=comment)


def submitted_change(library, title: str, before: str, after: str) -> tuple[str, int]:
    """A published note with tina's change submitted beside it: its id and live revision."""
    case_id = published_note(library, title, before)
    live = library.store.get_case(case_id).revision
    library.submit(TRADE, case_id, change(library, TRADE, case_id, title, after).revision)
    return case_id, live


def test_a_contributors_change_waits_beside_the_live_note_until_published(service, library):
    case_id = published_note(library, "Berry certification scheme", "Gooseberry growers met.")
    live = library.store.get_case(case_id)
    changed = change(library, TRADE, case_id, "Berry certification scheme",
                     "Quinceberry growers met.", "renamed the fruit")
    assert changed.pending and changed.revision == live.revision + 1

    stored = library.store.get_case(case_id)
    assert (stored.state, stored.revision, stored.pending_revision) == (
        "published", live.revision, changed.revision)
    assert library.get_case(case_id, ANONYMOUS).note.body.startswith("Gooseberry")
    assert found_ids(library, "gooseberry") == {case_id}
    assert found_ids(library, "quinceberry") == set()
    assert case_id not in [item.id for item in service.review_queue(REVIEWER)]

    library.submit(TRADE, case_id, changed.revision, "please review")
    item = next(item for item in service.review_queue(REVIEWER) if item.id == case_id)
    assert item.pending and item.status == "submitted" and service.compared_with(item) == \
        live.revision
    diff = service.diff(REVIEWER, case_id, service.compared_with(item), item.last.number)
    removed = [line.text for hunk in diff.hunks for line in hunk if line.tag == "delete"]
    assert removed == ["Gooseberry growers met."]
    assert found_ids(library, "gooseberry") == {case_id}  # still live while it waits

    library.publish(REVIEWER, case_id, "fine")
    stored = library.store.get_case(case_id)
    assert stored.pending_revision is None and stored.note.body.startswith("Quinceberry")
    assert found_ids(library, "quinceberry") == {case_id}
    assert found_ids(library, "gooseberry") == set()

    revisions = library.store.revisions(case_id)
    assert [r.number for r in revisions] == list(range(1, len(revisions) + 1))
    comments = [r.comment for r in revisions if r.comment]
    assert comments == ["renamed the fruit", "please review", "fine"]  # each once
    assert compare_bases(revisions)[stored.revision - 1] == live.revision


def test_a_reviewers_own_edit_is_pending_too_and_four_eyes_keeps_them_from_publishing_it(
    service, library
):
    case_id = published_note(library, "Elderflower cordial labels", "Elderflower labels.")
    live = library.store.get_case(case_id)
    edit = change(library, REVIEWER, case_id, "Elderflower cordial labels",
                  "Cordial labels, revised.")
    assert edit.pending and library.store.get_case(case_id).revision == live.revision
    library.submit(REVIEWER, case_id, edit.revision)

    strict = Library(replace(library.settings, four_eyes=True))
    try:
        stored = strict.store.get_case(case_id)
        assert not strict.contributions.may_publish(REVIEWER, stored)
        with pytest.raises(Forbidden, match="another reviewer must publish it"):
            strict.publish(REVIEWER, case_id)
        assert strict.store.get_case(case_id).pending_revision == edit.revision + 1
        assert strict.contributions.may_publish(OTHER_REVIEWER, stored)
        strict.publish(OTHER_REVIEWER, case_id)
        assert strict.store.get_case(case_id).note.body.startswith("Cordial labels")
    finally:
        strict.store.close()


def test_with_four_eyes_the_pages_offer_publish_only_to_another_reviewer(library):
    case_id, _ = submitted_change(library, "Lingonberry jam labels", "Jam labels.",
                                  "Jam labels, revised.")
    library.contributions.save_draft(  # rita's own touch to tina's change
        REVIEWER, form_fields("Lingonberry jam labels", visibility="public"),
        story("Jam labels, revised by rita."), case_id=case_id,
        expected_revision=library.store.get_case(case_id).latest_revision)
    app = contribution_app(replace(library.settings, four_eyes=True))
    client = app.test_client()
    try:
        publish = f'action="/review/{case_id}/publish"'
        for path in ("/review", f"/contribute/{case_id}"):
            rita = client.get(path, headers=signed_in("rita", "reviewer")).get_data(as_text=True)
            assert publish not in rita and "another reviewer publishes it" in rita, path
            rosa = client.get(path, headers=signed_in("rosa", "reviewer")).get_data(as_text=True)
            assert publish in rosa, path
    finally:
        app.extensions["kmsearch"].search.indexes.flush()
        app.extensions["kmsearch"].store.close()


def test_four_eyes_also_refuses_the_author_of_a_new_note(library):
    strict = Library(replace(library.settings, four_eyes=True))
    try:
        created = strict.contributions.save_draft(REVIEWER, form_fields("Rhubarb by rail"),
                                                  story())
        strict.submit(REVIEWER, created.case_id)
        with pytest.raises(Forbidden):
            strict.publish(REVIEWER, created.case_id)
        assert strict.publish(ADMIN, created.case_id).state == "published"
    finally:
        strict.store.close()


def test_a_returned_note_cannot_be_resubmitted_unchanged(service, library):
    created = service.save_draft(TRADE, form_fields("Damson drying cooperative"), story())
    library.submit(TRADE, created.case_id)
    library.return_to_author(REVIEWER, created.case_id, "Say who dried the damsons.")
    item = service.work_item(library.store.get_case(created.case_id))
    assert item.status == "returned" and item.returned.comment == "Say who dried the damsons."
    with pytest.raises(ValidationError, match="cannot go back to the reviewers unchanged"):
        library.submit(TRADE, created.case_id)
    fixed = service.save_draft(TRADE, form_fields("Damson drying cooperative"),
                               story("The cooperative's members dried them."),
                               case_id=created.case_id, expected_revision=item.last.number)
    assert service.work_item(library.store.get_case(created.case_id)).returned is not None
    assert library.submit(TRADE, created.case_id, fixed.revision).state == "submitted"


def test_a_returned_change_keeps_the_live_note_and_cannot_come_back_unchanged(service, library):
    case_id, live = submitted_change(library, "Fruit market access", "Medlars reached markets.",
                                     "Medlars reached two markets.")
    library.return_to_author(REVIEWER, case_id, "Which markets?")
    stored = library.store.get_case(case_id)
    assert stored.state == "published" and stored.revision == live
    assert service.work_item(stored).status == "returned"
    assert found_ids(library, "medlars") == {case_id}
    with pytest.raises(ValidationError, match="unchanged"):
        library.submit(TRADE, case_id)


def test_submission_and_publication_need_the_minimum_but_a_draft_saves_without_it(
    service, library
):
    thin = form_fields("Sloe gin exports", summary="", partners=[], start_year="")
    draft = service.save_draft(TRADE, thin, "")  # an empty summary is the body's first lines
    assert draft.saved and draft.state == "draft"
    with pytest.raises(ValidationError) as refused:
        library.submit(TRADE, draft.case_id)
    fields = {problem.field: problem.message for problem in refused.value.problems}
    assert set(fields) == {"summary", "partners", "start_year", "body"}
    assert f"at least {MIN_BODY_CHARACTERS} characters" in fields["body"]
    assert library.store.get_case(draft.case_id).state == "draft"

    imported = library.store.get_case(draft.case_id).note  # submitted by another path
    library.save_case(imported, author="import", state="submitted", origin="import",
                      expected_revision=draft.revision)
    with pytest.raises(ValidationError, match="required to submit"):
        library.publish(REVIEWER, draft.case_id)
    assert library.store.get_case(draft.case_id).state == "submitted"


def test_archive_and_restore_keep_a_pending_change(service, library):
    case_id, _ = submitted_change(library, "Quince paste standards", "Quince paste rules.",
                                  "Quince paste rules, updated.")
    pending = library.store.get_case(case_id).pending_revision

    service.archive(REVIEWER, case_id, "withdrawn for now")
    stored = library.store.get_case(case_id)
    assert stored.state == "archived" and stored.pending_revision == pending
    assert case_id not in [item.id for item in service.review_queue(REVIEWER)]
    with pytest.raises(Conflict, match="restore"):
        library.publish(REVIEWER, case_id)

    restored = service.restore(ADMIN, case_id, "back")
    assert restored.state == "published" and restored.pending_revision == pending
    assert restored.note.body.startswith("Quince paste rules.")
    assert case_id in [item.id for item in service.review_queue(REVIEWER)]
    library.publish(REVIEWER, case_id)
    assert library.store.get_case(case_id).note.body.startswith("Quince paste rules, updated.")


def test_two_pending_edits_from_the_same_revision_conflict_and_both_are_kept(service, library):
    case_id = published_note(library, "Cloudberry cold chain", "Cloudberries kept cold.")
    opened = library.store.get_case(case_id).revision
    fields = form_fields("Cloudberry cold chain", visibility="public")
    first = service.save_draft(TRADE, fields, story("Tina's change."), case_id=case_id,
                               expected_revision=opened)
    with pytest.raises(EditConflict) as raised:
        service.save_draft(TRADE_TOO, fields, story("Theo's change."), case_id=case_id,
                           expected_revision=opened)
    message = str(raised.value)
    assert "changed by tina at " in message and f"(revision {first.revision})" in message
    assert "T" not in message.split(" at ")[1].split(" UTC")[0]  # a readable time, not ISO
    copy = service.draft(TRADE_TOO, raised.value.draft.id)
    assert copy.kind == "conflict" and copy.body.startswith("Theo's change.")
    stored = library.store.get_case(case_id)
    assert stored.revision == opened and stored.pending_revision == first.revision
    assert service.work_item(stored).note.body.startswith("Tina's change.")
    assert library.get_case(case_id, ANONYMOUS).note.body.startswith("Cloudberries kept cold.")
