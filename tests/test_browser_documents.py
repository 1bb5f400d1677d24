"""Headless Chromium against a live server: a contributor attaches a PDF and a Word file to a
restricted note and submits it, a reviewer publishes it, a phrase from page 3 of the PDF finds
the note with "page 3" and the snippet; a viewer who may not see the note finds nothing and the
file's address answers 404. Plus axe-core on the document pages."""

import re

import pytest
from documents import docx_with_pages, pdf_with_pages
from live import chromium_path, live_server, sign_in
from test_browser import AXE, VIEWPORTS, serious_violations
from test_browser_contribute import PASSWORD

from kmsearch.library import Library
from kmsearch.store import accounts
from kmsearch.web import create_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.model,
    pytest.mark.skipif(
        chromium_path() is None,
        reason="Chromium is not installed (/usr/bin/chromium); on Debian: apt-get install chromium",
    ),
]
TITLE = "Wharf crane retrofit with a port equipment maker"
PHRASE = "pelican hoist calibration schedule"
PDF_PAGES = ["Memorandum of understanding on the crane retrofit.",
             "Annex A: the parties and their contributions.",
             f"Annex B: the {PHRASE} agreed with the harbour master for each winter."]
DOCX_PAGES = ["Minutes of the first steering meeting.", "Decisions on the pilot berth."]


@pytest.fixture(scope="module")
def base_url(library_copy):
    settings = library_copy("browser-documents")
    library = Library(settings)
    for name, roles, divisions in (("cora", ["contributor"], ["trade"]),
                                   ("rita", ["reviewer"], []), ("vic", ["viewer"], [])):
        accounts.add_user(library.store, library.taxonomy, name, PASSWORD, roles=roles,
                          divisions=divisions)
    library.store.close()
    app = create_app({"SETTINGS": settings, "SECRET_KEY": "browser-documents-secret",
                      "SESSION_COOKIE_SECURE": False})
    with live_server(app) as url:
        yield url


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def test_a_phrase_on_page_three_of_an_attached_pdf_finds_the_note_and_only_for_its_readers(
    page, base_url, tmp_path
):
    pdf, docx = tmp_path / "crane-mou.pdf", tmp_path / "minutes.docx"
    pdf.write_bytes(pdf_with_pages(PDF_PAGES))
    docx.write_bytes(docx_with_pages(DOCX_PAGES))

    sign_in(page, base_url, "cora", PASSWORD, "/contribute/new")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Status").select_option("active")
    page.get_by_label("Who may see it").select_option("restricted")
    page.get_by_label("Partner 1 name").fill("Harbour Cranes Ltd")
    page.get_by_label("Partner 1 type").select_option("business")
    page.get_by_label("Start year").fill("2023")
    page.get_by_label("The story, in Markdown").fill(
        "## Context\n\nA crane retrofit pilot at two river ports, where the port authority and "
        "a crane maker replaced the controls of old cranes.\n\n## Results\n\nThe retrofitted "
        "cranes used less power and stopped less often during the first winter.")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url("**/edit?saved=1")
    case_id = re.search(r"/contribute/([^/?]+)/edit", page.url).group(1)
    page.goto(f"{base_url}/contribute/{case_id}")
    page.get_by_label(re.compile("^Attach PDF, Word")).set_input_files([str(pdf), str(docx)])
    page.get_by_role("button", name="Attach", exact=True).click()
    page.wait_for_url("**done=attached*")
    report = page.locator("[role=status]").inner_text()
    assert "crane-mou.pdf: searchable" in report and "minutes.docx: searchable" in report
    assert page.locator(".attachment-list li").count() == 2
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url("**done=submitted")
    sign_out(page)

    sign_in(page, base_url, "rita", PASSWORD, "/review")
    page.locator(".queue-item", has_text=TITLE).get_by_role(
        "button", name=re.compile("^Publish")).click()
    page.wait_for_url("**/review?done=published*")
    page.goto(f"{base_url}/search?q={PHRASE.replace(' ', '+')}")
    hit = page.locator(".hit", has_text=TITLE)
    assert hit.count() == 1
    assert page.locator(".hit-title a").first.inner_text() == TITLE
    assert hit.locator(".hit-source").inner_text() == "In crane-mou.pdf, page 3"
    assert "harbour master" in hit.locator(".snippet").inner_text()
    assert hit.locator(".snippet mark").count() >= 3
    file_url = hit.locator(".hit-source a").get_attribute("href")
    assert page.request.get(base_url + file_url).status == 200
    sign_out(page)

    sign_in(page, base_url, "vic", PASSWORD, "/")
    page.goto(f"{base_url}/search?q={PHRASE.replace(' ', '+')}")
    assert page.locator(".hit", has_text=TITLE).count() == 0
    assert TITLE not in page.locator("main").inner_text()
    assert page.request.get(base_url + file_url).status == 404
    assert page.request.get(f"{base_url}/cases/{case_id}").status == 404
    sign_out(page)
    assert page.request.get(base_url + file_url).status == 404  # nor to anonymous visitors
    assert page.errors == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_document_pages_pass_axe_and_fit_a_phone(page, base_url, viewport):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm install` (see package.json)")
    page.set_viewport_size(VIEWPORTS[viewport])
    sign_in(page, base_url, "rita", PASSWORD, "/review/responses")
    found = {}
    paths = {"responses": "/review/responses",
             "note": "/contribute/road-safety-campaign-sponsorship",
             "brief": "/cases/road-safety-campaign-sponsorship/brief"}
    for name, path in paths.items():
        page.goto(base_url + path)
        found[name] = serious_violations(page)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        found[name] += [f"{overflow}px sideways scrolling"] if overflow > 0 else []
    assert found == dict.fromkeys(paths, [])
    assert page.errors == []


def test_the_brief_of_the_longest_note_prints_on_at_most_two_pages(page, base_url):
    import io

    from pypdf import PdfReader

    sign_in(page, base_url, "rita", PASSWORD, "/review/responses")
    library_notes = page.request.get(f"{base_url}/api/v1/cases?per_page=100").json()["cases"]
    sizes = {}
    for item in library_notes:
        detail = page.request.get(f"{base_url}/api/v1/cases/{item['id']}").json()
        sizes[item["id"]] = len(detail["summary"]) + sum(len(x["text"]) for x in detail["lessons"])
    longest = max(sizes, key=sizes.get)
    page.goto(f"{base_url}/cases/{longest}/brief")
    page.emulate_media(media="print")
    printed = PdfReader(io.BytesIO(page.pdf(format="A4")))
    assert len(printed.pages) <= 2, f"{longest}: {len(printed.pages)} pages"
    assert "Back to the case note" not in printed.pages[0].extract_text()
