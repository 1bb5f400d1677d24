"""Headless Chromium against a live server: a reader follows a recommendation from its page (no
script needed), a digest arrives, the header counts it, the notification list shows it and marks
it read, and the follow is undone from the list; axe-core on both pages at both widths."""

import pytest
import test_browser_contribute as contribute_suite
from live import live_server, sign_in
from monitoring_library import build_monitoring_library
from notify_people import add_people
from test_browser import VIEWPORTS, serious_violations
from web_library import watch_errors

from kmsearch.library import Library
from kmsearch.web import create_app

# Marked browser and skipped without Chromium, like the contribution suite whose Chromium, page
# and sign-in helper it shares.
pytestmark = contribute_suite.pytestmark
PASSWORD = contribute_suite.PASSWORD
REC6 = "/recommendations/private-sector-2021/6"


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    settings = build_monitoring_library(tmp_path_factory.mktemp("browser-notifications"))
    library = Library(settings)
    add_people(library, PASSWORD)
    library.close()
    return settings


@pytest.fixture(scope="module")
def base_url(settings):
    app = create_app({"SETTINGS": settings, "SECRET_KEY": "browser-notifications-secret",
                      "SESSION_COOKIE_SECURE": False})
    with live_server(app) as url:
        yield url


def send_digests(settings) -> None:
    """The digests of every follow, as if they were made a week ago."""
    library = Library(settings)
    try:
        with library.store.write() as db:
            db.execute("UPDATE follows SET last_digest_at = '2026-01-01T00:00:00+00:00'")
        assert library.notifications.send_digests() == 1
    finally:
        library.close()


def test_a_reader_follows_a_recommendation_and_reads_the_digest(page, base_url, settings):
    sign_in(page, base_url, "vic", PASSWORD, REC6)
    box = page.locator(".follow-box")
    box.get_by_label("Digest", exact=True).select_option("daily")
    box.get_by_role("button", name="Follow Recommendation 6").click()
    page.wait_for_url(f"**{REC6}")
    assert "You follow Recommendation 6" in box.inner_text() and "daily" in box.inner_text()
    assert serious_violations(page) == []

    send_digests(settings)
    page.reload()
    header_link = page.get_by_role("link", name="Notifications 1 unread")
    header_link.click()
    page.wait_for_url("**/notifications")
    item = page.locator(".notification.unread")
    assert "new or changed note" in item.inner_text()
    assert "recommendation 6 (private-sector-2021)" in page.locator("ul.follows").inner_text()
    assert serious_violations(page) == []

    item.get_by_role("button", name="Mark as read").click()
    page.wait_for_url("**/notifications?done=read")
    assert page.locator(".notification.unread").count() == 0
    assert page.get_by_role("link", name="Notifications", exact=True).count() == 1
    page.locator("ul.follows").get_by_role("button", name="Unfollow").click()
    page.wait_for_url("**/notifications?done=unfollowed")
    assert "You follow nothing yet." in page.locator("main").inner_text()
    assert page.errors == []


def test_the_notification_and_follow_pages_pass_axe_at_both_widths(browser, base_url):
    for width in ("desktop", "phone"):
        context = browser.new_context(viewport=VIEWPORTS[width])
        page = watch_errors(context.new_page())
        sign_in(page, base_url, "rita", PASSWORD, REC6)
        assert serious_violations(page) == [], width
        page.goto(base_url + "/notifications")
        assert serious_violations(page) == [], width
        page.goto(base_url + "/account")
        assert serious_violations(page) == [], width
        assert page.errors == []
        context.close()
