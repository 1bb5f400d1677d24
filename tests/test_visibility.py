"""Who sees what, on every surface: for each role, exactly the notes it may see, and never a
word of a restricted note it may not see, in pages, API answers, exports, facets, snippets,
related lists and link suggestions, in every search mode."""

from collections import Counter
from html import escape

import pytest
from web_library import make_app, signed_in

from kmsearch.access import Viewer, can_see
from kmsearch.library import Library
from kmsearch.search.results import MODES

pytestmark = pytest.mark.model  # the web tests' library is indexed with the embedding model

RESTRICTED = "mobile-phone-data-tourism"  # Statistics
ROLES = {
    "anonymous": ({}, Viewer()),
    "viewer": (signed_in("sam", "viewer"), Viewer("sam", frozenset({"viewer"}))),
    "other contributor": (
        signed_in("tom", "contributor", "trade"),
        Viewer("tom", frozenset({"contributor"}), frozenset({"trade"})),
    ),
    "division contributor": (
        signed_in("cora", "contributor", "statistics"),
        Viewer("cora", frozenset({"contributor"}), frozenset({"statistics"})),
    ),
    "reviewer": (signed_in("rita", "reviewer"), Viewer("rita", frozenset({"reviewer"}))),
    "admin": (signed_in("ada", "admin"), Viewer("ada", frozenset({"admin"}))),
}


@pytest.fixture(scope="module")
def settings(web_settings):
    return web_settings


@pytest.fixture(scope="module")
def client(settings):
    return make_app(settings).test_client()


@pytest.fixture(scope="module")
def notes(settings):
    return {s.note.id: s.note for s in Library(settings).store.iter_cases()}


def expected_ids(notes, viewer) -> set[str]:
    return {i for i, n in notes.items() if can_see(viewer, n.visibility, n.division)}


def secret_phrases(notes) -> dict[str, list[str]]:
    """Words that only a restricted note contains: its title and each lesson's text."""
    return {
        i: [n.title] + [lesson.text for lesson in n.lessons]
        for i, n in notes.items() if n.visibility == "restricted"
    }


def leaks(text: str, notes, viewer) -> list[str]:
    return [
        phrase
        for note_id, phrases in secret_phrases(notes).items()
        if not can_see(viewer, "restricted", notes[note_id].division)
        for phrase in phrases
        if phrase in text
    ]


def without(text: str, query: str) -> str:
    """The answer less the echo of the asker's own words (in the search box, the heading)."""
    return text.replace(escape(query), "").replace(escape(query, quote=False), "").replace(
        query, "")


@pytest.mark.parametrize("role", ROLES)
def test_exports_and_case_lists_hold_exactly_the_notes_the_role_may_see(client, notes, role):
    headers, viewer = ROLES[role]
    expected = expected_ids(notes, viewer)
    exported = client.get("/api/v1/export?format=json", headers=headers).get_json()
    assert {note["id"] for note in exported} == expected
    listed = client.get("/api/v1/cases?per_page=100", headers=headers).get_json()
    assert {case["id"] for case in listed["cases"]} == expected
    csv = client.get("/api/v1/export?format=csv", headers=headers).get_data(as_text=True)
    assert not leaks(csv, notes, viewer)
    assert (RESTRICTED in csv) == (RESTRICTED in expected)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("role", ROLES)
def test_search_hits_facets_and_snippets_reveal_only_what_the_role_may_see(
    client, notes, role, mode
):
    headers, viewer = ROLES[role]
    expected = expected_ids(notes, viewer)
    restricted = notes[RESTRICTED]
    for query in (restricted.title, restricted.lessons[0].text, "mobile phone data tourism"):
        answer = client.get("/api/v1/search", query_string={"q": query, "mode": mode,
                                                            "per_page": 100}, headers=headers)
        data = answer.get_json()
        assert {hit["case_id"] for hit in data["hits"]} <= expected
        assert not leaks(without(answer.get_data(as_text=True), query), notes, viewer)
        page = client.get("/search", query_string={"q": query, "mode": mode}, headers=headers)
        assert page.status_code == 200
        assert not leaks(without(page.get_data(as_text=True), query), notes, viewer)
    browse = client.get("/api/v1/search", query_string={"type": "case", "per_page": 100},
                        headers=headers).get_json()
    divisions = {v["value"]: v["count"] for v in browse["facets"]["division"]}
    assert divisions == dict(Counter(notes[i].division for i in expected))
    assert browse["total"] == len(expected)


@pytest.mark.parametrize("role", ROLES)
def test_case_lesson_and_related_surfaces_hide_what_the_role_may_not_see(client, notes, role):
    headers, viewer = ROLES[role]
    allowed = RESTRICTED in expected_ids(notes, viewer)
    for path in (f"/cases/{RESTRICTED}", f"/lessons/{RESTRICTED}--1",
                 f"/api/v1/cases/{RESTRICTED}", f"/api/v1/lessons/{RESTRICTED}--1"):
        answer = client.get(path, headers=headers)
        assert answer.status_code == (200 if allowed else 404), path
        if not allowed:
            assert not leaks(answer.get_data(as_text=True), notes, viewer)
    for note_id in sorted(expected_ids(notes, viewer))[:12]:
        page = client.get(f"/cases/{note_id}", headers=headers)
        assert not leaks(page.get_data(as_text=True), notes, viewer), note_id


@pytest.mark.parametrize("role", ROLES)
def test_link_suggestions_list_only_cases_the_role_may_see(client, notes, role):
    headers, viewer = ROLES[role]
    restricted = notes[RESTRICTED]
    answer = client.post("/api/v1/suggest-links", json={"text": restricted.summary},
                         headers=headers)
    assert answer.status_code == 200
    cases = {case["case_id"] for case in answer.get_json()["cases"]}
    assert cases <= expected_ids(notes, viewer)
    assert not leaks(answer.get_data(as_text=True), notes, viewer)


def test_home_and_browse_pages_count_only_visible_notes(client, notes):
    headers, viewer = ROLES["anonymous"]
    for path in ("/", "/good-practices", "/nexus/measuring-sdgs", "/divisions/statistics",
                 "/recommendations", "/sdgs/17"):
        page = client.get(path, headers=headers)
        assert page.status_code == 200
        assert not leaks(page.get_data(as_text=True), notes, viewer), path
