"""Headless Chromium on the pages a newcomer walks through, at 1280 and 390 px: the phone menu
and the search filters fold under buttons that open by keyboard, the good-practice library's
filters, Accept on a suggested link keeps the page where it was (with and without JavaScript),
a note's 404 offers signing in alike for missing and restricted notes, /my-notes asks to sign
in, and axe-core finds nothing serious on any of them."""

import contextlib
import re

import pytest
from live import chromium_path, live_server, new_page, sign_in
from test_browser import AXE, VIEWPORTS, serious_violations
from test_browser_contribute import PASSWORD

from kmsearch.library import Library
from kmsearch.web import create_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        chromium_path() is None,
        reason="Chromium is not installed (/usr/bin/chromium); on Debian: apt-get install chromium",
    ),
]
RESTRICTED = "mobile-phone-data-tourism"  # Statistics
TITLE = "Vehicle makers share crash data for road safety"
SUMMARY = "Carmakers gave anonymised crash data to road safety authorities for better regulations."


CONTRIBUTORS = {"cora": "transport", "stan": "statistics"}  # name -> their one division


@pytest.fixture(scope="module")
def library_settings(library_copy):
    settings = library_copy("browser-pages")
    with contextlib.closing(Library(settings)) as library:
        for name, division in CONTRIBUTORS.items():
            library.accounts.add(name, PASSWORD, roles=["contributor"], divisions=[division])
    return settings


@pytest.fixture(scope="module")
def base_url(library_settings):
    """Nobody signed in is a visitor: public notes only."""
    app = create_app({"SETTINGS": library_settings, "SECRET_KEY": "browser-pages-secret",
                      "SESSION_COOKIE_SECURE": False})
    with live_server(app) as url:
        yield url


@pytest.fixture(scope="module")
def demo_url(library_settings):
    """The demo: nobody signed in is shown the library as staff."""
    app = create_app({"SETTINGS": library_settings, "SECRET_KEY": "browser-pages-secret",
                      "SESSION_COOKIE_SECURE": False, "DEFAULT_VIEWER": "staff"})
    with live_server(app) as url:
        yield url


@pytest.fixture
def phone(browser):
    page = new_page(browser, "phone")
    yield page
    page.context.close()


@pytest.fixture
def desktop(browser):
    page = new_page(browser)
    yield page
    page.context.close()


def tab_to(page, locator, limit=30):
    """Press Tab until ``locator`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{locator} never got the focus")


def test_on_a_phone_the_navigation_is_one_menu_button_that_opens_by_keyboard(phone, base_url):
    phone.goto(base_url + "/recommendations")
    menu = phone.locator(".site-menu > summary")
    link = phone.locator(".site-menu").get_by_role("link", name="Good practices")
    assert menu.is_visible() and not link.is_visible()
    assert phone.locator(".site-nav").bounding_box()["height"] <= 60  # one row, not three
    tab_to(phone, menu)
    phone.keyboard.press("Enter")
    assert link.is_visible()
    assert phone.locator(".site-menu").get_attribute("open") is not None
    tab_to(phone, link, limit=3)  # the menu's links come next in the tab order
    phone.keyboard.press("Enter")
    phone.wait_for_url("**/good-practices")
    assert phone.errors == []


def test_on_a_desktop_the_navigation_links_show_without_a_menu_button(desktop, base_url):
    desktop.goto(base_url + "/recommendations")
    assert not desktop.locator(".site-menu > summary").is_visible()
    assert desktop.locator(".site-menu").get_by_role("link", name="Good practices").is_visible()
    assert desktop.get_by_role("link", name="Sign in").is_visible()


def test_on_a_phone_search_filters_come_before_the_results_folded_under_a_button(
        phone, desktop, base_url):
    path = "/search?q=data+sharing&mode=keyword&division=transport&division=statistics"
    phone.goto(base_url + path)
    button = phone.locator(".filters-disclosure > summary")
    assert "2 in use" in button.inner_text()
    first_hit = phone.locator(".hit").first
    assert button.bounding_box()["y"] < first_hit.bounding_box()["y"]
    facet = phone.locator(".facet a", has_text="Trade").first
    assert not facet.is_visible()
    tab_to(phone, button)
    phone.keyboard.press("Enter")
    assert facet.is_visible()
    desktop.goto(base_url + path)
    assert not desktop.locator(".filters-disclosure > summary").is_visible()
    assert desktop.locator(".facet a", has_text="Trade").first.is_visible()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_good_practice_filters_narrow_the_cards_through_a_plain_form(browser, base_url,
                                                                     javascript):
    page = new_page(browser, javascript=javascript)
    page.goto(base_url + "/good-practices")
    everything = page.locator("#practice-count").inner_text()
    groups = page.locator("details.practice-group")
    assert groups.count() == 4 and page.locator("details.practice-group[open]").count() == 0
    page.get_by_label("Show").select_option("pitfall")
    page.get_by_label("Division").select_option("transport")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"kind=pitfall.*division=transport"))
    narrowed = page.locator("#practice-count").inner_text()
    assert narrowed != everything and re.match(r"\d+ pitfalls? in \d+ case notes?", narrowed)
    assert page.get_by_label("Division").input_value() == "transport"  # the form remembers
    cards = page.locator(".practice-card .meta span:first-child").all_inner_texts()
    assert cards and set(cards) == {"Transport"}
    assert page.locator(".practice-card").first.is_visible()  # few cards: groups open
    assert page.errors == []
    page.context.close()


def open_form_with_suggestions(page, base_url):
    sign_in(page, base_url, "cora", PASSWORD, "/contribute/new")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Summary").fill(SUMMARY)
    page.get_by_role("button", name="Suggest links from the text").click()
    page.wait_for_load_state()


def test_accept_without_javascript_comes_back_at_the_suggestions(browser, base_url):
    page = new_page(browser, "phone", javascript=False)
    open_form_with_suggestions(page, base_url)
    assert page.url.endswith("/contribute/new#suggestions")
    accept = page.locator("button[name=accept_nexus]").first
    code = accept.get_attribute("value")
    accept.click()
    page.wait_for_load_state()
    assert page.url.endswith("#suggestions")
    assert page.locator(f"#nexus_areas-{code}").is_checked()
    box = page.locator("#suggestions").bounding_box()
    assert page.evaluate("scrollY") > 300  # not back at the top of a long page
    assert abs(box["y"]) < 50  # the suggestions are where the eye was
    assert page.get_by_label("Title").input_value() == TITLE
    page.context.close()


def test_accept_with_javascript_ticks_the_box_without_leaving_the_page(browser, base_url):
    page = new_page(browser)
    open_form_with_suggestions(page, base_url)
    accept = page.locator("button[name=accept_sdg]").first
    code = accept.get_attribute("value")
    page.evaluate("window.marker = 'still here'")
    accept.scroll_into_view_if_needed()
    before = page.evaluate("scrollY")
    accept.click()
    assert page.locator(f"#sdgs-{code}").is_checked()
    assert page.evaluate("window.marker") == "still here"  # no reload
    assert page.evaluate("scrollY") == before
    assert page.locator("#suggestions .linked").count() >= 1
    assert page.evaluate("document.activeElement.textContent") == "Linked"
    assert page.errors == []
    page.context.close()


def test_the_contribute_form_has_the_suggestions_beside_the_text_on_a_desktop(desktop,
                                                                             base_url):
    open_form_with_suggestions(desktop, base_url)
    story = desktop.locator(".form-text").bounding_box()
    suggestions = desktop.locator("#suggestions").bounding_box()
    assert suggestions["x"] > story["x"] + story["width"] - 1  # beside, not below
    assert abs(suggestions["y"] - story["y"]) < 40


def test_a_note_404_offers_sign_in_alike_for_missing_and_restricted_notes(desktop, base_url):
    texts = []
    for case_id in ("no-such-note-anywhere", RESTRICTED):
        answer = desktop.goto(f"{base_url}/cases/{case_id}")
        assert answer.status == 404
        texts.append(desktop.locator("main").inner_text().replace(case_id, "ID"))
    assert texts[0] == texts[1] and "If this note is internal, sign in" in texts[0]
    desktop.locator(".signin-hint").get_by_role("link", name="sign in").click()
    desktop.get_by_label("Username").fill("stan")
    desktop.get_by_label("Password").fill(PASSWORD)
    desktop.get_by_role("button", name="Sign in").click()
    desktop.wait_for_url(f"**/cases/{RESTRICTED}")  # back where the link led, now shown
    assert desktop.locator("h1").inner_text() != "Not found (error 404)"


def test_my_notes_asks_a_viewer_without_an_account_to_sign_in(desktop, demo_url):
    desktop.goto(demo_url + "/my-notes")
    assert "/login?next=/my-notes" in desktop.url
    assert "Viewing as staff" in desktop.locator(".site-nav").inner_text()
    assert "without an account" in desktop.locator(".site-footer").inner_text()
    desktop.get_by_label("Username").fill("cora")
    desktop.get_by_label("Password").fill(PASSWORD)
    desktop.get_by_role("button", name="Sign in").click()
    desktop.wait_for_url("**/my-notes")
    assert desktop.get_by_role("link", name="Write a new case note").is_visible()


PAGES = {"good practices": "/good-practices?nexus=smart-cities",
         "results": "/search?q=data+sharing&division=transport&division=statistics",
         "not found": f"/cases/{RESTRICTED}", "case": "/cases/cefact-garment-traceability"}


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_pages_pass_axe_with_menus_open_and_fit_a_phone(browser, base_url, viewport):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (see package.json)")
    page = new_page(browser, viewport)
    found = {}
    for name, path in PAGES.items():
        page.goto(base_url + path)
        for summary in page.locator(".site-menu > summary, .filters-disclosure > summary").all():
            if summary.is_visible():
                summary.click()
        found[name] = serious_violations(page)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        found[name] += [f"{overflow}px sideways scrolling"] if overflow > 0 else []
    sign_in(page, base_url, "cora", PASSWORD, "/contribute/new")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Summary").fill(SUMMARY)
    page.get_by_role("button", name="Suggest links from the text").click()
    page.wait_for_load_state()
    found["contribute"] = serious_violations(page)
    page.goto(base_url + "/cases/automated-driving-expert-loan/history")
    found["history"] = serious_violations(page)
    if viewport == "phone":
        compare = page.locator(".history td[data-label=Compare]").first
        assert compare.is_visible()
    assert found == dict.fromkeys([*PAGES, "contribute", "history"], [])
    page.context.close()
