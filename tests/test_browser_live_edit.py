"""Headless Chromium against a live server: a contributor edits a published note; while the
change waits, everyone still reads and finds the published text; the reviewer compares the
change with the live revision and publishes it, and search finds the new text within a second."""

import re
import time

import pytest
from live import chromium_path, live_server, new_page, sign_in
from test_browser import AXE, serious_violations

from kmsearch.library import Library
from kmsearch.records import CaseNote, Partner
from kmsearch.web import create_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        chromium_path() is None,
        reason="Chromium is not installed (/usr/bin/chromium); on Debian: apt-get install chromium",
    ),
]
PASSWORD = "a long browser passphrase"
CASE_ID = "cross-border-fruit-inspections"
TITLE = "Joint inspections of fruit shipments at the border"
OLD = ("Inspectors from both countries checked marmalade oranges together at one counter, "
       "so that trucks stopped once instead of twice.")
NEW = ("Inspectors from both countries checked tamarind pods together at one counter, "
       "so that trucks stopped once instead of twice.")
REST = ("\n\n## Results\n\nWaiting times at the crossing fell by half in the first season, and "
        "the shared checklist became the basis of a regional recommendation.")


@pytest.fixture(scope="module")
def base_url(library_copy):
    settings = library_copy("browser-live-edit")
    library = Library(settings)
    for name, roles, divisions in (("cora", ["contributor"], ["trade"]),
                                   ("rita", ["reviewer"], [])):
        library.accounts.add(name, PASSWORD, roles=roles, divisions=divisions)
    note = CaseNote(id=CASE_ID, title=TITLE, division="trade", visibility="public",
                    summary="Two customs services inspected fruit shipments together.",
                    partners=[Partner("Border Fruit Traders", "business")], start_year=2021,
                    body=f"## Context\n\n{OLD}{REST}")
    library.save_case(note, author="corpus", origin="corpus")  # published and indexed
    library.search.indexes.flush()  # the index upkeep thread is done before the app opens it
    library.close()
    app = create_app({"SETTINGS": settings, "SECRET_KEY": "browser-live-edit-secret",
                      "SESSION_COOKIE_SECURE": False})
    with live_server(app) as url:
        yield url


def found(page, base_url, word: str) -> bool:
    """Whether the search page, as an anonymous visitor sees it, lists the note for ``word``."""
    page.goto(f"{base_url}/search?q={word}&mode=keyword")
    return page.locator(f'.hit-title a[href="/cases/{CASE_ID}"]').count() == 1


def assert_live_text_is_served(visitor, base_url) -> None:
    response = visitor.goto(f"{base_url}/cases/{CASE_ID}")
    assert response.status == 200
    assert "marmalade oranges" in visitor.locator("main").inner_text()
    assert "pending" not in visitor.locator("main").inner_text().casefold()
    assert found(visitor, base_url, "marmalade") and not found(visitor, base_url, "tamarind")


def test_a_published_note_stays_live_while_its_change_is_reviewed_and_published(
    browser, base_url
):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (see package.json)")
    visitor, author, reviewer = new_page(browser), new_page(browser), new_page(browser)
    assert_live_text_is_served(visitor, base_url)

    sign_in(author, base_url, "cora", PASSWORD, f"/contribute/{CASE_ID}/edit")
    assert "Saving keeps your edit as a change beside the published note" in \
        author.locator("main").inner_text()
    body = author.get_by_label("The story, in Markdown")
    body.fill(body.input_value().replace(OLD, NEW))
    author.get_by_role("button", name="Save draft").click()
    author.wait_for_url("**/edit?saved=*")
    assert_live_text_is_served(visitor, base_url)

    author.get_by_label("Comment for the revision history").fill("the fruit was tamarind")
    author.get_by_role("button", name="Submit for review").click()
    author.wait_for_url(f"**/contribute/{CASE_ID}?done=submitted")
    author.goto(f"{base_url}/cases/{CASE_ID}")
    notice = author.locator(".pending-change")
    assert "waiting for review" in notice.inner_text()
    assert "marmalade oranges" in author.locator(".prose").inner_text()  # the live text
    assert serious_violations(author) == []
    assert_live_text_is_served(visitor, base_url)

    sign_in(reviewer, base_url, "rita", PASSWORD, "/review")
    item = reviewer.locator(".queue-item", has_text=TITLE)
    link = item.get_by_role("link", name=re.compile("^Changes against the published revision"))
    live = int(re.search(r"revision (\d+)", link.inner_text()).group(1))
    link.click()
    reviewer.wait_for_url(f"**/cases/{CASE_ID}/diff?from={live}&to=*")
    heading = reviewer.locator("h1").inner_text()
    assert heading.startswith(f"Changes from revision {live} to ")
    lines = reviewer.locator(".diff-lines")
    assert lines.locator("del").all_inner_texts() == [OLD]
    assert lines.locator("ins").all_inner_texts() == [NEW]
    assert serious_violations(reviewer) == []
    assert_live_text_is_served(visitor, base_url)

    reviewer.goto(f"{base_url}/review")
    item = reviewer.locator(".queue-item", has_text=TITLE)
    item.get_by_role("button", name=re.compile("^Publish")).click()
    reviewer.wait_for_url("**/review?done=published*")
    published = time.monotonic()
    while not found(visitor, base_url, "tamarind"):
        assert time.monotonic() - published < 1.0, "search did not find the new text within 1 s"
    assert not found(visitor, base_url, "marmalade")
    visitor.goto(f"{base_url}/cases/{CASE_ID}")
    assert "tamarind pods" in visitor.locator(".prose").inner_text()

    reviewer.goto(f"{base_url}/cases/{CASE_ID}/history")
    comments = reviewer.locator("table.history tbody td:nth-child(6)").all_inner_texts()
    assert comments.count("the fruit was tamarind") == 1
    for page in (visitor, author, reviewer):
        assert page.errors == []
