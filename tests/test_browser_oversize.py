"""Headless Chromium: a contribution form larger than the server accepts is refused before it
is sent, naming the field to shorten; nothing typed is lost, and the page stays accessible,
as does the account page with its sessions."""

import pytest
from live import chromium, chromium_path, live_server
from test_browser import AXE, VIEWPORTS, serious_violations
from web_library import watch_errors

from kmsearch.library import Library
from kmsearch.web import create_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.model,
    pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed"),
]
PASSWORD = "a long browser passphrase"
LIMIT = 20_000


@pytest.fixture(scope="module")
def served(library_copy):
    settings = library_copy("browser-oversize")
    library = Library(settings)
    library.accounts.add("cora", PASSWORD, roles=["contributor"], divisions=["trade"])
    library.close()
    app = create_app({"SETTINGS": settings, "SECRET_KEY": "browser-oversize-secret-key",
                      "SESSION_COOKIE_SECURE": False, "MAX_CONTENT_LENGTH": LIMIT})
    with live_server(app) as url, chromium() as browser:
        yield url, browser, settings


def test_an_oversized_note_is_refused_before_sending_and_nothing_typed_is_lost(served):
    base_url, browser, settings = served
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = watch_errors(context.new_page())
    page.goto(f"{base_url}/login?next=/contribute/new")
    page.get_by_label("Username").fill("cora")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/contribute/new")

    body = "A very long story. " * 1_300  # about 25,000 bytes when sent
    page.get_by_label("Title").fill("Numbat freight corridor with many words")
    page.get_by_label("The story, in Markdown").fill(body)
    posts = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))
    page.get_by_role("button", name="Save draft").click()

    alert = page.locator("#size-error")
    alert.wait_for(state="visible")
    text = alert.inner_text()
    assert "Too long to send" in text and "The story, in Markdown: too long by about" in text
    assert posts == [] and page.url.endswith("/contribute/new")
    assert page.get_by_label("The story, in Markdown").input_value() == body
    assert page.evaluate("document.activeElement.id") == "size-error"
    assert AXE.exists(), f"{AXE} is missing: run `npm install` (see package.json)"
    assert serious_violations(page) == []

    page.get_by_label("The story, in Markdown").fill("A short story now, well within the limit.")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url("**/edit?saved=1")

    page.get_by_role("link", name="cora (contributor)").click()
    page.wait_for_url("**/account")
    assert "(this browser)" in page.locator("table.sessions").inner_text()
    assert serious_violations(page) == []
    assert page.errors == []
    context.close()
