"""The contribution and review service: who may do what, the workflow from draft to published
and archived, optimistic locking, history and diffs, and uploads."""


import pytest
from contribution_library import (
    ADMIN,
    READER,
    REVIEWER,
    STATISTICS_RESTRICTED,
    TRADE,
    TRADE_RESTRICTED,
    TRANSPORT,
    TRANSPORT_PUBLIC,
    form_fields,
    story,
    xlsx_bytes,
)

from kmsearch.access import ANONYMOUS
from kmsearch.errors import Conflict, Forbidden, NotFound, ValidationError
from kmsearch.library import Library
from kmsearch.search.request import SearchRequest
from kmsearch.workflow.contributions import EditConflict, note_fields
from kmsearch.workflow.uploads import MAX_UPLOAD_BYTES

pytestmark = pytest.mark.model  # a copy of the web tests' library, indexed with the model


@pytest.fixture(scope="module")
def library(library_copy):
    library = Library(library_copy("contributions"))
    yield library
    library.store.close()


@pytest.fixture(scope="module")
def service(library):
    return library.contributions


def found_ids(library, query, viewer=REVIEWER):
    request = SearchRequest(query, mode="keyword", per_page=50, group=False)
    return {hit.doc.case_id for hit in library.search.search(request, viewer).hits}


def test_a_contributor_saves_a_draft_of_their_division_that_search_does_not_find(
    service, library
):
    outcome = service.save_draft(TRADE, form_fields("Quillwort customs pilot"), "## Context\n\nA")
    assert outcome.saved and outcome.action == "created" and outcome.state == "draft"
    assert outcome.case_id == "quillwort-customs-pilot"
    stored = library.store.get_case(outcome.case_id)
    assert stored.author == "tina" and stored.state == "draft" and stored.note.division == "trade"
    assert found_ids(library, "quillwort") == set()
    with pytest.raises(NotFound):
        library.get_case(outcome.case_id, REVIEWER)  # the public library shows published only
    assert service.view(TRADE, outcome.case_id).id == outcome.case_id
    with pytest.raises(NotFound):
        service.view(TRANSPORT, outcome.case_id)
    with pytest.raises(NotFound):
        service.view(READER, outcome.case_id)


def test_a_form_with_problems_is_kept_whole_as_a_draft_and_says_what_to_fix(service, library):
    fields = form_fields("Half-finished note", sdgs=["18"], partners=[{"name": "X", "type": ""}])
    outcome = service.save_draft(TRADE, fields, "Body kept <b>as typed</b>")
    assert not outcome.saved and outcome.action == "kept" and outcome.case_id is None
    problems = {p.field: p.message for p in outcome.problems}
    assert problems["sdgs"] == "expected SDG numbers 1-17, found 18"
    assert "partners[1].type" in problems
    draft = service.draft(TRADE, outcome.draft_id)
    assert draft.fields == fields and draft.body == "Body kept <b>as typed</b>"
    assert library.store.get_case("half-finished-note") is None

    again = service.save_draft(TRADE, form_fields("Half-finished note"), "Fixed",
                               draft_id=outcome.draft_id)
    assert again.saved and again.case_id == "half-finished-note"
    with pytest.raises(NotFound):
        service.draft(TRADE, outcome.draft_id)  # the draft became the note


def test_drafts_belong_to_their_author_alone(service):
    outcome = service.save_draft(TRADE, {"title": "Mine"}, "")
    with pytest.raises(NotFound):
        service.draft(TRANSPORT, outcome.draft_id)
    with pytest.raises(NotFound):
        service.save_draft(TRANSPORT, {"title": "Theirs"}, "", draft_id=outcome.draft_id)
    with pytest.raises(NotFound):
        service.discard_draft(REVIEWER, outcome.draft_id)
    service.discard_draft(TRADE, outcome.draft_id)
    with pytest.raises(NotFound):
        service.draft(TRADE, outcome.draft_id)


def test_readers_and_anonymous_visitors_cannot_contribute(service):
    for viewer in (READER, ANONYMOUS):
        with pytest.raises(Forbidden):
            service.save_draft(viewer, form_fields("Not allowed"), "")
        with pytest.raises(Forbidden):
            service.autosave(viewer, form_fields("Not allowed"), "")


def test_a_trade_contributor_cannot_edit_a_transport_note_create_one_or_publish(service, library):
    before = library.store.get_case(TRANSPORT_PUBLIC).revision
    with pytest.raises(Forbidden):
        service.save_draft(TRADE, form_fields("Hijack", division="transport"), "",
                           case_id=TRANSPORT_PUBLIC, expected_revision=before)
    with pytest.raises(Forbidden):
        service.save_draft(TRADE, form_fields("Transport note", division="Transport"), "")
    with pytest.raises(Forbidden):
        service.archive(TRADE, TRANSPORT_PUBLIC)
    with pytest.raises(Forbidden):
        service.autosave(TRADE, form_fields(), "", case_id=TRANSPORT_PUBLIC)
    own = service.save_draft(TRADE, form_fields("Trade note to move"), story())
    with pytest.raises(Forbidden):
        service.save_draft(TRADE, form_fields(division="transport"), "", case_id=own.case_id,
                           expected_revision=own.revision)
    service.submit(TRADE, own.case_id, own.revision)
    with pytest.raises(Forbidden):
        service.publish(TRADE, own.case_id)
    with pytest.raises(Forbidden):
        service.publish(TRANSPORT, own.case_id)
    assert library.store.get_case(TRANSPORT_PUBLIC).revision == before


def test_nobody_reaches_another_divisions_restricted_note(service):
    for action in (
        lambda: service.view(TRADE, STATISTICS_RESTRICTED),
        lambda: service.editable(TRADE, STATISTICS_RESTRICTED),
        lambda: service.save_draft(TRADE, form_fields(), "", case_id=STATISTICS_RESTRICTED),
        lambda: service.submit(TRADE, STATISTICS_RESTRICTED),
        lambda: service.archive(TRADE, STATISTICS_RESTRICTED),
        lambda: service.history(TRADE, STATISTICS_RESTRICTED),
        lambda: service.diff(TRADE, STATISTICS_RESTRICTED, 1, 1),
        lambda: service.history(READER, TRADE_RESTRICTED),
    ):
        with pytest.raises(NotFound):
            action()
    assert service.view(TRADE, TRADE_RESTRICTED).id == TRADE_RESTRICTED
    assert service.view(REVIEWER, STATISTICS_RESTRICTED).id == STATISTICS_RESTRICTED


def test_history_is_for_authors_division_contributors_and_reviewers(service):
    with pytest.raises(Forbidden):
        service.history(READER, TRANSPORT_PUBLIC)  # sees the note, not who changed it
    with pytest.raises(Forbidden):
        service.history(TRADE, TRANSPORT_PUBLIC)
    stored, revisions = service.history(TRANSPORT, TRANSPORT_PUBLIC)
    assert revisions[0].number == 1 and stored.id == TRANSPORT_PUBLIC


def test_a_note_goes_from_draft_to_published_and_archived_and_back(service, library):
    created = service.save_draft(TRADE, form_fields("Xylophagous timber tracing"),
                                 story("Body one."))
    case_id = created.case_id
    submitted = service.submit(TRADE, case_id, created.revision, "ready")
    assert submitted.state == "submitted"
    assert [item.id for item in service.review_queue(REVIEWER)].count(case_id) == 1
    with pytest.raises(ValidationError, match="comment"):
        service.return_to_author(REVIEWER, case_id, "  ")
    returned = service.return_to_author(REVIEWER, case_id, "Name the partners' roles.")
    assert returned.state == "draft"
    mine = service.my_notes(TRADE)
    assert case_id in [item.id for item in mine.notes["returned"]]
    assert mine.notes["returned"][0].last.comment == "Name the partners' roles."
    with pytest.raises(Conflict):
        service.publish(REVIEWER, case_id)  # a draft is not in the queue

    edited = service.save_draft(TRADE, form_fields("Xylophagous timber tracing"),
                                story("Body two."),
                                case_id=case_id, expected_revision=returned.revision)
    service.submit(TRADE, case_id, edited.revision, "roles named")
    assert found_ids(library, "xylophagous") == set()
    published = service.publish(REVIEWER, case_id, "thanks")
    assert published.state == "published"
    assert found_ids(library, "xylophagous") == {case_id}
    assert library.get_case(case_id, TRADE).revision == published.revision

    with pytest.raises(Forbidden):
        service.archive(TRADE, case_id)  # a published note is the reviewers' to withdraw
    service.archive(REVIEWER, case_id, "duplicate of another note")
    assert library.store.get_case(case_id).state == "archived"
    assert found_ids(library, "xylophagous") == set()
    for viewer in (TRADE, REVIEWER):
        with pytest.raises(Forbidden):
            service.restore(viewer, case_id)
    with pytest.raises(Conflict):
        service.save_draft(TRADE, form_fields("Xylophagous timber tracing"), "",
                           case_id=case_id)
    restored = service.restore(ADMIN, case_id, "not a duplicate after all")
    assert restored.state == "published"
    assert found_ids(library, "xylophagous") == {case_id}

    actions = [(r.action, r.state, r.author) for r in library.store.revisions(case_id)]
    assert actions == [
        ("created", "draft", "tina"), ("state", "submitted", "tina"),
        ("state", "draft", "rita"), ("updated", "draft", "tina"),
        ("state", "submitted", "tina"), ("state", "published", "rita"),
        ("archived", "archived", "rita"), ("restored", "published", "ada"),
    ]


def test_an_edit_of_a_published_note_by_anyone_waits_beside_the_live_one(service, library):
    created = service.save_draft(TRADE, form_fields("Marzipan export standards"), story("One."))
    service.submit(TRADE, created.case_id)
    service.publish(REVIEWER, created.case_id)
    stored = library.store.get_case(created.case_id)
    by_reviewer = service.save_draft(REVIEWER, form_fields("Marzipan export standards"),
                                     story("Two."), case_id=created.case_id,
                                     expected_revision=stored.revision)
    assert by_reviewer.pending and by_reviewer.state == "draft"
    by_author = service.save_draft(TRADE, form_fields("Marzipan export standards"),
                                   story("Three."), case_id=created.case_id,
                                   expected_revision=by_reviewer.revision)
    assert by_author.pending and by_author.state == "draft"
    live = library.store.get_case(created.case_id)
    assert live.state == "published" and live.revision == stored.revision
    assert live.note.body.startswith("One.") and found_ids(library, "marzipan")
    assert service.work_item(live).note.body.startswith("Three.")


def test_a_save_from_a_stale_revision_is_refused_and_both_versions_are_kept(service, library):
    created = service.save_draft(TRADE, form_fields("Pumpernickel supply chains"), "Original.")
    case_id, opened = created.case_id, created.revision
    theirs = service.save_draft(REVIEWER, form_fields("Pumpernickel supply chains"),
                                "Reviewer's version.", case_id=case_id, expected_revision=opened)
    with pytest.raises(EditConflict) as raised:
        service.save_draft(TRADE, form_fields("Pumpernickel supply chains"), "Tina's version.",
                           case_id=case_id, expected_revision=opened, comment="my edit")
    conflict = raised.value
    when = conflict.current.updated_at.replace("T", " ").replace("+00:00", "")
    assert f"changed by rita at {when} UTC (revision {theirs.revision})" in str(conflict)
    assert "kept as a draft copy" in str(conflict)
    assert library.store.get_case(case_id).note.body == "Reviewer's version."
    copy = service.draft(TRADE, conflict.draft.id)
    assert copy.kind == "conflict" and copy.case_id == case_id and copy.base_revision == opened
    assert copy.body == "Tina's version."
    assert [d.id for d in service.my_notes(TRADE).drafts].count(copy.id) == 1
    merged = service.save_draft(TRADE, copy.fields, "Merged version.", case_id=case_id,
                                expected_revision=theirs.revision, draft_id=copy.id)
    assert merged.saved and library.store.get_case(case_id).note.body == "Merged version."
    with pytest.raises(Conflict):
        service.submit(TRADE, case_id, opened)


def test_autosave_keeps_the_form_without_a_revision(service, library):
    created = service.save_draft(TRADE, form_fields("Autosaved note"), "Saved body.")
    draft = service.autosave(TRADE, form_fields("Autosaved note", sdgs=["99"]), "Typing...",
                             case_id=created.case_id, expected_revision=created.revision)
    again = service.autosave(TRADE, form_fields("Autosaved note"), "Typing more",
                             case_id=created.case_id, draft_id=draft.id)
    assert again.id == draft.id and again.body == "Typing more"
    assert library.store.get_case(created.case_id).revision == created.revision


def test_extra_fields_survive_an_edit_from_the_form(service, library):
    stored = library.store.get_case(TRANSPORT_PUBLIC)
    fields = note_fields(stored.note)
    assert note_fields(service._validate(fields, stored.note.body, "test")) == fields
    library.save_case(
        stored.note.__class__.from_dict(stored.note.to_dict() | {"extra": {"budget": 5}}),
        author="corpus", expected_revision=stored.revision)
    stored = library.store.get_case(TRANSPORT_PUBLIC)
    form = {k: v for k, v in note_fields(stored.note).items() if k != "budget"}
    service.save_draft(REVIEWER, form | {"summary": "Edited."}, stored.note.body,
                       case_id=TRANSPORT_PUBLIC, expected_revision=stored.revision)
    item = service.work_item(library.store.get_case(TRANSPORT_PUBLIC))
    assert item.pending and item.note.extra == {"budget": 5}


def test_saving_a_note_unchanged_from_the_form_makes_no_revision(service, library):
    stored = library.store.get_case(TRANSPORT_PUBLIC)
    working = service.work_item(stored).note  # a change may wait beside the live note
    fields = note_fields(working)
    for name in ("partnership_types", "nexus_areas", "sdgs", "recommendations"):
        fields[name] = sorted(fields[name], key=str)  # the form's checkbox order
    outcome = service.save_draft(REVIEWER, fields, working.body, case_id=TRANSPORT_PUBLIC,
                                 expected_revision=stored.latest_revision)
    assert outcome.action == "unchanged" and outcome.revision == stored.latest_revision


def test_new_ids_come_from_titles_and_an_explicit_id_must_be_free(service):
    first = service.save_draft(TRADE, form_fields("Same title, twice!"), "")
    second = service.save_draft(TRADE, form_fields("Same title, twice!"), "")
    assert (first.case_id, second.case_id) == ("same-title-twice", "same-title-twice-2")
    taken = service.save_draft(TRADE, form_fields(id=TRANSPORT_PUBLIC), "")
    assert [p.field for p in taken.problems] == ["id"]


def test_review_queue_is_for_reviewers_oldest_first(service):
    with pytest.raises(Forbidden):
        service.review_queue(TRADE)
    ids = []
    for title in ("Queue first", "Queue second"):
        created = service.save_draft(TRADE, form_fields(title), story())
        service.submit(TRADE, created.case_id)
        ids.append(created.case_id)
    queue = [item.id for item in service.review_queue(ADMIN)]
    assert queue.index(ids[0]) < queue.index(ids[1])


def test_diff_shows_changed_fields_and_body_lines(service):
    created = service.save_draft(TRADE, form_fields("Diffable note"), "Line one\nLine two\n")
    edited = service.save_draft(
        TRADE, form_fields("Diffable note", sdgs=["9"], summary="New summary."),
        "Line one\nLine 2\nLine three", case_id=created.case_id,
        expected_revision=created.revision)
    diff = service.diff(TRADE, created.case_id, created.revision, edited.revision)
    changed = {change.name: (change.old, change.new) for change in diff.changed_fields}
    assert set(changed) == {"summary", "sdgs"}
    assert changed["sdgs"] == ("SDG 9: Industry, innovation and infrastructure\nSDG 17: "
                               "Partnerships for the goals",
                               "SDG 9: Industry, innovation and infrastructure")
    lines = [(line.tag, line.text) for hunk in diff.hunks for line in hunk]
    assert lines == [("equal", "Line one"), ("delete", "Line two"), ("insert", "Line 2"),
                     ("insert", "Line three")]
    with pytest.raises(NotFound):
        service.diff(TRADE, created.case_id, 1, 99)


CSV = """\
title,division,status,partners,sdgs,lessons,nexus_areas,body
Good row from a sheet,Trade,active,Example Ltd (business); Road NGO (ngo),9; 17,"lesson: Start \
small | pitfall: Costs: high",mobility-connectivity,Body of the row
Bad row,Trade,active,Nameless,18,,,
Other division,Transport,active,,,,,
"""

MARKDOWN = """\
---
id: uploaded-markdown-note
title: A note uploaded as Markdown
division: trade
status: active
---
## Context

Uploaded.
"""


def test_uploads_turn_files_and_rows_into_drafts_and_list_each_problem(service, library):
    sheet = xlsx_bytes([["title", "division", "start_year", "status"],
                        ["Row from Excel", "trade", 2021.0, "proposed"],
                        ["Excel row with a bad year", "trade", "twenty", "active"]])
    broken_md = MARKDOWN.replace("uploaded-markdown-note", "broken-md").replace(
        "status: active", "status: sleeping")
    report = service.import_files(TRADE, [
        ("notes.csv", CSV.encode()), ("uploaded-markdown-note.md", MARKDOWN.encode()),
        ("broken.md", broken_md.encode()), ("sheet.xlsx", sheet),
    ])
    saved = {outcome.case_id for outcome in report.saved}
    assert saved == {"good-row-from-a-sheet", "uploaded-markdown-note", "row-from-excel"}
    good = library.store.get_case("good-row-from-a-sheet")
    assert good.state == "draft" and good.author == "tina"
    assert [(p.name, p.type) for p in good.note.partners] == [("Example Ltd", "business"),
                                                             ("Road NGO", "ngo")]
    assert [(x.kind, x.text) for x in good.note.lessons] == [("lesson", "Start small"),
                                                            ("pitfall", "Costs: high")]
    assert library.store.get_case("row-from-excel").note.start_year == 2021
    where = {(p.source, p.field) for p in report.problems}
    assert ("notes.csv row 3", "sdgs") in where
    assert ("notes.csv row 3", "partners[1].type") in where
    assert ("notes.csv row 4", "division") in where  # Transport is not Tina's
    assert ("broken.md", "status") in where
    assert ("sheet.xlsx row 3", "start_year") in where
    assert library.store.get_case("bad-row") is None


def test_uploads_refuse_other_types_too_much_data_and_broken_sheets(service):
    with pytest.raises(ValidationError, match=r"expected a \.md, \.csv or \.xlsx file"):
        service.import_files(TRADE, [("notes.txt", b"hello"), ("ok.md", MARKDOWN.encode())])
    with pytest.raises(ValidationError, match="send at most 1,048,576"):
        service.import_files(TRADE, [("big.csv", b"x" * (MAX_UPLOAD_BYTES + 1))])
    with pytest.raises(ValidationError, match="expected one or more"):
        service.import_files(TRADE, [])
    report = service.import_files(TRADE, [("broken.xlsx", b"not a zip"),
                                          ("latin1.csv", "title\nCaf\xe9".encode("latin-1"))])
    messages = [str(p) for p in report.problems]
    assert "not a readable .xlsx workbook" in messages[0] and "not UTF-8" in messages[1]
    with pytest.raises(Forbidden):
        service.import_files(READER, [("ok.md", MARKDOWN.encode())])
