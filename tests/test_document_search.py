"""Attached documents searched to the page in both arms, one result per note, the document
facet, and the files kept from anyone who may not see their note."""

import pytest
from contribution_library import (
    READER,
    REVIEWER,
    TRADE,
    TRADE_RESTRICTED,
    TRANSPORT,
    TRANSPORT_PUBLIC,
    form_fields,
)
from documents import docx_with_pages, pdf_with_pages

from kmsearch.access import ANONYMOUS
from kmsearch.errors import NotFound
from kmsearch.filters import Filters
from kmsearch.library import Library
from kmsearch.search.request import SearchRequest

PAGE_THREE = "The tidal turbine warranty covers blade erosion for twelve winters."
PDF_PAGES = [
    "Memorandum of understanding between the parties on road safety campaigns.",
    "Annex on the sharing of campaign materials and the schedule of events.",
    PAGE_THREE + " Claims go through the harbour authority.",
]
DOCX_PAGES = ["Minutes of the steering committee.", "The committee approved the hydrofoil "
              "ferry timetable for the autumn season."]
STORY = ("## Context\n\nThe port community wanted one view of crane and truck movements.\n\n"
         "## What was done\n\nA terminal operator shared its gantry telemetry for a year.\n\n"
         "## Results\n\nTruck waiting times fell and the data model was reused.")
SECRET_PAGES = ["Confidential due diligence on the cobalt refinery and its smelting quotas."]


def publish_change(library, case_id: str) -> None:
    """Submit and publish the change waiting beside a published note."""
    library.submit(REVIEWER, case_id)
    library.publish(REVIEWER, case_id)


def find(library, q: str = "", *, viewer=ANONYMOUS, **options):
    """A search as the pages make it: one request, answered for one viewer."""
    return library.search.search(SearchRequest(q, **options), viewer)



pytestmark = pytest.mark.model  # a copy of the web tests' library, indexed with the model


@pytest.fixture(scope="module")
def library(library_copy):
    library = Library(library_copy("document-search"))
    service = library.contributions
    service.attach(REVIEWER, TRANSPORT_PUBLIC, "mou-2019.pdf", pdf_with_pages(PDF_PAGES))
    service.attach(REVIEWER, TRANSPORT_PUBLIC, "minutes.docx", docx_with_pages(DOCX_PAGES))
    service.attach(REVIEWER, TRADE_RESTRICTED, "due-diligence.pdf", pdf_with_pages(SECRET_PAGES))
    for case_id in (TRANSPORT_PUBLIC, TRADE_RESTRICTED):  # files on a live note wait for review
        publish_change(library, case_id)
    yield library
    library.search.indexes.flush()
    library.store.close()


@pytest.mark.parametrize("mode", ["keyword", "hybrid", "semantic"])
def test_a_phrase_on_page_three_finds_the_note_with_the_page_and_snippet(library, mode):
    results = find(library, "tidal turbine warranty", mode=mode, viewer=READER)
    top = results.hits[0]
    assert top.doc.id == TRANSPORT_PUBLIC and top.doc.type == "case"
    assert (top.page.name, top.page.page) == ("mou-2019.pdf", 3)
    assert "warranty" in top.snippet and "blade erosion" in top.snippet
    if mode != "semantic":
        assert "<mark>turbine</mark>" in top.snippet
    assert [hit.doc.id for hit in results.hits].count(TRANSPORT_PUBLIC) == 1


def test_a_hit_in_the_note_itself_names_no_page(library):
    stored = library.store.get_case(TRANSPORT_PUBLIC)
    results = find(library, f'"{stored.note.title}"', mode="keyword", viewer=READER)
    assert results.hits[0].doc.id == TRANSPORT_PUBLIC
    assert results.hits[0].page is None


def test_word_pages_are_searched_too(library):
    results = find(library, '"hydrofoil ferry timetable"', mode="keyword",
                                    viewer=READER)
    assert results.hits[0].doc.id == TRANSPORT_PUBLIC
    assert (results.hits[0].page.name, results.hits[0].page.page) == ("minutes.docx", 2)


def test_the_document_facet_counts_and_filters_notes_with_files(library):
    everything = find(library, "", viewer=REVIEWER, per_page=100)
    counts = {v.value: v.count for v in everything.facets["document"]}
    assert counts == {"has-documents": 2, "pdf": 2, "docx": 1}
    labels = {v.value: v.label for v in everything.facets["document"]}
    assert labels["has-documents"] == "Has documents" and labels["docx"] == "Word"
    words = find(library, "", viewer=REVIEWER, filters=Filters(document=("docx",)))
    assert [hit.doc.id for hit in words.hits] == [TRANSPORT_PUBLIC]
    with_files = find(library, "", viewer=REVIEWER,
                                       filters=Filters(document=("has-documents",)))
    assert {hit.doc.id for hit in with_files.hits} == {TRANSPORT_PUBLIC, TRADE_RESTRICTED}


def test_a_restricted_notes_document_is_found_only_by_those_who_may_see_the_note(library):
    for viewer in (ANONYMOUS, READER, TRANSPORT):
        for mode in ("keyword", "hybrid", "semantic"):
            results = find(library, "cobalt refinery smelting quotas", mode=mode,
                                            viewer=viewer)
            assert TRADE_RESTRICTED not in {hit.doc.case_id for hit in results.hits}
    for viewer in (TRADE, REVIEWER):
        results = find(library, "cobalt refinery smelting quotas", mode="keyword",
                                        viewer=viewer)
        assert results.hits[0].doc.id == TRADE_RESTRICTED
        assert results.hits[0].page.name == "due-diligence.pdf"


def test_the_file_is_given_only_to_those_who_may_see_the_note(library):
    note = library.store.get_case(TRADE_RESTRICTED).note
    [secret] = note.attachments
    for viewer in (ANONYMOUS, READER, TRANSPORT):
        with pytest.raises(NotFound):
            library.attached_file(TRADE_RESTRICTED, secret.sha256, viewer)
    found, path = library.attached_file(TRADE_RESTRICTED, secret.sha256, TRADE)
    assert found.name == "due-diligence.pdf" and path.is_file()
    public = library.store.get_case(TRANSPORT_PUBLIC).note.attachments[0]
    with pytest.raises(NotFound):  # a file of another note is not found through this one
        library.attached_file(TRADE_RESTRICTED, public.sha256, REVIEWER)


def test_a_contributors_attachment_goes_through_review_with_the_note(library):
    service = library.contributions
    created = service.save_draft(TRADE, form_fields("Port community data pilot"), STORY)
    case_id = created.case_id
    outcome = service.attach(TRADE, case_id, "pilot.pdf",
                             pdf_with_pages(["The quayside gantry telemetry protocol."]))
    assert outcome.saved.state == "draft" and outcome.added.file.pages == 1
    assert not find(library, "quayside gantry telemetry", mode="keyword",
                                     viewer=REVIEWER).hits
    service.submit(TRADE, case_id)
    service.publish(REVIEWER, case_id)
    results = find(library, "quayside gantry telemetry", mode="keyword", viewer=REVIEWER)
    assert results.hits[0].doc.id == case_id and results.hits[0].page.name == "pilot.pdf"
    revisions = library.store.revisions(case_id)
    assert [a.name for a in revisions[-1].note.attachments] == ["pilot.pdf"]
    assert revisions[0].note.attachments == []


def test_editing_the_form_keeps_the_files_and_removing_one_keeps_its_bytes(library):
    service = library.contributions
    stored = library.store.get_case(TRANSPORT_PUBLIC)
    fields = form_fields("Road safety campaign sponsorship, revised", division="transport")
    service.save_draft(REVIEWER, fields, stored.note.body, case_id=TRANSPORT_PUBLIC,
                       expected_revision=stored.latest_revision)
    publish_change(library, TRANSPORT_PUBLIC)
    edited = library.store.get_case(TRANSPORT_PUBLIC)
    assert [a.name for a in edited.note.attachments] == ["mou-2019.pdf", "minutes.docx"]
    minutes = edited.note.attachments[1]
    service.detach(REVIEWER, TRANSPORT_PUBLIC, minutes.sha256)
    publish_change(library, TRANSPORT_PUBLIC)
    after = library.store.get_case(TRANSPORT_PUBLIC)
    assert [a.name for a in after.note.attachments] == ["mou-2019.pdf"]
    assert library.attachments.path(minutes).is_file()  # older revisions still show it
    assert any(a.name == "minutes.docx"
               for a in library.store.revision(TRANSPORT_PUBLIC, edited.revision).note.attachments)
    assert not find(library, '"hydrofoil ferry timetable"', mode="keyword",
                                     viewer=READER).hits
