"""Contribution and review pages through the Flask test client, over a private copy of the
library: permissions on crafted requests, the whole workflow, the no-JavaScript form, edit
conflicts, uploads, autosave, and hostile text in every field on every page that shows it."""

import io
import json
import re
from html.parser import HTMLParser

import pytest
from contribution_library import (
    STATISTICS_RESTRICTED,
    TRADE_RESTRICTED,
    TRANSPORT_PUBLIC,
)
from web_library import signed_in

from kmsearch.web import create_app
from kmsearch.workflow.uploads import MAX_UPLOAD_BYTES

pytestmark = pytest.mark.model  # a copy of the web tests' library, indexed with the model

TRADE = signed_in("tina", "contributor", "trade")
TRANSPORT = signed_in("tom", "contributor", "transport")
REVIEWER = signed_in("rita", "reviewer")
ADMIN = signed_in("ada", "admin")
READER = signed_in("vic", "viewer")
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
MORE = ("\n\n## What was done\n\nThe operators and the port authority agreed one data format, "
        "tested it for a season on two terminals and trained the planners who use it. Ships "
        "waited less at anchor, and the planners kept using the shared format afterwards.\n")


@pytest.fixture(scope="module")
def app(library_copy):
    settings = library_copy("web-contribute")
    app = create_app({"SETTINGS": settings, "TRUST_USER_HEADER": True,
                      "TRUST_ROLE_HEADERS": True, "SECRET_KEY": "contribution-tests-secret",
                      "TESTING": True})
    yield app
    app.extensions["kmsearch"].store.close()


@pytest.fixture
def client(app):
    return app.test_client()


def token(client, headers, path="/contribute/new") -> str:
    return TOKEN.search(client.get(path, headers=headers).get_data(as_text=True)).group(1)


def post(client, path, data, headers, **kwargs):
    """A form post carrying this session's CSRF token, like the browser sends it."""
    return client.post(path, data={"csrf_token": token(client, headers)} | data,
                       headers=headers, **kwargs)


def note_form(title="Kumquat port logistics", **changes) -> dict:
    return {
        "title": title, "summary": "Port operators shared berth data.", "division": "trade",
        "status": "active", "visibility": "public", "risk_level": "low", "start_year": "2023",
        "partners-1-name": "Harbour Data Ltd", "partners-1-type": "business",
        "lessons-1-kind": "lesson", "lessons-1-text": "Agree data formats first.",
        "nexus_areas": "mobility-connectivity", "sdgs": ["9", "17"],
        "body": "## Context\n\nPort operators shared berth schedules." + MORE, "action": "save",
    } | changes


def case_id_of(response) -> str:
    return re.search(r"/contribute/([^/?]+)", response.headers["Location"]).group(1)


def create(client, headers=TRADE, **changes) -> str:
    response = post(client, "/contribute/new", note_form(**changes), headers)
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    return case_id_of(response)


def state_of(app, case_id):
    return app.extensions["kmsearch"].store.get_case(case_id)


def test_visitors_not_signed_in_are_sent_to_sign_in_and_readers_are_refused(client):
    response = client.get("/contribute/new")
    assert response.status_code == 303 and "/login?next=/contribute/new" in \
        response.headers["Location"]
    assert client.get("/review").status_code == 303
    for path in ("/contribute/new", "/contribute/upload", "/review"):
        assert client.get(path, headers=READER).status_code == 403
    assert client.get("/my-notes", headers=READER).status_code == 200
    assert client.get("/review", headers=TRADE).status_code == 403


def test_the_navigation_offers_contribute_and_review_by_role(client):
    def nav(headers):
        html = client.get("/", headers=headers).get_data(as_text=True)
        return re.findall(r'<li><a href="(/contribute/new|/my-notes|/review)"', html)

    assert nav(READER) == []
    assert nav(TRADE) == ["/contribute/new", "/my-notes"]
    assert nav(REVIEWER) == ["/contribute/new", "/my-notes", "/review"]


def test_crafted_requests_cannot_touch_another_divisions_notes(app, client):
    before = state_of(app, TRANSPORT_PUBLIC).revision
    assert client.get(f"/contribute/{TRANSPORT_PUBLIC}/edit", headers=TRADE).status_code == 403
    form = note_form(division="transport", expected_revision=str(before))
    assert post(client, f"/contribute/{TRANSPORT_PUBLIC}/edit", form, TRADE).status_code == 403
    assert post(client, f"/contribute/{TRANSPORT_PUBLIC}/archive", {}, TRADE).status_code == 403
    assert post(client, "/contribute/new", note_form(division="transport"), TRADE).status_code \
        == 403
    assert post(client, f"/review/{TRANSPORT_PUBLIC}/publish", {}, TRADE).status_code == 403
    assert state_of(app, TRANSPORT_PUBLIC).revision == before

    for path in (f"/contribute/{STATISTICS_RESTRICTED}",
                 f"/contribute/{STATISTICS_RESTRICTED}/edit",
                 f"/cases/{STATISTICS_RESTRICTED}/history",
                 f"/cases/{STATISTICS_RESTRICTED}/diff?from=1&to=1"):
        response = client.get(path, headers=TRADE)
        assert response.status_code == 404, path
        assert "mobile phone" not in response.get_data(as_text=True).casefold()
    for path in (f"/contribute/{STATISTICS_RESTRICTED}/edit",
                 f"/contribute/{STATISTICS_RESTRICTED}/submit",
                 f"/contribute/{STATISTICS_RESTRICTED}/archive"):
        assert post(client, path, note_form(), TRADE).status_code == 404, path
    assert client.get(f"/contribute/{TRADE_RESTRICTED}/edit", headers=TRADE).status_code == 200
    assert client.get(f"/contribute/{TRADE_RESTRICTED}", headers=READER).status_code == 404


def test_forms_without_the_csrf_token_are_refused(client):
    response = client.post("/contribute/new", data=note_form(), headers=TRADE)
    assert response.status_code == 400 and "security token" in response.get_data(as_text=True)
    assert client.post("/contribute/autosave", data=note_form(), headers=TRADE).status_code == 400


def test_a_note_goes_through_review_to_search_and_archive_and_back(app, client):
    case_id = create(client, title="Rambutan cold chain standards", action="submit")
    assert state_of(app, case_id).state == "submitted"
    queue = client.get("/review", headers=REVIEWER).get_data(as_text=True)
    assert "Rambutan cold chain standards" in queue

    refused = post(client, f"/review/{case_id}/return", {"comment": " "}, REVIEWER)
    assert refused.status_code == 400 and "comment" in refused.get_data(as_text=True)
    response = post(client, f"/review/{case_id}/return", {"comment": "Add the results."},
                    REVIEWER)
    assert response.status_code == 303 and state_of(app, case_id).state == "draft"
    mine = client.get("/my-notes", headers=TRADE).get_data(as_text=True)
    returned = mine.split('id="notes-returned"')[1].split("</section>")[0]
    assert "Rambutan cold chain standards" in returned and "Add the results." in returned

    revision = state_of(app, case_id).revision
    form = note_form("Rambutan cold chain standards", body="## Results\n\nFewer losses." + MORE,
                     expected_revision=str(revision), action="submit")
    resubmitted = post(client, f"/contribute/{case_id}/edit", form, TRADE)
    assert resubmitted.status_code == 303
    assert client.get("/search?q=rambutan&mode=keyword").get_data(as_text=True).count(
        f"/cases/{case_id}") == 0
    assert post(client, f"/review/{case_id}/publish", {"comment": "Good"}, REVIEWER) \
        .status_code == 303
    assert f'href="/cases/{case_id}"' in client.get("/search?q=rambutan&mode=keyword") \
        .get_data(as_text=True)
    assert client.get(f"/cases/{case_id}").status_code == 200

    assert post(client, f"/contribute/{case_id}/archive", {}, TRADE).status_code == 403
    assert post(client, f"/contribute/{case_id}/archive", {"comment": "old"}, REVIEWER) \
        .status_code == 303
    assert client.get(f"/cases/{case_id}").status_code == 404
    assert f"/cases/{case_id}" not in client.get("/search?q=rambutan&mode=keyword") \
        .get_data(as_text=True)
    assert post(client, f"/review/{case_id}/restore", {}, REVIEWER).status_code == 403
    page = client.get(f"/contribute/{case_id}", headers=ADMIN).get_data(as_text=True)
    assert f'action="/review/{case_id}/restore"' in page
    assert post(client, f"/review/{case_id}/restore", {}, ADMIN).status_code == 303
    assert client.get(f"/cases/{case_id}").status_code == 200

    history = client.get(f"/cases/{case_id}/history", headers=TRADE).get_data(as_text=True)
    for text in ("Add the results.", "Good", "old", "Restored", "rita", "ada"):
        assert text in history
    diff = client.get(f"/cases/{case_id}/diff?from=1&to=4", headers=TRADE).get_data(as_text=True)
    assert "<ins>Fewer losses.</ins>" in diff and "Added: " in diff and "Removed: " in diff
    assert client.get(f"/cases/{case_id}/diff?from=x", headers=TRADE).status_code == 400
    assert client.get(f"/cases/{case_id}/diff?from=1&to=99", headers=TRADE).status_code == 404


def test_rows_are_added_and_removed_and_links_accepted_without_javascript(client):
    form = note_form("Row buttons", **{"partners-2-name": "Second Ltd", "partners-2-type": "ngo"})
    html = post(client, "/contribute/new", form | {"add_lesson": "1"}, TRADE) \
        .get_data(as_text=True)
    assert 'id="lessons-2-text"' in html and "Agree data formats first." in html
    assert 'value="Second Ltd"' in html
    html = post(client, "/contribute/new", form | {"remove_partner": "1"}, TRADE) \
        .get_data(as_text=True)
    assert 'id="partners-1-name" name="partners-1-name" value="Second Ltd"' in html
    assert "Harbour Data Ltd" not in html and 'id="partners-2-name"' not in html
    html = post(client, "/contribute/new", form | {"accept_nexus": "smart-cities"}, TRADE) \
        .get_data(as_text=True)
    assert re.search(r'id="nexus_areas-smart-cities" name="nexus_areas" value="smart-cities" '
                     r'checked', html)
    assert 'name="accept_nexus"' in html or "Linked" in html  # suggestions from the text
    html = post(client, "/contribute/new", form | {"action": "preview",
                                                    "body": "## Plan\n\n*bold*"}, TRADE) \
        .get_data(as_text=True)
    assert "<h2>Plan</h2>" in html and "<em>bold</em>" in html


def test_problems_show_next_to_their_fields_and_the_form_is_kept(app, client):
    form = note_form("Half done", sdgs=["18"], start_year="20x", **{"partners-1-type": ""})
    response = post(client, "/contribute/new", form, TRADE)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<a href="#sdgs">SDGs: expected SDG numbers 1-17, found 18</a>' in html
    assert re.search(r'id="start_year"[^>]*aria-invalid="true" aria-describedby="start_year-error"',
                     html)
    assert 'id="start_year-error"' in html
    assert re.search(r'<select id="partners-1-type"[^>]*aria-invalid="true"', html)
    assert 'value="Half done"' in html and "Port operators shared berth schedules." in html
    draft_id = re.search(r'name="draft_id" value="(\d+)"', html).group(1)
    assert "Half done" in client.get("/my-notes", headers=TRADE).get_data(as_text=True)
    assert client.get(f"/contribute/drafts/{draft_id}", headers=TRANSPORT).status_code == 404
    again = client.get(f"/contribute/drafts/{draft_id}", headers=TRADE).get_data(as_text=True)
    assert 'value="20x"' in again
    fixed = post(client, f"/contribute/drafts/{draft_id}",
                 note_form("Half done", draft_id=draft_id), TRADE)
    assert fixed.status_code == 303
    assert client.get(f"/contribute/drafts/{draft_id}", headers=TRADE).status_code == 404


def test_a_stale_edit_is_refused_and_shown_beside_the_current_version(app, client):
    case_id = create(client, title="Persimmon packaging pilot")
    opened = state_of(app, case_id).revision
    form = note_form("Persimmon packaging pilot", expected_revision=str(opened))
    assert post(client, f"/contribute/{case_id}/edit",
                form | {"body": "Reviewer's words."}, REVIEWER).status_code == 303
    response = post(client, f"/contribute/{case_id}/edit", form | {"body": "Tina's words."}, TRADE)
    assert response.status_code == 303 and "conflict=" in response.headers["Location"]
    page = client.get(response.headers["Location"], headers=TRADE).get_data(as_text=True)
    assert "was changed by rita" in page and "kept as a draft copy" in page
    assert re.search(r"changed by rita at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(revision", page)
    assert "<del>Reviewer&#39;s words.</del>" in page or "Reviewer&#39;s words." in page
    assert "<ins>Tina&#39;s words.</ins>" in page
    assert state_of(app, case_id).note.body == "Reviewer's words."
    draft_id = re.search(r"conflict=(\d+)", response.headers["Location"]).group(1)
    mine = client.get(f"/contribute/{case_id}/edit?draft={draft_id}", headers=TRADE)
    assert "Tina&#39;s words." in mine.get_data(as_text=True)


def test_a_submission_lacking_the_minimum_names_each_missing_field_beside_it(app, client):
    form = note_form("Thin harbour note", summary="", body="", start_year="", action="submit",
                     **{"partners-1-name": "", "partners-1-type": ""})
    response = post(client, "/contribute/new", form, TRADE)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "It was not submitted." in html
    for field in ("summary", "partners", "start_year", "body"):
        assert f'id="{field}-error"' in html, field
    assert "required to submit: a story of at least 200 characters" in html
    case_id = re.search(r'name="case_id" value="([^"]+)"', html).group(1)
    assert state_of(app, case_id).state == "draft"  # saved, as drafts may be incomplete


def test_a_returned_note_shows_the_comment_above_the_form_and_cannot_return_unchanged(
    app, client
):
    case_id = create(client, title="Returned harbour note", action="submit")
    assert post(client, f"/review/{case_id}/return", {"comment": "Name the berths."},
                REVIEWER).status_code == 303
    form = client.get(f"/contribute/{case_id}/edit", headers=TRADE).get_data(as_text=True)
    comment = form.index("Name the berths.")
    assert "Returned by rita" in form and comment < form.index('id="note-form"')
    again = post(client, f"/contribute/{case_id}/submit", {}, TRADE)
    assert again.status_code == 422
    assert "cannot go back to the reviewers unchanged" in again.get_data(as_text=True)
    assert state_of(app, case_id).state == "draft"


def test_editors_see_a_pending_change_on_the_case_page_and_its_diff_names_recommendations(
    app, client
):
    case_id = create(client, title="Pending harbour note", action="submit",
                     recommendations="private-sector-2021/6")
    assert post(client, f"/review/{case_id}/publish", {}, REVIEWER).status_code == 303
    live = state_of(app, case_id).revision
    form = note_form("Pending harbour note", recommendations="private-sector-2021/2",
                     expected_revision=str(live))
    assert post(client, f"/contribute/{case_id}/edit", form, TRADE).status_code == 303
    pending = state_of(app, case_id).pending_revision
    assert pending and state_of(app, case_id).revision == live

    public = client.get(f"/cases/{case_id}")
    assert public.status_code == 200 and "pending-change" not in public.get_data(as_text=True)
    page = client.get(f"/cases/{case_id}", headers=TRADE).get_data(as_text=True)
    assert "A change to this note is" in page
    assert f'/cases/{case_id}/diff?from={live}&amp;to={pending}' in page
    diff = client.get(f"/cases/{case_id}/diff", headers=TRADE).get_data(as_text=True)
    assert f"Changes from revision {live} to {pending}" in diff
    assert '<ins title="private-sector-2021/2">Recommendation 2: ' in diff
    assert '<del title="private-sector-2021/6">Recommendation 6: ' in diff


def test_autosave_keeps_the_form_in_one_draft(app, client):
    headers = TRADE | {"X-CSRFToken": token(client, TRADE, "/contribute/new")}
    first = client.post("/contribute/autosave", data=note_form("Autosaved"), headers=headers)
    assert first.status_code == 200
    draft_id = first.get_json()["draft_id"]
    second = client.post("/contribute/autosave",
                         data=note_form("Autosaved again", draft_id=str(draft_id)),
                         headers=headers)
    assert second.get_json()["draft_id"] == draft_id
    other = TRANSPORT | {"X-CSRFToken": headers["X-CSRFToken"]}
    assert client.post("/contribute/autosave", data=note_form(draft_id=str(draft_id)),
                       headers=other).status_code == 404


GOOD_CSV = "title,division,status,sdgs\nUploaded plum row,trade,active,9\nBad,trade,active,18\n"


def test_uploads_report_per_file_and_row_and_refuse_bad_types_and_sizes(client):
    response = post(client, "/contribute/upload", {"files": [
        (io.BytesIO(GOOD_CSV.encode()), "notes.csv"),
    ]}, TRADE, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 note saved as drafts" in html and "uploaded-plum-row" in html
    assert "notes.csv row 3, sdgs: expected SDG numbers 1-17, found 18" in html
    bad_type = post(client, "/contribute/upload", {"files": [(io.BytesIO(b"x"), "notes.txt")]},
                    TRADE, content_type="multipart/form-data")
    assert bad_type.status_code == 400 and "expected a .md, .csv or .xlsx file" in \
        bad_type.get_data(as_text=True)
    big = io.BytesIO(b"a" * (MAX_UPLOAD_BYTES + 10))
    too_big = post(client, "/contribute/upload", {"files": [(big, "big.csv")]}, TRADE,
                   content_type="multipart/form-data")
    assert too_big.status_code == 413 and "larger than" in too_big.get_data(as_text=True)
    nothing = post(client, "/contribute/upload", {}, TRADE)
    assert nothing.status_code == 400


PAYLOAD = ('<script>alert("xss")</script><img src=x onerror=alert(1)>'
           '<a href="javascript:alert(2)">j</a><svg onload=alert(3)>')


class Unsafe(HTMLParser):
    """Collects every script, event handler, javascript: URL and svg an HTML page carries."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}>")
            if name in ("href", "src", "action") and (value or "").strip().casefold() \
                    .startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value}>")
        if tag == "script" and not dict(attrs).get("src", "").startswith("/static/"):
            self.found.append("<script>")
        if tag in ("svg", "img", "iframe"):
            self.found.append(f"<{tag}>")


def unsafe_parts(html: str) -> list[str]:
    parser = Unsafe()
    parser.feed(html)
    return parser.found


def test_hostile_text_in_every_field_is_neutralised_on_every_page(app, client):
    form = note_form(
        f"Hostile guava {PAYLOAD}", summary=f"Summary {PAYLOAD}",
        body=f"## Body\n\n{PAYLOAD}\n\n[link](javascript:alert(4)) <svg/onload=alert(5)>{MORE}",
        comment=f"Comment {PAYLOAD}", action="submit",
        **{"partners-1-name": f"Partner {PAYLOAD}", "lessons-1-text": f"Lesson {PAYLOAD}"},
    )
    case_id = create(client, **form)
    pages = [f"/contribute/{case_id}", f"/contribute/{case_id}/edit", "/my-notes",
             f"/cases/{case_id}/history", f"/cases/{case_id}/diff?from=1&to=2"]
    review_page = client.get("/review", headers=REVIEWER)
    assert "Hostile guava" in review_page.get_data(as_text=True)
    assert unsafe_parts(review_page.get_data(as_text=True)) == []
    assert post(client, f"/review/{case_id}/publish", {"comment": f"Published {PAYLOAD}"},
                REVIEWER).status_code == 303
    pages += [f"/cases/{case_id}", "/search?q=hostile+guava", "/search?q=guava&mode=keyword"]
    for path in pages:
        response = client.get(path, headers=TRADE)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "guava" in html.casefold(), path
        assert unsafe_parts(html) == [], path
        assert "&lt;script&gt;" in html or path.startswith("/search"), path

    api = client.get(f"/api/v1/cases/{case_id}", headers=TRADE)
    assert api.mimetype == "application/json" and api.headers["X-Content-Type-Options"] == "nosniff"
    data = api.get_json()
    assert data["title"] == f"Hostile guava {PAYLOAD}"  # data, kept as typed, never markup
    assert data["lessons"][0]["text"] == f"Lesson {PAYLOAD}"
    results = client.get("/api/v1/search?q=guava&mode=keyword", headers=TRADE).get_json()
    snippets = " ".join(hit["snippet"] for hit in results["hits"])
    assert results["hits"] and "<script" not in snippets and "<svg" not in snippets
    assert "onerror=alert" not in json.dumps(snippets).replace("&lt;img src=x onerror", "")
