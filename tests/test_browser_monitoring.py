"""Headless Chromium against a live server: a reviewer signs in, adds a key action to
recommendation 5, records two dated progress updates with an evidence link, completes it, and
sees the derived status and the dashboard change; axe-core on the follow-up pages."""

import re

import pytest
import test_browser_contribute as contribute_suite
from live import chromium_path, live_server, sign_in
from monitoring_library import build_monitoring_library
from test_browser import VIEWPORTS, serious_violations
from web_library import watch_errors

from kmsearch.library import Library
from kmsearch.store import accounts
from kmsearch.web import create_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        chromium_path() is None,
        reason="Chromium is not installed (/usr/bin/chromium); on Debian: apt-get install chromium",
    ),
]
# The contribution suite's Chromium, page and sign-in helper, shared rather than copied.
PASSWORD = contribute_suite.PASSWORD
REC5 = "/recommendations/private-sector-2021/5"
ACTION = "Publish due diligence guidance for low-risk engagements"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    settings = build_monitoring_library(tmp_path_factory.mktemp("browser-monitoring"))
    library = Library(settings)
    for name, roles in (("rita", ["reviewer"]), ("vic", ["viewer"])):
        accounts.add_user(library.store, library.taxonomy, name, PASSWORD, roles=roles)
    library.store.close()
    app = create_app({"SETTINGS": settings, "SECRET_KEY": "browser-monitoring-secret",
                      "SESSION_COOKIE_SECURE": False})
    with live_server(app) as url:
        yield url


def figure(page, label: str) -> int:
    item = page.locator(".headline-figures li", has_text=label)
    return int(item.locator(".figure").inner_text())


def test_a_reviewer_adds_an_action_records_progress_completes_it_and_the_dashboard_changes(
    page, base_url
):
    sign_in(page, base_url, "rita", PASSWORD, "/monitoring")
    overdue_before = figure(page, "overdue key actions")
    assert overdue_before == 8
    row = page.locator(".followup-table tr", has_text="Recommendation 5")
    assert "Not started" in row.inner_text()

    page.goto(base_url + REC5)
    assert "Overdue" in page.locator(".facts").inner_text()
    page.get_by_text("Add a key action").click()
    page.get_by_label("What will be done of the new key action").fill(ACTION)
    page.get_by_label("Responsible unit of the new key action").fill("Programme Management Unit")
    page.get_by_label("Due date of the new key action").fill("2027-03-31")
    page.get_by_role("button", name="Add key action").click()
    page.wait_for_url("**done=added*")
    assert "Key action added." in page.locator("[role=status]").inner_text()
    item = page.locator(".key-action", has_text=ACTION)
    number = re.search(r"Key action (\d+)", item.locator("h3").inner_text()).group(1)
    suffix = f" of key action {number}"

    updates = (("2026-10-15", "Draft guidance circulated to divisions.", "In progress"),
               ("2026-11-20", "Guidance adopted by the Executive Office.", ""))
    for day, text, status in updates:
        item = page.locator(".key-action", has_text=ACTION)
        item.get_by_text("Record progress").first.click()
        page.get_by_label("Date of the progress" + suffix).fill(day)
        page.get_by_label("What progress was made" + suffix).fill(text)
        page.get_by_label("Evidence link" + suffix).fill("https://unece.org/partnerships/dd")
        if status:
            page.get_by_label("New status" + suffix).select_option(label=status)
        page.get_by_role("button", name="Record progress" + suffix).click()
        page.wait_for_url("**done=recorded*")
    item = page.locator(".key-action", has_text=ACTION)
    listed = item.locator(".progress-notes li").all_inner_texts()
    assert [entry[:10] for entry in listed] == ["2026-11-20", "2026-10-15"]
    assert item.get_by_role("link", name=re.compile("^Evidence")).count() == 2
    assert "In progress" in page.locator(".facts").inner_text()

    # the response's own action is dropped, the new one completed: implemented
    first = page.locator(".key-action").first
    first.get_by_text("Edit or close").click()
    page.get_by_label("Status of key action 1", exact=True).select_option("no-longer-applicable")
    page.get_by_role("button", name="Save key action of key action 1").click()
    page.wait_for_url("**done=saved*")
    page.locator(".key-action", has_text=ACTION).get_by_text("Edit or close").click()
    page.get_by_label("Status" + suffix, exact=True).select_option("completed")
    page.get_by_role("button", name="Save key action" + suffix).click()
    page.wait_for_url("**done=saved*")
    facts = page.locator(".facts").inner_text()
    assert "Implemented" in facts and "Overdue" not in facts
    assert serious_violations(page) == []

    page.get_by_role("link", name="Monitoring").click()
    page.wait_for_url("**/monitoring")
    assert figure(page, "overdue key actions") == overdue_before - 1
    row = page.locator(".followup-table tr", has_text="Recommendation 5")
    assert "Implemented" in row.inner_text() and "None" in row.inner_text()
    assert serious_violations(page) == []
    assert page.errors == []


def test_bad_input_is_shown_beside_its_field_and_changes_nothing(page, base_url):
    sign_in(page, base_url, "rita", PASSWORD, REC5)
    count = page.locator(".key-action").count()
    page.get_by_text("Add a key action").click()
    page.get_by_label("What will be done of the new key action").fill("Something")
    page.get_by_label("Due date of the new key action").evaluate(
        "(input) => { input.type = 'text'; input.value = 'next spring'; }")
    page.get_by_role("button", name="Add key action").click()
    assert "expected a date such as 2026-12-31" in page.locator("main").inner_text()
    assert "Nothing was changed" in page.locator("[role=alert]").inner_text()
    page.goto(base_url + REC5)
    assert page.locator(".key-action").count() == count
    assert serious_violations(page) == []


def test_staff_see_a_read_only_dashboard_and_pages_pass_axe_at_both_widths(browser, base_url):
    for width in ("desktop", "phone"):
        context = browser.new_context(viewport=VIEWPORTS[width])
        page = watch_errors(context.new_page())
        sign_in(page, base_url, "vic", PASSWORD, "/monitoring")
        assert page.locator("svg.chart").count() == 7
        assert serious_violations(page) == [], width
        page.goto(base_url + REC5)
        assert page.get_by_text("Add a key action").count() == 0
        assert serious_violations(page) == [], width
        page.goto(base_url + "/monitoring/actions?overdue=1")
        assert serious_violations(page) == [], width
        assert page.errors == []
        context.close()
