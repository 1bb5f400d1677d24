"""Headless Chromium against a live server, signed in through the login form: a contributor
drafts a note, accepts a suggested nexus link and submits it; a reviewer publishes it; it is
found by search. Plus autosave, the Enter key, and axe-core on every contribution page."""

import re

import pytest
from live import chromium_path, live_server, sign_in
from test_browser import AXE, VIEWPORTS, serious_violations

from kmsearch.library import Library
from kmsearch.web import create_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        chromium_path() is None,
        reason="Chromium is not installed (/usr/bin/chromium); on Debian: apt-get install chromium",
    ),
]
PASSWORD = "a long browser passphrase"
TITLE = "Quokka road data exchange with vehicle makers"
BODY = ("## Context\n\nVehicle manufacturers shared anonymised crash and traffic data with road "
        "safety authorities, to plan safer and smarter mobility and transport connections.\n\n"
        "## Results\n\nTwo cities redesigned their most dangerous junctions from the data.")


@pytest.fixture(scope="module")
def base_url(library_copy):
    settings = library_copy("browser-contribute")
    library = Library(settings)
    for name, roles, divisions in (("cora", ["contributor"], ["trade"]),
                                   ("rita", ["reviewer"], []), ("ada", ["admin"], [])):
        library.accounts.add(name, PASSWORD, roles=roles,
                          divisions=divisions)
    library.close()
    app = create_app({"SETTINGS": settings, "SECRET_KEY": "browser-contribution-secret",
                      "SESSION_COOKIE_SECURE": False})
    with live_server(app) as url:
        yield url


def test_a_contributor_drafts_links_and_submits_a_reviewer_publishes_and_search_finds_it(
    page, base_url
):
    sign_in(page, base_url, "cora", PASSWORD, "/contribute/new")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Status").select_option("active")
    page.get_by_label("Partner 1 name").fill("Example Motors")
    page.get_by_label("Partner 1 type").select_option("business")
    page.get_by_label("Start year").fill("2022")
    page.get_by_label("The story, in Markdown").fill(BODY)
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url("**/edit?saved=1")
    assert "Saved as revision 1" in page.locator("[role=status]").first.inner_text()

    accept = page.locator("button[name=accept_nexus]").first
    code = accept.get_attribute("value")
    checkbox = page.locator(f"#nexus_areas-{code}")
    assert not checkbox.is_checked()
    accept.click()
    page.wait_for_load_state()
    assert page.locator(f"#nexus_areas-{code}").is_checked()
    assert page.get_by_label("Title").input_value() == TITLE  # the form kept its data
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url("**/contribute/*?done=submitted")
    assert "Submitted for review" in page.locator("main").inner_text()
    case_id = re.search(r"/contribute/([^/?]+)", page.url).group(1)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()

    sign_in(page, base_url, "rita", PASSWORD, "/review")
    item = page.locator(".queue-item", has_text=TITLE)
    item.get_by_role("button", name=re.compile("^Publish")).click()
    page.wait_for_url("**/review?done=published*")
    page.goto(f"{base_url}/search?q=quokka&mode=keyword")
    hit = page.locator(".hit-title a", has_text=TITLE)
    assert hit.count() == 1 and hit.get_attribute("href") == f"/cases/{case_id}"
    hit.click()
    page.wait_for_url(f"**/cases/{case_id}")
    assert page.locator(".facts").inner_text().count("Sustainable") >= 1
    assert page.errors == []


def test_enter_saves_the_draft_and_autosave_posts_the_changed_form(page, base_url):
    page.clock.install()
    sign_in(page, base_url, "cora", PASSWORD, "/contribute/new")
    page.get_by_label("Title").fill("Enter key note about wombat logistics")
    page.get_by_label("Status").select_option("active")
    page.get_by_label("Title").press("Enter")
    page.wait_for_url("**/edit?saved=1")  # saved, not "Remove partner 1"

    page.get_by_label("Summary").fill("Changed after saving, not saved yet.")
    with page.expect_response("**/contribute/autosave") as answer:
        page.clock.run_for(31_000)
    assert answer.value.status == 200
    draft_id = answer.value.json()["draft_id"]
    page.wait_for_function("document.getElementById('autosave-status').textContent !== ''")
    assert page.locator("input[name=draft_id]").input_value() == str(draft_id)
    page.goto(f"{base_url}/my-notes")
    assert "Unsaved changes to a note" in page.locator("#unfinished + ul").inner_text()
    assert page.errors == []


CONTRIBUTION_PAGES = ("new", "problems", "note", "my notes", "review", "history", "diff",
                      "upload")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_contribution_pages_pass_axe_and_fit_a_phone(page, base_url, viewport):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm install` (see package.json)")
    page.set_viewport_size(VIEWPORTS[viewport])
    sign_in(page, base_url, "ada", PASSWORD, "/contribute/new")
    found = {}
    page.get_by_label("Title").fill(f"Axe check note {viewport}")
    page.get_by_label("Start year").fill("19x")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state()
    found["problems"] = serious_violations(page)
    assert page.locator(".error-summary li").count() == 2  # the year, and no division chosen
    page.get_by_label("Start year").fill("2019")
    page.locator("#division").select_option("trade")
    page.get_by_label("Partner 1 name").fill("Axe Motors")
    page.get_by_label("Partner 1 type").select_option("business")
    page.get_by_label("The story, in Markdown").fill(BODY)
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url("**done=submitted")
    case_id = re.search(r"/contribute/([^/?]+)", page.url).group(1)
    paths = {"new": "/contribute/new", "note": f"/contribute/{case_id}", "my notes": "/my-notes",
             "review": "/review", "history": f"/cases/{case_id}/history",
             "diff": f"/cases/{case_id}/diff?from=1&to=2", "upload": "/contribute/upload"}
    for name, path in paths.items():
        page.goto(base_url + path)
        found[name] = serious_violations(page)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        found[name] += [f"{overflow}px sideways scrolling"] if overflow > 0 else []
    assert found == dict.fromkeys(CONTRIBUTION_PAGES, [])
    assert [error for error in page.errors if "status of 422" not in error] == []
