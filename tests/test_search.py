import shutil
from dataclasses import replace

import pytest

from kmsearch.access import ANONYMOUS, Viewer, staff
from kmsearch.config import PROJECT_ROOT, Settings
from kmsearch.errors import ValidationError
from kmsearch.filters import Filters
from kmsearch.library import Library
from kmsearch.search.request import MODES, SearchRequest

pytestmark = pytest.mark.model  # builds indexes of the corpus with the embedding model

VEHICLE = "vehicle-event-data-road-safety"
STAFF = staff()
REVIEWER = Viewer("rev", frozenset({"reviewer"}))


def build(directory) -> Library:
    settings = Settings.from_env(
        db_path=directory / "kmsearch.db",
        index_dir=directory / "indexes",
        corpus_dir=PROJECT_ROOT / "corpus",
    )
    library = Library(settings)
    report = library.ingest()
    assert report.ok, report.problems
    return library


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Library:
    return build(tmp_path_factory.mktemp("search"))


@pytest.fixture
def own_library(tmp_path) -> Library:
    """A library of its own, for tests that change notes or indexes."""
    return build(tmp_path)


def find(library, q: str = "", viewer=ANONYMOUS, **options):
    """One search through the service, as the web, API and CLI make it."""
    return library.search.search(SearchRequest(q, **options), viewer)


def case_ids(results) -> list[str]:
    return [hit.doc.case_id for hit in results.hits if hit.type == "case"]


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_a_synonym_absent_from_the_text_finds_the_note(library, mode):
    text = (PROJECT_ROOT / "corpus" / "cases" / f"{VEHICLE}.md").read_text().lower()
    assert "carmaker" not in text
    results = find(library, "carmakers sharing crash data", mode=mode, viewer=STAFF)
    assert case_ids(results)[0] == VEHICLE


def test_keyword_search_finds_plain_words_and_highlights_them(library):
    results = find(library, "event data recorder", mode="keyword", viewer=STAFF)
    assert case_ids(results)[0] == VEHICLE
    assert "<mark>" in results.hits[0].snippet


def test_a_misspelt_query_gets_a_suggestion(library):
    results = find(library, "traceabilty", mode="keyword", viewer=STAFF)
    assert results.suggestion == "traceability"
    assert find(library, "traceability", viewer=STAFF).suggestion is None


@pytest.mark.parametrize("filters, check", [
    (Filters(division=("transport",)), lambda d: d.division == "transport"),
    (Filters(nexus=("smart-cities",)), lambda d: "smart-cities" in d.nexus_areas),
    (Filters(sdg=(5,)), lambda d: 5 in d.sdgs),
    (Filters(partnership_type=("data-sharing",)), lambda d: "data-sharing" in d.partnership_types),
    (Filters(partner_type=("academia",)), lambda d: "academia" in d.partner_types),
    (Filters(status=("discontinued",)), lambda d: d.status == "discontinued"),
    (Filters(kind=("pitfall",)), lambda d: d.kind == "pitfall"),
    (Filters(type=("case",)), lambda d: d.type == "case"),
    (Filters(year_from=2023, year_to=2024), lambda d: any(2023 <= y <= 2024 for y in d.years)),
    (Filters(good_practice=True), lambda d: d.good_practice),
])
@pytest.mark.parametrize("mode", MODES)
def test_each_filter_restricts_results_in_every_mode(library, filters, check, mode):
    results = find(library, "partnership data", mode=mode, filters=filters, viewer=REVIEWER,
                   per_page=100, group=False)
    everything = find(library, "partnership data", mode=mode, viewer=REVIEWER, per_page=100,
                      group=False)
    assert results.hits and all(check(hit.doc) for hit in results.hits)
    assert results.total < everything.total


def restricted_notes(library) -> list:
    return [s.note for s in library.store.iter_cases() if s.note.visibility == "restricted"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("viewer", [ANONYMOUS, STAFF], ids=["anonymous", "staff"])
def test_restricted_notes_never_appear_nor_count_for_a_viewer_without_the_role(
    library, mode, viewer
):
    notes = restricted_notes(library)
    assert notes
    for note in notes:
        for query in (note.title, note.summary, note.lessons[0].text):
            results = find(library, query, mode=mode, viewer=viewer, per_page=100)
            assert note.id not in {hit.doc.case_id for hit in results.hits}
            assert all(hit.doc.visibility != "restricted" for hit in results.hits)
            assert note.title not in " ".join(hit.snippet for hit in results.hits)
        division_count = {
            v.value: v.count
            for v in find(library, "", viewer=viewer).facets["division"]
        }
        visible = [
            s for s in library.store.iter_cases()
            if s.note.division == note.division and (
                s.note.visibility == "public" or (viewer.signed_in
                                                  and s.note.visibility == "internal"))
        ]
        lessons = sum(len(s.note.lessons) for s in visible)
        assert division_count.get(note.division, 0) == len(visible) + lessons


def test_the_restricted_notes_division_and_reviewers_see_them(library):
    note = restricted_notes(library)[0]
    contributor = Viewer("c", frozenset({"contributor"}), frozenset({note.division}))
    for viewer in (REVIEWER, contributor):
        results = find(library, note.title, mode="keyword", viewer=viewer)
        assert note.id in case_ids(results)


def test_anonymous_visitors_see_public_notes_only(library):
    results = find(library, "", viewer=ANONYMOUS, per_page=100)
    assert results.total > 0
    assert {hit.doc.visibility for hit in results.hits} == {"public"}


def test_an_empty_query_browses_newest_first(library):
    results = find(library, "", viewer=STAFF, filters=Filters(type=("case",)),
                                    per_page=100)
    years = [hit.doc.start_year or 0 for hit in results.hits]
    assert years == sorted(years, reverse=True)
    assert results.total == sum(1 for s in library.store.iter_cases()
                                if s.note.visibility != "restricted")


def test_sort_by_date_orders_every_match(library):
    results = find(library, "data", sort="date", viewer=STAFF, per_page=50)
    years = [hit.doc.start_year or 0 for hit in results.hits]
    assert years == sorted(years, reverse=True)


def test_paging_walks_through_distinct_hits(library):
    first = find(library, "partnership", viewer=STAFF, per_page=5, page=1)
    second = find(library, "partnership", viewer=STAFF, per_page=5, page=2)
    assert first.total == second.total > 10
    assert not {h.key for h in first.hits} & {h.key for h in second.hits}


@pytest.mark.parametrize("options, field", [
    ({"page": 0}, "page"), ({"per_page": 100000}, "per_page"), ({"mode": "fuzzy"}, "mode"),
    ({"sort": "size"}, "sort"),
])
def test_bad_parameters_raise_a_validation_error_naming_the_field(library, options, field):
    with pytest.raises(ValidationError) as error:
        find(library, "data", **options)
    assert error.value.problems[0].field == field


def test_a_very_long_text_is_searched_in_part_and_says_so(library):
    results = find(library, "word " * 2000 + "traceability " * 20000, viewer=STAFF)
    assert results.shortened
    assert any("was cut to its first 19,9" in note for note in results.notes)


def test_related_cases_exclude_the_note_itself_and_what_the_viewer_cannot_see(library):
    related = library.search.related(VEHICLE, STAFF, k=5)
    assert related and VEHICLE not in {h.doc.case_id for h in related}
    assert all(h.type == "case" and h.doc.visibility != "restricted" for h in related)
    anonymous = library.search.related(VEHICLE, ANONYMOUS, k=5)
    assert all(h.doc.visibility == "public" for h in anonymous)


def test_suggest_links_ranks_the_nexus_area_a_text_is_about(library):
    links = library.search.suggest_links(
        "Share crash data from vehicle manufacturers to improve road safety statistics", STAFF
    )
    assert links.nexus_areas[0].code == "mobility-connectivity"
    assert links.cases[0].doc.case_id == VEHICLE
    assert len(links.recommendations) == 3 and len(links.sdgs) == 3


def test_an_edit_is_searchable_as_soon_as_the_call_returns(own_library):
    stored = own_library.store.get_case(VEHICLE)
    note = replace(stored.note, body=stored.note.body + "\n\nThe zebracorn protocol was agreed.")
    own_library.save_case(note, author="tester", expected_revision=stored.revision)
    for mode in ("keyword", "hybrid"):
        results = find(own_library, "zebracorn", mode=mode, viewer=STAFF)
        assert case_ids(results)[0] == VEHICLE


def test_an_archived_note_leaves_search_at_once(own_library):
    own_library.set_state(VEHICLE, "archived", author="admin")
    for mode in MODES:
        results = find(own_library, "event data recorder", mode=mode, viewer=REVIEWER)
        assert VEHICLE not in {h.doc.case_id for h in results.hits}


@pytest.mark.parametrize("damage", ["delete", "corrupt"])
def test_a_deleted_or_corrupted_index_is_rebuilt_at_start(own_library, damage):
    index_dir = own_library.settings.index_dir
    if damage == "delete":
        shutil.rmtree(index_dir / "keyword")
        shutil.rmtree(index_dir / "vectors")
    else:
        for path in (index_dir / "keyword").iterdir():
            path.write_bytes(b"garbage")
        (index_dir / "vectors" / "vectors.npy").write_bytes(b"garbage")
    fresh = Library(own_library.settings)
    report = fresh.search.open()
    assert {reason.split()[0] for reason in report.rebuilt} == {"keyword", "vectors"}
    results = find(fresh, "event data recorder", viewer=STAFF)
    assert case_ids(results)[0] == VEHICLE


def test_a_stale_index_is_brought_up_to_date_at_start(own_library):
    stored = own_library.store.get_case(VEHICLE)
    note = replace(stored.note, title=stored.note.title + " (quokka edition)")
    own_library.store.save_case(note, author="cli", expected_revision=stored.revision)
    fresh = Library(own_library.settings)
    report = fresh.search.open()
    assert report.updated == [VEHICLE] and not report.rebuilt
    assert case_ids(find(fresh, "quokka", mode="keyword", viewer=STAFF)) == [VEHICLE]


def test_an_empty_library_opens_and_searches(tmp_path):
    settings = Settings.from_env(db_path=tmp_path / "empty.db", index_dir=tmp_path / "indexes")
    library = Library(settings)
    library.search.open()
    assert find(library, "anything").total == 0
    assert Library(settings).search.open().rebuilt == []


def test_a_note_that_is_not_searchable_has_no_related_notes(own_library):
    own_library.set_state(VEHICLE, "draft", author="tester")
    assert own_library.search.related(VEHICLE, REVIEWER) == []


def test_an_edit_reaches_the_vector_index_on_disk_in_the_background(own_library):
    stored = own_library.store.get_case(VEHICLE)
    note = replace(stored.note, summary="A wombat-sized summary change.")
    own_library.save_case(note, author="tester", expected_revision=stored.revision)
    own_library.search.indexes.flush()
    fresh = Library(own_library.settings)
    assert fresh.search.open().updated == []
