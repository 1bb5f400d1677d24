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


# Proposals, screenings and partner pages: a proposal assigned to Statistics and its screening,
# and a screening of the restricted Statistics note, must reach only reviewers, admins and the
# focal points of Statistics, on every page, search, facet, suggestion, export and API answer.

PROPOSAL_SECRETS = ("Zephyrine Quantum Ledger", "ZEPHYR-SECRET-DESCRIPTION",
                    "ZEPHYR-SCREENING-COMMENT", "Zephyrine Holdings", "zephyr@example.org")
CASE_SCREENING_SECRET = "ALPINA-SCREENING-COMMENT"
RESTRICTED_PARTNER = ("Alpina Telecom", "alpina-telecom")  # only in the restricted note
MAY_SEE_PROPOSAL = {"division contributor", "reviewer", "admin"}


@pytest.fixture(scope="module")
def proposal_world(library_copy):
    """A private copy of the library with one screened proposal assigned to Statistics and one
    screening of the restricted Statistics note; yields (client, proposal reference)."""
    settings = library_copy("visibility-proposals")
    app = make_app(settings, SECRET_KEY="visibility-proposal-secret", TESTING=True)
    library = app.extensions["kmsearch"]
    reviewer = ROLES["reviewer"][1]
    proposal, _ = library.proposals.submit(ROLES["anonymous"][1], {
        "organisation": "Zephyrine Holdings", "partner_type": "business", "country": "Malta",
        "contact_name": "Zed", "contact_email": "zephyr@example.org",
        "title": "Zephyrine Quantum Ledger for mobile phone data tourism statistics",
        "description": "ZEPHYR-SECRET-DESCRIPTION: mobile phone data for tourism statistics.",
        "contribution_kind": "none", "currency": "USD"})
    short = {"sector-confirmed": "yes", "controversies": "no", "commercial-advantage": "no"}
    library.proposals.screen(reviewer, proposal.reference, "simplified", short,
                             "ZEPHYR-SCREENING-COMMENT")
    library.proposals.assign(reviewer, proposal.reference, "statistics")
    full = short | {"litigation": "no", "global-compact": "yes", "governance": "yes"}
    library.case_screenings.screen(reviewer, RESTRICTED, {"personal_data": "1"}, "full", full,
                                   CASE_SCREENING_SECRET)
    yield app.test_client(), proposal.reference
    library.store.close()


def proposal_leaks(text: str) -> list[str]:
    return [phrase for phrase in PROPOSAL_SECRETS + (CASE_SCREENING_SECRET,) if phrase in text]


@pytest.mark.parametrize("role", ROLES)
def test_a_proposal_and_its_screening_reach_only_those_who_may_see_them(proposal_world, role):
    client, reference = proposal_world
    headers, viewer = ROLES[role]
    allowed = role in MAY_SEE_PROPOSAL
    page = client.get(f"/proposals/{reference}", headers=headers)
    if allowed:
        assert page.status_code == 200
        assert "ZEPHYR-SCREENING-COMMENT" in page.get_data(as_text=True)
        assert reference in client.get("/proposals", headers=headers).get_data(as_text=True)
    else:
        assert page.status_code in (303, 404)
        assert not proposal_leaks(page.get_data(as_text=True))
        for path in ("/proposals", "/proposals?state=assigned&division=statistics",
                     f"/proposals/{reference}/screen"):
            answer = client.get(path, headers=headers)
            # another division's focal point has a queue of its own, without this proposal
            expected = (200,) if role == "other contributor" and "screen" not in path \
                else (303, 403, 404)
            assert answer.status_code in expected, path
            # the asker's own address comes back in the sign-in link and the 404 message
            text = without(without(answer.get_data(as_text=True), path), reference)
            assert not proposal_leaks(text), path
    stats = client.get("/api/v1/proposals/stats", headers=headers).get_json()
    assert stats["total"] == (1 if allowed else 0)


@pytest.mark.parametrize("role", ROLES)
def test_partner_pages_show_proposals_and_screenings_only_to_those_who_may_see_them(
    proposal_world, role
):
    client, reference = proposal_world
    headers, viewer = ROLES[role]
    allowed = role in MAY_SEE_PROPOSAL
    for path in ("/partners/zephyrine-holdings", "/api/v1/partners/zephyrine-holdings"):
        answer = client.get(path, headers=headers)
        assert answer.status_code == (200 if allowed else 404), path
        assert bool(proposal_leaks(answer.get_data(as_text=True))) == allowed, path
    for path in ("/partners", "/api/v1/partners"):
        text = client.get(path, headers=headers).get_data(as_text=True)
        assert ("Zephyrine Holdings" in text) == allowed, path


@pytest.mark.parametrize("role", ROLES)
def test_a_restricted_notes_partner_and_screening_stay_off_pages_the_role_may_not_see(
    proposal_world, role
):
    client, _ = proposal_world
    headers, viewer = ROLES[role]
    sees_note = can_see(viewer, "restricted", "statistics")
    name, slug = RESTRICTED_PARTNER
    for path in (f"/partners/{slug}", f"/api/v1/partners/{slug}"):
        answer = client.get(path, headers=headers)
        assert answer.status_code == (200 if sees_note else 404), path
    listed = client.get("/api/v1/partners", headers=headers).get_json()["partners"]
    assert (slug in {p["slug"] for p in listed}) == sees_note
    assert (name in client.get("/partners", headers=headers).get_data(as_text=True)) == sees_note
    screening_shown = CASE_SCREENING_SECRET in client.get(
        f"/partners/{slug}", headers=headers).get_data(as_text=True)
    assert screening_shown == (sees_note and viewer.signed_in and (
        viewer.sees_all_restricted or "statistics" in viewer.divisions))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("role", ROLES)
def test_no_search_facet_suggestion_or_export_reveals_a_proposal(proposal_world, role, mode):
    client, reference = proposal_world
    headers, viewer = ROLES[role]
    for query in ("Zephyrine Quantum Ledger", "ZEPHYR-SECRET-DESCRIPTION", reference):
        answer = client.get("/api/v1/search", query_string={"q": query, "mode": mode,
                                                            "per_page": 100}, headers=headers)
        assert not proposal_leaks(without(answer.get_data(as_text=True), query))
        assert not any(hit["id"] == reference for hit in answer.get_json()["hits"])
        page = client.get("/search", query_string={"q": query, "mode": mode}, headers=headers)
        assert not proposal_leaks(without(page.get_data(as_text=True), query))
    text = "ZEPHYR-SECRET-DESCRIPTION mobile phone data for tourism statistics"
    suggested = client.post("/api/v1/suggest-links", json={"text": text}, headers=headers)
    assert not proposal_leaks(without(suggested.get_data(as_text=True), text))
    if mode == "hybrid":
        for path in ("/api/v1/export?format=json", "/api/v1/export?format=csv",
                     "/api/v1/cases?per_page=100", "/", "/api/v1/search?type=case&per_page=100"):
            assert not proposal_leaks(client.get(path, headers=headers).get_data(as_text=True))
