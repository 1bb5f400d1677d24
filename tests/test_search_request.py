"""One search request in every mode: typed filters as URL filters, queries that cannot be
searched, long texts, lessons grouped under their case, disjunctive facets, plain snippets."""

import re

import pytest
from test_search import REVIEWER, STAFF, build, find

from kmsearch.errors import ValidationError
from kmsearch.filters import Filters
from kmsearch.index.snippets import plain_text
from kmsearch.search.request import MODES, Limits, SearchRequest, parse_search_request

pytestmark = pytest.mark.model  # builds indexes of the corpus with the embedding model
WORDS = "partnership data"
# a filter typed in the query, the URL filter it stands for, and what every hit must satisfy
TYPED = [
    ("division:transport", Filters(division=("transport",)), lambda d: d.division == "transport"),
    ("nexus:smart-cities", Filters(nexus=("smart-cities",)),
     lambda d: "smart-cities" in d.nexus_areas),
    ("sdg:5", Filters(sdg=(5,)), lambda d: 5 in d.sdgs),
    ("year:2019", Filters(year_from=2019, year_to=2019), lambda d: 2019 in d.years),
    ("year:[2015 TO 2018]", Filters(year_from=2015, year_to=2018),
     lambda d: any(2015 <= y <= 2018 for y in d.years)),
    ("status:discontinued", Filters(status=("discontinued",)),
     lambda d: d.status == "discontinued"),
    ("type:data-sharing", Filters(partnership_type=("data-sharing",)),
     lambda d: "data-sharing" in d.partnership_types),
    ("partnertype:academia", Filters(partner_type=("academia",)),
     lambda d: "academia" in d.partner_types),
    ("kind:pitfall", Filters(kind=("pitfall",)), lambda d: d.kind == "pitfall"),
    ("type:lesson", Filters(type=("lesson",)), lambda d: d.type == "lesson"),
    ("(division:transport OR division:trade)", Filters(division=("transport", "trade")),
     lambda d: d.division in {"transport", "trade"}),
]


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return build(tmp_path_factory.mktemp("request"))


def keys(results) -> list[str]:
    return [hit.key for hit in results.hits]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("typed, filters, check", TYPED, ids=[t for t, _, _ in TYPED])
def test_a_filter_typed_in_the_query_gives_the_url_filters_results_in_every_mode(
    library, mode, typed, filters, check
):
    as_typed = find(library, f"{WORDS} {typed}", REVIEWER, mode=mode, per_page=100, group=False)
    as_url = find(library, WORDS, REVIEWER, mode=mode, filters=filters, per_page=100,
                  group=False)
    assert as_typed.hits and all(check(hit.doc) for hit in as_typed.hits)
    assert set(keys(as_typed)) == set(keys(as_url))
    assert as_typed.total == as_url.total


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("typed, check", [
    ("partner:kestrel", lambda d: "kestrel" in d.partners.lower()),
    ("title:safety", lambda d: "safety" in d.title.lower()),
    ("NOT status:completed", lambda d: d.status != "completed"),
])
def test_text_filters_and_negations_hold_in_every_mode(library, mode, typed, check):
    results = find(library, f"{WORDS} {typed}", REVIEWER, mode=mode, per_page=100, group=False)
    keyword = find(library, f"{WORDS} {typed}", REVIEWER, mode="keyword", per_page=100,
                   group=False)
    assert results.hits and all(check(hit.doc) for hit in results.hits)
    if mode != "semantic":  # the semantic arm ranks every allowed note, keyword only matches
        assert set(keys(keyword)) <= set(keys(results))


def test_a_typed_filter_alone_lists_its_notes_newest_first(library):
    for mode in MODES:
        results = find(library, "division:transport", STAFF, mode=mode, per_page=100)
        assert results.total and all(h.doc.division == "transport" for h in results.hits)
        assert results.sort == "date"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("text", ["the and of", "' OR 1=1 --", "of the"])
def test_stop_words_only_find_nothing_and_say_why(library, mode, text):
    results = find(library, text, STAFF, mode=mode)
    assert results.total == 0 and not results.hits
    assert any("no searchable words" in note for note in results.notes)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("text, reason", [
    ("a*", "at least 3 letters"), ("*tion", "cannot start a word"), ("st?", "at least 3"),
])
def test_unsearchable_wildcards_say_why_they_found_nothing(library, mode, text, reason):
    results = find(library, text, STAFF, mode=mode)
    assert results.total == 0
    assert any(reason in note for note in results.notes)


def test_a_searchable_wildcard_still_finds_notes(library):
    results = find(library, "statist*", STAFF, mode="keyword")
    assert results.total and not results.notes


def test_semantic_search_returns_as_many_hits_as_asked_even_for_nonsense(library):
    results = find(library, "zebracorn quokkalith", STAFF, mode="semantic", per_page=30,
                   group=False)
    assert len(results.hits) == 30
    scores = [hit.score for hit in results.hits]
    assert scores == sorted(scores, reverse=True) and min(scores) < 0.25


PARAGRAPH = (
    "We are preparing a partnership with an association of vehicle manufacturers. They would "
    "share anonymised event data recorder records from crashes so that national statistics "
    "offices and road safety researchers can see what happens in the seconds before a crash. "
    "The data would be pooled, anonymised and published as aggregated statistics under an "
    "agreement that protects personal data and sets out who may use the data and for what. "
    "We need to know what agreement to sign, how other divisions handled the data protection "
    "questions, and what went wrong when manufacturers worried about liability. ") * 4


@pytest.mark.parametrize("mode", MODES)
def test_a_pasted_paragraph_is_searched_as_more_like_this_with_a_note(library, mode):
    results = find(library, PARAGRAPH, STAFF, mode=mode)
    assert results.shortened and results.notes
    assert results.hits[0].doc.case_id == "vehicle-event-data-road-safety"
    if mode != "semantic":
        assert any("most distinctive" in note for note in results.notes)
    if mode != "keyword":
        assert any("first" in note and "window" in note for note in results.notes)


def test_like_ignores_the_syntax_of_the_text(library):
    text = "division:trade crash data: who (may) use \"event data\" AND NOT liability"
    results = find(library, text, STAFF, like=True, group=False)
    assert any(hit.doc.division == "transport" for hit in results.hits)


def test_lessons_are_grouped_under_their_case_once(library):
    flat = find(library, "hydrogen", STAFF, mode="keyword", group=False, per_page=20)
    grouped = find(library, "hydrogen", STAFF, mode="keyword", per_page=20)
    case_ids = [hit.doc.case_id for hit in grouped.hits]
    assert len(case_ids) == len(set(case_ids))
    assert grouped.total == len({hit.doc.case_id for hit in flat.hits}) < flat.total
    top = grouped.hits[0]
    assert top.doc.type == "case" and top.lessons
    assert all(lesson.doc.case_id == top.doc.case_id for lesson in top.lessons)
    assert top.lesson_count == sum(1 for h in flat.hits
                                   if h.doc.case_id == top.doc.case_id and h.type == "lesson")


def test_expand_lists_every_matching_lesson_of_one_case(library):
    grouped = find(library, "partners data", STAFF, mode="keyword", per_page=50)
    crowded = next(hit for hit in grouped.hits if hit.lesson_count > len(hit.lessons))
    expanded = find(library, "partners data", STAFF, mode="keyword", per_page=50,
                    expand=crowded.doc.case_id)
    again = next(hit for hit in expanded.hits if hit.doc.case_id == crowded.doc.case_id)
    assert len(again.lessons) == crowded.lesson_count
    assert len({lesson.key for lesson in again.lessons}) == crowded.lesson_count


@pytest.mark.parametrize("mode", MODES)
def test_a_chosen_division_still_offers_the_others_with_their_counts(library, mode):
    everything = find(library, WORDS, REVIEWER, mode=mode, group=False)
    chosen = find(library, WORDS, REVIEWER, mode=mode, group=False,
                  filters=Filters(division=("transport",)))
    before = {v.value: v.count for v in everything.facets["division"]}
    after = {v.value: v.count for v in chosen.facets["division"]}
    assert after == before and len(after) > 2
    assert [v.value for v in chosen.facets["division"] if v.selected] == ["transport"]
    statuses = {v.value: v.count for v in chosen.facets["status"]}
    assert sum(statuses.values()) == chosen.total  # other facets count the filtered results


def test_two_values_of_one_facet_are_alternatives(library):
    one = find(library, "", REVIEWER, group=False, filters=Filters(division=("transport",)))
    other = find(library, "", REVIEWER, group=False, filters=Filters(division=("trade",)))
    both = find(library, "", REVIEWER, group=False,
                filters=Filters(division=("transport", "trade")))
    assert both.total == one.total + other.total


def test_snippets_show_no_markdown_syntax(library):
    for mode in MODES:
        for text in ("lessons learned", "context approach results", "data sharing"):
            for hit in find(library, text, STAFF, mode=mode, per_page=30, group=False).hits:
                plain = re.sub(r"</?mark>", "", hit.snippet)
                assert not re.search(r"(^|\s)(#{1,6}|[-*+]) ", plain), hit.snippet
                assert "**" not in plain and "](" not in plain, hit.snippet


def test_plain_text_strips_markdown_but_keeps_the_words():
    text = plain_text("## Context\n- first item\n* second item.\n1. third\n**bold** and "
                      "_it_ [link](https://x.org) `code` > quote\n---\n| a | b |")
    assert "#" not in text and "**" not in text and "](" not in text and "|" not in text
    assert "first item;" in text and "second item." in text and "third;" in text
    for word in ("Context", "bold", "it", "link", "code"):
        assert word in text


def test_one_set_of_limits_for_every_caller(library):
    limits = library.search.limits
    with pytest.raises(ValidationError) as error:
        parse_search_request({"page": "1001", "per_page": "101", "group": "maybe"},
                             library.taxonomy, limits)
    assert {p.field for p in error.value.problems} == {"page", "per_page", "group"}
    with pytest.raises(ValidationError):
        library.search.search(SearchRequest("data", page=limits.max_page + 1), STAFF)
    assert limits == Limits(max_query_length=20_000, max_page=1000, max_per_page=100)
    request = parse_search_request({"q": "data", "expand": "x", "group": "0"}, library.taxonomy)
    assert request.to_params() == {"q": ["data"], "group": ["0"], "expand": ["x"]}
