"""Documents through the web: attaching on the note page (files larger than the site's request
limit), the download headers, 404 for anyone who may not see the note, hits that name the
page, the case brief in HTML and Word, and management responses uploaded by reviewers."""

import io
import re

import pytest
from contribution_library import TRADE_RESTRICTED, TRANSPORT_PUBLIC
from documents import pdf_with_pages, response_docx
from docx import Document
from test_web_contribute import token
from web_library import signed_in

from kmsearch.web import create_app

TRADE = signed_in("tina", "contributor", "trade")
TRANSPORT = signed_in("tom", "contributor", "transport")
REVIEWER = signed_in("rita", "reviewer")
READER = signed_in("vic", "viewer")
PAGES = ["Scope of the campaign.", "Budget lines.",
         "The lighthouse keepers pension annex applies from the third year."]


pytestmark = pytest.mark.model  # a copy of the web tests' library, indexed with the model


@pytest.fixture(scope="module")
def app(library_copy):
    settings = library_copy("web-documents")
    app = create_app({"SETTINGS": settings, "TRUST_USER_HEADER": True,
                      "TRUST_ROLE_HEADERS": True, "SECRET_KEY": "document-tests-secret-key",
                      "TESTING": True})
    yield app
    app.extensions["kmsearch"].search.indexes.flush()
    app.extensions["kmsearch"].store.close()


@pytest.fixture
def client(app):
    return app.test_client()


def attach(client, case_id, headers, files):
    data = {"csrf_token": token(client, headers),
            "files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(f"/contribute/{case_id}/attachments", data=data, headers=headers,
                       content_type="multipart/form-data")


def publish_change(client, case_id):
    """Files attached to a published note wait beside it: the reviewer submits and publishes."""
    for path in (f"/contribute/{case_id}/submit", f"/review/{case_id}/publish"):
        done = client.post(path, data={"csrf_token": token(client, REVIEWER)}, headers=REVIEWER)
        assert done.status_code == 303, done.get_data(as_text=True)[-800:]


def test_a_file_larger_than_the_site_limit_can_be_attached_and_is_searched_to_the_page(client):
    padding = "Filler text for a long annex. " * 60_000  # about 1.8 MB, over the 1 MB limit
    data = pdf_with_pages([*PAGES, padding[:40_000]])
    big = data + b"\n%" + b"0" * (1_300_000 - len(data))  # trailing bytes a PDF reader ignores
    response = attach(client, TRANSPORT_PUBLIC, REVIEWER, [("annex.pdf", big)])
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    page = client.get(response.headers["Location"], headers=REVIEWER).get_data(as_text=True)
    assert "annex.pdf: searchable" in page
    assert "annex.pdf</a>, page 3" not in client.get(
        "/search?q=lighthouse+keepers+pension&mode=keyword", headers=READER).get_data(as_text=True)
    publish_change(client, TRANSPORT_PUBLIC)
    results = client.get("/search?q=lighthouse+keepers+pension&mode=keyword", headers=READER)
    html = results.get_data(as_text=True)
    assert "annex.pdf</a>, page 3" in html and "<mark>lighthouse</mark>" in html
    api = client.get("/api/v1/search?q=lighthouse+keepers+pension&mode=keyword").get_json()
    assert api["hits"][0]["found_in"]["file"] == "annex.pdf"
    assert api["hits"][0]["found_in"]["page"] == 3


def test_downloads_are_attachments_with_a_safe_type(client):
    case = client.get(f"/api/v1/cases/{TRANSPORT_PUBLIC}", headers=READER).get_json()
    [annex] = [a for a in case["attachments"] if a["name"] == "annex.pdf"]
    response = client.get(annex["url"], headers=READER)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "annex.pdf" in response.headers["Content-Disposition"]
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data.startswith(b"%PDF-")


def test_an_html_file_is_refused_and_a_text_file_is_served_as_plain_text(client):
    refused = attach(client, TRANSPORT_PUBLIC, REVIEWER, [("page.html", b"\x00<script>")])
    assert refused.status_code == 400
    assert "not a file type that can be attached" in refused.get_data(as_text=True)
    done = attach(client, TRANSPORT_PUBLIC, REVIEWER,
                  [("notes.txt", b"<html><script>alert(1)</script></html>")])
    assert done.status_code == 303
    publish_change(client, TRANSPORT_PUBLIC)
    case = client.get(f"/api/v1/cases/{TRANSPORT_PUBLIC}", headers=READER).get_json()
    [notes] = [a for a in case["attachments"] if a["name"] == "notes.txt"]
    response = client.get(notes["url"], headers=READER)
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment;")


def test_a_file_of_a_note_you_may_not_see_answers_404(client):
    response = attach(client, TRADE_RESTRICTED, TRADE,
                      [("due-diligence.pdf", pdf_with_pages(["Smelter audit findings."]))])
    assert response.status_code == 303
    note = client.get(f"/contribute/{TRADE_RESTRICTED}", headers=TRADE).get_data(as_text=True)
    url = re.search(r'href="(/cases/[^"]+/attachments/[0-9a-f]{64})"', note).group(1)
    assert client.get(url, headers=TRADE).status_code == 200
    for headers in ({}, READER, TRANSPORT):
        assert client.get(url, headers=headers).status_code == 404
    sha = url.rsplit("/", 1)[1]
    assert client.get(f"/cases/{TRANSPORT_PUBLIC}/attachments/{sha}",
                      headers=REVIEWER).status_code == 404
    assert client.get(f"/cases/{TRADE_RESTRICTED}/attachments/{'0' * 64}",
                      headers=REVIEWER).status_code == 404


def test_only_those_who_may_edit_the_note_attach_to_it(client):
    response = attach(client, TRANSPORT_PUBLIC, TRADE, [("x.txt", b"words")])
    assert response.status_code == 403


def test_the_case_brief_prints_on_one_page_and_downloads_as_word(client):
    html = client.get(f"/cases/{TRANSPORT_PUBLIC}/brief", headers=READER).get_data(as_text=True)
    for heading in ("Division", "Partners", "Years", "Status", "Nexus areas", "SDGs", "Summary",
                    "Recommendations it illustrates", "Lessons"):
        assert heading in html
    assert "brief.css" in html
    response = client.get(f"/cases/{TRANSPORT_PUBLIC}/brief.docx", headers=READER)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{TRANSPORT_PUBLIC}-brief.docx"')
    document = Document(io.BytesIO(response.data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Summary" in text and "Lessons" in text
    assert document.tables[0].rows[0].cells[0].text == "Division"
    assert client.get(f"/cases/{TRADE_RESTRICTED}/brief", headers=READER).status_code == 404


def test_a_reviewer_imports_a_word_management_response(client):
    page = client.get("/review/responses", headers=REVIEWER)
    assert page.status_code == 200
    sent = response_docx()
    data = {"csrf_token": token(client, REVIEWER, "/review/responses"),
            "evaluation_id": "from-word", "file": (io.BytesIO(sent), "mr.docx")}
    done = client.post("/review/responses", data=data, headers=REVIEWER,
                       content_type="multipart/form-data")
    assert done.status_code == 200
    assert "created, 8 recommendations" in done.get_data(as_text=True)
    listing = client.get("/recommendations", headers=REVIEWER).get_data(as_text=True)
    url = re.search(r'href="(/evaluations/from-word/files/[0-9a-f]{64})"', listing).group(1)
    original = client.get(url)
    assert original.status_code == 200 and original.data == sent
    assert client.get("/review/responses", headers=TRADE).status_code == 403


def test_a_broken_response_is_reported_with_its_paragraph(client):
    text = response_docx_text_with("Timeline: 31 December 2022", "Timeline: soon-ish")
    data = {"csrf_token": token(client, REVIEWER, "/review/responses"),
            "evaluation_id": "broken", "file": (io.BytesIO(text), "broken.docx")}
    done = client.post("/review/responses", data=data, headers=REVIEWER,
                       content_type="multipart/form-data")
    assert done.status_code == 422
    assert re.search(r"broken\.docx, paragraph \d+:recommendation 6\.timeline: could not read",
                     done.get_data(as_text=True).replace("&#39;", "'"))


def response_docx_text_with(old, new) -> bytes:
    from documents import RESPONSE_TXT

    return response_docx(RESPONSE_TXT.read_text(encoding="utf-8").replace(old, new))
